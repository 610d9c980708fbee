"""A scene's path read as text, before the file is opened: whether it is remote
(:func:`is_remote`), its file name and stem without a URL's query (:func:`without_query`,
:func:`scene_file_name`, :func:`scene_stem`), the key scene labels are told apart by
(:func:`label_key`), and what a name says besides the day that dates the scene: the days a
Planet mosaic's or a range's name spans (:func:`mosaic_days`, :func:`name_date_range`) and a
zone in doubt (:func:`name_zone_in_doubt`).

Split from :mod:`detector.acquisition` (whose names these are imported from too), which finds
when a scene was taken.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from detector.given_dates import ZoneDoubt, iso_times_in_name, safe_datetime

REMOTE_PREFIXES = ("http://", "https://", "s3://", "gs://", "az://", "/vsi")
_NICFI_NAME = re.compile(
    r"_(\d{4})[-_](\d{2})(?:[-_](\d{2}))?(?:_(\d{4})[-_](\d{2})(?:[-_](\d{2}))?)?_mosaic"
)  # NICFI 2024-01, global_monthly_2024_01, biweekly 2024-01-01_2024-01-15
_QUARTER_NAME = re.compile(r"_(\d{4})_?q([1-4])_mosaic", re.IGNORECASE)  # global_quarterly_2024q3


def is_remote(path: str) -> bool:
    """True for URLs and GDAL virtual file systems (no sidecars are looked for there)."""
    return path.startswith(REMOTE_PREFIXES)


def without_query(path: str) -> str:
    """A URL without its query string (``?X-Amz-Signature=…``); a local path as it is: a '?'
    is a legal character of a file or folder name, and cutting there named the scenes of a
    folder 'Nanay?2024' by the folder alone."""
    return path.split("?", 1)[0] if is_remote(path) else path


def scene_file_name(path: str) -> str:
    """The file name of a path or URL (query string dropped)."""
    return without_query(path).rstrip("/").rsplit("/", 1)[-1]


def scene_stem(name: str) -> str:
    """A scene's name without a .tif / .tiff suffix (any case), the one rule by which the
    tables know a scene (chip folders, tile ids, detection ids, dates seen): ``a.tif`` → ``a``,
    ``a.vrt`` → ``a.vrt``. Tile ids that dropped any suffix named the tiles of ``a.tif`` and
    ``a.img`` alike (34 of 68 ids in ``tiles.parquet`` shared)."""
    return re.sub(r"\.tiff?$", "", name, flags=re.IGNORECASE)


def label_key(label: str) -> str:
    """What tells scene labels apart: composed (NFC), as the tracker knows scenes
    (:func:`detector.observed.scene_key`; ``escena ñ.tif`` composed and decomposed, two files
    of one Linux folder, were two labels and one scene to it), without its .tif / .tiff suffix
    (the tables know a scene by :func:`scene_stem`) and without the case of its letters (chip
    folders and files are named by it, one file on a disk that ignores case). ``x/Nanay.tif``
    and ``y/nanay.TIF`` are named apart by their folders (``x_Nanay.tif``, ``y_nanay.TIF``): the
    suffix kept its case here, so they kept their names and were refused as one scene, and a
    run of them made before case was folded could not be resumed. One folder's ``a.tif`` and
    ``a.TIF`` are refused by :func:`detector.scene_names.check_stems_apart`."""
    return scene_stem(unicodedata.normalize("NFC", label)).casefold()


def mosaic_days(path: str) -> tuple[date, date] | None:
    """The first and last day a mosaic's name covers (``…_2024-03_mosaic``: March 2024;
    ``…_2024q1_mosaic``: January to March; ``…_2024-01-01_2024-01-15_mosaic``: those days),
    None for a name that is no mosaic's. Its ``nicfi-name`` date is the first of them only."""
    match = _mosaic_name(path)
    if match is not None and match.re is _NICFI_NAME:
        year, month, day, *end = match.groups()
        first = safe_datetime(year, month, day or "01")
        if first is None:
            return None
        if end[0] is not None:
            year, month, day = end
        last = safe_datetime(year, month, day) if day else _month_end(int(year), int(month), 1)
        return (first.date(), last.date()) if last is not None else None
    if match is not None:  # a quarter's
        first_month = 3 * int(match[2]) - 2
        quarter = _month_end(int(match[1]), first_month, 3)
        return (date(int(match[1]), first_month, 1), quarter.date()) if quarter else None
    return None


def _mosaic_name(path: str, *, folders: bool = True) -> re.Match[str] | None:
    """A mosaic's name (monthly or biweekly, ``_NICFI_NAME``; quarterly, ``_QUARTER_NAME``:
    ``match.re`` tells which) in the file's name, else in its folders' names, the nearest
    first whatever its kind (``folders``: else in the name alone). Every folder was searched
    for a monthly name before any for a quarterly one: a quad of a 2024 q1 folder kept in a
    2023-06 monthly folder was dated June 2023."""
    parts = [part for part in without_query(path).split("/") if part]
    for part in reversed(parts if folders else parts[-1:]):
        match = _NICFI_NAME.search(part) or _QUARTER_NAME.search(part)
        if match:
            return match
    return None


def _month_end(year: int, month: int, months: int) -> datetime | None:
    """The last day of the ``months`` months from ``month`` of ``year`` (1: that month)."""
    after = safe_datetime(
        str(year + (month - 1 + months) // 12), str((month - 1 + months) % 12 + 1), "01"
    )
    return None if after is None else after - timedelta(days=1)


# a range of days as Copernicus Browser writes it: first day (and hour), "_", last day
_RANGE_NAME = re.compile(
    r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:-\d{2}_\d{2})?_(\d{4})-(\d{2})-(\d{2})(?!\d)"
)


def name_date_range(path: str) -> tuple[date, date] | None:
    """The first and last day of a range of days in a file name, two ISO dates in a row
    (``2024-03-01-00_00_2024-03-31-23_59_Sentinel-2_L2A_True_color.tiff``, as Copernicus
    Browser names an image of a time range: it may be of any day in it), when more than a day
    apart, else None. Two dates apart in a name (a scene's, then an export's) are no range."""
    match = _RANGE_NAME.search(scene_file_name(path))
    if match is None:
        return None
    first = safe_datetime(*match.groups()[:3])
    last = safe_datetime(*match.groups()[3:])
    if first is None or last is None or (last - first).days <= 1:
        return None
    return first.date(), last.date()


def name_zone_in_doubt(path: str, when: datetime | None = None) -> ZoneDoubt | None:
    """Where a file name's time is followed by what may or may not be its zone, read one way
    (:class:`~detector.given_dates.ZoneDoubt`: ``nanay_2024-12-31_220000-05.tif``, the ``-05``
    read as a part number; ``_2200_UTC5``, ``T10:00+15:00``, ``T22-00-05``), what is in doubt;
    else None. ``when``: the time the name dates the scene by (its first ISO day's where None)."""
    for iso in iso_times_in_name(scene_file_name(path)):
        if when is None or iso.when == when:
            return iso.doubt
    return None
