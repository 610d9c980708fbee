"""Training: a one-epoch run on a tiny world writes weights and a complete card, offline."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

from detector.card import file_sha256, load_card
from detector.cli import app
from detector.errors import DredgeError
from detector.inputspec import InputSpec
from detector.model import load_model
from detector.offline import import_ultralytics
from tests.network import blocked_network
from training.augment import HazeVeil, satellite_augmentations
from training.recipes import CARD_NAME, RECIPES, WEIGHTS_NAME, Extension, Recipe
from training.synth.world import WorldConfig, write_world
from training.train import (
    TrainResult,
    _shift_extensions,
    extend_on_worlds,
    install,
    later_stages,
    train_on_worlds,
)

CARD_KEYS = {"format", "name", "weights", "sha256", "classes", "input", "training", "metrics"}
TRAINING_KEYS = {
    "recipe", "data", "seed", "epochs", "imgsz", "tiles", "instances", "device", "ultralytics",
    "torch", "duration_s", "command",
}  # fmt: skip
METRIC_KEYS = {"precision", "recall", "mAP50", "mAP50-95"}
SPEC = InputSpec(("red", "green", "blue"), gsd_m=12.0, tile_px=64, overlap_px=8, scale="display")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("train") / "seed-199"
    write_world(WorldConfig(seed=199, rivers=("Nanay", "Cenepa"), years=(2024, 2024)), out)
    return out


@pytest.fixture(scope="module")
def run(world: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    recipe = Recipe(
        name="test",
        world_seeds=(199,),
        world_size="small",
        spec=SPEC,
        epochs=1,
        imgsz=64,
        batch=8,
        negatives=0.0,
        val_fraction=0.5,
        refine_epochs=1,
    )
    out = tmp_path_factory.mktemp("run")
    with blocked_network() as attempts:
        result = train_on_worlds([world], out, recipe, progress=False, command="pytest")
    assert not attempts, f"training tried the network: {attempts}"
    return result


def test_one_epoch_writes_weights_and_a_complete_card(run: TrainResult) -> None:
    assert run.weights.name == WEIGHTS_NAME and run.card.name == CARD_NAME
    card = json.loads(run.card.read_text())
    assert CARD_KEYS <= set(card)
    assert card["format"] == 1 and card["name"] == "dredge-yolo11-p2-synth"
    assert card["weights"] == WEIGHTS_NAME
    assert card["sha256"] == file_sha256(run.weights)
    assert card["classes"] == ["dredge", "boat"]
    assert card["input"] == {
        "bands": ["red", "green", "blue"], "gsd_m": 12.0, "tile_px": 64, "overlap_px": 8,
        "scale": "display",
    }  # fmt: skip
    training = card["training"]
    assert TRAINING_KEYS <= set(training)
    assert training["data"] == "synthetic world seeds [199] sizes ['small']"
    assert training["epochs"] == 1 and training["imgsz"] == 64 and training["device"] == "cpu"
    assert training["refine_epochs"] == 1  # the second stage ran: its final weights are these
    refined = run.card.parent / "yolo-refine" / "weights" / "last.pt"
    assert file_sha256(refined) == card["sha256"]
    assert training["tiles"]["train"] > 0 and training["tiles"]["val"] > 0
    assert set(training["instances"]) == {"dredge", "boat"}
    assert training["instances"]["dredge"] > 0
    assert training["command"] == "pytest" and training["duration_s"] > 0
    val = card["metrics"]["val"]
    assert METRIC_KEYS <= set(val)
    assert val["boxes"] > 0  # labelled val dredges: scored (none: every figure null, 0 of 0)
    if val["precision"] is None:  # a 1-epoch model that made no dredge box: 0 of 0 (9a56ec1)
        assert val["predictions"] == 0
    else:
        assert 0.0 <= val["precision"] <= 1.0 and val["predictions"] > 0
    assert all(0.0 <= val[key] <= 1.0 for key in METRIC_KEYS - {"precision"})
    assert 200_000 < run.weights.stat().st_size < 20_000_000


def test_later_stages_on_other_worlds_continue_the_card(
    run: TrainResult, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("extend") / "seed-198"
    write_world(WorldConfig(seed=198, rivers=("Nanay", "Cenepa"), years=(2024, 2024)), other)
    recipe = Recipe(
        "test", (199,), "small", SPEC, epochs=1, imgsz=64, batch=8, negatives=0.0,
        val_fraction=0.5, refine_epochs=1, extensions=(Extension((198,), epochs=1),),
    )  # fmt: skip
    out = tmp_path_factory.mktemp("extended")
    with blocked_network() as attempts:
        third = extend_on_worlds(run.weights, [other], out, recipe, epochs=1, progress=False)
    assert not attempts, f"training tried the network: {attempts}"
    card = json.loads(third.card.read_text())
    first = json.loads(run.card.read_text())["training"]
    (extend,) = card["training"]["extend"]
    assert extend["stage"] == 3 and extend["data"] == "synthetic world seeds [198] sizes ['small']"
    assert extend["epochs"] == 1 and extend["from_sha256"] == file_sha256(run.weights)
    assert extend["tiles"]["train"] > 0 and extend["tiles"]["val"] > 0
    assert card["training"]["data"] == first["data"]  # the first stages' record is kept
    assert card["training"]["duration_s"] > first["duration_s"]
    assert card["sha256"] == file_sha256(out / "yolo-stage3" / "weights" / "last.pt")
    assert card["sha256"] != file_sha256(run.weights)
    assert "stage 3's worlds" in card["metrics"]["val_scope"]
    assert load_card(third.weights).classes == ("dredge", "boat")

    # a fourth stage from the third one's weights appends its record and keeps the third's
    third_sha = file_sha256(third.weights)
    fourth = extend_on_worlds(third.weights, [other], out, recipe, epochs=1, progress=False)
    stages = json.loads(fourth.card.read_text())["training"]["extend"]
    assert [s["stage"] for s in stages] == [3, 4] and stages[0] == extend
    assert stages[1]["from_sha256"] == third_sha
    assert load_card(fourth.weights).sha256 == file_sha256(out / "yolo-stage4/weights/last.pt")


def test_cards_with_one_later_stage_read_as_stage_three() -> None:
    assert later_stages({"extend": {"epochs": 15}}) == [{"stage": 3, "epochs": 15}]
    assert later_stages({}) == []


def test_the_weights_load_and_predict_offline(run: TrainResult, no_network: list[object]) -> None:
    ultralytics = import_ultralytics()
    model = ultralytics.YOLO(str(run.weights))
    assert model.names == {0: "dredge", 1: "boat"}
    result = model.predict(np.zeros((64, 64, 3), np.uint8), imgsz=64, device="cpu", verbose=False)
    assert len(result) == 1


def test_install_refuses_to_overwrite_without_being_told(run: TrainResult, tmp_path: Path) -> None:
    target = tmp_path / "weights"
    copied = install(run.weights.parent, target)
    onnx = WEIGHTS_NAME.replace(".pt", ".onnx")
    assert sorted(p.name for p in copied) == sorted([WEIGHTS_NAME, CARD_NAME, onnx])
    assert file_sha256(target / WEIGHTS_NAME) == file_sha256(run.weights)
    card = load_card(target / WEIGHTS_NAME)  # the installed card describes the ONNX export
    assert card.onnx == onnx and card.onnx_sha256 == file_sha256(target / onnx)
    assert load_model(target / WEIGHTS_NAME, backend="onnx").card.name == card.name
    with pytest.raises(DredgeError, match="pass --overwrite"):
        install(run.weights.parent, target)
    install(run.weights.parent, target, overwrite=True)
    with pytest.raises(DredgeError, match="the training did not finish"):
        install(tmp_path / "empty", target, overwrite=True)


def test_install_whose_export_fails_leaves_the_installed_model_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ONNX export failing after the .pt and card were copied left the new .pt and card
    beside the old model's .onnx (a bundled model whose ONNX was another's); now the three
    files are made beside and moved into place at the end, or not at all."""
    import detector.model
    from tests.model_fixtures import write_untrained_model

    def stand_in_export(weights: Path, out: Path) -> Path:  # a real export takes seconds
        Path(out).write_bytes(b"onnx of " + file_sha256(Path(weights)).encode())
        return Path(out)

    def failing_export(weights: Path, out: Path) -> Path:  # as export_onnx: nothing at out
        raise DredgeError(f"{weights}: ONNX export failed (stand-in)")

    model_name = WEIGHTS_NAME.removesuffix(".pt")
    old_run, new_run, target = tmp_path / "old", tmp_path / "new", tmp_path / "weights"
    write_untrained_model(old_run, name=model_name, seed=1, tile_px=64)
    write_untrained_model(new_run, name=model_name, seed=2, tile_px=64)
    monkeypatch.setattr(detector.model, "export_onnx", stand_in_export)
    installed = install(old_run, target)
    before = {path.name: path.read_bytes() for path in installed}
    monkeypatch.setattr(detector.model, "export_onnx", failing_export)
    with pytest.raises(DredgeError, match="ONNX export failed"):
        install(new_run, target, overwrite=True)
    assert {path.name: path.read_bytes() for path in target.iterdir()} == before
    monkeypatch.setattr(detector.model, "export_onnx", stand_in_export)
    real_replace = os.replace

    def disk_full_at_the_card(source: Path, dest: Path) -> None:
        if Path(dest) == target / CARD_NAME and Path(source).parent.parent == target:
            raise OSError(28, "No space left on device")  # the new card, from the staging
        real_replace(source, dest)

    with monkeypatch.context() as patch:  # the .pt moved in, then the card failed: put back
        patch.setattr(os, "replace", disk_full_at_the_card)
        with pytest.raises(OSError, match="No space left"):
            install(new_run, target, overwrite=True)
    assert {path.name: path.read_bytes() for path in target.iterdir()} == before
    assert install(new_run, target, overwrite=True) == installed
    assert sorted(path.name for path in target.iterdir()) == sorted([*before, "previous"])
    assert {path.name: path.read_bytes() for path in (target / "previous").iterdir()} == before
    assert file_sha256(target / WEIGHTS_NAME) == file_sha256(new_run / WEIGHTS_NAME)
    card = load_card(target / WEIGHTS_NAME)
    assert card.onnx_sha256 == file_sha256(target / card.onnx)


def test_install_removes_the_folders_a_killed_install_left_and_waits_for_a_live_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install killed mid-way left its hidden ``.install-*`` folder (a whole model's copy,
    the old files set aside in it) in the weights folder for ever, another at each kill. The
    next install removes them, in one line, and installs the new model, not a staged one; while
    another install holds the folder it is refused and that install's folder is left alone."""
    import detector.model
    from detector.run_lock import run_lock
    from tests.model_fixtures import write_untrained_model

    def stand_in_export(weights: Path, out: Path) -> Path:  # a real export takes seconds
        Path(out).write_bytes(b"onnx of " + file_sha256(Path(weights)).encode())
        return Path(out)

    monkeypatch.setattr(detector.model, "export_onnx", stand_in_export)
    model_name = WEIGHTS_NAME.removesuffix(".pt")
    old_run, new_run, target = tmp_path / "old", tmp_path / "new", tmp_path / "weights"
    write_untrained_model(old_run, name=model_name, seed=1, tile_px=64)
    write_untrained_model(new_run, name=model_name, seed=2, tile_px=64)
    install(old_run, target, echo=pytest.fail)  # nothing left behind: nothing said
    for name in (".install-k1l2m3", ".install-x9y8z7/replaced"):  # two kills' leftovers
        (target / name).mkdir(parents=True)
        (target / name / WEIGHTS_NAME).write_bytes((old_run / WEIGHTS_NAME).read_bytes())
    with run_lock(target, "dredge train --install"):  # another install works there now
        with pytest.raises(
            DredgeError,
            match=r"another install of a model \(dredge train --install\) is working in this",
        ):
            install(new_run, target, overwrite=True)
    assert (target / ".install-k1l2m3" / WEIGHTS_NAME).is_file()
    said: list[str] = []
    install(new_run, target, overwrite=True, echo=said.append)
    assert said[:1] == [
        f"{target}: removed 2 folders left by an install that was stopped (.install-k1l2m3, "
        ".install-x9y8z7)"
    ]
    assert said[1].startswith(f"{target}: the model it replaced") and len(said) == 2
    assert sorted(path.name for path in target.iterdir()) == sorted(
        [WEIGHTS_NAME, CARD_NAME, f"{model_name}.onnx", "previous"]
    )
    assert file_sha256(target / WEIGHTS_NAME) == file_sha256(new_run / WEIGHTS_NAME)
    assert load_card(target / WEIGHTS_NAME).sha256 == file_sha256(new_run / WEIGHTS_NAME)


def test_cli_refuses_an_unknown_recipe() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["train", "--out", "unused", "--recipe", "huge"])
    assert result.exit_code == 2 and "unknown recipe 'huge'; known: default" in result.output
    assert not Path("unused").exists()


def test_options_of_label_training_without_labels_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge train --scenes planet/ --rivers rivers.gpkg --out runs/ft` with the LABELS
    forgotten (or an unset `$LABELS`) started the synthetic recipe, about 2 h 40 min on two
    cores, with --scenes, --rivers, --from, --synthetic, --class-map … ignored without a
    word. Now one line before any work."""
    import training.train

    started: list[Path] = []
    monkeypatch.setattr(training.train, "train_default", lambda out, **_: started.append(out))
    out = str(tmp_path / "ft")
    for given in (
        ["--scenes", "planet/", "--rivers", "rivers.gpkg"],
        ["--from", "m.pt"],
        ["--synthetic", "200"],
        ["--class-map", "chata=dredge"],
        ["--val-fraction", "0.5"],
    ):
        result = CliRunner().invoke(app, ["train", *given, "--out", out])
        assert result.exit_code == 2, (given, result.output)
        said = " ".join(result.output.split())
        assert said.startswith(f"error: {given[0]}") and "train on labels, and no LABELS" in said
    assert not started and not (tmp_path / "ft").exists()


def test_a_recipe_out_that_is_a_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge train --out FILE` (the synthetic recipe; or --out below a file) stopped on
    FileExistsError's traceback from its mkdir, exit 3, 'this is a bug in dredge'."""
    import training.train

    started: list[Path] = []
    monkeypatch.setattr(training.train, "train_default", lambda out, **_: started.append(out))
    a_file = tmp_path / "notes.txt"
    a_file.write_text("a file\n")
    for out in (a_file, a_file / "run"):
        result = CliRunner().invoke(app, ["train", "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == (
            f"error: {a_file}: is a file, not a folder — choose another --out"
        ), result.stderr
    assert not started


def test_a_recipe_model_in_out_is_replaced_only_with_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge train` (the recipe) run again into an --out holding its trained model (the
    default runs/train: a second run with another --seed) replaced the weights and card after
    its hours, without --overwrite, which --help says replaces a previous run. Now one line
    before any world is drawn; with --overwrite, or in a folder without a model (a stopped run
    whose worlds and dataset are reused), it trains."""
    import training.train

    started: list[Path] = []
    val = dict.fromkeys(("precision", "recall", "f1", "mAP50"), 0.5)

    def stand_in(out: Path, **_: object) -> SimpleNamespace:
        started.append(out)
        return SimpleNamespace(weights=out / WEIGHTS_NAME, card=out / CARD_NAME,
                               duration_s=1.0, metrics={"val": val})  # fmt: skip

    monkeypatch.setattr(training.train, "train_default", stand_in)
    out = tmp_path / "train"
    out.mkdir()
    (out / "worlds").mkdir()  # a stopped run: its worlds are reused
    result = CliRunner().invoke(app, ["train", "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert started == [out]
    for name in (WEIGHTS_NAME, CARD_NAME):
        (out / name).write_text("a trained model\n")
    result = CliRunner().invoke(app, ["train", "--out", str(out), "--no-progress"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert said.startswith(f"error: {out / WEIGHTS_NAME}: exists, and so do {out / CARD_NAME}")
    assert "pass --overwrite" in said and started == [out]
    result = CliRunner().invoke(app, ["train", "--out", str(out), "--overwrite", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert started == [out, out]


def test_train_without_labels_or_recipe_says_what_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge train` with no LABELS and no --recipe started the default synthetic recipe
    (about 2 h 40 min on two cores) into runs/train without a word. Now one note first: what
    it trains, how long, where, and to give LABELS to train on labelled tiles instead."""
    started: list[Path] = []

    def first_world(seeds: object, size: object, folder: Path, **_: object) -> None:
        started.append(folder)  # the recipe's first step, after its checks: stop there
        raise DredgeError("stopped before the first world")

    monkeypatch.setattr("training.train.make_worlds", first_world)
    out = tmp_path / "train"
    result = CliRunner().invoke(app, ["train", "--out", str(out), "--no-progress"])
    assert result.exit_code == 2 and started == [out / "worlds"], result.output
    assert result.stderr.splitlines() == [
        f"note: no LABELS given — training the synthetic recipe 'default' from scratch (about "
        f"2 h 40 min on two CPU cores) into {out}; to fine-tune on labelled tiles instead, give "
        "them: dredge train LABELS … --out OUT",
        "error: stopped before the first world",
    ], result.stderr
    other = tmp_path / "asked"  # --recipe given: what it asked for, no note
    result = CliRunner().invoke(
        app, ["train", "--recipe", "default", "--out", str(other), "--no-progress"]
    )
    assert result.exit_code == 2 and started == [out / "worlds", other / "worlds"]
    assert result.stderr.splitlines() == ["error: stopped before the first world"]


def test_the_recipe_note_does_not_give_its_hours_for_a_shortened_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge train --epochs 1` without LABELS said the run took "about 2 h 40 min on two CPU
    cores", the time of the recipe's own settings; the note now says the time is theirs, not
    that of the --epochs (and --imgsz, --worlds) given."""

    def first_world(seeds: object, size: object, folder: Path, **_: object) -> None:
        raise DredgeError("stopped before the first world")

    monkeypatch.setattr("training.train.make_worlds", first_world)
    out = tmp_path / "train"
    given = ["--epochs", "1", "--worlds", "1"]
    result = CliRunner().invoke(app, ["train", *given, "--out", str(out), "--no-progress"])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0] == (
        "note: no LABELS given — training the synthetic recipe 'default' from scratch (about "
        "2 h 40 min on two CPU cores at its own settings, not the --epochs and --worlds given) "
        f"into {out}; to fine-tune on labelled tiles instead, give them: dredge train LABELS … "
        "--out OUT"
    ), result.stderr


def test_the_recipe_note_gives_its_hours_for_options_of_the_recipes_own_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge train --epochs 30 --worlds 9` (the recipe's own values) runs the recipe's hours;
    the note said its time was not that of the --epochs and --worlds given. An option of
    another value (--imgsz 64) is still named."""

    def first_world(seeds: object, size: object, folder: Path, **_: object) -> None:
        raise DredgeError("stopped before the first world")

    monkeypatch.setattr("training.train.make_worlds", first_world)
    default = RECIPES["default"]
    out = tmp_path / "train"
    given = ["--epochs", str(default.epochs), "--worlds", str(len(default.world_seeds))]
    result = CliRunner().invoke(app, ["train", *given, "--out", str(out), "--no-progress"])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0] == (
        "note: no LABELS given — training the synthetic recipe 'default' from scratch (about "
        f"2 h 40 min on two CPU cores) into {out}; to fine-tune on labelled tiles instead, give "
        "them: dredge train LABELS … --out OUT"
    ), result.stderr
    result = CliRunner().invoke(
        app, ["train", *given, "--imgsz", "64", "--out", str(out), "--no-progress"]
    )
    assert "at its own settings, not the --imgsz given)" in result.stderr, result.stderr
    result = CliRunner().invoke(
        app, ["train", "--epochs", "1", "--imgsz", "64", "--worlds", "1", "--out", str(out)]
    )  # three options named as a list ("--epochs and --imgsz and --worlds" before)
    assert "not the --epochs, --imgsz and --worlds given)" in result.stderr, result.stderr


def test_recipe_seeds_stay_in_the_reserved_range() -> None:
    assert all(101 <= seed <= 199 for seed in RECIPES["default"].world_seeds)
    with pytest.raises(DredgeError, match="1–20 are for tests"):
        Recipe("x", (1,), "small", SPEC, epochs=1, imgsz=64, batch=8, negatives=0, val_fraction=0.5)
    default = RECIPES["default"]
    later = [seed for stage in default.extensions for seed in stage.world_seeds]
    assert len({*default.world_seeds, *later}) == len(default.world_seeds) + len(later)
    assert all(101 <= seed <= 199 for seed in later)
    for stages in [(Extension((101,), 1),), (Extension((102,), 1), Extension((102,), 1))]:
        with pytest.raises(DredgeError, match="must differ"):
            Recipe(
                "x", (101,), "small", SPEC, epochs=1, imgsz=64, batch=8, negatives=0,
                val_fraction=0.5, extensions=stages,
            )  # fmt: skip
    for stage in [Extension((102,), 0), Extension((), 1)]:
        with pytest.raises(DredgeError, match="needs epochs"):
            Recipe(
                "x", (101,), "small", SPEC, epochs=1, imgsz=64, batch=8, negatives=0,
                val_fraction=0.5, extensions=(stage,),
            )  # fmt: skip


def test_fewer_first_worlds_shift_the_later_stages_worlds_after_them() -> None:
    stages = (Extension((110, 111), 5), Extension((112, 113, 114), 7))
    assert _shift_extensions(stages, 3) == (
        Extension((104, 105), 5),
        Extension((106, 107, 108), 7),
    )
    # past the reserved seeds (101–199) a stage keeps what is left, or is dropped
    assert _shift_extensions(stages, 97) == (Extension((198, 199), 5),)


def test_the_recipe_cuts_its_chips_at_the_size_it_trains_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``dredge train --recipe default --imgsz 64`` cut 128 px chips and trained at 64 px:
    ultralytics shrank every chip to half, a model of 6 m pixels whose card said 3 m (and
    ``--imgsz 256`` one of 1.5 m pixels). The chips are now cut at ``--imgsz`` ("tiles are
    cut, never resized")."""
    from training.train import train_default

    given: list[Recipe] = []

    def stop(worlds: object, out_dir: Path, recipe: Recipe, **kwargs: object) -> None:
        given.append(recipe)
        raise DredgeError("stop here")

    monkeypatch.setattr("training.train.make_worlds", lambda *a, **k: [tmp_path / "w"])
    monkeypatch.setattr("training.train.train_on_worlds", stop)
    for imgsz, chips in ((64, 64), (256, 256), (None, 128)):
        with pytest.raises(DredgeError, match="stop here"):
            train_default(tmp_path / "r", imgsz=imgsz, progress=False)
        recipe = given.pop()
        assert recipe.train_spec.tile_px == recipe.imgsz == chips
        assert recipe.train_spec.gsd_m == recipe.spec.gsd_m == 3.0


def test_a_device_the_recipe_cannot_train_on_is_one_line_before_drawing_worlds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``dredge train --device gpu`` (or ``--device cuda`` where no GPU is visible) drew the
    recipe's nine worlds first, minutes of work, and only then said the device was wrong."""
    import torch

    from training.train import train_default

    def no_worlds(*args: object, **kwargs: object) -> None:
        raise AssertionError("worlds were drawn")

    monkeypatch.setattr("training.train.make_worlds", no_worlds)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for device, said in (("gpu", "--device must be cpu or cuda"), ("cuda", "no CUDA GPU")):
        with pytest.raises(DredgeError, match=said):
            train_default(tmp_path / "r", device=device, progress=False)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("command", ["train", "run"])
def test_the_recipe_into_the_folder_of_another_run_is_one_line_before_drawing_worlds(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``dredge train --out runs/ft`` with the LABELS forgotten (an unset ``$LABELS``) ran the
    synthetic recipe into the fine-tune's run folder: its nine worlds drawn there, minutes,
    then "runs/ft/dataset: overwrite only replaces a dataset folder"; into the folder of a
    `dredge run` nothing stopped it, and worlds/, dataset/ and yolo/ went among the run's
    files."""

    def no_worlds(*args: object, **kwargs: object) -> None:
        raise AssertionError("worlds were drawn")

    monkeypatch.setattr("training.train.make_worlds", no_worlds)
    out = tmp_path / "runs" / "ft"
    out.mkdir(parents=True)
    outputs = {"weights": "model.pt"} if command == "train" else {"detections": "x.parquet"}
    (out / "run.json").write_text(json.dumps({"format": 1, "outputs": outputs}))
    result = CliRunner().invoke(app, ["train", "--out", str(out), "--no-progress"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "holds the run of another command (its run.json" in lines[0]
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]


def test_more_first_worlds_than_reserved_seeds_is_one_line_before_drawing_any(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--worlds 120`` was taken as the 99 reserved seeds (101–199), without the later
    stages, and the card's command said ``--worlds 99``, without a word."""
    from training.train import train_default

    def no_worlds(*args: object, **kwargs: object) -> None:
        raise AssertionError("worlds were drawn")

    monkeypatch.setattr("training.train.make_worlds", no_worlds)
    for worlds in (100, 120, 0):
        with pytest.raises(DredgeError, match=rf"--worlds must be 1–99 .*101–199\), got {worlds}"):
            train_default(tmp_path / "r", worlds=worlds, progress=False)
    assert not (tmp_path / "r").exists()


def test_augmentations_survive_ultralytics_serialisation() -> None:
    import albumentations as A

    import_ultralytics()
    from ultralytics.data.augment import Albumentations

    stored = [A.to_dict(t) for t in satellite_augmentations()]
    wrapper = Albumentations(p=1.0, transforms=stored)
    assert wrapper.transform is not None and wrapper.contains_spatial
    assert any(isinstance(t, HazeVeil) for t in wrapper.transform.transforms)
    veil = HazeVeil(alpha_range=(0.3, 0.3), brightness_range=(0.9, 0.9), p=1.0)
    dark = np.zeros((32, 32, 3), np.uint8)
    hazy = veil(image=dark)["image"]
    assert hazy.dtype == np.uint8 and 30 < hazy.mean() < 70  # 0.15–0.3 of 0.9 × 255


def test_the_haze_veils_opacity_is_the_range_its_docstring_gives() -> None:
    """Never above the drawn opacity, and half of it or more but where the cubic upsampling of
    the 4 × 4 field overshoots (the docstring said half to all: 0.38 of it was drawn, on 1.6 %
    of the pixels, over 5,000 chips)."""
    veil = HazeVeil(alpha_range=(0.2, 0.2), p=1.0)
    veil.set_random_seed(0)
    image = np.zeros((128, 128, 3), np.uint8)
    shares = []
    for _ in range(300):
        alpha = veil.get_params_dependent_on_data({"shape": image.shape}, {"image": image})["alpha"]
        assert alpha.max() <= 0.2 + 1e-6 and alpha.min() >= 0.3 * 0.2
        shares.append(float((alpha < 0.5 * 0.2 - 1e-6).mean()))
    assert 0 < np.mean(shares) < 0.03
    assert "down to about 0.3 of it, on some 2 % of the chip" in " ".join(
        str(HazeVeil.__doc__).split()
    )


def test_the_scale_jitter_is_the_gsd_range_the_augmentation_module_gives() -> None:
    """Ultralytics zooms a chip by 1 ± ``scale``: 3 m became 2.5–3.75 m, where the module said
    2.4–3.6 m (3 m × (1 ± 0.2))."""
    import random

    import training.augment as module

    import_ultralytics()  # offline, as training imports it
    from ultralytics.data.augment import RandomPerspective

    jitter = RandomPerspective(scale=module.ultralytics_overrides()["scale"])
    image = np.zeros((64, 64, 3), np.uint8)
    random.seed(0)
    zooms = [jitter._compute_affine_matrix(image, (64, 64))[1] for _ in range(2000)]
    finest, coarsest = 3.0 / max(zooms), 3.0 / min(zooms)
    assert finest == pytest.approx(2.5, abs=0.01) and coarsest == pytest.approx(3.75, abs=0.02)
    assert "3 m becomes 2.5–3.75 m" in " ".join(str(module.__doc__).split())


def test_cli_hands_workers_to_the_recipe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """--workers (default: one per usable core) reaches the recipe; with labels it is refused."""
    from training.processes import usable_cores

    seen: list[int] = []

    def stop(out: Path, **kwargs: object) -> None:
        seen.append(int(kwargs["workers"]))  # type: ignore[call-overload]
        raise DredgeError("stopped before any work")

    monkeypatch.setattr("training.train.train_default", stop)
    runner = CliRunner()
    for extra, expected in (([], usable_cores()), (["--workers", "3"], 3)):
        result = runner.invoke(app, ["train", "--out", str(tmp_path / "r"), *extra])
        assert result.exit_code != 0 and "stopped before any work" in result.output
        assert seen[-1] == expected
    result = runner.invoke(app, ["train", "--out", str(tmp_path / "r"), "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output
    labels = tmp_path / "labels.geojson"
    labels.write_text('{"type": "FeatureCollection", "features": []}')
    result = runner.invoke(app, ["train", str(labels), "--workers", "2", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--workers" in result.output and "leave them" in result.output


def test_a_card_records_its_architecture_relative_to_the_repository(tmp_path: Path) -> None:
    """`recipe_values.architecture` was the training machine's absolute path
    (`/work/main/training/models/dredge-yolo11-p2.yaml`), as `training.architecture` is not."""
    from dataclasses import replace

    from training.recipes import recipe_json

    assert recipe_json(RECIPES["default"])["architecture"] == (
        "training/models/dredge-yolo11-p2.yaml"
    )
    outside = replace(RECIPES["default"], architecture=str(tmp_path / "m.yaml"))
    assert recipe_json(outside)["architecture"] == "m.yaml"
    named = replace(RECIPES["default"], architecture="yolo11n.yaml")
    assert recipe_json(named)["architecture"] == "yolo11n.yaml"


def test_installing_over_one_file_of_a_model_says_it_exists(tmp_path: Path) -> None:
    """'model.pt already exist(s)': the singular now."""
    from training.train import check_install_target

    (tmp_path / WEIGHTS_NAME).write_bytes(b"")
    with pytest.raises(DredgeError, match=r"already exists — pass --overwrite"):
        check_install_target(tmp_path)
