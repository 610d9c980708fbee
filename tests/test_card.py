"""Model cards: round trip, and one clear line for every way a card can be wrong."""

from __future__ import annotations

import errno
import json
from dataclasses import replace
from pathlib import Path

import pytest

from detector.card import ModelCard, card_path_for, load_card, model_file
from detector.errors import InputError, OutputError
from detector.inputspec import InputSpec
from detector.scene import open_scene
from tests.geo_fixtures import write_scene
from tests.model_fixtures import write_card


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    path = tmp_path / "model.pt"
    path.write_bytes(b"stand-in weights")
    write_card(path)
    return path


def _edit_card(weights: Path, **changes: object) -> Path:
    path = card_path_for(weights)
    data = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    path.write_text(json.dumps(data))
    return path


def _one_line_error(weights: Path) -> str:
    with pytest.raises(InputError) as caught:
        load_card(weights)
    message = str(caught.value)
    assert "\n" not in message and " — " in message  # one line: problem — fix
    return message


def test_round_trip_follows_the_contract(weights: Path) -> None:
    card = load_card(weights)
    data = json.loads(card_path_for(weights).read_text())
    assert set(data) == {
        "format",
        "name",
        "weights",
        "sha256",
        "classes",
        "input",
        "training",
        "metrics",
    }
    assert data["input"] == {
        "bands": ["red", "green", "blue"],
        "gsd_m": 3.0,
        "tile_px": 256,
        "overlap_px": 32,
        "scale": "display",
    }
    assert card.weights == "model.pt" and card.classes == ("dredge", "boat")
    assert card.input == InputSpec(("red", "green", "blue"), 3.0, 256, 32, "display")
    assert card.dredge_class == 0 and card.path == card_path_for(weights)
    again = card_path_for(weights).with_name("copy.card.json")
    card.save(again)
    assert json.loads(again.read_text()) == data


def test_card_with_onnx_keys(tmp_path: Path) -> None:
    weights, onnx = tmp_path / "m.pt", tmp_path / "m.onnx"
    weights.write_bytes(b"pt")
    onnx.write_bytes(b"onnx")
    card = ModelCard.describe(weights, name="m", classes=["dredge"], input=InputSpec(), onnx=onnx)
    card.save(card_path_for(weights))
    assert load_card(onnx).onnx == "m.onnx"
    onnx.write_bytes(b"changed")
    with pytest.raises(InputError, match="onnx_sha256"):
        load_card(onnx)


def test_missing_card(tmp_path: Path) -> None:
    weights = tmp_path / "lonely.pt"
    weights.write_bytes(b"x")
    message = _one_line_error(weights)
    assert "lonely.pt: has no model card (expected lonely.card.json beside it)" in message


def test_missing_weights(tmp_path: Path) -> None:
    message = _one_line_error(tmp_path / "nowhere.pt")
    assert "nowhere.pt: weights file not found" in message


def test_a_folder_given_as_the_model(weights: Path, tmp_path: Path) -> None:
    """It said 'weights file not found'."""
    message = _one_line_error(tmp_path)
    assert message == (
        f"{tmp_path}: is a folder, not a weights file (it holds model.card.json, model.pt) — "
        f"give the weights file: {weights}"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "is a folder, not a weights file (no model in it)" in _one_line_error(empty)


def test_a_url_given_as_the_model(tmp_path: Path) -> None:
    """It said "https:/example.org/m.pt: weights file not found — check the model's path",
    the URL with a slash lost, where scenes are read from URLs."""
    for url in ("https://example.org/models/m.pt", "s3://bucket/m.onnx"):
        with pytest.raises(InputError) as caught:
            load_card(Path(url))  # as --model gives it: Path makes '//' one slash
        assert str(caught.value) == (
            f"{url}: is a URL; a model is read from a local file (scenes may be URLs, models "
            "not) — download it and its card (m.card.json) into one folder, and give the file's "
            "path"
        )
    assert "weights file not found" in _one_line_error(tmp_path / "https:" / "m.pt")


def test_a_file_url_given_as_the_model_is_read_as_its_path(tmp_path: Path) -> None:
    """``file:///…/m.pt`` said "file:/…/m.pt: is a URL; a model is read from a local file … —
    download it": a slash lost, and a local file to download. It names a local path, read as it."""
    folder = tmp_path / "my models"
    folder.mkdir()
    weights = folder / "model.pt"
    weights.write_bytes(b"stand-in weights")
    write_card(weights)
    url = weights.as_uri()  # file:///…/my%20models/model.pt
    for given in (url, Path(url), f"file://localhost{weights}"):  # Path makes '///' one slash
        assert model_file(given) == weights
        assert load_card(given) == load_card(weights)
    assert model_file(card_path_for(weights).as_uri()) == weights  # the card given for it
    with pytest.raises(InputError) as caught:
        load_card(Path(url.replace("model.pt", "other.pt")))
    assert str(caught.value) == (
        f"{folder / 'other.pt'}: weights file not found — check the model's path"
    )


def test_a_card_given_as_the_model(weights: Path, tmp_path: Path) -> None:
    """It said 'has no model card (expected model.card.card.json beside it)'."""
    card = card_path_for(weights)
    assert model_file(card) == weights and load_card(model_file(card)).weights == "model.pt"
    assert model_file(weights) == weights
    weights.unlink()
    with pytest.raises(InputError) as caught:
        model_file(card)
    assert str(caught.value) == (
        f"{card}: is a model card, and the weights it describes (model.pt) are not beside it "
        "— give the weights file (.pt or .onnx) with --model, this card beside it"
    )
    onnx = weights.with_suffix(".onnx")  # an ONNX alone with the card of its .pt
    onnx.write_bytes(b"onnx")
    assert model_file(card) == onnx


def test_bad_json(weights: Path) -> None:
    card_path_for(weights).write_text('{"format": 1, "name": ')
    message = _one_line_error(weights)
    assert "model.card.json: is not valid JSON" in message and "line 1" in message


def test_a_card_saved_with_a_byte_order_mark_is_read(weights: Path) -> None:
    """A card written by hand in Windows Notepad (before 2019) or by PowerShell's ``Out-File
    -Encoding utf8`` starts with a UTF-8 byte order mark. It was refused as "is not valid JSON
    (Unexpected UTF-8 BOM …)", the fix "write the card again" writing the same bytes again; it
    is read as the card it is, as the given card (``model_file``) too."""
    path = card_path_for(weights)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_card(weights).name == load_card(weights, verify=False).name
    assert model_file(path) == weights


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_a_card_saved_by_windows_in_another_encoding_is_read(weights: Path, encoding: str) -> None:
    """A hand-written card naming ``Río`` saved by Notepad as "ANSI" (Windows-1252) or by
    PowerShell 5's ``>`` (UTF-16) is read as the card it is; the Windows-1252 one was refused as
    "is not a text file (model cards are JSON)"."""
    path = card_path_for(weights)
    data = json.loads(path.read_text())
    data["name"] = "Río"
    path.write_bytes(json.dumps(data, ensure_ascii=False).encode(encoding))
    assert load_card(weights).name == "Río"
    assert model_file(path) == weights


def test_a_binary_file_in_the_cards_place_is_not_a_text_file(weights: Path) -> None:
    """A weights file saved under the card's name (its bytes a zip's, NULs in them) was read as
    Windows-1252 since cards in it are read, and refused as 'is not valid JSON (Expecting value
    at line 1, column 1)'; it is 'is not a text file (model cards are JSON)', as before."""
    card_path_for(weights).write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" * 8)
    assert "model.card.json: is not a text file (model cards are JSON) — " in _one_line_error(
        weights
    )


def test_missing_keys(weights: Path) -> None:
    """Said in the number of keys missing (it said 'misses key(s)')."""
    _edit_card(weights, sha256=None, classes=None)
    assert "model.card.json: misses keys sha256, classes — a model card" in _one_line_error(weights)
    _edit_card(weights, sha256="ab" * 32, classes=["dredge"], name=None)
    assert "model.card.json: misses key name — a model card" in _one_line_error(weights)


def test_sha256_mismatch(weights: Path) -> None:
    weights.write_bytes(b"other weights")
    message = _one_line_error(weights)
    assert "model.pt: sha256" in message and "does not match its card" in message


def test_classes_without_dredge(weights: Path) -> None:
    _edit_card(weights, classes=["boat", "barge"])
    assert "do not include 'dredge'" in _one_line_error(weights)


def test_invalid_input(weights: Path) -> None:
    _edit_card(weights, input={"bands": ["red", "swir"], "gsd_m": 3, "tile_px": 256,
                               "overlap_px": 32, "scale": "display"})  # fmt: skip
    assert "'input' is invalid: unknown band name ['swir']" in _one_line_error(weights)
    _edit_card(weights, input={"bands": ["red"], "gsd_m": 3})
    assert "'input' misses keys tile_px, overlap_px, scale" in _one_line_error(weights)
    _edit_card(weights, input={"bands": ["red"], "gsd_m": 3, "tile_px": 256, "overlap_px": 32})
    assert "'input' misses key scale — give" in _one_line_error(weights)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"gsd_m": 300}, "'input' gsd_m 300 is outside 0.05–100 m per pixel (written in "
         "centimetres? that is 3 m)"),
        ({"gsd_m": 0.003}, "gsd_m 0.003 is outside 0.05–100 m per pixel (written in kilometres? "
         "that is 3 m)"),
        ({"gsd_m": 1e-6}, "'input' gsd_m 1e-06 is outside 0.05–100 m per pixel — give the"),
        ({"gsd_m": float("inf")}, "'input' is invalid: gsd_m must be a positive number of metres"),
        ({"tile_px": 100000, "overlap_px": 0}, "'input' tile_px 100000 is outside 32–4096 px"),
        ({"tile_px": 16, "overlap_px": 0}, "'input' tile_px 16 is outside 32–4096 px — give"),
    ],
)  # fmt: skip
def test_input_values_out_of_range(weights: Path, changes: dict[str, float], says: str) -> None:
    """gsd_m 1e-6 was an ArrayMemoryError (163 TiB) at the first scene, 0.003 ran 11 minutes
    on one scene before it was stopped, Infinity said the scene 'does not overlap any river
    corridor', 300 (3 m in cm) ran without a word (1 detection where the model finds 9),
    tile_px 100000 asked the ONNX export for 120 GB."""
    data = json.loads(card_path_for(weights).read_text())
    _edit_card(weights, input={**data["input"], **changes})
    assert says in _one_line_error(weights)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"tile_px": 256.7}, "'input' tile_px is 256.7, not a whole number of pixels — give"),
        ({"overlap_px": "32.5"}, "'input' overlap_px is \"32.5\", not a whole number of pixels"),
        ({"overlap_px": [32]}, "'input' overlap_px is [32], not a number — give it in whole"),
        ({"gsd_m": True}, "'input' gsd_m is true, not a number — give it in metres per pixel"),
        ({"gsd_m": "3 m"}, "'input' gsd_m is \"3 m\", not a number"),
    ],
)  # fmt: skip
def test_input_numbers_of_the_wrong_kind(
    weights: Path, changes: dict[str, object], says: str
) -> None:
    """tile_px 256.7 (overlap_px 32.5) was read as 256 (32) without a word, gsd_m true as
    1 m; a list was Python's message ("int() argument must be …") with no field named."""
    data = json.loads(card_path_for(weights).read_text())
    _edit_card(weights, input={**data["input"], **changes})
    message = _one_line_error(weights)
    assert message.startswith(str(card_path_for(weights))) and says in message, message
    _edit_card(weights, input={**data["input"], "tile_px": 256.0, "overlap_px": "32"})
    assert (load_card(weights).input.tile_px, load_card(weights).input.overlap_px) == (256, 32)


def test_unknown_keys_are_named_in_a_note(weights: Path) -> None:
    """They were ignored without a word: a misspelt onnx_sha256 turns its check off."""
    assert load_card(weights).notes == ()
    data = json.loads(card_path_for(weights).read_text())
    _edit_card(weights, onnx_sha265="ab" * 32, licence="AGPL", input={**data["input"], "gsd": 3})
    card = load_card(weights)
    assert card.onnx_sha256 is None
    assert card.notes == (
        f"{card_path_for(weights)}: keys onnx_sha265 (onnx_sha256?), licence, input.gsd "
        "(gsd_m?) are not model card keys and were ignored — check their spelling (see the "
        "README, 'Detection alone: dredge detect, the model card')",
    )
    _edit_card(weights, licence=None, input=data["input"])  # one key: said so
    assert load_card(weights).notes == (
        f"{card_path_for(weights)}: key onnx_sha265 (onnx_sha256?) is not a model card key "
        "and was ignored — check its spelling (see the README, 'Detection alone: dredge "
        "detect, the model card')",
    )


def test_onnx_keys_of_the_wrong_type(weights: Path) -> None:
    """A fuzz of cards found "'list' object has no attribute 'lower'" as a traceback."""
    _edit_card(weights, onnx_sha256=["abc"])
    assert "'onnx_sha256' must be a string" in _one_line_error(weights)
    _edit_card(weights, onnx_sha256=None, onnx=7)
    assert "'onnx' must be a string" in _one_line_error(weights)


def test_newer_format(weights: Path) -> None:
    _edit_card(weights, format=2)
    assert "card format 2" in _one_line_error(weights)


@pytest.mark.parametrize("form", [True, "1", [1], 1.5])
def test_a_format_that_is_not_a_whole_number(weights: Path, form: object) -> None:
    """``"format": true`` was read as format 1 (True == 1 in Python); ``"1"`` was "has card
    format '1'; this version reads format 1". Each is one line; ``1.0`` is format 1."""
    _edit_card(weights, format=form)
    message = _one_line_error(weights)
    assert f"has card format {json.dumps(form)}, not a whole number" in message
    assert '— give "format": 1' in message
    _edit_card(weights, format=1.0)
    assert load_card(weights).format == 1


def test_save_leaves_the_old_card_whole_when_the_write_fails(
    weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write stopped half-way (disk full, a kill) left a cut-off card beside the model, in
    place of the old one: the card is written beside it and renamed into place."""
    path = card_path_for(weights)
    before = path.read_bytes()
    card = replace(load_card(weights), name="renamed")
    real_write_text = Path.write_text

    def half_then_full(self: Path, text: str, *args: object, **kwargs: object) -> int:
        real_write_text(self, text[: len(text) // 2], encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_then_full)
    with pytest.raises((OutputError, OSError)) as caught:
        card.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before  # it was the first half of the new card
    assert isinstance(caught.value, OutputError)  # one line naming the card and the fix
    assert str(caught.value).startswith(f"{path}: ")
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.card.json", "model.pt"]
    card.save(path)
    assert load_card(weights).name == "renamed"


def test_scene_lacking_a_band_the_model_needs(tmp_path: Path) -> None:
    weights = tmp_path / "nir.pt"
    weights.write_bytes(b"nir model")
    card = write_card(weights, bands=("nir", "red", "green"))
    rgb = write_scene(tmp_path / "maxar.tif", bands=3, dtype="uint8", width=40, height=40)
    planet = write_scene(tmp_path / "planet.tif", bands=4, width=40, height=40)
    with open_scene(rgb.path) as scene, pytest.raises(InputError) as caught:
        card.check_scene(scene)
    message = str(caught.value)
    assert message.startswith(f"{rgb.path}: has no nir band that model test-nir needs")
    assert "--scene-bands" in message and "\n" not in message
    with open_scene(planet.path) as scene:
        card.check_scene(scene)  # blue, green, red, nir: has all three
    edge = write_card(weights, bands=("nir", "red_edge", "red"))  # it said 'band(s)'
    with open_scene(rgb.path) as scene, pytest.raises(InputError) as caught:
        edge.check_scene(scene)
    assert str(caught.value).startswith(
        f"{rgb.path}: has no nir, red_edge bands that model test-nir needs"
    )
