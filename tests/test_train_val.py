"""`dredge train`'s val-split scores (training.yolo_fit.validate) of a class none of whose val
boxes is labelled: 0 of 0, null on the card and `–` where printed (ultralytics' validation is
replaced by a result of known figures; nothing is trained)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import training.train
import training.yolo_fit
from detector.cli import app
from training.recipes import RECIPES
from training.train import TrainResult
from training.yolo_fit import val_line, validate

from .model_fixtures import write_untrained_model

SCORES = (0.5, 0.25, 0.4, 0.2)  # precision, recall, mAP50, mAP50-95 of the labelled class
NULLS = dict.fromkeys(("precision", "recall", "f1", "mAP50", "mAP50-95"))


def validated(monkeypatch: pytest.MonkeyPatch, labelled: int, boxes: list[int]) -> dict[str, Any]:
    """validate()'s metrics where ultralytics scored only the class ``labelled``."""

    class Box:
        ap_class_index = np.array([labelled])

        def class_result(self, position: int) -> tuple[float, ...]:
            return SCORES

        def mean_results(self) -> list[float]:
            return list(SCORES)

    result = SimpleNamespace(box=Box(), nt_per_class=np.array(boxes))
    model = SimpleNamespace(val=lambda **settings: result)
    monkeypatch.setattr(training.yolo_fit, "load_yolo", lambda weights: model)
    weights = Path("runs/yolo/weights/best.pt")
    return validate(weights, Path("data.yaml"), RECIPES["default"], device="cpu")


def test_a_class_without_labelled_val_boxes_has_null_scores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    metrics = json.loads(json.dumps(validated(monkeypatch, labelled=0, boxes=[4, 0])))
    boat = metrics["val_classes"]["boat"]
    assert boat == {**NULLS, "boxes": 0}  # was 0.0 each: a model that finds no boat
    dredge = metrics["val"]
    assert dredge == metrics["val_classes"]["dredge"]
    assert dredge["boxes"] == 4 and dredge["precision"] == 0.5 and dredge["recall"] == 0.25
    assert dredge["f1"] == pytest.approx(1 / 3, abs=1e-4) and dredge["mAP50"] == 0.4
    assert metrics["val_mean"]["mAP50"] == 0.4


def test_no_labelled_val_dredge_leaves_dredge_scores_null(monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = validated(monkeypatch, labelled=1, boxes=[0, 3])
    assert metrics["val"] == {**NULLS, "boxes": 0}  # was 0.0 each
    assert metrics["val_classes"]["boat"]["boxes"] == 3


def test_train_prints_null_dredge_scores_as_dashes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    val = {**NULLS, "boxes": 0}
    metrics = {"val": val, "val_classes": {"dredge": val, "boat": val}, "val_mean": NULLS}

    def trained(out: Path, **settings: Any) -> TrainResult:
        return TrainResult(out / "w.pt", out / "w.card.json", metrics, 1.0)

    monkeypatch.setattr(training.train, "train_default", trained)
    result = CliRunner().invoke(app, ["train", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output  # null figures: f"{None:.3f}" is a TypeError
    assert "val (dredge): no labelled dredge on the val tiles, nothing to score" in result.output
    assert result.exception is None


def val_set(folder: Path, tiles: int = 2) -> Path:
    """A YOLO set of ``tiles`` grey 64 px tiles, one labelled dredge each; its data.yaml."""
    from PIL import Image

    for split in ("images", "labels"):
        (folder / split).mkdir(parents=True)
    for number in range(tiles):
        Image.new("RGB", (64, 64), (90, 90, 90)).save(folder / "images" / f"t{number}.png")
        (folder / "labels" / f"t{number}.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    data = folder / "data.yaml"
    data.write_text(f"path: {folder}\ntrain: images\nval: images\nnames: [dredge, boat]\n")
    return data


def test_a_labelled_class_the_model_made_no_box_of_has_null_precision(tmp_path: Path) -> None:
    """ultralytics' own validation of a model that makes boat boxes only, on tiles with
    dredges labelled: its dredge precision was 0.0, as for a model whose dredge boxes are all
    wrong; it is null now (0 of 0), with the boxes made of each class."""
    folder = tmp_path / "run" / "yolo" / "weights"
    weights = write_untrained_model(folder, name="best", class_bias=(-30.0, 5.0))
    metrics = validate(weights, val_set(tmp_path / "set"), RECIPES["default"], device="cpu")
    dredge = metrics["val"]
    assert dredge["boxes"] == 2 and dredge["precision"] is None  # was 0.0
    assert dredge["predictions"] == 0
    assert dredge["recall"] == 0.0 and dredge["mAP50"] == 0.0
    assert metrics["val_classes"]["boat"]["predictions"] > 0
    assert metrics["val_classes"]["boat"]["precision"] is None  # no boat labelled: 0 of 0
    line = val_line(dredge)
    assert line.startswith("val (dredge): the model made no dredge box on the val tiles")


def test_a_class_whose_boxes_are_all_wrong_keeps_precision_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Box:
        ap_class_index = np.array([0])

        def class_result(self, position: int) -> tuple[float, ...]:
            return (0.0, 0.0, 0.0, 0.0)

        def mean_results(self) -> list[float]:
            return [0.0] * 4

    for made, precision in ((np.array([7, 0]), 0.0), (np.array([0, 0]), None)):
        result = SimpleNamespace(
            box=Box(), nt_per_class=np.array([3, 0]), predictions_per_class=made
        )
        model = SimpleNamespace(val=lambda result=result, **settings: result)
        monkeypatch.setattr(training.yolo_fit, "load_yolo", lambda weights, model=model: model)
        weights = Path("runs/yolo/weights/best.pt")
        dredge = validate(weights, Path("data.yaml"), RECIPES["default"], device="cpu")["val"]
        assert dredge["precision"] == precision and dredge["predictions"] == made[0]
