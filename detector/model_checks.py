"""Checks that a YOLO model is what this tool reads, and agrees with its card: its input (bands,
float32, a fixed shape), its task and class names from its metadata, and the layout of its raw
output, read from one blank tile at load (:meth:`detector.model.YoloDetector.check_output`).
Each mismatch is one :class:`~detector.errors.InputError` naming the file and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detector.card import ModelCard, card_path_for
from detector.errors import InputError
from detector.wording import count_of

STRIDE = 32  # inputs are padded to a multiple of it, or of the model's largest stride (P6: 64)
# A blank tile of this side is run through the model once at load, to read its output's layout
# (about 2 ms with onnxruntime for the bundled model); a second one of twice the side when the
# layout is wrong, to tell anchors (which grow with the input) from boxes after NMS (which do not).
PROBE_PX = 64
EXPORT_RAW = "yolo export model=M.pt format=onnx dynamic=True (without nms=True)"
FIX_MODEL = (
    "give a YOLO .pt saved by ultralytics (`dredge train`) or its ONNX export, with its card"
)


def anchor_counts(side: int) -> set[int]:
    """How many anchors a YOLO head has on a ``side`` px square input, for each run of three or
    more consecutive strides it could use (4 to 64 px: P3–P5, P2–P5, P3–P6, ...). Any set of
    levels would take an NMS output of 100 or 500 boxes on a 640 px input for anchors."""
    per_stride = [(-(-side // stride)) ** 2 for stride in (4, 8, 16, 32, 64)]
    return {
        sum(per_stride[first:stop])
        for first in range(len(per_stride))
        for stop in range(first + 3, len(per_stride) + 1)
    }


def output_problem(
    shape: tuple[int, ...], classes: int, *, grows: bool, nms_fix: str, named: bool = False
) -> tuple[str, str]:
    """What is wrong with a raw output of ``shape`` (one blank tile) and how to fix it.

    ``grows``: dimension 1 grew fourfold with a tile of twice the side (it counts anchors);
    ``named``: the model's class names agree with the card, so channels beyond them are not
    classes (an OBB model's angle, a segment model's mask coefficients, a pose model's
    keypoints).
    """
    text = f"({', '.join(str(n) for n in shape)}) for a blank {PROBE_PX}×{PROBE_PX} tile"
    wanted = f"(batch, 4 + {count_of(classes, 'class', 'classes')}, anchors)"
    if len(shape) == 3 and grows and shape[2] == 5 + classes:
        return (
            f"gives YOLOv5/v7 output (batch, anchors, 4 + objectness + "
            f"{count_of(classes, 'class', 'classes')}) where "
            f"this tool reads ultralytics YOLOv8/YOLO11 output {wanted}: {text}",
            f"train a model with `dredge train`, or export an ultralytics .pt with {EXPORT_RAW}",
        )
    if len(shape) == 3 and grows and shape[2] == 4 + classes:
        return (
            f"gives its output transposed, (batch, anchors, 4 + classes) where this tool reads "
            f"{wanted}: {text}",
            f"export the .pt again with {EXPORT_RAW}, and do not transpose its output",
        )
    if len(shape) == 3 and not grows and shape[2] in (6, 7):
        return (
            f"gives boxes after NMS (x0, y0, x1, y1, score, class) where this tool reads the "
            f"raw output {wanted}: {text}",
            nms_fix,
        )
    if len(shape) == 3 and not grows and named and shape[1] > 4 + classes:
        extra = shape[1] - 4 - classes
        kinds = {1: "an obb model's (an angle)", 32: "a segment model's (mask coefficients)"}
        kind = kinds.get(extra, "a pose model's (keypoints)")
        return (
            f"gives {extra} value{'s' if extra > 1 else ''} per box beyond its 4 box and "
            f"{classes} class channels, as "
            f"{kind}: it is not a detector",
            FIX_MODEL,
        )
    if len(shape) == 3 and not grows and shape[1] > 4:
        return (
            f"predicts {count_of(shape[1] - 4, 'class', 'classes')} (4 + {shape[1] - 4} output "
            "channels); its card "
            f"names {classes}",
            "use the card written for this model",
        )
    return f"gives output of shape {text} where {wanted} was expected", FIX_MODEL


def fixed_input(session: Any, card: ModelCard, path: Path) -> tuple[int | None, int | None]:
    """The batch size and tile side an ONNX model's input is fixed to (None where dynamic).

    A fixed square side of at least the card's tile size (ultralytics' default export is
    640 × 640) takes each tile padded to it, as a tile cut by the scene's edge is padded to the
    stride. InputError when it takes other values than float32, or a fixed shape no tile fits:
    onnxruntime would refuse every batch.
    """
    node = session.get_inputs()[0]
    if node.type != "tensor(float)":
        kind = node.type.removeprefix("tensor(").removesuffix(")")
        raise InputError(
            path,
            f"takes {kind} input"
            + (" (an export with half=True)" if kind == "float16" else "")
            + " where this tool gives float32 tiles",
            "export it again in float32: yolo export model=M.pt format=onnx dynamic=True "
            "(without half=True)",
        )
    batch, _, height, width = (
        dim if isinstance(dim, int) and dim > 0 else None for dim in node.shape
    )
    if height is None and width is None:
        return batch, None
    tile = card.input.tile_px
    side = -(-tile // STRIDE) * STRIDE  # the tile padded to the stride, as it is run
    if height is None or height != width or height < side:
        shown = "×".join("?" if dim is None else str(dim) for dim in (height, width))
        raise InputError(
            path,
            f"takes only {shown} px tiles (a fixed input shape, the default of yolo export) "
            f"where its card {card_path_for(path).name} has {tile} px tiles",
            "export it again with dynamic shapes: yolo export model=M.pt format=onnx dynamic=True",
        )
    return batch, height


def check_network(net: Any, card: ModelCard, weights: Path) -> None:
    """InputError when a torch model's classes or input bands disagree with its card."""
    names = getattr(net, "names", None)
    classes = [names[i] for i in sorted(names)] if isinstance(names, dict) else list(names or [])
    _check_classes(classes, card, weights)
    first = next(module for module in net.modules() if hasattr(module, "in_channels"))
    _check_bands(int(first.in_channels), card, weights)


def check_onnx(session: Any, card: ModelCard, path: Path) -> list[str]:
    """InputError when an ONNX model's input, outputs or class names disagree with its card;
    notes (one line each) on what cannot be checked. The class count is checked from the
    output of one blank tile (:meth:`detector.model.YoloDetector.check_output`)."""
    shapes = session.get_inputs()[0].shape
    if len(shapes) != 4:
        raise InputError(path, f"takes input of shape {shapes}, not images", FIX_MODEL)
    if isinstance(shapes[1], int):
        _check_bands(shapes[1], card, path)
    metadata = session.get_modelmeta().custom_metadata_map
    task = _onnx_task(metadata)
    if task != "detect":
        raise InputError(path, f"is {article(task)} model, not a detector", FIX_MODEL)
    count = len(session.get_outputs())
    if count != 1:
        raise InputError(
            path,
            f"gives {count} outputs, as a segment model does (boxes and masks), where a "
            "detector gives one",
            FIX_MODEL,
        )
    outputs = session.get_outputs()[0].shape
    if len(outputs) != 3:
        raise InputError(path, f"gives output of shape {outputs}, not YOLO boxes", FIX_MODEL)
    names = metadata.get("names")
    if names:
        _check_classes(_parse_names(names), card, path)
        return []
    return [
        f"{path}: has no class names in its metadata, so the order of its card's classes "
        f"({', '.join(card.classes)}) cannot be checked — a wrong order swaps the classes "
        "without a word: keep the card written for this model, or export the .pt again with "
        "ultralytics (it records the names)"
    ]


def article(word: str) -> str:
    """``word`` after its indefinite article: an obb, a segment."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


_HEAD_TASKS = {"segment": "segment", "obb": "obb", "pose": "pose", "classify": "classify"}


def _onnx_task(metadata: dict[str, str]) -> str:
    """The task ultralytics recorded in an export's metadata (``detect`` when it says none).

    Its ``head`` wins over its ``task``: an export of a checkpoint saved without its task
    says ``task: detect`` over a ``Segment``, ``OBB`` or ``Pose`` head.
    """
    head = metadata.get("head", "").lower()
    for word, task in _HEAD_TASKS.items():
        if word in head:
            return task
    return metadata.get("task", "detect").strip().lower() or "detect"


def recorded_stride(metadata: dict[str, str]) -> int:
    """The largest stride an ultralytics export records in its metadata (``stride``: 8 for the
    bundled model, 64 for a P6 one); 0 where it records none or it cannot be read."""
    try:
        return max(int(metadata.get("stride", "0")), 0)
    except ValueError:
        return 0


def probed_stride(anchors: int) -> int:
    """64 where the raw output of a blank :data:`PROBE_PX` (64 px) tile has ``anchors`` of
    which one level holds a single cell (a P6 head: 85 = 64 + 16 + 4 + 1; finer levels hold a
    multiple of 4 cells there), else 0: the largest stride of an export that records none
    (:func:`recorded_stride`: an ONNX without ultralytics' metadata)."""
    return PROBE_PX if anchors % 4 == 1 else 0


def _parse_names(text: str) -> list[str]:
    """Class names from ultralytics' ONNX metadata, e.g. ``{0: 'dredge', 1: 'boat'}``."""
    import ast

    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return []
    if isinstance(value, dict):
        return [str(value[key]) for key in sorted(value)]
    return [str(item) for item in value] if isinstance(value, list) else []


def _check_classes(classes: Sequence[str], card: ModelCard, path: Path) -> None:
    """InputError unless the model names the card's classes in the card's order. Names that
    differ only in case or spaces (``Dredge``, ``Boat ``: a dataset exported with capitals)
    are the same classes: the card's names are the ones written. They were refused, and the
    card cannot say ``Dredge`` (it must name ``dredge``), so such a model could not be run.
    Where two names of the model or of the card differ only so (``dredge``, ``Dredge``), they
    are two classes and must match exactly: read blind to case, a model of ``Dredge``,
    ``dredge`` beside a card of ``dredge``, ``Dredge`` passed with its classes swapped."""
    if _class_keys(classes) != _class_keys(card.classes):
        raise InputError(
            path,
            f"predicts classes {list(classes)}; its card {card_path_for(path).name} says "
            f"{list(card.classes)}",
            "use the card written for this model (the class order matters)",
        )


def _class_keys(names: Sequence[object]) -> list[str]:
    """The names as compared: without case or surrounding spaces, unless two of them would
    then be one (each as written)."""
    keys = [str(name).strip().casefold() for name in names]
    return keys if len(set(keys)) == len(keys) else [str(name) for name in names]


def _check_bands(channels: int, card: ModelCard, path: Path) -> None:
    if channels != len(card.input.bands):
        raise InputError(
            path,
            f"takes {channels} input bands; its card names {len(card.input.bands)} "
            f"({', '.join(card.input.bands)})",
            "use the card written for this model",
        )


def reason(exc: BaseException) -> str:
    """A short reason from a loader's exception (its first line, without decorations)."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    first = first.replace("ERROR ❌️ ", "").strip()
    return first if len(first) <= 160 else first[:157] + "…"
