"""Evaluation: matching and metrics against a hand computation, and the command's report."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from detector.flip_views import FLIPS
from detector.merge import boxes_made_at
from detector.model import YoloDetector
from tests.label_fixtures import CLASSES, write_tiny_model, write_yolo_set
from tests.model_fixtures import card_for_blobs
from training.evaluate import Matching, average_precision, evaluate_tiles, score_predictions
from training.labels.table import Box, LabelledTile


def _tile(name: str, source: str, boxes: list[Box]) -> LabelledTile:
    return LabelledTile(name, name, source, 64, 64, boxes, pixels=np.zeros((64, 64, 3), np.uint8))


TILES = [
    _tile("a", "s1", [Box("dredge", 0, 0, 10, 10), Box("dredge", 20, 20, 30, 30)]),
    _tile("b", "s2", [Box("dredge", 5, 5, 15, 15)]),
]
PREDICTIONS = [
    np.array(
        [
            [0, 0, 10, 10, 0.9, 0],  # TP (IoU 1)
            [40, 40, 50, 50, 0.8, 0],  # FP
            [21, 21, 31, 31, 0.3, 0],  # TP (IoU 81/119 = 0.68)
            [20, 20, 30, 30, 0.1, 1],  # boat: FP, below the operating score
        ],
        np.float32,
    ),
    np.zeros((0, 6), np.float32),  # tile b: its dredge is missed
]


def test_metrics_match_a_hand_computation() -> None:
    result = score_predictions(TILES, PREDICTIONS, CLASSES, matching=Matching(), conf=0.25)
    dredge = result.overall["dredge"]
    assert (dredge.truths, dredge.tp, dredge.fp, dredge.fn) == (3, 2, 1, 1)
    assert dredge.precision == pytest.approx(2 / 3) and dredge.recall == pytest.approx(2 / 3)
    assert dredge.f1 == pytest.approx(2 / 3)
    # all-point AP: recall 1/3 at precision 1, then 2/3 at precision 2/3
    assert dredge.ap == pytest.approx(1 / 3 * 1 + 1 / 3 * 2 / 3)
    s1, s2 = result.per_source["s1"]["dredge"], result.per_source["s2"]["dredge"]
    assert (s1.tp, s1.fp, s1.fn, s1.recall) == (2, 1, 0, 1.0)
    assert s1.ap == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert (s2.tp, s2.fn, s2.ap) == (0, 1, 0.0)
    boat = result.overall["boat"]
    assert (boat.truths, boat.fp, boat.ap) == (0, 0, None)
    assert [(f.tile, f.score) for f in result.false_positives] == [(0, pytest.approx(0.8))]
    assert [(m.tile, m.box) for m in result.misses] == [(1, (5.0, 5.0, 15.0, 15.0))]


def test_a_higher_operating_score_and_distance_matching() -> None:
    strict = score_predictions(TILES, PREDICTIONS, CLASSES, matching=Matching(), conf=0.5)
    dredge = strict.overall["dredge"]
    assert (dredge.tp, dredge.fp, dredge.fn) == (1, 1, 2)
    assert {m.box for m in strict.misses} == {(20, 20, 30, 30), (5, 5, 15, 15)}
    # centres 1.4 px = 4.2 m apart at 3 m per pixel
    near = Matching(match_m=5.0, gsd_m=3.0)
    assert score_predictions(TILES, PREDICTIONS, CLASSES, matching=near).overall["dredge"].tp == 2
    far = Matching(match_m=4.0, gsd_m=3.0)
    assert score_predictions(TILES, PREDICTIONS, CLASSES, matching=far).overall["dredge"].tp == 1
    # IoU 0.68 fails a 0.7 threshold
    tight = Matching(iou=0.7)
    assert score_predictions(TILES, PREDICTIONS, CLASSES, matching=tight).overall["dredge"].tp == 1


def test_average_precision_of_a_perfect_and_an_empty_ranking() -> None:
    ap, _ = average_precision(np.array([0.9, 0.8]), np.array([True, True]), 2)
    assert ap == pytest.approx(1.0)
    ap, _ = average_precision(np.array([0.9, 0.8]), np.array([False, True]), 2)
    assert ap == pytest.approx(0.25)
    assert average_precision(np.zeros(0), np.zeros(0, bool), 0)[0] is None


def test_predictions_of_equal_score_count_together_in_any_tile_order() -> None:
    """A hit and a false positive of equal score (on two tiles) are kept or dropped together
    by any threshold: AP 0.5, in either tile order (it was 1.0 with the hit's tile first and
    0.5 the other way round); predictions of distinct scores rank as before."""
    tiles = [_tile("a", "s", [Box("dredge", 0, 0, 10, 10)]), _tile("b", "s", [])]
    same = [np.array([[0, 0, 10, 10, 0.5, 0]], np.float32)] * 2
    for order in (slice(None), slice(None, None, -1)):
        result = score_predictions(tiles[order], same[order], CLASSES, matching=Matching())
        assert result.overall["dredge"].ap == pytest.approx(0.5)
    ap, (recall, precision) = average_precision(
        np.array([0.9, 0.7, 0.7, 0.7, 0.2]), np.array([True, False, True, True, False]), 4
    )
    assert recall.tolist() == [0.25, 0.75, 0.75] and precision.tolist() == [1.0, 0.75, 0.6]
    assert ap == pytest.approx(0.25 * 1.0 + 0.5 * 0.75)
    assert average_precision(np.zeros(0), np.zeros(0, bool), 2)[0] == 0.0


def test_matching_rules_at_their_edges() -> None:
    """Checked by hand (all right as they were): IoU exactly at the threshold matches; a box
    is matched once (a second prediction on it is a false positive); classes are matched
    apart; no predictions give AP 0 and no truths AP None; the tile order changes nothing."""
    truth = [_tile("t", "s", [Box("dredge", 0, 0, 10, 10)])]

    def score(boxes: list[list[float]], tiles: list[LabelledTile] = truth) -> dict[str, object]:
        arrays = [np.array(boxes, np.float32).reshape(-1, 6)] + [np.zeros((0, 6))] * (
            len(tiles) - 1
        )
        result = score_predictions(tiles, arrays, CLASSES, matching=Matching())
        return {c: (s.tp, s.fp, s.fn, s.ap) for c, s in result.overall.items()}

    assert score([[0, 0, 10, 5, 0.9, 0]])["dredge"] == (1, 0, 0, 1.0)  # IoU 50/100 = 0.5
    assert score([[0, 0, 10, 4.9, 0.9, 0]])["dredge"] == (0, 1, 1, 0.0)  # IoU 0.49
    # two predictions on one box: the higher one matches, the other is a false positive
    assert score([[0, 0, 10, 10, 0.6, 0], [1, 0, 11, 10, 0.8, 0]])["dredge"] == (1, 1, 0, 1.0)
    # a boat predicted on a dredge: a missed dredge and a false boat, no truth for boats
    assert score([[0, 0, 10, 10, 0.9, 1]]) == {"dredge": (0, 0, 1, 0.0), "boat": (0, 1, 0, None)}
    assert score([])["dredge"] == (0, 0, 1, 0.0)
    empty = [_tile("e", "s", [])]
    assert score([[0, 0, 10, 10, 0.9, 0]], empty)["dredge"] == (0, 1, 0, None)
    forward = score_predictions(TILES, PREDICTIONS, CLASSES, matching=Matching())
    backward = score_predictions(TILES[::-1], PREDICTIONS[::-1], CLASSES, matching=Matching())
    assert forward.overall["dredge"].to_json() == backward.overall["dredge"].to_json()


def test_tiny_boxes_are_matched_as_training_widens_them() -> None:
    """A 2 × 2 px boat (6 m at 3 m) is learnt as a 3 × 3 px box: that box, predicted exactly,
    matches it (IoU 4/9 with the box as drawn: a false boat and a missed one). At the tile's
    edge the widened box stays inside, as in training."""
    tiles = [_tile("t", "s", [Box("boat", 10, 10, 12, 12), Box("boat", 0, 20, 1, 22)])]
    predictions = [np.array([[9.5, 9.5, 12.5, 12.5, 0.9, 1], [0, 19.5, 3, 22.5, 0.8, 1]])]
    result = score_predictions(tiles, predictions, CLASSES, matching=Matching())
    boat = result.overall["boat"]
    assert (boat.tp, boat.fp, boat.fn) == (2, 0, 0)


class _WeakBoxBeside(YoloDetector):
    """A 'network' that finds, in every flipped view of a 64 px tile, a 3 × 3 px dredge at
    (20, 20) scoring 0.3 and a weaker box (``weak``) 1.9 px to its right: the four views agree
    on both, which flip views fuse into one box, the score-weighted mean of the boxes found
    down to the score it is made at."""

    backend = "test"

    def __init__(self, folder: Path, weak: float) -> None:
        super().__init__(card_for_blobs(folder), folder / "blobs.pt", "cpu", flips=True)
        self.calls = 0
        self.weak = weak

    def forward(self, batch: np.ndarray) -> np.ndarray:
        left_right, up_down = FLIPS[self.calls % len(FLIPS)]
        self.calls += 1
        raw = np.zeros((len(batch), 6, 2), np.float32)
        for anchor, (cx, score) in enumerate(((21.5, 0.3), (23.4, self.weak))):
            x = 64 - cx if left_right else cx  # where the view, flipped, has it
            y = 64 - 21.5 if up_down else 21.5
            raw[:, :, anchor] = [x, y, 3, 3, score, 0]
        return raw


def test_precision_and_recall_are_of_the_boxes_made_at_the_operating_score(
    tmp_path: Path,
) -> None:
    """With flips, `dredge evaluate` scored the boxes made at score 0.001, cut at --conf, as
    the boxes of --conf: a box fused with a weaker one beside it (0.14, under the 0.15 that
    `dredge detect --conf 0.25` makes its boxes at) lay 0.60 px off the box detect gives, and
    at IoU 0.7 its dredge was a miss and a false positive. (The bundled model on the label
    world's 35 tiles: dredge TP 29, precision 0.644, recall 0.659, where the boxes detect
    gives score 27, 0.600 and 0.614.) Now P/R/F1 are of the boxes detect gives, from the same
    run of the network as the curve's."""
    network = _WeakBoxBeside(tmp_path, weak=0.14)
    pixels = np.zeros((1, 3, 64, 64), np.float32)
    (floor, at_conf) = network.predict_at(pixels, (0.001, 0.25))
    np.testing.assert_allclose(at_conf[0], network.predict(pixels, conf=0.25)[0])
    np.testing.assert_allclose(floor[0], network.predict(pixels, conf=0.001)[0])
    np.testing.assert_allclose(at_conf[0][:, :4], [[20, 20, 23, 23]], atol=1e-5)
    assert floor[0][0, 0] == pytest.approx(20.605, abs=1e-3)  # the weak box's pull
    tiles = [_tile("t", "s", [Box("dredge", 20, 20, 23, 23)])]
    evaluation, _ = evaluate_tiles(network, tiles, iou=0.7, conf=0.25)
    dredge = evaluation.overall["dredge"]
    assert (dredge.tp, dredge.fp, dredge.fn) == (1, 0, 0)  # was (0, 1, 1)
    assert evaluation.false_positives == [] and evaluation.misses == []
    assert dredge.ap == 0.0  # the curve is of the boxes made at 0.001, as before


def test_precision_and_recall_are_of_the_boxes_dredge_detect_gives(tmp_path: Path) -> None:
    """`dredge detect --conf 0.25` makes its boxes at 0.15 (where it keeps a group's members
    from) and keeps those from 0.25: a box fused with a weaker one (0.2) beside it lies
    0.76 px right of the box made at 0.25 itself, which `dredge evaluate` scored as detect's:
    the dredge detect found where it was drawn was a miss and a false positive at IoU 0.7."""
    network = _WeakBoxBeside(tmp_path, weak=0.2)
    pixels = np.zeros((1, 3, 64, 64), np.float32)
    made = network.predict(pixels, conf=boxes_made_at(0.25))[0]  # as detect makes them
    detected = made[made[:, 4] >= 0.25]
    assert detected[0, 0] == pytest.approx(20.76, abs=1e-3)  # the weak box's pull
    x0, y0, x1, y1 = detected[0, :4].tolist()
    tiles = [_tile("t", "s", [Box("dredge", x0, y0, x1, y1)])]
    evaluation, _ = evaluate_tiles(network, tiles, iou=0.7, conf=0.25)
    dredge = evaluation.overall["dredge"]
    assert (dredge.tp, dredge.fp, dredge.fn) == (1, 0, 0)  # was (0, 1, 1)
    nowhere = [_tile("t", "s", [])]  # every box a false positive, as detect gives it
    evaluation, _ = evaluate_tiles(network, nowhere, iou=0.7, conf=0.25)
    boxes = [f.box for f in evaluation.false_positives]
    np.testing.assert_allclose(boxes, [(x0, y0, x1, y1)], atol=1e-5)


def test_precision_of_a_model_that_made_no_box_is_undefined_not_zero(tmp_path: Path) -> None:
    """A model that made no box at the operating score had precision 0.000 (0 of 0) in the
    table, report.json and the model card, read as a model whose every box is wrong. It is
    NaN now: null in the JSON, `–` in the table, and a note says the model made no box; F1 is
    0 where labelled boxes were all missed, undefined where there was none either."""
    import math

    from training.evaluate import card_metrics, write_report
    from training.finetune import held_out_line

    nothing = [np.zeros((0, 6), np.float32)] * len(TILES)
    result = score_predictions(TILES, nothing, CLASSES, matching=Matching(), conf=0.25)
    dredge, boat = result.overall["dredge"], result.overall["boat"]
    assert (dredge.predictions, dredge.fn, dredge.recall, dredge.f1) == (0, 3, 0.0, 0.0)
    assert math.isnan(dredge.precision) and math.isnan(boat.precision) and math.isnan(boat.f1)
    rows = {row[1]: row for row in result.table()}
    assert rows["dredge"][6:9] == ["–", "0.000", "0.000"] and rows["boat"][6:9] == ["–"] * 3
    assert result.notes() == [
        "note: the model made no dredge box at score ≥ 0.25 on these 2 tiles: its dredge "
        "precision is undefined (0 of 0), shown as – (null in report.json)",
        "note: no boat box is labelled on these 2 tiles and the model made no boat box at "
        "score ≥ 0.25: its boat precision, recall and F1 are undefined (0 of 0), shown as – "
        "(null in report.json)",
    ]

    def no_nan(constant: str) -> None:
        raise AssertionError(f"report.json holds {constant}, which is not JSON")

    path = write_report(
        result, TILES, tmp_path, model={"name": "m"}, bands=("red", "green", "blue")
    )
    report = json.loads(path.read_text(), parse_constant=no_nan)
    assert report["classes"]["dredge"]["precision"] is None
    assert report["classes"]["dredge"]["f1"] == 0.0 and report["classes"]["boat"]["f1"] is None
    for name in ("pr_curve.png", "worst_false_positives.png", "worst_misses.png"):
        assert (tmp_path / name).stat().st_size > 1000  # the figures still render
    card = card_metrics(result)
    assert card["val"]["precision"] is None and card["val"]["f1"] == 0.0
    assert held_out_line(card, "val", "after") == (
        "held-out tiles, dredge, after: the model made no dredge box on them (precision "
        "undefined), recall 0.000, f1 0.000, mAP50 0.000"
    )
    some = score_predictions(TILES, PREDICTIONS, CLASSES, matching=Matching(), conf=0.25)
    assert [note.split(":")[1] for note in some.notes()] == [
        " no boat box is labelled on these 2 tiles and the model made no boat box at score ≥ 0.25"
    ]


def test_recall_of_a_class_with_no_labelled_box_is_undefined_not_zero(tmp_path: Path) -> None:
    """Recall of a class none of whose boxes is labelled was 0.000 (0 of 0) in the table,
    report.json and the card, read as a model that missed every box; it is NaN now, as
    precision of no prediction is: null in the JSON, `–` in the table, with a note. F1 by the
    counts: 0 where the model made boxes of it (all false)."""
    import math

    from training.evaluate import card_metrics, write_report

    boats = [PREDICTIONS[0].copy(), PREDICTIONS[1]]
    boats[0][3, 4] = 0.5  # the boat box above the operating score: a false boat
    result = score_predictions(TILES, boats, CLASSES, matching=Matching(), conf=0.25)
    boat = result.overall["boat"]
    assert (boat.truths, boat.predictions, boat.fp, boat.precision, boat.f1) == (0, 1, 1, 0, 0)
    assert math.isnan(boat.recall) and result.overall["dredge"].recall == pytest.approx(2 / 3)
    rows = {row[1]: row for row in result.table() if row[0] == "all"}
    assert rows["boat"][6:9] == ["0.000", "–", "0.000"]
    assert result.notes() == [
        "note: no boat box is labelled on these 2 tiles: its boat recall is undefined (0 of 0), "
        "shown as – (null in report.json)"
    ]
    path = write_report(
        result, TILES, tmp_path, model={"name": "m"}, bands=("red", "green", "blue")
    )
    report = json.loads(path.read_text())
    assert report["classes"]["boat"]["recall"] is None and report["classes"]["boat"]["f1"] == 0
    assert report["per_source"]["s2"]["boat"]["recall"] is None
    card = card_metrics(result)
    assert card["val_classes"]["boat"]["recall"] is None


def test_map50_of_a_class_with_no_labelled_box_is_null_on_the_card(tmp_path: Path) -> None:
    """The card's mAP50 of a class none of whose boxes is labelled was 0.0 (a model that
    finds none of it), while report.json writes that AP null and the table `–`; it is null on
    the card too."""
    from training.evaluate import card_metrics, write_report

    boats = [PREDICTIONS[0].copy(), PREDICTIONS[1]]
    boats[0][3, 4] = 0.5  # a false boat: the class has boxes made, none labelled
    result = score_predictions(TILES, boats, CLASSES, matching=Matching(), conf=0.25)
    path = write_report(
        result, TILES, tmp_path, model={"name": "m"}, bands=("red", "green", "blue")
    )
    assert json.loads(path.read_text())["classes"]["boat"]["ap"] is None
    card = card_metrics(result)
    assert card["val_classes"]["boat"]["mAP50"] is None
    assert card["val"]["mAP50"] == json.loads(path.read_text())["classes"]["dredge"]["ap"]


def test_the_figures_of_misses_say_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """worst_misses.png was titled "worst misss" (and "no misss" without misses)."""
    import matplotlib.pyplot as plt

    from training.evaluate import Finding
    from training.evaluate_figures import draw_findings

    drawn = []
    monkeypatch.setattr(plt, "close", drawn.append)
    tiles = [_tile("a", "s", [Box("dredge", 0, 0, 10, 10)])]
    miss = Finding(0, "dredge", 0.1, (0.0, 0.0, 10.0, 10.0))
    for findings, kind in (([miss], "miss"), ([], "miss"), ([], "false positive")):
        draw_findings(findings, tiles, ("red", "green", "blue"), tmp_path / "f.png", kind)
    titles = [figure.texts[0].get_text() for figure in drawn]
    assert titles == ["worst misses", "worst misses", "worst false positives"]
    assert [t.get_text() for t in drawn[1].axes[0].texts] == ["no misses"]
    assert [t.get_text() for t in drawn[2].axes[0].texts] == ["no false positives"]
    monkeypatch.undo()
    for figure in drawn:
        plt.close(figure)


def test_the_crops_of_a_model_reading_bgr_show_blue_as_blue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst findings' crops took the first three bands as red, green and blue: a model
    reading blue, green, red (Planet's BGRN order) showed a blue tile red. The bands are
    placed by their names now, as the rest of the tool names them."""
    import matplotlib.pyplot as plt

    from training.evaluate import Finding
    from training.evaluate_figures import draw_findings

    drawn = []
    monkeypatch.setattr(plt, "close", drawn.append)
    pixels = np.zeros((64, 64, 3), np.uint8)
    pixels[:, :, 0] = 255  # the first band, blue to this model
    tile = LabelledTile("t", "t", "s", 64, 64, [Box("dredge", 0, 0, 10, 10)], pixels=pixels)
    miss = Finding(0, "dredge", 0.1, (0.0, 0.0, 10.0, 10.0))
    for bands in (("blue", "green", "red"), ("red", "green", "blue")):
        draw_findings([miss], [tile], bands, tmp_path / "f.png", "miss")
    bgr, rgb = (figure.axes[0].images[0].get_array() for figure in drawn)
    assert list(bgr[30, 30]) == [0, 0, 255]  # shown blue (it was [255, 0, 0], red)
    assert list(rgb[30, 30]) == [255, 0, 0]  # a model reading red first: red, as before
    monkeypatch.undo()
    for figure in drawn:
        plt.close(figure)


def test_cli_writes_the_report_and_figures(
    labelled_tiles: list[LabelledTile], tmp_path: Path
) -> None:
    weights = write_tiny_model(tmp_path / "model")
    labels = write_yolo_set(labelled_tiles, tmp_path / "yolo")
    out = tmp_path / "eval"
    result = CliRunner().invoke(
        app, ["evaluate", str(weights), str(labels), "--out", str(out), "--backend", "torch"]
    )
    assert result.exit_code == 0, result.output
    assert "AP50" in result.output and "dredge" in result.output
    report = json.loads((out / "report.json").read_text())
    assert report["model"]["name"] == "tiny" and report["tiles"] == len(labelled_tiles)
    assert report["matching"] == {"rule": "iou", "iou": 0.5}
    dredge = report["classes"]["dredge"]
    boxes = [b for t in labelled_tiles for b in t.boxes]
    assert dredge["truths"] == sum(b.class_name == "dredge" for b in boxes)
    assert set(report["per_source"]) == {str(labels)}
    for name in ("pr_curve.png", "worst_false_positives.png", "worst_misses.png"):
        assert (out / name).stat().st_size > 1000
    again = CliRunner().invoke(app, ["evaluate", str(weights), str(labels), "--out", str(out)])
    assert again.exit_code == 2  # an earlier report is kept unless --overwrite
    assert f"{out / 'report.json'}: exists, and so do {out / 'pr_curve.png'}" in again.output
    assert "— choose other names, or pass --overwrite (it replaces all" in again.output
    assert json.loads((out / "report.json").read_text()) == report


def test_a_report_stopped_while_written_leaves_the_earlier_report_and_figures(
    labelled_tiles: list[LabelledTile], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge evaluate --overwrite` drew its three figures into place, then wrote report.json:
    stopped in between (Ctrl-C), the new figures lay beside the earlier report. All four are
    now renamed into place together, at the end."""
    import training.evaluate as evaluate
    from training.evaluate import OUTPUT_NAMES

    weights = write_tiny_model(tmp_path / "model")
    labels = write_yolo_set(labelled_tiles, tmp_path / "yolo")
    out = tmp_path / "eval"
    out.mkdir()
    for name in OUTPUT_NAMES:
        (out / name).write_bytes(b"earlier")

    def stopped(*given: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluate, "write_text_atomic", stopped)
    args = ["evaluate", str(weights), str(labels), "--out", str(out), "--backend", "torch"]
    result = CliRunner().invoke(app, [*args, "--overwrite"])
    assert result.exit_code == 130, result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == dict.fromkeys(
        OUTPUT_NAMES, b"earlier"
    )


def test_tiles_of_the_scenes_a_model_was_fine_tuned_on_are_counted_in_a_note(
    labelled_tiles: list[LabelledTile], tmp_path: Path
) -> None:
    """`dredge evaluate runs/ft/model.pt review/` on the review tiles it was fine-tuned on
    scored them as if new: 12 of 16 review tiles of the demo run came from its training scenes,
    without a word."""
    from detector.card import load_card

    weights = write_tiny_model(tmp_path / "model")
    card = load_card(weights)
    scenes = sorted({t.scene for t in labelled_tiles})
    training = {"recipe": "finetune", "train_scenes": scenes[:2], "val_scenes": scenes[2:]}
    replace(card, training=training).save(weights.with_name("tiny.card.json"))
    labels = write_yolo_set(labelled_tiles, tmp_path / "yolo")
    out = tmp_path / "eval"
    args = ["evaluate", str(weights), str(labels), "--out", str(out), "--backend", "torch"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    seen = sum(t.scene in scenes[:2] for t in labelled_tiles)
    assert 0 < seen < len(labelled_tiles)
    assert (
        f"note: {seen} of {len(labelled_tiles)} tiles are from scenes tiny was fine-tuned on"
        in result.output
    )
    assert json.loads((out / "report.json").read_text())["tiles_from_training_scenes"] == seen
    # one tile of them: '1 of 13 tiles is from scenes …: its score flatters it' (was '1 of 13
    # tiles are from scenes …: their scores flatter it')
    one = [t for t in labelled_tiles if t.scene == scenes[0]][:1]
    subset = one + [t for t in labelled_tiles if t.scene not in scenes[:2]]
    labels = write_yolo_set(subset, tmp_path / "one")
    args = ["evaluate", str(weights), str(labels), "--out", str(tmp_path / "ev1"), "--backend"]
    result = CliRunner().invoke(app, [*args, "torch"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"note: 1 of {len(subset)} tiles is from scenes tiny was fine-tuned on" in said
    assert "training.train_scenes): its score flatters it" in said


def test_the_benchmarks_average_precision_counts_tied_scores_together() -> None:
    """benchmarks/detection_accuracy.py's AP took detections of one score in row order (a hit
    and a false positive: 1.0 one way, 0.5 the other); it is now this module's AP."""
    from benchmarks.detection_accuracy import average_precision as benchmark_ap

    scores = pd.Series([0.5, 0.5, 0.3])
    for outcomes in (["tp", "fp", "ignored"], ["fp", "tp", "ignored"]):
        assert benchmark_ap(scores, pd.Series(outcomes), 1) == pytest.approx(0.5)
    outcomes = pd.Series(["tp", "fp", "ignored", "tp", "tp", "fp"])
    scores = pd.Series([0.9, 0.7, 0.7, 0.7, 0.7, 0.2])
    expected, _ = average_precision(
        np.array([0.9, 0.7, 0.7, 0.7, 0.2]), np.array([True, False, True, True, False]), 4
    )
    assert benchmark_ap(scores, outcomes, 4) == pytest.approx(expected)
    assert np.isnan(benchmark_ap(scores, outcomes, 0))
    assert np.isnan(benchmark_ap(pd.Series([0.5]), pd.Series(["ignored"]), 2))


def test_a_score_or_overlap_out_of_range_is_refused_before_the_model_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge evaluate … --conf 25` (a percent) or `--iou 50` loaded the model, read and tiled
    every label set and ran the model on every tile, then said `--conf must be between 0 and 1`.
    Now the same line before any of it."""
    import training.evaluate_run

    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(training.evaluate_run, "load_model", no_model)
    missing = str(tmp_path / "labels")
    for option, value, said in (
        ("--conf", "25", "--conf must be between 0 and 1, got 25"),
        ("--iou", "50", "--iou must be in (0, 1], got 50"),
        ("--match-m", "-5", "--match-m must be positive, got -5"),
    ):
        args = ["evaluate", "bundled", missing, "--out", str(tmp_path / "ev"), option, value]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, (option, result.output)
        assert said in " ".join(result.output.split()), result.output


def test_iou_and_match_m_together_are_refused_not_the_iou_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge evaluate … --iou 0.3 --match-m 15` matched by distance alone: the IoU given was
    dropped without a word (report.json's rule 'distance', no iou). Now one line before the
    model is loaded; --match-m with the default --iou is the distance rule, as before."""
    import training.evaluate_run
    from detector.errors import DredgeError

    with pytest.raises(DredgeError, match=r"--iou 0.3 and --match-m 15 are two ways"):
        Matching(iou=0.3, match_m=15.0)
    assert Matching(match_m=15.0).describe() == "centres within 15 m"

    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(training.evaluate_run, "load_model", no_model)
    args = ["evaluate", "bundled", str(tmp_path / "labels"), "--out", str(tmp_path / "ev")]
    result = CliRunner().invoke(app, [*args, "--iou", "0.3", "--match-m", "15"])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        "error: --iou 0.3 and --match-m 15 are two ways to match a prediction to a box — give "
        "one (--match-m matches by centre distance instead)"
    )


def test_the_fine_tune_benchmark_shows_undefined_scores_as_the_table_does() -> None:
    """benchmarks/finetune_style.py printed a model that made no box with precision `nan`
    (f"{nan:.3f}"); it shows `–` as `dredge evaluate`'s table does."""
    from benchmarks.finetune_style import score_row

    nothing = [np.zeros((0, 6), np.float32)] * len(TILES)
    none_made = score_predictions(TILES, nothing, CLASSES, matching=Matching(), conf=0.25)
    dredge = none_made.overall["dredge"]
    row = score_row("bundled (before)", 0, 0, 0.0, dredge, dredge)
    assert [row["precision (≤15 m)"], row["recall (≤15 m)"], row["F1 (≤15 m)"]] == [
        "–", "0.000", "0.000"
    ]  # fmt: skip
    assert not [value for value in row.values() if "nan" in value]
