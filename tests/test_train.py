"""Training: a one-epoch run on a tiny world writes weights and a complete card, offline."""

from __future__ import annotations

import json
from pathlib import Path

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
from training.synth.world import WorldConfig, write_world
from training.train import (
    CARD_NAME,
    RECIPES,
    WEIGHTS_NAME,
    Recipe,
    TrainResult,
    extend_on_worlds,
    install,
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
    assert all(0.0 <= val[key] <= 1.0 for key in METRIC_KEYS)
    assert 200_000 < run.weights.stat().st_size < 20_000_000


def test_a_third_stage_on_other_worlds_continues_the_card(
    run: TrainResult, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("extend") / "seed-198"
    write_world(WorldConfig(seed=198, rivers=("Nanay", "Cenepa"), years=(2024, 2024)), other)
    recipe = Recipe(
        "test", (199,), "small", SPEC, epochs=1, imgsz=64, batch=8, negatives=0.0,
        val_fraction=0.5, refine_epochs=1, extend_world_seeds=(198,), extend_epochs=1,
    )  # fmt: skip
    out = tmp_path_factory.mktemp("extended")
    with blocked_network() as attempts:
        result = extend_on_worlds(run.weights, [other], out, recipe, progress=False)
    assert not attempts, f"training tried the network: {attempts}"
    card = json.loads(result.card.read_text())
    first = json.loads(run.card.read_text())["training"]
    extend = card["training"]["extend"]
    assert extend["data"] == "synthetic world seeds [198] sizes ['small']"
    assert extend["epochs"] == 1 and extend["from_sha256"] == file_sha256(run.weights)
    assert extend["tiles"]["train"] > 0 and extend["tiles"]["val"] > 0
    assert card["training"]["data"] == first["data"]  # the first stages' record is kept
    assert card["training"]["duration_s"] > first["duration_s"]
    assert card["sha256"] == file_sha256(out / "yolo-extend" / "weights" / "last.pt")
    assert card["sha256"] != file_sha256(run.weights)
    assert "no stage trained on" in card["metrics"]["val_scope"]
    assert load_card(result.weights).classes == ("dredge", "boat")


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


def test_cli_refuses_an_unknown_recipe() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["train", "--out", "unused", "--recipe", "huge"])
    assert result.exit_code == 2 and "unknown recipe 'huge'; known: default" in result.output
    assert not Path("unused").exists()


def test_recipe_seeds_stay_in_the_reserved_range() -> None:
    assert all(101 <= seed <= 199 for seed in RECIPES["default"].world_seeds)
    with pytest.raises(DredgeError, match="1–20 are for tests"):
        Recipe("x", (1,), "small", SPEC, epochs=1, imgsz=64, batch=8, negatives=0, val_fraction=0.5)
    default = RECIPES["default"]
    assert not set(default.world_seeds) & set(default.extend_world_seeds)
    with pytest.raises(DredgeError, match="must differ"):
        Recipe(
            "x", (101,), "small", SPEC, epochs=1, imgsz=64, batch=8, negatives=0,
            val_fraction=0.5, extend_world_seeds=(101,), extend_epochs=1,
        )  # fmt: skip
    with pytest.raises(DredgeError, match="needs both"):
        Recipe(
            "x", (101,), "small", SPEC, epochs=1, imgsz=64, batch=8, negatives=0,
            val_fraction=0.5, extend_epochs=1,
        )  # fmt: skip


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
