"""The word on a scene's summary line when its date may be wrong.

A date given (``--date``, ``--dates``, a STAC item's) for another day, or another time of the
same day, than the scene's own metadata or name says; a name that gives a range of days (an
image of a time range, dated by its first day); a name whose time is followed by what may be
its zone in hours or a part number (``_220000-05``), by a zone without its sign (``_UTC5``) or
none (``+15:00``), or by what may be seconds or a zone (``T22-00-05``); a day alone in a name
followed by what may be a time (``_20241102_0930``, ``_2024-11-02_0930``: a clip's); a date
from ``TIFFTAG_DATETIME`` alone, a tag many programs set to when they wrote the file; a tag's,
a metadata file's or the name's date before the first satellite image, passed over
(``1970:01:01 00:00:00``: a default for none).
How the date itself is found: :mod:`detector.acquisition`.
"""

from __future__ import annotations

import re
from datetime import datetime

from detector.acquisition import (
    DAY_NAME,
    OWN_MIDNIGHT,
    Acquisition,
    name_date_range,
    name_zone_in_doubt,
    scene_file_name,
    time_from_name,
)
from detector.given_dates import ZoneDoubt, ZonelessTime

OWN_DATE_SOURCES = {  # Acquisition.source → words for a summary line
    "metadata.json": "metadata.json",
    "metadata.xml": "metadata XML",
    "metadata.imd": "IMD",
    "planet-name": "file name",
    "maxar-name": "file name",
    "iso-name": "file name",
    "landsat-name": "file name",
    "day-name": "file name",
}


def date_caveat(path: str, acquisition: Acquisition) -> str | None:
    """The caveat for a scene at ``path`` dated by ``acquisition``; None when there is none
    (:attr:`detector.scene.Scene.date_caveat`). A date passed over, before the first satellite
    image (a tag's, a metadata file's, the name's), is said first: the scene was dated by it
    (1970) with only the word on any ``TIFFTAG_DATETIME`` (none on a metadata file or name)."""
    over = acquisition.passed_over
    said = [over.words] if over is not None else []
    found = _caveat(path, acquisition)
    return "; ".join([*said, *([found] if found else [])]) or None


def _caveat(path: str, acquisition: Acquisition) -> str | None:
    """The caveat of :func:`date_caveat` but for a tag passed over."""
    acquired = acquisition.time
    own = acquisition.own
    if acquisition.source.startswith("metadata.") and acquired is not None:
        return _name_of_another_day(path, acquisition.source, acquired)
    if own is not None and own.time is not None and acquired is not None:
        where = OWN_DATE_SOURCES.get(own.source, own.source)
        if own.time.date() == acquired.date() and isinstance(acquired, ZonelessTime):
            return (  # the same day, hours apart
                f"dated {acquired:%Y-%m-%d %H:%M} UTC as given, while its {where} says "
                f"{own.time:%H:%M} UTC: a time written without its zone is read as UTC; "
                f"add the zone ({acquired:%Y-%m-%dT%H:%M:%S}-05:00 in Peru), or give "
                "the day alone to keep the scene's own time"
            )
        if own.time.date() == acquired.date():  # with its zone: no word of one left out
            return (
                f"dated {acquired:%Y-%m-%d %H:%M} UTC as given, while its {where} says "
                f"{own.time:%H:%M} UTC: check the time given, or give the day alone to keep "
                "the scene's own time"
            )
        return (
            f"dated {acquired:%Y-%m-%d} as given, while its {where} says "
            f"{own.time:%Y-%m-%d}: check which is right"
        )
    span = name_date_range(path) if acquisition.source == "iso-name" else None
    if span is not None and acquired is not None and span[0] == acquired.date():  # not the
        # first of scan_1965-03-02_2024-03-15, which dates nothing: the second dates it
        first, last = span
        return (
            f"dated {first:%Y-%m-%d}, the first day of the range {first:%Y-%m-%d} to "
            f"{last:%Y-%m-%d} in its name; if it shows another day of it (a mosaic of the "
            "range), give that date with --dates"
        )
    doubt = name_zone_in_doubt(path, acquired) if acquisition.source == "iso-name" else None
    if doubt is not None and acquired is not None:
        return _zone_in_doubt(doubt, acquired)
    day_alone = acquisition.source == DAY_NAME or (  # nanay_2024-12-31_2200, as _20241231_2200
        acquisition.source == "iso-name"
        and acquired is not None
        and acquired.timetz() == OWN_MIDNIGHT
    )
    clock = _time_after_day(path, acquired) if day_alone else None
    if clock is not None and acquired is not None:
        return (
            f"dated {acquired:%Y-%m-%d} by the day in its file name, followed by {clock}, "
            f"which may be a time ({clock[:2]}:{clock[2:]}): if that is when a clip or export "
            "was made, so is the day — check it, or give the date with --dates"
        )
    if acquisition.source != "tiff-tag" or acquired is None:
        return None
    return (
        f"dated {acquired:%Y-%m-%d} by its TIFFTAG_DATETIME, which many programs set "
        "when they write a file: check it, or give the date with --dates"
    )


def _zone_in_doubt(doubt: ZoneDoubt, acquired: datetime) -> str:
    """The caveat for a name's time followed by what may or may not be its zone."""
    said = f"dated {acquired:%Y-%m-%d %H:%M} UTC by its file name"
    text = doubt.text
    if doubt.kind == "part":
        return (
            f"{said}, the {text} after its time read as a part number; if it is the time's "
            f"zone (UTC{text}), the scene is of {doubt.zoned[0]:%Y-%m-%d %H:%M} UTC: write a T "
            f"before the time ({acquired:%Y-%m-%dT%H%M%S}{text} is read so), or give the date "
            "with --dates"
        )
    if doubt.kind == "seconds":
        return (
            f"dated {acquired:%Y-%m-%d %H:%M:%S} UTC by its file name, the {text} after "
            f"{acquired:%H-%M} read as seconds; if it is the time's zone (UTC{text}), the "
            f"scene is of {doubt.zoned[0]:%Y-%m-%d %H:%M} UTC: write the seconds too "
            f"({acquired:%Y-%m-%dT%H-%M}-00{text}-00 is read so), or give the date with --dates"
        )
    if doubt.kind == "unsigned":
        east, west = doubt.zoned
        hours = re.sub(r"^\D+", "", text)
        return (
            f"{said}, its zone {text!r} read as UTC: without its sign it may be UTC+{hours} "
            f"({east:%Y-%m-%d %H:%M} UTC) or, as POSIX writes it, UTC-{hours} "
            f"({west:%Y-%m-%d %H:%M} UTC); write its sign (UTC-05:00), or give the date with "
            "--dates"
        )
    return (
        f"{said}, its zone {text!r} read as UTC: it is no zone (they run from -12:00 to "
        "+14:00, in quarter hours); check the name, or give the date with --dates"
    )


def _name_of_another_day(path: str, source: str, acquired: datetime) -> str | None:
    """The caveat for a scene dated by its metadata (``source``) when its name says another
    day (a sidecar of another scene, a file renamed): the metadata won without a word. A day
    alone in the name (``day-name``, maybe no date) is said as the numbers it may be."""
    named = time_from_name(path)
    if named is None or named.time is None or named.source == "nicfi-name":
        return None  # a mosaic's name gives its first day only
    if named.time.date() == acquired.date():
        return None
    if named.source == DAY_NAME:  # a day alone may be no date (grid_2012_05_07): it yields to
        # the metadata, but a sidecar may be another scene's (it yielded without a word)
        return (
            f"dated {acquired:%Y-%m-%d} by its {OWN_DATE_SOURCES.get(source, source)}, while "
            f"its file name has numbers that read as {named.time:%Y-%m-%d}, a day alone (or "
            "a grid's or an order's numbers): check which is right (a sidecar of another "
            "scene?), or give the date with --dates"
        )
    return (
        f"dated {acquired:%Y-%m-%d} by its {OWN_DATE_SOURCES.get(source, source)}, while its "
        f"file name says {named.time:%Y-%m-%d}: check which is right (a sidecar of another "
        "scene?), or give the date with --dates"
    )


def _time_after_day(path: str, day: datetime | None) -> str | None:
    """The four digits after a day alone in a file name that read as a time of day, HHMM
    (``nanay_clip_20241102_0930``: maybe when a clip was made, or a local time; six, an
    export's time, date nothing), else None. The hour after midnight (``_0001``) is taken for
    the part number it far more often is."""
    if day is None:
        return None
    digits = f"(?:{day:%Y%m%d}|{day:%Y_%m_%d}|{day:%Y-%m-%d})"
    found = re.search(
        rf"(?<!\d){digits}[_ -]((?:0[1-9]|1\d|2[0-3])[0-5]\d)(?!\d)", scene_file_name(path)
    )
    return found[1] if found else None
