"""Where scenes come from: folders, globs, lists of paths or URLs, and STAC JSON.

``dredge run SCENES...`` takes any mix of:

- a GeoTIFF path or a URL GDAL reads (``https://…``, ``s3://…``, ``/vsicurl/…``);
- a folder: its ``*.tif`` / ``*.tiff`` in any letter case (UDM masks beside the scenes, named
  in any case, and hidden files, ``.a.tif``, are left out; hidden subfolders are not searched
  for the note on scenes in subfolders);
- a glob such as ``'scenes/2024*/*.tif'`` (quote it so that the shell leaves it alone; UDM
  masks it matches are left out); rasters of other formats GDAL reads (``.vrt``, ``.jp2``,
  ``.ntf``, ``.img``) are taken from a glob that names their suffix (``'mosaics/*.vrt'``) or
  by name, never from a folder;
- a text file (``.txt``, ``.lst``, ``.csv``): one path, glob or URL a line, ``#`` comments, or a
  CSV whose header names its path column (``path``, ``escena``, …); relative paths are
  relative to the text file (:func:`read_scene_list`);
- a STAC Item, ItemCollection (e.g. a search result saved as JSON) or Catalog / Collection
  (read with pystac, children followed): each item gives its GeoTIFF asset (``roles`` data,
  or media type ``image/tiff``; Planet's ``ortho_analytic_4b_sr`` and ``analytic`` first, then
  the first by name order whose roles say data; never a mask, overview or metadata) and its
  ``datetime`` (or, where it is null, ``start_datetime``: of an item of a range of days, a
  mosaic's, the range's first day, with a note) as the acquisition time
  (exactly midnight UTC, as a
  catalogue that knows only the day writes it, is a day alone: the scene keeps its own time
  that day, as for a ``--dates`` day); an asset whose link names no
  raster file (Planet's Data API ``…/download?token=…``) is named by the item's id.

:func:`resolve_scenes` returns the scene paths and the acquisition times known from STAC.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from detector.acquisition import (
    ITEM_NAMES,
    GivenDay,
    is_remote,
    name_by_item,
    scene_file_name,
    scene_labels,
    without_query,
)
from detector.chips import (
    OTHER_RASTER_SUFFIXES,
    SCENE_SUFFIXES,
    expand_scene_paths,
    is_mask_file,
    is_scene_file,
    no_scenes_message,
    scenes_in_subfolders,
)
from detector.date_sanity import last_day_of_span
from detector.date_tables import check_date_keys, date_for_scene, unused_dates_note
from detector.errors import DredgeError, InputError, first_line
from detector.scene_files import one_or_many
from detector.scene_names import check_names_utf8, check_stems_apart, same_capture_note
from detector.user_tables import saved_text
from detector.wording import agree, count_of

LIST_SUFFIXES = (".txt", ".lst", ".csv")
STAC_SUFFIXES = (".json", ".geojson")
VECTOR_SUFFIXES = (".shp", ".gpkg", ".kml", ".kmz", ".parquet", ".geoparquet", ".fgb")
GLOB_CHARS = ("*", "?", "[")
TIFF_TYPES = ("image/tiff", "image/geotiff", "image/vnd.stac.geotiff")
PREFERRED_ASSETS = ("ortho_analytic_4b_sr", "analytic", "ortho_analytic_4b", "data", "visual")
NOT_SCENE_ROLES = {  # STAC asset roles of masks, previews and metadata beside a scene
    "thumbnail", "overview", "metadata", "cloud", "cloud-shadow", "snow-ice", "water-mask",
    "land-water", "data-mask", "saturation", "cloud-mask", "mask",
}  # fmt: skip


@dataclass
class SceneSources:
    """Scene paths in order, and acquisition times by scene path that STAC items gave."""

    paths: list[str] = field(default_factory=list)
    dates: dict[str, datetime] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    masks: list[str] = field(default_factory=list)  # UDM masks given as scenes, left out
    _files: dict[str, str] = field(default_factory=dict)  # file → its first spelling

    def add(self, paths: Iterable[str]) -> None:
        for path in paths:
            if not is_remote(path) and path.lower().endswith(".zip") and Path(path).is_file():
                raise InputError(
                    path,
                    "is a zip archive (a Planet order download?), not a scene",
                    f"unzip it (unzip '{path}' -d '{Path(path).with_suffix('')}') and give that "
                    "folder",
                )
            if not is_remote(path) and is_mask_file(Path(path)):
                self.masks.append(path)  # `scenes/*.tif` expanded by the shell, or listed
                continue
            key = file_key(path)
            if key not in self._files:  # `scenes/` and `./scenes/a.tif`, a link to a scene
                self._files[key] = path
                self.paths.append(path)

    def spelling(self, path: str) -> str:
        """The spelling under which the scene at ``path`` was added (the first one given)."""
        return self._files.get(file_key(path), path)

    def dates_with(
        self, table: Mapping[str, datetime] | None, names: Mapping[str, str] | None = None
    ) -> dict[str, datetime]:
        """Acquisition times by scene path: STAC's, where ``table`` (a ``--dates`` CSV, by path,
        file name, stem or the label in ``names``) does not give one; the user's word wins."""
        dates = dict(self.dates)
        labels = dict(names) if names else scene_labels(self.paths)
        if table:
            check_date_keys(table, self.paths, labels, "--dates")
        for path in self.paths if table else ():
            when = date_for_scene(table or {}, path, labels.get(path))
            if when is not None:
                dates[path] = when
        unused = unused_dates_note(table or {}, self.paths, labels)
        if unused:
            self.notes.append(unused)
        return dates


def file_key(path: str) -> str:
    """What tells one scene file from another: the absolute path; a URL as written, but for
    its query where it names a raster file (``…/a.tif?token=…``, a signed link: two links to
    one file, signed apart, were two scenes, each detected, named ``0_http:_…`` and
    ``1_http:_…``). A query that may choose the file (``…/download?id=…``) is kept."""
    if not is_remote(path):
        return str(Path(path).resolve())
    bare = without_query(path)
    return bare if names_raster_file(bare) else path


def names_raster_file(path: str) -> bool:
    """True when a path or URL ends in a raster file's name (``…/a_SR.tif?token=…``); False
    for a link such as Planet's Data API ``…/download?token=…`` or ``…/assets/…/download``."""
    suffix = Path(scene_file_name(path)).suffix.lower()
    return suffix in SCENE_SUFFIXES + OTHER_RASTER_SUFFIXES


def resolve_scenes(items: Iterable[str | Path] | str | Path) -> SceneSources:
    """Expand folders, globs, lists and STAC JSON into scene paths (see the module notes).
    One path given alone (``"scenes/"`` from Python) is one item, not its characters."""
    sources = SceneSources()
    for item in one_or_many(items):
        if is_remote(str(item)):  # a link given as it is: not named by a STAC read before
            ITEM_NAMES.pop(str(item), None)
        text = local_path(str(item))
        path = Path(text)
        if not text.strip():  # `dredge run "$SCENES"` with the variable unset: the folder '.'
            raise DredgeError(
                "a SCENES argument is empty (an unset shell variable?): give scene files, "
                "folders, globs, lists or STAC"
            )
        if is_remote(text):
            _check_not_remote_listing(text)
            sources.add([text])
        elif any(char in text for char in GLOB_CHARS) and not path.exists():
            sources.add(glob_scenes(text))
        elif path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
            sources.add(read_scene_list(path))
        elif path.is_file() and path.suffix.lower() in STAC_SUFFIXES:
            _add_stac(path, sources)
        elif path.suffix.lower() in VECTOR_SUFFIXES:  # each was a failed scene, "corrupt"
            raise InputError(
                text,
                "is a vector file (centerlines, detections or labels), not a scene",
                "give scenes (GeoTIFFs, folders, globs, lists, STAC) as SCENES, and the river "
                "centerlines to --rivers",
            )
        else:
            sources.add(expand_scene_paths([text]))
            if path.is_dir():
                sources.notes += _nested_scenes_note(path)
    check_names_utf8(sources.paths)
    check_stems_apart(sources.paths)
    note = same_capture_note(sources.paths)
    if note:
        sources.notes.append(note)
    if sources.masks:
        sources.notes.append(
            f"left out {count_of(len(sources.masks), 'UDM mask file')} given as scenes (e.g. "
            f"{Path(sources.masks[0]).name}): a mask is read beside its scene, not detected"
        )
    return sources


def _check_not_remote_listing(url: str) -> None:
    """InputError for a STAC file or a list of scenes given by URL (a STAC API search saved on
    a server, a list of an order's links): it was opened as a raster after the model loaded,
    and failed as 'could not be read over the network … check the network and the URL'."""
    name = scene_file_name(url)
    suffix = Path(name).suffix.lower()
    if suffix not in STAC_SUFFIXES + LIST_SUFFIXES:
        return
    kind = "a STAC file" if suffix in STAC_SUFFIXES else "a list of scenes"
    raise InputError(
        url,
        f"is {kind} given by URL, and SCENES reads STAC and lists from files (its scenes may "
        "be URLs)",
        f"download it (curl -o {name} '{url}') and give that file; relative links in it are "
        "read beside the file",
    )


def glob_scenes(pattern: str) -> list[str]:
    """The scenes a glob matches (:func:`keep_match`; folders expanded), sorted; InputError
    when it matches none."""
    matches = [m for m in sorted(_glob(pattern)) if keep_match(m, pattern=pattern)]
    if not matches:
        raise InputError(pattern, "the pattern matches no scene", "check the glob")
    return expand_scene_paths(matches)


def _glob(pattern: str) -> list[str]:
    """The glob's matches; when there are none and the pattern runs through a folder whose
    name has brackets (``Nanay [2024]/*.tif``: ``[2024]`` is a character class to glob), the
    matches with the folders that exist taken by their names."""
    found = glob.glob(pattern, recursive=True)
    if found:
        return found
    parts = Path(pattern).parts
    for keep in range(len(parts) - 1, 0, -1):
        prefix = Path(*parts[:keep])
        if prefix.is_dir():
            literal = str(Path(glob.escape(str(prefix)), *parts[keep:]))
            return glob.glob(literal, recursive=True) if literal != pattern else []
    return []


def local_path(text: str) -> str:
    """A ``file://`` URL as the local path it names; other text unchanged."""
    if text.lower().startswith("file://"):
        from urllib.parse import unquote, urlparse

        return unquote(urlparse(text).path)
    return text


def _nested_scenes_note(folder: Path) -> list[str]:
    """A note when a folder that gave scenes has more in its subfolders (a scene folder and
    month subfolders beside it): a folder gives its own scenes only."""
    nested = scenes_in_subfolders(folder)
    if not nested or not any(is_scene_file(p) for p in folder.iterdir()):
        return []
    return [
        f"{folder}: {count_of(len(nested), 'scene')} in its subfolders (e.g. "
        f"{nested[0].relative_to(folder)}) {agree(len(nested), 'was', 'were')} not read: a folder "
        "gives its own scenes only — "
        f"give the subfolders too, or the glob '{folder}/**/*.tif'"
    ]


def scene_folder_error(path: Path, what: str, option: str = "--scenes") -> InputError | None:
    """The error for a folder of scenes given where ``what`` (``DETECTIONS``, ``LABELS``) was
    expected: most often the second folder after ``--scenes``, which takes one path each time
    (the others fall to the arguments). It was "file not found" for `dredge track`, a folder
    that is there, and "is not a label set" for `dredge train`. None for anything else."""
    if not path.is_dir() or not any(is_scene_file(p) for p in path.iterdir()):
        return None
    return InputError(
        path,
        f"is a folder of scenes, not {what} ({option} takes one path: a second folder after it "
        f"is read as {what})",
        f"repeat {option} before each folder ({option} a/ {option} b/), or give one quoted glob "
        f"({option} 'planet/**/*.tif')",
    )


def require_scenes(items: Sequence[str | Path] | str | Path) -> SceneSources:
    """:func:`resolve_scenes`, with one clear error when ``items`` give no scene (pointing at
    subfolders that hold some: :func:`detector.scene_files.no_scenes_message`)."""
    sources = resolve_scenes(items)
    if not sources.paths:
        raise DredgeError(no_scenes_message(items))
    return sources


def keep_match(path: str, pattern: str = "") -> bool:
    """A glob's match is a scene unless it is a UDM mask beside one (a folder is expanded; a
    hidden file only where the pattern asked for it, as :func:`glob.glob` gives them); a
    raster of another format (``.vrt``, ``.jp2``: :data:`detector.chips.OTHER_RASTER_SUFFIXES`)
    only where the pattern names its suffix (``'mosaics/*.vrt'``)."""
    found = Path(path)
    if found.is_dir() or is_scene_file(found, hidden=True):
        return True
    suffix = found.suffix.lower()
    return suffix in OTHER_RASTER_SUFFIXES and pattern.lower().endswith(suffix)


LIST_HEADERS = (
    *("scene", "path", "url", "file", "filename", "filepath", "file_path", "href", "image"),
    *("escena", "imagen", "archivo", "ruta"),
)
_HEADER_CELL = re.compile(r"[^\W\d]\w*(?: \w+)*")  # a column's name: no dot, slash or colon


def read_scene_list(path: Path) -> list[str]:
    """Paths, globs or URLs, one a line, ``#`` comments; relative paths are relative to ``path``.

    A CSV with a header row reads the column named as in :data:`LIST_HEADERS` (``path``,
    ``escena``, …); a ``#`` starts a comment at the start of a line or after a space or tab,
    unless the whole line is a file that exists (``Nanay #2/a.tif``); quotes around a path and
    ``file://`` are taken off, and ``~`` is the home folder. UTF-8 or Windows cp1252 text (a
    list saved by Notepad)."""
    found: list[str] = []
    for entry in _list_entries(path):
        entry = local_path(entry)
        if entry.startswith("~"):  # the shell expands it on the command line, not in a list
            entry = str(Path(entry).expanduser())
        if not (is_remote(entry) or Path(entry).is_absolute()):
            entry = str(path.parent / entry)
        if (
            not is_remote(entry)
            and any(c in entry for c in GLOB_CHARS)
            and not Path(entry).exists()
        ):
            matches = [m for m in sorted(_glob(entry)) if keep_match(m, pattern=entry)]
            if not matches:  # it was read as a file's name: 'file not found'
                raise InputError(path, f"the pattern {entry} matches no scene", "check the glob")
            found += matches
        else:
            found.append(entry)
    if not found:
        raise InputError(path, "lists no scene", "write one path or URL a line")
    return expand_scene_paths(found)


def _list_entries(path: Path) -> list[str]:
    raw = path.read_bytes()
    try:  # UTF-16 (PowerShell 5's `dir -Name > scenes.txt`: read as cp1252, its NULs stopped
        text = saved_text(raw)  # the run, "error: embedded null byte"), or Notepad's BOM
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if not lines:
        return []
    cells = re.split(r"[,;\t]", lines[0])
    header = [cell.strip().strip('"').strip().lower() for cell in cells]
    column = next((i for i, cell in enumerate(header) if cell in LIST_HEADERS), None)
    if column is not None and len(header) > 1:
        separator = next(sep for sep in ",;\t" if sep in lines[0])
        rows = csv.reader(lines[1:], delimiter=separator)
        return [row[column].strip() for row in rows if len(row) > column and row[column].strip()]
    if len(header) > 1 and all(_HEADER_CELL.fullmatch(cell) for cell in header):
        # a table's header without a path column: its rows were taken as whole paths and
        # every scene failed, 'file not found'
        raise InputError(
            path,
            f"reads as a table with the columns {', '.join(header)}, none of which is the "
            "scenes' paths",
            f"name the column of paths {', '.join(LIST_HEADERS[:4])} (or write one path a line)",
        )
    entries = []
    for line in lines:
        whole = local_path(line.strip().strip(",").strip('"').strip("'"))
        whole = str(Path(whole).expanduser()) if whole.startswith("~") else whole
        if re.search(r"\s#", line) and not (path.parent / whole).exists():  # a tab too
            line = re.split(r"\s#", line, maxsplit=1)[0]  # (absolute stays absolute)
        entry = line.strip().strip(",").strip('"').strip("'").strip()
        if entry and entry.lower() not in LIST_HEADERS:
            entries.append(entry)
    return entries


def _add_stac(path: Path, sources: SceneSources) -> None:
    try:
        document = json.loads(saved_text(path.read_bytes()))  # (PowerShell 5's `>`: UTF-16)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            path, f"is not JSON ({exc})", "give a STAC Item, ItemCollection or Catalog"
        ) from None
    kind = document.get("type") if isinstance(document, dict) else None
    items = list(_stac_items(path, document, kind))
    if not items:
        raise InputError(
            path, "holds no STAC item", "give a STAC Item, ItemCollection or Catalog with items"
        )
    skipped = 0
    banded: list[str] = []  # items holding one band per asset
    ranged: list[str] = []  # items of a range of days (datetime null)
    for item in items:
        try:
            bands = band_assets(item)
            href = None if bands else tiff_asset(item)
            when = item.datetime or _start_datetime(item)
            span = None if item.datetime else _days_spanned(item)
        except Exception as exc:  # pystac: assets or a date of the wrong shape
            raise InputError(
                path, f"item {item.id!r} is not valid STAC ({first_line(exc)})", "check the file"
            ) from None
        if bands:
            banded.append(f"{item.id} ({', '.join(bands[:4])}{' …' if len(bands) > 4 else ''})")
            continue
        if href is None:
            skipped += 1
            continue
        href = local_path(href)
        if "://" not in href and not Path(href).is_absolute():
            # An ItemCollection's items have no location of their own: relative to the file.
            href = str((path.parent / href).resolve())
        sources.add([href])
        given = sources.spelling(href)
        if given in sources.paths and not names_raster_file(given):
            name_by_item(given, str(item.id))  # `…/download?token=…`: named by its item
        if span is not None:  # a range of days: its first day, said
            ranged.append(f"{item.id} ({span})")
        if when is not None:  # under the spelling the scene was first given
            sources.dates[sources.spelling(href)] = _stac_time(when)
    if ranged:
        sources.notes.append(
            f"{path}: {count_of(len(ranged), 'STAC item')} {agree(len(ranged), 'covers', 'cover')} "
            f"a range of days, not one acquisition (datetime null), "
            f"{'e.g. ' if len(ranged) > 1 else ''}{ranged[0]}: "
            f"{agree(len(ranged), 'its scene is', 'their scenes are')} dated by the range's "
            f"first day, as a mosaic's name dates it; if "
            f"{agree(len(ranged), 'it shows', 'they show')} another day of it, give "
            f"{agree(len(ranged), 'that date', 'those dates')} with --dates"
        )
    if skipped:
        sources.notes.append(
            f"{path}: {count_of(skipped, 'STAC item')} {agree(skipped, 'has', 'have')} no GeoTIFF "
            "asset; skipped"
        )
    if banded:
        sources.notes.append(
            f"{path}: {count_of(len(banded), 'STAC item')} {agree(len(banded), 'holds', 'hold')} "
            "each band as its own asset, e.g. "
            f"{banded[0]}; skipped — stack an item's bands into one file (gdalbuildvrt "
            "-separate scene.vrt blue.tif green.tif red.tif nir.tif) and give that"
        )
        if len(banded) + skipped == len(items):  # the file gives no scene at all
            raise InputError(
                path,
                f"every STAC item holds each band as its own asset (e.g. {banded[0]})",
                "stack an item's bands into one file (gdalbuildvrt -separate scene.vrt "
                "blue.tif green.tif red.tif nir.tif) and give that",
            )


def _stac_time(when: datetime) -> datetime:
    """An item's time in UTC; exactly midnight UTC is a day alone (:class:`GivenDay`).

    STAC's ``datetime`` must be a date-time, so a catalogue that knows only the day writes
    ``2024-06-20T00:00:00Z``; as a time, a scene whose own metadata or name says 14:50 that day
    was put at midnight, another pass than its neighbours of the strip (dated by their names),
    as a ``--dates`` day was before it kept the scene's own time. No optical pass over the
    Amazon is at midnight UTC (19:00 in Peru)."""
    utc = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if utc.timetz() == time(tzinfo=UTC):
        return GivenDay.of(utc.date())
    return utc


def _start_datetime(item: Any) -> datetime | None:
    """An item's ``start_datetime`` (STAC gives a range and a null ``datetime`` for a
    composite or a scene dated by its span): it dates the scene, with a note where its
    ``end_datetime`` is of another UTC day (:func:`_days_spanned`)."""
    value = item.properties.get("start_datetime")
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _days_spanned(item: Any) -> str | None:
    """``2024-06-01 to 2024-06-30`` for an item whose ``start_datetime`` and ``end_datetime``
    are of two UTC days (a month's mosaic, a composite: its first day dates the scene, said;
    it was without a word); None for one of one day, or without both."""
    start, end = _start_datetime(item), item.properties.get("end_datetime")
    if start is None or not end:
        return None
    first = _utc(start)
    last = _utc(datetime.fromisoformat(str(end).replace("Z", "+00:00")))
    last_day = last_day_of_span(first, last)  # an end at midnight after: the day before's
    return None if first.date() == last_day else f"{first:%Y-%m-%d} to {last_day:%Y-%m-%d}"


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _stac_items(path: Path, document: Any, kind: str | None) -> Iterable[Any]:
    import pystac

    try:
        if kind == "FeatureCollection":
            return pystac.ItemCollection.from_dict(document, preserve_dict=False).items
        if kind == "Feature":
            return [pystac.Item.from_file(str(path), stac_io=_stac_io())]
        if kind in ("Catalog", "Collection"):
            catalog = pystac.read_file(str(path), stac_io=_stac_io())
            if not isinstance(catalog, pystac.Catalog):  # Collection is a Catalog
                raise ValueError(f"read as {type(catalog).__name__}")
            return list(catalog.get_items(recursive=True))
    except Exception as exc:  # pystac raises many types on a malformed document
        raise InputError(path, f"is not valid STAC ({first_line(exc)})", "check the file") from None
    raise InputError(
        path,
        f"is JSON of type {kind!r}, not STAC",
        "give a STAC Item, ItemCollection (FeatureCollection) or Catalog/Collection",
    )


def _stac_io() -> Any:
    """pystac's reader of files, which reads them with a byte-order mark (Windows Notepad's), or
    as UTF-16 (:func:`~detector.user_tables.saved_text`): an Item or a Catalog (and its children)
    so saved was "not valid STAC (Unexpected UTF-8 BOM …)", where an ItemCollection was read."""
    from pystac.stac_io import DefaultStacIO

    class BomStacIO(DefaultStacIO):
        def read_text_from_href(self, href: str) -> str:
            if os.path.isfile(href):
                return saved_text(Path(href).read_bytes())
            return super().read_text_from_href(href).removeprefix("\ufeff")

    return BomStacIO()


def band_assets(item: Any) -> list[str]:
    """The names of an item's data assets when it holds one band per asset (Landsat's red,
    green, blue, nir08; Sentinel-2's B02…B08 without a visual asset) and no asset of a whole
    scene, else []. The first such band was taken for the scene, and failed as a one-band file
    of an unknown layout, with no word of why."""
    assets = item.get_assets()
    if any(name in assets for name in PREFERRED_ASSETS):
        return []
    single = []
    for name, asset in sorted(assets.items()):
        if "data" not in (asset.roles or []) or set(asset.roles or []) & NOT_SCENE_ROLES:
            continue
        bands = asset.extra_fields.get("eo:bands") or asset.extra_fields.get("bands")
        if not isinstance(bands, list) or len(bands) != 1:
            return []  # a data asset of several bands (or untold): a scene
        single.append(name)
    return single if len(single) >= 3 else []


def tiff_asset(item: Any) -> str | None:
    """The absolute href of the item's GeoTIFF scene asset, or None: a preferred name
    (:data:`PREFERRED_ASSETS`), else the first asset in name order whose roles say ``data``,
    else the first other one; masks, overviews and metadata (by role, or ``udm`` in the name)
    are never the scene (a ``cloud_mask`` asset sorted before ``image`` was taken for the scene,
    and the item's scene was lost)."""
    assets = item.get_assets()
    tiffs = {
        name: asset
        for name, asset in sorted(assets.items())
        if (asset.media_type or "").split(";")[0].strip() in TIFF_TYPES
        or "data" in (asset.roles or [])
        or asset.href.lower().endswith((".tif", ".tiff"))
    }
    tiffs = {
        name: asset
        for name, asset in tiffs.items()
        if "udm" not in name.lower() and not set(asset.roles or []) & NOT_SCENE_ROLES
    }
    if not tiffs:
        return None
    data = [name for name, asset in tiffs.items() if "data" in (asset.roles or [])]
    name = next((n for n in PREFERRED_ASSETS if n in tiffs), next(iter(data or tiffs)))
    href = str(tiffs[name].get_absolute_href() or tiffs[name].href)
    return href
