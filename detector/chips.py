"""Chips for labelling and inspection: the work behind ``dredge tiles``.

For each scene: open it, plan its tiles along the river corridors, read each tile at the
model's GSD and bands and write it as a PNG (8-bit, 1 or 3 bands) or a GeoTIFF (float32 in
[0, 1], georeferenced, NaN where the scene has no data). The index ``tiles.parquet``
(GeoParquet, footprints in EPSG:4326) has one row per chip. A scene that cannot be used is
reported in one line, recorded in ``failures.csv``, and the batch goes on.

A scene's chips are cut into ``OUT/.chips.partial`` and moved under ``OUT/chips`` once the
index lists them (it is written again as the batch grows), so that a batch stopped at any moment
leaves an index that lists every chip in ``chips/`` (see :func:`run_tiles`).

Which files are scenes (a folder's GeoTIFFs, less UDM masks and hidden files) is
:mod:`detector.scene_files`, whose names are imported from here too.
"""

from __future__ import annotations

import csv
import errno
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from PIL import Image
from rich.progress import Progress

from detector.acquisition import is_remote, scene_labels, scene_stem
from detector.card import GSD_RANGE_M, TILE_RANGE_PX
from detector.date_tables import date_for_scene
from detector.errors import DredgeError, NameTooLongError, OutputError, UsageError
from detector.file_identity import same_file
from detector.inputspec import MIN_TILE_PX, SCALES, InputSpec, parse_bands
from detector.misplaced import no_river_error
from detector.progress import progress_bar
from detector.rivers import RiverNetwork
from detector.scene import WindowData, open_scene, reading_env
from detector.scene_files import OTHER_RASTER_SUFFIXES as OTHER_RASTER_SUFFIXES
from detector.scene_files import SCENE_SUFFIXES as SCENE_SUFFIXES
from detector.scene_files import expand_scene_paths as expand_scene_paths
from detector.scene_files import is_mask_file as is_mask_file
from detector.scene_files import is_scene_file as is_scene_file
from detector.scene_files import no_scenes_message as no_scenes_message
from detector.scene_files import scenes_in_subfolders as scenes_in_subfolders
from detector.scene_lines import SceneLines
from detector.tiling import Coverage, Tile, TilePlan, coverage, plan_scene
from detector.wording import agree, count_of
from detector.writing import output_error, write_atomic

FORMATS = ("png", "tif")
PNG_BAND_COUNTS = (1, 3)
INDEX_NAME = "tiles.parquet"
FAILURES_NAME = "failures.csv"
INDEX_COLUMNS = (
    "tile_id",
    "scene",
    "scene_name",
    "acquired",
    "sensor",
    "river",
    "rivers",
    "row",
    "col",
    "window",  # [col_off, row_off, width, height] on the scene's grid at gsd_m
    "transform",  # [a, b, c, d, e, f]: chip pixel (col, row) → x, y in crs
    "crs",
    "gsd_m",
    "bands",
    "scale",
    "valid_fraction",
    "clear_fraction",
    "chip",  # path relative to the output folder
    "geometry",  # footprint, EPSG:4326
)


@dataclass
class TilesRun:
    """What a ``dredge tiles`` batch did."""

    coverages: list[Coverage] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tiles(self) -> int:
        """Chips written."""
        return len(self.rows)


def tiles_spec(
    bands: str, gsd: float, tile_px: int, overlap_px: int, scale: str, fmt: str
) -> InputSpec:
    """The chips' input spec from `dredge tiles`' options, a value out of range a UsageError
    naming the option typed (``--tile-px 8`` said 'tile_px must be at least 16', a name the
    user never typed, as did ``--overlap-px``, ``--gsd`` and ``--scale``)."""
    low, high = GSD_RANGE_M
    if not low <= gsd <= high:  # inf and nan included
        raise UsageError(f"--gsd {gsd:g} is outside {low:g}–{high:g} m per pixel")
    if tile_px < MIN_TILE_PX:
        raise UsageError(f"--tile-px {tile_px} is under {MIN_TILE_PX} px")
    if not 0 <= overlap_px <= tile_px // 2:
        raise UsageError(
            f"--overlap-px {overlap_px} is not between 0 and half of --tile-px ({tile_px // 2})"
        )
    if scale not in SCALES:
        raise UsageError(f"--scale must be one of {', '.join(SCALES)}, got {scale!r}")
    spec = InputSpec(parse_bands(bands, "--bands"), gsd, tile_px, overlap_px, scale)
    check_format(fmt, spec)
    return spec


def check_format(fmt: str, spec: InputSpec) -> None:
    """Raise UsageError when ``fmt`` cannot hold the spec's bands, or when ``--gsd`` or
    ``--tile-px`` lie outside what a model card may give (``--gsd 0.01`` still read the first
    scene, 300 times upsampled, after minutes; ``--tile-px 100000`` was an ArrayMemoryError
    traceback, 74.5 GiB)."""
    low, high = GSD_RANGE_M
    if not low <= spec.gsd_m <= high:
        raise UsageError(f"--gsd {spec.gsd_m:g} is outside {low:g}–{high:g} m per pixel")
    if spec.tile_px > TILE_RANGE_PX[1]:
        raise UsageError(f"--tile-px {spec.tile_px} is over {TILE_RANGE_PX[1]} px")
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt == "png" and len(spec.bands) not in PNG_BAND_COUNTS:
        raise UsageError(
            f"PNG chips hold 1 or 3 bands, not {len(spec.bands)} "
            f"({', '.join(spec.bands)}); use --format tif"
        )


CHIPS_DIR = "chips"
PARTIAL_DIR = ".chips.partial"  # the chips of the scene being cut
LABEL_SUFFIXES = (".txt", ".xml", ".json")  # what labelling tools write beside images


def check_chips_folder(out: Path) -> None:
    """DredgeError when ``OUT/chips`` holds files: chips of an earlier run, perhaps labelled
    in place. They were rewritten without ``--overwrite`` (a chip's name is its place in the
    grid, so another overlap or size gave a name another window): labels then described other
    pixels, and on 11 chips dredge F1 went from 0.87 to 0.37 without a word."""
    folder = out / CHIPS_DIR
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    if not files:
        return
    labels = sum(p.suffix.lower() in LABEL_SUFFIXES for p in files)
    what = f", {labels} of them labels" if labels else ""
    raise DredgeError(
        f"{folder}: holds {count_of(len(files), 'file')} of an earlier run{what} — choose another "
        "--out, "
        "or pass --overwrite (its chips are removed and cut again; labels are kept)"
    )


def clear_old_chips(out: Path) -> list[str]:
    """Remove the chips an earlier run listed in ``OUT/tiles.parquet`` (``--overwrite``): its
    chips that this run does not cut again stayed beside the new ones (31 stale 1.5 m chips
    beside 11 new 3 m ones, read as tiles by a labelling tool). Notes on label files kept."""
    index = out / INDEX_NAME
    if index.is_file():
        try:
            listed = pd.read_parquet(index, columns=["chip"])["chip"].astype(str)
        except Exception:  # not an index this tool wrote: nothing is removed
            listed = pd.Series([], dtype=str)
        for chip in listed:
            (out / chip).unlink(missing_ok=True)
        write_index([], index)  # it lists none of them now
    folder = out / CHIPS_DIR
    labels = [p for p in folder.rglob("*") if p.suffix.lower() in LABEL_SUFFIXES]
    if not labels:
        return []
    return [
        f"{folder}: {count_of(len(labels), 'label file')} of the earlier run kept (e.g. "
        f"{labels[0].relative_to(out)}); "
        f"{agree(len(labels), 'the chip it labels is', 'the chips they label are')} cut again or "
        f"gone — check {agree(len(labels), 'it', 'them')} against the new chips"
    ]


def earlier_chips_refused(exc: OSError, out: Path) -> OutputError:
    """The one line for an earlier run's chips that ``--overwrite`` could not look through or
    remove (:func:`earlier_scene_names`, :func:`clear_old_chips`): a folder under ``OUT/chips``
    made read-only ended ``dredge tiles`` in a PermissionError traceback."""
    named = Path(os.fsdecode(exc.filename)) if exc.filename else out / CHIPS_DIR
    folder = named if named.is_dir() else named.parent
    reason = exc.strerror or type(exc).__name__
    return OutputError(
        folder,
        f"the earlier run's chips in it could not be cleared ({reason})",
        f"make {folder} writable and readable (chmod u+rwx), or choose another --out",
    )


def earlier_scene_names(out: Path, paths: Sequence[str]) -> dict[str, str]:
    """Names the chips in ``OUT`` were cut under (``--overwrite``), by scene path, for
    :func:`detector.acquisition.scene_labels`: a scene of the earlier run in ``tiles.parquet``
    given again (by any spelling) keeps its name; another scene of that file name gets one
    none of them had, as does one named like a chip folder that holds only label files (kept
    from a run before, their chips gone). Its chips took the earlier scene's names
    (``planet/a/scene.tif``, then ``planet/b/scene.tif``), and the label files kept were read
    for the other scene's pixels (9 of 11 on a demo scene)."""
    try:
        frame = pd.read_parquet(out / INDEX_NAME, columns=["scene", "scene_name"])
    except Exception:  # none, or not an index this tool wrote: no scene keeps a name
        frame = pd.DataFrame({"scene": [], "scene_name": []})
    earlier = dict(zip(frame["scene"].astype(str), frame["scene_name"].astype(str), strict=True))
    names = dict(earlier)
    for path in paths:
        for old, name in earlier.items():
            if path != old and _same_file(path, old):
                names[path] = name
    stems = {scene_stem(name) for name in earlier.values()}
    folders = (out / CHIPS_DIR).iterdir() if (out / CHIPS_DIR).is_dir() else iter(())
    for folder in folders:
        kinds = {p.suffix.lower() for p in folder.iterdir()} if folder.is_dir() else set()
        orphans = bool(kinds & set(LABEL_SUFFIXES)) and not kinds & {f".{f}" for f in FORMATS}
        if orphans and folder.name not in stems:  # a folder is no scene path
            names[str(folder)] = f"{folder.name}.tif"
    return names


def _same_file(path: str, old: str) -> bool:
    if is_remote(path) or is_remote(old):
        return False
    try:
        return same_file(path, old)  # inode 0 on every file: not any two files
    except OSError:
        return False


def run_tiles(
    scene_paths: Sequence[str | Path] | str | Path,
    rivers: RiverNetwork,
    out: str | Path,
    spec: InputSpec,
    *,
    fmt: str = "png",
    bands: Sequence[str] | None = None,
    date: datetime | str | None = None,
    dates: Mapping[str, datetime] | None = None,
    echo: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
    progress: bool = True,
    taken: Mapping[str, str] | None = None,
) -> TilesRun:
    """Tile every scene, write chips, ``tiles.parquet`` and (when some failed) ``failures.csv``.

    The failures are written again after each scene, and the index whenever the scenes cut
    since it was last written hold as many chips as it lists (so that a batch of thousands of
    scenes writes it a few times, not once per scene); a scene's chips are moved into
    ``chips/`` only once the index lists them, so that stopped at any moment (Ctrl-C, a kill)
    the index lists every chip in ``chips/``, and ``--overwrite`` removes them all.
    Written once at the end, a batch killed half-way under ``--overwrite`` left the earlier
    run's index beside the new chips: of 68 chips it listed, 55 were gone and 13 were the new
    run's pixels under the old names (another tile size), and 2 new chips were listed nowhere.
    A scene that failed half-way (a read error) left the chips it had cut, listed nowhere.

    ``scene_paths``: GeoTIFFs, folders of them or URLs; one given alone is one item, as in
    :func:`~detector.detect.detect_scenes` (:func:`expand_scene_paths`: a folder given alone
    as a ``str`` was read character by character, each a failed scene, and no chip cut).
    ``taken`` maps scene paths to names an earlier run gave (:func:`earlier_scene_names`).
    ``out`` may be a ``str`` or a :class:`~pathlib.Path` (a str stopped on "'str' object has
    no attribute 'mkdir'")."""
    check_format(fmt, spec)
    scene_paths = expand_scene_paths(scene_paths)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    index, failures, partial = out / INDEX_NAME, out / FAILURES_NAME, out / PARTIAL_DIR
    shutil.rmtree(partial, ignore_errors=True)  # a killed batch's scene, never listed
    write_index([], index)
    write_failures([], failures)
    run = TilesRun()
    bar = progress_bar(progress)  # off where stderr is no terminal: rich wrote an empty line
    pending: list[dict[str, Any]] = []  # rows of scenes cut, their chips not yet in place
    lines = SceneLines(echo)  # a product's metadata said once for its tiles
    try:
        with reading_env(), bar:
            names = scene_labels(scene_paths, taken=taken)
            for path in scene_paths:
                explicit = date_for_scene(dates, path, names[path]) if dates else None
                try:
                    rows, cover, told = _tile_scene(
                        path, rivers, out, spec, fmt, bands, explicit or date, bar, names[path]
                    )
                except DredgeError as exc:
                    if isinstance(exc, OutputError) and not isinstance(exc, NameTooLongError):
                        raise  # the disk, not the scene: the other scenes would fail the same way
                    warn(f"error: {exc}")
                    run.failures.append((path, str(exc)))
                    write_failures(run.failures, failures)
                    _drop_unlisted(out, pending)  # the chips it cut before it failed
                    continue
                run.rows += rows
                pending += rows
                if len(pending) >= len(run.rows) - len(pending):  # as many as listed: O(n) writes
                    _list_and_place(run.rows, pending, out)
                run.coverages.append(cover)
                lines("; ".join([cover.summary(), *told]))
            _list_and_place(run.rows, pending, out)
    finally:  # stopped or done: chips never listed go
        shutil.rmtree(partial, ignore_errors=True)
    return run


def _list_and_place(rows: list[dict[str, Any]], pending: list[dict[str, Any]], out: Path) -> None:
    """Write the index of ``rows``, then move the chips of ``pending`` (the last of ``rows``)
    into place and empty it: a kill in between leaves listed chips missing, never chips that no
    index lists."""
    write_index(rows, out / INDEX_NAME)
    _move_chips(pending, out)
    pending.clear()


def _drop_unlisted(out: Path, pending: list[dict[str, Any]]) -> None:
    """Remove the files in ``OUT/.chips.partial`` that are not chips of ``pending``."""
    keep = {_partial_chip(out, row["chip"]) for row in pending}
    for path in sorted((out / PARTIAL_DIR).rglob("*"), reverse=True):
        if path.is_file() and path not in keep:
            path.unlink()


def _move_chips(rows: list[dict[str, Any]], out: Path) -> None:
    """Move the chips of ``rows`` from ``OUT/.chips.partial`` to their place in ``OUT``."""
    for row in rows:
        chip = out / row["chip"]
        try:
            chip.parent.mkdir(parents=True, exist_ok=True)
            _move(_partial_chip(out, row["chip"]), chip)
        except OSError as exc:
            raise output_error(exc, chip) or exc from exc


def _move(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``; copied, then removed, where ``chips/`` is on another
    disk than ``OUT`` (a link or a mount: EXDEV), into which the chips were written before."""
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        write_atomic(target, lambda tmp: shutil.copyfile(source, tmp))  # whole, or none
        source.unlink()


def _partial_chip(out: Path, chip: str) -> Path:
    """Where the chip listed as ``chip`` (``chips/<scene>/<tile>.png``) is cut."""
    return out / PARTIAL_DIR / Path(chip).relative_to(CHIPS_DIR)


def _tile_scene(
    path: str,
    rivers: RiverNetwork,
    out: Path,
    spec: InputSpec,
    fmt: str,
    bands: Sequence[str] | None,
    date: datetime | str | None,
    bar: Progress,
    name: str,
) -> tuple[list[dict[str, Any]], Coverage, list[str]]:
    """The scene's index rows, its coverage, and what reading it could not be sure of (band
    layout, values, date: as `dredge detect` says them; a scene with bands in another order
    than its header suggests was tiled with red and blue swapped without a word). Its chips
    are written under ``OUT/.chips.partial`` (:func:`_move_chips` puts them in place)."""
    with open_scene(path, date=date, bands=bands, name=name) as scene:
        for band in spec.bands:
            scene.band_index(band)
        plan = plan_scene(scene, rivers, spec)
        if not plan.overlaps_river:
            raise no_river_error(scene, rivers)
        task = bar.add_task(scene.name, total=len(plan.tiles))
        folder = Path(CHIPS_DIR) / scene.stem
        rows = []
        for tile in plan.tiles:
            chip = folder / f"{tile.tile_id}.{fmt}"
            write_chip(plan.read(tile), _partial_chip(out, chip.as_posix()), fmt)
            rows.append(_index_row(plan, tile, chip))
            bar.advance(task)
        bar.remove_task(task)
        told = [t for t in (scene.values_read_as, scene.layout_caveat, scene.date_caveat) if t]
        return _to_wgs84(rows, plan), coverage(plan), told


def _index_row(plan: TilePlan, tile: Tile, chip: Path) -> dict[str, Any]:
    window = tile.window
    t = tile.transform
    return {
        "tile_id": tile.tile_id,
        "scene": tile.scene,
        "scene_name": tile.scene_name,
        "acquired": plan.scene.acquired,
        "sensor": plan.scene.sensor,
        "river": tile.river,
        "rivers": ",".join(tile.rivers),
        "row": tile.row,
        "col": tile.col,
        "window": [int(window.col_off), int(window.row_off), int(window.width), int(window.height)],
        "transform": [t.a, t.b, t.c, t.d, t.e, t.f],
        "crs": tile.crs.to_string(),
        "gsd_m": plan.spec.gsd_m,
        "bands": ",".join(plan.spec.bands),
        "scale": plan.spec.scale,
        "valid_fraction": tile.valid_fraction,
        "clear_fraction": tile.clear_fraction,
        "chip": chip.as_posix(),
        "geometry": tile.footprint,
    }


def _to_wgs84(rows: list[dict[str, Any]], plan: TilePlan) -> list[dict[str, Any]]:
    """Footprints of one scene's rows from the scene's CRS to EPSG:4326."""
    if not rows:
        return rows
    footprints = gpd.GeoSeries([row["geometry"] for row in rows], crs=plan.scene.crs)
    for row, geom in zip(rows, footprints.to_crs("EPSG:4326"), strict=True):
        row["geometry"] = geom
    return rows


def write_chip(window: WindowData, path: Path, fmt: str) -> None:
    """Write one chip: PNG (8-bit, 1 or 3 bands) or GeoTIFF (float32, NaN = no data)."""
    write_atomic(path, lambda tmp: _write_chip(window, tmp, fmt))


def _write_chip(window: WindowData, path: Path, fmt: str) -> None:
    if fmt == "png":
        pixels = np.rint(window.data * 255).astype(np.uint8)
        image = pixels[0] if pixels.shape[0] == 1 else np.moveaxis(pixels, 0, -1)
        Image.fromarray(image).save(path, compress_level=1)
        return
    data = np.where(window.valid, window.data, np.float32(np.nan)).astype(np.float32)
    bands, height, width = data.shape
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=bands,
        dtype="float32",
        crs=window.crs,
        transform=window.transform,
        nodata=float("nan"),
        compress="deflate",
    ) as dst:
        dst.write(data)
        for index, band in enumerate(window.bands, start=1):
            dst.set_band_description(index, band)


def write_index(rows: list[dict[str, Any]], path: Path) -> None:
    """Write the chip index as GeoParquet (EPSG:4326), empty with its columns when no chips."""
    frame = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=list(INDEX_COLUMNS)), geometry="geometry", crs="EPSG:4326"
    )
    frame["acquired"] = pd.to_datetime(frame["acquired"], utc=True)
    write_atomic(path, frame.to_parquet)


def write_failures(failures: list[tuple[str, str]], path: Path) -> None:
    """Write ``scene,error`` rows; remove a stale file when nothing failed."""
    if not failures:
        path.unlink(missing_ok=True)
        return
    write_atomic(path, failures_writer(failures))


def failures_writer(failures: list[tuple[str, str]]) -> Callable[[Path], None]:
    """What writes ``failures`` as ``scene,error`` rows to the path it is given."""

    def write(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8-sig") as handle:  # Excel: Marañón
            writer = csv.writer(handle)
            writer.writerow(["scene", "error"])
            writer.writerows(failures)

    return write
