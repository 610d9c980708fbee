"""ONNX exports and networks of other shapes: P6 models padded to their stride, fixed or float16
inputs, other output layouts, other tasks, no class names in the metadata, end-to-end torch
models. Each is run or refused in one line naming what it is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from detector import model as model_module
from detector.errors import InputError
from detector.model import load_model
from tests.model_fixtures import write_onnx_network, write_untrained_model
from tests.onnx_fixtures import NAMES, _Layout, _one_line, _tiles


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DREDGE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


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
