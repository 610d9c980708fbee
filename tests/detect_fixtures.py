"""Scenes for the batch detection tests: a 600 px scene at 3 m with a diagonal river and bright
dredges painted on it (one cut by tile edges, a pair 18 m apart, one off the river), where they
are on the map, and its rivers file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio

from tests.geo_fixtures import SceneFixture, write_rivers, write_scene

PLANET = "20240115_143000_00_2400_3B_AnalyticMS_SR.tif"
# Bright dredges as (row0, row1, col0, col1) pixel ranges of a 600 × 600 px scene at 3 m. Tiles
# of 256 px with 32 px overlap start at 0, 224 and 344 on both axes.
EDGE_CUT = (240, 244, 250, 262)  # across col 256 and inside rows 224–256: in four tiles
PAIR = ((341, 345, 338, 350), (347, 351, 338, 350))  # 18 m apart, cut by row and col 344
OFF_RIVER = (20, 24, 200, 212)  # 390 m from the river: outside the corridor
DREDGES = (EDGE_CUT, *PAIR)


def _scene(path: Path, *, crs: str = "EPSG:32718", **kwargs: object) -> SceneFixture:
    """A 600 px scene with a diagonal river and the bright dredges painted on it."""
    gsd = 3.0 / 111_320 if crs == "EPSG:4326" else 3.0
    fixture = write_scene(
        path, crs=crs, gsd_m=gsd, width=600, height=600, dredge_fractions=(), **kwargs
    )
    with rasterio.open(path, "r+") as dst:
        data = dst.read()
        for row0, row1, col0, col1 in (*DREDGES, OFF_RIVER):
            data[:, row0:row1, col0:col1] = 9000 if data.dtype == np.uint16 else 250
        dst.write(data)
    return fixture


def _rivers(tmp_path: Path, fixture: SceneFixture) -> Path:
    return write_rivers(tmp_path / "rivers.geojson", {"nanay": fixture.river}, crs=fixture.crs)
