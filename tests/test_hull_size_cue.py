"""The box-size benchmark: a hull's length plus width from its axis-aligned box."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from benchmarks.hull_size_cue import (
    RESULTS,
    broken_per_fixed_column,
    false_move_shares,
    matched_sizes,
    share_range,
    size_pairs,
    veto_table,
)

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
    table = veto_table(same, different, (0.01, 0.02))
    assert table.iloc[0, 1] == 0.0 and table.iloc[0, 2] == 1.0  # a 2 m veto refuses only A–B


DEDUP = """# Tracking dedup benchmark

| world | tracking | detections | moves | false moves | tracking s |
|---|---|---|---|---|---|
| simulated, seed 1 | observed areas | 12,107 | 2,252 | 27 | 0.35 |
| simulated, seed 1 | no observed areas | 12,107 | 2,460 | 44 | 0.32 |
| simulated, seed 1 | truth identities | 13,037 | — | — | — |
| simulated, seed 1, no returns | observed areas | 12,673 | 2,214 | 45 | 0.42 |

| river | year | moves |
|---|---|---|
| R00 | 2023 | 7 |
"""


def test_false_share_is_read_from_the_dedup_results(tmp_path: Path) -> None:
    """The cue benchmarks took 1 % of links to be false, citing tracking_dedup.md, whose rows
    `observed areas` measure 1.2–3.8 %; they read those rows now, and their results quote the
    range."""
    path = tmp_path / "tracking_dedup.md"
    path.write_text(DEDUP)
    shares = false_move_shares(path)
    assert shares["world"].tolist() == ["simulated, seed 1", "simulated, seed 1, no returns"]
    assert shares["moves"].tolist() == [2252, 2214]
    assert share_range(shares) == pytest.approx((27 / 2252, 45 / 2214))
    table = veto_table(np.array([0.0, 3.0]), np.array([3.0, 3.0]), share_range(shares))
    assert table[broken_per_fixed_column(45 / 2214)].iloc[0] == pytest.approx(
        (1 - 45 / 2214) * 0.5 / (45 / 2214)
    )

    low, high = share_range(false_move_shares())  # the committed results
    for name in ("hull_size_cue", "colour_cue"):
        text = (RESULTS / f"{name}.md").read_text()
        assert broken_per_fixed_column(low) in text and broken_per_fixed_column(high) in text
        assert f"from {low:.1%} to {high:.1%}" in text


def test_dedup_results_without_observed_areas_rows_stop_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "tracking_dedup.md"
    path.write_text("# Tracking dedup benchmark\n\nnothing measured yet\n")
    with pytest.raises(SystemExit, match=r"no row 'observed areas'.*benchmarks\.tracking_dedup"):
        false_move_shares(path)
