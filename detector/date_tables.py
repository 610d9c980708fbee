"""Tables that give scenes their dates (``--dates``): reading them, and finding a scene's row.

A row names its scene by path, file name, stem, the label the tools name it by, or its Planet
capture ID; the user's word wins over anything guessed from the file (see
:mod:`detector.acquisition`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from detector.acquisition import PLANET_CAPTURE, GivenDay, is_remote, scene_file_name
from detector.errors import InputError, first_line, not_a_file
from detector.given_dates import ZonelessTime
from detector.user_tables import ZONED, first_named, normalise_dates, read_csv_table
from detector.wording import agree, part_of

SCENE_COLUMNS = ("scene", "escena", "imagen", "imagem", "cena")  # Spanish, Portuguese
DATE_COLUMNS = ("date", "acquired", "fecha", "data")  # data: Portuguese


class DateTable(dict[str, datetime]):
    """Scenes' dates as :func:`read_date_table` reads them, with its notes on how (a year or
    a month alone taken as its first day, Excel day numbers, dates read day first)."""

    def __init__(self, notes: list[str] | None = None) -> None:
        super().__init__()
        self.notes = notes or []


def read_date_table(path: str | Path) -> DateTable:
    """Read a CSV mapping scenes to dates: columns ``scene`` and ``date`` (or ``acquired``;
    Spanish ``escena``/``imagen`` and ``fecha``, Portuguese ``data``; any case).

    ``scene`` is a path, a file name or a stem; ``date`` an ISO date or date-time (UTC when
    naive; a zone also named, ``UTC``, ``gmt``, ``UTC-05:00``), a TIFF tag's date-time
    (``2024:12:31 22:00:00``), or ``15/03/2024`` when the column or the table's locale tells
    the order (see :mod:`detector.user_tables`: Excel's ``;`` tables in any locale are read).
    A scene given two different dates is refused (of two rows of one time, one with its zone,
    that one is kept), and so is a date after today or before the
    first satellite image (1972), naming its row's scene. A row of a day without a time of day
    (``2024-06-20``, ``20/06/2024``, an Excel day number) is a :class:`GivenDay`: a scene whose
    own metadata or name tells its time that day keeps that time.
    """
    table_path = Path(path)
    if not table_path.is_file():
        raise not_a_file(path, "give a CSV with columns scene,date")
    try:
        table = read_csv_table(table_path, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        first = first_line(exc)
        raise InputError(path, f"cannot be read as CSV ({first})", "save it as CSV") from None
    frame = table.frame
    scene = first_named(frame.columns, SCENE_COLUMNS)
    when = first_named(frame.columns, DATE_COLUMNS)
    if scene is None or when is None:
        raise InputError(
            path,
            f"needs columns scene and date (has: {', '.join(map(str, frame.columns)) or 'none'})",
            "write a header line scene,date",
        )
    frame = frame[frame[scene].str.strip() != ""]
    if frame.empty:  # it looked at the first of no dates: an IndexError, a bug's exit 3
        raise InputError(
            path,
            "has no row naming a scene",
            "give one row per scene (scene,date), or leave --dates out",
        )
    dates = frame[when].replace("", None)
    named = "scene " + frame[scene].str.strip().map(repr)  # a date after today or before 1972
    parsed, notes = normalise_dates(
        dates,
        path,
        day_first=table.day_first_cue,
        guess=False,
        row_names=named,
        decimal_comma=table.decimal_comma,
    )
    day_only = _without_time(frame[when].astype(str).str.strip(), parsed)
    names = _elsewhere_by_name(frame[scene].str.strip().map(lambda n: _as_path_key(n, table_path)))
    # the notes were dropped: a row of a year or a month alone ('2024', '2024-03') dated its
    # scene 1 January or the 1st without a word; that a zone-less time is UTC is said where it
    # matters (a time hours from the scene's own, in its summary line)
    result = DateTable([note for note in notes if "no time zone" not in note])
    zoned = frame[when].astype(str).str.strip().str.contains(ZONED)
    for name, moment, day, zone in zip(names, parsed, day_only, zoned, strict=True):
        value = GivenDay.of(moment.date()) if day else moment.to_pydatetime()
        if not day and not zone:  # a time without its zone, read as UTC: its caveat says so
            value = ZonelessTime.of(value)
        earlier = result.get(name)
        if earlier is not None and earlier != value:
            raise InputError(
                path,
                f"scene {name!r} has two dates ({earlier:%Y-%m-%d %H:%M}, {value:%Y-%m-%d %H:%M})",
                "keep one row per scene",
            )
        if isinstance(value, ZonelessTime) and isinstance(earlier, datetime):
            if not isinstance(earlier, ZonelessTime | GivenDay):  # the same time with its
                continue  # zone in an earlier row: kept (the scene was said to lack one)
        result[name] = value
    return result


def _without_time(text: pd.Series, parsed: pd.Series) -> pd.Series:
    """True where a date cell gives a day alone: read as midnight, with no time written (no
    ``HH:MM``, no fraction of an Excel day number)."""
    serials = pd.to_numeric(text, errors="coerce")
    fraction = serials.notna() & (serials % 1 != 0)
    midnight = parsed == parsed.dt.normalize()
    return midnight & ~text.str.contains(r"\d:\d", regex=True) & ~fraction


def _as_path_key(name: str, table: Path) -> str:
    """A ``--dates`` row's scene: a path (``scenes/a.tif``, ``C:\\…``) as the absolute path of
    the file it names (from the current folder, else from the table's), else as written."""
    if ("/" not in name and "\\" not in name) or is_remote(name):
        return name
    given = Path(name.replace("\\", "/"))
    for base in (Path.cwd(), table.parent):
        found = given if given.is_absolute() else base / given
        if found.exists():
            return str(found.resolve())
    return name


def _elsewhere_by_name(names: pd.Series) -> pd.Series:
    """Rows naming a scene by a path that is not on this machine (``/home/ana/planet/a.tif``,
    ``C:\\Users\\…\\a.tif``: a table made on another computer) as the file name alone, which
    finds the scene here by its name; such rows named no scene given, and their dates were
    left out. Paths sharing a file name stay as written (each would name every scene of it)."""
    elsewhere = names.map(
        lambda n: ("/" in n or "\\" in n) and not is_remote(n) and not Path(n).exists()
    )
    bare = names[elsewhere].map(lambda n: n.replace("\\", "/").rsplit("/", 1)[-1])
    once = ~bare.duplicated(keep=False) & bare.ne("")
    return names.where(~elsewhere, bare.where(once, names[elsewhere]))


def date_for_scene(
    table: Mapping[str, datetime], path: str | Path, label: str | None = None
) -> datetime | None:
    """Look a scene up in a date table by its path, its label (see
    :func:`detector.acquisition.scene_labels`), its file name, then its stem."""
    key = date_key(table, path, label)
    return None if key is None else table[key]


def date_key(table: Mapping[str, object], path: str | Path, label: str | None = None) -> str | None:
    """The key of ``table`` that names the scene at ``path`` (see :func:`date_for_scene`)."""
    keys = date_keys(table, path, label)
    return keys[0] if keys else None


def date_keys(table: Mapping[str, object], path: str | Path, label: str | None = None) -> list[str]:
    """Every key of ``table`` that names the scene at ``path``, most specific first: its path
    (also as the absolute path it is), its label, its file name, its stem, its Planet
    capture ID (``20240303_143659_60_2423``)."""
    text = str(path)
    name = scene_file_name(text)
    keys = [text, *([] if is_remote(text) else [str(Path(text).resolve())])]
    named = [*([label] if label else []), name]
    keys += named + [re.sub(r"\.tiff?$", "", key, flags=re.IGNORECASE) for key in named]
    capture = PLANET_CAPTURE.match(name)
    if capture:
        keys.append(capture.group(1))
    # a scene copied from a Mac keeps its name decomposed ('n' + a combining tilde), a row typed
    # in Excel is composed: the row named no scene given, and the note showed two names alike
    keys += [unicodedata.normalize(form, key) for key in keys for form in ("NFC", "NFD")]
    return [key for key in dict.fromkeys(keys) if key in table]


def check_date_keys(
    table: Mapping[str, object], paths: Sequence[str], labels: Mapping[str, str], source: str
) -> None:
    """InputError when one row of a ``--dates`` table names several scenes by the file name
    they share (NICFI quads of several months): it would give them all one date."""
    matched: dict[str, list[str]] = {}
    for path in paths:
        keys = date_keys(table, path, labels.get(path))
        given = {key: table[key] for key in keys}
        if len(set(given.values())) > 1:  # one scene under two spellings, two dates
            first, second = keys[0], next(k for k in keys if given[k] != given[keys[0]])
            raise InputError(
                source,
                f"rows {first!r} and {second!r} both name scene {labels.get(path, path)} and "
                "give it two dates",
                "keep one row per scene",
            )
        if keys and keys[0] != path:
            matched.setdefault(keys[0], []).append(path)
    shared = next(((key, found) for key, found in matched.items() if len(found) > 1), None)
    if shared is not None:
        key, found = shared
        raise InputError(
            source,
            f"scene {key!r} names {len(found)} of the scenes given (they share a file name)",
            f"write each scene as `dredge detect` names it (e.g. {labels.get(found[0], found[0])}) "
            "or its path",
        )


def unused_dates_note(
    table: Mapping[str, object], paths: Sequence[str], labels: Mapping[str, str]
) -> str | None:
    """One line when rows of a ``--dates`` table name no scene given (a typo, or a scene left
    out: the row would be ignored without a word), or None."""
    used = {key for path in paths for key in date_keys(table, path, labels.get(path))}
    unused = [key for key in table if key not in used]
    if not unused:
        return None
    n = len(unused)  # '1 of 3 row(s) name …': one row, of several, in the number of neither
    return (
        f"--dates: {part_of(n, len(table), 'row')} {agree(n, 'names', 'name')} no scene given "
        f"(e.g. {unused[0]!r}) and {agree(n, 'is', 'are')} not used — check the names against "
        "the scenes"
    )
