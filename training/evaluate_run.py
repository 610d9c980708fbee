"""``dredge evaluate MODEL LABELS...``: read the labels, score the model, write the report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from detector.model import bundled_weights, load_model
from detector.wording import agree, part_of
from training.evaluate import Evaluation, Matching, check_conf, evaluate_tiles, write_report
from training.labels.sources import read_and_report
from training.labels.table import LabelledTile


def run_evaluation(
    model: str | Path,
    labels: Sequence[str | Path],
    out: str | Path,
    *,
    iou: float = 0.5,
    match_m: float | None = None,
    conf: float = 0.25,
    scenes: Sequence[str | Path] = (),
    rivers: str | Path | None = None,
    name_field: str = "name",
    scene_bands: Sequence[str] | None = None,
    class_map: dict[str, str] | None = None,
    device: str = "cpu",
    backend: str = "auto",
    flips: bool = True,
    echo: Callable[[str], None] = print,
) -> tuple[Evaluation, Path]:
    """Score ``model`` (``bundled`` for the bundled one) on label sets; write into ``out``.
    Paths may be ``str`` or :class:`~pathlib.Path`."""
    out = Path(out)
    rivers = None if rivers is None else Path(rivers)
    Matching(iou=iou, match_m=match_m)  # --iou 50, --conf 25: refused before the model ran on
    check_conf(conf)  # every tile (and every label set was read and tiled)
    weights = bundled_weights() if str(model) == "bundled" else Path(model)
    detector = load_model(weights, backend=backend, device=device, flips=flips)
    for note in detector.notes:
        echo(f"note: {note}")
    card = detector.card
    sets = read_and_report(
        labels, card.classes, card.input, class_map=class_map, scenes=scenes, rivers=rivers,
        name_field=name_field, scene_bands=scene_bands,
        echo=echo,
    )  # fmt: skip
    tiles = [tile for s in sets for tile in s.tiles]
    seen = trained_on(card.training, tiles)
    if seen:
        echo(
            f"note: {part_of(seen, len(tiles), 'tile')} {agree(seen, 'is', 'are')} from scenes "
            f"{card.name} was fine-tuned on (its card's training.train_scenes): "
            f"{agree(seen, 'its score flatters', 'their scores flatter')} it — to compare it "
            "with the starting model, score both on scenes it has not seen (its held-out "
            "scenes, training.val_scenes, or new ones)"
        )
    evaluation, _ = evaluate_tiles(detector, tiles, iou=iou, match_m=match_m, conf=conf)
    for note in evaluation.notes():  # no box made: precision 0 of 0, not 0.000
        echo(note)
    report = write_report(
        evaluation,
        tiles,
        out,
        model={"path": str(weights), "name": card.name, "sha256": card.sha256},
        bands=card.input.bands,
        extra={
            "sources": [
                {"source": s.source, "format": s.format, "tiles": len(s.tiles)} for s in sets
            ],
            "tiles_from_training_scenes": seen,
        },
    )
    return evaluation, report


def trained_on(training: dict[str, Any], tiles: Sequence[LabelledTile]) -> int:
    """How many ``tiles`` come from scenes the model was fine-tuned on (its card's
    ``training.train_scenes``, written by `dredge train LABELS`): `dredge evaluate` of a
    fine-tuned model on the label set it was trained on scored them without a word."""
    scenes = training.get("train_scenes") if isinstance(training, dict) else None
    if not isinstance(scenes, list) or not scenes:
        return 0
    trained = {str(scene) for scene in scenes}
    return sum(tile.scene in trained for tile in tiles)
