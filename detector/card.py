"""Model cards: what a weights file is, what it expects, and how it was made.

A model is a weights file plus a card beside it, ``<stem>.card.json`` (``dredge-yolo11-p2.pt`` →
``dredge-yolo11-p2.card.json``). An ONNX export next to the weights (``<stem>.onnx``) uses the
same card. The card is JSON::

    {"format": 1, "name": "dredge-yolo11-p2-synth", "weights": "dredge-yolo11-p2.pt",
     "sha256": "<sha256 of the .pt>", "classes": ["dredge", "boat"],
     "input": {"bands": ["red", "green", "blue"], "gsd_m": 3.0, "tile_px": 256,
               "overlap_px": 32, "scale": "display"},
     "training": {...}, "metrics": {...},
     "onnx": "dredge-yolo11-p2.onnx", "onnx_sha256": "<sha256 of the .onnx>"}

``onnx`` and ``onnx_sha256`` are optional; ``weights`` and ``onnx`` are file names or paths
relative to the card's folder; ``training`` and ``metrics`` are free-form. Loading
checks the card (keys, classes, input) and the weights' sha256, and refuses a mismatch with one
line that names the file and the fix. :meth:`ModelCard.check_scene` refuses a scene that lacks
a band the model needs.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detector.errors import InputError
from detector.inputspec import InputSpec
from detector.json_text import json_text
from detector.wording import agree
from detector.writing import write_text_atomic

if TYPE_CHECKING:
    from detector.scene import Scene

CARD_FORMAT = 1
CARD_SUFFIX = ".card.json"
DREDGE_CLASS = "dredge"
REQUIRED_KEYS = ("format", "name", "weights", "sha256", "classes", "input")
OPTIONAL_KEYS = ("training", "metrics", "onnx", "onnx_sha256")
INPUT_KEYS = ("bands", "gsd_m", "tile_px", "overlap_px", "scale")
ONNX_SUFFIX = ".onnx"
GSD_RANGE_M = (0.05, 100.0)  # metres per pixel: from aerial-like 5 cm to Landsat-like 100 m
TILE_RANGE_PX = (32, 4096)
ONNX_SOURCE_KEY = "dredge_weights_sha256"
"""ONNX metadata this tool's exports carry: the sha256 of the ``.pt`` they were exported from."""
README_CARD = "see the README, 'Detection alone: dredge detect, the model card'"
"""Where the README shows a card (it has no section of its own)."""
_FIX_CARD = f"write the card again ({README_CARD}), or use the card that came with it"


@dataclass(frozen=True)
class ModelCard:
    """A model card: classes, input, provenance; ``path`` is where it was read from."""

    name: str
    weights: str  # the torch weights: a file name or a path, relative to the card's folder
    sha256: str  # of the weights file
    classes: tuple[str, ...]
    input: InputSpec
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    onnx: str | None = None  # an ONNX export, relative to the card's folder
    onnx_sha256: str | None = None
    format: int = CARD_FORMAT
    path: Path | None = field(default=None, compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)  # read from the card, for people

    @classmethod
    def describe(
        cls,
        weights: str | Path,
        *,
        name: str,
        classes: tuple[str, ...] | list[str],
        input: InputSpec,
        training: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        onnx: str | Path | None = None,
    ) -> ModelCard:
        """A card for ``weights`` (and optionally its ONNX export), hashes computed here."""
        weights = Path(weights)
        return cls(
            name=name,
            weights=weights.name,
            sha256=file_sha256(weights),
            classes=tuple(classes),
            input=input,
            training=dict(training or {}),
            metrics=dict(metrics or {}),
            onnx=Path(onnx).name if onnx else None,
            onnx_sha256=file_sha256(Path(onnx)) if onnx else None,
        )

    @property
    def dredge_class(self) -> int:
        """Index of the ``dredge`` class."""
        return self.classes.index(DREDGE_CLASS)

    def to_dict(self) -> dict[str, Any]:
        """The card as JSON-ready data (optional keys left out when unset)."""
        spec = self.input
        data: dict[str, Any] = {
            "format": self.format,
            "name": self.name,
            "weights": self.weights,
            "sha256": self.sha256,
            "classes": list(self.classes),
            "input": {
                "bands": list(spec.bands),
                "gsd_m": spec.gsd_m,
                "tile_px": spec.tile_px,
                "overlap_px": spec.overlap_px,
                "scale": spec.scale,
            },
            "training": self.training,
            "metrics": self.metrics,
        }
        if self.onnx:
            data["onnx"] = self.onnx
        if self.onnx_sha256:
            data["onnx_sha256"] = self.onnx_sha256
        return data

    def digest(self) -> str:
        """sha256 of the card as :meth:`to_dict` gives it: two loads of one model agree, a card
        edited or retrained under the same path does not."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def save(self, path: str | Path) -> Path:
        """Write the card as JSON (UTF-8) to ``path`` (conventionally ``<weights
        stem>.card.json``), whole or not at all (:func:`detector.writing.write_text_atomic`: a
        write stopped half-way left a cut-off card beside the model, in place of the old one)."""
        text = json_text(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        return write_text_atomic(path, text)

    def check_scene(self, scene: Scene) -> None:
        """InputError when ``scene`` lacks a band the model needs."""
        missing = [band for band in self.input.bands if band not in scene.bands]
        if missing:
            raise InputError(
                scene.path,
                f"has no {', '.join(missing)} {agree(len(missing), 'band', 'bands')} that model "
                f"{self.name} needs "
                f"(scene: {', '.join(scene.bands)}; model: {', '.join(self.input.bands)})",
                "use a model trained on the scene's bands (--model), or name the file's bands "
                "with --scene-bands",
            )


def card_path_for(weights: str | Path) -> Path:
    """Where the card of ``weights`` lies: ``<stem>.card.json`` beside it."""
    weights = Path(weights)
    return weights.with_name(weights.stem + CARD_SUFFIX)


def beside_card(weights: str | Path, name: str) -> Path:
    """The file a card key names (``weights``, ``onnx``): a file name, or a path relative to the
    card's folder (``exports/m.onnx``, ``../shared/m.onnx``), the folder of ``weights``."""
    return card_path_for(weights).parent / name


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_card(weights: str | Path, *, verify: bool = True) -> ModelCard:
    """Read and check the card of ``weights`` (a ``.pt`` or its ``.onnx``; a ``file:`` URL is
    read as the local path it names, :func:`local_path`).

    With ``verify`` the sha256 of ``weights`` is checked against the card (``sha256`` for the
    torch weights, ``onnx_sha256`` for an ONNX file when the card has one). Every problem is an
    :class:`InputError` of one line naming the file and the fix.
    """
    weights = local_path(weights)
    if weights.is_dir():
        _refuse_folder(weights)
    if not weights.is_file():
        _refuse_url(weights)
        raise InputError(weights, "weights file not found", "check the model's path")
    path = card_path_for(weights)
    if not path.is_file():
        raise InputError(
            weights,
            f"has no model card (expected {path.name} beside it)",
            f"keep the card that came with the weights next to them, or write one ({README_CARD})",
        )
    card = parse_card(_read_json(path), path)
    if verify:
        verify_weights(card, weights)
    return card


def local_path(path: str | Path) -> Path:
    """``path`` as a local path: a ``file:`` URL of this machine (``file:///models/m.pt``,
    ``file://localhost/…``, or ``file:/models/m.pt``, as ``Path`` makes the first) is the path it
    names, percent-escapes decoded; anything else is ``Path(path)``. It said "file://models/m.pt:
    is a URL … download it", a slash lost, of a local file."""
    parts = urllib.parse.urlsplit(str(path))
    if (
        parts.scheme.lower() != "file"
        or parts.netloc.lower() not in ("", "localhost")
        or not parts.path.startswith("/")
        or parts.query
        or parts.fragment
    ):
        return Path(path)
    return Path(urllib.request.url2pathname(parts.path))


_URL = re.compile(r"^([a-z][a-z0-9+.-]+):/+(?=.)", re.IGNORECASE)  # a one-letter scheme is a drive


def _refuse_url(weights: Path) -> None:
    """InputError for a URL given as the model (``https://…/m.pt``, ``s3://…``), which is not
    downloaded: it said "weights file not found — check the model's path" of a URL with one slash
    lost (``https:/…``), as scenes are read from URLs."""
    found = _URL.match(str(weights))
    if found is None:
        return
    url = _URL.sub(r"\1://", str(weights), count=1)  # Path made '//' one slash
    raise InputError(
        url,
        "is a URL; a model is read from a local file (scenes may be URLs, models not)",
        f"download it and its card ({card_path_for(weights).name}) into one folder, and give "
        "the file's path",
    )


def _refuse_folder(folder: Path) -> None:
    """InputError for a folder given as the model, naming the models in it."""
    found = sorted(
        path.name
        for path in folder.iterdir()
        if path.suffix.lower() in (".pt", ONNX_SUFFIX) or path.name.endswith(CARD_SUFFIX)
    )
    models = [name for name in found if not name.endswith(CARD_SUFFIX)]
    shown = ", ".join(found[:6]) + (f" and {len(found) - 6} more" if len(found) > 6 else "")
    raise InputError(
        folder,
        f"is a folder, not a weights file ({'it holds ' + shown if found else 'no model in it'})",
        f"give the weights file: {folder / models[0]}"
        if models
        else "give a weights file (.pt or .onnx) with its card beside it",
    )


def model_file(path: str | Path) -> Path:
    """The weights a ``--model`` path stands for: itself, or, for a card given in their place
    (``m.card.json``), the weights it describes (its ``weights``, else its ``onnx`` or
    ``<stem>.onnx`` beside it) when that file's card is this one. A ``file:`` URL is read as the
    local path it names (:func:`local_path`)."""
    path = local_path(path)
    if not path.name.endswith(CARD_SUFFIX) or not path.is_file():
        return path
    data = _read_json(path)
    stem = path.name.removesuffix(CARD_SUFFIX)
    named = [data.get(key) for key in ("weights", "onnx")]
    candidates = [beside_card(path, name) for name in named if isinstance(name, str) and name]
    for candidate in [*candidates, path.with_name(stem + ONNX_SUFFIX)]:
        if candidate.is_file() and card_path_for(candidate) == path:
            return candidate
    raise InputError(
        path,
        f"is a model card, and the weights it describes ({data.get('weights')}) are not beside it",
        "give the weights file (.pt or .onnx) with --model, this card beside it",
    )


def _read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, as Windows tools save text
    (:func:`detector.user_tables.saved_text`): UTF-8 with or without a byte order mark (Notepad's
    and PowerShell's: a hand-written card was refused as "is not valid JSON (Unexpected UTF-8
    BOM …)"), UTF-16 with one (PowerShell 5's ``>``), or Windows-1252 (Notepad's "ANSI": a card
    naming ``Río`` was refused as "is not a text file"). A file holding a NUL is no text in any
    of them (a weights file saved under the card's name: read as Windows-1252, it was "is not
    valid JSON (Expecting value at line 1, column 1)")."""
    from detector.user_tables import saved_text  # pandas, not needed to import this module

    try:
        text = saved_text(path.read_bytes(), also=("cp1252",))
        if "\x00" in text:  # binary: Windows-1252 reads almost any bytes
            raise UnicodeDecodeError("cp1252", b"\x00", 0, 1, "a NUL in text")
        data = json.loads(text)
    except UnicodeDecodeError:
        raise InputError(path, "is not a text file (model cards are JSON)", _FIX_CARD) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            path,
            f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
            _FIX_CARD,
        ) from None
    if not isinstance(data, dict):
        raise InputError(path, "is not a JSON object (a model card is {...})", _FIX_CARD)
    return data


def parse_card(data: dict[str, Any], path: Path) -> ModelCard:
    """Build a :class:`ModelCard` from card data read from ``path``; InputError when invalid."""
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise InputError(
            path,
            f"misses {agree(len(missing), 'key', 'keys')} {', '.join(missing)}",
            f"a model card needs {', '.join(REQUIRED_KEYS)}; add them or write it again",
        )
    form = data["format"]
    if isinstance(form, bool) or not (
        isinstance(form, int) or (isinstance(form, float) and form.is_integer())
    ):  # ``true`` was read as format 1 (True == 1 in Python)
        raise InputError(
            path,
            f"has card format {json.dumps(data['format'])}, not a whole number",
            f'give "format": {CARD_FORMAT} (this version reads format {CARD_FORMAT})',
        )
    if data["format"] != CARD_FORMAT:
        raise InputError(
            path,
            f"has card format {data['format']!r}; this version reads format {CARD_FORMAT}",
            "upgrade dredge-detector, or write the card again in format 1",
        )
    classes = data["classes"]
    if not isinstance(classes, list) or not all(isinstance(c, str) and c for c in classes):
        raise InputError(path, "'classes' is not a list of class names", _FIX_CARD)
    if DREDGE_CLASS not in classes:
        raise InputError(
            path,
            f"classes {classes} do not include 'dredge'",
            "this tool finds dredges: name the dredge class 'dredge' in the card and the model",
        )
    for key in ("name", "weights", "sha256"):
        if not isinstance(data[key], str) or not data[key]:
            raise InputError(path, f"'{key}' must be a non-empty string", _FIX_CARD)
    for key in ("onnx", "onnx_sha256"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise InputError(path, f"'{key}' must be a string (a file name, its sha256)", _FIX_CARD)
    return ModelCard(
        notes=_unknown_keys(data, path),
        name=data["name"],
        weights=data["weights"],
        sha256=data["sha256"].lower(),
        classes=tuple(classes),
        input=_parse_input(data["input"], path),
        training=_free_form(data, "training", path),
        metrics=_free_form(data, "metrics", path),
        onnx=data.get("onnx") or None,
        onnx_sha256=(data.get("onnx_sha256") or "").lower() or None,
        path=path,
    )


def _unknown_keys(data: dict[str, Any], path: Path) -> tuple[str, ...]:
    """A note naming the keys this version does not read (a misspelt ``onnx_sha256`` would turn
    a check off without a word), each with the key it looks like."""
    import difflib

    value = data.get("input")
    unknown: list[tuple[str, tuple[str, ...]]] = [
        (key, (*REQUIRED_KEYS, *OPTIONAL_KEYS)) for key in data
    ]
    unknown += [(f"input.{key}", INPUT_KEYS) for key in (value if isinstance(value, dict) else {})]
    named = []
    for key, known in unknown:
        if key.removeprefix("input.") in known:
            continue
        close = difflib.get_close_matches(key.removeprefix("input."), known, n=1)
        named.append(f"{key} ({close[0]}?)" if close else key)
    if not named:
        return ()
    one = len(named) == 1
    return (
        f"{path}: {agree(len(named), 'key', 'keys')} {', '.join(named)} "
        f"{'is not a model card key and was' if one else 'are not model card keys and were'} "
        f"ignored — check {'its' if one else 'their'} spelling ({README_CARD})",
    )


def _parse_input(value: object, path: Path) -> InputSpec:
    if not isinstance(value, dict):
        raise InputError(path, "'input' is not an object", _FIX_CARD)
    missing = [key for key in INPUT_KEYS if key not in value]
    if missing:
        raise InputError(
            path,
            f"'input' misses {agree(len(missing), 'key', 'keys')} {', '.join(missing)}",
            f"give {', '.join(INPUT_KEYS)} (e.g. bands [red, green, blue], gsd_m 3.0)",
        )
    bands = value["bands"]
    try:
        if not isinstance(bands, list):
            raise ValueError(f"bands must be a list of band names, got {bands!r}")
        spec = InputSpec(
            bands=tuple(str(band).lower() for band in bands),
            gsd_m=_number(value["gsd_m"], "gsd_m", "metres per pixel (3.0)", path),
            tile_px=_whole_px(value["tile_px"], "tile_px", path),
            overlap_px=_whole_px(value["overlap_px"], "overlap_px", path),
            scale=str(value["scale"]),
        )
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(path, f"'input' is invalid: {exc}", _FIX_CARD) from None
    _check_ranges(spec, path)
    return spec


def _number(value: object, key: str, unit: str, path: Path) -> float:
    """A card's number (a number, or text of one); InputError naming the field for another
    type (``true`` was read as 1)."""
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(value)
        return float(value)
    except ValueError:
        raise InputError(
            path, f"'input' {key} is {json.dumps(value)}, not a number", f"give it in {unit}"
        ) from None


def _whole_px(value: object, key: str, path: Path) -> int:
    """A card's whole number of pixels; InputError naming the field for a fraction (``256.7``
    was read as 256 without a word) or another type."""
    number = _number(value, key, "whole pixels (256)", path)
    if not number.is_integer():
        raise InputError(
            path,
            f"'input' {key} is {json.dumps(value)}, not a whole number of pixels",
            f"give the {key} the model was trained with, in whole pixels (e.g. 256)",
        )
    return int(number)


def _check_ranges(spec: InputSpec, path: Path) -> None:
    """InputError for a GSD or tile size no satellite model has: a typo (3 m written in cm),
    or a value that would make the scene reader allocate terabytes."""
    low, high = GSD_RANGE_M
    if not low <= spec.gsd_m <= high:
        hint = ""
        if low <= spec.gsd_m / 100 <= high:
            hint = f" (written in centimetres? that is {spec.gsd_m / 100:g} m)"
        elif low <= spec.gsd_m * 1000 <= high:
            hint = f" (written in kilometres? that is {spec.gsd_m * 1000:g} m)"
        raise InputError(
            path,
            f"'input' gsd_m {spec.gsd_m:g} is outside {low:g}–{high:g} m per pixel{hint}",
            "give the ground sampling distance the model was trained at, in metres per pixel "
            "(3.0 for PlanetScope)",
        )
    low_px, high_px = TILE_RANGE_PX
    if not low_px <= spec.tile_px <= high_px:
        raise InputError(
            path,
            f"'input' tile_px {spec.tile_px} is outside {low_px}–{high_px} px",
            "give the tile size the model was trained on, in pixels (256 for the bundled model)",
        )


def _free_form(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise InputError(path, f"'{key}' must be an object", _FIX_CARD)
    return value


def verify_weights(card: ModelCard, weights: Path) -> None:
    """InputError when ``weights`` is not the file the card describes (sha256 differs), or is
    an ONNX that records being exported from other weights than the card's (this tool's
    exports record the ``.pt``'s sha256: an older model's export beside a retrained one)."""
    if weights.suffix.lower() == ONNX_SUFFIX:
        source = onnx_source_sha256(weights)
        if source is not None and source != card.sha256:
            raise InputError(
                weights,
                f"is the export of weights of sha256 {source[:12]}…, not of its card's "
                f"{card.weights} ({card.sha256[:12]}…: an older model's export?)",
                f"give {card.weights} itself (it is exported once, into the cache), or export "
                "it again beside its card",
            )
        expected = card.onnx_sha256
        key = "onnx_sha256"
    else:
        expected = card.sha256
        key = "sha256"
    if expected is None:
        return
    actual = file_sha256(weights)
    if actual != expected:
        raise InputError(
            weights,
            f"sha256 {actual[:12]}… does not match its card {card.path or ''} "
            f"({key} {expected[:12]}…)",
            "use the weights the card describes; after retraining on purpose, write the card "
            "again (ModelCard.describe(...).save(...))",
        )


def onnx_source_sha256(path: Path) -> str | None:
    """The sha256 of the ``.pt`` the ONNX file at ``path`` was exported from, where this tool
    exported it (:data:`ONNX_SOURCE_KEY`); None otherwise, or when it cannot be read (opening
    it says why)."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # onnx raises its own unrelated types; the session names the problem
        return None
    values = [prop.value for prop in model.metadata_props if prop.key == ONNX_SOURCE_KEY]
    return values[0].lower() if values else None


def onnx_not_vouched(card: ModelCard, onnx: Path, weights: Path) -> str | None:
    """Why the ONNX file ``onnx`` may not stand in for the torch ``weights`` (a note), or None
    when it may: it records being exported from weights of the card's sha256, or the card's
    ``onnx_sha256`` vouches for it (InputError when that does not match) and it records no
    other weights. An export left from an older model (beside the retrained ``.pt``, or named
    by a card carried over) ran under the new card's name without a word."""
    source = onnx_source_sha256(onnx)
    if source == card.sha256:
        return None
    if source is None and card.onnx_sha256:
        verify_weights(card, onnx)
        return None
    instead = f"{weights.name} is exported instead (once, into the cache)"
    if source is not None:
        return (
            f"{onnx}: not used, it is the export of weights of sha256 {source[:12]}…, not of "
            f"{weights.name} ({card.sha256[:12]}…: an older model's?) — {instead}; to ship "
            "this model's export, export it again and name it in the card (onnx, onnx_sha256)"
        )
    return (
        f"{onnx}: not used, its card {card_path_for(weights).name} has no onnx_sha256 to show "
        f"it is the export of {weights.name} (it may be an older model's) — {instead}; if it is "
        "this model's export, name it in the card (onnx, onnx_sha256)"
    )
