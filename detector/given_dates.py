"""Dates given by the user (``--date``, a ``--dates`` row, a STAC item's) and the ISO / TIFF
date strings of metadata and tags, as UTC datetimes; a day alone and a time without its zone
are marked (:class:`GivenDay`, :class:`ZonelessTime`): :mod:`detector.acquisition` keeps a
scene's own time for the one and its caveat (:mod:`detector.date_caveats`) says the other."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_TIFF_TIME = re.compile(
    r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)?"
)
_DAY_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}|\d{8}|\d{4}-?W\d{2}-?\d")  # ISO 8601 days: basic, week
# a zone named after a time: UTC or GMT, alone or with an offset as written (UTC-05:00,
# GMT-0500, UTC-5: five hours behind, as ISO 8601 reads -05:00)
_NAMED_ZONE = r"(?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?"
_NAMED_ZONE_END = re.compile(r"\s*(?:UTC|GMT)(?:\s*([+-])(\d{1,2})(?::?(\d{2}))?)?$", re.IGNORECASE)
# ISO 8601's midnight at the end of a day (T24:00), with its zone (a named one too) or none
_END_OF_DAY = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ]24(?::?00(?::?00(?:[.,]0+)?)?)?"
    rf"(\s*(?:Z|{_NAMED_ZONE}|[+-]\d{{2}}(?::?\d{{2}})?))?",
    re.IGNORECASE,
)


class GivenDay(datetime):
    """A day given without a time of day (a ``--dates`` row ``2024-06-20``, ``--date
    2024-06-20``): midnight UTC, as before, marked so that a scene whose own metadata or name
    tells its time that day keeps that time
    (:func:`detector.acquisition.resolve_acquisition`)."""

    @classmethod
    def of(cls, day: date) -> GivenDay:
        """Midnight UTC of ``day``."""
        return cls(day.year, day.month, day.day, tzinfo=UTC)


class ZonelessTime(datetime):
    """A time given without its zone (``--date 2024-06-20T09:50``, a ``--dates`` row
    ``2024-06-20 09:50``), read as UTC, marked so that a caveat says so only where it was: it
    told a ``--date 2024-06-20T00:00-05:00`` that a time without its zone is read as UTC."""

    @classmethod
    def of(cls, moment: datetime) -> ZonelessTime:
        """``moment`` in UTC, marked."""
        at = to_utc(moment)
        return cls(*at.timetuple()[:6], at.microsecond, tzinfo=UTC)


def given_time(text: str) -> datetime:
    """A date given as text in UTC: a day alone a :class:`GivenDay`, a time without its zone a
    :class:`ZonelessTime`; ValueError for no date."""
    when = to_utc(text)
    if is_day_only(text):
        return GivenDay.of(when)
    return ZonelessTime.of(when) if without_zone(text) else when


def without_zone(value: object) -> bool:
    """True for a time given without its zone: a naive ``datetime``, a :class:`ZonelessTime`,
    text without one (``2024-06-20T09:50``)."""
    if isinstance(value, str):
        try:
            return _parsed(value).tzinfo is None
        except ValueError:
            return False
    return isinstance(value, ZonelessTime) or (isinstance(value, datetime) and value.tzinfo is None)


def is_day_only(value: object) -> bool:
    """True for a date without a time of day: a :class:`GivenDay`, a ``date`` (not a
    ``datetime``), or text ``YYYY-MM-DD`` (also ``YYYYMMDD``, ``YYYY-Www-D``: they were a time,
    midnight, and the scene another pass than its neighbours)."""
    if isinstance(value, str):
        return _DAY_ONLY.fullmatch(value.strip()) is not None
    return isinstance(value, GivenDay) or (
        isinstance(value, date) and not isinstance(value, datetime)
    )


def to_utc(value: datetime | date | str) -> datetime:
    """A timezone-aware UTC datetime from a datetime, a date or an ISO / TIFF date string.

    Naive times are taken as UTC; a bare date means midnight UTC.
    """
    if isinstance(value, str):
        value = _parsed(value)
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def end_of_day_written_out(text: str) -> str:
    """ISO 8601's ``T24:00`` (the midnight that ends a day) as the next day's ``T00:00:00``,
    with its zone: ``2024-12-31T24:00`` → ``2025-01-01T00:00:00``, ``2024-12-31 24:00 UTC`` →
    ``2025-01-01T00:00:00 UTC``, as a file name with T24:00 is read (Python and pandas refuse
    hour 24: it was 'not a date'; with a zone named, UTC or GMT, too); other text as it is."""
    found = _END_OF_DAY.fullmatch(text.strip())
    if found is None:
        return text
    try:
        day = date.fromisoformat(found[1]) + timedelta(days=1)
    except ValueError:  # no real day: refused as the text it is
        return text
    zone = (found[2] or "").strip().upper()
    named = zone[:1].isalpha() and zone != "Z"  # ' UTC': apart, as pandas reads it
    return f"{day.isoformat()}T00:00:00{' ' if named else ''}{zone}"


def _parsed(text: str) -> datetime:
    """An ISO or TIFF date string as written: naive where it has no zone; a zone named after
    it (``UTC``, ``GMT``, ``UTC-05:00``) read as a ``--dates`` table reads it (Python's ISO
    reader refused it: ``--date '2024-12-31 23:00 UTC'`` was 'not a date')."""
    text = end_of_day_written_out(text.strip())
    text = _NAMED_ZONE_END.sub(_iso_offset, text)
    tiff = _TIFF_TIME.fullmatch(text)  # with a fraction or a zone: it was no date
    if tiff:
        text = f"{tiff[1]}-{tiff[2]}-{tiff[3]}T{tiff[4]}{tiff[5] or ''}"
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso_offset(match: re.Match[str]) -> str:
    """A named zone (``UTC``, ``GMT-0500``, ``UTC-5``) as ISO 8601 writes it (``+00:00``,
    ``-05:00``)."""
    sign, hours, minutes = match.groups()
    return f"{sign or '+'}{int(hours or 0):02d}:{minutes or '00'}"
