"""Keep ultralytics (and albumentations) offline: the one place that sets their environment.

Ultralytics reaches the network on its own in several places (font downloads for plots, weights
for the AMP check, PyPI update checks, hub sync). Setting these variables before it is first
imported turns all of that off; models are built from YAML or loaded from explicit paths only.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

_LOGGER_INTEGRATIONS = ("clearml", "comet", "dvc", "mlflow", "raytune", "tensorboard", "wandb")
_LOADING = threading.Lock()  # guards the swap of ultralytics' loader and download helper
_originals: dict[str, Any] = {}  # ultralytics' own loader and helper while they are swapped
_inside = 0  # callers inside safe_loading(); the last one out puts the originals back


def cache_dir() -> Path:
    """Return the project's cache folder (``$DREDGE_CACHE_DIR``, else ``~/.cache/dredge``)."""
    root = os.environ.get("DREDGE_CACHE_DIR") or str(Path.home() / ".cache" / "dredge")
    return Path(root)


def configure_offline() -> None:
    """Set ultralytics' offline environment. Idempotent; a user's explicit values win.

    A cache folder that cannot be made (a read-only home, ``DREDGE_CACHE_DIR`` on a read-only
    disk) is left to ultralytics, which keeps its settings in a private temporary folder; what
    this tool writes there says so when it comes to write (the ONNX export: one line naming
    ``DREDGE_CACHE_DIR``). Importing ``detector`` raised, and every command, even
    ``dredge --help``, ended in a traceback.
    """
    config_dir = cache_dir() / "ultralytics"
    try:
        config_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    os.environ.setdefault("YOLO_CONFIG_DIR", str(config_dir))
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    os.environ.setdefault("YOLO_VERBOSE", "false")
    # albumentations asks PyPI for its latest version on import unless this is set.
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    # Matplotlib (used by ultralytics' plots) must not look for a writable home elsewhere.
    os.environ.setdefault("MPLCONFIGDIR", str(cache_dir() / "matplotlib"))


def import_ultralytics() -> ModuleType:
    """Import ultralytics with the offline settings in force and hub sync switched off."""
    configure_offline()
    import ultralytics
    from ultralytics.utils import SETTINGS

    wanted: dict[str, object] = {
        "sync": False,  # no analytics / hub sync
        "datasets_dir": str(cache_dir() / "datasets"),  # never download into the user's folders
        "weights_dir": str(cache_dir() / "weights"),
        "runs_dir": str(cache_dir() / "runs"),
        **{name: False for name in _LOGGER_INTEGRATIONS},
        "vscode_msg": False,
        "openvino_msg": False,
    }
    changes = {k: v for k, v in wanted.items() if k in SETTINGS.defaults and SETTINGS.get(k) != v}
    if changes:
        SETTINGS.update(changes)
    return ultralytics


def load_checkpoint(weights: Path) -> Any:
    """The checkpoint in the file ``weights`` itself, read by ultralytics' ``torch_safe_load``
    with ``weights_only=True`` (its allow-list of model classes); its errors pass through.

    That loader first hands the name to its download helper, which drops apostrophes, renames
    ``yolov5s.pt`` to ``yolov5su.pt`` (and ``yolov3.pt`` to ``yolov3u.pt``) and asks GitHub for a
    name it then does not find: a model under ``rivière d'Oiapoque/`` tried the network and was
    called not a model. Here (:func:`safe_loading`) the helper gives back the file as named, so
    nothing is looked for online; and the path is absolute, never a bare release name
    (``yolo11n.pt``), which that loader deletes to download again when the file is corrupt.
    """
    import_ultralytics()
    path = str(Path(weights).absolute())
    with safe_loading():
        from ultralytics.nn.tasks import torch_safe_load

        checkpoint, _ = torch_safe_load(path, safe_only=True)
    return checkpoint


@contextmanager
def safe_loading() -> Iterator[None]:
    """While inside, every checkpoint ultralytics loads is read as :func:`load_checkpoint` reads
    one: with ``weights_only=True`` (ultralytics' allow-list of model classes), from the file as
    named, nothing looked for online.

    Ultralytics' own loading (``YOLO(path)``, the trainer's reload and final validation of
    ``best.pt``, ``pretrained=path``) unpickles in full: a ``.pt`` given to training could run
    the code it carries; and names were rewritten as :func:`load_checkpoint` says. Callers may
    nest and overlap (threads); the last one out puts ultralytics' functions back.
    """
    global _inside
    import_ultralytics()
    import ultralytics.nn.tasks as tasks
    import ultralytics.utils.downloads as downloads

    with _LOADING:
        if _inside == 0:
            unpickling = tasks.torch_safe_load

            def weights_only(weight: Any, safe_only: bool | None = None) -> Any:
                return unpickling(weight, safe_only=True)

            _originals.update(helper=downloads.attempt_download_asset, loader=unpickling)
            downloads.attempt_download_asset = _as_named
            tasks.torch_safe_load = weights_only
        _inside += 1
    try:
        yield
    finally:
        with _LOADING:
            _inside -= 1
            if _inside == 0:
                downloads.attempt_download_asset = _originals.pop("helper")
                tasks.torch_safe_load = _originals.pop("loader")


def _as_named(file: object, *args: object, **kwargs: object) -> str:
    """Ultralytics' download helper, as :func:`safe_loading` swaps it: the file as named."""
    return str(file)
