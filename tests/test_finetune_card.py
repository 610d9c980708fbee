"""What the card of a model fine-tuned on labels records of its training."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from detector.card import load_card
from detector.cli import app
from tests.label_fixtures import write_tiny_model, write_yolo_set
from training.labels.table import LabelledTile


def test_the_card_gives_the_epochs_trained_where_a_setting_ended_them_early(
    labelled_tiles: list[LabelledTile], tmp_path: Path
) -> None:
    """``--epochs 4 time=0.0001`` (ultralytics' hours to train for) trained one epoch on the
    label world, and the card said ``epochs: 4``. It gives the epochs trained now (one row
    each in ultralytics' results.csv), and the epochs asked beside them."""
    base = write_tiny_model(tmp_path / "base")
    scenes = sorted({t.scene for t in labelled_tiles})[:2]
    labels = write_yolo_set([t for t in labelled_tiles if t.scene in scenes], tmp_path / "y")
    out = tmp_path / "run"
    args = ["train", str(labels), "--from", str(base), "--imgsz", "64", "--epochs", "4"]
    args += ["--val-fraction", "0.5", "--out", str(out), "--no-progress", "time=0.00001"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = (out / "yolo" / "results.csv").read_text().strip().splitlines()[1:]
    training = load_card(out / "model.pt").training
    assert training["epochs"] == len(rows) < 4 and training["epochs_asked"] == 4
