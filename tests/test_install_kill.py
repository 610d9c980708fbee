"""An install killed while it moved the model's files into place: the next install puts the
previous model back whole (or keeps the new one, had the install finished), never a mix."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from detector.card import file_sha256, load_card
from detector.errors import DredgeError
from detector.run_lock import LOCK_NAME
from training.recipes import CARD_NAME, WEIGHTS_NAME
from training.train import (
    MODEL_FILES,
    PREVIOUS_DIR,
    check_install_target,
    install,
    remove_stale_installs,
    whole_model,
)


def stand_in_export(weights: Path, out: Path) -> Path:  # a real export takes seconds
    Path(out).write_bytes(b"onnx of " + file_sha256(Path(weights)).encode())
    return Path(out)


def model_files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in MODEL_FILES if (folder / name).exists()}


def test_an_install_killed_at_each_move_leaves_a_whole_model_after_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The weights folder as a kill left it before each move of an install (the old ``.pt``,
    card, ``.onnx`` set aside in ``.install-*/replaced`` one by one, then the new ones placed
    one by one), after the last, and with the staging folder half deleted: the next install's
    clean-up leaves the old model whole where the install had not finished, the new one where
    it had. The set-aside copy was deleted, the folder left without a whole model (the old
    model lost: 5 of the 7 states), and where all three were set aside an install without
    --overwrite went on (the folder looked empty)."""
    import detector.model
    from tests.model_fixtures import write_untrained_model

    monkeypatch.setattr(detector.model, "export_onnx", stand_in_export)
    model_name = WEIGHTS_NAME.removesuffix(".pt")
    old_run, new_run, target = tmp_path / "old", tmp_path / "new", tmp_path / "weights"
    write_untrained_model(old_run, name=model_name, seed=1, tile_px=64)
    write_untrained_model(new_run, name=model_name, seed=2, tile_px=64)
    install(old_run, target)
    old = model_files(target)
    states: list[Path] = []
    moves = 0
    real_replace = os.replace

    def snapshot() -> None:  # the folder as a kill (no clean-up of any kind) leaves it
        copy = tmp_path / f"killed-{len(states)}"
        shutil.copytree(target, copy, ignore=shutil.ignore_patterns(LOCK_NAME))
        states.append(copy)

    def replace_and_snapshot(source: Path, dest: Path) -> None:
        nonlocal moves
        moving = Path(dest).parent.name == "replaced" or (
            Path(dest).parent == target and Path(dest).name != PREVIOUS_DIR  # after the moves
        )
        if moving:
            snapshot()  # killed before this move
        real_replace(source, dest)
        moves += moving
        if moving and moves == 2 * len(MODEL_FILES):
            snapshot()  # killed after the last move, before the staging folder was deleted

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", replace_and_snapshot)
        install(new_run, target, overwrite=True)
    new = model_files(target)
    assert len(states) == 7 and old != new
    half_deleted = tmp_path / "killed-cleaning"  # the staging folder's deletion stopped
    shutil.copytree(states[-1], half_deleted)
    for leftover in half_deleted.glob(".install-*/replaced"):
        (leftover / CARD_NAME).unlink()
    assert [whole_model(state) for state in states] == [True, *[False] * 5, True]
    for state, expected in [*((s, old) for s in states[:-1]), (states[-1], new)]:
        assert any(state.glob(".install-*"))
        with pytest.raises(DredgeError, match="pass --overwrite"):
            check_install_target(state)  # the set-aside model counts as there
        removed, restored = remove_stale_installs(state)
        assert len(removed) == 1 and not any(state.glob(".install-*"))
        assert [state.name, model_files(state)] == [state.name, expected], restored
        assert whole_model(state)
    # killed after the moves, before the old model was kept: kept by the clean-up
    assert model_files(states[-1] / PREVIOUS_DIR) == old
    assert not any((state / PREVIOUS_DIR).exists() for state in states[:-1])
    remove_stale_installs(half_deleted)
    assert model_files(half_deleted) == new
    assert not (half_deleted / PREVIOUS_DIR).exists()  # not a part of a model


def test_the_next_install_says_it_put_the_old_model_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All three old files set aside and the new ``.pt`` placed when the install was killed:
    the next install puts the old model back, says so in the one line, and installs."""
    import detector.model
    from tests.model_fixtures import write_untrained_model

    monkeypatch.setattr(detector.model, "export_onnx", stand_in_export)
    model_name = WEIGHTS_NAME.removesuffix(".pt")
    old_run, new_run, target = tmp_path / "old", tmp_path / "new", tmp_path / "weights"
    write_untrained_model(old_run, name=model_name, seed=1, tile_px=64)
    write_untrained_model(new_run, name=model_name, seed=2, tile_px=64)
    install(old_run, target)
    aside = target / ".install-k1l2m3" / "replaced"
    aside.mkdir(parents=True)
    for name in MODEL_FILES:
        os.replace(target / name, aside / name)
    shutil.copyfile(new_run / WEIGHTS_NAME, target / WEIGHTS_NAME)
    said: list[str] = []
    install(new_run, target, overwrite=True, echo=said.append)
    assert said[:1] == [
        f"{target}: removed 1 folder left by an install that was stopped (.install-k1l2m3); "
        f"put back the previous model's {', '.join(MODEL_FILES)} it had set aside"
    ]
    assert said[1].startswith(f"{target}: the model it replaced") and len(said) == 2
    assert whole_model(target)
    assert file_sha256(target / WEIGHTS_NAME) == file_sha256(new_run / WEIGHTS_NAME)


def test_a_second_install_while_one_moves_files_is_told_of_that_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install without --overwrite while another moved the model's files into place (the
    old ones set aside in its ``.install-*/replaced``) was refused as ".../replaced/<model>.pt
    already exists — pass --overwrite", and passing it met the lock: it is told of the other
    install at once, as one with --overwrite is; with no install there, the model is there."""
    import detector.model
    from detector.run_lock import INSTALL_COMMAND, run_lock
    from tests.model_fixtures import write_untrained_model

    monkeypatch.setattr(detector.model, "export_onnx", stand_in_export)
    run, target = tmp_path / "run", tmp_path / "weights"
    write_untrained_model(run, name=WEIGHTS_NAME.removesuffix(".pt"), seed=1, tile_px=64)
    install(run, target)
    aside = target / ".install-k1l2m3" / "replaced"  # the other install, half way
    aside.mkdir(parents=True)
    for name in MODEL_FILES:
        os.replace(target / name, aside / name)
    working = r"another install of a model \(dredge train --install\) is working in this folder"
    with run_lock(target, INSTALL_COMMAND):
        for overwrite in (False, True):
            with pytest.raises(DredgeError, match=working):
                install(run, target, overwrite=overwrite)
        shutil.copyfile(run / WEIGHTS_NAME, target / WEIGHTS_NAME)  # its first new file placed
        with pytest.raises(DredgeError, match=working):
            install(run, target)
    assert sorted(path.name for path in aside.iterdir()) == sorted(MODEL_FILES)
    with pytest.raises(DredgeError, match="already exist — pass --overwrite"):
        install(run, target)  # the stopped install's set-aside model counts as there


def test_train_install_checks_the_weights_folder_under_the_install_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge train --install` checked the weights folder before its hours of training without
    the install's lock: a second one started while the first trained passed the same check and
    trained too, one of the two to fail or replace the other's model at the end. The lock is
    held from the check to the install now: the second is refused in one line before it trains
    (the training and the install are stand-ins here; nothing is trained)."""
    from typer.testing import CliRunner

    import detector.model
    import training.train
    from detector.cli import app
    from training.train import TrainResult

    target = tmp_path / "weights"
    target.mkdir()
    monkeypatch.setattr(detector.model, "WEIGHTS_DIR", target)
    trained: list[Path] = []
    second: list[str] = []
    metrics = {"val": dict.fromkeys(("precision", "recall", "f1", "mAP50"), 0.5)}

    def train_default(out: Path, **settings: object) -> TrainResult:
        trained.append(out)
        if len(trained) == 1:  # the second command, typed while the first trains
            later = CliRunner().invoke(app, ["train", "--install", "--out", str(tmp_path / "b")])
            second.append(later.output)
        return TrainResult(out / WEIGHTS_NAME, out / CARD_NAME, metrics, 1.0)

    def stand_in_install(run_dir: Path, weights_dir: Path, **settings: object) -> list[Path]:
        return [weights_dir / WEIGHTS_NAME]

    monkeypatch.setattr(training.train, "train_default", train_default)
    monkeypatch.setattr(training.train, "install_held", stand_in_install)
    first = CliRunner().invoke(app, ["train", "--install", "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    assert trained == [tmp_path / "a"]  # the second was not trained (it was)
    assert "another install of a model (dredge train --install) is working" in second[0]
    assert f"installed {target / WEIGHTS_NAME}" in first.output
    assert not (target / LOCK_NAME).exists()  # released with the first command


def test_an_install_over_a_model_keeps_the_one_it_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge train --install --overwrite` deleted the model it replaced with its staging
    folder (the only way back was `git checkout detector/weights`). It is kept now in
    ``previous/`` until the next install (one generation: the folder does not grow), the line
    says where and how to put it back, that command puts it back whole, and the kept copy is
    neither the bundled model nor counted as a model in the folder."""
    import detector.model
    from detector.model import bundled_weights
    from tests.model_fixtures import write_untrained_model

    monkeypatch.setattr(detector.model, "export_onnx", stand_in_export)
    model_name = WEIGHTS_NAME.removesuffix(".pt")
    runs = [tmp_path / f"run{seed}" for seed in (1, 2, 3)]
    for seed, run in enumerate(runs, start=1):
        write_untrained_model(run, name=model_name, seed=seed, tile_px=64)
    target = tmp_path / "weights"
    kept = target / PREVIOUS_DIR
    install(runs[0], target, echo=pytest.fail)  # nothing replaced: nothing kept, nothing said
    first = model_files(target)
    said: list[str] = []
    install(runs[1], target, overwrite=True, echo=said.append)
    assert model_files(kept) == first  # the replaced model, whole (it was deleted)
    assert said == [
        f"{target}: the model it replaced ({load_card(kept / WEIGHTS_NAME).name}, sha256 "
        f"{file_sha256(target / PREVIOUS_DIR / WEIGHTS_NAME)[:12]}…) is kept in {kept} until "
        f"the next install — to put it back: cp {kept}/* {target}/"
    ]
    second = model_files(target)
    monkeypatch.setattr(detector.model, "DEFAULT_WEIGHTS", target / WEIGHTS_NAME)
    assert bundled_weights() == target / WEIGHTS_NAME  # the kept copy is not the model
    assert file_sha256(bundled_weights()) == file_sha256(runs[1] / WEIGHTS_NAME)
    install(runs[2], target, overwrite=True, echo=said.append)
    assert model_files(kept) == second  # one generation: the first is gone
    assert sorted(p.name for p in target.iterdir()) == sorted([*MODEL_FILES, PREVIOUS_DIR])
    assert sorted(p.name for p in kept.iterdir()) == sorted(MODEL_FILES)
    for path in kept.iterdir():  # the line's `cp kept/* target/`
        shutil.copyfile(path, target / path.name)
    assert model_files(target) == second and whole_model(target)
    for name in MODEL_FILES:  # the model deleted by hand, the kept one left
        (target / name).unlink()
    check_install_target(target)  # the kept model is not one in the folder: no --overwrite
