"""Files given as a model that are not one this tool can run: a text file or random bytes, a
plain torch module, a pickle that would run code, a card that disagrees with its weights."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from detector.errors import InputError
from detector.model import load_model
from tests.model_fixtures import write_card, write_untrained_model
from tests.onnx_fixtures import _one_line


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DREDGE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_text_file_renamed_pt_is_not_a_model(tmp_path: Path) -> None:
    fake = tmp_path / "fake.pt"
    fake.write_text("these are not weights\n")
    write_card(fake)
    for backend in ("torch", "auto"):
        with pytest.raises(InputError) as caught:
            load_model(fake, backend=backend)
        assert _one_line(caught).startswith(f"{fake}: is not a model")


def test_checkpoint_of_a_plain_torch_module_is_not_a_model(tmp_path: Path) -> None:
    """A plain nn.Sequential with class names in an ultralytics-shaped checkpoint was an
    AttributeError traceback ('Sequential' object has no attribute 'fuse')."""
    plain = tmp_path / "plain.pt"
    sequential = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 1))
    sequential.names = {0: "dredge", 1: "boat"}  # type: ignore[assignment]
    torch.save({"model": sequential}, plain)
    write_card(plain)
    with pytest.raises(InputError) as caught:
        load_model(plain, backend="torch")
    assert _one_line(caught).startswith(
        f"{plain}: is not a model this tool can run (a checkpoint holding a plain torch "
        "Sequential, not an ultralytics model) — give a YOLO .pt"
    )


def test_random_bytes_onnx_is_not_a_model(tmp_path: Path) -> None:
    fake = tmp_path / "fake.onnx"
    fake.write_bytes(os.urandom(2048))
    write_card(fake)
    with pytest.raises(InputError) as caught:
        load_model(fake)
    assert _one_line(caught).startswith(f"{fake}: is not an ONNX model")


class _RunsCode:
    """Unpickling this creates the file ``pwned`` in the cache folder."""

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(Path(os.environ["DREDGE_CACHE_DIR"]) / "pwned"), "w"))


def test_pickle_that_runs_code_is_refused_not_run(tmp_path: Path, cache: Path) -> None:
    evil = tmp_path / "evil.pt"
    cache.mkdir(parents=True)
    torch.save({"model": _RunsCode()}, evil, pickle_protocol=pickle.DEFAULT_PROTOCOL)
    write_card(evil)
    with pytest.raises(InputError) as caught:
        load_model(evil, backend="torch")
    assert "is not a model" in _one_line(caught)
    assert not (cache / "pwned").exists()
    torch.load(evil, weights_only=False)  # what a plain pickle load would have done
    assert (cache / "pwned").exists()


def test_card_that_disagrees_with_the_model(tmp_path: Path) -> None:
    classes = write_untrained_model(tmp_path, name="c", card_classes=("dredge",))
    with pytest.raises(InputError) as caught:
        load_model(classes, backend="torch")
    assert "predicts classes ['dredge', 'boat']; its card c.card.json says ['dredge']" in (
        _one_line(caught)
    )
    bands = write_untrained_model(
        tmp_path, name="b", card_bands=("blue", "green", "red", "nir"), seed=1
    )
    for backend in ("torch", "onnx"):
        with pytest.raises(InputError) as caught:
            load_model(bands, backend=backend)
        assert "takes 3 input bands; its card names 4" in _one_line(caught)


def test_model_class_names_in_capitals_are_the_cards_classes(tmp_path: Path) -> None:
    """A model trained on a dataset exported with capitals (``Dredge``, ``Boat``) was refused
    beside a card saying ``dredge``, ``boat`` ("the class order matters"), and a card saying
    ``Dredge`` is refused as naming no 'dredge': such a model could not be run at all."""
    path = write_untrained_model(
        tmp_path, name="caps", classes=("Dredge", "Boat "), card_classes=("dredge", "boat")
    )
    model = load_model(path, backend="torch")
    assert model.card.classes == ("dredge", "boat")  # the names written are the card's
    swapped = write_untrained_model(
        tmp_path, name="swapped", classes=("Boat", "Dredge"), card_classes=("dredge", "boat")
    )
    with pytest.raises(InputError) as caught:
        load_model(swapped, backend="torch")
    assert "predicts classes ['Boat', 'Dredge']; its card swapped.card.json says" in (
        _one_line(caught)
    )


def test_two_model_classes_differing_only_in_case_are_compared_as_written(tmp_path: Path) -> None:
    """Names compared blind to case made a model of ``Dredge``, ``dredge`` (two classes) the
    card's ``dredge``, ``Dredge`` swapped, and it was loaded: its class 0 written as the
    card's ``dredge``. Such names are compared as written."""
    swapped = write_untrained_model(
        tmp_path, name="twins", classes=("Dredge", "dredge"), card_classes=("dredge", "Dredge")
    )
    with pytest.raises(InputError) as caught:
        load_model(swapped, backend="torch")
    assert "predicts classes ['Dredge', 'dredge']; its card twins.card.json says" in (
        _one_line(caught)
    )
    same = write_untrained_model(
        tmp_path, name="same", classes=("dredge", "Dredge"), card_classes=("dredge", "Dredge")
    )
    assert load_model(same, backend="torch").card.classes == ("dredge", "Dredge")
