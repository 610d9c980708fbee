"""Dates given by the user (``--date``, a ``--dates`` row, a STAC item's) and the ISO / TIFF
date strings of metadata and tags, as UTC datetimes; a day alone and a time without its zone
are marked (:class:`GivenDay`, :class:`ZonelessTime`): :mod:`detector.acquisition` keeps a
scene's own time for the one and its caveat (:mod:`detector.date_caveats`) says the other.
Also the ISO days and times in file names, with their zones (:func:`iso_times_in_name`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

_DAY_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}|\d{8}|\d{4}-?W\d{2}-?\d")  # ISO 8601 days: basic, week
# A zone named after a time: UTC or GMT, in any case (utc, Gmt), alone or with an offset as
# written (UTC-05:00, GMT-0500, UTC-5: five hours behind, as ISO 8601 reads -05:00). The one
# definition that --date, --dates tables, hand marks' dates (detector.user_tables) and file
# names (ZONE_NAME: detector.acquisition reads the offset after it in its name regex, its
# hours in one digit too) read; compile it with re.IGNORECASE
ZONE_NAME = r"(?i:UTC|GMT)"  # in any case: a name's 'utc-05:00' was no zone, the time read as UTC
NAMED_ZONE = rf"{ZONE_NAME}(?:\s*[+-]\d{{1,2}}(?::?\d{{2}})?)?"
NAMED_ZONE_END = re.compile(rf"\s*{NAMED_ZONE}$", re.IGNORECASE)  # such a zone ending a text
_ZONE_OFFSET = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?$")  # its offset: sign, hours, minutes
# the TIFF form of a date-time (TIFFTAG_DATETIME, ACQUISITIONDATETIME: 2024:12:31 22:00:00),
# with a fraction of a second or a zone after it, as some programs and people write it
_TIFF_TIME = re.compile(
    r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)"
    rf"(\s*(?:Z|[+-]\d{{2}}(?::?\d{{2}})?|{NAMED_ZONE}))?",
    re.IGNORECASE,
)
# ISO 8601's midnight at the end of a day (T24:00), with its zone (a named one too) or none
_END_OF_DAY = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ]24(?::?00(?::?00(?:[.,]0+)?)?)?"
    rf"(\s*(?:Z|{NAMED_ZONE}|[+-]\d{{2}}(?::?\d{{2}})?))?",
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
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 (a default for none, in its zone), or
        # 9999-12-31T23:00-05:00: beyond what Python holds in UTC (a bare OverflowError stopped
        # the scene); the first or last instant, which the date checks refuse as such
        return (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=UTC)


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
    text = end_of_day_written_out(tiff_written_out(text.strip()))
    text = NAMED_ZONE_END.sub(iso_offset, text)
    text = re.sub(r"(?<=\d)z$", "Z", text)  # 'T23:00z' as 'T23:00Z' (it was 'not a date')
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def written_clock(text: str) -> datetime:
    """An ISO or TIFF date string's date and time as written, without its zone (naive):
    ``1980:01:01 00:00:00-05:00`` → 1980-01-01 00:00; ValueError for no date."""
    return _parsed(text).replace(tzinfo=None)


def tiff_written_out(text: str) -> str:
    """A date-time in the TIFF form (``2024:12:31 22:00:00``, as a GeoTIFF's DateTime or
    ACQUISITIONDATETIME tag holds it, with a fraction or a zone after it too) in ISO 8601's
    (``2024-12-31T22:00:00``); other text as it is. Analysts copy it from the tags into a
    ``--dates`` table, where pandas read it as a time of year 1 (0001-01-01 22:00)."""
    tiff = _TIFF_TIME.fullmatch(text.strip())
    if tiff is None:
        return text
    zone = (tiff[5] or "").strip().upper()
    named = zone[:1] in ("U", "G")  # ' UTC-05:00': apart, as a named zone is written
    return f"{tiff[1]}-{tiff[2]}-{tiff[3]}T{tiff[4]}{' ' if named else ''}{zone}"


def iso_offset(match: re.Match[str]) -> str:
    """A named zone matched by :data:`NAMED_ZONE_END` (``UTC``, ``GMT-0500``, ``UTC-5``) as
    ISO 8601 writes it (``+00:00``, ``-05:00``)."""
    offset = _ZONE_OFFSET.search(match[0])
    if offset is None:  # UTC or GMT alone
        return "+00:00"
    sign, hours, minutes = offset.groups()
    return f"{sign}{int(hours):02d}:{minutes or '00'}"


# --- days and times in file names (detector.acquisition.time_from_name) ---

_ISO_NAME = re.compile(  # a day, its time, the time's zone (2024-12-31T22:00:00.5-05:00);
    # the seconds may be left out where a colon marks the minutes (22:00-05:00), where a T
    # marks four digits as a time (T2200-05) or a zone's name follows them (2200 UTC-05); not
    # after _ or a space alone (_2200, _0001: a part number's or an order's); the
    # T in either case, as ISO 8601 and Python's --date allow (a name lowercased, …t22:00-05:00,
    # lost its time and zone: dated at midnight UTC of the local day)
    r"(?<!\d)(\d{4})-(\d{2})-(\d{2})"
    r"(?:([Tt_ ])(\d{2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?|(?<=:\d\d)|(?<=[Tt]\d{4})"
    rf"|(?=[ _]?{ZONE_NAME}(?![A-Za-z])))"
    # ` -05:00` (`date "+%F %T %z"`), `UTC-05:00`, `utc-05:00`, `_UTC-05` (a space written as
    # _); after a zone's name its hours in one digit too, `UTC-5`, as --date and --dates read
    # it (the offset was dropped: 22:00 UTC-5 was 22:00 UTC, as was 22:00_UTC-05)
    rf"(?:[ _]?({ZONE_NAME}) ?| ?)"
    r"(?:([+-])((?(8)\d{1,2}|\d{2}))(?::?(\d{2})(?!:\d\d(?!\d))|(?![\d:])(?![-_]\d\d(?!\d))))?"
    r")?(?!\d)"
)  # not a range's end (T10:00:00-11:00:00: read as 10:00 at zone -11:00, 21:00 UTC); the zone
# in hours alone (-05, ISO 8601's ±hh) where nothing follows it that makes it a range's end
# (T10:00-11_00) or its minutes; read only after an ISO time, or a zone's name (see
# iso_time_in_name)
# a time after the T written without colons, as Windows allows (2024-12-31T22_00_00,
# T22-00-00-05-00, T22_00): read as 22:00:00 (the day alone was read, at midnight); a range's end is
# no zone (T10_00_00-11_00_00, its three parts: read as zone -11:00, 21:00 UTC for 10:00)
_SAFE_TIME = re.compile(  # the seconds may be left out (T22_00, T22_00-05_00)
    r"(?<=\d{4}-\d{2}-\d{2}[Tt])(\d{2})([-_])(\d{2})(?:\2(\d{2}))?"
    r"(?:([+-])(\d{2})\2(\d{2})(?!\2\d\d(?!\d)(?!-\d\d)))?(?!\d)"  # T10-00-00-05-00-11-…: a zone
)


# a day in ISO 8601's basic form with a time of four digits after the T (20241102T0930, as
# ISO 8601 writes 2024-11-02T09:30): read as that (the name was dated nothing). Not one with
# six (nanay_clip_exported_20241102T093015: a program's stamp, when the file was made)
_BASIC_DAY_HHMM = re.compile(r"(?<![0-9A-Za-z])(\d{4})(\d{2})(\d{2})([Tt]\d{4})(?!\d)")


class ZoneDoubt(NamedTuple):
    """What follows a time in a file name that may or may not be its zone, read one way and
    said on the scene's summary line (:mod:`detector.date_caveats`): ``kind`` ``part`` (``-05``
    after six digits behind ``_``, read as a part number), ``seconds`` (``T22-00-05``, read as
    22:00:05), ``unsigned`` (``_UTC5``, read as UTC: UTC+5, or UTC-5 as POSIX writes it),
    ``invalid`` (``+15:00``, no zone: they run from -12:00 to +14:00; read as UTC); ``text`` as
    written; ``zoned`` the time in UTC were it the zone (each reading; none for ``invalid``)."""

    kind: str
    text: str
    zoned: tuple[datetime, ...]


class NameTime(NamedTuple):
    """An ISO day or time in a file name, in UTC, and a zone in doubt after it (or None)."""

    when: datetime
    doubt: ZoneDoubt | None


# a zone named without its sign after a time (_2200_utc5, T22:00 UTC5): UTC+5 to most
# readers, UTC-5 to POSIX's TZ (UTC5 is five hours behind); it was read as UTC without a word
_UNSIGNED_ZONE = re.compile(rf"[ _]?({ZONE_NAME}(\d{{1,2}})(?::?(\d{{2}}))?)(?![\d:])")
# a time after the T with dashes and seconds (T22-00-05): the seconds, or the zone in hours
# alone of T22-00, as T22:00-05 is read
_DASHED_SECONDS = re.compile(r"\d{2}-\d{2}-(0[1-9]|1[0-4])(?!\d)")
_ZONE_MINUTES = ("00", "15", "30", "45")
_ZULU = re.compile(r"[Zz](?![A-Za-z])")  # ISO 8601's Z for UTC after a time (T22-00-05Z)


def iso_time_in_name(name: str) -> NameTime | None:
    """The first ISO day in a file name (:func:`iso_times_in_name`), else None."""
    return next(iso_times_in_name(name), None)


def iso_times_in_name(name: str) -> Iterator[NameTime]:
    """The ISO days in a file name (:data:`_ISO_NAME`), in order, with their times and zones,
    in UTC; and a zone in doubt after each (:class:`ZoneDoubt`). Each is tried in turn: a day
    before the first satellite image (``scan_1965-03-02_2024-03-15``) lets the next date it.

    A zone in hours alone (``-05``, as ISO 8601 allows) is read after a time the ``T`` or a
    colon marks as one (``T22:00-05``, ``T220000-05``, ``T22_00_00-05``, ``_22:00-05``): it
    was taken for a part number, and 22:00 in Lima on 31 December dated 2024-12-31 22:00 UTC,
    counted in 2024 for 2025; after a zone's name, in one digit too (``UTC-5``). After six
    digits behind ``_`` or a space (``_220000-05``), which may be an order's number and a
    part, it is not read, and said (:func:`detector.scene_paths.name_zone_in_doubt`), as are
    a zone named without its sign (``_UTC5``), one more than 14 hours from UTC (``+15:00``)
    and dashed seconds that may be a zone (``T22-00-05``, or ``T22-00-05-00``: -05:00; not
    before a zone that rules it out, ``T22-00-05+00``, ``Z``, ``UTC``), each read as before."""
    written = _BASIC_DAY_HHMM.sub(r"\1-\2-\3\4", name)
    # _colons keeps each length: a match's places are the same in ``written``
    for match in _ISO_NAME.finditer(_SAFE_TIME.sub(_colons, written)):
        year, month, day, mark, hour, minute, second, named, sign, zone_hours, zone_minutes = (
            match.groups()
        )
        timed = hour is not None and safe_datetime(year, month, day, hour, minute, second or "0")
        if hour == "24" and minute == "00" and second in (None, "00"):  # ISO 8601: the day's
            timed = _next_day(year, month, day)  # end (it was read as its start, a day early)
        if not timed:  # six digits that are no time: the day alone (the date was lost, and
            found = safe_datetime(year, month, day)  # the scene dated by its TIFFTAG_DATETIME)
            if found:
                yield NameTime(found, None)
            continue
        doubt = None
        # a zone written after the time that -05 cannot be besides: +00, +00:00, -00:00, Z,
        # UTC (T22-00-05+00: the -05 is its seconds); -00 alone may be :00 of -05:00
        zone_after = bool(named) or _ZULU.match(match.string, match.end()) is not None
        if sign is not None and (sign == "+" or zone_minutes is not None):
            zone_after = int(zone_hours) <= 14 and (zone_minutes or "00") in _ZONE_MINUTES
        if sign is not None and zone_minutes is None:  # in hours alone
            if mark in ("T", "t") or named or ":" in match.string[match.start(5) : match.start(9)]:
                zone_minutes = "00"
            elif int(zone_hours) <= 14:
                text = f"{sign}{zone_hours}"
                doubt = ZoneDoubt("part", text, (timed - zone_offset(sign, zone_hours, "00"),))
        # the zone written after it: a local time was taken as UTC, hours (a day, a year at
        # New Year) off
        offset = zone_offset(sign, zone_hours, zone_minutes)
        if sign is not None and zone_minutes is not None and not offset:
            colon = match.string[match.end(10) : match.start(11)] == ":"
            if int(zone_hours) > 14 or (colon and zone_minutes not in _ZONE_MINUTES):
                # +15:00 is no zone: it was read as UTC without a word (-0001 is a part)
                start = match.start(8) if named else match.start(9)
                doubt = ZoneDoubt("invalid", match.string[start : match.end()].strip(), ())
        if sign is None:
            doubt = _unsigned_zone(match.string, match.end(), timed) or doubt
        if not offset and mark in ("T", "t") and not zone_after:
            dashed = _DASHED_SECONDS.match(written, match.start(5))
            if dashed is not None and second == dashed[1]:
                at = timed.replace(second=0) + timedelta(hours=int(dashed[1]))
                doubt = ZoneDoubt("seconds", f"-{dashed[1]}", (at,))
        yield NameTime(timed - offset, doubt)


def _unsigned_zone(text: str, end: int, timed: datetime) -> ZoneDoubt | None:
    """A zone named without its sign at ``end`` of ``text`` (``_utc5``), after ``timed``."""
    found = _UNSIGNED_ZONE.match(text, end)
    if found is None:
        return None
    hours, minutes = found[2], found[3] or "00"
    if int(hours) > 14 or minutes not in _ZONE_MINUTES:
        return ZoneDoubt("invalid", found[1], ())
    east, west = zone_offset("+", hours, minutes), zone_offset("-", hours, minutes)
    return ZoneDoubt("unsigned", found[1], (timed - east, timed - west))


def zone_offset(sign: str | None, hours: str | None, minutes: str | None) -> timedelta:
    """The UTC offset written after a time in a name (``-05:00``, ``+0530``); zero for none,
    or for digits that are no zone (``-0001``: a part number)."""
    if sign is None or hours is None or minutes is None:
        return timedelta(0)
    if int(hours) > 14 or minutes not in ("00", "15", "30", "45"):
        return timedelta(0)
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    return -offset if sign == "-" else offset


def _colons(match: re.Match[str]) -> str:
    """A :data:`_SAFE_TIME` written with colons (``22_00_00`` → ``22:00:00``, ``22_00`` →
    ``22:00``)."""
    hour, _, minute, second, sign, zone_hours, zone_minutes = match.groups()
    zone = f"{sign}{zone_hours}:{zone_minutes}" if sign else ""
    return f"{hour}:{minute}{':' + second if second else ''}{zone}"


def _next_day(year: str, month: str, day: str) -> datetime | None:
    """Midnight at the end of a day (``T24:00``), None for no real day."""
    found = safe_datetime(year, month, day)
    return None if found is None else found + timedelta(days=1)


def safe_datetime(
    year: str, month: str, day: str, hour: str = "0", minute: str = "0", second: str = "0"
) -> datetime | None:
    """A UTC datetime from digit strings, or None when they are not a real date."""
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except ValueError:
        return None
