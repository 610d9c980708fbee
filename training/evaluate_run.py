"""``dredge evaluate MODEL LABELS...``: read the labels, score the model, write the report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from detector.model import bundled_weights, load_model
from detector.rivers import RiverNetwork
from training.evaluate import Evaluation, evaluate_tiles, write_report
from training.labels.classes import ClassMap
from training.labels.sources import read_label_sets


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
    echo: Callable[[str], None] = print,
) -> tuple[Evaluation, Path]:
    """Score ``model`` (``bundled`` for the bundled one) on label sets; write into ``out``."""
    weights = bundled_weights() if str(model) == "bundled" else Path(model)
    detector = load_model(weights, backend=backend, device=device)
    card = detector.card
    network = RiverNetwork.read(rivers) if rivers is not None else None
    sets = read_label_sets(
        labels, ClassMap(card.classes, class_map), card.input, scenes=scenes, rivers=network
    )
    for label_set in sets:
        echo(label_set.summary(card.classes))
        for note in label_set.notes:
            echo(f"note: {note}")
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
