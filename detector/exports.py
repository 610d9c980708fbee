"""Write counts, tracks and detections in the formats analysts open.

- counts: CSV or JSON (a list of records), and a PNG chart of unique dredges per river and
  year (bars, with the low–high range as error bars);
- tracks ("dredges") and detections: GeoPackage (layers ``dredges`` and ``detections``),
  GeoJSON (one file each), and KML for Google Earth (:mod:`detector.kml_export`) — one
  placemark per dredge with its dates and time span, and the detections in a folder of their
  own.

Everything is written in EPSG:4326. Dates are written as ISO 8601 UTC strings in GeoJSON and
KML, as date-times in GeoPackage. Each file is written whole
(:func:`detector.writing.write_atomic`): a write that fails (disk full, folder not writable)
leaves the previous file or none, and raises :class:`~detector.errors.OutputError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from detector.errors import DredgeError, UsageError
from detector.json_text import json_text
from detector.kml_export import KML_DETECTION_LIMIT as KML_DETECTION_LIMIT
from detector.kml_export import KML_NS as KML_NS
from detector.kml_export import kml_left_out as kml_left_out
from detector.kml_export import write_kml as write_kml
from detector.writing import write_atomic, write_text_atomic

WGS84 = "EPSG:4326"
COUNT_FORMATS = ("csv", "json")


CSV_ENCODING = "utf-8-sig"
"""UTF-8 with a byte-order mark: Excel opens it with accents intact; pandas, QGIS and
LibreOffice read it as UTF-8."""


COUNT_SUFFIXES = {".csv": "csv", ".json": "json"}

COUNTS_OPTIONS = {
    "out": "--out",
    "fmt": "--format",
    "years": "--years",
    "chart": "--chart",
    "gpkg": "--gpkg",
    "kml": "--kml",
    "geojson": "--geojson",
    "observations": "--observations",
}
"""How messages name the parameters of :func:`~detector.track_pipeline.run_counts` for
`dredge counts`: its options."""
COUNTS_PARAMETERS = {name: f"{name}=" for name in COUNTS_OPTIONS}
"""How messages name them to a Python caller: ``observations=`` (it was told "leave
--observations out", an option it has not)."""


def counts_format(path: str | Path, fmt: str | None = None, *, option: str = "--format") -> str:
    """The counts table's format: ``fmt`` (csv or json), else from the suffix (CSV without
    one). UsageError for a suffix of no format, or of the other one than ``fmt``: ``--out
    c.json --format csv`` wrote CSV under that name, which a JSON reader then refused.
    ``option``: how the message names ``fmt`` (``fmt=`` from Python: it said "give --format"
    to a caller of :func:`write_counts` or :func:`~detector.track_pipeline.run_counts`)."""
    target = Path(path)
    suffix = target.suffix.lower()
    named = COUNT_SUFFIXES.get(suffix)
    if fmt is None:
        if suffix and named is None:
            raise UsageError(
                f"{target}: no counts format ends in {target.suffix!r} — end the name in .csv "
                f"or .json, or give {option}"
            )
        return named or "csv"
    fmt = fmt.lower()
    if fmt not in COUNT_FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(COUNT_FORMATS)}")
    if named is not None and named != fmt:
        raise UsageError(
            f"{target}: {option} is {fmt}, but the name ends in {target.suffix} — end it in "
            f".{fmt}, or leave {option} out"
        )
    return fmt


def write_counts(counts: pd.DataFrame, path: str | Path, fmt: str | None = None) -> Path:
    """Write the counts table as CSV or JSON (``fmt``; default from the file suffix:
    :func:`counts_format`). A name of no format, or of another than ``fmt``, is a UsageError
    naming ``fmt=``."""
    target = Path(path)
    fmt = counts_format(target, fmt, option="fmt=")  # the Python parameter, not --format
    if fmt == "csv":  # with a byte-order mark, so that Excel reads Aguaytía and Marañón right
        return write_atomic(
            target, lambda tmp: counts.to_csv(tmp, index=False, encoding=CSV_ENCODING)
        )
    records = [{k: _json_value(v) for k, v in row.items()} for row in counts.to_dict("records")]
    text = json_text(records, indent=1, ensure_ascii=False) + "\n"
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
    *,
    names: Mapping[str, str] = COUNTS_OPTIONS,
) -> None:
    """DredgeError for an export named with a suffix of another format: a PNG written as
    ``counts.svg``, a GeoPackage as ``dredges.geojson``, KML as ``dredges.kmz`` (a zip, which
    Google Earth and `dredge track` could not open), GeoJSON as ``dredges.gpkg`` were written
    so without a word; or for two of them, or one and the counts table (``out``), given one
    name: ``--out c.json --geojson c.json`` wrote the counts, then the GeoJSON over them.
    ``names``: how the messages name each (`dredge counts`' options; :data:`COUNTS_PARAMETERS`
    from Python)."""
    given = {"out": out, "chart": chart, "gpkg": gpkg, "kml": kml, "geojson": geojson}
    named = {names[key]: path for key, path in given.items()}
    seen: dict[Path, str] = {}
    for option, path in named.items():
        if path is None:
            continue
        key = path.resolve()  # sub/../c.json is c.json: absolute() kept the ".."
        if key in seen:
            raise DredgeError(
                f"{path}: given to both {seen[key]} and {option} — give each its own name"
            )
        seen[key] = option
    if geojson is not None and geojson.suffix.lower() not in (".geojson", ".json"):
        raise DredgeError(
            f"{geojson}: {names['geojson']} writes GeoJSON — end the name in .geojson or .json "
            f"(a GeoPackage: {names['gpkg']})"
        )
    if chart is not None and chart.suffix.lower() not in CHART_FORMATS:
        raise DredgeError(
            f"{chart}: {names['chart']} draws PNG, SVG, PDF or JPEG — end the name in .png, "
            ".svg, .pdf or .jpg"
        )
    if gpkg is not None and gpkg.suffix.lower() != ".gpkg":
        raise DredgeError(
            f"{gpkg}: {names['gpkg']} writes a GeoPackage — end the name in .gpkg (GeoJSON: "
            f"{names['geojson']})"
        )
    if kml is not None and kml.suffix.lower() not in (".kml", ".kmz"):
        raise DredgeError(
            f"{kml}: {names['kml']} writes KML for Google Earth — end the name in .kml or .kmz"
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


def _json_value(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):  # NaN (a blank seen_km) is no JSON: null
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
