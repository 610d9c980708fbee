"""Pictures for the run report: river maps with detections and dredges, and detection chips.

Every function returns PNG bytes, so that the report can embed them (no file, no network).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from PIL import Image, ImageDraw
from rasterio.windows import Window

from detector.acquisition import scene_labels
from detector.band_layout import RGB_BANDS, rgb_view
from detector.detection_table import run_date
from detector.errors import DredgeError
from detector.exports import chart_text
from detector.inputspec import InputSpec
from detector.rivers import RiverNetwork
from detector.scene import open_scene
from detector.wording import count_of

WGS84 = "EPSG:4326"
CHIP_PX = 48  # chip side at the model's GSD
CHIP_ZOOM = 4  # chips are enlarged (nearest) for the page


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.1)  # no empty margins
    _pyplot().close(fig)
    return buffer.getvalue()


def river_map(
    network: RiverNetwork,
    river: str,
    detections: gpd.GeoDataFrame,
    tracks: gpd.GeoDataFrame,
) -> bytes:
    """A map of one river: centerline, every detection (grey; a dredge detected twice in one
    pass once, as counted in ``detections`` of counts.csv) and each counted dredge.

    Dredges are coloured by the year they were first seen and sized by their number of dates.
    Axes are longitude and latitude, with the aspect of the river's latitude.
    """
    plt = _pyplot()
    line = gpd.GeoSeries([network.rivers[river].pieces], crs=network.rivers[river].crs)
    line = line.to_crs(WGS84)
    fig, ax = plt.subplots(figsize=(7.0, 5.0), dpi=110)
    line.plot(ax=ax, color="#4a90c2", linewidth=2.0, zorder=1)
    dets = detections[detections["river"] == river] if len(detections) else detections
    if "link" in dets.columns:  # a dredge seen again in a scene of the same pass is one, as in
        dets = dets[dets["link"] != "duplicate"]  # counts.csv (the title said 29 for its 17)
    if len(dets):
        bounds = dets.geometry.bounds  # box centres, in degrees (no centroid in a geographic CRS)
        x, y = (bounds["minx"] + bounds["maxx"]) / 2, (bounds["miny"] + bounds["maxy"]) / 2
        ax.scatter(x, y, s=4, c="#888888", alpha=0.5, label="detections", zorder=2)
    mine = tracks[(tracks["river"] == river) & tracks["counted"]] if len(tracks) else tracks
    bar = None
    if len(mine):
        years = pd.to_datetime(mine["first_seen"], utc=True).dt.year
        points = ax.scatter(
            mine.geometry.x,
            mine.geometry.y,
            s=12 + 6 * np.sqrt(mine["n_dates"].to_numpy(float)),
            c=years,
            cmap="plasma",
            edgecolors="black",
            linewidths=0.4,
            zorder=3,
            label="dredges (counted tracks)",
        )
        if years.nunique() > 1:
            bar = fig.colorbar(points, ax=ax, orientation="horizontal", shrink=0.5, pad=0.15)
            bar.set_ticks(sorted(years.unique()))
            bar.ax.set_xticklabels([str(y) for y in sorted(years.unique())])
            bar.set_label("first seen (year)")
    lat = float(line.iloc[0].centroid.y)
    ax.set_aspect(1.0 / max(math.cos(math.radians(lat)), 0.1))
    ax.set_title(
        f"{chart_text(river)}: {count_of(len(dets), 'detection')}, "
        f"{count_of(len(mine), 'dredge')} counted"
    )
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.ticklabel_format(useOffset=False)
    if len(dets) or len(mine):  # a river with nothing on it has nothing to name
        ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.2)
    fig.tight_layout()
    if bar is not None:
        _thin_year_labels(fig, bar.ax, sorted(years.unique()))
    return _png(fig)


YEAR_LABEL_IN = 0.45  # a year's label on the colour bar and the space after it, inches


def _thin_year_labels(fig: Any, axis: Any, years: Sequence[int]) -> None:
    """Leave out the labels of years too close to the last one labelled on the colour bar,
    which spans the first year to the last: ten years of a run were drawn into one another
    ("2016201720182019…"), and so were 2016–2019 of a river whose dredges were first seen
    then and in 2025 (a count of labels fitting the bar took them for evenly spaced)."""
    span = max(years[-1] - years[0], 1)
    per_year = axis.get_position().width * fig.get_figwidth() / span  # inches
    shown: list[str] = []
    last: int | None = None
    for year in years:
        fits = last is None or (year - last) * per_year >= YEAR_LABEL_IN
        shown.append(str(year) if fits else "")
        last = year if fits else last
    if any(not label for label in shown):
        axis.set_xticklabels(shown)


@dataclass(frozen=True)
class Chip:
    """A detection chip for the gallery."""

    png: bytes
    detection_id: str
    scene: str
    acquired: str
    river: str
    score: float
    class_name: str
    track_id: object


def detection_chips(
    detections: gpd.GeoDataFrame,
    scene_paths: Sequence[str],
    spec: InputSpec,
    *,
    limit: int = 24,
    scene_bands: Sequence[str] | None = None,
    names: Mapping[str, str] | None = None,
) -> tuple[list[Chip], list[str]]:
    """Chips of the most and the least certain detections (half each), and problems met.

    Each chip is :data:`CHIP_PX` pixels at the model's GSD around the detection, in the
    model's bands (red, green and blue by their names, else the first three as RGB, else the
    first as grey: :func:`detector.band_layout.rgb_view`), with the box drawn.
    ``names``: scene path → its name in the ``scene`` column (default: file names, or labels
    where scenes share one; :func:`detector.acquisition.scene_labels`).
    """
    if not len(detections):
        return [], []
    labels = scene_labels(scene_paths, taken=names)
    by_name = {label: path for path, label in labels.items()}
    ranked = _ranked(detections)
    half = max(limit // 2, 1)
    chosen = pd.concat([ranked.head(half), ranked.tail(limit - half)])
    chosen = chosen[~chosen.index.duplicated()]
    chips: list[Chip] = []
    problems: list[str] = []
    for scene_name, rows in chosen.groupby("scene", sort=False):
        path = by_name.get(str(scene_name))
        if path is None:
            problems.append(f"{scene_name}: not among the run's scenes; no chips")
            continue
        try:
            chips += _scene_chips(path, rows, spec, scene_bands)
        except (DredgeError, OSError, ValueError) as exc:
            problems.append(f"{scene_name}: chips not drawn ({exc})")
    order = {str(d): i for i, d in enumerate(chosen["detection_id"])}
    chips.sort(key=lambda chip: order.get(chip.detection_id, len(order)))
    return chips, problems


RANK_TIES = ("acquired", "scene", "detection_id")
"""Ties of score are ranked by these, in this order, where the detections have them."""


def _ranked(detections: pd.DataFrame) -> pd.DataFrame:
    """``detections`` by score, highest first; equal scores by date, scene and detection id,
    then by their place in the file. Ranked by score alone (quicksort, not stable), which of
    the detections tied on a score were shown depended on the order of the rows: the same run
    with its rows shuffled showed other chips."""
    ties = [c for c in RANK_TIES if c in detections.columns]
    keys = pd.DataFrame({"score": -detections["score"].astype(float).to_numpy()})
    for column in ties:
        keys[column] = detections[column].astype(str).to_numpy()
    order = keys.sort_values(["score", *ties], kind="stable").index
    return detections.iloc[order]


def _scene_chips(
    path: str, rows: gpd.GeoDataFrame, spec: InputSpec, scene_bands: Sequence[str] | None
) -> list[Chip]:
    chips = []
    # the date the run read it at: a Maxar scene dated only by --dates was calibrated at 1 AU
    date = run_date(rows.iloc[0])
    with open_scene(path, bands=scene_bands, date=date) as scene:
        grid = scene.grid(spec.gsd_m)
        local = rows.to_crs(scene.crs)
        inverse = ~grid.transform
        for (_, row), geometry in zip(rows.iterrows(), local.geometry, strict=True):
            x0, y0, x1, y1 = geometry.bounds
            cx, cy = inverse @ ((x0 + x1) / 2, (y0 + y1) / 2)
            col0, row0 = round(cx) - CHIP_PX // 2, round(cy) - CHIP_PX // 2
            window = Window(col0, row0, CHIP_PX, CHIP_PX)
            data = scene.read_window(window, spec, grid).data
            box = [inverse @ (x0, y1), inverse @ (x1, y0)]
            box_px = [(float(c) - col0, float(r) - row0) for c, r in box]
            chips.append(
                Chip(
                    png=_chip_png(data, box_px, spec.bands),
                    detection_id=str(row["detection_id"]),
                    scene=str(row["scene"]),
                    acquired=str(pd.Timestamp(row["acquired"]).strftime("%Y-%m-%d")),
                    river=str(row["river"]),
                    score=float(row["score"]),
                    class_name=str(row["class_name"]),
                    track_id=row.get("track_id"),
                )
            )
    return chips


def _chip_png(
    data: np.ndarray, box: list[tuple[float, float]], bands: Sequence[str] = RGB_BANDS
) -> bytes:
    """The chip of ``data`` (its ``bands``, in the model's order) in true colour, the box drawn
    (:func:`detector.band_layout.rgb_view`: BGRN's blue was shown as red)."""
    rgb = data[rgb_view(bands)] if data.shape[0] >= 3 else np.repeat(data[:1], 3, axis=0)
    pixels = np.rint(np.clip(rgb, 0, 1) * 255).astype(np.uint8)
    image = Image.fromarray(np.moveaxis(pixels, 0, -1)).resize(
        (CHIP_PX * CHIP_ZOOM, CHIP_PX * CHIP_ZOOM), Image.Resampling.NEAREST
    )
    draw = ImageDraw.Draw(image)
    (c0, r0), (c1, r1) = box
    side = CHIP_PX * CHIP_ZOOM - 1
    pad = 2
    left, top = max(min(c0, c1) * CHIP_ZOOM - pad, 0), max(min(r0, r1) * CHIP_ZOOM - pad, 0)
    right = min(max(c0, c1) * CHIP_ZOOM + pad, side)
    bottom = min(max(r0, r1) * CHIP_ZOOM + pad, side)
    draw.rectangle([left, top, right, bottom], outline=(255, 220, 0), width=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
