"""When a scene was taken: its acquisition time in UTC, from the first source that has it.

1. an explicit date given by the user (``--date``, or a CSV table read by
   :func:`detector.date_tables.read_date_table`): the user's word wins over anything guessed
   from the file;
2. a sidecar: Planet's ``<stem>_metadata.json`` (``properties.acquired``) or an XML metadata
   file (``acquisitionDate``, ``acquired``, Maxar ``FIRSTLINETIME``), a Maxar ``.IMD``
   (``firstLineTime``); a Maxar tile ``…-M2AS_R1C1-…_P001.TIF`` reads its product's
   ``…-M2AS-…_P001.XML``;
3. the file name: PlanetScope ``YYYYMMDD_HHMMSS_…`` (its id also behind a prefix), Maxar
   ``17AUG31162013-P1BS-…``, a Planet basemap's mosaic name (NICFI ``…_2024-01_mosaic``,
   ``global_monthly_2024_01_mosaic``,
   ``global_quarterly_2024q3_mosaic``, biweekly ``…_2024-01-15_2024-01-29_mosaic``: the mosaic's
   first day; the nearest folder's name counts too, after the file name's own dates), an ISO
   date ``YYYY-MM-DD`` anywhere in the name (its time also ``T22_00_00``, ``T22-00-00``,
   ``T22_00``, in four digits after a ``T`` or before a zone's name, ``T2200``, ``2200 UTC``
   (not after ``_`` alone: ``_0001``, a part number), the ``T`` in either case; also a basic
   day with such a time, ``20241102T0930``; its zone also after ``UTC`` or ``GMT`` in any case,
   its hours in one digit too, as ``--date`` reads it (``utc-05:00``, ``UTC-5``,
   ``_UTC-05``), or in hours alone after a time the ``T`` or a colon marks, ``T22:00-05``:
   after ``_220000`` that may be a part number, read so and said),
   Landsat's product ID (``LC09_L2SP_007063_20240315_…``), Sentinel-2's sensing time
   (``S2A_MSIL2A_20240315T143012_…``, ``T18MYA_20240315T143012_B04…``,
   ``…_V20160315T143012…``), Earth Engine's image ids
   (``20240315T143012_20240315T143515_T18MYA``, ``LC09_007063_20240315``), a day alone written
   ``YYYYMMDD`` or ``YYYY_MM_DD`` (``nanay_20240315``; not one followed by a time,
   ``nanay_clip_20241102_093015``, ``…_2024_11_02_093015``: an export's; followed by four
   digits, ``_0930`` (or a part number, ``_0001``), it dates the scene, with a word
   (:mod:`detector.date_caveats`); nor one after today, ``tile_2048_10_12``, or before
   Landsat 1, ``img_1920_08_15``),
   source ``day-name``: it may be no date (a grid's numbers), so the GeoTIFF's
   ``ACQUISITIONDATETIME`` tag (IMAGERY domain) comes before it;
4. the GeoTIFF's ``ACQUISITIONDATETIME`` (IMAGERY domain) or ``TIFFTAG_DATETIME`` tag.

A date before Landsat 1 in a sidecar (``1970-01-01``, a placeholder), a name
(``scan_1965-03-02``: the name's next date, ``scan_1965-03-02_2024-03-15``, may date it; not a
Landsat id's processing day) or a tag (``1970:01:01 00:00:00``, a camera's or a program's
default for none, as ``1980:01:01 00:00:00`` is) dates nothing: the next source does, and the
scene's caveat names it and its value (:func:`detector.date_sanity.before_imagery`).

A date after today, from any of them but a day alone in the name, is one error line
(:func:`detector.date_sanity.not_ahead`: a typo of the year, 2204 for 2024, was counted in a
year of its own); so is a date given before the first satellite image
(:func:`detector.date_sanity.not_before_imagery`: ``0001-01-01`` dated the scene year 1).

A scene's path read as text (its file name and stem, whether it is remote, the days a
mosaic's name spans) is :mod:`detector.scene_paths`, whose names are imported from here too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import rasterio
from rasterio.errors import RasterioError

from detector.date_sanity import (
    AHEAD_SLACK,
    FIRST_IMAGERY,
    PassedOver,
    before_imagery,
    default_for_none,
    is_default_stamp,
    not_ahead,
    not_before_imagery,
)
from detector.errors import InputError
from detector.given_dates import GivenDay as GivenDay
from detector.given_dates import ZonelessTime as ZonelessTime
from detector.given_dates import given_time as given_time
from detector.given_dates import is_day_only as is_day_only
from detector.given_dates import (
    iso_times_in_name,
    safe_datetime,
    without_zone,
)
from detector.given_dates import to_utc as to_utc
from detector.remote_reads import use_http_time_limits
from detector.scene_paths import _NICFI_NAME, _mosaic_name, label_key
from detector.scene_paths import is_remote as is_remote
from detector.scene_paths import mosaic_days as mosaic_days
from detector.scene_paths import name_date_range as name_date_range
from detector.scene_paths import name_zone_in_doubt as name_zone_in_doubt
from detector.scene_paths import scene_file_name as scene_file_name
from detector.scene_paths import scene_stem as scene_stem
from detector.scene_paths import without_query as without_query
from detector.sidecars import sidecar_candidates as sidecar_candidates
from detector.sidecars import sidecar_time

# a PlanetScope capture (day, time, an optional tenths field, its satellite): the files of one
# capture (its scene, UDM2, metadata, another product) share it
PLANET_CAPTURE = re.compile(r"^(\d{8}_\d{6}(?:_\d{2})?_[0-9a-f]{4})_", re.IGNORECASE)
_PLANET_NAME = re.compile(r"^(\d{8})_(\d{6})(?=[_.]|$)")
# a PlanetScope id behind a prefix (Nanay_20230715_145012_56_2455_3B_…): with its satellite's,
# where a day and time alone may be an export's (nanay_clip_20241102_093015)
_PLANET_ID = re.compile(r"(?<![0-9A-Za-z])(\d{8})_(\d{6})_\d{2}_[0-9a-fA-F]{4}(?=[_.]|$)")
# a day alone in ISO 8601's basic form or with underscores (nanay_20240315, nanay_2024_03_15)
# where nothing else in the name dates it (both were "acquisition date unknown"); not one
# followed by a time (nanay_clip_20241102_093015: when an export was made), nor the last number
# of a version (nanay_v2.1.20240101: a build's day)
DAY_NAME = "day-name"  # the source of such a day: it yields to an ACQUISITIONDATETIME tag
# nor one before the first satellite image (date_sanity.FIRST_IMAGERY, Landsat 1's of 23 July
# 1972): img_1920_08_15 is a number, and was dated 1920 without a word
_OTHER_DAYS = (
    re.compile(r"(?<![^_.-])(?<!\d\.)((?:19|20)\d{2})(\d{2})(\d{2})(?![^_.-])(?![_-]\d{6}(?!\d))"),
    re.compile(r"(?<!\d)((?:19|20)\d{2})_(\d{2})_(\d{2})(?!\d)(?![_-]\d{6}(?!\d))"),
)  # nanay_2024_11_02_093015, an export's, was dated 2024-11-02 (its basic form dated nothing)
_MAXAR_NAME = re.compile(  # also behind an archive's prefix (WV03_…_104001008A2B3C00_17AUG31…)
    r"(?:^|_)(\d{2})(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(\d{2})(\d{6})-"
)
# Sentinel-2's sensing time in ISO 8601's basic form: a product (S2A_MSIL2A_20240315T143012_
# N0510_R010_T18MYA_20240315T190203: sensing, then processing), a granule's band files
# (T18MYA_20240315T143012_B04_10m), a pre-2017 product's validity start (…_V20160315T143012_…).
# Not any such time in a name: an older granule's (S2A_OPER_MSI_L1C_TL_SGS__20160322T190203_…)
# and an export's (nanay_clip_exported_20241102T093015) are when the file was made
_BASIC = r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?!\d)"
_SENTINEL2_NAMES = (
    re.compile(rf"^S2[A-D]_MSI(?:L1C|L2A)_{_BASIC}"),
    re.compile(rf"^T\d{{2}}[A-Z]{{3}}_{_BASIC}"),
    re.compile(rf"^S2[A-D]_OPER_.*_V{_BASIC}"),
)
# Landsat's product ID: acquisition date, then processing date (LC09_L2SP_007063_20240315_…)
_LANDSAT_NAME = re.compile(r"^L[COTEM]0\d_L[0-9A-Z]{3}_\d{6}_(\d{4})(\d{2})(\d{2})_\d{8}_")
# Earth Engine's image ids (system:index), by which its exports are named, behind a prefix too:
# Sentinel-2's datatake and granule sensing times, then the tile
# (20240315T143012_20240315T143515_T18MYA); Landsat's sensor, path/row and day
# (LC09_007063_20240315; 1_2_LC08_… in merged collections)
_EARTH_ENGINE_NAMES = (
    (re.compile(rf"(?:^|_){_BASIC}_\d{{8}}T\d{{6}}_T\d{{2}}[A-Z]{{3}}(?=[_.]|$)"), "iso-name"),
    (re.compile(r"(?:^|_)L[COTEM]0\d_\d{6}_(\d{4})(\d{2})(\d{2})(?=[_.]|$)"), "landsat-name"),
)
OWN_TIME_SLACK_MINUTES = 10.0  # detector.passes.PASS_GAP_MINUTES (passes imports the scene)
OWN_MIDNIGHT = time(0, tzinfo=UTC)
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()


@dataclass(frozen=True)
class Acquisition:
    """When a scene was taken (UTC) and where that was read from."""

    time: datetime | None
    source: str  # explicit, metadata.json, metadata.xml, planet-name, nicfi-name, ... unknown
    own: Acquisition | None = None  # for a date given: the scene's own, when it is another day
    # a sidecar's, name's or tag's date passed over, before the first satellite image
    # (1970:01:01 00:00:00), where it would have dated the scene (date_sanity.before_imagery)
    passed_over: PassedOver | None = None


def resolve_acquisition(
    path: str,
    dataset: rasterio.DatasetReader,
    *,
    explicit: datetime | date | str | None = None,
) -> Acquisition:
    """Find the acquisition time (see the module's docstring for the order).

    A day given without a time of day (:class:`GivenDay`, a ``date``, text ``YYYY-MM-DD``) that
    is the day of the scene's own time (its metadata or name) keeps that time: at midnight, a
    scene of 14:50 was another pass than its neighbour of the same strip dated by its name."""
    if explicit is not None:
        try:
            given = to_utc(explicit)
        except ValueError:
            raise InputError(
                path, f"the date given, {explicit!r}, is not a date", "use YYYY-MM-DD"
            ) from None
        if not is_day_only(explicit) and without_zone(explicit):  # said in its caveat
            given = ZonelessTime.of(given)
        own = _own_date(path)
        if own is not None and own.source == DAY_NAME:
            chosen = _first_of(path, own, time_from_tags(dataset))
            if chosen is None or chosen.source != DAY_NAME:
                own = None  # a day alone in the name is not its own where its tag tells one
        if is_day_only(explicit) and own is not None and own.time is not None:
            if own.time.date() == given.date():
                return _checked(path, Acquisition(own.time, "explicit"))
        differs = (  # a mosaic's name gives its first day only
            own is not None
            and own.source != "nicfi-name"
            and own.time is not None
            and (own.time.date() != given.date() or _other_time(own.time, given))
        )
        return _checked(path, Acquisition(given, "explicit", own if differs else None))
    found = None if is_remote(path) else time_from_sidecar(Path(path))
    if found is not None and found.time is not None:
        return _checked(path, found)
    over = found.passed_over if found is not None else None  # a sidecar's before 1972
    found = time_from_name(path)
    undated = found is None or found.time is None or found.source == DAY_NAME
    tagged = time_from_tags(dataset) if undated else None
    chosen = _noted(over, _first_of(path, found, tagged))
    return _checked(path, chosen or Acquisition(None, "unknown"))


def _noted(over: PassedOver | None, found: Acquisition | None) -> Acquisition | None:
    """``found`` with ``over``, a date passed over before it, said first; where nothing dates
    the scene, an Acquisition of no time that keeps it."""
    if over is None:
        return found
    if found is None:
        return Acquisition(None, "unknown", passed_over=over)
    return replace(found, passed_over=over.then(found.passed_over))


def _own_date(path: str) -> Acquisition | None:
    """The date a scene's sidecar, else its name, gives (a date passed over is none)."""
    found = None if is_remote(path) else time_from_sidecar(Path(path))
    if found is None or found.time is None:
        found = time_from_name(path)
    return found if found is not None and found.time is not None else None


def _first_of(
    path: str, named: Acquisition | None, tagged: Acquisition | None
) -> Acquisition | None:
    """The date a scene's name gives, else its tags': a day alone in the name
    (:data:`DAY_NAME`: ``nanay_20240315``, ``grid_2012_05_07``, that may be no date at all)
    after an ``ACQUISITIONDATETIME`` tag, before a ``TIFFTAG_DATETIME`` (a file's write time).
    Read before the tags, such a name overrode the scene's own ACQUISITIONDATETIME. Where it
    yields, the next date the name gives comes first, a mosaic's folder, as for a day after
    today (the tag skipped it: grid numbers that read as a day dated a mosaic's tile by it).
    An ``ACQUISITIONDATETIME`` before Landsat 1 that the day would have yielded to is said
    (``passed_over``), as a name's date before it that dated nothing is."""
    if named is not None and named.time is None:  # only a date before the first image
        return _noted(named.passed_over, _first_of(path, None, tagged))
    if named is None or (named.source == DAY_NAME and tagged and tagged.source == "imagery-tag"):
        return tagged if named is None else _mosaic_first_day(path, folders=True) or tagged
    over = tagged.passed_over if tagged is not None else None
    if named.source == DAY_NAME and over is not None and over.source == "imagery-tag":
        return replace(named, passed_over=over)
    return named


def _checked(path: str, found: Acquisition) -> Acquisition:
    """``found``, once :func:`detector.date_sanity.not_ahead` (and, for a date given,
    :func:`detector.date_sanity.not_before_imagery`) has checked it."""
    not_ahead(path, found.time, found.source)
    not_before_imagery(path, found.time, found.source)
    return found


def _other_time(own: datetime, given: datetime) -> bool:
    """True when a time given is farther from the scene's own time of that day than one pass
    lasts (a local time written without its zone, read as UTC: 09:50 for 14:50 UTC made the
    scene another pass than its neighbours of the strip, and their dredges counted twice)."""
    has_time = own.timetz() != OWN_MIDNIGHT
    return has_time and abs(own - given) > timedelta(minutes=OWN_TIME_SLACK_MINUTES)


def own_time_read(path: str) -> datetime | None:
    """A scene's own acquisition time as :func:`resolve_acquisition` finds it with no date
    given: its sidecar's or name's, else its tags' (``ACQUISITIONDATETIME``,
    ``TIFFTAG_DATETIME``: the file's header is read; also for a day alone in the name, which
    yields to the first); None where nothing says, or the file cannot be opened."""
    found = _own_date(path)
    if found is not None and found.source != DAY_NAME:
        return found.time
    use_http_time_limits()  # a server that stops answering held the read for ever
    try:
        with rasterio.open(path) as dataset:
            tagged = time_from_tags(dataset)
    except (RasterioError, OSError):
        tagged = None
    chosen = _first_of(path, found, tagged)
    return chosen.time if chosen is not None else None


def unreadable(path: str) -> str | None:
    """Why the file at ``path`` cannot be opened as a raster now (the first line of the
    error), else None."""
    use_http_time_limits()
    try:
        with rasterio.open(path):
            return None
    except (RasterioError, OSError) as error:
        return str(error).splitlines()[0] if str(error) else type(error).__name__


def time_from_sidecar(path: Path) -> Acquisition | None:
    """Acquisition time from a JSON, XML or Maxar IMD metadata file next to the scene
    (:mod:`detector.sidecars`)."""
    found = sidecar_time(path)
    return None if found is None else Acquisition(found[0], found[1], passed_over=found[2])


def time_from_name(path: str) -> Acquisition | None:
    """Acquisition time from a PlanetScope, Maxar, Planet basemap, Landsat, Sentinel-2, Earth
    Engine or ISO-dated file name. A date before the first satellite image
    (``scan_1965-03-02``) dates nothing: the next the name gives does, and the first such is
    kept (``passed_over``; no time where nothing else in the name dates it)."""
    over = None
    for found in _name_dates(path):
        if found.time is not None and found.time < FIRST_IMAGERY:
            over = over or before_imagery(found.source, f"{found.time:%Y-%m-%d}")
        else:
            if over is not None and found.time is not None:  # which date of the name dates it
                said = f"dated {found.time:%Y-%m-%d} by the next date in its file name"
                over = over._replace(words=f"{over.words}; {said}")
            return _noted(over, found)
    return _noted(over, None)


def _name_dates(path: str) -> Iterator[Acquisition]:
    """The dates a file name gives, in the order :func:`time_from_name` takes them."""
    name = scene_file_name(path)
    match = _PLANET_NAME.match(name) or _PLANET_ID.search(name)
    if match:
        found = safe_datetime(match[1][:4], match[1][4:6], match[1][6:], *_hms(match[2]))
        if found:
            yield Acquisition(found, "planet-name")
    match = _MAXAR_NAME.search(name.upper())
    if match:  # Maxar / DigitalGlobe: 17AUG31162013-P1BS-…
        month = f"{_MONTHS.index(match[2]) + 1:02d}"
        century = "20" if 2000 + int(match[1]) <= datetime.now(UTC).year + 1 else "19"
        found = safe_datetime(century + match[1], month, match[3], *_hms(match[4]))
        if found:
            yield Acquisition(found, "maxar-name")
    mosaic = _mosaic_first_day(path, folders=False)
    if mosaic:
        yield mosaic
    for iso in iso_times_in_name(name):  # the first that is no day before 1972 dates it
        yield Acquisition(iso.when, "iso-name")
    # Sentinel-2 and Landsat names were not read: "acquisition date unknown", or the date a
    # program wrote the file, from its TIFFTAG_DATETIME
    match = _LANDSAT_NAME.match(name.upper())
    landsat_end = match.end() if match else 0  # its processing date is no day of the scene
    if match:
        found = safe_datetime(*match.groups())
        if found:
            yield Acquisition(found, "landsat-name")
    for pattern in _SENTINEL2_NAMES:
        match = pattern.match(name.upper())
        found = safe_datetime(*match.groups()) if match else None
        if found:
            yield Acquisition(found, "iso-name")
    for pattern, source in _EARTH_ENGINE_NAMES:  # were "acquisition date unknown", or the tag's
        match = pattern.search(name.upper())
        found = safe_datetime(*match.groups()) if match else None
        if found:
            yield Acquisition(found, source)
    for pattern in _OTHER_DAYS:  # weak: the ACQUISITIONDATETIME tag before it, and one after
        # today is no date (tile_2048_10_12, a grid's numbers, failed the scene as a typo)
        for match in pattern.finditer(name, landsat_end):  # an id of 1965 was dated by its
            found = safe_datetime(*match.groups())  # processing day (2024-03-20) as a day alone
            if found and FIRST_IMAGERY <= found <= datetime.now(UTC) + AHEAD_SLACK:
                yield Acquisition(found, DAY_NAME)
    # the mosaic's name is often the folder's: the nearest such folder, after the file's own
    # name (a project folder `nicfi_2023-06_mosaic_vs_…` dated every scene under it so)
    folder = _mosaic_first_day(path, folders=True)
    if folder:
        yield folder


def _mosaic_first_day(path: str, *, folders: bool) -> Acquisition | None:
    """The first day of a Planet basemap's mosaic named by the file (or by its folders)."""
    match = _mosaic_name(path, folders=folders)
    if match is None:
        return None
    if match.re is _NICFI_NAME:
        found = safe_datetime(match[1], match[2], match[3] or "01")
    else:
        found = safe_datetime(match[1], f"{3 * int(match[2]) - 2:02d}", "01")
    return Acquisition(found, "nicfi-name") if found else None


def time_from_tags(dataset: rasterio.DatasetReader) -> Acquisition | None:
    """Acquisition time from ``ACQUISITIONDATETIME`` (IMAGERY) or ``TIFFTAG_DATETIME``.

    A tag before the first satellite image (:data:`FIRST_IMAGERY`: ``1970:01:01 00:00:00``, a
    camera's or a program's default for none) dates nothing, as such a day in a name does, and
    so does a default for none after it (``1980:01:01 00:00:00``,
    :func:`~detector.date_sanity.is_default_stamp`): the
    next tag does, and the first such tag is kept (``passed_over``) for the scene's caveat
    (:mod:`detector.date_caveats`); where no tag dates it, an Acquisition of no time keeps it
    (the scene was dated 1970 with only the caveat that a TIFFTAG_DATETIME may be a write
    time)."""
    places = [
        (dataset.tags(ns="IMAGERY"), "ACQUISITIONDATETIME", "imagery-tag"),
        (dataset.tags(), "TIFFTAG_DATETIME", "tiff-tag"),
    ]
    over = None
    for tags, key, source in places:
        value = tags.get(key)
        if value:
            try:
                when = to_utc(value)
            except ValueError:
                continue
            if when < FIRST_IMAGERY:
                over = over or before_imagery(source, value)
                continue
            if is_default_stamp(value):  # 1980:01:01 00:00:00 dated the scene 1980
                over = over or default_for_none(source, value)
                continue
            return Acquisition(when, source, passed_over=over)
    return _noted(over, None)


def _hms(text: str) -> tuple[str, str, str]:
    return text[:2], text[2:4], text[4:6]


ITEM_NAMES: dict[str, str] = {}  # by path, filled as STAC is read: see name_by_item


def name_by_item(path: str, item_id: str) -> None:
    """Name the scene at ``path``, a link that names no raster file (Planet's Data API
    ``…/download?token=…``), by its STAC item's id in :func:`scene_labels`, which every command
    names scenes by (it was named by the link's folders, ``v1_download``)."""
    name = item_id.replace("/", "_").replace("\\", "_").strip()
    if name not in ("", ".", ".."):
        ITEM_NAMES[path] = name


def scene_labels(
    paths: Sequence[str | Path], taken: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A name for each scene that tells it from the others in ``paths``: its file name, or,
    where scenes share a file name (NICFI quads of several months, STAC assets all called
    ``analytic.tif``), the folders above it joined with ``_`` from the nearest one that tells
    them apart: ``…_2024-01_mosaic/L15-0745E-1031N.tif`` → ``…_2024-01_mosaic_L15-0745E-1031N.tif``.
    A link that names no file takes its STAC item's id for its last part (:func:`name_by_item`).

    ``taken`` maps paths to labels given before (a resumed run keeps them); new scenes get
    the labels they have among all of ``paths`` where none of those has it (a run stopped
    after two of ``2024-0{1,2,3}/x.tif`` and resumed named the third ``x.tif``, where the run
    uninterrupted names it ``2024-03_x.tif``), else labels none of those have.

    Labels are told apart as :func:`detector.scene_paths.label_key` gives them: names that
    differ only in the case of their letters (``a/Nanay.tif``, ``b/nanay.tif``) are named apart
    too (``a_Nanay.tif``, ``b_nanay.tif``): their chips, ``chips/Nanay/Nanay_r000_c000.png`` and
    ``chips/nanay/nanay_r000_c000.png``, were one file on a disk that ignores case (macOS,
    Windows), one scene's chips written over the other's.
    """
    labels = {str(p): taken[str(p)] for p in paths if taken and str(p) in taken}
    used = {label_key(label) for label in (taken or {}).values()}
    if labels:  # as a run given ``paths`` at once names them, where no earlier label is that
        for p, label in scene_labels(paths).items():
            if p not in labels and label_key(label) not in used:
                labels[p] = label
                used.add(label_key(label))
    new = [str(p) for p in dict.fromkeys(map(str, paths)) if str(p) not in labels]
    parts = {p: [part for part in without_query(p).split("/") if part] for p in new}
    for p in set(new) & set(ITEM_NAMES):
        parts[p] = [*parts[p][:-1], ITEM_NAMES[p]]
    depth = dict.fromkeys(new, 1)
    while True:
        candidate = {p: "_".join(parts[p][-depth[p] :]) for p in new}
        key = {p: label_key(candidate[p]) for p in new}
        counts = Counter(key.values())
        clashing = [p for p in new if counts[key[p]] > 1 or key[p] in used]
        deeper = [p for p in clashing if depth[p] < len(parts[p])]
        if not deeper:
            break
        for p in deeper:
            depth[p] += 1
    # numbered in the paths' order, not the listing's: `/b/b/x.tif` and `/b/b_x.tif`, both
    # `b_b_x.tif`, took each other's number when listed the other way round
    named: dict[str, str] = {}
    for index, p in enumerate(sorted(new)):
        label = candidate[p]
        if counts[key[p]] > 1 or key[p] in used:  # no folder tells them apart
            label = f"{index}_{label}"
            while label_key(label) in used:  # a file named so already
                label = f"{index}_{label}"
        named[p] = label
        used.add(label_key(label))
    return labels | {p: named[p] for p in new}
