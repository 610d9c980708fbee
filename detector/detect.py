"""Batch inference: scenes and river centerlines in, one table of georeferenced detections out.

For each scene: open it (header only), check it against the model card (bands) and plan its
tiles along the river corridors at the card's GSD (:mod:`detector.tiling`). Tiles are read one
by one and run through the model in batches that may span scenes; boxes go from tile pixels to
the scene's map coordinates, duplicates from overlapping tiles are merged in map space
(:mod:`detector.merge`), each detection is placed on its river (``river``, ``chainage_m``,
``offset_m``) and the scene's detections are reprojected to EPSG:4326. Detections whose centre
lies outside every river corridor are left out (tiles reach past the corridor, and only the
corridor is covered on every date), and so are those whose surroundings are mostly land, read
from the scene's blue, green and NIR bands (:mod:`detector.on_water`: a roof on the bank is the
confuser most like a dredge).

A scene that cannot be used (unreadable, no CRS, no date, no overlap with the rivers, all
nodata, or lacking a band the model needs) is one line naming the file and the fix; it is
recorded in the failures and the other scenes go on.

The table (:data:`~detector.detection_table.DETECTION_COLUMNS`, its files written by
:mod:`detector.detection_table`), one row per detection, EPSG:4326: ``detection_id``
(``<scene stem>_<n>``), ``scene`` (file name; where scenes share one, as NICFI quads of several
months do, the folders that tell them apart joined with ``_``:
:func:`~detector.acquisition.scene_labels`), ``acquired`` (UTC), ``sensor``, ``class_name``,
``score``, ``river``, ``chainage_m``, ``offset_m``, ``geometry`` (box polygon).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from rich.progress import (
    Progress,
    TaskID,
)

from detector.acquisition import scene_labels
from detector.card import ModelCard
from detector.chips import expand_scene_paths
from detector.confluence import settle_confluences
from detector.date_tables import date_for_scene
from detector.detection_table import (
    DETECTION_COLUMNS,
    FORMATS,
    WGS84,
    concat_detections,
    empty_detections,
    output_format,
    typed_detections,
    write_detections,
    write_detections_and_failures,
)
from detector.errors import DredgeError, InputError, UsageError
from detector.merge import (
    DEFAULT_MIN_SEPARATION_M,
    boxes_made_at,
    drop_close_duplicates,
    drop_duplicates_on_one_hull,
    keep_side_by_side_members,
    merge_detections,
    spec_for_merging,
)
from detector.misplaced import no_river_error
from detector.model import DEFAULT_CONF, Detector, load_model
from detector.on_water import (
    DEFAULT_MAX_LAND,
    land_fractions,
    off_channel,
    off_channel_note,
    off_channel_warnings,
)
from detector.progress import progress_bar
from detector.rivers import RiverNetwork
from detector.scene import Scene, WindowData, open_scene, reading_env
from detector.scene_lines import SceneLines
from detector.tiling import Tile, TilePlan, plan_scene
from detector.wording import agree, count_of

__all__ = [  # with the detections table's names (detector.detection_table), imported from here
    "COARSE_RATIO",
    "DEFAULT_BATCH",
    "DETECTION_COLUMNS",
    "FORMATS",
    "WGS84",
    "Failure",
    "SceneCallback",
    "box_rows",
    "check_overlap",
    "coarse_note",
    "concat_detections",
    "detect_scenes",
    "empty_detections",
    "finish_scene",
    "output_format",
    "write_detections",
    "write_detections_and_failures",
]

DEFAULT_BATCH = 16
COARSE_RATIO = 2.0
"""A scene whose pixels are more than this many times the model's GSD is named in a warning:
it is upsampled, and a 20 m dredge is a few blurred pixels (Sentinel-2's 10 m against 3 m)."""
Failure = tuple[str, str]  # (scene path, one-line error)
SceneCallback = Callable[[str, "gpd.GeoDataFrame | None", "str | None"], None]


@dataclass
class _SceneJob:
    """One scene on its way through the batch: tiles read, tiles predicted, raw boxes."""

    path: str
    scene: Scene
    plan: TilePlan
    acquired: datetime
    task: TaskID
    rows: list[dict[str, Any]] = field(default_factory=list)
    pending: int = 0  # tiles read whose boxes have not come back yet
    read_done: bool = False
    error: str | None = None

    @property
    def done(self) -> bool:
        """All tiles read and predicted (or the scene failed)."""
        return self.read_done and (self.pending == 0 or self.error is not None)


def detect_scenes(
    scene_paths: Sequence[str | Path] | str | Path,
    rivers: str | Path | RiverNetwork,
    *,
    model: Detector | str | Path | None = None,
    conf: float = DEFAULT_CONF,
    batch: int = DEFAULT_BATCH,
    device: str = "cpu",
    backend: str = "auto",
    flips: bool = True,
    max_land: float | None = DEFAULT_MAX_LAND,
    bands: Sequence[str] | None = None,
    date: datetime | str | None = None,
    dates: Mapping[str, datetime] | None = None,
    names: Mapping[str, str] | None = None,
    progress: bool = True,
    echo: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
    on_scene: SceneCallback | None = None,
    keep: bool = True,
    on_coarse: Callable[[str, float], None] | None = None,
    on_off_channel: Callable[[str, str, float, int], None] | None = None,
) -> tuple[gpd.GeoDataFrame, list[Failure]]:
    """Detect dredges in scenes; return the detections (EPSG:4326) and the failed scenes.

    ``scene_paths``: GeoTIFFs, folders of them or URLs (one given alone is one item).
    ``rivers``: a centerline file or a
    :class:`RiverNetwork`. ``model``: a loaded detector, a weights path, or None for the
    bundled model (loaded with ``backend`` on ``device``, four flipped views unless ``flips`` is
    False; :mod:`detector.flip_views`). ``max_land``: detections whose surroundings are more
    than this share land are left out (:mod:`detector.on_water`); None or 1 keeps them all.
    ``conf``: the lowest score kept, except that a dredge box side by side with a confident
    one (a group member) is kept from ``MEMBER_CONF_RATIO × conf`` (:mod:`detector.merge`).
    ``bands`` names the scenes' own
    bands; ``date`` / ``dates`` give acquisition times (see :mod:`detector.acquisition`).
    ``names``: each scene's name in the ``scene`` column and detection ids (default: its file
    name, or where scenes share one, a label with the folders that tell them apart; see
    :func:`detector.acquisition.scene_labels`).
    A problem with the model or the rivers raises (it concerns every scene); a problem with
    one scene is reported through ``warn``, recorded in the failures, and the batch goes on.
    ``on_scene(path, detections, None)`` or ``on_scene(path, None, error)`` is called as each
    scene finishes (a resumable run saves it then); with ``keep`` False the detections are
    handed to it only, and an empty table is returned (``dredge run`` held every scene's table
    to the end, about 10 kB a scene, and concatenated them to no use). Scenes much coarser
    than the model reads (:data:`COARSE_RATIO`) get one warning at the end, or
    ``on_coarse(name, gsd_m)`` each; so do rivers whose line lies off the channel
    (:func:`detector.on_water.off_channel`: one warning per river, or
    ``on_off_channel(scene, river, share, points)`` each). Both are called as they are found,
    before ``on_scene`` of their scene.
    """
    if batch < 1:
        raise UsageError(f"batch must be at least 1, got {batch}")
    detector = (
        model
        if isinstance(model, Detector)
        else load_model(model, backend=backend, device=device, flips=flips)
    )
    network = rivers if isinstance(rivers, RiverNetwork) else RiverNetwork.read(rivers)
    paths = expand_scene_paths(scene_paths)
    names = names or scene_labels(paths)
    if max_land is not None and not 0.0 <= max_land <= 1.0:
        raise UsageError(f"max_land must be between 0 and 1, got {max_land}")
    lines = SceneLines(echo)  # a product's metadata said once for its tiles
    runner = _Runner(detector, network, conf, batch, lines, warn, progress_bar(progress))
    runner.max_land = max_land
    runner.on_scene = on_scene
    runner.keep = keep
    if on_coarse is not None:  # told as found (else gathered for one warning at the end)
        runner.on_coarse = on_coarse
    if on_off_channel is not None:
        runner.on_off_channel = on_off_channel
    with reading_env(), runner.bar, runner.model_thread:
        overall = runner.bar.add_task("scenes", total=len(paths))
        runner.overall = overall
        for path in paths:
            when = (date_for_scene(dates, path, names.get(path)) if dates else None) or date
            runner.run_scene(path, bands, when, names.get(path))
        runner.flush()
    if runner.coarse:
        warn(coarse_note(runner.coarse, detector.card))
    for line in off_channel_warnings(runner.off_channel, network.corridor_m):
        warn(line)
    return concat_detections(runner.frames), runner.failures


def coarse_note(coarse: Sequence[tuple[str, float]], card: ModelCard) -> str:
    """One line on scenes much coarser than the model's GSD (see :data:`COARSE_RATIO`)."""
    name, gsd = max(coarse, key=lambda item: item[1])
    scenes = f"{count_of(len(coarse), 'scene')} {agree(len(coarse), 'has', 'have')}"
    return (
        f"warning: {scenes} pixels over {COARSE_RATIO:g} × the "
        f"{card.input.gsd_m:g} m model {card.name} reads (coarsest: {name} at {gsd:.1f} m): "
        f"a 20 m dredge is {count_of(round(20 / gsd), 'pixel')} across there and is upsampled; "
        f"detections on {agree(len(coarse), 'it', 'them')} are unreliable — use imagery of 5 m "
        "or finer (PlanetScope, NICFI, Maxar)"
    )


class _Runner:
    """Feeds tiles of successive scenes to the model in batches and finishes scenes.

    The model runs in a thread of its own: while it works on one batch, the next batch's
    tiles are read (GDAL and onnxruntime/torch release the GIL). One batch is in flight at a
    time, so memory stays at two batches of tiles.
    """

    def __init__(
        self,
        detector: Detector,
        network: RiverNetwork,
        conf: float,
        batch_size: int,
        echo: Callable[[str], None],
        warn: Callable[[str], None],
        bar: Progress,
    ) -> None:
        self.detector = detector
        self.card: ModelCard = detector.card
        self.network = network
        self.conf = conf
        self.batch_size = batch_size
        self.echo = echo
        self.warn = warn
        self.bar = bar
        self.overall: TaskID | None = None
        self.batch: list[tuple[_SceneJob, Tile, WindowData]] = []  # may span scenes
        self.jobs: list[_SceneJob] = []
        self.frames: list[gpd.GeoDataFrame] = []
        self.failures: list[Failure] = []
        self.on_scene: SceneCallback | None = None
        self.keep = True  # each scene's detections in self.frames
        self.max_land: float | None = DEFAULT_MAX_LAND
        self.coarse: list[tuple[str, float]] = []  # (scene, native GSD) much coarser than the model
        self.off_channel: list[tuple[str, str, float, int]] = []  # (scene, river, share, points)
        # each as found, before on_scene; by default gathered in the lists above
        self.on_coarse: Callable[[str, float], None] = lambda *found: self.coarse.append(found)
        self.on_off_channel: Callable[[str, str, float, int], None] = lambda *found: (
            self.off_channel.append(found)
        )
        self.model_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dredge-model")
        self._inflight: tuple[list[tuple[_SceneJob, Tile, WindowData]], Future[Any]] | None = None

    def run_scene(
        self,
        path: str,
        bands: Sequence[str] | None,
        when: datetime | str | None,
        name: str | None = None,
    ) -> None:
        """Open and plan one scene, then read its tiles into batches."""
        try:
            job = self._start(path, bands, when, name)
        except DredgeError as exc:
            self._fail(path, str(exc))
            return
        self.jobs.append(job)
        for tile in job.plan.tiles:
            try:
                window = job.plan.read(tile)
            except DredgeError as exc:
                job.error = str(exc)
                break
            self.batch.append((job, tile, window))
            job.pending += 1
            if len(self.batch) >= self.batch_size:
                self._predict()
        job.read_done = True
        job.scene.forget_reads()  # the scene stays open for the land check of its detections
        self._finish_done()

    def flush(self) -> None:
        """Predict the last partial batch and finish every scene."""
        self._predict()
        self._collect()

    def _start(
        self, path: str, bands: Sequence[str] | None, when: datetime | str | None, name: str | None
    ) -> _SceneJob:
        scene = open_scene(path, date=when, bands=bands, name=name)
        try:
            self.card.check_scene(scene)
            acquired = scene.require_acquired()
            if scene.native_gsd_m > COARSE_RATIO * self.card.input.gsd_m:
                self.on_coarse(scene.name, scene.native_gsd_m)
            plan = plan_scene(scene, self.network, spec_for_merging(self.card.input))
            check_overlap(plan, self.network)
        except BaseException:
            scene.close()
            raise
        task = self.bar.add_task(scene.name, total=len(plan.tiles))
        return _SceneJob(path, scene, plan, acquired, task)

    def _predict(self) -> None:
        """Hand the batch to the model thread (after collecting the batch before it)."""
        items = [item for item in self.batch if item[0].error is None]
        self.batch = []
        self._collect()
        if not items:
            return
        data = np.stack([window.data for _, _, window in items])
        floor = boxes_made_at(self.conf)  # group members are kept from here
        future = self.model_thread.submit(self.detector.predict, data, conf=floor)
        self._inflight = (items, future)

    def _collect(self) -> None:
        """Wait for the batch in flight, keep its boxes, and finish the scenes it completes."""
        if self._inflight is not None:
            items, future = self._inflight
            self._inflight = None
            for (job, tile, window), boxes in zip(items, future.result(), strict=True):
                if job.error is not None:  # failed while this batch was in flight
                    continue
                job.rows += box_rows(boxes, tile, window, self.card.classes)
                job.pending -= 1
                self.bar.advance(job.task)
        self._finish_done()

    def _finish_done(self) -> None:
        for job in [job for job in self.jobs if job.done]:
            self.jobs.remove(job)
            self.bar.remove_task(job.task)
            try:
                if job.error is None:
                    frame, summary, off = finish_scene(
                        job.rows, job.plan, job.acquired, self.network, self.max_land, self.conf
                    )
                    for river, (share, points) in off.items():
                        self.on_off_channel(job.scene.name, river, share, points)
            except DredgeError as exc:
                job.error = str(exc)
            finally:
                job.scene.close()  # kept open until now for the land check
            if job.error is not None:
                self._fail(job.path, job.error)
                continue
            if self.keep:
                self.frames.append(frame)
            if self.on_scene is not None:
                self.on_scene(job.path, frame, None)
            self.echo(summary)
            self._advance_overall()

    def _fail(self, path: str, message: str) -> None:
        self.warn(f"error: {message}")
        self.failures.append((path, message))
        if self.on_scene is not None:
            self.on_scene(path, None, message)
        self._advance_overall()

    def _advance_overall(self) -> None:
        if self.overall is not None:
            self.bar.advance(self.overall)


def check_overlap(plan: TilePlan, network: RiverNetwork) -> None:
    """InputError when no river corridor meets the scene's data."""
    if plan.overlaps_river:
        return
    path = plan.scene.path
    if plan.candidates:
        raise InputError(
            path,
            "has no valid pixels where it meets the rivers (empty or all nodata)",
            "export the scene again with its data, or check its nodata value",
        )
    raise no_river_error(plan.scene, network)


def box_rows(
    boxes: NDArray[np.float32], tile: Tile, window: WindowData, classes: Sequence[str]
) -> list[dict[str, Any]]:
    """Boxes in tile pixels → rows with box polygons in the scene's CRS.

    A box whose centre falls on pixels without scene data (past the scene's edge or its
    footprint) is dropped.
    """
    rows = []
    height, width = window.valid.shape
    transform = window.transform
    for x0, y0, x1, y1, score, cls in np.asarray(boxes, dtype=float).reshape(-1, 6):
        col = min(int((x0 + x1) / 2), width - 1)
        row = min(int((y0 + y1) / 2), height - 1)
        if not window.valid[row, col]:
            continue
        ax, ay = transform @ (x0, y0)
        bx, by = transform @ (x1, y1)
        rows.append(
            {
                "scene": tile.scene_name,
                "tile": tile.tile_id,
                "score": float(score),
                "class_name": classes[int(cls)],
                "geometry": shapely.box(min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)),
            }
        )
    return rows


def finish_scene(
    rows: list[dict[str, Any]],
    plan: TilePlan,
    acquired: datetime,
    network: RiverNetwork,
    max_land: float | None = DEFAULT_MAX_LAND,
    conf: float = DEFAULT_CONF,
) -> tuple[gpd.GeoDataFrame, str, dict[str, tuple[float, int]]]:
    """Merge one scene's boxes, place them on the rivers, leave out those on land
    (:mod:`detector.on_water`; ``max_land`` None or 1 keeps them), keep the boxes scored at
    least ``conf`` and, under it, dredge boxes side by side with a confident one, keep one box
    per hull (:mod:`detector.merge`), reproject; and a summary line, and the rivers whose line
    lies off the channel here (:func:`detector.on_water.off_channel`).

    ``rows`` are the model's boxes from ``MEMBER_CONF_RATIO × conf`` up. The scene must still
    be open when the land check runs.
    """
    scene = plan.scene
    raw = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["scene", "tile", "score", "class_name", "geometry"]),
        geometry="geometry",
        crs=scene.crs,
    )
    tiled = merge_detections(raw, min_separation_m=0.0)  # tile overlaps only (one scene)
    merged = drop_close_duplicates(tiled, DEFAULT_MIN_SEPARATION_M)
    # Counted as the other notes are, in boxes scored at least conf: the boxes under it
    # (kept for group members) were counted as duplicates, and so were the close ones.
    sure = [int((f["score"] >= conf).sum()) for f in (raw, tiled, merged)]
    counts = {"merged": sure[0] - sure[1], "close": sure[1] - sure[2]}
    placed = pd.concat([merged, network.locate(merged)], axis=1)
    placed, _ = settle_confluences(placed, network, one_scene=True)  # a hull on one river
    confident = placed["score"] >= conf
    counts["off-river"] = int((placed["river"].isna() & confident).sum())
    on_river = placed[placed["river"].notna()]
    if max_land is not None and max_land < 1.0 and len(on_river):  # a share is at most 1
        land = land_fractions(scene, list(on_river.geometry), plan.spec.gsd_m)
        keep = ~(land > max_land)  # NaN (not known) is kept
        counts["on land"] = int((~keep & (on_river["score"] >= conf)).sum())
        on_river = on_river[keep]
    on_river = keep_side_by_side_members(on_river, conf)
    one_per_hull = drop_duplicates_on_one_hull(on_river)
    # In boxes scored at least conf too: a member under it dropped here is not counted.
    counts["same hull"] = int((on_river["score"] >= conf).sum()) - int(
        (one_per_hull["score"] >= conf).sum()
    )
    on_river = one_per_hull
    counts["members"] = int((on_river["score"] < conf).sum())
    frame = gpd.GeoDataFrame(on_river, geometry="geometry", crs=scene.crs).to_crs(WGS84)
    frame = frame.sort_values(["river", "chainage_m", "score"], ascending=[True, True, False])
    frame["detection_id"] = [f"{scene.stem}_{n:04d}" for n in range(1, len(frame) + 1)]
    frame["acquired"] = acquired
    frame["sensor"] = scene.sensor
    summary = _summary(scene.name, len(plan.tiles), frame, counts)
    if not plan.tiles and plan.skipped_cloud:  # it said "0 tiles, 0 detections" alone
        summary += (
            f"; its river all under cloud ({count_of(plan.skipped_cloud, 'tile')} with no clear "
            "pixel): "
            "nothing seen"
        )
    told = (scene.values_read_as, scene.layout_caveat, scene.date_caveat, scene.mask_caveat)
    notes = [note for note in told if note]
    off = off_channel(scene, network, plan.spec.gsd_m)
    notes += [off_channel_note(river, *found, network.corridor_m) for river, found in off.items()]
    return typed_detections(frame), "; ".join([summary, *notes]), off


def _summary(name: str, tiles: int, frame: pd.DataFrame, counts: Mapping[str, int]) -> str:
    classes = ", ".join(f"{n} {cls}" for cls, n in frame["class_name"].value_counts().items())
    line = f"{name}: {count_of(tiles, 'tile')}, {count_of(len(frame), 'detection')}" + (
        f" ({classes})" if classes else ""
    )
    notes = {  # the count, then the words after it: (singular, plural)
        "merged": ("duplicate", "duplicates", "from tile overlaps merged"),
        "close": (
            "box",
            "boxes",
            f"within {DEFAULT_MIN_SEPARATION_M:g} m of a better-scored one dropped",
        ),
        "off-river": ("off-river", "off-river", "left out"),
        "on land": ("on land", "on land", "left out"),
        "same hull": ("second box", "second boxes", "on one hull dropped"),
        "members": (
            "group member",
            "group members",
            "scored under --conf kept beside a confident dredge",
        ),
    }
    said = [
        f"{count_of(counts[key], one, many)} {rest}"
        for key, (one, many, rest) in notes.items()
        if counts.get(key, 0) > 0
    ]
    return line + ("; " + ", ".join(said) if said else "")
