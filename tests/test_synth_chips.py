"""Chips of a synthetic scene (`render_scene`): other GSDs and styles, a scene's grid over all of
its footprint, bounds in degrees or an unknown style refused in one line, and the catalogue's
rivers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from pyproj import Transformer
from shapely import box

from detector.errors import DredgeError
from tests.synth_fixtures import ONE_RIVER, _first_dredge
from training.synth.catalogue import RIVER_CATALOGUE
from training.synth.render import Grid
from training.synth.scenes import is_visible
from training.synth.world import build_world
from training.synth.writer import render_scene


def test_other_gsd_and_rgb8_chip() -> None:
    river, scene, bounds = _first_dredge()
    grid, chip = render_scene(river, scene, 0.5, "rgb8", bounds=bounds)
    assert chip.shape == (3, 160, 160) and chip.dtype == np.uint8
    assert grid.gsd == 0.5
    centre = chip[:, 75:85, 75:85].astype(float).mean(axis=0).max()
    assert centre > np.median(chip.astype(float).mean(axis=0)) + 40  # the hull stands out
    _, coarse = render_scene(river, scene, 4.77, "planetscope", bounds=bounds)
    assert coarse.shape == (4, 17, 17) and coarse.dtype == np.uint16


def test_a_scene_at_any_gsd_holds_all_of_its_footprint() -> None:
    """At a GSD that does not divide the 3 km scene (9 m: 333.3 px), the grid was rounded down
    to 333 px: the last 3 m of the footprint, where the truth calls a dredge visible, were not
    in the image (8 m at 17 m)."""
    river = build_world(ONE_RIVER).rivers[0]
    scene = replace(river.scenes[0], footprint=box(*river.scenes[0].bounds), cloud_cover=0.0)
    _, miny, maxx, _ = scene.bounds
    x, y = maxx - 1.0, miny + 1.0  # a dredge 1 m inside the bottom-right corner
    assert is_visible(scene, x, y)
    for gsd in (3.0, 9.0, 17.0, 0.3, 4.77):
        grid = Grid.over(scene.bounds, gsd)
        col, row = ~grid.transform @ (x, y)
        assert col < grid.width and row < grid.height, gsd
        assert grid.width * gsd - (maxx - scene.bounds[0]) < gsd  # and less than a pixel more
    assert (Grid.over(scene.bounds, 3.0).width, Grid.over(scene.bounds, 0.3).width) == (1000, 10000)


def test_a_chip_given_in_degrees_is_one_line() -> None:
    """Bounds in lon/lat (the truth's lon and lat, not its x and y) ended in "ValueError:
    zero-size array to reduction operation minimum" (80 m around a dredge), or drew a chip of
    nodata without a word (2 × 2 px for a degree, and 1 × 1 px for 80 m once the grid covers
    its bounds)."""
    river, scene, bounds = _first_dredge()
    to_wgs84 = Transformer.from_crs(river.crs, "EPSG:4326", always_xy=True)
    west, south = to_wgs84.transform(bounds[0], bounds[1])
    east, north = to_wgs84.transform(bounds[2], bounds[3])
    with pytest.raises(DredgeError, match=r"lie outside the scene .* not in degrees"):
        render_scene(river, scene, 0.5, "rgb8", bounds=(west, south, east, north))
    _, chip = render_scene(river, scene, 0.5, "rgb8", bounds=bounds)  # metres: drawn
    assert chip.shape == (3, 160, 160) and chip.max() > 0


def test_a_chip_of_an_unknown_style_is_one_line() -> None:
    """`render_scene(..., "RGB8")` drew a 4-band uint16 chip (the planetscope style) without a
    word, where `dredge synth --style RGB8` is refused."""
    river, scene, bounds = _first_dredge()
    with pytest.raises(DredgeError, match="unknown style 'RGB8'; use one of: planetscope, rgb8"):
        render_scene(river, scene, 0.5, "RGB8", bounds=bounds)


def test_styles_of_another_place_change_water_and_roofs() -> None:
    river, scene, bounds = _first_dredge()
    chips = {style: render_scene(river, scene, 0.5, style, bounds=bounds)[1].astype(float)
             for style in ("rgb8", "rgb8-green", "rgb8-shift")}  # fmt: skip
    corner = (slice(None), slice(0, 12), slice(0, 12))  # 34 m from the dredge: open water
    red, green, blue = chips["rgb8-green"][corner].mean(axis=(1, 2))
    assert green > red + 15 and green > blue + 15  # Nanay's black water is painted green
    roof = (slice(None), slice(78, 82), slice(78, 82))
    assert np.abs(chips["rgb8-shift"][roof] - chips["rgb8-green"][roof]).mean() > 20  # roofs
    rest = chips["rgb8-shift"][corner] - chips["rgb8-green"][corner]
    assert np.abs(rest).max() == 0  # away from the dredge the two styles are the same picture


def test_every_catalogue_river_has_a_utm_crs() -> None:
    for spec in RIVER_CATALOGUE.values():
        assert spec.epsg in (32717, 32718)
    assert any(spec.dredge_pressure == 0 for spec in RIVER_CATALOGUE.values())
