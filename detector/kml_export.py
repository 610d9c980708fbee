"""dredges.kml for Google Earth: a placemark per dredge (its dates, time span and figures) and
the detections in a folder of their own, with what ``dredge track`` needs to read them back
(:mod:`detector.kml_marks`, :mod:`detector.export_edits`).

Everything is written in EPSG:4326, dates as ISO 8601 UTC. The file is written whole
(:func:`detector.writing.write_atomic`), as a KMZ (a zip of ``doc.kml``) where its name ends
in ``.kmz``.
"""

from __future__ import annotations

import hashlib
import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from detector.track_crs import WGS84
from detector.track_params import TrackParams
from detector.wording import count_of
from detector.writing import write_atomic

KML_NS = "http://www.opengis.net/kml/2.2"
KML_DETECTION_LIMIT = 50_000


def write_kml(
    tracks: gpd.GeoDataFrame,
    path: str | Path,
    detections: gpd.GeoDataFrame | None = None,
    *,
    max_detections: int = KML_DETECTION_LIMIT,
    elsewhere: str = "the detections layer of dredges.gpkg and in tracks.detections.parquet",
    dredges_elsewhere: str = "the dredges layer of dredges.gpkg and in tracks.parquet",
) -> tuple[Path, bool]:
    """KML for Google Earth: a placemark per dredge (its dates, time span and figures) and,
    when there are at most ``max_detections``, a folder of detection points; else a folder
    that says where they are (``elsewhere``). Without its detections, a KML of more than
    ``max_detections`` dredges holds the counted ones, and a folder says where the others are
    (``dredges_elsewhere``).

    Returns the path and whether the detections were included.
    """
    target = Path(path)
    ET.register_namespace("", KML_NS)
    kml = ET.Element(f"{{{KML_NS}}}kml")
    doc = _sub(kml, "Document")
    _sub(doc, "name", "Dredges")
    _sub(doc, "description", "Unique dredges tracked by dredge-detector (times in UTC).")
    _style(doc, "counted", "ff00a5ff", 1.1)
    _style(doc, "uncounted", "ff9e9e9e", 0.8)
    _style(doc, "detection", "ff0000ff", 0.5)
    run = kml_run_key(tracks)  # on the file and each placemark: what tells runs apart, read
    _data(_sub(doc, "ExtendedData"), "run", run)  # back (:mod:`detector.kml_runs`)
    included = detections is not None and len(detections) <= max_detections
    shown, left = tracks, tracks.iloc[:0]
    if not included and len(tracks) > max_detections and "counted" in tracks:
        counted = tracks["counted"].astype(bool).to_numpy()  # a KML that cannot go back to
        shown, left = tracks[counted], tracks[~counted]  # `dredge track`: the counted dredges
    folder = _sub(doc, "Folder")
    _sub(folder, "name", _dredges_folder_name(shown, all_counted=bool(len(left))))
    points = _points(shown)
    best = _best_scores(detections)
    for row, (lon, lat) in zip(shown.itertuples(index=False), points, strict=True):
        _dredge_placemark(folder, row, lon, lat, best, run)
    if len(left):
        lfolder = _sub(doc, "Folder")
        _sub(lfolder, "name", f"Dredges not counted ({len(left):,}): not in this file")
        _sub(
            lfolder,
            "description",
            f"The {len(tracks):,} dredge tracks are too many for Google Earth (over "
            f"{max_detections:,}): the {len(left):,} not counted (most of them a detection seen "
            f"on one date) are left out of the KML; they are in {dredges_elsewhere}.",
        )
    if detections is not None and included:
        dfolder = _sub(doc, "Folder")
        _sub(dfolder, "name", f"Detections ({len(detections)})")
        _sub(dfolder, "visibility", "0")
        for row, (lon, lat) in zip(
            detections.itertuples(index=False), _points(detections), strict=True
        ):
            _detection_placemark(dfolder, row, lon, lat, run)
    elif detections is not None:  # all or none: a KML of some, read back, would lose the rest
        dfolder = _sub(doc, "Folder")
        _sub(dfolder, "name", f"Detections ({len(detections):,}): not in this file")
        _sub(dfolder, "description", kml_left_out(len(detections), max_detections, elsewhere))
    tree = ET.ElementTree(kml)

    def write(tmp: Path) -> None:
        if target.suffix.lower() != ".kmz":
            tree.write(tmp, encoding="utf-8", xml_declaration=True)
            return
        import io
        import zipfile

        text = io.BytesIO()  # a KMZ is a zip of doc.kml: it was the KML text under that name
        tree.write(text, encoding="utf-8", xml_declaration=True)
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as kmz:
            kmz.writestr("doc.kml", text.getvalue())

    write_atomic(target, write)
    return target, included


def kml_left_out(detections: int, limit: int, elsewhere: str) -> str:
    """What dredges.kml says, and `dredge counts` prints, of detections too many for it."""
    return (
        f"its {detections:,} detections (over {limit:,}, too many for Google Earth) are left "
        f"out of the KML: they are in {elsewhere}; to delete false detections, edit them there "
        "and give them to `dredge track`"
    )


def kml_run_key(tracks: pd.DataFrame) -> str:
    """A run's key in dredges.kml: 12 hex digits of the sha256 of its tracks (each one's id,
    river, first and last date, detections, and its place: lon/lat rounded to 1e-4°, about
    11 m), the same for a run written again. Another run's placemarks pasted in Google Earth
    carry theirs: a dredge pasted in place of one deleted, of a number the run's may have, was
    taken for the run's, and of two runs' Dredges and Detections folders the first were read
    as the run's. Without the place, two runs alike in those figures but kilometres apart had
    one key, and their placemarks were not told apart."""
    columns = ["track_id", "river", "first_seen", "last_seen", "n_detections"]
    rows = [
        "|".join(
            _iso(value) if column.endswith("_seen") and pd.notna(value) else str(value)
            for column, value in zip(columns, values, strict=True)
        )
        for values in tracks.reindex(columns=columns).itertuples(index=False)
    ]
    if isinstance(tracks, gpd.GeoDataFrame) and tracks.active_geometry_name is not None:
        rows = [
            f"{row}|{_degrees(lon)},{_degrees(lat)}"
            for row, (lon, lat) in zip(rows, _points(tracks), strict=True)
        ]
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()[:12]


def _degrees(value: float) -> str:
    """A lon or lat rounded to 1e-4° (about 11 m) for the run key; -0.0000 read as 0.0000."""
    return f"{round(value, 4) + 0.0:.4f}"


def _points(frame: gpd.GeoDataFrame) -> list[tuple[float, float]]:
    """A representative lon/lat per row (a box's centre)."""
    geoms = frame.to_crs(WGS84).geometry if frame.crs is not None else frame.geometry
    centres = shapely.centroid(np.asarray(geoms.array, dtype=object))
    return list(zip(shapely.get_x(centres).tolist(), shapely.get_y(centres).tolist(), strict=True))


def _best_scores(detections: gpd.GeoDataFrame | None) -> dict[int, float]:
    """Each track's best detection score (hand marks without a score left out)."""
    if detections is None or not {"track_id", "score"} <= set(detections.columns):
        return {}
    scores = pd.to_numeric(detections["score"], errors="coerce")
    best = scores.groupby(pd.array(detections["track_id"], dtype="Int64")).max().dropna()
    return {int(track): float(score) for track, score in best.items()}


def _uncounted(get: dict[str, Any], best: dict[int, float]) -> str:
    """Why a track is not counted: its ``uncounted_reason``, which names the rules that left
    it out with the values the tracker ran with. A tracks table written before it had that
    column is explained from what the table and its detections tell (it said "seen on too
    few dates" of every one: of fixed objects seen for months, and of tracks seen on several
    dates whose best detection scored under --count-score): the rules that may have left it
    out are named."""
    reason = get.get("uncounted_reason")
    if isinstance(reason, str) and reason:
        return f"no ({reason})"
    if get.get("static"):
        days = (pd.Timestamp(get["last_seen"]) - pd.Timestamp(get["first_seen"])).days
        return f"no (a fixed object: never moved in {days} days; --max-static-days)"
    n_dates = int(get.get("n_dates") or 0)
    score = best.get(int(get["track_id"])) if "track_id" in get else None
    seen = "seen on one date" if n_dates == 1 else f"seen on {n_dates} dates"
    scored = "" if score is None else f", best detection score {score:.2f}"
    rules = "--count-score, or each of its stays seen empty before and after"
    if n_dates < TrackParams.min_dates:  # the default: a track seen once is not counted
        rules = f"`dredge track --min-dates` (default {TrackParams.min_dates}), {rules}"
    return f"no ({seen}{scored}: under {rules})"


def _dredges_folder_name(shown: pd.DataFrame, *, all_counted: bool) -> str:
    """``Dredges (4 counted, 1 uncounted)``: the folder said ``Dredges (5)`` of a run that
    counted 4, its uncounted track a placemark named like the others."""
    if all_counted:
        return f"Dredges ({len(shown)} counted)"
    counted = int(shown["counted"].astype(bool).sum()) if "counted" in shown else len(shown)
    if counted == len(shown):
        return f"Dredges ({len(shown)})"
    return f"Dredges ({counted} counted, {len(shown) - counted} uncounted)"


def _dredge_placemark(
    folder: ET.Element, row: object, lon: float, lat: float, best: dict[int, float], run: str
) -> None:
    get = row._asdict()  # type: ignore[attr-defined]
    mark = _sub(folder, "Placemark")
    uncounted = "" if get.get("counted", True) else ", uncounted"
    _sub(mark, "name", f"Dredge {get['track_id']} ({get['river']}{uncounted})")
    dates = str(get.get("dates") or "").split(";")
    n_dates = get.get("n_dates")
    n_dates = len(dates) if n_dates is None or pd.isna(n_dates) else int(n_dates)
    lines = [
        f"River: {get['river']}",
        f"Class: {get.get('class_name', 'dredge')}",
        f"First seen: {_iso(get['first_seen'])}",
        f"Last seen: {_iso(get['last_seen'])}",
        f"Seen on {count_of(n_dates, 'date')}: {', '.join(dates)}",  # it said '1 dates'
        f"Detections: {get.get('n_detections', '')}",
        f"Moves: {get.get('moves', 0)} ({get.get('moved_m', 0):.0f} m along the river)",
        f"Counted: {'yes' if get.get('counted', True) else _uncounted(get, best)}",
        f"Confidence: {get.get('confidence', '')}",
    ]
    # Google Earth shows a description as HTML: a river named `<b>A & B</b>` was bold there,
    # and a `<script>` in a name would run in the placemark's balloon.
    _sub(mark, "description", "\n".join(html.escape(line, quote=False) for line in lines))
    span = _sub(mark, "TimeSpan")
    _sub(span, "begin", _iso(get["first_seen"]))
    _sub(span, "end", _iso(get["last_seen"]))
    _sub(mark, "styleUrl", "#counted" if get.get("counted", True) else "#uncounted")
    data = _sub(mark, "ExtendedData")
    for key in ("track_id", "river", "n_dates", "n_detections", "confidence", "dates"):
        if key in get:
            _data(data, key, str(get[key]))
    _data(data, "run", run)
    point = _sub(mark, "Point")
    _sub(point, "coordinates", f"{lon:.7f},{lat:.7f}")


def _detection_placemark(folder: ET.Element, row: object, lon: float, lat: float, run: str) -> None:
    get = row._asdict()  # type: ignore[attr-defined]
    mark = _sub(folder, "Placemark")
    track = get.get("track_id")
    _sub(mark, "name", f"{_iso(get['acquired'])[:10]} dredge {track}" if pd.notna(track) else "")
    stamp = _sub(mark, "TimeStamp")
    _sub(stamp, "when", _iso(get["acquired"]))
    _sub(mark, "styleUrl", "#detection")
    # What `dredge track` needs to read the placemark back as this detection (Google Earth
    # keeps ExtendedData): without its score, every one was a certain hand mark, and each
    # dredge seen once counted (the demo's dredges.kml tracked again: 36 of 36 tracks counted).
    # Its track_id and link too: a track merged by hand, kept as one (link 'merged'), was two
    # again when the KML was read back (the demo's tracks 14 and 15: Nanay 2025 at 10, not 9).
    data = _sub(mark, "ExtendedData")
    for key in ("detection_id", "scene", "class_name", "score", "track_id", "link"):
        value = get.get(key)
        if value is not None and not pd.isna(value):
            _data(data, key, f"{value:.6g}" if key == "score" else str(value))
    _data(data, "run", run)
    point = _sub(mark, "Point")
    _sub(point, "coordinates", f"{lon:.7f},{lat:.7f}")


def _data(data: ET.Element, name: str, value: str) -> None:
    item = _sub(data, "Data")
    item.set("name", name)
    _sub(item, "value", value)


def _style(doc: ET.Element, name: str, colour: str, scale: float) -> None:
    style = _sub(doc, "Style")
    style.set("id", name)
    icon = _sub(style, "IconStyle")
    _sub(icon, "color", colour)
    _sub(icon, "scale", f"{scale:g}")


# Characters XML 1.0 forbids (control characters pasted from a PDF or Excel into a river
# name): ElementTree writes them as they are, and Google Earth refused the whole file.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, f"{{{KML_NS}}}{tag}")
    if text is not None:
        child.text = _NOT_XML.sub("", text)
    return child


def _iso(value: object) -> str:
    """ISO 8601 UTC; times without a zone are taken as UTC."""
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
