"""The model's files: a checkpoint read as a torch network, an ONNX session, the ONNX export.

Split from :mod:`detector.model`, which chooses among these files
(:func:`detector.model.load_model`) and runs them: :func:`load_torch_network` reads an
ultralytics ``.pt`` against its allow-list of model classes, :func:`open_onnx` opens an
onnxruntime session, :func:`export_onnx` writes the ``.pt``'s ONNX export (recording the
sha256 of the ``.pt`` it was made from), and :func:`prune_onnx_cache` bounds the cache of such
exports. All are imported from :mod:`detector.model` too.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

from detector.card import ONNX_SOURCE_KEY, file_sha256, load_card
from detector.errors import DredgeError, InputError
from detector.model_checks import FIX_MODEL, article, check_network, reason
from detector.offline import import_ultralytics, load_checkpoint

ONNX_CACHE_KEEP = 16
"""Exports kept in the cache (about 10 MB each for yolo11n): the most recently used ones."""


def prune_onnx_cache(folder: Path, keep: int = ONNX_CACHE_KEEP) -> list[Path]:
    """Delete all but the ``keep`` most recently used ONNX exports in ``folder``; return them.

    Every retrained model gets its own export (keyed by its weights' sha256), so without a bound
    the cache grows by one file per model for ever. Only the cache's own ``*.onnx`` files are
    touched; a file that cannot be deleted is left where it is.
    """
    used: list[tuple[float, Path]] = []
    for path in folder.glob("*.onnx"):
        try:
            used.append((path.stat().st_mtime, path))
        except OSError:  # removed meanwhile by another run
            continue
    used.sort(reverse=True)
    removed = []
    for _, stale in used[keep:]:
        try:
            stale.unlink()
        except OSError:
            continue
        removed.append(stale)
    return removed


def load_torch_network(weights: Path) -> Any:
    """The ``torch.nn.Module`` of an ultralytics checkpoint, in eval mode on CPU.

    The pickle is read with ``weights_only=True`` against ultralytics' allow-list of model
    classes: a file that is not a model, or that would run code when unpickled, is refused with
    an InputError.
    """
    import torch

    import_ultralytics()
    from ultralytics.cfg import DEFAULT_CFG_DICT
    from ultralytics.nn.tasks import BaseModel, guess_model_task

    try:
        checkpoint = load_checkpoint(weights)  # as named, nothing looked for online
    except Exception as exc:  # torch and ultralytics raise many unrelated types here
        raise InputError(weights, f"is not a model ({reason(exc)})", FIX_MODEL) from None
    candidate = (
        (checkpoint.get("ema") or checkpoint.get("model")) if isinstance(checkpoint, dict) else None
    )
    if not isinstance(candidate, torch.nn.Module):
        raise InputError(
            weights, "is not a model (a checkpoint without an ultralytics model)", FIX_MODEL
        )
    if not isinstance(candidate, BaseModel):
        raise InputError(
            weights,
            f"is not a model this tool can run (a checkpoint holding a plain torch "
            f"{type(candidate).__name__}, not an ultralytics model)",
            FIX_MODEL,
        )
    net: Any = candidate.float().eval()
    net.args = {**DEFAULT_CFG_DICT, **(checkpoint.get("train_args") or {})}
    net.pt_path = str(weights)
    net.task = getattr(net, "task", None) or guess_model_task(net)
    if net.task != "detect":
        raise InputError(weights, f"is {article(net.task)} model, not a detector", FIX_MODEL)
    return net


def open_onnx(path: Path, device: str) -> Any:
    """An onnxruntime session for ``path``; InputError when it is not an ONNX model."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    providers: list[Any]
    if device.startswith("cuda"):
        if "CUDAExecutionProvider" not in available:
            raise DredgeError(
                f"--device {device} with --backend onnx: this onnxruntime has no CUDA support "
                "— use --backend torch, or --device cpu"
            )
        gpu = {"device_id": int(device.removeprefix("cuda:"))} if ":" in device else {}
        providers = [("CUDAExecutionProvider", gpu), "CPUExecutionProvider"]
    else:
        providers = ["CPUExecutionProvider"]
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own unrelated error types
        raise InputError(path, f"is not an ONNX model ({reason(exc)})", FIX_MODEL) from None


# --- ONNX export ------------------------------------------------------------------------------


def export_onnx(weights: str | Path, out: str | Path) -> Path:
    """Export the ``.pt`` ``weights`` (with its card) to ONNX at ``out``; return ``out``.

    Batch, height and width are dynamic; the example input is the card's tile size. The file
    is written to a temporary folder first and moved into place, so an interrupted export
    leaves nothing behind.
    """
    weights, out = Path(weights), Path(out)
    card = load_card(weights)
    net = load_torch_network(weights)
    check_network(net, card, weights)
    import_ultralytics()
    from ultralytics.engine.exporter import Exporter

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dredge-onnx-", dir=out.parent) as tmp:
        net.pt_path = str(Path(tmp) / "model.pt")  # the exporter writes beside this name
        overrides = {
            "format": "onnx",
            "imgsz": card.input.tile_px,
            "dynamic": True,
            "simplify": False,
            "device": "cpu",
            "batch": 1,
            "verbose": False,
        }
        try:
            with warnings.catch_warnings():  # torch's notes about its legacy ONNX exporter
                warnings.simplefilter("ignore", DeprecationWarning)
                written = Exporter(overrides=overrides)(model=net)
        except Exception as exc:  # the exporter raises many unrelated types
            raise DredgeError(f"{weights}: ONNX export failed ({reason(exc)})") from None
        _record_source(Path(written), file_sha256(weights))
        os.replace(written, out)
    return out


def _record_source(onnx_path: Path, sha256: str) -> None:
    """Write the sha256 of the ``.pt`` an export was made from into its metadata
    (:data:`detector.card.ONNX_SOURCE_KEY`), so that it is told from a later model's."""
    import onnx

    model = onnx.load(str(onnx_path))
    entry = model.metadata_props.add()
    entry.key, entry.value = ONNX_SOURCE_KEY, sha256
    onnx.save(model, str(onnx_path))
