"""Write counts, tracks and detections in the formats analysts open.

- counts: CSV or JSON (a list of records), and a PNG chart of unique dredges per river and
  year (bars, with the low–high range as error bars);
- tracks ("dredges") and detections: GeoPackage (layers ``dredges`` and ``detections``),
  GeoJSON (one file each), and KML for Google Earth — one placemark per dredge with its
  dates and time span, and the detections in a folder of their own.

Everything is written in EPSG:4326. Dates are written as ISO 8601 UTC strings in GeoJSON and
KML, as date-times in GeoPackage. Each file is written whole
(:func:`detector.writing.write_atomic`): a write that fails (disk full, folder not writable)
leaves the previous file or none, and raises :class:`~detector.errors.OutputError`.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from detector.errors import DredgeError, UsageError
from detector.track_params import TrackParams
from detector.writing import write_atomic, write_text_atomic

WGS84 = "EPSG:4326"
KML_NS = "http://www.opengis.net/kml/2.2"
KML_DETECTION_LIMIT = 50_000
COUNT_FORMATS = ("csv", "json")


CSV_ENCODING = "utf-8-sig"
"""UTF-8 with a byte-order mark: Excel opens it with accents intact; pandas, QGIS and
LibreOffice read it as UTF-8."""


COUNT_SUFFIXES = {".csv": "csv", ".json": "json"}


def counts_format(path: str | Path, fmt: str | None = None) -> str:
    """The counts table's format: ``fmt`` (csv or json), else from the suffix (CSV without
    one). UsageError for a suffix of no format, or of the other one than ``fmt``: ``--out
    c.json --format csv`` wrote CSV under that name, which a JSON reader then refused."""
    target = Path(path)
    suffix = target.suffix.lower()
    named = COUNT_SUFFIXES.get(suffix)
    if fmt is None:
        if suffix and named is None:
            raise UsageError(
                f"{target}: no counts format ends in {target.suffix!r} — end the name in .csv "
                "or .json, or give --format"
            )
        return named or "csv"
    fmt = fmt.lower()
    if fmt not in COUNT_FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(COUNT_FORMATS)}")
    if named is not None and named != fmt:
        raise UsageError(
            f"{target}: --format is {fmt}, but the name ends in {target.suffix} — end it in "
            f".{fmt}, or leave --format out"
        )
    return fmt


def write_counts(counts: pd.DataFrame, path: str | Path, fmt: str | None = None) -> Path:
    """Write the counts table as CSV or JSON (``fmt``; default from the file suffix:
    :func:`counts_format`)."""
    target = Path(path)
    fmt = counts_format(target, fmt)
    if fmt == "csv":  # with a byte-order mark, so that Excel reads Aguaytía and Marañón right
        return write_atomic(
            target, lambda tmp: counts.to_csv(tmp, index=False, encoding=CSV_ENCODING)
        )
    records = [{k: _json_value(v) for k, v in row.items()} for row in counts.to_dict("records")]
    text = json.dumps(records, indent=1, ensure_ascii=False) + "\n"
    return write_text_atomic(target, text)


CHART_NAME_CHARS = 40  # a longer river name is cut in the chart's legend (it pushed out all)
CHART_HATCHES = ("", "////", "....", "xxxx", "\\\\\\\\", "oo", "----", "++++", "**", "||||")
"""Patterns laid over the ten colours of matplotlib's cycle, one per ten rivers: the cycle
alone gave the 11th river the 1st one's colour (the chart's Tigre and Amazonas bars were one
blue), so that a bar could be read as the other river's."""


def river_styles(count: int) -> list[tuple[str, str]]:
    """A colour and a hatch pattern per river, no two rivers alike for up to 100 rivers."""
    return [(f"C{i % 10}", CHART_HATCHES[i // 10 % len(CHART_HATCHES)]) for i in range(count)]


GROUPED_RIVERS = 20
"""Rivers drawn side by side in one chart, named in its legend (one column holds 20). More
rivers get a small chart each: of 30, the legend's last 9 names were drawn below the image
and their bars were named nowhere, and 100 rivers' bars ran into one black block."""
PANEL_COLUMNS = 5
CHART_RIVERS = 100
"""Small charts drawn at most: the rivers with most dredges counted. 1,300 rivers made a PNG
of 1584 × 65,592 px (43 s, and a decompression-bomb warning from Pillow where it is read)."""


def chart_text(name: object) -> str:
    """A river name as matplotlib should draw it, as written: ``$`` is not the start of math
    text (``Santiago $\\frac$`` stopped the run, ``US$5 a US$10`` was drawn in italics), a
    leading ``_`` does not hide the label from the legend, and a very long name is cut."""
    text = str(name).replace("$", r"\$")
    if text.startswith("_"):
        text = " " + text
    if len(text) > CHART_NAME_CHARS:
        text = text[: CHART_NAME_CHARS - 1] + "…"
    return text


def write_chart(counts: pd.DataFrame, path: str | Path, *, title: str | None = None) -> Path:
    """PNG bar chart: unique dredges per river (colour) and year, low–high as error bars; a
    small chart per river, side by side, for more than :data:`GROUPED_RIVERS` rivers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    target = Path(path)
    rivers, left_out = chart_rivers(counts)
    years = sorted(counts["year"].unique())
    title = title or "Unique dredges per river and year (whiskers: low–high range)"
    if left_out:
        title += f"\nthe {len(rivers)} rivers with most dredges; {left_out} more in counts.csv"
    if len(rivers) > GROUPED_RIVERS:
        fig = _river_panels(plt, counts, rivers, years, title)
    else:
        fig = _grouped_bars(plt, counts, rivers, years, title)
    try:
        fmt = chart_format(target)  # --chart counts.svg was a PNG under that name
        write_atomic(target, lambda tmp: fig.savefig(tmp, format=fmt))
    finally:
        plt.close(fig)
    return target


CHART_FORMATS = {"": "png", ".png": "png", ".svg": "svg", ".pdf": "pdf", ".jpg": "jpg"}
CHART_FORMATS[".jpeg"] = "jpg"


def chart_format(path: Path) -> str:
    """The chart's format from its suffix (PNG without one)."""
    return CHART_FORMATS[path.suffix.lower()]


def check_export_names(
    chart: Path | None = None,
    gpkg: Path | None = None,
    kml: Path | None = None,
    geojson: Path | None = None,
    out: Path | None = None,
) -> None:
    """DredgeError for an export named with a suffix of another format: a PNG written as
    ``counts.svg``, a GeoPackage as ``dredges.geojson``, KML as ``dredges.kmz`` (a zip, which
    Google Earth and `dredge track` could not open), GeoJSON as ``dredges.gpkg`` were written
    so without a word; or for two of them, or one and the counts table (``out``), given one
    name: ``--out c.json --geojson c.json`` wrote the counts, then the GeoJSON over them."""
    named = {"--out": out, "--chart": chart, "--gpkg": gpkg, "--kml": kml, "--geojson": geojson}
    seen: dict[Path, str] = {}
    for option, path in named.items():
        if path is None:
            continue
        key = path.absolute()
        if key in seen:
            raise DredgeError(
                f"{path}: given to both {seen[key]} and {option} — give each its own name"
            )
        seen[key] = option
    if geojson is not None and geojson.suffix.lower() not in (".geojson", ".json"):
        raise DredgeError(
            f"{geojson}: --geojson writes GeoJSON — end the name in .geojson or .json "
            "(a GeoPackage: --gpkg)"
        )
    if chart is not None and chart.suffix.lower() not in CHART_FORMATS:
        raise DredgeError(
            f"{chart}: --chart draws PNG, SVG, PDF or JPEG — end the name in .png, .svg, .pdf "
            "or .jpg"
        )
    if gpkg is not None and gpkg.suffix.lower() != ".gpkg":
        raise DredgeError(
            f"{gpkg}: --gpkg writes a GeoPackage — end the name in .gpkg (GeoJSON: --geojson)"
        )
    if kml is not None and kml.suffix.lower() not in (".kml", ".kmz"):
        raise DredgeError(
            f"{kml}: --kml writes KML for Google Earth — end the name in .kml or .kmz"
        )


def chart_rivers(counts: pd.DataFrame) -> tuple[list[Any], int]:
    """The rivers the chart draws, by name, and how many it leaves out: all, or over
    :data:`CHART_RIVERS`, those with most dredges counted over the years (then by name)."""
    rivers = sorted(counts["river"].unique())
    if len(rivers) <= CHART_RIVERS:
        return rivers, 0
    totals = counts.groupby("river")["unique_dredges"].sum()
    ranked = sorted(rivers, key=lambda river: (-float(totals.get(river, 0)), str(river)))
    return sorted(ranked[:CHART_RIVERS]), len(rivers) - CHART_RIVERS


def _river_values(
    counts: pd.DataFrame, river: object, years: list[Any]
) -> tuple[np.ndarray, np.ndarray]:
    """A river's unique dredges per year (0 where it has no row) and their whiskers."""
    rows = counts[counts["river"] == river].set_index("year").reindex(years, fill_value=0)
    value = rows["unique_dredges"].to_numpy(float)
    low = rows["unique_low"].to_numpy(float) if "unique_low" in rows else value
    high = rows["unique_high"].to_numpy(float) if "unique_high" in rows else value
    return value, np.vstack([np.maximum(value - low, 0), np.maximum(high - value, 0)])


def _grouped_bars(
    plt: Any, counts: pd.DataFrame, rivers: list[Any], years: list[Any], title: str
) -> Any:
    """One chart: each year's bars side by side, a colour and pattern per river."""
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(years) + 3), 4.5), dpi=120)
    width = 0.8 / max(len(rivers), 1)
    x = np.arange(len(years))
    styles = river_styles(len(rivers))  # the 11th river was drawn in the 1st one's colour
    for i, (river, (colour, hatch)) in enumerate(zip(rivers, styles, strict=True)):
        value, errors = _river_values(counts, river, years)
        ax.bar(
            x + (i - (len(rivers) - 1) / 2) * width,
            value,
            width,
            label=chart_text(river),
            color=colour,
            hatch=hatch,
            edgecolor="white" if hatch else None,  # the pattern's colour
            linewidth=0.5 if hatch else 0,  # matplotlib draws no pattern without an edge
        )
        ax.errorbar(
            x + (i - (len(rivers) - 1) / 2) * width,
            value,
            yerr=errors,
            fmt="none",
            ecolor="black",
            capsize=2,
            linewidth=0.8,
        )
    ax.set_xticks(x, [str(y) for y in years])
    ax.set_xlabel("year")
    ax.set_ylabel("unique dredges")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # no half dredges on the axis
    fig.suptitle(title)  # over the figure: over the axes alone, a wide legend pushed it off
    if rivers:
        ax.legend(title="river", fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.text(0.5, 0.5, "no river-years to count", ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def _river_panels(
    plt: Any, counts: pd.DataFrame, rivers: list[Any], years: list[Any], title: str
) -> Any:
    """A small chart per river (named over it), :data:`PANEL_COLUMNS` to a row, one scale.

    Margins are set in inches (matplotlib's layout engines took 10 s over 100 rivers)."""
    from matplotlib.ticker import MaxNLocator

    columns = min(PANEL_COLUMNS, len(rivers))
    rows = -(-len(rivers) // columns)
    longest = max(len(chart_text(river)) for river in rivers)  # a name over its chart alone
    panel_w = max(2.2, 0.2 * len(years) + 0.8, 0.075 * longest)
    panel_h, gap_w, gap_h = 1.3, 0.3, 0.8
    left, right, top, bottom = 0.8, 0.2, 0.6, 0.8
    width = left + columns * panel_w + (columns - 1) * gap_w + right
    height = top + rows * panel_h + (rows - 1) * gap_h + bottom
    fig, axes = plt.subplots(rows, columns, figsize=(width, height), dpi=120, squeeze=False)
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        top=1 - top / height,
        bottom=bottom / height,
        wspace=gap_w / panel_w,
        hspace=gap_h / panel_h,
    )
    values = [_river_values(counts, river, years) for river in rivers]
    highest = max((float((v + e[1]).max(initial=0)) for v, e in values), default=0.0)
    x = np.arange(len(years))
    for i, (ax, river, (value, errors)) in enumerate(zip(axes.flat, rivers, values, strict=False)):
        ax.bar(x, value, 0.7, color="C0")
        ax.errorbar(x, value, yerr=errors, fmt="none", ecolor="black", capsize=2, linewidth=0.8)
        ax.set_title(chart_text(river), fontsize="medium")
        ax.set_xticks(x, [str(y) for y in years], fontsize="small")
        ax.tick_params(axis="x", labelrotation=90 if len(years) > 4 else 0)
        ax.set_ylim(0, max(highest * 1.05, 1.0))  # one scale, so that rivers compare
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax.tick_params(axis="y", labelleft=i % columns == 0)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.flat[len(rivers) :]:
        ax.set_visible(False)
    fig.suptitle(title, y=1 - 0.2 / height)
    fig.supxlabel("year", y=0.1 / height)
    fig.supylabel("unique dredges", x=0.1 / width)
    return fig


def write_gpkg(tracks: gpd.GeoDataFrame, detections: gpd.GeoDataFrame, path: str | Path) -> Path:
    """GeoPackage with layers ``dredges`` (one point per track) and ``detections``."""
    dredges = _vector(tracks, dates_as_text=False)
    points = _vector(detections, dates_as_text=False)

    def write(tmp: Path) -> None:
        # an empty layer is given its type (GDAL wrote "Unknown": a table without geometry
        # to some GIS) as the tool's own are: a point per dredge, a box per detection
        layers = ((dredges, "dredges", "Point"), (points, "detections", "Polygon"))
        for frame, layer, kind in layers:
            typed = {"geometry_type": kind} if frame.empty else {}
            frame.to_file(tmp, layer=layer, driver="GPKG", **typed)

    return write_atomic(path, write)


def write_geojson(
    tracks: gpd.GeoDataFrame, detections: gpd.GeoDataFrame, path: str | Path
) -> tuple[Path, Path]:
    """GeoJSON of the dredges at ``path`` and of the detections beside it
    (``<stem>.detections.geojson``)."""
    target, beside = geojson_paths(path)
    for frame, out in ((tracks, target), (detections, beside)):
        vector = _vector(frame, dates_as_text=True)
        name = out.name.removesuffix(out.suffix)  # GDAL would name it after the temporary file

        def write(tmp: Path, vector: gpd.GeoDataFrame = vector, name: str = name) -> None:
            vector.to_file(tmp, driver="GeoJSON", layer=name)

        write_atomic(out, write)
    return target, beside


def geojson_paths(path: str | Path) -> tuple[Path, Path]:
    """The dredges' GeoJSON and the detections' beside it (``<stem>.detections.geojson``)."""
    target = Path(path)
    return target, target.with_name(f"{target.stem}.detections.geojson")


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
        _dredge_placemark(folder, row, lon, lat, best)
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
            _detection_placemark(dfolder, row, lon, lat)
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


# --------------------------------------------------------------------------------------------


def _vector(frame: gpd.GeoDataFrame, *, dates_as_text: bool) -> gpd.GeoDataFrame:
    """A copy that OGR drivers write faithfully: EPSG:4326, lists joined, dates as wanted."""
    out = frame.to_crs(WGS84) if frame.crs is not None else frame.set_crs(WGS84)
    out = out.copy()
    for name in out.columns:
        if name == out.geometry.name:
            continue
        column = out[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            stamps = pd.to_datetime(column, utc=True)
            out[name] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dates_as_text else stamps
        elif column.dtype == object and column.map(lambda v: isinstance(v, list)).any():
            out[name] = column.map(lambda v: ";".join(map(str, v)) if isinstance(v, list) else v)
    return out


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
    folder: ET.Element, row: object, lon: float, lat: float, best: dict[int, float]
) -> None:
    get = row._asdict()  # type: ignore[attr-defined]
    mark = _sub(folder, "Placemark")
    uncounted = "" if get.get("counted", True) else ", uncounted"
    _sub(mark, "name", f"Dredge {get['track_id']} ({get['river']}{uncounted})")
    dates = str(get.get("dates") or "").split(";")
    lines = [
        f"River: {get['river']}",
        f"Class: {get.get('class_name', 'dredge')}",
        f"First seen: {_iso(get['first_seen'])}",
        f"Last seen: {_iso(get['last_seen'])}",
        f"Seen on {get.get('n_dates', len(dates))} dates: {', '.join(dates)}",
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
            item = _sub(data, "Data")
            item.set("name", key)
            _sub(item, "value", str(get[key]))
    point = _sub(mark, "Point")
    _sub(point, "coordinates", f"{lon:.7f},{lat:.7f}")


def _detection_placemark(folder: ET.Element, row: object, lon: float, lat: float) -> None:
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
            item = _sub(data, "Data")
            item.set("name", key)
            _sub(item, "value", f"{value:.6g}" if key == "score" else str(value))
    point = _sub(mark, "Point")
    _sub(point, "coordinates", f"{lon:.7f},{lat:.7f}")


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


def _json_value(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):  # NaN (a blank seen_km) is no JSON: null
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
