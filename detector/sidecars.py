"""A scene's metadata files (sidecars) and the acquisition time they give: Planet's
``<stem>_metadata.json`` (``properties.acquired``, or ``datetime``, or either at the top
level) or XML (``acquisitionDate``, ``acquisitionDateTime`` or ``acquired``, any namespace or
case), Maxar's ``.XML`` (``FIRSTLINETIME``) and ``.IMD`` (``firstLineTime``; in either, a
mosaic's ``earliestAcqTime`` too, the first of them in the file), also a Maxar
tile's product's. Read by :mod:`detector.acquisition` (which comes first: its docstring). A
time before the first satellite image (``1970-01-01``: a placeholder), or a clock's first day
after it written for none (``1980-01-01 00:00:00``), dates nothing: the next metadata file
does, else the scene's name or tags, and it is said
(:func:`detector.date_sanity.before_imagery`, :func:`~detector.date_sanity.default_for_none`).
So is a file that cannot be read as JSON or XML (a truncated download, an HTML error page
saved as ``_metadata.json``), and a STAC item beside the scene (``<stem>.json``) whose
``datetime`` is null and whose ``start_datetime`` and ``end_datetime`` are days apart (a
range, not one acquisition: its first day dates the scene, as a mosaic's name does, and it is
said; of one UTC day, ``start_datetime`` dates the scene). The first
file that dates the scene wins; another whose time is more than a minute from it is said (of
the tiles of one product, in full on the first one's line: :mod:`detector.scene_lines`). Files
are read as Windows tools save them too (UTF-16 or UTF-8 with a byte-order mark, Windows-1252
without a declaration: :func:`metadata_text`)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from detector.date_sanity import (
    FIRST_IMAGERY,
    PassedOver,
    before_imagery,
    default_for_none,
    is_default_stamp,
    last_day_of_span,
)
from detector.file_identity import file_identity
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
    source (``metadata.json``, ``metadata.xml``, ``metadata.imd``) and the words for the
    scene's line (a :class:`~detector.date_sanity.PassedOver`): a time before the first
    satellite image, or default for none (``1980-01-01 00:00:00``), passed over; a file that
    cannot be read as JSON or XML (a truncated download, an HTML error page saved in its
    place), or a STAC item of a range of days; another of the scene's files whose time is more
    than :data:`DISAGREE` from the one that dates it (each said once). Where none dates it, no
    time (source ``unknown``) with those words (a metadata.json of 1970-01-01 dated the scene
    1970, one of 1980-01-01 00:00 dated it 1980; a broken file, a range, a second file of
    another day were passed over without a word)."""
    over: PassedOver | None = None
    chosen: tuple[datetime, str, str] | None = None  # time, source, file name
    others: list[str] = []  # the files that disagree with it
    seen: set[tuple[int, int] | str] = set()  # a.xml and a.XML on a file system blind to case
    for candidate in sidecar_candidates(path):
        try:
            if not candidate.is_file():
                continue
            identity = file_identity(candidate, candidate.stat())
            if identity in seen:
                continue
            seen.add(identity)
            raw = candidate.read_bytes()
        except OSError as exc:
            read = _Read(problem=f"cannot be read ({exc.strerror or type(exc).__name__})")
        else:
            read = _read(candidate.suffix.lower(), raw)
        source = _SOURCES.get(candidate.suffix.lower(), "metadata.xml")
        if read.problem is not None:
            said = PassedOver(source, f"{candidate.name} {read.problem}")
            over = said if over is None else over.then(said)
            continue
        if read.found is None:
            continue
        when, value = read.found
        placeholder = when < FIRST_IMAGERY or is_default_stamp(value)  # 1980-01-01 00:00
        if chosen is not None:  # a placeholder after it is none of the scene's dates
            if not placeholder and abs(when - chosen[0]) > DISAGREE:
                others.append(f"{candidate.name} says {when:%Y-%m-%d %H:%M} UTC")
        elif placeholder:
            said = (before_imagery if when < FIRST_IMAGERY else default_for_none)(
                source, value, candidate.name
            )
            over = said if over is None else over.then(said)
        else:
            chosen = (when, source, candidate.name)
            if read.note is not None:
                said = PassedOver(source, f"{candidate.name} {read.note}")
                over = said if over is None else over.then(said)
    if chosen is None:
        return None if over is None else (None, "unknown", over)
    if others:
        said = PassedOver(
            chosen[1],
            f"dated {chosen[0]:%Y-%m-%d %H:%M} UTC by {chosen[2]}, while {', '.join(others)}: "
            f"{DISAGREE_ADVICE}",
        )
        over = said if over is None else over.then(said)
    return chosen[0], chosen[1], over


DISAGREE = timedelta(minutes=1)  # two files of one scene further apart: one is another's
DISAGREE_ADVICE = (  # said once a run for the tiles of one product (detector.scene_lines)
    "check which is the scene's (a sidecar of another scene?), or give the date with --dates"
)
_SOURCES = {".json": "metadata.json", ".imd": "metadata.imd"}  # else metadata.xml


class _Read(NamedTuple):
    """What one metadata file gives: a time and its text as written, or why it dates nothing
    (said on the scene's line), or neither (it has no time)."""

    found: tuple[datetime, str] | None = None
    problem: str | None = None
    note: str | None = None  # said with a time that dates the scene (a STAC range's first day)


def _read(suffix: str, raw: bytes) -> _Read:
    if suffix == ".json":
        return _time_from_json(raw)
    if suffix == ".imd":
        return _Read(_time_from_imd(raw))
    return _time_from_xml(raw)


def metadata_text(raw: bytes) -> str:
    """A metadata file's text as Windows tools save it (:func:`detector.user_tables.saved_text`:
    UTF-16 or UTF-8 with a byte-order mark, Windows-1252), else as UTF-8 with what is none
    replaced. A ``metadata.json`` saved by Notepad (a byte-order mark) or PowerShell 5
    (``ConvertTo-Json > …``: UTF-16), or an IMD saved as UTF-16, dated nothing, without a word:
    the scene was dated by its name or tags, or not at all (also read so: a Maxar IMD's
    calibration, :mod:`detector.maxar_radiometry`)."""
    try:
        return saved_text(raw, also=("cp1252",))
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")


def metadata_xml(raw: bytes) -> ET.Element:
    """A metadata XML's root, read by its byte-order mark or declared encoding, else as
    :func:`metadata_text` reads text (one in Windows-1252 with no declaration, ``Peña``, was
    not well-formed); ET.ParseError where it is not XML. Also the reader of a Maxar XML's and a
    Planet XML's calibration (:mod:`detector.maxar_radiometry`, :mod:`detector.radiance`)."""
    try:
        return ET.fromstring(raw)
    except ET.ParseError:
        return ET.fromstring(metadata_text(raw))  # a text's declared encoding is not read


def _time_from_imd(raw: bytes) -> tuple[datetime, str] | None:
    """Maxar's IMD: ``firstLineTime = 2017-08-31T16:20:13.123456Z;`` (or ``earliestAcqTime``),
    the first in the file."""
    text = metadata_text(raw)
    match = re.search(r"\b(?:firstLineTime|earliestAcqTime)\s*=\s*([0-9T:.\-+Z]+)\s*;", text)
    if match is None:
        return None
    try:
        return to_utc(match[1]), match[1]
    except ValueError:
        return None


def _time_from_json(raw: bytes) -> _Read:
    """``acquired`` or ``datetime`` (in ``properties``, else at the top level); a STAC item's
    ``start_datetime`` where its ``datetime`` is null (of a range of days, its first day, said:
    :func:`_stac_span`)."""
    text = metadata_text(raw)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return _Read(problem=_not_json(text, exc))
    if not isinstance(doc, dict):
        return _Read()
    properties = doc.get("properties")
    places = [properties, doc] if isinstance(properties, dict) else [doc]
    for place in places:
        for key in ("acquired", "datetime"):
            value = place.get(key)
            if isinstance(value, str):
                try:
                    return _Read((to_utc(value), value))
                except ValueError:
                    continue
    for place in places:
        if place.get("datetime", "") is None and isinstance(place.get("start_datetime"), str):
            return _stac_span(place["start_datetime"], place.get("end_datetime"))
    return _Read()


def _stac_span(start: str, end: object) -> _Read:
    """A STAC item's ``start_datetime`` where its ``datetime`` is null: it dates the scene
    where ``end`` is of the same UTC day or its midnight after (or none), one acquisition; of
    a range of days (a composite, a month's mosaic) it dates the scene too, the range's first
    day, as a mosaic's or a range's name does, and is said with ``--dates`` as the fix."""
    try:
        first = to_utc(start)
        last = to_utc(end) if isinstance(end, str) else None
    except ValueError:
        return _Read()
    last_day = None if last is None else last_day_of_span(first, last)
    if last_day is None or last_day == first.date():
        return _Read((first, start))
    return _Read(
        (first, start),
        note=f"is a STAC item of the range {first:%Y-%m-%d} to {last_day:%Y-%m-%d} (start_datetime "
        "to end_datetime, its datetime null), not one acquisition: its first day dates the "
        "scene, as a mosaic's name does; if it shows another day of it, give that date with "
        "--dates",
    )


def _not_json(text: str, exc: json.JSONDecodeError) -> str:
    """Why a ``.json`` metadata file dates nothing: an HTML page saved in its place, or JSON
    cut short or broken (where)."""
    if text.lstrip("\ufeff \t\r\n")[:1] == "<":
        why = "it holds HTML or XML, an error page saved in its place?"
    elif not text.strip():
        why = "it is empty"
    else:
        where = f"line {exc.lineno}, column {exc.colno}"
        why = f"{exc.msg.removesuffix(' at')} at {where}; cut short by a download?"
    return f"cannot be read as JSON ({why}): it dates nothing; download it again"


def _time_from_xml(raw: bytes) -> _Read:
    """The first time tag of an XML file, read by its byte-order mark or declared encoding,
    else as Windows tools save text (one of Windows-1252 with no declaration, ``Peña``, was
    not well-formed: it dated nothing); why it dates nothing where it is not XML (cut short)
    or is an HTML page."""
    try:
        root = metadata_xml(raw)
    except ET.ParseError as exc:
        why = "it is empty" if not raw.strip() else f"{exc}; cut short, or an HTML page?"
        return _Read(problem=f"cannot be read as XML ({why}): it dates nothing; download it again")
    if root.tag.rsplit("}", 1)[-1].lower() == "html":  # well-formed: it dated nothing unsaid
        return _Read(
            problem="is an HTML page, not metadata (an error page saved in its place?): it "
            "dates nothing; download it again"
        )
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower()
        if tag in _XML_TIME_TAGS and element.text:
            try:
                return _Read((to_utc(element.text), element.text))
            except ValueError:
                continue
    return _Read()
