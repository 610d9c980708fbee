"""A scene's metadata files (sidecars) and the acquisition time they give: Planet's
``<stem>_metadata.json`` (``properties.acquired``, or ``datetime``, or either at the top
level) or XML (``acquisitionDate``, ``acquisitionDateTime`` or ``acquired``, any namespace or
case), Maxar's ``.XML`` (``FIRSTLINETIME``) and ``.IMD`` (``firstLineTime``; in either, a
mosaic's ``earliestAcqTime`` too, the first of them in the file), also a Maxar
tile's product's. Read by :mod:`detector.acquisition` (which comes first: its docstring). A
time before the first satellite image (``1970-01-01``: a placeholder), or a clock's first day
after it written for none (``1980-01-01 00:00:00``), dates nothing: the next metadata file
does, else the scene's name or tags, and it is said
(:func:`detector.date_sanity.before_imagery`, :func:`~detector.date_sanity.default_for_none`)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from detector.date_sanity import (
    FIRST_IMAGERY,
    PassedOver,
    before_imagery,
    default_for_none,
    is_default_stamp,
)
from detector.given_dates import to_utc
from detector.user_tables import saved_text
from detector.writing import NAME_MAX

# Maxar's XML as its IMD is read: FIRSTLINETIME, or a mosaic's EARLIESTACQTIME where no image
# has one (such an XML dated nothing, where the product's IMD dated the scene)
_XML_TIME_TAGS = {
    "acquisitiondatetime",
    "acquisitiondate",
    "acquired",
    "firstlinetime",
    "earliestacqtime",
}
_MAXAR_TILE = re.compile(r"_R\d+C\d+(?=-|$)", re.IGNORECASE)  # …-M2AS_R1C1-…, …_P001_R2C3


def sidecar_candidates(path: Path) -> list[Path]:
    """Metadata files that may belong to a scene, most specific first (names in any case).

    Planet names them after the scene id with product parts cut off, e.g.
    ``20230715_145012_56_2455_metadata.json`` and
    ``20230715_145012_56_2455_3B_AnalyticMS_metadata.xml`` for
    ``20230715_145012_56_2455_3B_AnalyticMS_SR.tif``; Maxar after the product, whose tiles add
    a part: ``…-M2AS-…_P001.XML`` / ``.IMD`` for ``…-M2AS_R1C1-…_P001.TIF`` (Maxar's own tile
    names) or ``…_P001_R1C1.TIF``.
    """
    stem = re.sub(r"\.tiff?$", "", path.name, flags=re.IGNORECASE)
    parts = stem.split("_")
    names = [f"{stem}.json", f"{stem}.xml", f"{stem}.imd"]
    product = _MAXAR_TILE.sub("", stem)
    if product != stem:
        names += [f"{product}.xml", f"{product}.imd"]
    for keep in range(len(parts), 1, -1):
        base = "_".join(parts[:keep])
        names += [f"{base}_metadata.json", f"{base}_metadata.xml", f"{base}_metadata_clip.xml"]
        names += [f"{base}.xml", f"{base}.imd"]
    cased = [variant for name in names for variant in (name, _upper_suffix(name))]
    return [  # a name past the file system's 255 bytes cannot exist: looking raised OSError
        path.with_name(name) for name in dict.fromkeys(cased) if len(name.encode()) <= NAME_MAX
    ]


def _upper_suffix(name: str) -> str:
    """``a_P001.xml`` → ``a_P001.XML`` (Maxar writes its suffixes in capitals)."""
    stem, _, suffix = name.rpartition(".")
    return f"{stem}.{suffix.upper()}"


def sidecar_time(path: Path) -> tuple[datetime | None, str, PassedOver | None] | None:
    """Acquisition time from a JSON, XML or Maxar IMD metadata file next to the scene, its
    source (``metadata.json``, ``metadata.xml``, ``metadata.imd``) and the first time before
    the first satellite image, or default for none (``1980-01-01 00:00:00``), passed over;
    where only such times were found, no time (source ``unknown``) and the first of them (a
    metadata.json of 1970-01-01 dated the scene 1970, one of 1980-01-01 00:00 dated it 1980)."""
    over = None
    for candidate in sidecar_candidates(path):
        if not candidate.is_file():
            continue
        suffix = candidate.suffix.lower()
        if suffix == ".json":
            found, source = _time_from_json(candidate), "metadata.json"
        elif suffix == ".imd":
            found, source = _time_from_imd(candidate), "metadata.imd"
        else:
            found, source = _time_from_xml(candidate), "metadata.xml"
        if found is not None and found[0] < FIRST_IMAGERY:
            over = over or before_imagery(source, found[1], candidate.name)
        elif found is not None and is_default_stamp(found[1]):  # 1980-01-01 00:00 dated 1980
            over = over or default_for_none(source, found[1], candidate.name)
        elif found is not None:
            return found[0], source, over
    return None if over is None else (None, "unknown", over)


def _sidecar_text(path: Path) -> str | None:
    """A metadata file's text as Windows tools save it (:func:`detector.user_tables.saved_text`:
    UTF-16 or UTF-8 with a byte-order mark, Windows-1252), else as UTF-8 with what is none
    replaced; None where it cannot be read. A ``metadata.json`` saved by Notepad (a byte-order
    mark) or PowerShell 5 (``ConvertTo-Json > …``: UTF-16), or an IMD saved as UTF-16, dated
    nothing, without a word: the scene was dated by its name or tags, or not at all."""
    try:
        return _decoded(path.read_bytes())
    except OSError:
        return None


def _decoded(raw: bytes) -> str:
    try:
        return saved_text(raw, also=("cp1252",))
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")


def _time_from_imd(path: Path) -> tuple[datetime, str] | None:
    """Maxar's IMD: ``firstLineTime = 2017-08-31T16:20:13.123456Z;`` (or ``earliestAcqTime``),
    the first in the file."""
    text = _sidecar_text(path)
    if text is None:
        return None
    match = re.search(r"\b(?:firstLineTime|earliestAcqTime)\s*=\s*([0-9T:.\-+Z]+)\s*;", text)
    if match is None:
        return None
    try:
        return to_utc(match[1]), match[1]
    except ValueError:
        return None


def _time_from_json(path: Path) -> tuple[datetime, str] | None:
    text = _sidecar_text(path)
    try:
        doc = json.loads(text) if text is not None else None
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    properties = doc.get("properties")
    places = [properties, doc] if isinstance(properties, dict) else [doc]
    for place in places:
        for key in ("acquired", "datetime"):
            value = place.get(key)
            if isinstance(value, str):
                try:
                    return to_utc(value), value
                except ValueError:
                    continue
    return None


def _time_from_xml(path: Path) -> tuple[datetime, str] | None:
    """The first time tag of an XML file, read by its byte-order mark or declared encoding,
    else as Windows tools save text (one of Windows-1252 with no declaration, ``Peña``, was
    not well-formed: it dated nothing)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        try:
            root = ET.fromstring(_decoded(raw))  # a text's declared encoding is not read
        except ET.ParseError:
            return None
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower()
        if tag in _XML_TIME_TAGS and element.text:
            try:
                return to_utc(element.text), element.text
            except ValueError:
                continue
    return None
