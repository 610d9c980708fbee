"""``dredge evaluate MODEL LABELS...``: read the labels, score the model, write the report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from detector.model import bundled_weights, load_model
from training.evaluate import Evaluation, evaluate_tiles, write_report
from training.labels.sources import read_and_report


def run_evaluation(
    model: str | Path,
    labels: Sequence[str | Path],
    out: Path,
    *,
    iou: float = 0.5,
    match_m: float | None = None,
    conf: float = 0.25,
    scenes: Sequence[str | Path] = (),
    rivers: Path | None = None,
    class_map: dict[str, str] | None = None,
    device: str = "cpu",
    backend: str = "auto",
    flips: bool = True,
    echo: Callable[[str], None] = print,
) -> tuple[Evaluation, Path]:
    """Score ``model`` (``bundled`` for the bundled one) on label sets; write into ``out``."""
    weights = bundled_weights() if str(model) == "bundled" else Path(model)
    detector = load_model(weights, backend=backend, device=device, flips=flips)
    for note in detector.notes:
        echo(f"note: {note}")
    card = detector.card
    sets = read_and_report(
        labels, card.classes, card.input, class_map=class_map, scenes=scenes, rivers=rivers,
        echo=echo,
    )  # fmt: skip
    tiles = [tile for s in sets for tile in s.tiles]
    evaluation, _ = evaluate_tiles(detector, tiles, iou=iou, match_m=match_m, conf=conf)
    report = write_report(
        evaluation,
        tiles,
        out,
        model={"path": str(weights), "name": card.name, "sha256": card.sha256},
        bands=len(card.input.bands),
        extra={
            "sources": [
                {"source": s.source, "format": s.format, "tiles": len(s.tiles)} for s in sets
            ]
        },
    )
    return evaluation, report
