"""Dates that cannot be a scene's: after today (a typo of the year, 2204 for 2024), and, in
tables and dates given, before the first satellite image (:data:`FIRST_IMAGERY`: a
placeholder, 0001-01-01).

Read as written, such a date put its scene's or its marks' dredges in a year of their own
without a word; each is one line (:class:`detector.errors.InputError`) naming where it came
from. Scenes: :func:`not_ahead`, :func:`not_before_imagery`
(:func:`detector.acquisition.resolve_acquisition`); a scene's own tag, metadata file or name
before the first image dates nothing, with a word (:func:`before_imagery`); tables of
dates: :func:`rows_of_imagery` (:func:`detector.date_columns.normalise_dates`). A date whose
two-digit year may come first or last (``24-06-20``) is read in the order after-today and
impossible days show for its column (:func:`short_years_first`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from detector.errors import InputError
from detector.wording import agree, count_of, counted_like

AHEAD_SLACK = timedelta(days=1)  # a scene of today east of UTC, a clock a little fast
# the first satellite image of the Earth's surface to be sold or shared (Landsat 1, 23 July
# 1972): no scene is older, and a day before it in a name is a number, in a table or --date a
# typo or a placeholder, in a tag a program's default (1970:01:01 00:00:00, the Unix epoch)
FIRST_IMAGERY = datetime(1972, 7, 23, tzinfo=UTC)
BEFORE_IMAGERY = f"before the first satellite image (Landsat 1's, {FIRST_IMAGERY:%Y-%m-%d})"
# the days before FIRST_IMAGERY that programs and cameras write for no date, their clocks'
# zeros: year 1 (.NET, Python's least), Windows' FILETIME, Excel's (1899-12-30, 1900-01-01),
# classic Mac OS's, the Unix epoch; a tag within a day of one (the epoch written in a zone's
# local time, 1969:12:31 19:00:00) is such a default, another a clock set wrong or a typo
# (1965:03:02 was called "a program's default for none" too)
EPOCH_DAYS = tuple(
    datetime(*day, tzinfo=UTC)
    for day in (
        (1, 1, 1),
        (1601, 1, 1),
        (1899, 12, 30),
        (1899, 12, 31),
        (1900, 1, 1),
        (1904, 1, 1),
        (1970, 1, 1),
    )
)
# the days after FIRST_IMAGERY that cameras and programs write for no date, at midnight as
# written: the first day of DOS's and FAT's clock and of ZIP's (1980-01-01, a camera's clock
# reset), GPS's (1980-01-06); a tag of one dated the scene 1980 (is_default_stamp)
DEFAULT_STAMPS = (datetime(1980, 1, 1), datetime(1980, 1, 6))
SOURCE_WORDS = {  # detector.acquisition.Acquisition.source → where the date was read
    "explicit": "the date given",
    "tiff-tag": "its TIFFTAG_DATETIME",
    "imagery-tag": "its ACQUISITIONDATETIME tag",
    "metadata.json": "its metadata.json",
    "metadata.xml": "its metadata XML",
    "metadata.imd": "its IMD",
}


def not_ahead(path: str | Path, when: datetime | None, source: str) -> None:
    """InputError when ``when`` (read from ``source``, an ``Acquisition.source``) dates the
    scene at ``path`` after today."""
    if when is None or when <= datetime.now(UTC) + AHEAD_SLACK:
        return
    raise InputError(
        path,
        f"{SOURCE_WORDS.get(source, 'its file name')} dates it {when:%Y-%m-%d}, after today",
        "a typo? give its date with --dates, a CSV of scene,date (2024-07-15)",
    )


class PassedOver(NamedTuple):
    """A date before :data:`FIRST_IMAGERY` that a scene's tag, metadata file or name gives,
    which dates nothing (:func:`before_imagery`), or another word on a metadata file (one that
    cannot be read, a STAC item's range, one of another time:
    :func:`detector.sidecars.sidecar_time`): where it was read (``source``, an
    ``Acquisition.source``) and the words that say so on the scene's summary line and in its
    "acquisition date unknown" error."""

    source: str
    words: str

    def then(self, later: PassedOver | None) -> PassedOver:
        """This one, and ``later`` (passed over after it) said after it."""
        return self if later is None else self._replace(words=f"{self.words}; {later.words}")


def before_imagery(source: str, value: str, where: str | None = None) -> PassedOver:
    """A scene's date before :data:`FIRST_IMAGERY`, ``value`` as written, passed over: from a
    tag (``source`` ``tiff-tag``, ``imagery-tag``: ``1970:01:01 00:00:00``, a camera's or a
    program's default for none, :func:`is_epoch_default`; another, ``1965:03:02``, a clock
    set wrong or a typo), a metadata file (``metadata.json``, ``metadata.xml``,
    ``metadata.imd``; ``where``, its file name: a placeholder, or a typo of the year) or the
    file name (any other source: ``scan_1965-03-02``, a number or a typo). Each was read as
    written (the tags until :func:`detector.acquisition.time_from_tags` passed them over)."""
    value = value.strip()
    if source in ("tiff-tag", "imagery-tag"):
        said = f"{SOURCE_WORDS[source]}, {value!r}, is {BEFORE_IMAGERY}"
        default = is_epoch_default(value)
        why = "a program's default for none" if default else "a clock set wrong or a typo"
        return PassedOver(source, f"{said}, {why}: it dates nothing")
    if source.startswith("metadata."):
        said = f"the date in {where}, {value!r}, is {BEFORE_IMAGERY}"
        return PassedOver(source, f"{said}, a placeholder for none or a typo: it dates nothing")
    said = f"the date in its file name, {value!r}, is {BEFORE_IMAGERY}"
    return PassedOver(source, f"{said}, a number or a typo: it dates nothing")


def is_epoch_default(value: str) -> bool:
    """True when a tag's date-time ``value`` is within a day of one of :data:`EPOCH_DAYS`, the
    days before the first satellite image that programs write for no date
    (``1970:01:01 00:00:00``, ``0001:01:01 00:00:00``)."""
    from detector.given_dates import to_utc

    try:
        when = to_utc(value)
    except (ValueError, OverflowError):
        return False
    return any(abs(when - day) < timedelta(days=1) for day in EPOCH_DAYS)


def is_default_stamp(value: str) -> bool:
    """True when a tag's (or a metadata file's) date-time ``value`` is, as written (in any
    zone), one of :data:`DEFAULT_STAMPS` (``1980:01:01 00:00:00``), a default for none after
    the first satellite image."""
    from detector.given_dates import written_clock

    try:
        return written_clock(value) in DEFAULT_STAMPS
    except ValueError:
        return False


def default_for_none(source: str, value: str, where: str | None = None) -> PassedOver:
    """A tag (``source`` ``tiff-tag``, ``imagery-tag``) or a metadata file (``metadata.json``,
    …; ``where``, its file name) of a default for none after the first satellite image
    (:func:`is_default_stamp`: ``1980:01:01 00:00:00``), passed over with the words
    :func:`before_imagery` says of ``1970:01:01 00:00:00``."""
    place = f"the date in {where}" if where else SOURCE_WORDS[source]
    said = f"{place}, {value.strip()!r}, is a program's default for none"
    return PassedOver(source, f"{said} (a clock's first day, as 1970-01-01 is): it dates nothing")


def not_before_imagery(path: str | Path, when: datetime | None, source: str) -> None:
    """InputError when a date given (``source`` ``explicit``: ``--date``, a STAC item's, a
    library caller's) dates the scene at ``path`` before :data:`FIRST_IMAGERY` (0001-01-01
    dated it year 1 without a word). ``--date`` is refused before any scene is opened, naming
    the option (:func:`detector.cli.common.date_option`); a ``--dates`` table as it is read
    (:func:`rows_of_imagery`)."""
    if source != "explicit" or when is None or when >= FIRST_IMAGERY:
        return
    raise InputError(
        path,
        f"{SOURCE_WORDS[source]} dates it {when.date().isoformat()}, {BEFORE_IMAGERY}",
        "a typo, or a placeholder for none? give its date, e.g. 2024-07-15",
    )


def rows_of_imagery(
    parsed: pd.Series, text: pd.Series, source: str | Path, rows: pd.Series | None = None
) -> None:
    """InputError when dates of a table (``parsed``, as typed in ``text``) lie after today or
    before :data:`FIRST_IMAGERY`; ``rows`` names each row in the message (a ``--dates``
    table's scenes: ``scene 'a.tif'``), in the order of ``parsed``. Such a date is no scene's:
    a typo of the year (2204, 1924 for 2024), or a placeholder for no date (0001-01-01,
    1899-12-30, 1970-01-01); read as written, it was counted in a year of its own."""
    now = pd.Timestamp.now(tz="UTC") + pd.Timedelta(AHEAD_SLACK)
    for wrong, when, why in (
        (parsed > now, "after today", "a typo"),
        (parsed < pd.Timestamp(FIRST_IMAGERY), BEFORE_IMAGERY, "a typo, or a placeholder for none"),
    ):
        if not wrong.any():
            continue
        n, first = int(wrong.sum()), int(wrong.to_numpy().argmax())  # by position: labels repeat
        typed, day = str(text.iloc[first]), parsed.iloc[first].date().isoformat()
        read = "" if typed.strip() == day else f" ({day})"
        row = "" if rows is None else f" in the row of {rows.iloc[first]}"
        raise InputError(
            source,
            f"{count_of(n, 'date')} {agree(n, 'is', 'are')} {when}, e.g. {typed!r}{read}{row}",
            f"{why}? write the date of each row's scene, e.g. 2024-07-15",
        )


def last_day_of_span(first: datetime, last: datetime) -> date:
    """The last UTC day of a STAC item's ``start_datetime`` to ``end_datetime`` (both UTC): an
    end at midnight after the start is the end of the day before it, a span's end as STAC
    writes it (``2024-06-20T00:00:00Z`` to ``2024-06-21T00:00:00Z`` is the one day 2024-06-20:
    it was said as the range 2024-06-20 to 2024-06-21, one acquisition's day called two)."""
    if last > first and last.timetz().replace(tzinfo=None) == datetime.min.time():
        return (last - timedelta(microseconds=1)).date()
    return last.date()


# 24-06-20, 24/06/20, 24.06.20: a two-digit year written first (yy-mm-dd, 2024-06-20) or last
# (dd-mm-yy or mm-dd-yy, 24 June 2020); 24/6/5 (one digit last) only first; the rest of the
# cell (a time) after it
SHORT_YEAR = re.compile(r"^\s*(\d{2})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")


def latest_day() -> date:
    """The last day a scene can be of (today, with the slack of :data:`AHEAD_SLACK`)."""
    return (datetime.now(UTC) + AHEAD_SLACK).date()


def _day(year: int, month: int, day: int, latest: date) -> date | None:
    """The day, where it is one and not after ``latest``."""
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found if found <= latest else None


def short_years_first(
    text: pd.Series, source: str | Path, *, cue: str | bool | None, guess: bool
) -> tuple[pd.Series, list[str]]:
    """``text`` with dates of a two-digit year written first (``24-06-20``) as ISO 8601
    (``2024-06-20``) where the column shows that order, and notes on how they were read.

    ``24-06-20`` is 20 June 2024 year first, 24 June 2020 year last; pandas read it year last
    without a word. One order for the column: year first where a row can only be so (year
    last it is no day, or after today: ``24-07-28``, or one digit: ``24/6/5``), year last
    where a row can only be so (``28-07-24``); both is refused. Where nothing shows it, year
    last (as most locales write dates) with a note, or refused where ``guess`` is False and no
    ``cue`` (the table's locale) tells that the dates are day-month-year. A date after today
    year last is no proof of year first where the first numbers vary more than the last (a
    column of days, one year typed ``28`` for ``24``): it is left to be named after today.
    """
    labels = text.index
    text = text.reset_index(drop=True)  # rows by position: a frame's index may repeat
    found = text.str.extract(SHORT_YEAR)
    rows = found[0].notna()
    if not rows.any():
        return text.set_axis(labels), []
    # each distinct date once (a column holds few): row by row, 200,000 rows took 4 s
    numbers = found.loc[rows, [0, 2, 3]].astype(int)
    one_digit = found.loc[rows, 3].str.len() == 1  # 24/6/5: a year is never one digit
    keys = one_digit * 1_000_000 + numbers[0] * 10_000 + numbers[2] * 100 + numbers[3]
    latest = latest_day()
    firsts: dict[int, date | None] = {}
    lasts_ok: dict[int, bool] = {}
    for key in keys.unique().tolist():
        a, b, c = key // 10_000 % 100, key // 100 % 100, key % 100
        day = _day(2000 + a, b, c, latest)
        lasts = {_day(2000 + c, b, a, latest), _day(2000 + c, a, b, latest)} - {None}
        if key >= 1_000_000:
            lasts = set()
        lasts_ok[key] = bool(lasts) and day not in lasts
        firsts[key] = None if day in lasts else day  # 20-06-20: the same day either way
    first = keys.map(firsts)
    has_first = first.notna()
    last_ok = keys.map(lasts_ok).astype(bool)
    only_first = keys.index[has_first & ~last_ok]
    only_last = keys.index[last_ok & ~has_first]
    either = keys.index[has_first & last_ok]
    if len(only_first) and len(only_last):
        raise InputError(
            source,
            f"dates mix a two-digit year first ({text[only_first[0]]!r}) and last "
            f"({text[only_last[0]]!r})",
            "write dates as ISO 8601, with the year in four digits, e.g. 2024-07-15",
        )
    by_form = bool((keys[only_first] >= 1_000_000).any())  # 24/6/5: year first by its form
    if len(only_first) and not by_form and numbers[0].nunique() > numbers[3].nunique():
        # 15-03-24, 16-03-24, 17-03-28: what varies first is the day, and a year typed 28 for
        # 24 is after today (as it says), not a column of years first (2015, 2016, 2017)
        return text.set_axis(labels), []
    some = counted_like(len(either), "date", repr(text[either[0]])) if len(either) else ""
    were = agree(len(either), "was", "were")
    if not len(either):
        notes: list[str] = []
    elif len(only_first):
        notes = [
            f"{source}: {some} {were} read with the year "
            f"first ({first[either[0]]:%Y-%m-%d}), as {text[only_first[0]]!r} in the same "
            "column shows (with the year last it is no day, after today, or of one digit)"
        ]
    elif len(only_last):
        notes = []  # read year last, as the column shows
    elif cue or guess:
        notes = [
            f"{source}: {some} {were} read with the "
            f"two-digit year last, as most locales write it (year first, it would be "
            f"{first[either[0]]:%Y-%m-%d}); write ISO 8601 (YYYY-MM-DD) if that is wrong"
        ]
    else:
        raise InputError(
            source,
            f"{some} may have {agree(len(either), 'its', 'their')} two-digit year "
            f"first ({first[either[0]]:%Y-%m-%d}) or last",
            "write dates as ISO 8601, with the year in four digits, e.g. 2024-07-15",
        )
    if not len(only_first):
        return text.set_axis(labels), notes
    year_first = pd.Series(False, index=text.index)
    year_first[keys.index[has_first]] = True
    out = text.copy()
    out[year_first] = text[year_first].str.replace(SHORT_YEAR, r"20\1-\3-\4", regex=True)
    return out.set_axis(labels), notes
