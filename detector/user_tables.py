"""Tables that people make: CSV as Excel writes it in any locale, and dates as people type them.

A CSV saved by Excel in Spanish or Portuguese (Peru, Brazil, Spain) separates columns with
``;`` and writes decimals with a comma (``-73,4123``) and dates day first (``15/03/2024``);
saved on Windows it is often in the ANSI code page (cp1252), not UTF-8. :func:`read_csv_table`
reads all of these: the separator is sniffed (``,``, ``;``, tab, ``|``), a ``;`` table's
decimals are read with a comma, as are a tab or ``|`` table's where a column of numbers shows a
decimal comma (``-3,7512``, ``45463,5``: its "Text (Tab delimited)"; ``1,234`` alone may be
an English thousands separator and shows nothing), and the text is UTF-8 (a byte-order mark
allowed) or else cp1252, or UTF-16 with its byte-order mark (Excel's 'Unicode text').

:func:`normalise_dates` turns a column of dates in mixed formats and time zones into UTC:

- ISO 8601 with ``Z`` or an offset is converted to UTC, as is a time with its zone named
  (``UTC``, ``gmt``, ``UTC-05:00``: as written, five hours behind); a date or time with no
  zone is taken as UTC. A date-time in a TIFF tag's form (``2024:12:31 22:00:00``) is read.
- ``03/04/2024`` is ambiguous. One order is used for the whole column: day first when a date
  in it shows it (``25/03/2024``) or when the table's locale writes dates day first (a ``;``
  table, or one whose column names are Spanish or Portuguese: ``fecha``, ``latitud``,
  ``data``, :func:`locale_cue`), else month first (US order), each with a note. A column that
  shows both orders is refused.
- Spanish and Portuguese month names are read (``15-ene-24``, ``15 de setiembre de 2024``).
- A number such as ``45354`` is a date cell that Excel saved as its day number (days from
  1899-12-30; 1990–2099 only; ``45463.5``, or ``45463,5`` in a table of decimal commas, with
  its time of day), read with a note (Excel's 1900 date system: a CSV does not
  say whether its workbook used the 1904 one, whose numbers are 1462 days less).
- Rows with no date or an unreadable one stop with the count and an example: nothing is
  dropped silently; so do a time of day alone (with its zone too, ``14:50Z``), and a date
  after today or before the first satellite image
  (:func:`detector.date_sanity.rows_of_imagery`).

:func:`read_degrees` reads a longitude or latitude column as decimal degrees, also when it was
copied from Google Earth in degrees, minutes and seconds (``3°47'46.83"S``, ``73°25'0.12"O``:
O is Spanish for west) or written with a hemisphere letter (``3.7963 S``, ``3 47 46.83 S``);
metres that Excel wrote with thousands separators (``512.345,67``) are read whole.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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

SEPARATORS = ",;\t|"
ENCODINGS = ("utf-8-sig", "cp1252")


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
_NUMBER = r"(\d+(?:[.,]\d+)?)"
DMS = re.compile(
    r"^\s*([NSEWO])?\s*([+-])?\s*" + _NUMBER + r"\s*(°|º|˚|d|deg)?\s*"
    r"(?:" + _NUMBER + r"\s*('|′|’|m|min)?\s*)?"
    r"(?:" + _NUMBER + r"\s*(\"|''|″|”|s|sec)?\s*)?([NSEWO])?\s*$",
    re.IGNORECASE,
)
# A number with thousands separators as Excel writes a cell formatted with them (a UTM x of
# 512.345,67 or "512,345.67"): groups of three digits, and a decimal part after the other mark
GROUPED = re.compile(r"^\s*([+-]?)(\d{1,3}(?:([.,])\d{3})+)(?:(?!\3)[.,](\d+))?\s*$")


@dataclass(frozen=True)
class CsvTable:
    """A CSV read with the dialect it was written in."""

    frame: pd.DataFrame
    separator: str
    encoding: str
    decimal: str = "."  # ',' in a ';' table, or a tab or '|' table whose numbers show it

    @property
    def decimal_comma(self) -> bool:
        """Its decimals are written with a comma (``-73,4123``): a ``;`` table, or a tab or
        ``|`` table where a column of numbers shows one (:func:`_shows_decimal_commas`), as read."""
        return self.separator == ";" or self.decimal == ","

    @property
    def day_first(self) -> bool:
        """Written by a locale whose dates are day first (:attr:`day_first_cue`)."""
        return self.day_first_cue is not None

    @property
    def day_first_cue(self) -> str | None:
        """What shows that the table's locale writes dates day first (``;`` between its
        columns, or Spanish or Portuguese column names), or None."""
        if self.separator == ";":
            return SEMICOLON_CUE
        return locale_cue(self.frame.columns) or (COMMA_CUE if self.decimal_comma else None)


SEMICOLON_CUE = "the table's ';' columns and decimal commas (a Spanish or Portuguese locale)"
COMMA_CUE = "the table's decimal commas (a Spanish or Portuguese locale)"
# Words of column names that people writing Spanish or Portuguese give, and people writing
# English do not: their dates are day first as surely as a ';' table's ('latitude' is both)
LOCALE_WORDS = {
    "fecha", "latitud", "longitud", "clase", "classe", "escena", "imagen", "imagem", "cena",
    "objeto", "cantidad", "quantidade", "dragas", "categoria", "tipo", "hora",
    "observacion", "observaciones", "observacao", "descripcion", "descricao", "nombre", "nome",
    "draga", "barcaza", "balsa", "barco", "bote", "lancha", "canoa",
}  # fmt: skip
LOCALE_NAMES = {"data"}  # Portuguese for date as a whole name, not as a word ('data source')
# beside one of these, a 'data' column is English (what was measured, its source): no cue
ENGLISH_DATE_NAMES = {"date", "acquired", "datetime", "time"}


def plain_name(name: object) -> str:
    """A column name as compared: without accents, spaces around it or case (``Categoría``
    is ``categoria``; ``Nº`` is ``no``)."""
    text = unicodedata.normalize("NFKD", str(name).strip())
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def locale_cue(
    columns: Iterable[object],
    what: str = "the table's Spanish or Portuguese column names",
    *,
    ignore: Iterable[str] = (),
) -> str | None:
    """The note's reason for reading a table's ambiguous dates day first when its column
    names (or other ``what``: a KML's folder and placemark names) are Spanish or Portuguese
    (``fecha``, ``latitud``, ``data``, ``Imagen 05-03-2024``), or None. Words in ``ignore``
    are no cue (the Spanish class names that analysts writing English give their marks)."""
    columns = list(columns)
    words = LOCALE_WORDS.difference(ignore)
    whole = set() if ENGLISH_DATE_NAMES.intersection(map(plain_name, columns)) else LOCALE_NAMES
    names = [
        str(column)
        for column in columns
        if plain_name(column) in whole
        or words.intersection(re.split(r"[^a-z]+", plain_name(column)))
    ]
    if not names:
        return None
    listed = ", ".join(repr(name) for name in dict.fromkeys(names[:3]))
    return f"{what} ({listed})"


def saved_text(raw: bytes, *, also: tuple[str, ...] = ()) -> str:
    """Text as Windows tools save it: UTF-16 with its byte-order mark (Excel's 'Unicode text',
    PowerShell 5's ``>``), else UTF-8 with or without one (Notepad's), else each encoding of
    ``also`` in turn (``cp1252``: Notepad's "ANSI"); UnicodeDecodeError where none reads it."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    for encoding in ("utf-8-sig", *also):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            error = exc
    raise error


def read_csv_table(path: str | Path, **options: object) -> CsvTable:
    """Read a CSV in any of the dialects of the module notes (``options`` go to pandas)."""
    source = Path(path)
    raw = source.read_bytes()
    # Excel's 'Unicode text' (tab-separated UTF-16 with a byte-order mark) was read as cp1252:
    # its NULs in every name gave 'has no position columns'
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    for encoding in ("utf-16",) if utf16 else ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise InputError(
            source, "is neither UTF-8 nor Windows (cp1252) text", "save it as UTF-8 CSV"
        )
    # Excel's 'sep=;' first line names the separator (a CSV exported for Excel in another
    # locale): it was read as the header, 'rows have more fields than its header'
    lines = text.lstrip("\ufeff").splitlines()
    named = re.fullmatch(r"\s*sep=(\S)\s*", lines[0], re.IGNORECASE) if lines else None
    separator = named.group(1) if named else _separator(text)
    # a tab table saved by a Spanish Excel ("Text (Tab delimited)") kept '-3,7512' as text;
    # a '|' table (a locale whose list separator is '|') was never read with decimal commas
    commas = separator == ";" or (
        separator in ("\t", "|") and _shows_decimal_commas(text, named, separator)
    )
    decimal = "," if commas else "."  # as CsvTable.decimal_comma says
    frame = pd.read_csv(
        source,
        sep=separator,
        decimal=decimal,
        encoding=encoding,
        **({"skiprows": 1} if named else {}),
        **options,
    )
    if not isinstance(frame.index, pd.RangeIndex):  # pandas made the extra fields an index
        example = next((line for line in text.splitlines()[1:] if line.strip()), "")
        raise InputError(
            source,
            f"rows have more fields than its header (e.g. {example[:60]!r})",
            "decimal commas in a comma-separated file? Put such numbers in quotes, or save "
            "the table with ';' between columns",
        )
    frame.columns = [str(column).strip() for column in frame.columns]
    return CsvTable(frame, separator, encoding, decimal)


DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
# a comma that may be an English thousands separator: 1,234 (not 0,123, 12,5 or -3,7512)
THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")


def _shows_decimal_commas(text: str, named: re.Match[str] | None, separator: str = "\t") -> bool:
    """Whether a tab (or ``|``) table's ``text`` has a column whose cells are all numbers
    (some blank), one at least with a comma that is no thousands separator (``-3,7512``,
    ``0,85``, ``45463,5``; a column of ``1,234`` alone shows nothing: an English Excel
    writes them)."""
    rows = [line.split(separator) for line in text.lstrip("\ufeff").splitlines()[1 + bool(named) :]]
    columns: dict[int, list[str]] = {}
    for row in rows:
        for index, cell in enumerate(row):
            cell = cell.strip().strip('"').strip()
            if cell:
                columns.setdefault(index, []).append(cell)
    for cells in columns.values():
        if not all(DECIMAL_COMMA.fullmatch(cell) or cell.lstrip("+-").isdigit() for cell in cells):
            continue
        if any(DECIMAL_COMMA.fullmatch(c) and not THOUSANDS.fullmatch(c) for c in cells):
            return True
    return False


def _separator(text: str) -> str:
    """The column separator of a CSV's text (``,`` when it cannot tell)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {sep: unquoted.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    try:
        sniffed = csv.Sniffer().sniff(header, delimiters=SEPARATORS).delimiter
    except csv.Error:
        return best if counts[best] else ","
    # the sniffer prefers ',' to the others whenever it is in the header: a ';' table with a
    # comma in a column name ('Observaciones, notas') was read by commas
    return sniffed if counts[sniffed] >= counts[best] else best


def first_named(columns: Iterable[object], names: Sequence[str]) -> str | None:
    """The column called by the first of ``names`` that a table has, in any case, with or
    without accents and with spaces around it ignored (``Lon``, ``LAT``, ``Fecha``,
    `` Clase``, ``Categoría``), or None."""
    given = [str(c) for c in columns]
    for name in names:
        if name in given:
            return name
        found = next((c for c in given if plain_name(c) == plain_name(name)), None)
        if found is not None:
            return found
    return None


def layer_to_read(
    source: Path, *, names: Sequence[str], columns: Sequence[str], what: str, fix: str
) -> str | None:
    """The layer to read from a file of several (a GeoPackage): the one named as in ``names``
    (any case), else the only one with a column named as in ``columns``; None for a file of
    one layer; InputError naming the layers (``what`` they should hold, and ``fix``)."""
    import pyogrio

    layers = [str(name) for name, _ in pyogrio.list_layers(source)]
    if len(layers) <= 1:
        return None
    named = [name for name in layers if name.lower() in names]
    if len(named) == 1:
        return named[0]
    holding = layers_holding(source, columns)
    if len(holding) == 1:
        return holding[0]
    raise InputError(
        source, f"has {len(layers)} layers ({', '.join(layers)}) and no one layer of {what}", fix
    )


def layers_holding(source: Path, columns: Sequence[str]) -> list[str]:
    """The layers of ``source`` with a column named as in ``columns`` (any case)."""
    import pyogrio

    return [
        str(name)
        for name, _ in pyogrio.list_layers(source)
        if first_named(pyogrio.read_info(source, layer=str(name))["fields"], columns)
    ]


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
    the note (:attr:`CsvTable.day_first_cue`); True is a ``;`` table.
    ``guess`` False: an ambiguous column that nothing orders (``03/04/2024`` alone, in a ``,``
    table) is refused rather than read month first with a note.
    ``row_names``: what names each row where a date is refused for lying after today or
    before the first satellite image (a ``--dates`` table's ``scene 'a.tif'``), in the order
    of ``values``.
    ``decimal_comma``: the table writes decimals with a comma (a ``;`` table,
    :attr:`CsvTable.decimal_comma`): an Excel day number with its time of day, ``45463,5``, is
    read as 45463.5 (it was refused as a date that cannot be read).
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


MINUS_SIGNS = str.maketrans(
    {"\u2212": "-", "\u2013": "-", "\u2012": "-", "\ufe63": "-", "\uff0d": "-"}
)
"""Minus signs other than the hyphen-minus, read as it."""


def read_degrees(values: pd.Series, source: str | Path, what: str) -> pd.Series:
    """Decimal degrees from a column of numbers or of text (see the module notes); ``what``
    (longitude, latitude) names the column in the error for a value that cannot be read."""
    numbers = pd.to_numeric(values, errors="coerce")
    text = values[numbers.isna() & values.notna()].astype(str)
    if text.empty:
        return numbers.astype(float)
    for index, written in text.items():
        # a minus typed as U+2212 (Word, a web page) or a dash: '−3.7512' could not be read
        value = written.strip().translate(MINUS_SIGNS)
        degrees = _grouped(value)
        if degrees is None:
            degrees = _dms(value)
        if degrees is None:
            row = list(values.index).index(index) + 2  # the header is line 1
            raise InputError(
                source,
                f"line {row}: cannot read {written!r} as a {what}",
                "write decimal degrees (-73.4167) or degrees, minutes and seconds (73°25'0.12\"W)",
            )
        numbers[index] = degrees
    return numbers.astype(float)


def _grouped(text: str) -> float | None:
    """A number written with thousands separators (``512.345,67``, ``9,585,123.4``), or None
    (``512,345`` alone may be a decimal comma: read as degrees)."""
    match = GROUPED.match(text)
    if match is None:
        return None
    sign, whole, mark, fraction = match.groups()
    if fraction is None and whole.count(mark) < 2:
        return None
    value = float(whole.replace(mark, "") + "." + (fraction or "0"))
    return -value if sign == "-" else value


def _dms(text: str) -> float | None:
    match = DMS.match(text)
    if match is None:
        return None
    before, sign, d, d_unit, m, m_unit, sec, s_unit, after = match.groups()
    lettered = any(unit and unit[0].isalpha() for unit in (d_unit, m_unit))
    if s_unit and s_unit.lower() == "s" and not (before or after or lettered):
        after = s_unit  # 3°47'46.83 S, 3 47 46.83 S: south (the seconds of 3d47m46.83s only)
    if before and after:
        return None
    # only the last part has decimals: 512.345,67 is not 512.3° 45.67' (a thousands separator)
    if (re.search(r"[.,]", d) and (m or sec)) or (m and re.search(r"[.,]", m) and sec):
        return None
    parts = [float(x.replace(",", ".")) if x else 0.0 for x in (d, m, sec)]
    if parts[1] >= 60 or parts[2] >= 60:
        return None
    value = parts[0] + parts[1] / 60 + parts[2] / 3600
    hemisphere = (before or after or "").upper()
    return -value if sign == "-" or hemisphere in ("S", "W", "O") else value
