"""Fine-tuning on labels: one short epoch over every format, a complete card, settings and
bad labels refused in one line, the held-out scores and the `--synthetic` note.

What a run does to its --out folder, --from and --device is in test_finetune_options.py; how
tiles are cut into chips and held out by place, in test_finetune_places.py."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from detector.card import file_sha256, load_card
from detector.cli import app
from detector.errors import DredgeError
from tests import finetune_fixtures
from tests.finetune_fixtures import _no_training, _placed, _train, no_work
from tests.label_fixtures import truth_frame, write_coco_set, write_voc_set, write_yolo_set
from tests.network import blocked_network
from training.finetune import worse_than_before
from training.finetune_config import parse_overrides
from training.labels.table import LabelledTile

# The module fixture this module builds for itself (see tests/finetune_fixtures.py).
base = finetune_fixtures.base


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


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (["lr0=abc"], "'lr0=abc' is of invalid type str"),
        (["lr0=5"], "Valid 'lr0' values are between 0.0 and 1.0"),
        (["--epochs", "0"], "--epochs must be ≥ 1, got 0"),  # was 10 epochs
        # these said "use the command's options", and train has no option to resume, nor a
        # --project or --model
        (
            ["resume=True"],
            "resume=… cannot be set as key=value — a stopped training cannot "
            "be resumed: run the command again, it starts over from the first epoch",
        ),
        (["model=yolo11n.pt"], "model=… cannot be set as key=value — use --from"),
        (
            ["project=x", "name=y"],
            "name=…, project=… cannot be set as key=value — name=: "
            "--out names the run's folder, --name the model in its card; project=: --out",
        ),
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


def test_the_val_scope_of_one_held_out_tile_is_singular(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One held-out tile: the card's ``val_scope`` said "(1 tiles)"; and of one held-out
    scene (or place) it said "the held-out scenes": now the count of them, in its number."""
    from types import SimpleNamespace

    from training import finetune

    evaluation = SimpleNamespace(matching=SimpleNamespace(describe=lambda: "IoU ≥ 0.5"), conf=0.25)
    monkeypatch.setattr(finetune, "load_model", lambda *a, **k: None)
    monkeypatch.setattr(finetune, "evaluate_tiles", lambda *a, **k: (evaluation, None))
    monkeypatch.setattr(finetune, "card_metrics", lambda *a, **k: {"val": {}})
    base = finetune.BaseModel(None, None, finetune.DEFAULT_SPEC, finetune.CLASSES)

    def scope(tiles: list[LabelledTile], unit: str) -> str:
        units = finetune._held_out_units(tiles, unit)
        metrics = finetune._val_metrics(tmp_path / "m.pt", base, tiles, "cpu", unit, units)
        return str(metrics["val_scope"])

    one = [LabelledTile("a", "s1", "l.gpkg", 64, 64, place=(-73.3, -3.75))]
    assert scope(one, "scene") == (
        "whole tiles of 1 held-out scene (1 tile), IoU ≥ 0.5, score ≥ 0.25"
    )
    three = [*one, LabelledTile("b", "s2", "l.gpkg", 64, 64, place=(-73.3, -3.75)),
             LabelledTile("c", "s2", "l.gpkg", 64, 64, place=(-73.0, -3.75))]  # fmt: skip
    assert scope(three, "scene").startswith("whole tiles of 2 held-out scenes (3 tiles), ")
    assert scope(three, "place").startswith("whole tiles of 2 held-out places (3 tiles), ")
    assert scope(one, "place").startswith("whole tiles of 1 held-out place (1 tile), ")


def test_the_card_names_chips_and_whole_tiles_apart(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The card's ``training.tiles`` gave train/val *chip* counts beside ``val_tiles``, which
    counts whole tiles. ``chips`` names the chips now, ``train_tiles``/``val_tiles`` the whole
    tiles (they add up to the labelled tiles), ``tiles`` keeps the chip counts for older
    readers, and a card written before (without ``chips``) still loads."""
    monkeypatch.setattr("training.finetune._train", _no_training(base))
    scenes = sorted({t.scene for t in labelled_tiles})[:2]
    tiles = [t for t in labelled_tiles if t.scene in scenes]
    labels = write_yolo_set(tiles, tmp_path / "y")
    out = tmp_path / "run"
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--seed", "1",
                           "--val-fraction", "0.5", "--out", str(out)])  # fmt: skip
    assert code == 0, output
    training = load_card(out / "model.pt").training
    (line,) = [line for line in output.splitlines() if line.startswith("dataset: ")]
    chips = re.match(r"dataset: train (\d+) chips? from .*, val (\d+) chips? from", line)
    assert chips is not None, line
    assert training["chips"] == {"train": int(chips[1]), "val": int(chips[2])}
    assert training["tiles"] == training["chips"]  # as older cards had them
    assert training["train_tiles"] + training["val_tiles"] == len(tiles)
    assert training["train_tiles"] > 0 and training["val_tiles"] > 0
    card = json.loads((out / "model.card.json").read_text(encoding="utf-8"))
    for key in ("chips", "train_tiles"):  # a card written before
        del card["training"][key]
    (out / "model.card.json").write_text(json.dumps(card), encoding="utf-8")
    assert load_card(out / "model.pt").training["tiles"] == training["tiles"]
