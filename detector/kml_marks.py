"""Dredges marked in Google Earth: the dated placemarks of a KML/KMZ file, as detections.

A placemark's date is its TimeStamp, else a date in the name of the folder it is in
(``2024-03-03``, ``Planet 03/03/2024``, ``Imagen 20-06-2024``: analysts sort their marks into
a folder per image date), or of the innermost folder around that one named by a date (a folder
per river inside each date's). Placemarks with a time span only are not marks: ``dredges.kml``
from ``dredge counts`` has one per dredge (first to last seen), beside a folder of its dated
detections. A mark is a point, or a polygon drawn around a hull; a path, and a polygon wider
than a dredge (a scene's footprint, an area of interest), are not. The placemark's
ExtendedData fields (``clase``, ``cantidad``, ``escena``) are kept, and its name is read as
its class when it names one (``bote``, ``Draga 3``) or negates one (``falsa draga``: left out
with the classes this tool does not know). Every placemark left out is counted in a note.

The detections of ``dredges.kml`` carry their ``detection_id``, ``scene``, ``class_name``,
``score``, ``track_id`` and ``link`` in ExtendedData, kept here: a detector's detections, not
certain hand marks (a dredge seen once does not count), and a track merged by hand stays one
(:mod:`detector.track_merges`). A ``dredges.kml`` written before it kept scores is refused.
Google Earth edits only names, places and folders, so its users' corrections are read there
(:func:`detector.export_edits.google_earth_edits`): a placemark renamed (to a class, or to
another dredge: a merge), a dredge deleted; detections not seen on their dredge's dates
(pasted from another run's dredges.kml) are named in a note, their track_id and link unread.
Which placemarks and folders are the run's own, and which pasted from another run, is told by
:mod:`detector.kml_runs`: by the run key (``run``) in the data of the file's document and of
each placemark; without one (a file written before it had them), of two Dredges or Detections
folders (another run's pasted whole) the ones on each other's dates are the run's, with a
note, and a dredge moved out of the Dredges folder is the run's where the folder lacks one of
its dredges.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from detector.date_tables import SCENE_COLUMNS
from detector.errors import InputError
from detector.export_edits import EXPORTED_DETECTION, google_earth_edits, id_text
from detector.kml_runs import (
    DETECTIONS_FOLDER,
    DREDGES_FOLDER,
    DredgeMarks,
    dredges_of_no_run,
    file_run_key,
    highest_id,
    other_runs_detections,
    pasted_dredges_note,
    run_folders,
)
from detector.mark_classes import (
    BOAT_WORDS,
    CLASS_COLUMNS,
    DREDGE_WORDS,
    class_named,
    count_column,
)
from detector.user_tables import first_named, locale_cue
from detector.wording import agree, count_of

WGS84 = "EPSG:4326"
FOLDER_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}|(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(?!\d)|(?<!\d)\d{8}(?!\d)"
)
# a TimeStamp's time with its zone written otherwise than GDAL keeps it (-05:00 after the
# seconds): -0500, -05, 22:00-05:00 without seconds, a space for the T (GDAL then drops the time)
_LOOSE_WHEN = re.compile(
    r"<when>\s*(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?\s*"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?\s*</when>"
)
_COARSE_WHEN = re.compile(r"<when>\s*(\d{4})(-\d{2})?\s*</when>")  # 2024, 2024-03
CLASS_NAME_WORDS = {*DREDGE_WORDS, *(f"{w}s" for w in DREDGE_WORDS), *BOAT_WORDS}
MARK_ACROSS_M = 250.0  # a polygon wider than this is an area, not a dredge's hull
_METRES_PER_DEGREE = 111_320.0


def read_kml_marks(source: Path) -> gpd.GeoDataFrame:
    """The dated marks of every folder of a KML/KMZ file (see the module notes), with notes in
    ``attrs['notes']``; InputError when none has a date."""
    import pyogrio

    parts, counts = [], {"spans": 0, "by_folder": 0, "undated": 0, "not_marks": 0}
    undated_folders: list[str] = []
    written: list[str] = []  # folder names that date marks, and field names
    placemarks: list[str] = []  # names of the marks kept
    own_export = False  # dredges.kml of `dredge counts`: its dredges, or its detections' names
    dredge_marks: list[DredgeMarks] = []  # dredges.kml's dredge placemarks, by folder
    detection_folders: list[tuple[str, pd.DataFrame]] = []  # 'Detections (N)': the run's, and
    # any pasted whole from another run's dredges.kml (:func:`detector.kml_runs.run_folders`)
    with tempfile.TemporaryDirectory(prefix="dredge-kml-") as folder:
        readable = _zones_written_out(source, Path(folder))
        root = _kml_root(readable)
        enclosing = _enclosing_folders(readable, root, list(pyogrio.list_layers(readable)[:, 0]))
        layers = [
            # times as written: GDAL converts a layer's times to UTC where their zone offsets
            # differ, and a mark made at 21:00 in Lima on the image of 5 March was of 6 March
            (str(layer), gpd.read_file(readable, layer=str(layer), datetime_as_string=True))
            for layer, _ in pyogrio.list_layers(readable)
        ]
    for layer, part in layers:
        part = part[part.geometry.notna()]
        names = part["Name"].astype(str) if "Name" in part else pd.Series("", part.index)
        if {"track_id", "n_detections"} <= set(part.columns):
            own_export = True
            # not its detections: a folder pasted whole holds a dredge and its detections
            named = part.dropna(subset=["track_id", "n_detections"])
            texts = named["dates"].fillna("").astype(str) if "dates" in named else None
            runs = named["run"].fillna("").astype(str).str.strip() if "run" in named else None
            dredge_marks.append(
                DredgeMarks(
                    str(layer),
                    named["track_id"].map(id_text).tolist(),
                    names[named.index].tolist(),
                    None if texts is None else texts.str.split(";").map(set).tolist(),
                    [] if runs is None else runs.tolist(),
                )
            )
        elif DREDGES_FOLDER.fullmatch(str(layer)):  # its placemarks all moved or deleted
            dredge_marks.append(DredgeMarks(str(layer), [], [], None))
        own_export |= _exported_detections(names, str(layer))
        if DETECTIONS_FOLDER.fullmatch(str(layer)):
            detection_folders.append((str(layer), part))
        marks = _is_mark(part.geometry)
        stamps = part["timestamp"] if "timestamp" in part else pd.Series(None, part.index)
        dated = stamps.notna()
        span = ~dated & part["begin"].notna() if "begin" in part else pd.Series(False, part.index)
        counts["spans"] += int((span & marks).sum())
        undated = ~dated & ~span & marks
        # its folder's name, else the innermost enclosing one's named by a date (a folder
        # per image date holding a folder per river: its marks were 'in no folder named by a
        # date', and left out)
        dating = [str(layer), *reversed(enclosing.get(str(layer), []))]
        found = [(name, m) for name in dating if (m := _named_date(name)) is not None]
        folder_date = found[0][1] if found else None
        if folder_date is not None and undated.any():
            written.append(found[0][0])
            counts["by_folder"] += int(undated.sum())
            stamps = stamps.astype(object).where(~undated, folder_date.group(0))
            dated = dated | undated
        elif undated.any():
            counts["undated"] += int(undated.sum())
            undated_folders.append(str(layer))
        counts["not_marks"] += int((~marks).sum())
        keep = dated & marks
        if keep.any():
            written += map(str, part.columns)
            placemarks.extend(names[keep])
            parts.append(_marks_frame(part[keep], stamps[keep], str(layer)))
    dredge_ids = {track for marks in dredge_marks for track in marks.ids}
    if not parts and dredge_ids:  # dredges.kml of a run with too many detections for it
        raise InputError(
            source,
            f"is dredges.kml of `dredge counts` without its detections (its {len(dredge_ids):,} "
            "dredge placemarks are not marks: a run of more detections than the KML holds "
            "leaves them out)",
            "give the detections layer of dredges.gpkg, dredges.detections.geojson or "
            "tracks.detections.parquet (delete false detections there)",
        )
    if not parts:
        why = (
            f" ({counts['spans']} have a time span: one per dredge, as in dredges.kml?)"
            if counts["spans"]
            else ""
        )
        raise InputError(
            source,
            f"has no placemark with a date{why}",
            "give each marked placemark a date (Google Earth: Properties, Date/Time, Timestamp), "
            "or put the marks of each image date in a folder named by that date (2024-03-05)",
        )
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=WGS84)
    if own_export and "detection_id" not in frame.columns and "score" not in frame.columns:
        raise InputError(
            source,
            "is dredges.kml of `dredge counts`, written before it kept each detection's score: "
            "read back, every detection would be a certain hand mark and each dredge seen once "
            "would count",
            "give the detections layer of dredges.gpkg or tracks.detections.parquet (delete "
            "false detections there), or write the KML again with `dredge counts --kml`",
        )
    notes = _notes(source, counts, undated_folders, own_export)
    own, listed, which, key = run_folders(
        source, dredge_marks, detection_folders, file_run_key(root)
    )
    count = 0 if own is None else own.written or 0  # 'Dredges (4 counted, 1 uncounted)': 5
    # another run's Dredges folder pasted whole is none of this run's, nor are its dredges;
    # another run's dredge placemarks (by their run key), in or outside it, are another's
    kept, pasted_marks, other = [], [], dict[str, str]()
    for marks in dredge_marks:
        if marks is own or marks.written is None:
            ours, theirs = marks.of_run(key)
            kept.append(ours)
            pasted_marks.append(theirs)
            other.update(zip(theirs.ids, theirs.runs, strict=True))
            own = ours if marks is own else own
    elsewhere = {  # outside the Dredges folder without a run key: told by their numbers
        track
        for marks in kept
        if marks is not own
        for track, run in zip(marks.ids, marks.runs or [""] * len(marks.ids), strict=True)
        if not run
    }
    dredges, seen, doubled = _dredge_placemarks(kept + pasted_marks)  # theirs linked anew
    own_ids = set() if own is None else set(own.ids)
    foreign, pasted = dredges_of_no_run(source, own_ids, elsewhere, count, listed, other, key)
    seen.update({track: set() for track in foreign})  # their detections linked anew
    run_dredges = highest_id(count, listed)
    whole = [name for name, part in detection_folders if part is not listed]
    exported = frame["track_id"] if "track_id" in frame else None  # before another run's cleared
    # the run's dredge numbers, those whose placemark was deleted too: another run's detection
    # of one is another run's (it was left out with the run's own, 'whose placemark was deleted')
    numbers = set(dredges) | {str(n) for n in range(1, run_dredges + 1)}
    frame, keyed = other_runs_detections(source, frame, key, numbers - set(foreign), whole)
    frame, edits = google_earth_edits(frame, dredges, source, seen, run_dredges, exported)
    edits = pasted + keyed + pasted_dredges_note(source, seen, doubled, foreign) + edits
    frame.attrs["notes"] = notes + which + edits + _coarse_when_notes(source)
    # a folder 'Imagen 05-03-2024' is day first; the 'clase' column made here from placemark
    # names is no cue of its own, nor is a placemark named by a class in Spanish ('draga',
    # 'bote'): analysts writing English name their marks so too, as the tool reads them
    what = "the Spanish or Portuguese names in the file"
    frame.attrs["day_first"] = locale_cue(written, what) or locale_cue(
        placemarks, what, ignore=CLASS_NAME_WORDS
    )
    # placemarks named by a Spanish class alone ('Draga 1') and no other cue: ambiguous dates
    # are refused rather than read month first (a Spanish analyst's 05/03/2024 was 3 May)
    frame.attrs["date_guess"] = bool(frame.attrs["day_first"]) or not locale_cue(placemarks)
    return frame


def _dredge_placemarks(
    marks: list[DredgeMarks],
) -> tuple[dict[str, str], dict[str, set[str]], dict[str, int]]:
    """Of dredges.kml's dredge placemarks (those of the run, in and outside its Dredges
    folder): each track id's first name, the days it was seen on (its data's ``dates``; none
    where placemarks of one id give other dates: one pasted from another run's dredges.kml),
    and how many placemarks of each id give dates."""
    dredges: dict[str, str] = {}
    seen: dict[str, set[str]] = {}
    doubled: dict[str, int] = {}
    for folder in marks:
        for track, name in zip(folder.ids, folder.names, strict=True):
            dredges.setdefault(track, name)
        if folder.days is None:  # no 'dates' in its data
            continue
        for track, days in zip(folder.ids, folder.days, strict=True):
            doubled[track] = doubled.get(track, 0) + 1
            if seen.setdefault(track, days) != days:  # another run's dredge of that id
                seen[track] = set()
    return dredges, seen, doubled


def _named_date(name: str) -> re.Match[str] | None:
    """The first date in a folder's name that names a day, read either order: an order number
    or a date that is none (``Pedido 12345678``, ``2024-13-45``) dated every mark in the
    folders inside, and the whole file was refused ('dates cannot be read')."""
    for match in FOLDER_DATE.finditer(name):
        text = re.sub(r"[.-]", "/", match.group(0))
        for form in ("%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%Y%m%d"):
            try:
                datetime.strptime(text, form)
            except ValueError:
                continue
            return match
    return None


def _kml_root(path: Path) -> ElementTree.Element | None:
    """The KML of a KML/KMZ file, parsed (None where it cannot be read so)."""
    try:
        if path.suffix.lower() == ".kmz":
            with zipfile.ZipFile(path) as kmz:
                kml = [n for n in kmz.namelist() if n.lower().endswith(".kml")]
                data = kmz.read(kml[0]) if len(kml) == 1 else b""
        else:
            data = path.read_bytes()
        return ElementTree.fromstring(data)
    except (OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return None


def _enclosing_folders(
    path: Path, root: ElementTree.Element | None, layers: list[str]
) -> dict[str, list[str]]:
    """Layer → the names of the folders (and documents but the file's own) around its folder,
    outermost first: GDAL makes each folder a layer named by it alone (``Nanay``,
    ``Nanay (#2)``, ``Layer0`` when unnamed), in the file's order; {} where the file's folders
    do not line up with the layers so (``root``: the file's KML, None where unreadable)."""
    if root is None:
        return {}
    containers: list[tuple[str, list[str]]] = []

    def walk(element: ElementTree.Element, around: list[str]) -> None:
        for child in element:
            tag = child.tag.rsplit("}", 1)[-1]
            if tag in ("Folder", "Document"):
                name = next(
                    (n.text or "" for n in child if n.tag.rsplit("}", 1)[-1] == "name"), ""
                ).strip()
                containers.append((name, around))
                # not the file's own document: Google Earth names it by the file, whose date
                # (the day it was saved?) would date the marks of every undated folder; a
                # folder at the root is one named by hand (a date folder saved alone)
                own = element is root and tag == "Document"
                walk(child, around if own else [*around, name])

    walk(root, [])
    out: dict[str, list[str]] = {}
    at = 0
    for layer in layers:
        base = re.sub(r" \(#\d+\)$", "", layer)
        # an unnamed folder is 'Layer0'…, an unnamed document holding marks named by the file
        unnamed = re.fullmatch(r"Layer\d+", base) is not None or base == path.stem
        while at < len(containers) and not (
            containers[at][0] == base or (not containers[at][0] and unnamed)
        ):
            at += 1
        if at == len(containers):
            return {}
        out[layer] = containers[at][1]
        at += 1
    return out


def _canonical_when(match: re.Match[str]) -> str:
    """``<when>2024-12-31 22:00-0500</when>`` → ``<when>2024-12-31T22:00:00-05:00</when>``."""
    day, hours_minutes, seconds, zone = match.groups()
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        zone = f"{zone[0]}{digits[:2]}:{digits[2:] or '00'}"
    return f"<when>{day}T{hours_minutes}{seconds or ':00'}{zone or ''}</when>"


def _zones_written_out(source: Path, folder: Path) -> Path:
    """``source``, or a copy in ``folder`` whose TimeStamps are written as GDAL reads them
    whole (:data:`_LOOSE_WHEN`): GDAL dropped a zone written ``-0500``, ``-05``, ``+0530`` or
    after a time without seconds, and a mark of 22:00 in Lima on 31 December 2024 (1 January
    2025 UTC) was counted in 2024, with the note that it had no time zone."""

    def written_out(text: str) -> str:
        return _LOOSE_WHEN.sub(_canonical_when, text)

    try:
        if source.suffix.lower() != ".kmz":
            text = source.read_text(encoding="utf-8", errors="surrogateescape")
            rewritten = written_out(text)
            if rewritten == text:
                return source
            copy = folder / source.name
            copy.write_text(rewritten, encoding="utf-8", errors="surrogateescape")
            return copy
        with zipfile.ZipFile(source) as kmz:
            members = [(info, kmz.read(info)) for info in kmz.infolist()]
    except (OSError, zipfile.BadZipFile):
        return source  # GDAL says what is wrong with it
    changed = False
    copy = folder / source.name
    with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in members:
            if info.filename.lower().endswith(".kml"):
                text = data.decode("utf-8", "surrogateescape")
                rewritten = written_out(text)
                if rewritten != text:
                    changed = True
                    data = rewritten.encode("utf-8", "surrogateescape")
            out.writestr(info, data)
    return copy if changed else source


def _coarse_when_notes(source: Path) -> list[str]:
    """Notes for TimeStamps of a month or a year only: GDAL reads ``2024-03`` as 1 March
    without a word and ``2024`` as no date at all."""
    try:
        if source.suffix.lower() == ".kmz":
            with zipfile.ZipFile(source) as kmz:
                text = "".join(
                    kmz.read(name).decode("utf-8", "replace")
                    for name in kmz.namelist()
                    if name.lower().endswith(".kml")
                )
        else:
            text = source.read_text(encoding="utf-8", errors="replace")
    except (OSError, zipfile.BadZipFile):
        return []
    whens = _COARSE_WHEN.findall(text)
    months = [year + month for year, month in whens if month]
    years = [year for year, month in whens if not month]
    notes = []
    if months:
        notes.append(
            f"{source}: {count_of(len(months), 'placemark date')} "
            f"{agree(len(months), 'gives', 'give')} only a month (e.g. {months[0]}): "
            "taken as its first day, as monthly mosaics are dated; give each mark its "
            "scene's day where you have it"
        )
    if years:
        notes.append(
            f"{source}: {count_of(len(years), 'placemark date')} "
            f"{agree(len(years), 'gives', 'give')} only a year (e.g. {years[0]}), which Google "
            "Earth's format does not date a mark by: left out unless "
            f"{agree(len(years), 'its', 'their')} folder is named by a date — give each mark "
            "its scene's day"
        )
    return notes


def _exported_detections(names: pd.Series, folder: str) -> bool:
    """True for a folder of ``dredges.kml``'s detections: every name as it writes them
    (``2024-03-05 dredge 7``, or none off the rivers). A folder of unnamed placemarks alone is
    that only under its name there (``Detections (12)``): hand marks left unnamed in a folder
    ``2024-03-05`` were refused as a ``dredges.kml`` written before it kept scores."""
    if not len(names) or not names.str.fullmatch(EXPORTED_DETECTION).all():
        return False
    return bool(names.str.len().gt(0).any()) or folder.startswith("Detections (")


def _is_mark(geometry: gpd.GeoSeries) -> pd.Series:
    """Points, and polygons no wider than a dredge's surroundings (:data:`MARK_ACROSS_M`)."""
    kind = geometry.geom_type.str.removesuffix(" Z")
    bounds = geometry.bounds
    lat = np.radians((bounds["miny"] + bounds["maxy"]) / 2)
    across = np.hypot(
        (bounds["maxx"] - bounds["minx"]) * np.cos(lat), bounds["maxy"] - bounds["miny"]
    )
    small = across * _METRES_PER_DEGREE <= MARK_ACROSS_M
    points = kind.isin(["Point", "MultiPoint"])
    return points | (kind.isin(["Polygon", "MultiPolygon"]) & small)


def _marks_frame(marks: gpd.GeoDataFrame, stamps: pd.Series, folder: str) -> gpd.GeoDataFrame:
    columns: dict[str, object] = {
        "acquired": [v.isoformat() if hasattr(v, "isoformat") else str(v) for v in stamps],
        "name": marks["Name"].to_numpy() if "Name" in marks else None,
        "folder": folder,
    }
    for column in (  # ExtendedData fields
        first_named(marks.columns, CLASS_COLUMNS),
        count_column(marks),
        first_named(marks.columns, SCENE_COLUMNS),
    ):
        if column is not None:
            columns[column] = marks[column].to_numpy()
    # dredges.kml's detections; ``run``, their run key, read by kml_runs.other_runs_detections
    for column in ("detection_id", "class_name", "track_id", "link", "run"):
        if column in marks:
            columns[column] = marks[column].to_numpy()
    if "score" in marks:  # read as text where the KML has no schema
        columns["score"] = pd.to_numeric(marks["score"], errors="coerce").to_numpy()
    if first_named(marks.columns, CLASS_COLUMNS) is None and "Name" in marks:
        # a placemark named 'bote' or 'Draga 3'; 'falsa draga' kept as written: not a dredge
        named = marks["Name"].map(class_named)
        if named.notna().any():
            columns["clase"] = named.to_numpy()
    geometry = shapely.force_2d(marks.geometry.to_numpy())
    return gpd.GeoDataFrame(columns, geometry=geometry, crs=WGS84)


def _notes(
    source: Path, counts: dict[str, int], undated_folders: list[str], own_export: bool = False
) -> list[str]:
    notes = []
    if dated := counts["by_folder"]:
        notes.append(
            f"{source}: {count_of(dated, 'placemark')} without a date dated by "
            f"{agree(dated, 'its', 'their')} folder's name"
        )
    if undated := counts["undated"]:
        notes.append(
            f"{source}: {count_of(undated, 'placemark')} {agree(undated, 'has', 'have')} no "
            f"date and {agree(undated, 'is', 'are')} in no folder named by a date "
            f"({', '.join(undated_folders[:3])}): left out — give {agree(undated, 'it', 'them')} "
            f"a Timestamp, or name {agree(undated, 'its', 'their')} folder by the image date "
            "(2024-03-05)"
        )
    spans = counts["spans"]
    if spans and own_export:
        notes.append(
            f"{source}: dredges.kml of `dredge counts`: its {count_of(spans, 'dredge placemark')} "
            f"({agree(spans, 'a time span', 'time spans')}) left out, its detections read"
        )
    elif spans:
        notes.append(
            f"{source}: {count_of(spans, 'placemark')} with a time span, not a date, left out "
            "(one per dredge, as dredges.kml writes them?) — give marks a Timestamp"
        )
    if wide := counts["not_marks"]:
        notes.append(
            f"{source}: {count_of(wide, 'path or polygon', 'paths or polygons')} wider than "
            f"{MARK_ACROSS_M:g} m left out: not a dredge's mark (a footprint, a route?)"
        )
    return notes
