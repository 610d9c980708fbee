"""Files of a synthetic world: scenes (+ UDM2 and metadata sidecars), quicklooks, rivers, truth."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import rasterio
from numpy.typing import NDArray
from PIL import Image
from pyproj import Transformer
from shapely import Point

from detector.errors import DredgeError
from detector.json_text import json_text
from training.synth.render import BANDS, Grid, iter_boxes, mask_of, render_reflectance
from training.synth.scenes import CLOUD_VISIBLE_MAX, SceneSpec, is_visible

if TYPE_CHECKING:
    from training.synth.world import RiverWorld, World, WorldConfig

TRUTH_COLUMNS = [
    "dredge_id", "river", "scene", "acquired", "lon", "lat", "x", "y", "crs",
    "length_m", "width_m", "heading_deg", "visible",
]  # fmt: skip
QUICKLOOK_MAX_PX = 1200
EIGHT_BIT_STYLES = ("rgb8", "rgb8-green", "rgb8-shift")  # 3-band 8-bit RGB (Maxar-like)
# Styles of another place: every river carries green water; "rgb8-shift" also roofs its dredges
# with thatch, green tarp or wood instead of metal, blue tarp or rust (the default training
# world never draws such dredges), like an analyst's river whose dredges look unlike ours.
STYLE_WATER = {"rgb8-green": "green", "rgb8-shift": "green"}
STYLE_ROOFS = {"rgb8-shift": {"metal": "thatch", "tarp": "green tarp", "rust": "wood"}}


def render_scene(
    river: RiverWorld,
    scene: SceneSpec,
    gsd: float,
    style: str,
    bounds: tuple[float, float, float, float] | None = None,
) -> tuple[Grid, NDArray[Any]]:
    """Render ``scene`` at ``gsd``: uint16 BGRN reflectance, or uint8 RGB for the 8-bit styles.

    ``bounds`` (metres in the river's CRS) renders only a chip, e.g. a 0.5 m Maxar-like chip
    around one dredge; by default the whole scene grid is rendered.
    """
    if style not in ("planetscope", *EIGHT_BIT_STYLES):  # "RGB8" drew 4-band uint16
        raise DredgeError(
            f"render_scene: unknown style {style!r}; use one of: planetscope, "
            + ", ".join(EIGHT_BIT_STYLES)
        )
    if bounds is not None:
        _check_chip_bounds(bounds, scene, river.crs)
    grid = Grid.over(bounds or scene.bounds, gsd)
    ground = river.ground_on(scene)
    reflectance = render_reflectance(
        scene, ground, grid, water_type=STYLE_WATER.get(style), roofs=STYLE_ROOFS.get(style)
    )
    rng = np.random.default_rng([river.seed, 2000 + scene.index])
    gain = rng.normal(1.0, 0.05, size=(4, 1, 1)).astype(np.float32)
    bias = rng.normal(0, 30, size=(4, 1, 1)).astype(np.float32)
    noisy = reflectance * gain + bias
    noisy += rng.normal(0, 1, size=noisy.shape).astype(np.float32) * (20 + 0.01 * noisy)
    valid = mask_of(scene.footprint, grid)
    if style in EIGHT_BIT_STYLES:
        rgb = noisy[[2, 1, 0]]
        data: NDArray[Any] = np.clip(
            255 * (np.clip(rgb, 0, None) / 2600) ** (1 / 2.2), 1, 255
        ).astype(np.uint8)
    else:
        data = np.clip(np.round(noisy), 1, 10000).astype(np.uint16)
    data[:, ~valid] = 0
    return grid, data


def _check_chip_bounds(
    bounds: tuple[float, float, float, float], scene: SceneSpec, crs: str
) -> None:
    """DredgeError when a chip's ``bounds`` miss the scene: given in degrees (lon/lat from
    ``truth/dredges.csv``) they ended in a ValueError or drew a chip of nodata."""
    minx, miny, maxx, maxy = scene.bounds
    if bounds[0] < maxx and bounds[2] > minx and bounds[1] < maxy and bounds[3] > miny:
        return
    raise DredgeError(
        f"render_scene: bounds {tuple(bounds)} lie outside the scene {scene.stem} (x "
        f"{minx:.0f}–{maxx:.0f}, y {miny:.0f}–{maxy:.0f} in metres of {crs}) — give them in "
        "metres of the river's CRS, as the x and y of truth/dredges.csv, not in degrees"
    )


def render_and_write(
    river: RiverWorld, scene: SceneSpec, config: WorldConfig, out: Path
) -> dict[str, Any]:
    """Render one scene, write it with its sidecars and quicklook; return its truth rows."""
    grid, data = render_scene(river, scene, config.gsd, config.style)
    path = out / "scenes" / scene.file_name
    _write_geotiff(path, data, grid, river.crs, scene, config.style)
    cloud_cover = _write_udm2(out / "scenes" / scene.udm2_name, scene, grid, river.crs)
    _write_metadata(out / "scenes" / scene.metadata_name, scene, config, cloud_cover)
    _write_quicklook(out / "quicklooks" / f"{scene.stem}.png", data, config.style)
    ground = river.ground_on(scene)
    dredge_rows = _dredge_rows(river, scene, ground.dredges)
    _write_boxes(out / "truth" / "boxes" / f"{scene.stem}.csv", ground, scene, grid)
    valid_fraction = float((data[0] > 0).mean())
    return {
        "rows": dredge_rows,
        "scene": _scene_row(river, scene, config, valid_fraction, cloud_cover),
    }


def _write_geotiff(
    path: Path, data: NDArray[Any], grid: Grid, crs: str, scene: SceneSpec, style: str
) -> None:
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": data.shape[0],
        "dtype": data.dtype.name,
        "crs": crs,
        "transform": grid.transform,
        "nodata": 0,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 2,
        "interleave": "pixel",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        names = ("red", "green", "blue") if style in EIGHT_BIT_STYLES else BANDS
        for i, name in enumerate(names, start=1):
            dst.set_band_description(i, name)
        dst.update_tags(TIFFTAG_DATETIME=f"{scene.acquired:%Y:%m:%d %H:%M:%S}")
        if style not in EIGHT_BIT_STYLES:
            dst.update_tags(scale_factor="0.0001", units="surface reflectance x 10000")


def _write_udm2(path: Path, scene: SceneSpec, grid: Grid, crs: str) -> float:
    """Planet UDM2-like mask: 1 clear, 2 snow, 3 shadow, 4 light haze, 5 heavy haze, 6 cloud,
    7 confidence, 8 unusable. As in Planet's, bands 1–6 are exclusive: a pixel is one class.

    Returns the scene's cloud cover as written: the fraction of its imaged pixels in the cloud
    class (the scene's drawn ``cloud_cover`` is only the target its clouds were drawn for, over
    the whole grid, and was up to 0.15 above what the scene shows)."""
    x, y = grid.axes()
    valid = mask_of(scene.footprint, grid)
    cloud = scene.cloud_opacity(x, y, grid=True) >= CLOUD_VISIBLE_MAX
    shadow = (scene.shadow(x, y, grid=True) >= CLOUD_VISIBLE_MAX) & ~cloud
    light = 0 < scene.haze <= 0.2
    heavy = scene.haze > 0.2
    bands = np.zeros((8, grid.height, grid.width), dtype=np.uint8)
    bands[0] = valid & ~cloud & ~shadow & ~heavy & ~light
    bands[2] = valid & shadow
    bands[3] = valid & ~cloud & ~shadow & light
    bands[4] = valid & ~cloud & ~shadow & heavy
    bands[5] = valid & cloud
    bands[6] = np.where(valid, 85, 0)
    bands[7] = ~valid
    profile = {
        "driver": "GTiff", "width": grid.width, "height": grid.height, "count": 8, "dtype": "uint8",
        "crs": crs, "transform": grid.transform, "tiled": True, "blockxsize": 256,
        "blockysize": 256, "compress": "deflate",
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(bands)
    return float(cloud[valid].mean()) if valid.any() else 0.0


def _write_metadata(path: Path, scene: SceneSpec, config: WorldConfig, cloud_cover: float) -> None:
    """A Planet-style item metadata sidecar; ``cloud_cover`` as its UDM2 shows it."""
    item = {
        "id": scene.stem,
        "type": "Feature",
        "properties": {
            "acquired": f"{scene.acquired:%Y-%m-%dT%H:%M:%S}.{scene.subsecond:02d}0000Z",
            "item_type": "PSScene",
            "instrument": "PSB.SD",
            "satellite_id": scene.satellite,
            "pixel_resolution": config.gsd,
            "cloud_cover": round(cloud_cover, 3),
            "provider": "synthetic (dredge synth)",
        },
    }
    path.write_text(json_text(item, indent=2) + "\n")


def quicklook_rgb(data: NDArray[Any], style: str) -> NDArray[np.uint8]:
    """True-colour 8-bit RGB of a rendered scene (nodata black)."""
    if style in EIGHT_BIT_STYLES:
        return np.moveaxis(data, 0, -1).astype(np.uint8)
    rgb = data[[2, 1, 0]].astype(np.float32)
    stretched = 255 * np.clip(rgb / 2000, 0, 1) ** (1 / 2.0)
    return np.moveaxis(stretched, 0, -1).astype(np.uint8)


def _write_quicklook(path: Path, data: NDArray[Any], style: str) -> None:
    rgb = quicklook_rgb(data, style)
    step = int(np.ceil(max(rgb.shape[:2]) / QUICKLOOK_MAX_PX))
    image = Image.fromarray(rgb)
    if step > 1:
        image = image.resize((rgb.shape[1] // step, rgb.shape[0] // step), Image.Resampling.BOX)
    image.save(path, optimize=False)


def _dredge_rows(river: RiverWorld, scene: SceneSpec, poses: list[Any]) -> list[dict[str, Any]]:
    to_wgs84 = Transformer.from_crs(river.crs, "EPSG:4326", always_xy=True)
    rows = []
    for pose in poses:
        lon, lat = to_wgs84.transform(pose.x, pose.y)
        rows.append(
            {
                "dredge_id": pose.dredge.dredge_id,
                "river": river.spec.name,
                "scene": scene.file_name,
                "acquired": f"{scene.acquired:%Y-%m-%dT%H:%M:%SZ}",
                "lon": round(lon, 7),
                "lat": round(lat, 7),
                "x": round(pose.x, 2),
                "y": round(pose.y, 2),
                "crs": river.crs,
                "length_m": round(pose.dredge.length_m, 2),
                "width_m": round(pose.dredge.width_m, 2),
                "heading_deg": compass_deg(pose.heading_rad),
                "visible": is_visible(scene, pose.x, pose.y),
            }
        )
    return rows


def compass_deg(heading_rad: float) -> float:
    """A heading counter-clockwise from east as a compass bearing (clockwise from north) in
    [0, 360), to 0.1°: rounded before it is folded, as 359.96° rounded is 360.0."""
    return round(float(np.rad2deg(np.pi / 2 - heading_rad)) % 360, 1) % 360


def _write_boxes(path: Path, ground: Any, scene: SceneSpec, grid: Grid) -> None:
    """Per-scene boxes of dredges and boats, in pixels of the written scene and in map units."""
    inv = ~grid.transform
    rows = []
    for object_id, class_name, footprint in iter_boxes(ground):
        minx, miny, maxx, maxy = footprint.bounds
        col0, row0 = inv @ (minx, maxy)
        col1, row1 = inv @ (maxx, miny)
        centre = footprint.centroid
        rows.append(
            {
                "object_id": object_id,
                "class_name": class_name,
                "visible": is_visible(scene, centre.x, centre.y),
                "col_min": round(col0, 2), "row_min": round(row0, 2),
                "col_max": round(col1, 2), "row_max": round(row1, 2),
                "x_min": round(minx, 2), "y_min": round(miny, 2),
                "x_max": round(maxx, 2), "y_max": round(maxy, 2),
            }
        )  # fmt: skip
    columns = ["object_id", "class_name", "visible", "col_min", "row_min", "col_max", "row_max",
               "x_min", "y_min", "x_max", "y_max"]  # fmt: skip
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)


def _scene_row(
    river: RiverWorld,
    scene: SceneSpec,
    config: WorldConfig,
    valid_fraction: float,
    cloud_cover: float,
) -> dict[str, Any]:
    centre = Point((scene.bounds[0] + scene.bounds[2]) / 2, (scene.bounds[1] + scene.bounds[3]) / 2)
    return {
        "scene": scene.file_name,
        "river": river.spec.name,
        "acquired": f"{scene.acquired:%Y-%m-%dT%H:%M:%SZ}",
        "year": scene.acquired.year,
        "crs": river.crs,
        "gsd_m": config.gsd,
        "cloud_cover": round(cloud_cover, 3),
        "haze": round(scene.haze, 3),
        "valid_fraction": round(valid_fraction, 4),
        "centre_x": round(centre.x, 2),
        "centre_y": round(centre.y, 2),
    }


def write_rivers(world: World, path: Path) -> None:
    """Centerlines in EPSG:4326 with a ``name`` property, digitised upstream → downstream."""
    import geopandas as gpd

    from training.synth.world import centerline_pieces

    frames = []
    for river in world.rivers:
        pieces = centerline_pieces(river)
        frame = gpd.GeoDataFrame(
            {"name": [river.spec.name] * len(pieces)}, geometry=pieces, crs=river.crs
        )
        frames.append(frame.to_crs("EPSG:4326"))
    rivers = pd.concat(frames, ignore_index=True)
    path.unlink(missing_ok=True)
    gpd.GeoDataFrame(rivers, crs="EPSG:4326").to_file(
        path, driver="GeoJSON", COORDINATE_PRECISION=7
    )


def write_truth(world: World, results: list[dict[str, Any]], folder: Path) -> pd.DataFrame:
    """Write truth/dredges.csv, truth/scenes.csv and truth/counts.csv; return the dredge table."""
    rows = [row for result in results for row in result["rows"]]
    truth = pd.DataFrame(rows, columns=TRUTH_COLUMNS)
    truth = truth.sort_values(["river", "acquired", "dredge_id"], kind="stable").reset_index(
        drop=True
    )
    truth.to_csv(folder / "dredges.csv", index=False)
    scenes = pd.DataFrame([result["scene"] for result in results])
    scenes = scenes.sort_values(["river", "acquired"], kind="stable").reset_index(drop=True)
    scenes.to_csv(folder / "scenes.csv", index=False)
    years = range(world.config.years[0], world.config.years[1] + 1)
    counts_from_truth(truth, [r.spec.name for r in world.rivers], years).to_csv(
        folder / "counts.csv", index=False
    )
    return truth


def counts_from_truth(truth: pd.DataFrame, rivers: list[str], years: range) -> pd.DataFrame:
    """Unique and new dredges per river and year, from visible appearances only; zero rows kept."""
    seen = truth[truth["visible"].astype(bool)].copy()
    seen["year"] = seen["acquired"].str.slice(0, 4).astype(int)
    first_year = seen.groupby("dredge_id")["year"].min()
    seen["first_year"] = seen["dredge_id"].map(first_year)
    rows = []
    for river in rivers:
        on_river = seen[seen["river"] == river]
        for year in years:
            that_year = on_river[on_river["year"] == year]
            new = that_year[that_year["first_year"] == year]["dredge_id"].nunique()
            rows.append(
                {
                    "river": river,
                    "year": year,
                    "unique_dredges": int(that_year["dredge_id"].nunique()),
                    "new_dredges": int(new),
                }
            )
    return pd.DataFrame(rows, columns=["river", "year", "unique_dredges", "new_dredges"])
