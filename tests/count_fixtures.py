"""Tables and files for the counts tests (test_counts*.py): two dredges tracked over 2024–2025, a
strip scene around the straight river, hand marks with their rivers file, and `dredge counts` on
tables edited by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from typer.testing import CliRunner

from detector.cli import app
from detector.tracking import link_tracks
from tests import track_fixtures as tf
from tests.geo_fixtures import SceneFixture, write_scene
from tests.track_fixtures import straight_line


def two_year_world() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Dredge A in 2024 and 2025 (moving 1.5 km in 2025), dredge B only in 2025."""
    line = straight_line()
    net = tf.network(line)
    y24 = [pd.Timestamp("2024-03-01 14:00", tz="UTC") + pd.Timedelta(days=7 * k) for k in range(4)]
    y25 = [pd.Timestamp("2025-01-02 14:00", tz="UTC") + pd.Timedelta(days=7 * k) for k in range(6)]
    a0, a1, b = tf.point_at(line, 2000), tf.point_at(line, 3500), tf.point_at(line, 500)
    rows = [(t, a0) for t in y24 + y25[:3]] + [(t, a1) for t in y25[3:]] + [(t, b) for t in y25]
    dets = tf.detections(rows, net)
    linked, tracks = link_tracks(dets, tf.observed(y24 + y25))
    return linked, tracks


def write_strip_scene(path: Path) -> SceneFixture:
    """A scene of 8 km × 800 m around :func:`straight_line` (20 m pixels)."""
    return write_scene(path, gsd_m=20.0, width=400, height=40, centre_lonlat=(-73.40, -3.80))


def write_inputs(folder: Path) -> tuple[Path, Path]:
    """A hand-marked CSV (dates in mixed formats, one point off the river) and the rivers."""
    line = straight_line()
    rivers = folder / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    boxes = tf.detections([(t, tf.point_at(line, 1000)) for t in tf.dates(3)])
    centres = boxes.to_crs(tf.CRS).centroid.to_crs("EPSG:4326")
    table = pd.DataFrame(
        {
            "acquired": ["2024-01-03T14:30:00Z", "2024-01-10 09:30:00-05:00", "2024-01-17"],
            "lon": centres.x.to_numpy(),
            "lat": centres.y.to_numpy(),
        }
    )
    table.loc[len(table)] = ["2024-01-17", -73.0, -3.0]  # far from every river
    marked = folder / "marked.csv"
    table.to_csv(marked, index=False)
    return marked, rivers


def _count_edited(tmp_path: Path, tracks: pd.DataFrame, linked: pd.DataFrame) -> Any:
    tracks.to_parquet(tmp_path / "tracks.parquet")
    linked.to_parquet(tmp_path / "tracks.detections.parquet")
    args = ["counts", str(tmp_path / "tracks.parquet"), "--out", str(tmp_path / "c.csv")]
    return CliRunner().invoke(app, [*args, "--gpkg", str(tmp_path / "d.gpkg")])
