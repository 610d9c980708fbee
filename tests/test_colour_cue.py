"""The roof-colour benchmark: a box's colour read with the detector's reader, less the water."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from affine import Affine

from benchmarks.colour_cue import box_colours, colour_pairs, features, stays, veto_rows

CRS = "EPSG:32718"
LEFT, TOP, GSD = 500_000.0, 9_000_300.0, 3.0
WATER = {"blue": 0.06, "green": 0.08, "red": 0.07}
ROOFS = {"A": {"blue": 0.20, "green": 0.15, "red": 0.10},  # a blue tarp
         "B": {"blue": 0.10, "green": 0.13, "red": 0.17}}  # fmt: skip  # rust
PLACES = {"A": 500_100.0, "B": 500_200.0}
Y = 9_000_150.0
HAZE = (0.0, 0.05, 0.0)  # added to every band of the scene of each date


def write_world(tmp_path: Path) -> tuple[Path, Path]:
    """Three dates of a 300 m scene (PlanetScope BGRN, reflectance × 10,000): water, a blue
    tarp and a rusty roof; the second date hazy. Truth and each hull's exact box."""
    scenes = tmp_path / "world" / "scenes"
    scenes.mkdir(parents=True)
    truth, boxes = [], []
    for k, haze in enumerate(HAZE):
        name = f"2024010{k + 1}_150000_00_2262_3B_AnalyticMS_SR.tif"
        image = np.zeros((4, 100, 100), dtype=np.float64)
        for i, band in enumerate(("blue", "green", "red")):
            image[i] = WATER[band]
        image[3] = 0.03
        for dredge, x in PLACES.items():
            hull = shapely.box(x - 12, Y - 6, x + 12, Y + 6)
            cols = slice(int((x - 12 - LEFT) / GSD), int((x + 12 - LEFT) / GSD))
            rows = slice(int((TOP - Y - 6) / GSD), int((TOP - Y + 6) / GSD))
            for i, band in enumerate(("blue", "green", "red")):
                image[i, rows, cols] = ROOFS[dredge][band]
            truth.append((dredge, "R", name, f"2024-01-0{k + 1}T15:00:00Z", x, Y, CRS,
                          24.0, 12.0, 90.0, True))  # fmt: skip
            boxes.append((name, "dredge", 0.8, hull))
        profile = {"driver": "GTiff", "width": 100, "height": 100, "count": 4, "crs": CRS,
                   "dtype": "uint16", "transform": Affine(GSD, 0, LEFT, 0, -GSD, TOP)}  # fmt: skip
        with rasterio.open(scenes / name, "w", **profile) as out:
            out.write(np.round((image + haze) * 10_000).astype("uint16"))
    columns = ["dredge_id", "river", "scene", "acquired", "x", "y", "crs", "length_m",
               "width_m", "heading_deg", "visible"]  # fmt: skip
    (tmp_path / "world" / "truth").mkdir()
    pd.DataFrame(truth, columns=columns).to_csv(tmp_path / "world/truth/dredges.csv", index=False)
    frame = pd.DataFrame(boxes, columns=["scene", "class_name", "score", "geometry"])
    run = tmp_path / "run"
    run.mkdir()
    gpd.GeoDataFrame(frame, crs=CRS).to_crs("EPSG:4326").to_parquet(run / "detections.parquet")
    return tmp_path / "world", run


def test_roof_colour_less_the_water_is_the_same_through_haze(tmp_path: Path) -> None:
    world, run = write_world(tmp_path)
    colours = box_colours(world, run)
    assert len(colours) == 6
    tarp = colours[colours["dredge_id"] == "A"]
    np.testing.assert_allclose(tarp["blue"], [0.20, 0.25, 0.20], atol=1e-3)
    np.testing.assert_allclose(tarp["water_blue"], [0.06, 0.11, 0.06], atol=1e-3)

    less = features(colours, less_water=True)
    ids, rivers = colours["dredge_id"].to_numpy(), colours["river"].to_numpy()
    same, different = colour_pairs(ids, rivers, colours["acquired"], less)
    np.testing.assert_allclose(same, 0.0, atol=1e-3)  # haze shifts roof and water alike
    expected = np.linalg.norm([0.10 - 0.17, 0.15 - 0.13, 0.20 - 0.10])
    np.testing.assert_allclose(different, expected, atol=1e-3)

    raw = features(colours, less_water=False)
    same_raw, _ = colour_pairs(ids, rivers, colours["acquired"], raw)
    assert np.all(same_raw > 0.08)  # the hazy date moved the raw colour by 0.05 per band

    rows = veto_rows("less the water", same, different, (0.012, 0.038))
    first = rows[0]
    assert first["same-dredge links refused"] == 0.0
    assert first["different-dredge links refused"] == 1.0
    broken = [key for key in first if str(key).startswith("real links broken")]
    assert broken == [
        "real links broken per false link refused (1.2% false)",
        "real links broken per false link refused (3.8% false)",
    ]
    assert first[broken[0]] == 0.0 and first[broken[1]] == 0.0

    grouped = stays(colours, less, size=3)
    assert sorted(grouped["dredge_id"]) == ["A", "B"]
