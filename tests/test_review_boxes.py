"""`dredge review`'s pre-filled boxes as written: valid JSON where a hand-made detections table
has a NaN score, and one box for detections of several runs put together on one scene (two
models run on one scene) that are one object."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from tests.label_fixtures import write_tiny_model
from tests.review_fixtures import write_truth_detections


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def detections(label_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_truth_detections(label_world, tmp_path_factory.mktemp("det"))


def _strict(path: Path) -> object:
    """``path`` parsed as strict JSON: NaN, Infinity and -Infinity are not JSON."""

    def refuse(constant: str) -> object:
        raise ValueError(f"{path.name}: {constant} is not JSON")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def _review(detections: Path, label_world: Path, model: Path, out: Path) -> str:
    result = CliRunner().invoke(
        app,
        ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out", str(out),
         "--count", "50", "--model", str(model)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


def test_nan_score_writes_valid_json(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    frame = gpd.read_parquet(detections)
    frame.loc[frame.index[::3], "score"] = np.nan  # a hand-made table: some scores unknown
    given = tmp_path / "hand" / "detections.parquet"
    given.parent.mkdir()
    frame.to_parquet(given)
    out = tmp_path / "review"
    _review(given, label_world, model, out)
    coco = _strict(out / "annotations" / "instances_default.json")
    tasks = _strict(out / "label_studio_tasks.json")
    assert isinstance(coco, dict) and isinstance(tasks, list)
    scores = [a.get("score") for a in coco["annotations"]]
    assert None in scores  # the unknown score is null, not NaN
    assert all(s is None or 0 <= s <= 1 for s in scores)
    results = [r for task in tasks for r in task["predictions"][0]["result"]]
    assert any(r.get("score") is None for r in results)
    assert len(results) == len(scores)


def test_duplicate_detections_of_two_runs_are_one_box(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    one = gpd.read_parquet(detections)
    once = _review(detections, label_world, model, tmp_path / "once")
    other = one.copy()  # a second model on the same scene: the same dredges, shifted a little
    other["geometry"] = other.geometry.translate(xoff=1e-6, yoff=1e-6)
    other["score"] = (other["score"] + 0.02).clip(upper=1.0)
    other["detection_id"] = [f"b{i}" for i in range(len(other))]
    both = gpd.GeoDataFrame(pd.concat([one, other], ignore_index=True), crs=one.crs)
    given = tmp_path / "both" / "detections.parquet"
    given.parent.mkdir()
    both.to_parquet(given)
    twice = _review(given, label_world, model, tmp_path / "twice")
    coco_twice = _strict(tmp_path / "twice" / "annotations" / "instances_default.json")
    assert isinstance(coco_twice, dict)
    boxes: dict[int, list[list[float]]] = {}
    for ann in coco_twice["annotations"]:
        boxes.setdefault(ann["image_id"], []).append(ann["bbox"])
    for image_id, tile_boxes in boxes.items():
        for i, a in enumerate(tile_boxes):
            for b in tile_boxes[i + 1 :]:
                assert _iou(a, b) < 0.7, f"tile {image_id}: duplicate boxes {a} {b}"
    assert "duplicate detection" not in once
    # each detection of the second run repeats one of the first
    assert f"{len(one)} duplicate detections left out" in twice


def _iou(a: list[float], b: list[float]) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    w = max(0.0, min(ax1, bx1) - max(a[0], b[0]))
    h = max(0.0, min(ay1, by1) - max(a[1], b[1]))
    inter = w * h
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def test_duplicates_keep_the_higher_score_and_other_classes() -> None:
    from training.review_boxes import without_duplicates

    frame = gpd.GeoDataFrame(
        {
            "scene": ["s", "s", "s", "s", "t"],
            "class_name": ["dredge", "dredge", "boat", "dredge", "dredge"],
            "score": [0.4, 0.8, 0.9, math.nan, 0.5],
        },
        geometry=gpd.GeoSeries.from_xy([0, 0.5, 0, 0.3, 0], [0, 0.5, 0, 0.3, 0]).buffer(
            10, cap_style="square"
        ),
        crs="EPSG:32718",
    )
    kept, note = without_duplicates(frame)
    assert note.startswith(" (2 duplicate detections left out")
    # scene s: the 0.8 dredge stands for the 0.4 and the NaN one; the boat is another class;
    # scene t's dredge is on another scene
    assert sorted(kept.index.tolist()) == [1, 2, 4]


def test_json_the_tool_writes_has_no_nan(tmp_path: Path) -> None:
    """Every JSON file the tool writes goes through json_text: a NaN or an infinity (a float
    of numpy's too, in dicts, lists and tuples) is null, never a bare NaN."""
    from detector.json_text import json_text

    data = {"a": math.nan, "b": [np.float32("inf"), 1.5, (np.float64("-inf"), "x")], "c": 2}
    path = tmp_path / "x.json"
    path.write_text(json_text(data, indent=1))
    assert _strict(path) == {"a": None, "b": [None, 1.5, [None, "x"]], "c": 2}
