"""Model loading and the two backends, on an untrained YOLO11n saved by the test: the ONNX
export and its cache, exports beside the weights or named by the card, a `.pt` read offline
whatever its path, the batches `Detector.predict` takes, and NMS. Files that are not models:
test_model_faults.py; ONNX exports of other shapes and layouts: test_model_layouts.py."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from detector import model as model_module
from detector.card import card_path_for, file_sha256, load_card
from detector.errors import DredgeError, InputError
from detector.model import (
    ONNX_CACHE_KEEP,
    export_onnx,
    load_model,
    nms,
    postprocess,
    prune_onnx_cache,
)
from tests.model_fixtures import write_onnx_network, write_untrained_model
from tests.onnx_fixtures import NAMES, _Layout, _one_line, _tiles


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_untrained_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DREDGE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_torch_and_onnx_give_the_same_boxes(weights: Path, no_network: list[object]) -> None:
    on_torch = load_model(weights, backend="torch")
    on_onnx = load_model(weights, backend="onnx")
    assert (on_torch.backend, on_onnx.backend) == ("torch", "onnxruntime")
    batch = _tiles()
    a, b = on_torch.predict(batch), on_onnx.predict(batch)
    assert len(a) == len(b) == 3
    for boxes_t, boxes_o in zip(a, b, strict=True):
        assert len(boxes_t) > 10  # the test model does report boxes
        assert boxes_t.shape == boxes_o.shape and boxes_t.shape[1] == 6
        np.testing.assert_allclose(boxes_t[:, :4], boxes_o[:, :4], atol=0.05)
        np.testing.assert_allclose(boxes_t[:, 4], boxes_o[:, 4], atol=1e-4)
        np.testing.assert_array_equal(boxes_t[:, 5], boxes_o[:, 5])
        assert boxes_t[:, 4].min() >= 0.25
        assert (boxes_t[:, [0, 1]] >= 0).all() and (boxes_t[:, [2, 3]] <= 256).all()


def test_auto_backend_on_cpu_exports_onnx_once_into_the_cache(
    weights: Path, cache: Path, no_network: list[object]
) -> None:
    detector = load_model(weights)  # loads the .pt, exports ONNX, opens it: all offline
    assert detector.backend == "onnxruntime"
    exported = detector.source
    assert exported.parent == cache / "onnx" and exported.suffix == ".onnx"
    inode = exported.stat().st_ino  # an export is moved into place: a new file, a new inode
    assert load_model(weights).source == exported
    assert exported.stat().st_ino == inode  # reused, not exported again


def test_the_onnx_cache_keeps_the_most_recently_used_exports(cache: Path) -> None:
    folder = cache / "onnx"
    folder.mkdir(parents=True)
    exports = [folder / f"{n:016x}-256.onnx" for n in range(ONNX_CACHE_KEEP + 3)]
    for age, path in enumerate(exports):  # exports[0] is the newest
        path.write_bytes(b"onnx")
        os.utime(path, (1_000_000 - age * 60, 1_000_000 - age * 60))
    other = folder / "notes.txt"
    other.write_text("the user's")
    removed = prune_onnx_cache(folder)
    assert sorted(removed) == sorted(exports[ONNX_CACHE_KEEP:])
    assert all(path.is_file() for path in exports[:ONNX_CACHE_KEEP]) and other.is_file()


def test_a_reused_export_counts_as_recently_used(weights: Path, cache: Path) -> None:
    exported = load_model(weights).source
    os.utime(exported, (1_000_000, 1_000_000))
    load_model(weights)
    assert exported.stat().st_mtime > 1_000_000


def test_onnx_beside_the_weights_is_used(weights: Path, tmp_path: Path, cache: Path) -> None:
    folder = tmp_path / "pair"
    folder.mkdir()
    pt = folder / weights.name
    pt.write_bytes(weights.read_bytes())
    card_path_for(pt).write_text(card_path_for(weights).read_text())
    onnx = export_onnx(pt, pt.with_suffix(".onnx"))
    card = load_card(pt)
    replace(card, onnx=onnx.name, onnx_sha256=file_sha256(onnx)).save(card_path_for(pt))
    assert load_model(pt).source == onnx
    assert load_model(onnx).source == onnx  # the .onnx alone, with the same card
    assert load_model(onnx, backend="torch").source == pt
    assert not (cache / "onnx").exists()


def test_onnx_beside_the_weights_that_the_card_does_not_vouch_for_is_not_used(
    weights: Path, tmp_path: Path, cache: Path
) -> None:
    """A retrained model.pt copied into a folder holding the previous model's model.onnx, its
    card without onnx_sha256 (as `dredge train` writes it): the old export ran under the new
    card's name and sha256 (the demo scene's 9 detections, 5 dredges, where the new one finds
    10, 6 dredges)."""
    folder = tmp_path / "retrained"
    folder.mkdir()
    pt = folder / "model.pt"
    pt.write_bytes(weights.read_bytes())
    card = replace(load_card(weights), weights=pt.name)
    card.save(card_path_for(pt))
    stale = write_onnx_network(folder / "model.onnx", _Layout("raw"), metadata=NAMES, card=False)
    export = cache / "onnx" / f"{card.sha256[:16]}-{card.input.tile_px}.onnx"
    export.parent.mkdir(parents=True)  # stands in for the export of model.pt, made earlier
    export.write_bytes(stale.read_bytes())
    detector = load_model(pt)
    assert detector.source == export
    assert detector.notes == [
        f"{stale}: not used, its card model.card.json has no onnx_sha256 to show it is the "
        "export of model.pt (it may be an older model's) — model.pt is exported instead (once, "
        "into the cache); if it is this model's export, name it in the card (onnx, onnx_sha256)"
    ]
    replace(card, onnx_sha256=file_sha256(stale)).save(card_path_for(pt))
    vouched = load_model(pt)
    assert vouched.source == stale and vouched.notes == []


def test_an_onnx_named_by_the_card_is_used_only_as_this_models_export(
    weights: Path, tmp_path: Path, cache: Path
) -> None:
    """A card naming model.onnx without onnx_sha256 (hand-made), or carried over to a
    retrained model.pt with the old export's onnx_sha256: the old export ran under the new
    card's name without a word (on 3 demo scenes, 37 detections, 20 dredges, where the
    retrained .pt finds 38, 22). This tool's exports record the .pt they were made from."""
    folder = tmp_path / "retrained"
    folder.mkdir()
    pt = folder / "model.pt"
    pt.write_bytes(weights.read_bytes())
    card = replace(load_card(weights), weights=pt.name, onnx="model.onnx")
    card.save(card_path_for(pt))
    export = cache / "onnx" / f"{card.sha256[:16]}-{card.input.tile_px}.onnx"
    export.parent.mkdir(parents=True)  # stands in for the export of model.pt, made earlier
    older = {**NAMES, "dredge_weights_sha256": "ab" * 32}  # an older model.pt's export
    cases = [(NAMES, False, "has no onnx_sha256"), (older, True, "of weights of sha256 abab")]
    for metadata, vouched, says in cases:  # a hand-made card; a card carried over
        stale = write_onnx_network(
            folder / "model.onnx", _Layout("raw"), metadata=metadata, card=False
        )
        export.write_bytes(stale.read_bytes())
        replace(card, onnx_sha256=file_sha256(stale) if vouched else None).save(card_path_for(pt))
        detector = load_model(pt)
        assert detector.source == export
        (note,) = detector.notes
        assert note.startswith(f"{stale}: not used, ") and says in note
        assert "model.pt is exported instead (once, into the cache)" in note
    own = export_onnx(pt, folder / "model.onnx")  # this model's export: used, vouched or not
    assert load_model(pt).source == own
    replace(card, onnx_sha256=file_sha256(own)).save(card_path_for(pt))
    assert load_model(pt).source == own


def test_an_older_models_export_given_as_the_model_is_refused(
    weights: Path, tmp_path: Path
) -> None:
    """--model model.onnx, the previous model's export left beside a retrained model.pt and
    its card (written afresh, or carried over with the old export's onnx_sha256): it ran
    under the new card's name and sha256 without a word, as it did when picked beside the
    .pt (test above)."""
    folder = tmp_path / "retrained"
    folder.mkdir()
    pt = folder / "model.pt"
    pt.write_bytes(weights.read_bytes())
    card = replace(load_card(weights), weights=pt.name)
    older = {**NAMES, "dredge_weights_sha256": "ab" * 32}
    stale = write_onnx_network(folder / "model.onnx", _Layout("raw"), metadata=older, card=False)
    for vouched in (None, file_sha256(stale)):
        replace(card, onnx_sha256=vouched).save(card_path_for(pt))
        with pytest.raises(InputError) as caught:
            load_model(stale)
        assert _one_line(caught).startswith(
            f"{stale}: is the export of weights of sha256 abababababab…, not of its card's "
            f"model.pt ({card.sha256[:12]}…: an older model's export?) — give model.pt itself"
        )
    card.save(card_path_for(pt))
    own = export_onnx(pt, folder / "model.onnx")  # this model's export: used as before
    assert load_model(own).source == own


def test_card_paths_are_relative_to_its_folder(weights: Path, tmp_path: Path) -> None:
    """'onnx': 'exports/m.onnx' and 'weights': 'pt/m.pt' were "Invalid name 'exports/m.onnx'"
    (exit 2), whatever the backend."""
    folder = tmp_path / "paths"
    (folder / "exports").mkdir(parents=True)
    pt = folder / "m.pt"
    pt.write_bytes(weights.read_bytes())
    onnx = folder / "exports" / "m.onnx"
    write_onnx_network(onnx, _Layout("raw"), metadata=NAMES, card=False)
    card = replace(load_card(weights), weights="m.pt", onnx="exports/m.onnx")
    replace(card, onnx_sha256=file_sha256(onnx)).save(card_path_for(pt))
    assert load_model(pt).source == onnx
    # an ONNX given alone, its card naming the .pt in a folder below it
    (folder / "pt").mkdir()
    pt.rename(folder / "pt" / "m.pt")
    alone = folder / "m.onnx"
    alone.write_bytes(onnx.read_bytes())
    replace(card, weights="pt/m.pt", onnx=None).save(card_path_for(alone))
    assert load_model(alone, backend="torch").source == folder / "pt" / "m.pt"


def test_notes_of_the_card_reach_the_detector(weights: Path, tmp_path: Path) -> None:
    pt = tmp_path / weights.name
    pt.write_bytes(weights.read_bytes())
    data = json.loads(card_path_for(weights).read_text())
    card_path_for(pt).write_text(json.dumps({**data, "onnx_sha": "x"}))
    for backend in ("torch", "onnx"):
        (note,) = load_model(pt, backend=backend).notes
        assert note.startswith(f"{card_path_for(pt)}: key onnx_sha (onnx_sha256?) is not")


def test_batch_of_odd_sized_tiles_is_padded(weights: Path) -> None:
    boxes = load_model(weights, backend="torch").predict(_tiles(2, size=250))
    assert all(len(b) and (b[:, [2, 3]] <= 250).all() for b in boxes)
    assert load_model(weights, backend="torch").predict(_tiles(0)) == []


def test_wrong_batch_shape(weights: Path) -> None:
    with pytest.raises(ValueError, match=r"batch must be \(n, 3, h, w\)"):
        load_model(weights, backend="torch").predict(np.zeros((2, 4, 64, 64), np.float32))


def test_batch_of_8_bit_values_is_refused(weights: Path) -> None:
    """Tiles of 0–255 (PNG chips not divided by 255) were taken: the bundled model gave 4,552
    boxes, all 'dredge', on 24 demo tiles where it gives 33 (5 dredges)."""
    detector = load_model(weights, backend="onnx", flips=False)
    tiles = _tiles(1, size=64)
    with pytest.raises(ValueError, match=r"values must be in \[0, 1\].* up to 2\d\d — divide"):
        detector.predict((tiles * 255).round().astype(np.uint8))
    assert len(detector.predict(tiles)) == 1  # [0, 1] as before


def test_batch_with_nan_is_refused(weights: Path) -> None:
    """NaN pixels (float chips with NaN as nodata) were taken: NaN spread through the
    network and the boxes near it were lost (an 8 × 8 px NaN corner in each of 24 demo tiles:
    20 boxes of the bundled model's 33, 4 dredges of 5)."""
    detector = load_model(weights, backend="onnx", flips=False)
    tiles = _tiles(2, size=64)
    tiles[1, :, :8, :8] = np.nan
    with pytest.raises(ValueError, match="holds NaN or infinite values"):
        detector.predict(tiles)


def test_a_pt_whose_path_ultralytics_would_rename_is_read_offline(
    weights: Path, tmp_path: Path, no_network: list[object]
) -> None:
    """A .pt under a folder with an apostrophe (`rivière d'Oiapoque/`), or named as a YOLOv5
    or YOLOv3 release (`yolov5s.pt`): ultralytics' loader drops the apostrophe and renames
    `yolov5s.pt` to `yolov5su.pt`, does not find that file, and asks GitHub for it: the
    network was tried, and the model was called "not a model (network access attempted …)"
    on both backends (the ONNX backend exports the .pt)."""
    for name in ("rivière d'Oiapoque/m.pt", "yolov5s.pt", "v1/yolov3.pt"):
        pt = tmp_path / name
        pt.parent.mkdir(parents=True, exist_ok=True)
        pt.write_bytes(weights.read_bytes())
        card = replace(load_card(weights), weights=pt.name)
        card.save(card_path_for(pt))
        for backend in ("torch", "onnx"):
            detector = load_model(pt, backend=backend, flips=False)
            assert len(detector.predict(_tiles(1, size=64))) == 1


def test_bad_backend_device_and_missing_bundle(
    weights: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(DredgeError, match="unknown backend 'tensorrt'"):
        load_model(weights, backend="tensorrt")
    with pytest.raises(DredgeError, match="unknown device 'tpu'"):
        load_model(weights, device="tpu")
    with pytest.raises(DredgeError, match=r"unknown device 'cuda:x'; use one of: cpu, cuda \(or"):
        load_model(weights, device="cuda:x")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(DredgeError, match="--device cuda:1: torch sees 1 CUDA GPU here"):
        load_model(weights, device="cuda:1")  # a number the machine lacks: one line
    monkeypatch.undo()
    if not torch.cuda.is_available():
        with pytest.raises(DredgeError, match="torch sees no CUDA GPU here"):
            load_model(weights, device="cuda")
    monkeypatch.setattr(model_module, "DEFAULT_WEIGHTS", tmp_path / "none.pt")
    with pytest.raises(DredgeError, match=r"no bundled model at .*none\.pt"):
        load_model()


def test_nms_keeps_neighbours_and_drops_duplicates() -> None:
    boxes = np.array(
        [[0, 0, 10, 4], [0.5, 0, 10.5, 4], [0, 5, 10, 9], [20, 20, 30, 24]], dtype=np.float32
    )
    scores = np.array([0.8, 0.9, 0.7, 0.3], dtype=np.float32)
    assert nms(boxes, scores, 0.7, 300).tolist() == [1, 2, 3]
    assert nms(boxes, scores, 0.7, 2).tolist() == [1, 2]


def test_postprocess_turns_centres_into_corners() -> None:
    raw = np.zeros((1, 6, 3), dtype=np.float32)
    raw[0, :4, 0] = [50, 60, 20, 10]  # centre x, y, width, height
    raw[0, 5, 0] = 0.9  # class 1
    raw[0, :4, 1] = [250, 10, 20, 10]  # reaches past the right edge: clipped
    raw[0, 4, 1] = 0.5
    raw[0, 4, 2] = 0.1  # below conf
    (boxes,) = postprocess(raw, conf=0.25, width=256, height=256)
    np.testing.assert_allclose(boxes, [[40, 55, 60, 65, 0.9, 1], [240, 5, 256, 15, 0.5, 0]])
