"""The training stages called from Python as a notebook calls them: paths as ``str``.

Each stopped on an AttributeError or TypeError from deep inside (``'str' object has no
attribute 'exists'`` / ``'is_dir'`` / ``'mkdir'``, ``unsupported operand type(s) for /``);
now each takes ``str`` or :class:`~pathlib.Path`, and says what the same call with a Path
says. The heavy ones (training) are called where they stop early, before any work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detector.errors import DredgeError, InputError
from tests.label_fixtures import SPEC, write_tiny_model, write_yolo_set
from tests.review_fixtures import write_truth_detections
from training.dataset import build_yolo_dataset
from training.evaluate_run import run_evaluation
from training.finetune import finetune
from training.finetune_config import FinetuneConfig
from training.labels.table import LabelledTile
from training.recipes import RECIPES
from training.review import export_review
from training.train import extend_on_worlds, train_default, train_on_worlds


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("model"))


def test_run_evaluation_takes_str_paths(
    labelled_tiles: list[LabelledTile], model: Path, tmp_path: Path
) -> None:
    """``run_evaluation(model, ["labels"], "eval")`` scored every tile, then stopped on "'str'
    object has no attribute 'mkdir'" and wrote no report."""
    labels = write_yolo_set(labelled_tiles, tmp_path / "yolo")
    out = tmp_path / "eval"
    _, report = run_evaluation(
        str(model), [str(labels)], str(out), backend="torch", echo=lambda _: None
    )
    assert report == out / "report.json"
    assert json.loads(report.read_text())["tiles"] == len(labelled_tiles)
    assert (out / "pr_curve.png").is_file()


def test_export_review_takes_str_paths(label_world: Path, model: Path, tmp_path: Path) -> None:
    """``export_review("detections.parquet", ["scenes"], "review")`` stopped on "'str' object
    has no attribute 'is_dir'"."""
    detections = write_truth_detections(label_world, tmp_path)
    out = tmp_path / "review"
    line = export_review(
        str(detections), [str(label_world / "scenes")], str(out), count=2, model=str(model)
    )
    assert "2 review tiles" in line
    assert len(list((out / "images" / "train").glob("*.png"))) == 2


def test_finetune_takes_a_str_out(tmp_path: Path) -> None:
    """``finetune(labels, "ft", config)`` stopped on "'str' object has no attribute …" before
    it read a label; now a str ``out`` is refused or taken as a Path is."""
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine")
    with pytest.raises(DredgeError, match="folder is not empty — choose another --out"):
        finetune([str(tmp_path)], str(full), FinetuneConfig(), progress=False)
    with pytest.raises(InputError, match=r"r\.geojson: file not found — check the path given"):
        finetune(
            [str(tmp_path / "missing")], str(tmp_path / "ft"), FinetuneConfig(),
            rivers=str(tmp_path / "r.geojson"), progress=False, echo=lambda _: None,
        )  # fmt: skip
    assert not (tmp_path / "ft").exists()


def test_build_yolo_dataset_takes_a_str_out(label_world: Path, tmp_path: Path) -> None:
    """``build_yolo_dataset(["world"], "dataset", spec)`` stopped on "'str' object has no
    attribute 'exists'" once the worlds were checked."""
    other = tmp_path / "mine"
    (other / "images").mkdir(parents=True)
    with pytest.raises(DredgeError, match="overwrite only replaces a dataset folder"):
        build_yolo_dataset([str(label_world)], str(other), SPEC, progress=False, overwrite=True)
    assert (other / "images").is_dir()


def test_the_training_recipes_take_a_str_out(model: Path, tmp_path: Path) -> None:
    """``train_default("out")``, ``train_on_worlds(["w"], "out", recipe)`` and
    ``extend_on_worlds("m.pt", ["w"], "out", …)`` stopped on "unsupported operand type(s) for
    /" before their first check; now each comes to the check a Path comes to (no training)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text("{}")
    with pytest.raises(DredgeError, match="holds the run of another command"):
        train_default(str(out), progress=False)
    nope = tmp_path / "nope"
    recipe = RECIPES["default"]
    with pytest.raises(InputError, match=r"has no world\.json"):
        train_on_worlds([str(nope)], str(tmp_path / "t"), recipe, progress=False)
    with pytest.raises(InputError, match=r"has no world\.json"):
        extend_on_worlds(str(model), [str(nope)], str(tmp_path / "e"), recipe, epochs=1,
                         progress=False)  # fmt: skip
