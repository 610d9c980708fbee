"""Tile planner: windows of the model's tile size, only where a river corridor meets a scene.

The scene is brought to the model's GSD (:meth:`Scene.grid`) and cut into ``tile_px`` windows
that start every ``tile_px - overlap_px`` pixels; the last row and column are pulled back to
end on the grid's edge, and a scene smaller than one tile gets a single window that reaches past
it (the part outside is read as not valid). Which windows to keep is decided on a coarse raster
whose cells are one stride wide: the corridor is burnt into it with ``all_touched`` and every
touched cell selects the tile that starts in it. Each tile contains its cell, so every point of
the corridor inside the scene lies in at least one tile; the grid over the corridor's bounding
box is never built.

Kept windows are then looked at cheaply (:meth:`Scene.read_validity`): windows with no valid
pixel, or (with a cloud mask: Planet's UDM2, or its older UDM) with no clear pixel, are skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.features import rasterize
from rasterio.windows import Window
from shapely import Polygon

from detector.acquisition import scene_stem
from detector.grid import Grid
from detector.inputspec import InputSpec
from detector.rivers import RiverNetwork
from detector.scene import Scene, WindowData
from detector.wording import count_of


@dataclass(frozen=True)
class Tile:
    """One window to read: where it is on the scene's grid and on the map, and which river."""

    scene: str  # path of the scene
    scene_name: str
    row: int  # tile row and column in the scene's tile grid
    col: int
    window: Window  # on the scene's grid at the spec's GSD
    transform: Affine  # pixel (col, row) of the tile → map x, y in ``crs``
    crs: CRS
    footprint: Polygon  # in ``crs``
    river: str  # the river with the most corridor area in the tile
    rivers: tuple[str, ...]  # every river whose corridor meets the tile
    valid_fraction: float  # share of the window with scene data (coarse estimate)
    clear_fraction: float  # share of the window with data and no cloud or shadow

    @property
    def tile_id(self) -> str:
        """A name unique among the scenes of a run, e.g. ``<scene stem>_r003_c017`` (the stem
        as :func:`~detector.scene_paths.scene_stem` makes it, whose stems a run checks apart)."""
        return f"{scene_stem(self.scene_name)}_r{self.row:03d}_c{self.col:03d}"


@dataclass
class TilePlan:
    """The tiles of one scene and what planning found on the way."""

    scene: Scene
    spec: InputSpec
    grid: Grid
    tiles: list[Tile] = field(default_factory=list)
    row_origins: list[int] = field(default_factory=list)
    col_origins: list[int] = field(default_factory=list)
    candidates: int = 0  # windows the corridor selected
    skipped_nodata: int = 0  # … with no valid pixel
    skipped_cloud: int = 0  # … with data but no clear pixel
    corridor_area: float = 0.0  # corridor area in windows with data (CRS units²)
    covered_area: float = 0.0  # … of which inside kept tiles

    @property
    def overlaps_river(self) -> bool:
        """True when some river corridor meets the scene's data."""
        return self.candidates > self.skipped_nodata

    def read(self, tile: Tile) -> WindowData:
        """Read a tile's pixels (bands, GSD and scaling of the plan's spec)."""
        return self.scene.read_window(tile.window, self.spec, self.grid)


@dataclass(frozen=True)
class Coverage:
    """How much of a scene the tiles read, and how much of the river they cover."""

    scene: str
    tiles: int
    grid_tiles: int  # tiles a whole-scene grid would have
    skipped_nodata: int
    skipped_cloud: int
    pixels_read: int  # pixels of the kept tiles, at the spec's GSD (overlaps counted twice)
    pixels_in_scene: int  # pixels of the scene's grid at the spec's GSD
    whole_scene_pixels: int  # pixels a whole-scene tiling would read
    corridor_fraction: float  # share of the corridor (inside the scene's data) in kept tiles

    @property
    def read_fraction(self) -> float:
        """Pixels read / pixels in the scene."""
        return self.pixels_read / self.pixels_in_scene if self.pixels_in_scene else 0.0

    @property
    def fraction_of_whole_scene_tiling(self) -> float:
        """Pixels read / pixels a whole-scene tiling would read."""
        return self.pixels_read / self.whole_scene_pixels if self.whole_scene_pixels else 0.0

    def summary(self) -> str:
        """One line for people."""
        skipped = []
        if self.skipped_nodata:
            skipped.append(f"{self.skipped_nodata} nodata")
        if self.skipped_cloud:
            skipped.append(f"{self.skipped_cloud} cloud")
        skipped_text = f", skipped {' and '.join(skipped)}" if skipped else ""
        return (
            f"{self.scene}: {count_of(self.tiles, 'tile')} of {self.grid_tiles:,}{skipped_text}; "
            "read "
            f"{self.pixels_read / 1e6:.2f} of {self.pixels_in_scene / 1e6:.2f} Mpx "
            f"({self.read_fraction:.1%}); corridor covered {self.corridor_fraction:.1%}"
        )


def tile_origins(length: int, tile_px: int, stride_px: int) -> list[int]:
    """Window starts along one axis: every ``stride_px``, the last one ending on the edge.

    An axis shorter than a tile gets one window at 0 (it reaches past the edge).
    """
    if length <= tile_px:
        return [0]
    count = math.ceil((length - tile_px) / stride_px) + 1
    return [min(index * stride_px, length - tile_px) for index in range(count)]


def plan_tiles(scene: Scene, rivers: RiverNetwork, spec: InputSpec) -> list[Tile]:
    """The tiles of ``scene`` that meet a river corridor and have clear data."""
    return plan_scene(scene, rivers, spec).tiles


def plan_scene(scene: Scene, rivers: RiverNetwork, spec: InputSpec) -> TilePlan:
    """Plan the tiles of one scene (see the module's docstring)."""
    grid = scene.grid(spec.gsd_m)
    plan = TilePlan(
        scene,
        spec,
        grid,
        row_origins=tile_origins(grid.height, spec.tile_px, spec.stride_px),
        col_origins=tile_origins(grid.width, spec.tile_px, spec.stride_px),
    )
    names, corridors = corridors_in_scene(scene, rivers)
    if not corridors:
        return plan
    selected = _selected_tiles(
        grid, corridors, spec.stride_px, len(plan.row_origins), len(plan.col_origins)
    )
    windows = [
        Window(plan.col_origins[c], plan.row_origins[r], spec.tile_px, spec.tile_px)
        for r, c in selected
    ]
    footprints = [grid.window_footprint(window) for window in windows]
    # areas[i, j]: corridor area of river i inside window j
    areas = np.array([shapely.area(shapely.intersection(footprints, c)) for c in corridors])
    with_data: list[Polygon] = []
    for index, ((row, col), window) in enumerate(zip(selected, windows, strict=True)):
        if not areas[:, index].any():
            continue  # the corridor only touches the window's cell on its outline
        plan.candidates += 1
        valid, clear = scene.read_validity(window, grid)
        if not valid.any():
            plan.skipped_nodata += 1
            continue
        with_data.append(footprints[index])
        if not clear.any():
            plan.skipped_cloud += 1
            continue
        order = [i for i in np.argsort(-areas[:, index], kind="stable") if areas[i, index] > 0]
        plan.tiles.append(
            Tile(
                scene=scene.path,
                scene_name=scene.name,
                row=row,
                col=col,
                window=window,
                transform=grid.window_transform(window),
                crs=scene.crs,
                footprint=footprints[index],
                river=names[order[0]],
                rivers=tuple(names[i] for i in order),
                valid_fraction=float(valid.mean()),
                clear_fraction=float(clear.mean()),
            )
        )
    corridor = shapely.union_all(corridors)
    kept = shapely.union_all([tile.footprint for tile in plan.tiles])
    plan.corridor_area = float(shapely.intersection(corridor, shapely.union_all(with_data)).area)
    plan.covered_area = float(shapely.intersection(corridor, kept).area)
    return plan


def corridors_in_scene(scene: Scene, rivers: RiverNetwork) -> tuple[list[str], list[Polygon]]:
    """River names and their corridors clipped to the scene's outline (empty ones left out)."""
    frame = rivers.corridor(scene.crs)
    names, corridors = [], []
    for name, geom in zip(frame["river"], frame.geometry, strict=True):
        clipped = shapely.intersection(geom, scene.footprint)
        if not clipped.is_empty:
            names.append(str(name))
            corridors.append(clipped)
    return names, corridors


def _selected_tiles(
    grid: Grid, corridors: list[Polygon], stride_px: int, n_rows: int, n_cols: int
) -> list[tuple[int, int]]:
    """(row, col) of the tiles whose cells the corridor touches, row-major.

    Cell k along an axis starts at k × stride; tile min(k, last) contains it.
    """
    cells = burn_cells(grid, corridors, stride_px)
    last_row, last_col = n_rows - 1, n_cols - 1
    rows, cols = np.nonzero(cells)
    pairs = {
        (min(int(r), last_row), min(int(c), last_col)) for r, c in zip(rows, cols, strict=True)
    }
    return sorted(pairs)


def burn_cells(grid: Grid, shapes: list[Polygon], cell_px: int) -> NDArray[np.bool_]:
    """Cells of ``cell_px`` grid pixels that ``shapes`` touch (True), as a coarse raster."""
    shape = (math.ceil(grid.height / cell_px), math.ceil(grid.width / cell_px))
    burnt = rasterize(
        [(geom, 1) for geom in shapes],
        out_shape=shape,
        transform=grid.transform @ Affine.scale(cell_px),
        all_touched=True,
        fill=0,
        dtype="uint8",
    )
    return np.asarray(burnt, dtype=bool)


def coverage(plan: TilePlan) -> Coverage:
    """Pixels read against pixels in the scene, and the share of the corridor covered."""
    grid, tile_px = plan.grid, plan.spec.tile_px
    whole_rows = sum(_inside(start, tile_px, grid.height) for start in plan.row_origins)
    whole_cols = sum(_inside(start, tile_px, grid.width) for start in plan.col_origins)
    pixels_read = sum(
        _inside(int(t.window.row_off), tile_px, grid.height)
        * _inside(int(t.window.col_off), tile_px, grid.width)
        for t in plan.tiles
    )
    fraction = plan.covered_area / plan.corridor_area if plan.corridor_area > 0 else 0.0
    return Coverage(
        scene=plan.scene.name,
        tiles=len(plan.tiles),
        grid_tiles=len(plan.row_origins) * len(plan.col_origins),
        skipped_nodata=plan.skipped_nodata,
        skipped_cloud=plan.skipped_cloud,
        pixels_read=pixels_read,
        pixels_in_scene=grid.pixels,
        whole_scene_pixels=whole_rows * whole_cols,
        corridor_fraction=min(1.0, fraction),
    )


def _inside(start: int, size: int, length: int) -> int:
    """How many of ``size`` pixels from ``start`` fall inside an axis of ``length``."""
    return max(0, min(start + size, length) - start)
