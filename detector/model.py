"""The detector: a YOLO model behind its card, run with torch or onnxruntime.

:func:`load_model` reads the card beside the weights (:mod:`detector.card`), loads the model
with one of two backends and checks that the model and its card agree (classes, input bands;
:mod:`detector.model_checks`):

- ``torch``: the ultralytics ``.pt`` checkpoint, on CPU or CUDA (half precision on CUDA; not
  yet measured on a GPU). Checkpoints are pickles; they are loaded with
  ``torch.load(weights_only=True)`` against ultralytics' allow-list of model classes, so a
  file that would run code when unpickled is refused instead of executed.
- ``onnx``: an ONNX export run by onnxruntime on CPU (CUDA if onnxruntime has it). An ``.onnx``
  given as the model, the one the card's ``onnx`` key names, or a ``<stem>.onnx`` beside the
  ``.pt`` that the card's ``onnx_sha256`` vouches for, is used as is (an unvouched one may be
  an older model's export: a note says it is passed over); otherwise the ``.pt`` is exported
  once (:mod:`detector.model_files`) into the cache
  (``~/.cache/dredge/onnx`` or ``$DREDGE_CACHE_DIR/onnx``, keyed by the weights' sha256; the
  16 most recently used exports are kept).
- ``auto`` (default): onnxruntime on CPU, torch on CUDA.

Both backends share pre- and post-processing (:mod:`detector.model_boxes`): a batch of tiles
(float32, bands × h × w, in [0, 1]: NaN, infinite values or values above 1 are a
``ValueError``) is padded to the model's stride, run, and reduced by class-agnostic NMS to
boxes in tile pixels ``x0, y0, x1, y1, score, class``. With ``flips`` (the default) each tile
is also run mirrored three ways and a box is kept when two of the four views find it
(:mod:`detector.flip_views`: F1 0.826 → 0.863 on the validation world, four times the work).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from detector.card import (
    ONNX_SUFFIX,
    ModelCard,
    beside_card,
    load_card,
    model_file,
    onnx_not_vouched,
    verify_weights,
)
from detector.errors import DredgeError, InputError
from detector.flip_views import FLIPS, flip_batch, fuse_views, unflip_raw
from detector.model_boxes import (
    MAX_DETECTIONS,
    NMS_IOU,
    nms,
    pad_to_side,
    pad_to_stride,
    postprocess,
)
from detector.model_checks import (
    EXPORT_RAW,
    FIX_MODEL,
    PROBE_PX,
    STRIDE,
    anchor_counts,
    check_network,
    check_onnx,
    fixed_input,
    output_problem,
    probed_stride,
    reason,
    recorded_stride,
)
from detector.model_files import (
    ONNX_CACHE_KEEP,
    export_onnx,
    load_torch_network,
    open_onnx,
    prune_onnx_cache,
)
from detector.offline import cache_dir
from detector.wording import count_of

__all__ = [  # with the boxes' pre- and post-processing (detector.model_boxes) and the model's
    # files (detector.model_files), imported from here
    "BACKENDS",
    "DEFAULT_CONF",
    "DEFAULT_WEIGHTS",
    "DEVICES",
    "MAX_DETECTIONS",
    "NMS_IOU",
    "ONNX_CACHE_KEEP",
    "WEIGHTS_DIR",
    "Detector",
    "OnnxDetector",
    "TorchDetector",
    "YoloDetector",
    "bundled_weights",
    "export_onnx",
    "load_model",
    "load_torch_network",
    "nms",
    "open_onnx",
    "pad_to_stride",
    "postprocess",
    "prune_onnx_cache",
]

WEIGHTS_DIR = Path(__file__).parent / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "dredge-yolo11-p2.pt"
BACKENDS = ("auto", "torch", "onnx")
DEVICES = ("cpu", "cuda")
DEFAULT_CONF = 0.25


@runtime_checkable
class Detector(Protocol):
    """Anything that turns a batch of tiles into boxes; :func:`load_model` returns one."""

    card: ModelCard

    def predict(
        self, batch: NDArray[np.float32], *, conf: float = DEFAULT_CONF
    ) -> list[NDArray[np.float32]]:
        """Boxes per tile: (n, 6) arrays of x0, y0, x1, y1 (tile px), score, class index."""
        ...


class YoloDetector(ABC):
    """Shared pre- and post-processing of the torch and onnxruntime backends."""

    backend = ""

    def __init__(self, card: ModelCard, source: Path, device: str, flips: bool = True) -> None:
        self.card = card
        self.source = source
        self.device = device
        self.flips = flips
        self.notes: list[str] = []  # for people, one line each: what loading could not check
        self.named = True  # the model's class names were checked against the card
        self.stride = STRIDE  # tiles are padded to a multiple of it: the model's largest stride

    def describe(self) -> str:
        """One line for people: model, backend, device, file, views."""
        views = f"{len(FLIPS)} flipped views" if self.flips else "one view"
        return f"{self.card.name} ({self.backend} on {self.device}, {self.source.name}, {views})"

    def predict(
        self, batch: NDArray[np.float32], *, conf: float = DEFAULT_CONF
    ) -> list[NDArray[np.float32]]:
        """Boxes per tile: (n, 6) float32 arrays of x0, y0, x1, y1 (tile px), score, class;
        ``batch`` (n, bands, h, w) is finite and in [0, 1] (else ValueError)."""
        return self.predict_at(batch, (conf,))[0]

    def predict_at(
        self, batch: NDArray[np.float32], confs: Sequence[float]
    ) -> list[list[NDArray[np.float32]]]:
        """:meth:`predict` at each score of ``confs`` (boxes per tile, one list per score), from
        one run of the network. With flips, a box is the score-weighted mean of its group's
        boxes, so boxes made at a low score and then cut at a higher one are not the boxes
        made at the higher score: `dredge evaluate` scored boxes made at 0.001 as the boxes
        of `--conf 0.25`."""
        batch = np.asarray(batch, dtype=np.float32)
        bands = len(self.card.input.bands)
        if batch.ndim != 4 or batch.shape[1] != bands:
            raise ValueError(
                f"batch must be (n, {bands}, h, w) for model {self.card.name}, got {batch.shape}"
            )
        if len(batch) == 0:
            return [[] for _ in confs]
        if not np.isfinite(batch).all():  # NaN spreads through the network: boxes lost
            raise ValueError(
                f"batch for model {self.card.name} holds NaN or infinite values (nodata?) — "
                "set those pixels to 0, as Scene.read_window does"
            )
        top = float(batch.max())
        if top > 1.0 + 1e-3:  # 8-bit chips: 4,552 boxes, all 'dredge', on 24 demo tiles with 33
            raise ValueError(
                f"batch values must be in [0, 1] for model {self.card.name} (its card's "
                f"'{self.card.input.scale}' scaling), got values up to {top:g} — divide 8-bit "
                "tiles by 255, or read them with Scene.read_window"
            )
        height, width = batch.shape[2:]
        lowest = min(confs)
        # one call per view: four times the batch in one call ran torch on CPU 1.6x slower
        per_view = [
            postprocess(
                unflip_raw(
                    self.forward(pad_to_stride(flip_batch(batch, *flip), self.stride)),
                    *flip,
                    width=width,
                    height=height,
                ),
                conf=lowest,
                width=width,
                height=height,
            )
            for flip in (FLIPS if self.flips else FLIPS[:1])
        ]
        out = []
        for conf in confs:  # greedy NMS keeps the same boxes above a score from any lower one
            views = [[boxes[boxes[:, 4] >= conf] for boxes in view] for view in per_view]
            if len(views) == 1:
                out.append(views[0])
            else:
                out.append([fuse_views(tile, conf=conf) for tile in zip(*views, strict=True)])
        return out

    @abstractmethod
    def forward(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        """Raw model output: (n, 4 + classes, anchors), boxes as centre x, y, w, h in px."""

    def probe(self, side: int = PROBE_PX) -> tuple[int, ...]:
        """The shape of the raw output for one blank ``side`` × ``side`` tile."""
        blank = np.zeros((1, len(self.card.input.bands), side, side), dtype=np.float32)
        try:
            return tuple(int(n) for n in np.shape(self.forward(blank)))
        except Exception as exc:  # onnxruntime and torch raise many unrelated types
            raise InputError(
                self.source, f"fails on a blank {side}×{side} tile ({reason(exc)})", FIX_MODEL
            ) from None

    def check_output(self, nms_fix: str) -> tuple[int, ...]:
        """The raw output's shape for a blank tile; InputError unless it is (batch, 4 + the
        card's classes, anchors).

        Other YOLO layouts (boxes after NMS, the output transposed, YOLOv5/v7's objectness
        column) would be read as no boxes at all: refused in one line with ``nms_fix`` or the
        export that gives this layout.
        """
        shape = self.probe()
        classes = len(self.card.classes)
        if len(shape) == 3 and shape[1] == 4 + classes:
            return shape
        grows = len(shape) == 3 and self.counts_anchors(shape)
        problem, fix = output_problem(
            shape, classes, grows=grows, nms_fix=nms_fix, named=self.named
        )
        raise InputError(self.source, problem, fix)

    def counts_anchors(self, shape: tuple[int, ...]) -> bool:
        """Whether dimension 1 of the output ``shape`` of a blank tile counts anchors: it grows
        fourfold with a tile of twice the side."""
        return self.probe(2 * PROBE_PX)[1] == 4 * shape[1]


class TorchDetector(YoloDetector):
    """The ultralytics checkpoint run by torch."""

    backend = "torch"

    def __init__(self, card: ModelCard, source: Path, device: str, flips: bool = True) -> None:
        super().__init__(card, source, device, flips)
        net = load_torch_network(source)
        check_network(net, card, source)
        self.stride = max(STRIDE, int(net.stride.max()))  # a P6 model's is 64
        self.net = net.fuse(verbose=False).to(device)  # batch norm folded into convolutions
        self.half = device.startswith("cuda")  # half precision on a GPU: twice the tiles per second
        if self.half:
            self.net = self.net.half()
        self.check_output(
            "it is an end-to-end model (YOLO26, YOLOv10: boxes come out after NMS); run it with "
            "--backend onnx, whose export gives the raw output, or use a YOLO11/YOLOv8 model"
        )

    def forward(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        import torch

        with torch.inference_mode():
            tensor_in = torch.from_numpy(batch).to(self.device)
            output = self.net(tensor_in.half() if self.half else tensor_in)
        tensor = output[0] if isinstance(output, list | tuple) else output
        return np.asarray(tensor.float().cpu().numpy(), dtype=np.float32)


class OnnxDetector(YoloDetector):
    """An ONNX export run by onnxruntime.

    An export with a fixed input shape (``yolo export`` without ``dynamic=True``) runs when its
    side is at least the card's tile size: tiles are padded to it (at the bottom and right,
    with zeros, as the network pads its own borders) and fed ``batch_size`` at a time. A
    640 px export of the bundled model gave a demo scene's detections as its dynamic export
    does (37 of 3 scenes, centres within 0.8 m, scores within 0.013 but one 0.117 near a tile's
    edge); it was refused.
    """

    backend = "onnxruntime"

    def __init__(self, card: ModelCard, source: Path, device: str, flips: bool = True) -> None:
        super().__init__(card, source, device, flips)
        self.session = open_onnx(source, device)
        self.input_name = self.session.get_inputs()[0].name
        self.notes += check_onnx(self.session, card, source)
        metadata = self.session.get_modelmeta().custom_metadata_map
        self.named = bool(metadata.get("names"))
        self.stride = max(STRIDE, recorded_stride(metadata))
        self.batch_size, self.side = fixed_input(self.session, card, source)
        if self.side is not None and self.side >= 2 * card.input.tile_px:
            self.notes.append(
                f"{source}: takes a fixed {self.side} px input where its card's tiles are "
                f"{card.input.tile_px} px: each tile is padded to it, "
                f"{(self.side / card.input.tile_px) ** 2:.0f}× the work; export it with "
                "dynamic=True to run at the tiles' size"
            )
        shape = self.check_output(f"export it again without NMS: {EXPORT_RAW}")
        if self.side is None and not recorded_stride(metadata):  # no ultralytics metadata
            self.stride = max(self.stride, probed_stride(shape[2]))

    def forward(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        if self.side is not None:
            height, width = batch.shape[2:]
            if height > self.side or width > self.side:  # named neither the file nor a fix
                raise InputError(
                    self.source,
                    f"takes a fixed {self.side} px input, and these tiles are {height}×{width} px",
                    "give its .pt, or export it again with dynamic=True (or a larger imgsz), "
                    f"or cut the tiles at {self.side} px",
                )
            batch = pad_to_side(batch, self.side)
        if self.batch_size is None:
            return self._run(batch)
        size, count = self.batch_size, len(batch)
        parts = []
        for start in range(0, count, size):
            chunk = batch[start : start + size]
            if len(chunk) < size:  # the last one, filled up with blank tiles
                blank = np.zeros((size - len(chunk), *chunk.shape[1:]), dtype=chunk.dtype)
                chunk = np.concatenate([chunk, blank])
            parts.append(self._run(chunk)[: count - start])
        return np.concatenate(parts)

    def _run(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        output = self.session.run(None, {self.input_name: batch})[0]
        return np.asarray(output, dtype=np.float32)

    def counts_anchors(self, shape: tuple[int, ...]) -> bool:
        if self.side is None:
            return super().counts_anchors(shape)
        return shape[1] in anchor_counts(self.side)  # a fixed input: every probe is this size


# --- loading -------------------------------------------------------------------------------------


def load_model(
    path: str | Path | None = None,
    *,
    backend: str = "auto",
    device: str = "cpu",
    flips: bool = True,
) -> YoloDetector:
    """Load a model and its card (default: the bundled weights); see the module's docstring.
    ``flips=False`` runs each tile once (four times faster, fewer dredges found).

    Raises :class:`InputError` (one line: the file and the fix) for a missing or invalid card,
    weights that do not match it, or a file that is not a model; :class:`DredgeError` for a
    backend or device that cannot be used here.
    """
    if backend not in BACKENDS:
        raise DredgeError(f"unknown backend {backend!r}; use one of: {', '.join(BACKENDS)}")
    gpu = device.removeprefix("cuda:") if device.startswith("cuda:") else None
    if device not in DEVICES and not (gpu is not None and gpu.isdigit()):
        raise DredgeError(
            f"unknown device {device!r}; use one of: {', '.join(DEVICES)} (or cuda:N, one GPU)"
        )
    weights = model_file(path) if path is not None else bundled_weights()
    card = load_card(weights)
    if device.startswith("cuda"):
        _require_cuda(device)
    chosen = backend if backend != "auto" else ("torch" if device.startswith("cuda") else "onnx")
    notes = list(card.notes)
    detector: YoloDetector
    if chosen == "torch":
        detector = TorchDetector(card, _torch_weights(weights, card), device, flips)
    else:
        detector = OnnxDetector(card, _onnx_file(weights, card, notes), device, flips)
    detector.notes[:0] = notes
    return detector


def bundled_weights() -> Path:
    """The default weights shipped in ``detector/weights``; DredgeError when absent."""
    if not DEFAULT_WEIGHTS.is_file():
        raise DredgeError(
            f"no bundled model at {DEFAULT_WEIGHTS} — give one (--model PATH; dredge train: "
            "--from PATH; dredge evaluate: MODEL), or build it with `make model` (dredge train "
            "--recipe default)"
        )
    return DEFAULT_WEIGHTS


def _require_cuda(device: str) -> None:
    import torch

    if not torch.cuda.is_available():
        raise DredgeError(f"--device {device}: torch sees no CUDA GPU here — use --device cpu")
    gpus = torch.cuda.device_count()
    if ":" in device and int(device.removeprefix("cuda:")) >= gpus:
        numbers = "cuda:0" if gpus == 1 else f"cuda:0 to cuda:{gpus - 1}"
        raise DredgeError(
            f"--device {device}: torch sees {count_of(gpus, 'CUDA GPU')} here — use --device "
            f"cuda, or {numbers}"
        )


def _torch_weights(weights: Path, card: ModelCard) -> Path:
    """The ``.pt`` for the torch backend (the card's weights beside an ``.onnx``)."""
    if weights.suffix.lower() != ONNX_SUFFIX:
        return weights
    beside = beside_card(weights, card.weights)
    if not beside.is_file():
        raise InputError(
            weights,
            f"is ONNX; the torch backend needs the .pt (its card's {card.weights} is not there)",
            "use --backend onnx (or auto), or give the .pt",
        )
    verify_weights(card, beside)
    return beside


def _onnx_file(weights: Path, card: ModelCard, notes: list[str]) -> Path:
    """The ONNX file for ``weights``: itself, the one its card names or ``<stem>.onnx`` beside
    it when it is vouched for as the export of ``weights`` (see
    :func:`detector.card.onnx_not_vouched`), or an export in the cache.

    An ONNX not vouched for may be an older model's export left in the folder (``dredge
    train`` and a hand-made card write no ``onnx_sha256``; a card carried over to a retrained
    ``.pt`` still vouches for the old export): it is not used, and ``notes`` says so.
    """
    if weights.suffix.lower() == ONNX_SUFFIX:
        return weights
    named = beside_card(weights, card.onnx) if card.onnx else None
    candidate = named if named and named.is_file() else weights.with_suffix(ONNX_SUFFIX)
    if candidate.is_file():
        problem = onnx_not_vouched(card, candidate, weights)
        if problem is None:
            return candidate
        notes.append(problem)
    cached = cache_dir() / "onnx" / f"{card.sha256[:16]}-{card.input.tile_px}.onnx"
    if cached.is_file():
        _mark_used(cached)
        return cached
    try:
        export_onnx(weights, cached)
    except OSError as exc:
        raise DredgeError(
            f"cannot write the ONNX export to {cached.parent} ({exc.strerror or exc}) — set "
            "DREDGE_CACHE_DIR to a writable folder, or use --backend torch"
        ) from None
    prune_onnx_cache(cached.parent, keep=ONNX_CACHE_KEEP)
    return cached


def _mark_used(path: Path) -> None:
    """Touch ``path`` so that pruning keeps recently used exports; a read-only cache is fine."""
    try:
        os.utime(path)
    except OSError:
        pass
