"""Model loading and the two backends, on an untrained YOLO11n saved by the test."""

from __future__ import annotations

import json
import os
import pickle
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
from tests.model_fixtures import write_card, write_onnx_network, write_untrained_model

NAMES = {"names": "{0: 'dredge', 1: 'boat'}"}  # ultralytics' ONNX metadata


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_untrained_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DREDGE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _tiles(n: int = 3, size: int = 256, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 3, size, size), dtype=np.float32)


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


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


def test_tiles_of_a_p6_model_are_padded_to_its_stride(tmp_path: Path) -> None:
    """A P6 model (yolov8n-p6: strides 8 to 64) on tiles whose side is a multiple of 32 but not
    of 64 (a card's tile_px 224, labelled chips of 96 px for `dredge evaluate`): they were
    padded to 32 only, and every batch was torch's RuntimeError traceback ('Sizes of tensors
    must match … Expected size 4 but got size 3') or onnxruntime's ('Non concat axis
    dimensions must match')."""
    weights = write_untrained_model(tmp_path, name="p6", architecture="yolov8n-p6.yaml")
    for backend in ("torch", "onnx"):
        detector = load_model(weights, backend=backend, flips=False)
        for size in (96, 224):
            (boxes,) = detector.predict(_tiles(1, size=size))
            assert len(boxes) and (boxes[:, [2, 3]] <= size).all()
        assert detector.stride == 64  # from the network, or the export's metadata


class _FirstOutput(torch.nn.Module):
    """An ultralytics network's raw output alone, as its export gives it."""

    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[0]


def test_a_p6_onnx_without_stride_metadata_reads_its_stride_from_its_output(
    tmp_path: Path,
) -> None:
    """A P6 model exported without ultralytics' metadata (`stride`; torch.onnx.export, a tool
    that drops it): its tiles were padded to 32, and a 96 px tile was onnxruntime's 'Non concat
    axis dimensions must match' at every batch. Its stride is read from the blank tile run at
    load: a level of one cell on 64 px is a stride of 64."""
    pt = write_untrained_model(tmp_path, name="p6", architecture="yolov8n-p6.yaml")
    net = _FirstOutput(model_module.load_torch_network(pt))
    onnx = write_onnx_network(tmp_path / "bare" / "p6.onnx", net, metadata=NAMES)
    detector = load_model(onnx, flips=False)
    assert detector.stride == 64
    (boxes,) = detector.predict(_tiles(1, size=96))
    assert len(boxes) and (boxes[:, [2, 3]] <= 96).all()
    plain = write_onnx_network(tmp_path / "p5.onnx", _Layout("raw", strides=(8, 16, 32)))
    assert load_model(plain).stride == 32  # 84 anchors on 64 px: no level of one cell


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


def test_text_file_renamed_pt_is_not_a_model(tmp_path: Path) -> None:
    fake = tmp_path / "fake.pt"
    fake.write_text("these are not weights\n")
    write_card(fake)
    for backend in ("torch", "auto"):
        with pytest.raises(InputError) as caught:
            load_model(fake, backend=backend)
        assert _one_line(caught).startswith(f"{fake}: is not a model")


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


class _Layout(torch.nn.Module):
    """A stand-in network whose output has the shape of one YOLO output layout for 2 classes:
    ``raw`` (batch, 4 + 2, anchors) as this tool reads it, ``nms`` (batch, ``boxes``, 6) boxes
    after NMS, ``transposed`` (batch, anchors, 6), ``v5`` (batch, anchors, 4 + 1 + 2); one
    anchor per ``stride`` × ``stride`` px for each of ``strides`` (default one level at 8 px).
    ``extra`` adds channels to each anchor (a third class, say)."""

    def __init__(
        self, layout: str, extra: int = 0, strides: tuple[int, ...] = (8,), boxes: int = 300
    ) -> None:
        super().__init__()
        self.layout = layout
        self.extra = extra
        self.strides = strides
        self.boxes = boxes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.layout == "nms":
            return x[:, :1, :1, :1].reshape(-1, 1, 1).expand(-1, self.boxes, 6) * 0
        pooled = [torch.nn.functional.avg_pool2d(x[:, :1], s).flatten(1) for s in self.strides]
        anchors = torch.cat(pooled, dim=1)
        columns = (7 if self.layout == "v5" else 6) + self.extra
        out = anchors.unsqueeze(-1).expand(-1, -1, columns)
        return out.transpose(1, 2) if self.layout == "raw" else out


@pytest.mark.parametrize(
    ("layout", "says"),
    [
        ("nms", "gives boxes after NMS (x0, y0, x1, y1, score, class) where this tool reads"),
        ("transposed", "gives its output transposed, (batch, anchors, 4 + classes)"),
        ("v5", "gives YOLOv5/v7 output (batch, anchors, 4 + objectness + 2 classes)"),
    ],
)
def test_onnx_in_another_output_layout_is_refused(tmp_path: Path, layout: str, says: str) -> None:
    """They gave 0 detections and exit 0 (the bundled model exported with nms=True, or
    transposed, on a demo scene that gives 9)."""
    onnx = write_onnx_network(tmp_path / f"{layout}.onnx", _Layout(layout))
    with pytest.raises(InputError) as caught:
        load_model(onnx)
    message = _one_line(caught)
    assert message.startswith(f"{onnx}: {says}")
    assert "yolo export model=M.pt format=onnx dynamic=True (without nms=True)" in message
    raw = write_onnx_network(tmp_path / "raw.onnx", _Layout("raw"))
    assert load_model(raw).predict(_tiles(1, size=64))[0].shape == (0, 6)  # the layout it reads


@pytest.mark.parametrize(
    ("layout", "says"),
    [
        ("transposed", "gives its output transposed, (batch, anchors, 4 + classes)"),
        ("v5", "gives YOLOv5/v7 output (batch, anchors, 4 + objectness + 2 classes)"),
        ("nms", "gives boxes after NMS (x0, y0, x1, y1, score, class) where this tool reads"),
    ],
)
@pytest.mark.parametrize("side", [256, 640])
def test_fixed_input_onnx_in_another_layout_is_named_for_what_it_is(
    tmp_path: Path, layout: str, says: str, side: int
) -> None:
    """With a fixed input, anchors cannot be told by a second, larger probe; the anchor counts
    for the input's side were computed negative (every one of them), so a transposed or v5
    output (a P3–P5 head) was called 'boxes after NMS', with the fix to export without NMS.
    NMS output of 100 boxes (max_det=100) on a 640 px input, as many as a lone stride-64 level
    has anchors, stays NMS: only runs of three or more strides count, as YOLO heads have."""
    network = _Layout(layout, strides=(8, 16, 32), boxes=100)
    onnx = write_onnx_network(tmp_path / f"{layout}.onnx", network, side=side, dynamic=False)
    with pytest.raises(InputError) as caught:
        load_model(onnx)
    assert _one_line(caught).startswith(f"{onnx}: {says}")


def test_onnx_without_names_is_checked_by_its_output(tmp_path: Path) -> None:
    """Without ultralytics' metadata a 3-class network with a 2-class card was an IndexError
    at the first tile, and a network whose classes are boat, dredge passed under a dredge, boat
    card (9 detections of the demo scene, dredges and boats swapped)."""
    three = write_onnx_network(tmp_path / "three.onnx", _Layout("raw", extra=1))
    with pytest.raises(InputError) as caught:
        load_model(three)
    assert _one_line(caught) == (
        f"{three}: predicts 3 classes (4 + 3 output channels); its card names 2 "
        "— use the card written for this model"
    )
    two = load_model(write_onnx_network(tmp_path / "two.onnx", _Layout("raw")))
    assert len(two.notes) == 1 and "\n" not in two.notes[0]
    assert two.notes[0].startswith(
        f"{two.source}: has no class names in its metadata, so the order of its card's "
        "classes (dredge, boat) cannot be checked — "
    )
    named = write_onnx_network(
        tmp_path / "named.onnx", _Layout("raw"), metadata={"names": "{0: 'dredge', 1: 'boat'}"}
    )
    assert load_model(named).notes == []


class _TwoOutputs(torch.nn.Module):
    """Boxes in the raw layout and a second output, as a segment model's mask prototypes."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return _Layout("raw")(x), x[:, :1] * 2


@pytest.mark.parametrize(
    ("metadata", "network", "says"),
    [
        ({**NAMES, "task": "segment"}, _Layout("raw", extra=32), "is a segment model, not a"),
        # an export of a checkpoint saved without its task: 'task: detect' over an OBB head
        ({**NAMES, "task": "detect", "head": "OBB"}, _Layout("raw", extra=1), "is an obb model"),
        ({**NAMES, "task": "pose"}, _Layout("raw", extra=51), "is a pose model, not a detector"),
        (NAMES, _TwoOutputs(), "gives 2 outputs, as a segment model does (boxes and masks)"),
        (NAMES, _Layout("raw", extra=1), "gives 1 value per box beyond its 4 box and 2 class"),
        (NAMES, _Layout("raw", extra=32), "as a segment model's (mask coefficients): it is not"),
    ],
)
def test_onnx_of_another_task_is_refused(
    tmp_path: Path, metadata: dict[str, str], network: torch.nn.Module, says: str
) -> None:
    """The torch path refused them ('is a segment model'); as ONNX they were an IndexError (or,
    with as many channels as 4 + classes, would have run)."""
    onnx = write_onnx_network(tmp_path / "task.onnx", network, metadata=metadata)
    with pytest.raises(InputError) as caught:
        load_model(onnx)
    assert _one_line(caught).startswith(f"{onnx}: ") and says in _one_line(caught)


def test_onnx_with_a_fixed_input_or_float16_input(tmp_path: Path) -> None:
    """They were onnxruntime's InvalidArgument traceback at the first batch ('Got: 256
    Expected: 640', 'expected: (tensor(float16))'). A fixed input at least the card's tile size
    runs, tiles padded to it and fed one batch of the model's size at a time (the bundled model
    exported at 256 px, batch 1: the same 9 detections of the demo scene; at 640 px, yolo
    export's default, which was refused: the same 37 detections of 3 demo scenes as its
    dynamic export, with a note on the work); one smaller than the tiles is refused."""
    half = write_onnx_network(tmp_path / "half.onnx", _Layout("raw"), dtype=torch.float16)
    with pytest.raises(InputError) as caught:
        load_model(half)
    assert _one_line(caught) == (
        f"{half}: takes float16 input (an export with half=True) where this tool gives float32 "
        "tiles — export it again in float32: yolo export model=M.pt format=onnx dynamic=True "
        "(without half=True)"
    )
    small = write_onnx_network(tmp_path / "s128.onnx", _Layout("raw"), side=128, dynamic=False)
    with pytest.raises(InputError) as caught:
        load_model(small)
    assert _one_line(caught).startswith(
        f"{small}: takes only 128×128 px tiles (a fixed input shape, the default of yolo "
        "export) where its card s128.card.json has 256 px tiles — export it again with dynamic "
        "shapes: yolo export model=M.pt format=onnx dynamic=True"
    )
    tiles = _tiles(3, size=250)
    dynamic = load_model(write_onnx_network(tmp_path / "d.onnx", _Layout("raw")), flips=False)
    expected = dynamic.predict(tiles)
    assert all(len(boxes) > 0 for boxes in expected)
    for side in (256, 640):
        fixed = load_model(
            write_onnx_network(
                tmp_path / f"s{side}.onnx", _Layout("raw"), side=side, dynamic=False
            ),
            flips=False,
        )
        assert (fixed.batch_size, fixed.side) == (1, side)  # type: ignore[attr-defined]
        for a, b in zip(expected, fixed.predict(tiles), strict=True):
            np.testing.assert_array_equal(a, b)
        noted = [note for note in fixed.notes if "takes a fixed" in note]
        assert len(noted) == (side == 640)
    assert noted[0].endswith(
        "takes a fixed 640 px input where its card's tiles are 256 px: each tile is padded to "
        "it, 6× the work; export it with dynamic=True to run at the tiles' size"
    )
    # tiles larger than a fixed input (labelled chips cut at 512 px for `dredge evaluate`):
    # one line naming the file and the fix (it was "tiles of 288×288 px do not fit the model's
    # 256 px input")
    fixed = load_model(tmp_path / "s256.onnx", flips=False)
    with pytest.raises(InputError) as caught:
        fixed.predict(_tiles(1, size=288))
    assert _one_line(caught) == (
        f"{tmp_path / 's256.onnx'}: takes a fixed 256 px input, and these tiles are 288×288 px "
        "— give its .pt, or export it again with dynamic=True (or a larger imgsz), or cut the "
        "tiles at 256 px"
    )


def test_end_to_end_torch_model_is_refused(tmp_path: Path) -> None:
    """A YOLO26 gives (batch, 300, 6) boxes after NMS in eval mode: it gave 0 detections."""
    yolo26 = write_untrained_model(tmp_path, name="y26", architecture="yolo26n.yaml")
    with pytest.raises(InputError) as caught:
        load_model(yolo26, backend="torch")
    message = _one_line(caught)
    assert message.startswith(f"{yolo26}: gives boxes after NMS")
    assert "it is an end-to-end model (YOLO26, YOLOv10" in message


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
