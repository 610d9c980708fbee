"""The model a `dredge train` run starts from: ``bundled``, ``scratch`` or weights given to
``--from`` (:func:`resolve_base`), checked before any work (:mod:`training.finetune`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detector.card import (
    ONNX_SUFFIX,
    ModelCard,
    beside_card,
    load_card,
    model_file,
    verify_weights,
)
from detector.errors import InputError
from detector.inputspec import InputSpec
from detector.model import bundled_weights
from detector.wording import count_of
from training.dataset import CLASSES
from training.recipes import DEFAULT_SPEC


@dataclass(frozen=True)
class BaseModel:
    """Where fine-tuning starts."""

    weights: Path | None  # None: from scratch
    card: ModelCard | None
    spec: InputSpec
    classes: tuple[str, ...]

    def describe(self) -> dict[str, Any] | str:
        """For the card: the starting model, or ``scratch``."""
        if self.weights is None or self.card is None:
            return "scratch"
        return {"name": self.card.name, "weights": str(self.weights), "sha256": self.card.sha256}


def resolve_base(base: str) -> BaseModel:
    """The starting model: ``bundled``, ``scratch`` or a path as ``--model`` takes it (weights,
    or their card); its card is checked, and an ONNX file stands for the ``.pt`` beside it,
    which is checked against the card too (a missing one was a traceback after the chips were
    cut; a card given was "has no model card"); a model of other than 3 bands is refused
    (InputError): ultralytics trains 3-band chips only as the run writes them."""
    if base == "scratch":
        return BaseModel(None, None, DEFAULT_SPEC, CLASSES)
    weights = bundled_weights() if base == "bundled" else model_file(base)
    card = load_card(weights)
    if weights.suffix.lower() == ONNX_SUFFIX:
        torch_weights = beside_card(weights, card.weights)
        if torch_weights.suffix.lower() == ONNX_SUFFIX or not torch_weights.is_file():
            raise InputError(
                weights,
                f"is an ONNX export, which cannot be trained, and its card's weights "
                f"({card.weights}) are not a .pt beside it",
                "give the .pt weights (with their card) to --from",
            )
        verify_weights(card, torch_weights)
        weights = torch_weights
    if len(card.input.bands) != 3:  # 1 or 4 (BGRN) bands: another model than its card came out
        raise InputError(
            weights,
            f"reads {count_of(len(card.input.bands), 'band')} ({', '.join(card.input.bands)}), "
            "and fine-tuning trains 3-band models only (ultralytics read its chips as 3 bands "
            "and trained a 3-band network, its first layer new; 4-band chips also got no flip, "
            "turn or radiometric change)",
            "start from a 3-band model (--from bundled, or --from scratch)",
        )
    return BaseModel(weights, card, card.input, card.classes)
