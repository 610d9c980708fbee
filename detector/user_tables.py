"""Tables that people make: CSV as Excel writes it in any locale, and dates as people type them.

A CSV saved by Excel in Spanish or Portuguese (Peru, Brazil, Spain) separates columns with
``;`` and writes decimals with a comma (``-73,4123``) and dates day first (``15/03/2024``);
saved on Windows it is often in the ANSI code page (cp1252), not UTF-8. :func:`read_csv_table`
reads all of these: the separator is sniffed (``,``, ``;``, tab, ``|``), a ``;`` table's
decimals are read with a comma, as are a tab or ``|`` table's where a column of numbers shows a
decimal comma (``-3,7512``, ``45463,5``: its "Text (Tab delimited)"; ``1,234`` alone may be
an English thousands separator and shows nothing, nor does a column of ids, ``12,5``), and
the text is UTF-8 (a byte-order mark allowed) or else cp1252, or UTF-16 with its byte-order
mark (Excel's 'Unicode text').

:func:`normalise_dates` turns a column of dates in mixed formats and time zones into UTC
(:mod:`detector.date_columns`, whose names are imported from here too: its notes say how).

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

from detector.date_columns import SEMICOLON_CUE
from detector.date_columns import TIME_ONLY as TIME_ONLY
from detector.date_columns import ZONED as ZONED
from detector.date_columns import normalise_dates as normalise_dates
from detector.errors import InputError

SEPARATORS = ",;\t|"
ENCODINGS = ("utf-8-sig", "cp1252")


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
DECIMAL_POINT = re.compile(r"[+-]?\d*\.\d+")
# a point that may be a Spanish thousands separator: 1.234 (not -73.4123 or 0.85)
POINT_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}\.\d{3}")


def _shows_decimal_commas(text: str, named: re.Match[str] | None, separator: str = "\t") -> bool:
    """Whether a tab (or ``|``) table's ``text`` has a column whose cells are all numbers
    (some blank), one at least with a comma that is no thousands separator (``-3,7512``,
    ``0,85``, ``45463,5``; a column of ``1,234`` alone shows nothing: an English Excel writes
    them), and no column of numbers shows a decimal point (``-73.4123``: an English table whose
    ``12,5`` are ids, not decimals; its numbers and dates are read as before). A column named
    as ids or tiles (``ids``, ``track_id``, ``detection ids``, ``tile``) shows nothing: its
    ``12,5`` is two ids (a table of scenes, dates and ids read its ``03/04/2024`` day first)."""
    lines = text.lstrip("\ufeff").splitlines()[bool(named) :]
    header = lines[0].split(separator) if lines else []
    ids = {index for index, name in enumerate(header) if _names_ids(name)}
    rows = [line.split(separator) for line in lines[1:]]
    columns: dict[int, list[str]] = {}
    for row in rows:
        for index, cell in enumerate(row):
            if index in ids:
                continue
            cell = cell.strip().strip('"').strip()
            if cell:
                columns.setdefault(index, []).append(cell)
    shown = False
    for cells in columns.values():
        if all(DECIMAL_POINT.fullmatch(cell) or cell.lstrip("+-").isdigit() for cell in cells):
            if any(DECIMAL_POINT.fullmatch(c) and not POINT_THOUSANDS.fullmatch(c) for c in cells):
                return False  # decimals written with a point: an English table
        if not all(DECIMAL_COMMA.fullmatch(cell) or cell.lstrip("+-").isdigit() for cell in cells):
            continue
        if any(DECIMAL_COMMA.fullmatch(c) and not THOUSANDS.fullmatch(c) for c in cells):
            shown = True
    return shown


ID_WORDS = frozenset({"id", "ids", "tile", "tiles"})
"""Words of a column name whose numbers are ids, never decimals (``12,5``: ids 12 and 5)."""


def _names_ids(name: str) -> bool:
    words = re.split(r"[^a-z0-9]+", plain_name(name.strip().strip('"')))
    return bool(ID_WORDS.intersection(words))


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
