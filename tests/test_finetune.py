"""Fine-tuning on labels: one short epoch over every format, a complete card, clean failures."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from detector.card import file_sha256, load_card
from detector.cli import app
from detector.errors import DredgeError
from tests.label_fixtures import (
    truth_frame,
    write_coco_set,
    write_tiny_model,
    write_voc_set,
    write_yolo_set,
)
from tests.network import blocked_network
from training.finetune import worse_than_before
from training.finetune_config import parse_overrides
from training.labels.table import LabelledTile, scene_of


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("base"))


def _train(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["train", *args, "--no-progress"])
    return result.exit_code, result.output


def test_one_epoch_over_every_format_writes_a_complete_card(
    labelled_tiles: list[LabelledTile],
    label_world: Path,
    vector_labels: Path,
    base: Path,
    tmp_path: Path,
) -> None:
    by_scene = sorted({t.scene for t in labelled_tiles})
    yolo = write_yolo_set([t for t in labelled_tiles if t.scene == by_scene[0]], tmp_path / "y")
    coco = write_coco_set([t for t in labelled_tiles if t.scene == by_scene[1]], tmp_path / "c")
    voc = write_voc_set([t for t in labelled_tiles if t.scene == by_scene[2]], tmp_path / "v")
    out = tmp_path / "run"
    with blocked_network() as attempts:
        code, output = _train(
            [str(yolo), str(coco), str(voc), str(vector_labels), "--scenes",
             str(label_world / "scenes"),
             "--rivers", str(label_world / "rivers.geojson"), "--from", str(base), "--epochs",
             "1", "--imgsz", "64", "--out", str(out), "mosaic=0.5"]
        )  # fmt: skip
    assert not attempts
    assert code == 0, output
    assert "held-out tiles, dredge, before:" in output and "after:" in output
    (dataset,) = [line for line in output.splitlines() if line.startswith("dataset: ")]
    assert "(s)" not in dataset, dataset  # it said 'chips from 1 scene(s)'
    assert re.match(
        r"dataset: train \d+ chips from \d+ scenes, val \d+ chips from 1 scene;", dataset
    )
    card = load_card(out / "model.pt")  # checks the sha256 too
    training = card.training
    assert training["recipe"] == "finetune" and training["epochs"] == 1
    assert training["from"] == {"name": "tiny", "weights": str(base), "sha256": file_sha256(base)}
    assert [d["format"] for d in training["data"]] == ["yolo", "coco", "voc", "vector"]
    assert training["data"][3]["instances"]["dredge"] == sum(
        b.class_name == "dredge" for t in labelled_tiles for b in t.boxes
    )
    assert not set(training["train_scenes"]) & set(training["val_scenes"])
    assert training["overrides"] == {"mosaic": 0.5} and training["imgsz"] == 64
    assert card.classes == ("dredge", "boat") and card.input.gsd_m == 12.0
    for key in ("val", "val_before"):
        assert set(card.metrics[key]) >= {"precision", "recall", "f1", "mAP50"}
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["complete"] is True and manifest["seed"] == 0
    assert {"torch", "ultralytics", "python", "dredge"} <= set(manifest["versions"])
    assert manifest["command"].split()[0] == "dredge"  # + the test runner's argv, if any
    assert not (tmp_path / ".run.partial").exists()
    # a finished run is not overwritten unless asked
    code, output = _train([str(yolo), "--from", str(base), "--out", str(out)])
    assert code == 2 and "folder is not empty" in output


def _bad_yolo(tmp_path: Path, world: Path) -> Path:
    from PIL import Image

    (tmp_path / "y" / "images").mkdir(parents=True)
    (tmp_path / "y" / "labels").mkdir()
    Image.new("RGB", (64, 64)).save(tmp_path / "y" / "images" / "t.png")
    (tmp_path / "y" / "labels" / "t.txt").write_text("0 0.5 0.5 0.1 0.1 0.9\n")
    (tmp_path / "y" / "data.yaml").write_text("names: [dredge, boat]\n")
    return tmp_path / "y"


def _bad_coco(tmp_path: Path, world: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (64, 64)).save(tmp_path / "t.png")
    data = {
        "images": [{"id": 1, "file_name": "t.png", "width": 64, "height": 64}],
        "categories": [{"id": 1, "name": "dredge"}],
        "annotations": [{"id": 3, "image_id": 1, "category_id": 1, "bbox": [70, 5, 4, 4]}],
    }
    (tmp_path / "c.json").write_text(json.dumps(data))
    return tmp_path / "c.json"


def _bad_voc(tmp_path: Path, world: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (64, 64)).save(tmp_path / "t.png")
    (tmp_path / "t.xml").write_text(
        "<annotation><filename>t.png</filename><object><name>dredge</name><bndbox><xmin>70"
        "</xmin><ymin>5</ymin><xmax>74</xmax><ymax>9</ymax></bndbox></object></annotation>"
    )
    return tmp_path / "t.xml"


def _utm_geojson(tmp_path: Path, world: Path) -> Path:
    data = json.loads(truth_frame(world, crs="EPSG:32718").to_json())
    data.pop("crs", None)
    (tmp_path / "g.geojson").write_text(json.dumps(data))
    return tmp_path / "g.geojson"


def _unknown_class(tmp_path: Path, world: Path) -> Path:
    frame = truth_frame(world)
    frame.loc[frame.index[1], "class_name"] = "submarine"
    frame.to_file(tmp_path / "u.gpkg", driver="GPKG")
    return tmp_path / "u.gpkg"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_bad_yolo, "t.txt: line 1 has 6 numbers, not 5"),
        (_bad_coco, "c.json: annotation id 3 (image 't.png'): box x 70–74"),
        (_bad_voc, "t.xml: object 1 (dredge): box x 70–74"),
        (_utm_geojson, "g.geojson: feature 1 (id 0): coordinates"),
        (_unknown_class, "u.gpkg: feature 2: class 'submarine' is not one of the model's classes"),
    ],
)
def test_bad_input_is_one_line_and_leaves_no_run_folder(
    make: Callable[[Path, Path], Path],
    expected: str,
    base: Path,
    label_world: Path,
    tmp_path: Path,
) -> None:
    labels = make(tmp_path, label_world)
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        ["train", str(labels), "--from", str(base), "--out", str(out), "--scenes",
         str(label_world / "scenes"), "--rivers", str(label_world / "rivers.geojson")],
    )  # fmt: skip
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines
    assert not out.exists() and not (tmp_path / ".run.partial").exists()


def no_work(*args: object, **kwargs: object) -> None:
    raise AssertionError("the bad setting was not refused before the work began")


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (["lr0=abc"], "'lr0=abc' is of invalid type str"),
        (["lr0=5"], "Valid 'lr0' values are between 0.0 and 1.0"),
        (["--epochs", "0"], "--epochs and batch must be ≥ 1, got 0"),  # was 10 epochs
    ],
)
def test_a_setting_that_cannot_work_is_one_line_before_any_work(
    setting: list[str],
    expected: str,
    base: Path,
    label_world: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("training.finetune.split_tiles", no_work)  # fail fast, never train
    labels = tmp_path / "ok.gpkg"
    truth_frame(label_world).to_file(labels, driver="GPKG")
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        ["train", str(labels), *setting, "--from", str(base), "--out", str(out), "--scenes",
         str(label_world / "scenes"), "--rivers", str(label_world / "rivers.geojson")],
    )  # fmt: skip
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines
    assert not out.exists()


def test_a_setting_in_exponent_notation_is_a_number() -> None:
    """`lr0=1e-4`, as `yolo train` takes it, was text (YAML 1.1 reads no float without a dot):
    one line "'lr0=1e-4' is of invalid type str" for a rate written as ultralytics writes it."""
    got = parse_overrides(["lr0=1e-4", "lrf=2.5E-2", "optimizer=SGD", "name=1e5x", "mosaic=0"])
    assert got == {"lr0": 1e-4, "lrf": 0.025, "optimizer": "SGD", "name": "1e5x", "mosaic": 0}


def test_the_recipe_refuses_zero_epochs_before_drawing_worlds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("training.train.make_worlds", no_work)  # fail fast, never train
    result = CliRunner().invoke(app, ["train", "--out", str(tmp_path / "r"), "--epochs", "0"])
    assert result.exit_code == 2 and "--epochs must be at least 1, got 0" in result.output
    assert not (tmp_path / "r").exists()


def test_a_failure_during_training_leaves_no_run_folder(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import training.finetune as finetune

    def broken(*args: object, **kwargs: object) -> Path:
        raise DredgeError("training stopped")

    monkeypatch.setattr(finetune, "_train", broken)
    yolo = write_yolo_set(labelled_tiles, tmp_path / "y")
    out = tmp_path / "run"
    code, output = _train([str(yolo), "--from", str(base), "--imgsz", "64", "--out", str(out)])
    assert code == 2 and "error: training stopped" in output
    assert not out.exists() and not (tmp_path / ".run.partial").exists()


def test_labels_from_one_scene_cannot_be_validated(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path
) -> None:
    scene = labelled_tiles[0].scene
    yolo = write_yolo_set([t for t in labelled_tiles if t.scene == scene], tmp_path / "y")
    code, output = _train([str(yolo), "--from", str(base), "--out", str(tmp_path / "run")])
    assert code == 2 and "all labelled tiles come from one scene" in output
    assert "--val-fraction 0" in output


def test_a_model_worse_than_the_one_it_started_from_is_named() -> None:
    """One epoch on 20 review tiles gave F1 0.812 → 0.769 on the held-out scenes, printed
    without a word of advice."""
    before = {"precision": 0.765, "recall": 0.867, "f1": 0.812, "mAP50": 0.913}
    after = {"precision": 0.909, "recall": 0.667, "f1": 0.769, "mAP50": 0.905}
    line = worse_than_before({"val": after, "val_before": before})
    assert line is not None
    assert "(f1 0.812 → 0.769, mAP50 0.913 → 0.905) — keep using the starting model" in line
    assert worse_than_before({"val": before, "val_before": after | {"f1": 0.7}}) is None
    assert worse_than_before({"val": after}) is None  # from scratch: nothing to compare


def test_a_scene_among_the_labels_is_named_before_any_label_is_read(tmp_path: Path) -> None:
    """`--scenes scenes/*.tif` unquoted gives the shell's later matches to LABELS: the error
    was about the first label set read against the one scene left to --scenes."""
    from detector.errors import InputError
    from tests.label_fixtures import SPEC
    from training.labels.classes import ClassMap
    from training.labels.sources import read_label_sets

    unreadable = tmp_path / "marks.geojson"
    unreadable.write_text("not json")
    scene = tmp_path / "b_3B_AnalyticMS_SR.tif"
    scene.write_bytes(b"")
    with pytest.raises(InputError, match=r"b_3B_AnalyticMS_SR.tif: is a scene, not labels"):
        read_label_sets([unreadable, scene], ClassMap(["dredge", "boat"]), SPEC)


def _no_training(base: Path) -> Callable[..., Path]:
    """A stand-in for ultralytics' training: the 'trained' weights are the starting ones."""

    def train(data_yaml: Path, run_dir: Path, *args: object) -> Path:
        run_dir.mkdir(parents=True, exist_ok=True)
        return base

    return train


def test_held_out_tiles_without_a_dredge_say_so_not_scores_of_zero(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Held-out tiles with boats and no dredge were scored "precision 0.000, recall 0.000,
    f1 0.000, mAP50 0.000" before and after: a model that finds nothing, where there was
    nothing to find."""
    import dataclasses

    from training.finetune_data import split_by_scene
    from training.labels.table import Box

    monkeypatch.setattr("training.finetune._train", _no_training(base))
    scenes = sorted({t.scene for t in labelled_tiles})[:2]
    tiles = [dataclasses.replace(t) for t in labelled_tiles if t.scene in scenes]
    held = next(s for s, side in split_by_scene(tiles, 0.5, seed=1).items() if side == "val")
    for t in tiles:
        if t.scene == held:  # the scene held out with --seed 1: its boats only
            t.boxes = [b for b in t.boxes if b.class_name == "boat"] or [Box("boat", 1, 1, 5, 5)]
    labels = write_yolo_set(tiles, tmp_path / "y")
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--seed", "1",
                           "--val-fraction", "0.5", "--out", str(tmp_path / "run")])  # fmt: skip
    assert code == 0, output
    for label in ("before", "after"):
        assert (
            f"held-out tiles, dredge, {label}: no labelled dredge among them, nothing to score"
            in output
        ), output
    card = load_card(tmp_path / "run" / "model.pt")
    assert card.metrics["val"]["boxes"] == 0 and card.training["val_scenes"] == [held]


def test_chips_cut_boxes_at_their_edges_as_the_module_says() -> None:
    """Checked by hand (right as it was): 64 px chips over a 120 px wide tile start at x 0 and
    56 (an eighth overlap, the last ending on the edge); a box in the overlap is in both chips;
    one half inside is kept, clipped, one less than half inside is not; a 1 px sliver is
    widened to 3 px inside the chip; a tile smaller than a chip is padded with black."""
    import numpy as np

    from training.finetune_data import cut_chips
    from training.labels.table import Box

    def chips(width: int, height: int, box: Box) -> dict[str, list[tuple[float, ...]]]:
        pixels = np.full((height, width, 3), 7, np.uint8)
        tile = LabelledTile("t", "s", "l", width, height, [box], pixels=pixels)
        return {
            c.name: [(b.x0, b.y0, b.x1, b.y1) for b in c.tile.boxes] for c in cut_chips(tile, 64, 3)
        }

    overlap = chips(120, 64, Box("dredge", 58, 10, 62, 20))
    assert overlap == {"t__x0_y0": [(58, 10, 62, 20)], "t__x56_y0": [(2, 10, 6, 20)]}
    assert chips(120, 64, Box("dredge", 50, 10, 60, 20))["t__x56_y0"] == []  # 4 of 10 px in
    assert chips(120, 64, Box("dredge", 51, 10, 61, 20))["t__x56_y0"] == [(0, 10, 5, 20)]
    assert chips(120, 64, Box("dredge", 63, 10, 65, 20))["t__x0_y0"] == [(61, 10, 64, 20)]
    small = cut_chips(
        LabelledTile("t", "s", "l", 50, 40, [], pixels=np.full((40, 50, 3), 7, np.uint8)), 64, 3
    )
    assert len(small) == 1 and small[0].tile.pixels is not None
    assert small[0].tile.pixels[39, 49, 0] == 7 and small[0].tile.pixels[40, 50].max() == 0


def _previous_run(out: Path) -> None:
    """A finished `dredge train` run folder (what --overwrite may replace)."""
    out.mkdir(parents=True)
    manifest = {"format": 1, "complete": True, "outputs": {"weights": "model.pt"}}
    (out / "run.json").write_text(json.dumps(manifest))
    (out / "model.pt").write_bytes(b"previous weights")


def test_overwrite_never_deletes_the_labels_or_the_model_it_trains_from(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge train runs/ft/review --out runs/ft --overwrite` deleted the 37 label files of the
    16 review tiles it had just trained on, and `--from runs/ft/model.pt --out runs/ft
    --overwrite` the model it started from (the one the card's warning says to keep), without
    a word."""
    import shutil

    monkeypatch.setattr("training.finetune._train", _no_training(base))
    out = tmp_path / "ft"
    _previous_run(out)
    labels = write_yolo_set(labelled_tiles, out / "review")
    before = sorted(p.relative_to(labels) for p in labels.rglob("*"))
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--out", str(out),
                           "--overwrite"])  # fmt: skip
    assert code == 2, output
    assert f"--overwrite would delete {labels} (labels given to this run)" in output
    assert sorted(p.relative_to(labels) for p in labels.rglob("*")) == before
    starting = out / "start.pt"
    shutil.copy(base, starting)
    shutil.copy(base.with_name("tiny.card.json"), out / "start.card.json")
    elsewhere = write_yolo_set(labelled_tiles, tmp_path / "y")
    code, output = _train([str(elsewhere), "--from", str(starting), "--imgsz", "64", "--out",
                           str(out), "--overwrite"])  # fmt: skip
    assert code == 2 and "(the starting model, --from)" in output, output
    assert starting.is_file()
    # labels elsewhere, from the bundled-like base: the previous run is replaced
    code, output = _train([str(elsewhere), "--from", str(base), "--imgsz", "64", "--out", str(out),
                           "--overwrite"])  # fmt: skip
    assert code == 0, output
    assert not (out / "review").exists() and (out / "model.pt").read_bytes() == base.read_bytes()


def test_overwrite_never_replaces_the_folder_of_a_detection_run(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge run` writes a run.json too: `dredge train … --out runs/2024 --overwrite` into
    a detection run replaced it (on the demo run, its 89 files: detections, tracks, counts,
    the saved scenes) with the training run."""
    monkeypatch.setattr("training.finetune._train", _no_training(base))
    out = tmp_path / "runs" / "2024"
    out.mkdir(parents=True)
    record = {"format": 1, "command": "dredge run scenes --rivers r.geojson --out runs/2024",
              "scenes": ["scenes/a.tif"], "parameters": {"conf": 0.25}}  # fmt: skip
    (out / "run.json").write_text(json.dumps(record))
    (out / "detections.parquet").write_bytes(b"the run's detections")
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--out", str(out),
                           "--overwrite"])  # fmt: skip
    assert code == 2, output
    assert "its run.json is another command's (a `dredge run`" in output
    assert (out / "detections.parquet").read_bytes() == b"the run's detections"


def test_from_takes_a_card_and_refuses_an_onnx_without_its_pt_in_one_line(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--from m.card.json` said "has no model card (expected m.card.card.json beside it)", as
    `--model` no longer does; `--from m.onnx` shared without its .pt read every label set and
    cut the chips, then ended in ultralytics' FileNotFoundError traceback."""
    import shutil

    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    shared = tmp_path / "shared"
    shared.mkdir()
    shutil.copy(base.with_name("tiny.card.json"), shared / "tiny.card.json")
    (shared / "tiny.onnx").write_bytes(b"an ONNX export")  # its card has no onnx_sha256
    code, output = _train([str(labels), "--from", str(shared / "tiny.onnx"), "--out",
                           str(tmp_path / "a")])  # fmt: skip
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and "tiny.onnx: is an ONNX export, which cannot be trained" in lines[0]
    assert "give the .pt weights (with their card) to --from" in lines[0]
    monkeypatch.setattr("training.finetune._train", _no_training(base))
    out = tmp_path / "b"
    code, output = _train([str(labels), "--from", str(base.with_name("tiny.card.json")), "--imgsz",
                           "64", "--out", str(out)])  # fmt: skip
    assert code == 0, output
    assert load_card(out / "model.pt").training["from"]["sha256"] == file_sha256(base)


def test_a_run_trained_on_cuda_n_is_scored_on_that_gpu(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--device cuda:1` trained on GPU 1, then scored the held-out tiles on `cuda`, GPU 0
    (which another job may hold); before that, `cuda:0` ended in "unknown device 'cuda:0'"
    after the whole training. The scoring now gets the device as given, which the detector
    takes."""
    import torch

    import training.finetune as finetune
    from detector.model import load_model

    devices: list[str] = []

    def on_cpu(weights: Path, *, backend: str, device: str) -> object:
        devices.append(device)
        with pytest.raises(DredgeError, match=f"--device {device}: torch sees no CUDA GPU"):
            with monkeypatch.context() as no_gpu:  # the detector takes the device string
                no_gpu.setattr(torch.cuda, "is_available", lambda: False)
                load_model(weights, backend=backend, device=device)
        return load_model(weights, backend=backend, device="cpu")  # there is no GPU here

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(finetune, "_train", _no_training(base))
    monkeypatch.setattr(finetune, "load_model", on_cpu)
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    out = tmp_path / "run"
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--device",
                           "cuda:1", "--out", str(out)])  # fmt: skip
    assert code == 0, output
    assert devices == ["cuda:1", "cuda:1"]
    assert load_card(out / "model.pt").training["device"] == "cuda:1"


@pytest.mark.parametrize("device", ["cuda:1", "cuda:0,1", "cuda:x"])
def test_a_gpu_number_the_machine_lacks_is_one_line_before_any_work(
    device: str,
    labelled_tiles: list[LabelledTile],
    base: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--device cuda:1` on a machine with one GPU (or `cuda:0,1`, `cuda:x`; the check took
    any "cuda:…") read the labels and cut the chips, then ended in ultralytics' ValueError
    traceback "Invalid CUDA 'device=1' requested" (exit 1). Tested with torch told that one
    GPU is there, as the test machine has none."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr("training.finetune.split_tiles", no_work)  # fail fast, never train
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    out = tmp_path / "run"
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--device",
                           device, "--out", str(out)])  # fmt: skip
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --device") and device in lines[0]
    if device == "cuda:1":
        assert lines[0].endswith("torch sees 1 CUDA GPU here — use --device cuda, or cuda:0")
    else:
        assert "--device must be cpu or cuda (or cuda:N, one GPU)" in lines[0]
    assert not out.exists()


def test_a_second_training_into_the_same_out_is_refused_while_the_first_works(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same command typed again in another terminal deleted the first training's
    `.RUN.partial` folder: the first ended in a FileNotFoundError traceback after its training,
    its work lost. A partial folder left by a killed training is still cleared."""
    import os
    import socket

    monkeypatch.setattr("training.finetune._train", _no_training(base))
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    out = tmp_path / "run"
    partial = tmp_path / ".run.partial"
    (partial / "dataset").mkdir(parents=True)
    lock = partial / ".dredge-run.lock"
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "started": "now"}
    lock.write_text(json.dumps(holder))  # a training at work: this very process
    args = [str(labels), "--from", str(base), "--imgsz", "64", "--out", str(out)]
    code, output = _train(args)
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and "another dredge run is working in this folder" in lines[0]
    assert (partial / "dataset").is_dir() and lock.is_file() and not out.exists()
    lock.unlink()  # the first training killed (SIGTERM leaves its folder): a rerun works
    code, output = _train(args)
    assert code == 0, output
    assert not partial.exists() and not (out / ".dredge-run.lock").exists()


def test_a_training_begun_while_labels_are_read_is_not_deleted(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review of 5b4375b: the lock was looked at before the labels were read, and a folder
    found after them was deleted without a second look: a training begun into the same --out
    in those seconds lost its folder, lock and all."""
    import os
    import socket

    import training.finetune as finetune

    monkeypatch.setattr("training.finetune._train", _no_training(base))
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    out, partial = tmp_path / "run", tmp_path / ".run.partial"
    reading = finetune.read_and_report

    def read_while_another_begins(*args: object, **kwargs: object) -> object:
        (partial / "dataset").mkdir(parents=True)  # the other training, this very process
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "started": "now"}
        (partial / ".dredge-run.lock").write_text(json.dumps(holder))
        return reading(*args, **kwargs)

    monkeypatch.setattr("training.finetune.read_and_report", read_while_another_begins)
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--out", str(out)])
    assert code == 2 and "another dredge run is working in this folder" in output, output
    assert (partial / "dataset").is_dir() and not out.exists()


def _placed(scene: str, lon: float, lat: float) -> LabelledTile:
    return LabelledTile(f"{scene}_{lon:.3f}", scene, "labels.gpkg", 64, 64, place=(lon, lat))


def test_labels_over_whole_scenes_are_held_out_by_place() -> None:
    """The hold-out was by scene: with one reach labelled on four dates, the held-out date's
    tiles lay where the other dates' tiles trained, the same dredges at the same moorings (on
    the label world's vector labels, 11 of 11 held-out tiles overlapped a training tile):
    the validation score was the training set's. Every date of a held-out place is now held
    out, and training tiles that would overlap it are left out."""
    from training.finetune_data import place_cell, split_tiles

    river = [-73.30 + 0.003 * k for k in range(120)]  # tiles every 330 m along 40 km
    tiles = [_placed(f"2024-0{d}", lon, -3.75) for d in range(1, 5) for lon in river]
    split = split_tiles(tiles, 0.25, seed=0, tile_m=768.0)
    assert split.unit == "place" and split.held_out.startswith("by place: 2 of 9 squares")
    val, train = split.tiles(tiles, "val"), split.tiles(tiles, "train")
    assert val and train and {t.scene for t in val} == {"2024-01", "2024-02", "2024-03", "2024-04"}
    assert not {place_cell(t.place) for t in val if t.place} & {
        place_cell(t.place) for t in train if t.place
    }
    east = {t.place[0] for t in val if t.place}
    nearest = min(abs(t.place[0] - lon) for t in train if t.place for lon in east)
    assert nearest * 111_081 > 768 * 2**0.5  # no training tile overlaps a held-out one
    assert "training tiles beside them left out" in split.held_out


def test_tiles_without_a_place_are_held_out_by_scene_and_the_split_says_so() -> None:
    from training.finetune_data import split_tiles

    unplaced = [LabelledTile(f"t{k}", f"scene{k % 4}", "yolo", 64, 64) for k in range(8)]
    split = split_tiles(unplaced, 0.25, seed=0)
    assert split.unit == "scene" and "8 of 8 tiles have no place" in split.held_out
    assert len({t.scene for t in split.tiles(unplaced, "val")}) == 1
    one_square = [_placed(f"scene{k % 4}", -73.3 + 0.001 * k, -3.75) for k in range(8)]
    split = split_tiles(one_square, 0.25, seed=0)
    assert split.unit == "scene" and "one square of 5 km" in split.held_out


def test_tiles_whose_names_say_no_scene_are_named_in_the_split_line() -> None:
    """Tiles exported under names of the analyst's (img_000 … img_007, no tiles.csv) are each
    their own scene: 8 tiles of one scene were held out tile by tile, 2 in val beside 6
    neighbours in train, and the split said "by scene"."""
    from training.finetune_data import split_tiles

    own = [LabelledTile(f"img_{k:03d}", scene_of(f"img_{k:03d}"), "yolo", 64, 64) for k in range(8)]
    split = split_tiles(own, 0.25, seed=0)
    assert split.sides.count("val") == 2 and split.unit == "scene"
    assert "8 of 8 tiles name no scene" in split.held_out
    assert "held out each as its own scene" in split.held_out
    renamed = [LabelledTile("s2_img_000", "img_000", "b", 64, 64)]  # a twin renamed apart
    cut = [LabelledTile(f"20240101_r00{k}_c001", "20240101", "a", 64, 64) for k in range(4)]
    cut += [LabelledTile(f"20240102_w1_{k}", "20240102", "a", 64, 64) for k in range(4)]
    assert "1 of 9 tiles name no scene" in split_tiles(cut + renamed, 0.25, seed=0).held_out
    assert "name no scene" not in split_tiles(cut, 0.25, seed=0).held_out
    assert "name no scene" not in split_tiles(own, 0.0, seed=0).held_out


def test_a_place_hold_out_that_would_take_most_tiles_from_training_is_by_scene() -> None:
    """A reach over two squares of 5 km, labelled on four dates: holding out one square, and
    the training tiles beside it, kept 62 % of the tiles from training for --val-fraction
    0.25 (a small label set mostly lost to validation). Squares are held out until they hold
    the fraction asked; where that still keeps more than half of the tiles (or twice the
    fraction) from training, the hold-out is by scene, and says why."""
    from training.finetune_data import _M_PER_DEGREE, PLACE_CELL_M, split_tiles

    per_metre = 1 / (_M_PER_DEGREE * math.cos(math.radians(-3.75)))
    edge = -1628 * PLACE_CELL_M
    offsets = (-3500.0, -2500.0, -1500.0, -500.0, 500.0, 1500.0, 2500.0, 3500.0)
    tiles = [
        _placed(f"2024-0{d}", (edge + offset) * per_metre, -3.75)
        for d in range(1, 5)
        for offset in offsets
    ]
    split = split_tiles(tiles, 0.25, seed=0, tile_m=1000.0)
    assert split.unit == "scene" and "would have kept 62% of the tiles" in split.held_out
    assert len(split.tiles(tiles, "train")) == 24 and len(split.tiles(tiles, "val")) == 8
    many = split_tiles(tiles, 0.5, seed=0, tile_m=1000.0)  # half asked for: by place
    assert many.unit == "place" and many.held_out.startswith("by place: 1 of 2 squares")


def test_a_short_reach_across_a_squares_edge_still_has_tiles_to_train_on() -> None:
    """A 4.5 km reach labelled on four dates whose tiles straddle a 5 km square's edge: one
    square held out, every tile of the other lay beside it and was left out, and nothing was
    left to train on (by scene, three dates trained). It is held out by scene, and says so."""
    from training.finetune_data import _M_PER_DEGREE, PLACE_CELL_M, split_tiles

    per_metre = 1 / (_M_PER_DEGREE * math.cos(math.radians(-3.75)))
    edge = -1628 * PLACE_CELL_M
    tiles = [
        _placed(f"2024-0{d}", (edge + offset) * per_metre, -3.75)
        for d in range(1, 5)
        for offset in (-1500.0, -500.0, 500.0, 1500.0)
    ]
    split = split_tiles(tiles, 0.25, seed=0, tile_m=640 * 3.0)
    assert split.unit == "scene" and "left no training tile" in split.held_out
    assert len(split.tiles(tiles, "train")) == 12 and len(split.tiles(tiles, "val")) == 4


def test_vector_labels_carry_their_tiles_places(labelled_tiles: list[LabelledTile]) -> None:
    """Tiles cut from labels drawn over whole scenes know where they lie: on the label world,
    the three dates of one reach were split by scene, and each of the 11 held-out tiles
    overlapped a training tile; now none does."""
    from training.finetune_data import split_tiles

    assert all(t.place is not None for t in labelled_tiles)
    # half held out: a quarter of this world's two squares would keep most tiles from training
    split = split_tiles(labelled_tiles, 0.5, seed=0, tile_m=768.0)
    assert split.unit == "place"
    val, train = split.tiles(labelled_tiles, "val"), split.tiles(labelled_tiles, "train")
    assert val and train
    for held in val:
        for t in train:
            assert held.place and t.place
            apart = abs(held.place[0] - t.place[0]) + abs(held.place[1] - t.place[1])
            assert apart * 111_000 > 768  # no training tile at a held-out tile's place


def test_tiles_larger_than_the_models_are_kept_apart_by_their_own_size(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The training tiles left out beside a held-out place were those within the model's tile
    (64 px: 768 m × √2) of it. Tiles cut larger (`dredge tiles --tile-px 128`: 1536 m) overlap
    farther apart: a training tile 1200 m from a held-out one, overlapping it by 336 m, was
    kept. The reach is now the largest tile's."""
    from training.finetune_data import split_tiles

    folder = tmp_path / "big"
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    (folder / "classes.txt").write_text("dredge\nboat\n")
    for k in range(2):
        Image.new("RGB", (128, 128)).save(folder / "images" / f"s{k}_r000_c000.png")
        (folder / "labels" / f"s{k}_r000_c000.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    given: list[float] = []

    def record(*args: object, tile_m: float = 0.0) -> object:
        given.append(tile_m)
        raise DredgeError("stop here")

    monkeypatch.setattr("training.finetune.split_tiles", record)
    code, output = _train([str(folder), "--from", str(base), "--imgsz", "64",
                           "--out", str(tmp_path / "run")])  # fmt: skip
    assert code == 2 and "stop here" in output and given == [128 * 12.0], output
    # two dates of one reach: a tile every 1200 m on each, either side of a square's edge
    lons = [-73.30 + 1200 * k / 111_081 for k in range(40)]
    tiles = [_placed(f"2024-0{d}", lon, -3.75) for d in (1, 2) for lon in lons]
    for t in tiles:
        t.width = t.height = 128
    split = split_tiles(tiles, 0.25, seed=0, tile_m=given[0])
    assert split.unit == "place"
    for held in split.tiles(tiles, "val"):
        for t in split.tiles(tiles, "train"):
            assert held.place and t.place
            assert abs(held.place[0] - t.place[0]) * 111_081 > 1536


def test_chips_of_dredge_tiles_take_their_place_from_its_index(
    labelled_tiles: list[LabelledTile], tmp_path: Path
) -> None:
    """Chips cut by `dredge tiles` and labelled in CVAT (YOLO, COCO, VOC) had no place: held
    out by scene, other dates of a held-out reach trained. Their tiles.parquet has each
    chip's footprint, read now by chip name."""
    import geopandas as gpd
    import shapely

    from tests.label_fixtures import CLASSES, SPEC
    from training.finetune_data import split_tiles
    from training.labels.classes import ClassMap
    from training.labels.sources import read_label_sets

    folder = write_yolo_set(labelled_tiles, tmp_path / "tiles")
    footprints = [shapely.Point(t.place).buffer(0.003) for t in labelled_tiles if t.place]
    chips = [f"{t.scene}/{t.name}.png" for t in labelled_tiles]
    gpd.GeoDataFrame({"chip": chips}, geometry=footprints, crs="EPSG:4326").to_parquet(
        folder / "tiles.parquet"
    )
    (tiles,) = [s.tiles for s in read_label_sets([folder], ClassMap(CLASSES), SPEC)]
    want = {t.name: t.place for t in labelled_tiles}
    assert all(t.place == pytest.approx(want[t.name]) for t in tiles)
    assert "squares of 5 km" in split_tiles(tiles, 0.25, seed=0, tile_m=768.0).held_out


def test_lr0_given_as_a_setting_is_the_runs_rate_for_the_warm_up_and_the_card(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``lr0=0.0002`` (the only way to set it from the command line) trained at 0.0002, but the
    biases of the trained head warmed up from 0.001 (the default rate), and the card's
    ``training.lr0`` and run.json said 0.001."""
    import shutil

    from detector.offline import import_ultralytics

    import_ultralytics()
    from ultralytics.engine.model import Model

    given: dict[str, object] = {}

    def train(self: object, **settings: object) -> None:  # ultralytics' training, stood in for
        given.update(settings)
        weights = Path(str(settings["project"])) / str(settings["name"]) / "weights"
        weights.mkdir(parents=True)
        shutil.copyfile(base, weights / "best.pt")

    monkeypatch.setattr(Model, "train", train)
    scenes = sorted({t.scene for t in labelled_tiles})[:2]
    labels = write_yolo_set([t for t in labelled_tiles if t.scene in scenes], tmp_path / "y")
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--val-fraction",
                           "0.5", "--out", str(tmp_path / "run"), "lr0=0.0002"])  # fmt: skip
    assert code == 0, output
    assert given["lr0"] == 0.0002 and given["warmup_bias_lr"] == 0.0002
    card = load_card(tmp_path / "run" / "model.pt")
    assert card.training["lr0"] == 0.0002 and "lr0" not in card.training["overrides"]
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    assert manifest["config"]["lr0"] == 0.0002


def test_squares_are_held_out_by_their_share_of_the_tiles() -> None:
    """As the module says (it said round(val_fraction × squares) were held out: here two of
    four squares, of 10 tiles of 45, for 0.25)."""
    from training.finetune_data import _draw_by_tiles

    cells = ["a"] * 30 + ["b"] * 5 + ["c"] * 5 + ["d"] * 5
    drawn = _draw_by_tiles(cells, 0.25, seed=2)
    assert sorted(c for c, side in drawn.items() if side == "val") == ["c", "d"]
    for seed in range(20):
        held = [c for c, side in _draw_by_tiles(cells, 0.25, seed).items() if side == "val"]
        assert 1 <= len(held) < 4
        assert held == ["a"] or sum(cells.count(c) for c in held) <= 0.25 * len(cells) + 2.5


def test_asking_for_more_synthetic_chips_than_the_world_holds_says_how_many_were_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--synthetic 50 over a synthetic world of 3 chips mixed in 3 without a word; now a note
    says so (and asking for no more than it holds says nothing)."""
    from types import SimpleNamespace

    import numpy as np

    from training import finetune

    pixels = np.zeros((64, 64, 3), np.uint8)
    held = [LabelledTile(f"w_{k}", "w", "yolo", 64, 64, pixels=pixels) for k in range(3)]
    monkeypatch.setattr(finetune, "build_yolo_dataset", lambda *a, **k: SimpleNamespace(worlds=[]))
    monkeypatch.setattr(finetune, "read_yolo", lambda *a, **k: list(held))
    base = finetune.BaseModel(None, None, finetune.DEFAULT_SPEC, finetune.CLASSES)
    said: dict[int, list[str]] = {}
    for asked in (50, 3):
        lines: list[str] = []
        config = finetune.FinetuneConfig(synthetic=asked, imgsz=64)
        chips, _ = finetune._synthetic_chips(
            tmp_path, base, config, [tmp_path], False, lines.append
        )
        assert len(chips) == 3
        said[asked] = lines
    assert said[3] == []
    assert said[50] == [
        "note: --synthetic 50: the synthetic world holds 3 chips; all 3 were mixed in"
    ]
    # of one chip, it said 'the synthetic world(s) hold 1 chips; all 1 were mixed in'
    monkeypatch.setattr(finetune, "read_yolo", lambda *a, **k: held[:1])
    lines = []
    config = finetune.FinetuneConfig(synthetic=5, imgsz=64)
    finetune._synthetic_chips(tmp_path, base, config, [tmp_path] * 2, False, lines.append)
    assert lines == ["note: --synthetic 5: the synthetic worlds hold 1 chip; it was mixed in"]


def test_one_unknown_ultralytics_setting_is_named_in_the_singular() -> None:
    """`dredge train … lr00=0.001` said 'unknown ultralytics setting(s) lr00'."""
    from training.finetune_config import FinetuneConfig

    with pytest.raises(DredgeError, match=r"^unknown ultralytics setting lr00 — see `yolo cfg`"):
        FinetuneConfig(overrides={"lr00": 0.001}).check()
    with pytest.raises(DredgeError, match=r"^unknown ultralytics settings lr00, mosiac — see"):
        FinetuneConfig(overrides={"lr00": 0.001, "mosiac": 0.5}).check()


def test_a_class_mapped_twice_to_two_classes_is_one_line() -> None:
    """`--class-map chata=dredge,chata=ignore` (or `Chata=…,chata=…`: names match in any case)
    took the last mapping without a word: every chata box left out as a hard negative."""
    from training.labels.classes import parse_class_map

    assert parse_class_map("chata=dredge, chata=dredge") == {"chata": "dredge"}
    with pytest.raises(DredgeError, match=r"'chata' is mapped twice \(dredge, boat\)"):
        parse_class_map("Chata=dredge,chata=boat")
    args = ["evaluate", "bundled", "labels", "--out", "unused"]
    result = CliRunner().invoke(app, [*args, "--class-map", "chata=dredge,chata=ignore"])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        "error: --class-map: 'chata' is mapped twice (dredge, ignore) — map each name once"
    )
    assert not Path("unused").exists()


def test_one_training_tile_beside_the_held_out_place_is_named_singular(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """'1 training tile(s) beside them left out': the singular now. Four squares in a row, the
    first held out; of the second, one tile lies 500 m from a held-out one."""
    import training.finetune_data as finetune_data

    lat = -3.75
    per_m = 1 / (finetune_data._M_PER_DEGREE * math.cos(math.radians(lat)))
    start = math.floor(-73.3 / per_m / 5000) * 5000  # a square's west edge, in metres
    offsets = [(0, 2400), (0, 2500), (0, 4800), (1, 300), (1, 2500), (1, 2600)]
    offsets += [(k, m) for k in (2, 3) for m in (2400, 2500, 2600)]
    tiles = [_placed("2024-01", (start + 5000 * k + m) * per_m, lat) for k, m in offsets]
    first = finetune_data.place_cell(tiles[0].place or (0.0, 0.0))

    def held_out_first(cells: list[str], val_fraction: float, seed: int) -> dict[str, str]:
        return {cell: "val" if cell == first else "train" for cell in cells}

    monkeypatch.setattr(finetune_data, "_draw_by_tiles", held_out_first)
    split = finetune_data.split_tiles(tiles, 0.25, seed=0, tile_m=768.0)
    assert split.unit == "place", split.held_out
    assert split.held_out.endswith("; 1 training tile beside them left out")
