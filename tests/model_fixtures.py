"""Models for the detector tests, independent of the bundled weights.

- :func:`write_untrained_model`: a YOLO11n built from ``yolo11n.yaml`` (no training, no
  download), its class-score biases drawn at random so that it reports many boxes (an
  untrained head scores ~0.01 everywhere), saved as an ultralytics checkpoint with its card.
- :class:`BrightBlobDetector`: a stand-in for a model that finds bright blobs in a tile (one box
  per 4-connected group of bright pixels), so a test knows exactly where boxes must land.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from detector.card import ModelCard
from detector.inputspec import InputSpec
from detector.model import DEFAULT_CONF
from detector.offline import import_ultralytics

if TYPE_CHECKING:
    import torch

    from detector.cluster import SceneTask

CLASSES = ("dredge", "boat")
RGB = ("red", "green", "blue")


def write_untrained_model(
    folder: Path,
    *,
    name: str = "tiny",
    classes: tuple[str, ...] = CLASSES,
    card_classes: tuple[str, ...] | None = None,
    bands: tuple[str, ...] = RGB,
    card_bands: tuple[str, ...] | None = None,
    tile_px: int = 256,
    seed: int = 0,
    architecture: str = "yolo11n.yaml",
    class_bias: tuple[float, ...] | None = None,
) -> Path:
    """Save an untrained, box-happy YOLO11n as ``folder/<name>.pt`` with its card.

    ``class_bias``: each class's score bias, in place of random ones (``(-30, 5)``: no dredge
    box, boat boxes everywhere); ``card_classes`` / ``card_bands`` write a card that disagrees
    with the model;
    ``architecture`` builds another ultralytics model (``yolo26n.yaml``: end-to-end, its
    one-to-one head chosen as in a trained YOLO26 checkpoint).
    """
    import torch

    import_ultralytics()
    from ultralytics.nn.tasks import DetectionModel

    torch.manual_seed(seed)
    net = DetectionModel(architecture, ch=len(bands), nc=len(classes), verbose=False)
    net.names = dict(enumerate(classes))
    if getattr(net.model[-1], "one2one_cv2", None) is not None:
        net.end2end = True
    generator = torch.Generator().manual_seed(seed)
    for branch in net.model[-1].cv3:
        bias = branch[-1].bias
        bias.data = torch.randn(bias.shape, generator=generator) * 1.5
        if class_bias is not None:
            bias.data = torch.tensor(class_bias, dtype=bias.dtype)
    wrapper = _saver()
    wrapper.model = net
    wrapper.ckpt = {}
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.pt"
    wrapper.save(weights)
    write_card(weights, classes=card_classes or classes, bands=card_bands or bands, tile_px=tile_px)
    return weights


@cache
def _saver() -> Any:
    """The ultralytics wrapper the untrained models are saved with, built once a process: its
    ``save`` writes only the ``model`` and ``ckpt`` it is given, and building it runs a forward
    pass of a YOLO11n (1.3-2 s a model, when each call built its own)."""
    return import_ultralytics().YOLO("yolo11n.yaml")


def write_onnx_network(
    path: Path,
    network: torch.nn.Module,
    *,
    bands: int = 3,
    side: int = 64,
    metadata: dict[str, str] | None = None,
    dynamic: bool = True,
    dtype: torch.dtype | None = None,
    card: bool = True,
) -> Path:
    """Export a small torch module to ONNX at ``path`` (input ``images``, batch, height and width
    dynamic unless ``dynamic`` is false), add ``metadata`` (as ultralytics does: ``names``,
    ``task``) and write its card (classes dredge, boat) beside it."""
    import warnings

    import onnx
    import torch

    example = torch.zeros(1, bands, side, side, dtype=dtype or torch.float32)
    axes = {"images": {0: "batch", 2: "height", 3: "width"}, "output0": {0: "batch"}}
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            network.eval(),
            (example,),
            str(path),
            opset_version=17,
            dynamo=False,
            input_names=["images"],
            output_names=["output0"],
            dynamic_axes=axes if dynamic else None,
        )
    model = onnx.load(str(path))
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))
    if card:
        write_card(path)
    return path


def write_card(
    weights: Path,
    *,
    classes: tuple[str, ...] = CLASSES,
    bands: tuple[str, ...] = RGB,
    tile_px: int = 256,
) -> ModelCard:
    """Write ``<stem>.card.json`` for ``weights`` (any file) and return the card."""
    card = ModelCard.describe(
        weights,
        name=f"test-{weights.stem}",
        classes=classes,
        input=InputSpec(bands=bands, gsd_m=3.0, tile_px=tile_px, overlap_px=32, scale="display"),
        training={"data": "none (untrained test model)"},
        metrics={},
    )
    card.save(weights.with_name(weights.stem + ".card.json"))
    return card


class BrightBlobDetector:
    """Finds 4-connected groups of pixels brighter than ``threshold`` in any band.

    Boxes are the groups' pixel bounds (x1, y1 exclusive), score 0.9, class 0 (dredge); a
    group cut by the tile's edge gives the box of the part inside the tile, as a real model
    would. Records the batch sizes it was called with.
    """

    def __init__(self, card: ModelCard, threshold: float = 0.8) -> None:
        self.card = card
        self.threshold = threshold
        self.batch_sizes: list[int] = []

    def predict(
        self, batch: NDArray[np.float32], *, conf: float = DEFAULT_CONF
    ) -> list[NDArray[np.float32]]:
        """One (n, 6) array per tile."""
        self.batch_sizes.append(len(batch))
        out = []
        for tile in batch:
            labels, _ = ndimage.label(tile.max(axis=0) > self.threshold)
            rows = [
                [cols.start, rows_.start, cols.stop, rows_.stop, 0.9, 0.0]
                for rows_, cols in ndimage.find_objects(labels)
            ]
            out.append(np.asarray(rows, dtype=np.float32).reshape(-1, 6))
        return out


def card_for_blobs(folder: Path, bands: tuple[str, ...] = RGB) -> ModelCard:
    """A card for :class:`BrightBlobDetector` (its 'weights' are a small text file)."""
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / "blobs.pt"
    weights.write_text("bright blob detector: no weights\n")
    return write_card(weights, bands=bands)


def untrained_scene_task(folder: Path, rivers: Path) -> SceneTask:
    """A Dask worker's task (:func:`detector.cluster.detect_one`) with an untrained model
    written under ``folder``: no flipped views, no land check, the default corridor."""
    from detector.cluster import SceneTask
    from detector.rivers import DEFAULT_CORRIDOR_M

    return SceneTask(
        model=str(write_untrained_model(folder)),
        backend="auto",
        device="cpu",
        flips=False,
        max_land=None,
        rivers=str(rivers),
        name_field="name",
        corridor_m=DEFAULT_CORRIDOR_M,
        conf=0.25,
        batch=4,
        scene_bands=None,
    )
