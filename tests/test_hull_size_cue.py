"""The box-size benchmark: a hull's length plus width from its axis-aligned box."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from benchmarks.hull_size_cue import matched_sizes, size_pairs, veto_table

CRS = "EPSG:32718"


def write_case(tmp_path: Path, hulls: list[tuple[str, float, float, float, float]]) -> None:
    """Truth and the exact bounding box of each hull (id, x, length, width, heading)."""
    rows, boxes = [], []
    for k, (dredge, x, length, width, heading) in enumerate(hulls):
        y = 9_000_000.0
        scene = f"s{k // 2}"
        rows.append((dredge, "R", scene, f"2024-0{1 + k // 2}-01T15:00:00Z", x, y, CRS,
                     length, width, heading, True))  # fmt: skip
        hull = shapely.affinity.rotate(
            shapely.box(x - length / 2, y - width / 2, x + length / 2, y + width / 2),
            90 - heading,
        )
        boxes.append((scene, "dredge", 0.8, shapely.box(*hull.bounds)))
    world = tmp_path / "world" / "truth"
    world.mkdir(parents=True)
    pd.DataFrame(
        rows,
        columns=["dredge_id", "river", "scene", "acquired", "x", "y", "crs", "length_m",
                 "width_m", "heading_deg", "visible"],
    ).to_csv(world / "dredges.csv", index=False)  # fmt: skip
    frame = pd.DataFrame(boxes, columns=["scene", "class_name", "score", "geometry"])
    run = tmp_path / "run"
    run.mkdir()
    gpd.GeoDataFrame(frame, crs=CRS).to_crs("EPSG:4326").to_parquet(run / "detections.parquet")


def test_box_size_is_length_plus_width_at_any_heading(tmp_path: Path) -> None:
    hulls = [("A", 500_000.0, 20.0, 8.0, 90.0), ("B", 500_200.0, 14.0, 6.0, 90.0),
             ("A", 500_010.0, 20.0, 8.0, 30.0), ("B", 500_200.0, 14.0, 6.0, 135.0)]  # fmt: skip
    write_case(tmp_path, hulls)
    sizes = matched_sizes(tmp_path / "world", tmp_path / "run")
    assert len(sizes) == 4
    np.testing.assert_allclose(sizes["box_size_m"], sizes["true_size_m"], atol=0.05)
    same, different = size_pairs(sizes)
    np.testing.assert_allclose(same, [0.0, 0.0], atol=0.1)
    assert np.all(np.abs(different - 8.0) < 0.1)
    table = veto_table(same, different)
    assert table.iloc[0, 1] == 0.0 and table.iloc[0, 2] == 1.0  # a 2 m veto refuses only A–B
