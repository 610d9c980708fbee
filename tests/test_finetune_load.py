"""How `dredge train LABELS` loads its starting model and hands it to ultralytics' trainer:
safely (weights_only), from the file as named, offline; and batch=N as the run's batch.

Ultralytics' training itself is replaced by :func:`_fit_stand_in` (it records what it was given
and writes the starting weights as ``best.pt``): these tests are of what reaches the trainer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from detector.card import ModelCard, load_card
from detector.cli import app
from tests.label_fixtures import CLASSES, SPEC, write_tiny_model, write_yolo_set
from tests.network import blocked_network
from training.labels.table import LabelledTile


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("base"))


def _train(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["train", *args, "--no-progress"])
    return result.exit_code, result.output


def _fit_stand_in(base: Path, given: list[dict[str, Any]]) -> Any:
    """A stand-in for ultralytics' ``Model.train``: records the model and settings it was
    given, and 'trains' by writing the starting weights as the run's best.pt."""

    def train(self: Any, **settings: Any) -> None:
        given.append({"model": self.model, **settings})
        weights = Path(settings["project"]) / settings["name"] / "weights"
        weights.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(base, weights / "best.pt")

    return train


@pytest.fixture
def fits(base: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    from detector.offline import import_ultralytics

    import_ultralytics()
    from ultralytics.engine.model import Model

    given: list[dict[str, Any]] = []
    monkeypatch.setattr(Model, "train", _fit_stand_in(base, given))
    return given


def _carrying_code(path: Path, marker: Path) -> Path:
    """A .pt whose pickle, unpickled in full, writes ``marker`` (and does nothing else), with
    a card that describes it (its sha256), as a model shared with a run would have."""
    import torch

    class Payload:
        def __reduce__(self) -> tuple[Any, ...]:
            return (exec, (f"open({str(marker)!r}, 'w').write('ran')",))

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": Payload()}, path)
    card = ModelCard.describe(path, name="shared", classes=CLASSES, input=SPEC)
    card.save(path.with_name(f"{path.stem}.card.json"))
    return path


def test_a_starting_model_that_carries_code_is_refused_without_running_it(
    labelled_tiles: list[LabelledTile], tmp_path: Path, fits: list[dict[str, Any]]
) -> None:
    """`dredge train --from evil.pt` unpickled the file in full (ultralytics' YOLO(path)): the
    code it carried ran (here: it wrote a marker file) once the labels were read and the chips
    cut. Now it is read as `dredge detect` reads a model (weights_only): one line, before any
    label is read, and the code never runs."""
    marker = tmp_path / "ran.txt"
    evil = _carrying_code(tmp_path / "shared" / "evil.pt", marker)
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    out = tmp_path / "run"
    code, output = _train([str(labels), "--from", str(evil), "--imgsz", "64", "--out", str(out)])
    assert not marker.exists(), "the starting model's pickle ran its code"
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {evil}: is not a model ("), lines
    assert "give a YOLO .pt saved by ultralytics" in lines[0]
    assert not fits and not out.exists()


@pytest.mark.parametrize("name", ["rivière d'Oiapoque/m.pt", "yolov5s.pt"])
def test_a_starting_model_whose_name_ultralytics_would_rewrite_is_trained_offline(
    name: str,
    labelled_tiles: list[LabelledTile],
    base: Path,
    tmp_path: Path,
    fits: list[dict[str, Any]],
) -> None:
    """`--from "rivière d'Oiapoque/m.pt"` was a FileNotFoundError traceback for
    `rivière dOiapoque/m.pt`, and `--from yolov5s.pt` was looked for on GitHub as
    `yolov5su.pt` (ultralytics' loader rewrote both names); both load from the file as named,
    offline, as `dredge detect` does, and the trainer gets the loaded model."""
    from ultralytics.nn.tasks import DetectionModel

    pt = tmp_path / "models" / name
    pt.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(base, pt)
    card = json.loads(base.with_name("tiny.card.json").read_text(encoding="utf-8"))
    pt.with_name(f"{pt.stem}.card.json").write_text(
        json.dumps({**card, "weights": pt.name}), encoding="utf-8"
    )
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    out = tmp_path / "run"
    with blocked_network() as attempts:
        code, output = _train([str(labels), "--from", str(pt), "--imgsz", "64", "--out", str(out)])
    assert not attempts
    assert code == 0, output
    assert len(fits) == 1 and isinstance(fits[0]["model"], DetectionModel)
    assert load_card(out / "model.pt").training["from"]["weights"] == str(pt)


def test_batch_given_as_a_setting_is_the_runs_batch(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, fits: list[dict[str, Any]]
) -> None:
    """`dredge train … batch=16` was refused with "batch=… cannot be set as key=value; use the
    command's options", and the command has no batch option: an analyst with a GPU could not
    raise the batch from 8. It is the run's batch now (the trainer's, the card's); a batch
    that is not a whole number ≥ 1 is one line before any work."""
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    out = tmp_path / "run"
    code, output = _train(
        [str(labels), "--from", str(base), "--imgsz", "64", "--out", str(out), "batch=16"]
    )
    assert code == 0, output
    assert fits[0]["batch"] == 16 and fits[0]["nbs"] == 16
    training = load_card(out / "model.pt").training
    assert training["batch"] == 16 and "batch" not in training["overrides"]
    for bad in ("0", "-1", "0.7", "x"):
        code, output = _train(
            [str(labels), "--from", str(base), "--out", str(tmp_path / bad), f"batch={bad}"]
        )
        lines = output.strip().splitlines()
        assert code == 2 and len(lines) == 1, output
        assert lines[0] == (
            f"error: batch={bad}: give a whole number of chips per step ≥ 1 (e.g. batch=16)"
        )
    assert len(fits) == 1


@pytest.mark.parametrize("bands", [("blue", "green", "red", "nir"), ("red",)])
def test_a_model_of_other_than_three_bands_is_refused_before_any_work(
    bands: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 4-band (BGRN) or 1-band model given to --from: ultralytics read the run's chips as 3
    bands and trained a 3-band network (its first layer new, the NIR dropped; measured: batches
    (4, 3, 64, 64), first conv 16 × 3 × 3 × 3) under a card of 4 or 1; and a 4-band chip skips
    ultralytics' albumentations step, the flips and turns with it. One line now, before the
    labels are read; nothing is trained."""
    import training.finetune
    from tests.model_fixtures import write_untrained_model
    from tests.yolo_fixtures import _one_tile

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was trained")

    monkeypatch.setattr(training.finetune, "_train", no_training)
    weights = write_untrained_model(tmp_path / "m", bands=bands, tile_px=64)
    labels = _one_tile(tmp_path, "0 0.5 0.5 0.1 0.1\n")  # refused before it is read
    args = [str(labels), "--from", str(weights), "--val-fraction", "0"]
    code, output = _train([*args, "--out", str(tmp_path / "run")])
    lines = output.strip().splitlines()
    assert code == 2 and len(lines) == 1, output
    assert "fine-tuning trains 3-band models only" in lines[0] and str(weights) in lines[0]
    assert "start from a 3-band model" in lines[0]
    assert not (tmp_path / "run").exists()
