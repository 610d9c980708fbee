"""Build a synthetic river world from a seed and write it as a PlanetScope-like scene set.

``dredge synth`` calls :func:`write_world`; :func:`build_world` gives the same world in memory
(for rendering chips at another GSD or style, e.g. 0.5 m 8-bit RGB).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Transformer

from detector.date_sanity import AHEAD_SLACK
from detector.errors import DredgeError
from detector.json_text import json_text
from detector.wording import count_of
from training.processes import WorkerDied, in_processes, usable_cores
from training.synth.catalogue import RIVER_CATALOGUE, RiverSpec, find_river
from training.synth.channel import Channel, imperfect_centerline, meandering_channel
from training.synth.dredges import DredgeGroup, poses_on, simulate_groups
from training.synth.landscape import Landscape, build_landscape, confusers_on
from training.synth.render import RiverScene
from training.synth.scenes import SceneSpec, acquisition_dates, scene_spec, year_span
from training.synth.writer import EIGHT_BIT_STYLES

STYLES = ("planetscope", *EIGHT_BIT_STYLES)
# Worlds of these seeds are the training worlds (training.train); 1–20 are for tests,
# benchmarks and the demo, never trained on
TRAINING_SEEDS = range(101, 200)


def training_seed_note(seed: int) -> str | None:
    """A note when ``seed`` draws one of the training worlds: a model trained by the recipe
    (the bundled one) has seen it, and its counts there look better than on new scenes."""
    if seed not in TRAINING_SEEDS:
        return None
    return (
        f"seed {seed} draws one of the training worlds (seeds {TRAINING_SEEDS.start}–"
        f"{TRAINING_SEEDS.stop - 1}): the bundled model was trained on such worlds, so its "
        "accuracy there is no measure of it; use seeds 1–20 or from 200 on"
    )


WORLD_FORMAT = 3
"""Written in ``world.json``. A world folder of another format is not reused (it is drawn
again): raise it whenever the same configuration draws different files. Format 1 was written
by generators that moored groups at the end of the reach (before they turned back there) and
drew UDM2 classes that overlapped, as well as by the one of format 2; format 2 wrote the cloud
cover its clouds were drawn for in the metadata and truth/scenes.csv, not the one they show."""


@dataclass(frozen=True)
class SizePreset:
    side_m: float  # side of the square region each river's scenes cover
    dates_per_year: int
    groups_at_full_pressure: int


SIZES = {
    "small": SizePreset(side_m=3000.0, dates_per_year=3, groups_at_full_pressure=7),
    "full": SizePreset(side_m=9000.0, dates_per_year=6, groups_at_full_pressure=16),
    # small scenes, a date a month: what an analyst's monthly mosaic of one reach looks like
    "monthly": SizePreset(side_m=3000.0, dates_per_year=12, groups_at_full_pressure=7),
    # the same reaches and dredges, a date a week: how much more frequent scenes help
    "weekly": SizePreset(side_m=3000.0, dates_per_year=52, groups_at_full_pressure=7),
}


@dataclass(frozen=True)
class WorldConfig:
    """What ``dredge synth`` was asked for, validated."""

    seed: int = 1
    rivers: tuple[str, ...] = tuple(RIVER_CATALOGUE)
    years: tuple[int, int] = (2023, 2025)
    size: str = "small"
    gsd: float = 3.0
    style: str = "planetscope"

    @classmethod
    def from_cli(
        cls,
        *,
        seed: int = 1,
        rivers: str | None = None,
        years: str = "2023-2025",
        size: str = "small",
        gsd: float = 3.0,
        style: str = "planetscope",
    ) -> WorldConfig:
        names = tuple(RIVER_CATALOGUE) if not rivers else _river_names(rivers)
        if size not in SIZES:
            raise DredgeError(f"unknown size {size!r}; use one of: {', '.join(SIZES)}")
        if style not in STYLES:
            raise DredgeError(f"unknown style {style!r}; use one of: {', '.join(STYLES)}")
        if not 0.1 <= gsd <= 30:
            raise DredgeError(f"--gsd {gsd} is out of range; give metres between 0.1 and 30")
        if seed < 0:
            raise DredgeError(f"--seed {seed} is negative; give a whole number ≥ 0")
        return cls(
            seed=seed, rivers=names, years=parse_years(years), size=size, gsd=gsd, style=style
        )


def _river_names(text: str) -> tuple[str, ...]:
    """The catalogue names of ``--rivers``, each once, in the order given: a river named twice
    (``Nanay,NAN``) was drawn twice, its scenes written twice over the same files and every
    truth row doubled."""
    names = [find_river(name).name for name in text.split(",") if name.strip()]
    if not names:
        raise DredgeError(
            f"--rivers {text!r} names no river; give names such as Nanay,Cenepa (--list-rivers)"
        )
    return tuple(dict.fromkeys(names))


def parse_years(text: str) -> tuple[int, int]:
    """'2024' or '2023-2025' → (first, last); one clear error otherwise."""
    parts = [p.strip() for p in text.split("-")]
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise DredgeError(f"--years {text!r} is not a year or a range like 2023-2025") from None
    if len(numbers) == 1:
        numbers = numbers * 2
    if len(numbers) != 2:
        raise DredgeError(f"--years {text!r} is not a year or a range like 2023-2025")
    first, last = numbers
    if first > last:
        raise DredgeError(f"--years {text!r} is reversed; write {last}-{first}")
    if first < 2009 or last > 2100:
        raise DredgeError(f"--years {text!r} is outside 2009–2100 (PlanetScope-like imagery)")
    return first, last


@dataclass
class RiverWorld:
    """One river: its channel, its static landscape, its dredges and its acquisitions."""

    spec: RiverSpec
    region: tuple[float, float, float, float]
    channel: Channel
    landscape: Landscape
    groups: list[DredgeGroup]
    scenes: list[SceneSpec]
    seed: int
    centerline_seed: int = 0
    water: object = field(default=None, repr=False)

    @property
    def crs(self) -> str:
        return f"EPSG:{self.spec.epsg}"

    def ground_on(self, scene: SceneSpec) -> RiverScene:
        """What is on the ground on the date of ``scene``."""
        rng = np.random.default_rng([self.seed, 1000 + scene.index])
        return RiverScene(
            channel=self.channel,
            water=self.water,
            water_type=self.spec.water,
            landscape=self.landscape,
            dredges=poses_on(self.groups, self.channel, scene.acquired.date()),
            confusers=confusers_on(rng, self.channel, self.spec.water),
        )


@dataclass
class World:
    config: WorldConfig
    rivers: list[RiverWorld]

    def scenes(self) -> Iterator[tuple[RiverWorld, SceneSpec]]:
        for river in self.rivers:
            for scene in river.scenes:
                yield river, scene


def build_world(config: WorldConfig) -> World:
    """Draw every river of ``config``; the same config always gives the same world."""
    preset = SIZES[config.size]
    start, end = year_span(config.years)
    rivers = []
    catalogue = list(RIVER_CATALOGUE)
    for name in config.rivers:
        spec = RIVER_CATALOGUE[name]
        seed = config.seed * 1000 + catalogue.index(name)
        rivers.append(_build_river(spec, seed, preset, config.years, start, end))
    world = World(config, rivers)
    _not_ahead(world)
    return world


def _not_ahead(world: World) -> None:
    """DredgeError when a scene of ``world`` would be dated after today: dredge refuses such
    dates (:mod:`detector.date_sanity`), so the world written was one it could not read."""
    now = datetime.now(UTC)
    ahead = sorted(s.acquired for _, s in world.scenes() if s.acquired > now + AHEAD_SLACK)
    if ahead:
        raise DredgeError(
            f"--years {world.config.years[0]}-{world.config.years[1]}: "
            f"{count_of(len(ahead), 'scene')} "
            f"would be dated after today (from {ahead[0]:%Y-%m-%d}), which dredge refuses as "
            f"typos — give years that end before today ({now:%Y-%m-%d})"
        )


def _build_river(
    spec: RiverSpec,
    seed: int,
    preset: SizePreset,
    years: tuple[int, int],
    start: date,
    end: date,
) -> RiverWorld:
    to_utm = Transformer.from_crs("EPSG:4326", f"EPSG:{spec.epsg}", always_xy=True)
    cx, cy = to_utm.transform(spec.lon, spec.lat)
    half = preset.side_m / 2
    region = (cx - half, cy - half, cx + half, cy + half)
    channel = meandering_channel(
        np.random.default_rng([seed, 1]), region, spec.width_m, spec.sinuosity
    )
    landscape = build_landscape(np.random.default_rng([seed, 2]), channel, spec.dredge_pressure)
    n_groups = round(preset.groups_at_full_pressure * spec.dredge_pressure)
    groups = simulate_groups(
        np.random.default_rng([seed, 3]), channel, spec.code, n_groups, start, end
    )
    scene_rng = np.random.default_rng([seed, 4])
    scenes: list[SceneSpec] = []
    for year in range(years[0], years[1] + 1):
        for moment in acquisition_dates(scene_rng, year, preset.dates_per_year):
            scenes.append(scene_spec(scene_rng, spec.name, len(scenes), moment, region, 3.0, seed))
    return RiverWorld(
        spec=spec,
        region=region,
        channel=channel,
        landscape=landscape,
        groups=groups,
        scenes=scenes,
        seed=seed,
        centerline_seed=seed + 5,
        water=channel.water_polygon(),
    )


UNFINISHED_MARK = ".dredge-synth-unfinished"
"""In a world folder from its start until ``world.json`` is written: a world left by a run that
was stopped (Ctrl-C, killed, a full disk) is drawn again by the same command."""


def prepare_out_dir(out: Path, overwrite: bool) -> None:
    """Create ``out``; refuse to mix a new world into a folder that holds files, unless it is a
    world this tool began and never finished (:data:`UNFINISHED_MARK`): the same command,
    ``dredge synth`` or ``dredge demo`` again, was refused as "folder is not empty" and, with
    ``--overwrite``, as "no world.json", so that only deleting the folder by hand went on. A
    finished world is refused by what it holds (:func:`world_held`), another folder as not
    empty."""
    if out.exists() and not out.is_dir():
        raise DredgeError(f"{out}: exists and is not a folder — choose another --out")
    if out.exists() and any(out.iterdir()):
        unfinished = (out / UNFINISHED_MARK).is_file()
        if not overwrite and not unfinished:
            held = world_held(out)
            if held:  # it said 'folder is not empty', as of any folder
                raise DredgeError(
                    f"{out}: holds {held} — choose another --out, or pass --overwrite to replace it"
                )
            raise DredgeError(
                f"{out}: folder is not empty — choose another --out, or pass --overwrite"
            )
        if not unfinished and not (out / "world.json").exists():
            raise DredgeError(
                f"{out}: --overwrite only replaces a folder made by `dredge synth` (no world.json)"
            )
        for name in ("scenes", "truth", "quicklooks"):
            shutil.rmtree(out / name, ignore_errors=True)
    try:
        for sub in ("scenes", "truth/boxes", "quicklooks"):
            (out / sub).mkdir(parents=True, exist_ok=True)
        (out / UNFINISHED_MARK).write_text("dredge synth: this world is not finished\n")
    except OSError as exc:
        raise DredgeError(
            f"{out}: cannot write here ({exc.strerror}) — choose another --out"
        ) from None


def world_held(out: Path) -> str | None:
    """'a synthetic world (seed 5, small, Aguaytia, 2024, drawn 2025-03-01)' where ``out``
    holds a world that ``dredge synth`` finished (its ``world.json``, the day it was written);
    None for another folder or an unreadable ``world.json``."""
    manifest = out / "world.json"
    try:
        written = json.loads(manifest.read_text(encoding="utf-8"))
        config = written["config"]
        first, last = config["years"]
        rivers = ", ".join(map(str, config["rivers"]))
        drawn = date.fromtimestamp(manifest.stat().st_mtime).isoformat()
        seed, size = int(config["seed"]), config["size"]
    except (OSError, ValueError, KeyError, TypeError):  # not one, or not readable as one
        return None
    years = str(first) if first == last else f"{first}–{last}"
    return f"a synthetic world (seed {seed}, {size}, {rivers}, {years}, drawn {drawn})"


def is_same_world(path: Path, config: WorldConfig) -> bool:
    """True when ``path`` holds a complete world written from ``config`` (reuse it)."""
    manifest = path / "world.json"
    if not manifest.exists() or not (path / "truth" / "scenes.csv").exists():
        return False
    if (path / UNFINISHED_MARK).exists():  # an --overwrite stopped half-way
        return False
    try:  # one cut short or edited by hand: not this world (a JSONDecodeError traceback)
        written = json.loads(manifest.read_text(encoding="utf-8"))
        if written.get("format") != WORLD_FORMAT:  # drawn by a generator that draws otherwise
            return False
        return bool(written["config"] == config_json(config))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def config_json(config: WorldConfig) -> dict[str, object]:
    """The configuration as written in ``world.json``."""
    return {
        "seed": config.seed,
        "rivers": list(config.rivers),
        "years": list(config.years),
        "size": config.size,
        "gsd_m": config.gsd,
        "style": config.style,
    }


def write_world(
    config: WorldConfig,
    out: str | Path,
    *,
    overwrite: bool = False,
    progress: bool = False,
    workers: int = 0,
) -> str:
    """Write the world of ``config`` into ``out`` (a ``str`` or a :class:`~pathlib.Path`)
    and return a one-paragraph summary."""
    from training.synth.writer import write_rivers, write_truth

    out = Path(out)
    check_scene_fits(config)
    world = build_world(config)  # refuses years after today before the folder is touched
    prepare_out_dir(out, overwrite)
    jobs = list(world.scenes())
    workers = workers or workers_that_fit(config, len(jobs))
    results = _render_all(jobs, config, out, workers, progress)
    write_rivers(world, out / "rivers.geojson")
    truth = write_truth(world, results, out / "truth")
    _write_manifest(world, out / "world.json")
    (out / UNFINISHED_MARK).unlink()
    first, last = config.years
    years = str(first) if first == last else f"{first}–{last}"  # not 2024–2024
    visible = int(truth["visible"].sum())
    return (
        f"wrote {count_of(len(jobs), 'scene')} of {count_of(len(world.rivers), 'river')} "
        f"({years}) to {out}/scenes; {count_of(truth['dredge_id'].nunique(), 'dredge')}, "
        f"{visible} of {len(truth)} appearances visible; "
        f"truth in {out}/truth, quicklooks in {out}/quicklooks"
    )


RENDER_BYTES_PER_PX = 200  # measured: a 6000 × 6000 px scene peaks at 6.6 GB in one worker
RENDER_WORKERS = 2  # processes that render one world's scenes, unless write_world is told


def workers_that_fit(config: WorldConfig, jobs: int, most: int = RENDER_WORKERS) -> int:
    """At most ``most`` rendering processes (one per core at most), fewer when that many
    scenes of ``config`` rendered at once would not fit in memory."""
    side_px = SIZES[config.size].side_m / config.gsd
    per_worker = side_px * side_px * RENDER_BYTES_PER_PX
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        available = 8 * 2**30
    fits = int(0.7 * available // per_worker)
    return max(1, min(most, jobs, fits, usable_cores()))


def physical_memory() -> int | None:
    """Bytes of memory this machine has (None where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_scene_fits(config: WorldConfig) -> None:
    """DredgeError when one scene of ``config`` needs more memory to draw than the machine has:
    it ran for minutes, then the system killed it or it ended in "out of memory — run again
    with less input at a time", where there is no input to cut."""
    side_px = round(SIZES[config.size].side_m / config.gsd)
    need = side_px * side_px * RENDER_BYTES_PER_PX
    have = physical_memory()
    if have is not None and need > have:
        raise DredgeError(
            f"--gsd {config.gsd:g} --size {config.size}: one scene of {side_px:,} × {side_px:,} px "
            f"needs about {need / 2**30:.0f} GB to draw, more than this machine's "
            f"{have / 2**30:.0f} GB — give a coarser --gsd or a smaller --size, or draw chips "
            "around the dredges with render_scene(bounds=…) (README: The synthetic river world)"
        )


def _render_all(
    jobs: list[tuple[RiverWorld, SceneSpec]],
    config: WorldConfig,
    out: Path,
    workers: int,
    progress: bool,
) -> list[dict[str, Any]]:
    """Render and write every scene, in ``workers`` processes; results in job order."""
    from detector.progress import progress_bar
    from training.synth.writer import render_and_write

    work = [(river, scene, config, out) for river, scene in jobs]
    # off where stderr is no terminal: rich's bar wrote an empty line to stdout
    with progress_bar(progress) as bar:
        task = bar.add_task("rendering scenes", total=len(work))
        try:
            return in_processes(
                render_and_write, work, workers, done=lambda: bar.advance(task), what=str(out)
            )
        except WorkerDied as error:
            raise WorkerDied(  # the world is marked unfinished: drawn anew, nothing to delete
                f"{error}; then run it again: the unfinished world in {out} is drawn anew"
            ) from error.__cause__


def _write_manifest(world: World, path: Path) -> None:
    config = world.config
    manifest = {
        "format": WORLD_FORMAT,
        "generator": "dredge synth",
        "config": config_json(config),
        "rivers": [
            {
                "name": r.spec.name,
                "crs": r.crs,
                "water": r.spec.water,
                "mean_width_m": r.spec.width_m,
                "channel_length_m": round(r.channel.length_m, 1),
                "dredges": sum(len(g.members) for g in r.groups),
                "scenes": [s.file_name for s in r.scenes],
            }
            for r in world.rivers
        ],
    }
    path.write_text(json_text(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def centerline_pieces(river: RiverWorld) -> list[object]:
    """The river's published centerline, cut in two pieces as hydrography often is."""
    line = imperfect_centerline(river.channel, np.random.default_rng([river.centerline_seed]))
    coords = list(line.coords)
    cut = len(coords) // 2
    from shapely import LineString

    return [LineString(coords[: cut + 1]), LineString(coords[cut:])]
