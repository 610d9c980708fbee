"""A column of dates as people type them, read as UTC: :func:`normalise_dates` and the patterns
it reads them by.

Split from :mod:`detector.user_tables` (whose names these are imported from too), which reads
the tables that hold such columns (CSV as Excel writes it in any locale) and their degrees.

:func:`normalise_dates` turns a column of dates in mixed formats and time zones into UTC:

- ISO 8601 with ``Z`` or an offset is converted to UTC, as is a time with its zone named
  (``UTC``, ``gmt``, ``UTC-05:00``: as written, five hours behind); a date or time with no
  zone is taken as UTC. A date-time in a TIFF tag's form (``2024:12:31 22:00:00``) is read.
- ``03/04/2024`` is ambiguous. One order is used for the whole column: day first when a date
  in it shows it (``25/03/2024``) or when the table's locale writes dates day first (a ``;``
  table, or one whose column names are Spanish or Portuguese: ``fecha``, ``latitud``,
  ``data``, :func:`detector.user_tables.locale_cue`), else month first (US order), each with
  a note. A column that shows both orders is refused.
- Spanish and Portuguese month names are read (``15-ene-24``, ``15 de setiembre de 2024``).
- A number such as ``45354`` is a date cell that Excel saved as its day number (days from
  1899-12-30; 1990–2099 only; ``45463.5``, or ``45463,5`` in a table of decimal commas, with
  its time of day), read with a note (Excel's 1900 date system: a CSV does not
  say whether its workbook used the 1904 one, whose numbers are 1462 days less).
- Rows with no date or an unreadable one stop with the count and an example: nothing is
  dropped silently; so do a time of day alone (with its zone too, ``14:50Z``), and a date
  after today or before the first satellite image
  (:func:`detector.date_sanity.rows_of_imagery`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from detector.date_sanity import rows_of_imagery, short_years_first
from detector.errors import InputError
from detector.given_dates import (
    NAMED_ZONE,
    NAMED_ZONE_END,
    end_of_day_written_out,
    iso_offset,
    tiff_written_out,
)
from detector.wording import agree, count_of, counted_like, part_of

SEMICOLON_CUE = "the table's ';' columns and decimal commas (a Spanish or Portuguese locale)"


def _named_zone(match: re.Match[str]) -> str:
    """A zone named after a time (:data:`detector.given_dates.NAMED_ZONE_END`) as pandas reads
    it: ``UTC-05:00``, ``GMT-0500``, ``UTC-5`` → `` -05:00`` (the offset as written: dateutil
    reads a sign after UTC or GMT the POSIX way, UTC-5 as five hours east, 10 hours off for
    Peru); ``utc``, ``Gmt`` → `` UTC``, `` GMT`` (in lower case they 'cannot be read')."""
    named = match[0].strip().upper()
    return f" {named}" if named in ("UTC", "GMT") else f" {iso_offset(match)}"


# A zone after a time of day (Z, UTC, UTC-05:00, +05:30, -0500, -05; after 10:00 PM too), not
# the -2024 of 02-12-2024
ZONED = re.compile(
    r"(?:\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?\s*)?"
    rf"(?:Z|{NAMED_ZONE}|[+-]\d{{2}}(?::?\d{{2}})?)|\dZ)$",
    re.IGNORECASE,
)
# Spanish and Portuguese month names and Excel's abbreviations of them (15-ene-24, 12-ago-24,
# 15 de setiembre de 2024) → English, which pandas reads; names English shares (mar, jun) stay
FOREIGN_MONTHS = {
    "jan": ("enero", "ene", "janeiro"),
    "feb": ("febrero", "fevereiro", "fev"),
    "mar": ("marzo", "março", "marco"),
    "apr": ("abril", "abr"),
    "may": ("mayo", "maio", "mai"),
    "jun": ("junio", "junho"),
    "jul": ("julio", "julho"),
    "aug": ("agosto", "ago"),
    "sep": ("septiembre", "setiembre", "setembro", "set"),
    "oct": ("octubre", "outubro", "out"),
    "nov": ("noviembre", "novembro"),
    "dec": ("diciembre", "dezembro", "dic", "dez"),
}
_ENGLISH_MONTH = {name: english for english, names in FOREIGN_MONTHS.items() for name in names}
MONTH_WORD = re.compile(
    r"(?<![^\W\d_])(?:"
    + "|".join(sorted(_ENGLISH_MONTH, key=len, reverse=True))
    + r")\.?(?![^\W\d_])",
    re.IGNORECASE,
)
DE = re.compile(r"(?<=[\d\w])\s+del?\s+(?=[\d\w])", re.IGNORECASE)  # 15 de marzo de 2024
EXCEL_SERIALS = (32874, 73051)  # Excel day numbers of 1990-01-01 and 2099-12-31
# Day and month of 05/03/2024, 05.03.24, 05-03-2024 or 05-03-24 (2024-03-05, ISO, is year
# first: its first number has four digits)
SLASHED = re.compile(r"^\s*(\d{1,2})(?:[/.](\d{1,2})[/.]\d{2,4}|-(\d{1,2})-(?:\d{4}|\d{2})(?!\d))")
# a time of day alone, also with its zone (14:50Z, 14:50 UTC, 14:50-05:00: pandas put them on
# today's date too) or ISO 8601's T before it (T14:50)
TIME_ONLY = re.compile(
    r"^\s*T?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?\s*"
    rf"(?:Z|{NAMED_ZONE}|[+-]\d{{2}}(?::?\d{{2}})?)?\s*$",
    re.I,
)


def _coarse_date_notes(text: pd.Series, source: str | Path) -> list[str]:
    """Notes for dates that give only a year or a month (pandas reads them as its first day)."""
    notes = []
    years = text.str.fullmatch(r"\d{4}")
    if years.any():
        n = int(years.sum())
        notes.append(
            f"{source}: {count_of(n, 'date')} {agree(n, 'gives', 'give')} only a year (e.g. "
            f"{text[years].iloc[0]!r}): "
            "taken as 1 January, so a year's marks are one look and no dredge can be seen to "
            "come and go within it; give each mark its scene's day where you have it"
        )
    months = text.str.fullmatch(
        r"\d{4}[-/.]\d{1,2}|\d{1,2}[-/.]\d{4}|[^\W\d_]{3,10}\.?[-/ ]\d{4}|\d{4}[-/ ][^\W\d_]{3,10}"
    )  # 2024-03, 03/2024, Mar 2024, March-2024
    if months.any():
        n = int(months.sum())
        notes.append(
            f"{source}: {count_of(n, 'date')} {agree(n, 'gives', 'give')} only a month (e.g. "
            f"{text[months].iloc[0]!r}): taken as its first day, as monthly mosaics are dated"
        )
    return notes


def normalise_dates(
    values: pd.Series,
    source: str | Path,
    *,
    day_first: bool | str | None = False,
    guess: bool = True,
    row_names: pd.Series | None = None,
    decimal_comma: bool = False,
) -> tuple[pd.Series, list[str]]:
    """Dates as tz-aware UTC timestamps, and notes on how they were read (see module notes).

    ``day_first``: the table's locale writes dates day first; text says what shows it, for
    the note (:attr:`detector.user_tables.CsvTable.day_first_cue`); True is a ``;`` table.
    ``guess`` False: an ambiguous column that nothing orders (``03/04/2024`` alone, in a ``,``
    table) is refused rather than read month first with a note.
    ``row_names``: what names each row where a date is refused for lying after today or
    before the first satellite image (a ``--dates`` table's ``scene 'a.tif'``), in the order
    of ``values``.
    ``decimal_comma``: the table writes decimals with a comma (a ``;`` table,
    :attr:`detector.user_tables.CsvTable.decimal_comma`): an Excel day number with its time of
    day, ``45463,5``, is read as 45463.5 (it was refused as a date that cannot be read).
    """
    notes: list[str] = []
    missing = values.isna()
    if missing.any():
        raise InputError(
            source,
            f"{part_of(int(missing.sum()), len(values), 'row')} "
            f"{agree(int(missing.sum()), 'has', 'have')} no date",
            "give every row the date of its scene, or drop those rows",
        )
    if values.empty:  # no rows (an empty GeoPackage's naive column): no note on their zone
        return pd.to_datetime(values, utc=True), notes
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dt, "tz", None) is None:
            notes.append(f"{source}: dates have no time zone; taken as UTC")
        stamps = pd.to_datetime(values, utc=True)
        rows_of_imagery(stamps, stamps.astype(str), source, row_names)
        return stamps, notes
    # 2024:12:31 22:00:00, a TIFF tag's form, was a time of year 1; T24:00 is the next day's
    typed = values.astype(str).str.strip()
    text = typed.map(tiff_written_out).map(end_of_day_written_out)
    text = text.str.replace(NAMED_ZONE_END, _named_zone, regex=True)  # UTC-05:00, utc
    text = _english_months(text)
    times = text.str.match(TIME_ONLY)
    if len(times) and times.all():  # pandas puts a bare time on today's date
        raise InputError(
            source,
            f"dates are times of day only (e.g. {typed.iloc[0]!r})",
            "give the date of each mark's scene (a 'fecha' or 'date' column), e.g. 2024-07-15",
        )
    if times.any():  # among dates: it was dated today without a word
        n = int(times.sum())
        raise InputError(
            source,
            f"{part_of(n, len(times), 'date')} {agree(n, 'is', 'are')} a time of day only "
            f"(e.g. {typed[times].iloc[0]!r})",
            "give each row the day of its scene too, e.g. 2024-07-15 14:50",
        )
    text, year_notes = short_years_first(text, source, cue=day_first, guess=guess)  # 24-06-20
    notes += year_notes
    found = text.str.extract(SLASHED).astype(float)  # 05/03/2024 or 05-03-2024, or NaN
    slashed = pd.DataFrame({0: found[0], 1: found[1].fillna(found[2])})
    shows_day_first = slashed[0] > 12  # 25/03/2024
    shows_month_first = slashed[1] > 12  # 03/25/2024
    if shows_day_first.any() and shows_month_first.any():
        raise InputError(
            source,
            f"dates mix day-first ({text[shows_day_first].iloc[0]!r}) and month-first "
            f"({text[shows_month_first].iloc[0]!r}) orders",
            "write dates as ISO 8601, e.g. 2024-07-15",
        )
    read_day_first = shows_day_first.any() or (bool(day_first) and not shows_month_first.any())
    parsed = pd.to_datetime(text, utc=True, format="mixed", errors="coerce")
    if read_day_first:  # one order for the whole column (pandas guesses row by row)
        rows = slashed[0].notna()
        parsed[rows] = pd.to_datetime(
            text[rows], utc=True, format="mixed", errors="coerce", dayfirst=True
        )
    numbers = text.str.replace(r"^(\d+),(\d+)$", r"\1.\2", regex=True) if decimal_comma else text
    serials = pd.to_numeric(numbers, errors="coerce")
    excel = parsed.isna() & serials.between(EXCEL_SERIALS[0], EXCEL_SERIALS[1])
    if excel.any():  # a date cell saved as its number (Excel counts days from 1899-12-30)
        seconds = pd.to_timedelta((serials[excel] * 86400).round(), unit="s")
        parsed[excel] = (pd.Timestamp("1899-12-30", tz="UTC") + seconds).astype(parsed.dtype)
        n = int(excel.sum())
        as_excel = agree(n, "was an Excel day number", "were Excel day numbers")
        notes.append(
            f"{source}: {count_of(n, 'date')} {as_excel} (e.g. "
            f"{text[excel].iloc[0]!r} = {parsed[excel].iloc[0]:%Y-%m-%d}); read as such, in "
            "Excel's 1900 date system — from a workbook set to the 1904 one (older Mac Excel; "
            "a CSV does not say which), each is 4 years and a day later: format the column as "
            "dates in Excel and save it again"
        )
    bad = parsed.isna()
    if bad.any():
        example = text[bad].iloc[0]
        raise InputError(
            source,
            f"{count_of(int(bad.sum()), 'date')} cannot be read, e.g. {example!r}",
            "write dates as ISO 8601, e.g. 2024-07-15 or 2024-07-15T14:50:12Z",
        )
    rows_of_imagery(parsed, typed, source, row_names)
    zoned = text.str.contains(ZONED)
    if zoned.any() and (~zoned).any():
        bare, with_zone = int((~zoned).sum()), int(zoned.sum())
        notes.append(
            f"{source}: {count_of(bare, 'date')} {agree(bare, 'has', 'have')} no time zone and "
            f"{with_zone} {agree(with_zone, 'has', 'have')} one; all converted to UTC (no zone = "
            "UTC)"
        )
    elif not zoned.any():
        notes.append(f"{source}: dates have no time zone; taken as UTC")
    notes += _coarse_date_notes(text, source)
    ambiguous = (slashed[0] <= 12) & (slashed[1] <= 12) & (slashed[0] != slashed[1])
    if ambiguous.any():
        n = int(ambiguous.sum())
        some = counted_like(n, "date", repr(text[ambiguous].iloc[0]))
        were = agree(n, "was", "were")
        if shows_day_first.any():
            notes.append(
                f"{source}: {some} {were} read day first, "
                f"as {text[shows_day_first].iloc[0]!r} in the same column shows"
            )
        elif read_day_first:
            notes.append(
                f"{source}: {some} {were} read day first, "
                f"as {day_first if isinstance(day_first, str) else SEMICOLON_CUE} suggest; "
                "write ISO 8601 (YYYY-MM-DD) if that is wrong"
            )
        elif not guess:
            raise InputError(
                source,
                f"{some} may be day or month first",
                "write dates as ISO 8601, e.g. 2024-07-15",
            )
        else:
            notes.append(
                f"{source}: {some} {were} read month first "
                "(US order); write ISO 8601 (YYYY-MM-DD) if that is wrong"
            )
    return parsed, notes


def _english_months(text: pd.Series) -> pd.Series:
    """Dates with Spanish or Portuguese month names (``15-ene-24``, ``15 de setiembre de
    2024``) with the English names that pandas reads; they were 'cannot be read'."""
    named = text.str.contains(MONTH_WORD)
    if not named.any():
        return text
    english = text[named].str.replace(
        MONTH_WORD, lambda m: _ENGLISH_MONTH[m[0].rstrip(".").lower()], regex=True
    )
    out = text.copy()
    out[named] = english.str.replace(DE, " ", regex=True)
    return out
