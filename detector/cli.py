"""The ``dredge`` command line.

Each stage lives in its own module and can be run alone; this file only wires the commands.
Heavy imports (torch, ultralytics, rasterio) happen inside the commands, so ``dredge --help``
stays fast.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated

import typer

from detector import __version__
from detector.errors import DredgeError

app = typer.Typer(
    name="dredge",
    help=(
        "Find gold-mining dredges on rivers in satellite scenes and count the unique dredges "
        "per river and year.\n\n"
        "Start with `dredge demo` (a synthetic world, the whole run, counts next to the truth). "
        "On your scenes: `dredge run SCENES --rivers rivers.gpkg --out OUT` writes detections, "
        "dredge tracks, yearly counts, exports and OUT/report.html."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# Options that several commands share, defined once.
SceneBandsOption = Annotated[
    str | None,
    typer.Option(help="Name the scenes' own bands in file order, e.g. blue,green,red,nir."),
]
CorridorOption = Annotated[
    float | None, typer.Option(help="Corridor half-width around centerlines, m.")
]
NameFieldOption = Annotated[str, typer.Option(help="Column of the river names.")]
DateOption = Annotated[
    str | None, typer.Option(help="Acquisition date for every scene (YYYY-MM-DD).")
]
DatesOption = Annotated[
    Path | None, typer.Option(help="CSV with columns scene,date for the scenes.")
]
ModelOption = Annotated[
    Path | None,
    typer.Option(help="Weights (.pt or .onnx) with <stem>.card.json beside (default: bundled)."),
]
ConfOption = Annotated[
    float,
    typer.Option(
        help="Lowest detection score kept, 0–1; a dredge box side by side with one scoring this "
        "(a group member) is kept from 0.6 × it."
    ),
]
DeviceOption = Annotated[str, typer.Option(help="cpu or cuda.")]
BackendOption = Annotated[
    str, typer.Option(help="auto (onnxruntime on CPU, torch on CUDA), torch or onnx.")
]
BatchOption = Annotated[int, typer.Option(help="Tiles per model call.")]
FlipsOption = Annotated[
    bool,
    typer.Option(
        help="Also run each tile mirrored left-right, up-down and both, and keep a box when two "
        "of the four views find it: more dredges found, fewer false ones, four times the model "
        "work. --no-flips runs each tile once."
    ),
]
MAX_LAND = 0.5  # detector.on_water.DEFAULT_MAX_LAND (not imported here: the CLI starts light)
MaxLandOption = Annotated[
    float,
    typer.Option(
        help="Leave out a detection when more than this share of the ground within 27 m of it "
        "is land, read from the scene's green and NIR bands (a roof on the bank, not a "
        "dredge). A dredge moored against a bank sits near 0.5; 1 keeps every detection. "
        "Skipped on 8-bit scenes and scenes without NIR.",
        min=0.0,
        max=1.0,
    ),
]

COUNT_SCORE = 0.45  # TrackParams.count_score (not imported here: the CLI starts light)
CountScoreOption = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=1.0,
        help="A dredge counts only when its best detection scored at least this (chosen on "
        "synthetic validation worlds; lower it for a model that scores lower on your imagery; "
        "detections without scores always pass).",
    ),
]

MAX_STATIC_DAYS = 120.0  # TrackParams.max_static_days
MaxStaticDaysOption = Annotated[
    float,
    typer.Option(
        min=0.0,
        help="A track that never moved yet was detected over more than this many days is a "
        "fixed object (a roof, a wreck, a pontoon): not counted, marked `static` in "
        "tracks.parquet. Dredges stay weeks at a spot, then move; 0 turns the rule off.",
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dredge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Dredge detector command line."""


def warn_line(line: str) -> None:
    """Print a warning or a scene's error line on stderr, in red."""
    typer.secho(line, fg=typer.colors.RED, err=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one clear error line on stderr and return the exit to raise."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the world into.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same bytes.")] = 1,
    rivers: Annotated[
        str | None,
        typer.Option(help="Comma-separated river names (default: all). See --list-rivers."),
    ] = None,
    years: Annotated[str, typer.Option(help="Year or range, e.g. 2023-2025.")] = "2023-2025",
    size: Annotated[
        str,
        typer.Option(
            help="small (3 km reaches, 3 dates a year; seconds, for tests), monthly (the same "
            "with 12 dates a year), weekly (52 dates a year) or full (9 km, 6 dates a year)."
        ),
    ] = "small",
    gsd: Annotated[
        float, typer.Option(help="Ground sampling distance in metres (PlanetScope: 3).")
    ] = 3.0,
    style: Annotated[
        str,
        typer.Option(
            help=(
                "planetscope: 4-band uint16 reflectance (BGRN); rgb8: 3-band 8-bit RGB (Maxar); "
                "rgb8-green: rgb8 with green, algae-rich water on every river; rgb8-shift: "
                "rgb8-green whose dredges are roofed with thatch, green tarp or wood."
            ),
        ),
    ] = "planetscope",
    list_rivers: Annotated[
        bool, typer.Option("--list-rivers", help="List the rivers this world knows and exit.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option(help="Replace the contents of a non-empty --out folder.")
    ] = False,
) -> None:
    """Generate a synthetic multi-date river world with scenes and ground truth.

    Writes DIR/scenes/*.tif (Planet file names), DIR/rivers.geojson, DIR/truth/dredges.csv,
    DIR/truth/counts.csv, DIR/truth/boxes/*.csv and DIR/quicklooks/*.png.
    """
    from training.synth.world import RIVER_CATALOGUE, WorldConfig, write_world

    if list_rivers:
        for spec in RIVER_CATALOGUE.values():
            typer.echo(f"{spec.name:10s} EPSG:{spec.epsg}  {spec.water:10s} {spec.description}")
        raise typer.Exit()
    try:
        config = WorldConfig.from_cli(
            seed=seed, rivers=rivers, years=years, size=size, gsd=gsd, style=style
        )
        summary = write_world(config, out, overwrite=overwrite, progress=True)
    except DredgeError as exc:
        raise fail(str(exc)) from None
    typer.echo(summary)


@app.command()
def tiles(
    scenes: Annotated[
        list[str], typer.Argument(help="Scene GeoTIFFs, folders of them, or URLs GDAL reads.")
    ],
    rivers: Annotated[
        Path, typer.Option(help="River centerlines: GeoJSON, GeoPackage, Shapefile, GeoParquet.")
    ],
    out: Annotated[Path, typer.Option(help="Folder for chips/, tiles.parquet, failures.csv.")],
    fmt: Annotated[
        str, typer.Option("--format", help="png (8-bit, 1 or 3 bands) or tif (float32).")
    ] = "png",
    gsd: Annotated[float, typer.Option(help="Ground sampling distance of the chips, m.")] = 3.0,
    tile_px: Annotated[int, typer.Option(help="Chip size in pixels.")] = 256,
    overlap_px: Annotated[int, typer.Option(help="Overlap of neighbouring chips, px.")] = 32,
    bands: Annotated[str, typer.Option(help="Chip bands, e.g. red,green,blue.")] = "red,green,blue",
    scale: Annotated[
        str, typer.Option(help="reflectance (÷10000) or display (reflectance 0.3 = white).")
    ] = "reflectance",
    scene_bands: SceneBandsOption = None,
    corridor_m: CorridorOption = None,
    name_field: NameFieldOption = "name",
    date: DateOption = None,
    dates: DatesOption = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Cut scenes into chips along the river corridors, for labelling or inspection.

    Writes OUT/chips/<scene>/<tile>.png|tif and OUT/tiles.parquet (GeoParquet, footprints in
    EPSG:4326), and prints per scene the pixels read against the pixels in the scene and the
    share of the river corridor covered. A scene that cannot be used is reported, recorded in
    OUT/failures.csv, and the others go on; the exit code is then 1.
    """
    from detector.acquisition import read_date_table, to_utc
    from detector.chips import check_format, expand_scene_paths, run_tiles
    from detector.inputspec import InputSpec, parse_bands
    from detector.rivers import DEFAULT_CORRIDOR_M, RiverNetwork

    try:
        spec = InputSpec(parse_bands(bands), gsd, tile_px, overlap_px, scale)
        check_format(fmt, spec)
        own_bands = parse_bands(scene_bands) if scene_bands else None
        when = to_utc(date) if date else None
        network = RiverNetwork.read(
            rivers,
            name_field=name_field,
            corridor_m=DEFAULT_CORRIDOR_M if corridor_m is None else corridor_m,
        )
        table = read_date_table(dates) if dates else None
    except (ValueError, DredgeError) as exc:
        raise fail(str(exc)) from None
    paths = expand_scene_paths(scenes)
    if not paths:
        raise fail(f"no scenes (*.tif) in {', '.join(scenes)}")
    try:
        run = run_tiles(
            paths,
            network,
            out,
            spec,
            fmt=fmt,
            bands=own_bands,
            date=when,
            dates=table,
            echo=typer.echo,
            warn=warn_line,
            progress=progress,
        )
    except DredgeError as exc:  # the disk: a scene's own fault is recorded and the batch goes on
        raise fail(str(exc)) from None
    typer.echo(f"{run.tiles} chips from {len(run.coverages)} scene(s) → {out / 'tiles.parquet'}")
    if run.failures:
        raise fail(
            f"{len(run.failures)} of {len(paths)} scene(s) failed; see {out / 'failures.csv'}",
            code=1,
        )


@app.command()
def detect(
    scenes: Annotated[
        list[str], typer.Argument(help="Scene GeoTIFFs, folders of them, or URLs GDAL reads.")
    ],
    rivers: Annotated[
        Path, typer.Option(help="River centerlines: GeoJSON, GeoPackage, Shapefile, GeoParquet.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="Detections file; failed scenes go to <stem>.failures.csv beside it.",
        ),
    ] = Path("detections.parquet"),
    model: ModelOption = None,
    conf: ConfOption = 0.25,
    device: DeviceOption = "cpu",
    backend: BackendOption = "auto",
    flips: FlipsOption = True,
    max_land: MaxLandOption = MAX_LAND,
    batch: BatchOption = 16,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="parquet (GeoParquet), gpkg or geojson (default: --out suffix)."
        ),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out file.")] = False,
    scene_bands: SceneBandsOption = None,
    corridor_m: CorridorOption = None,
    name_field: NameFieldOption = "name",
    date: DateOption = None,
    dates: DatesOption = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Find dredges in scenes along the rivers and write one georeferenced table.

    Tiles each scene along the river corridors at the model card's GSD, runs the model in
    batches, merges duplicates from overlapping tiles in map space, and writes one row per
    detection in EPSG:4326: detection_id, scene, acquired (UTC), sensor, class_name, score,
    river, chainage_m, offset_m, geometry (box). A scene that cannot be used is reported,
    recorded in <stem>.failures.csv, and the others go on; the exit code is then 1.
    """
    from detector.acquisition import read_date_table, to_utc
    from detector.chips import expand_scene_paths, write_failures
    from detector.detect import detect_scenes, output_format, write_detections
    from detector.inputspec import parse_bands
    from detector.model import load_model
    from detector.rivers import DEFAULT_CORRIDOR_M, RiverNetwork

    failures_path = out.with_name(f"{out.stem}.failures.csv")
    try:
        kind = output_format(out, fmt)
        if out.exists() and not overwrite:
            raise DredgeError(f"{out}: exists — choose another --out, or pass --overwrite")
        if not 0 <= conf <= 1:
            raise ValueError(f"--conf must be between 0 and 1, got {conf}")
        if batch < 1:
            raise ValueError(f"--batch must be at least 1, got {batch}")
        own_bands = parse_bands(scene_bands) if scene_bands else None
        when = to_utc(date) if date else None
        table = read_date_table(dates) if dates else None
        network = RiverNetwork.read(
            rivers,
            name_field=name_field,
            corridor_m=DEFAULT_CORRIDOR_M if corridor_m is None else corridor_m,
        )
        paths = expand_scene_paths(scenes)
        if not paths:
            raise DredgeError(f"no scenes (*.tif) in {', '.join(scenes)}")
        detector = load_model(model, backend=backend, device=device, flips=flips)
        typer.echo(f"model: {detector.describe()}")
        frame, failures = detect_scenes(
            paths,
            network,
            model=detector,
            conf=conf,
            batch=batch,
            max_land=max_land,
            bands=own_bands,
            date=when,
            dates=table,
            progress=progress,
            echo=typer.echo,
            warn=warn_line,
        )
        write_detections(frame, out, kind)
        write_failures(failures, failures_path)
    except (ValueError, DredgeError) as exc:
        raise fail(str(exc)) from None
    done = len(paths) - len(failures)
    typer.echo(f"{len(frame)} detections from {done} scene(s) → {out}")
    if failures:
        raise fail(f"{len(failures)} of {len(paths)} scene(s) failed; see {failures_path}", code=1)


@app.command()
def track(
    detections: Annotated[
        Path,
        typer.Argument(
            help=(
                "Detections: detections.parquet from `dredge detect`, or points/boxes marked "
                "by hand (GeoParquet, GeoPackage, GeoJSON, Shapefile, or CSV with lon/lat). "
                "Only a date column 'acquired' and a position are required."
            )
        ),
    ],
    rivers: Annotated[
        Path,
        typer.Option(help="River centerlines (GeoJSON, GeoPackage, Shapefile, GeoParquet)."),
    ],
    out: Annotated[
        Path,
        typer.Option(
            help=(
                "Tracks file to write (GeoParquet, one row per dredge). Beside it go "
                "<stem>.detections.parquet (detections with their track_id) and "
                "<stem>.observations.csv (dates each river was seen)."
            )
        ),
    ] = Path("tracks.parquet"),
    scenes: Annotated[
        list[Path] | None,
        typer.Option(
            help=(
                "Scene GeoTIFFs or folders (repeat the option). Their clear, valid areas (UDM2 "
                "masks beside the scenes) tell where a dredge was seen absent. Without them a "
                "dredge counts as gone after 30 days without a detection."
            )
        ),
    ] = None,
    min_dates: Annotated[
        int | None,
        typer.Option(
            help=(
                "Dates a dredge must be seen on to be counted (default: 2 for detector "
                "output with scores, 1 for detections marked by hand). A dredge seen once "
                "at the start or end of the imagery counts."
            )
        ),
    ] = None,
    count_score: CountScoreOption = COUNT_SCORE,
    max_static_days: MaxStaticDaysOption = MAX_STATIC_DAYS,
    max_move_m: Annotated[
        float, typer.Option(help="Longest move of a dredge along the river between moorings, m.")
    ] = 6000.0,
    corridor_m: Annotated[
        float,
        typer.Option(help="Detections farther than this from every centerline are off-river, m."),
    ] = 250.0,
    name_field: Annotated[str, typer.Option(help="Column of the river names.")] = "name",
) -> None:
    """Link detections across dates into one track per dredge, along each river.

    Movement is measured along the channel (chainage), gated by a plausible move for the time
    elapsed; dredges moored side by side stay apart, and since a group moves as one, a move
    is matched to an arrival in a group of the same size, at the same place across the
    channel, before a nearer one; a dredge under cloud keeps its track.
    Dates in any format or time zone are converted to UTC; detections on no river are kept
    with no track (one warning line).
    """
    from detector.track_pipeline import run_track
    from detector.tracking import TrackParams

    try:
        run = run_track(
            detections,
            rivers,
            out,
            scenes=scenes or [],
            name_field=name_field,
            corridor_m=corridor_m,
            min_dates=min_dates,
            params=TrackParams(
                max_move_m=max_move_m, count_score=count_score, max_static_days=max_static_days
            ),
        )
    except DredgeError as exc:
        raise fail(str(exc)) from None
    for note in run.notes:
        typer.secho(f"note: {note}", fg=typer.colors.YELLOW, err=True)
    typer.echo(run.summary)


@app.command()
def counts(
    tracks: Annotated[
        Path,
        typer.Argument(help="Tracks file written by `dredge track` (e.g. tracks.parquet)."),
    ],
    out: Annotated[
        Path,
        typer.Option(
            help=(
                "Counts table: river, year, unique_dredges, new_dredges, detections, scenes, "
                "unique_low, unique_high (one row per river and year, zeros included)."
            )
        ),
    ] = Path("counts.csv"),
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="csv or json (default: from the --out suffix)."),
    ] = None,
    years: Annotated[
        str | None,
        typer.Option(help="Years to report, e.g. 2024 or 2022-2025 (default: all observed)."),
    ] = None,
    chart: Annotated[
        Path | None, typer.Option(help="Also draw a PNG chart of unique dredges per river/year.")
    ] = None,
    gpkg: Annotated[
        Path | None,
        typer.Option(help="Also write a GeoPackage with layers 'dredges' and 'detections'."),
    ] = None,
    geojson: Annotated[
        Path | None,
        typer.Option(help="Also write the dredges as GeoJSON (detections: <stem>.detections)."),
    ] = None,
    kml: Annotated[
        Path | None,
        typer.Option(help="Also write KML for Google Earth: one placemark per dredge, its dates."),
    ] = None,
    detections: Annotated[
        Path | None,
        typer.Option(help="Linked detections (default: <tracks stem>.detections.parquet)."),
    ] = None,
    observations: Annotated[
        Path | None,
        typer.Option(help="Dates each river was seen (default: <tracks stem>.observations.csv)."),
    ] = None,
) -> None:
    """Count unique dredges per river and year from tracks, and export them.

    unique_low/unique_high give the range where tracking was ambiguous: low merges tracks that
    may be one dredge seen again, high adds short tracks that were not counted.

    River-years whose scenes (given to `dredge track --scenes`) were more than 10 days apart on
    average are named: groups that leave and arrive between two looks pass for moves there,
    so their counts are likely low. Feed every clear scene you have.
    """
    from detector.track_pipeline import run_counts

    try:
        lines = run_counts(
            tracks,
            out,
            fmt=fmt,
            detections=detections,
            observations=observations,
            years=years,
            chart=chart,
            kml=kml,
            gpkg=gpkg,
            geojson=geojson,
        )
    except (DredgeError, ValueError) as exc:
        raise fail(str(exc)) from None
    for line in lines:
        typer.echo(line)


@app.command()
def run(
    scenes: Annotated[
        list[str],
        typer.Argument(
            help=(
                "Scenes: GeoTIFFs, folders, quoted globs ('scenes/2024*.tif'), text files of "
                "paths/URLs (one a line), or STAC JSON (Item, ItemCollection, Catalog)."
            )
        ),
    ],
    rivers: Annotated[
        Path, typer.Option(help="River centerlines: GeoJSON, GeoPackage, Shapefile, GeoParquet.")
    ],
    out: Annotated[
        Path, typer.Option(help="Folder for every output (listed above); a rerun resumes it.")
    ],
    model: ModelOption = None,
    conf: ConfOption = 0.25,
    device: DeviceOption = "cpu",
    backend: BackendOption = "auto",
    flips: FlipsOption = True,
    max_land: MaxLandOption = MAX_LAND,
    batch: BatchOption = 16,
    overwrite: Annotated[
        bool,
        typer.Option(
            help="Start again in an --out that holds a run with other settings (or other files)."
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(help="Scenes processed in parallel by a local Dask cluster of N processes."),
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Run scenes as Dask tasks: 'local' (a local cluster of --workers) or "
            "tcp://HOST:PORT (an existing cluster; see the README)."
        ),
    ] = None,
    scene_bands: SceneBandsOption = None,
    corridor_m: CorridorOption = None,
    name_field: NameFieldOption = "name",
    count_score: CountScoreOption = COUNT_SCORE,
    max_static_days: MaxStaticDaysOption = MAX_STATIC_DAYS,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Scenes to yearly counts in one command: detect, track, count, export, report.

    Writes into OUT: detections.parquet, failures.csv, tracks.parquet (+ tracks.detections.parquet,
    tracks.observations.csv), counts.csv, counts.json, counts.png, dredges.gpkg,
    dredges.geojson, dredges.kml (Google Earth), run.json and report.html (one page, opens
    offline). A scene that cannot be used is reported and listed in failures.csv and the
    report; the others complete, and the exit code is then 1.

    Runs resume: each scene is saved as it finishes (OUT/scenes/, OUT/manifest.csv), so
    running the same command again after an interruption skips finished scenes and retries
    failed ones. A full disk or an OUT that cannot be written stops the run with one line;
    every file already written stays whole, and the same command finishes the run.

    Example: dredge run planet/2024/ --rivers rivers.gpkg --out runs/2024
    """
    import sys

    from detector.inputspec import parse_bands
    from detector.rivers import DEFAULT_CORRIDOR_M
    from detector.run import run_pipeline

    try:
        if not 0 <= conf <= 1:
            raise ValueError(f"--conf must be between 0 and 1, got {conf}")
        result = run_pipeline(
            scenes,
            rivers,
            out,
            model=model,
            conf=conf,
            batch=batch,
            device=device,
            backend=backend,
            flips=flips,
            max_land=max_land,
            scene_bands=parse_bands(scene_bands) if scene_bands else None,
            corridor_m=DEFAULT_CORRIDOR_M if corridor_m is None else corridor_m,
            name_field=name_field,
            count_score=count_score,
            max_static_days=max_static_days,
            overwrite=overwrite,
            scheduler=scheduler,
            workers=workers,
            progress=progress,
            command=" ".join(["dredge", *sys.argv[1:]]),
            echo=typer.echo,
            warn=warn_line,
        )
    except (ValueError, DredgeError) as exc:
        raise fail(str(exc)) from None
    if result.failures:
        raise fail(
            f"{len(result.failures)} of {len(result.scenes)} scene(s) failed; see "
            f"{out / 'failures.csv'} and the report",
            code=1,
        )


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo world and run.")] = Path(
        "demo-output"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic world (1–20).")] = 1,
    model: Annotated[
        Path | None, typer.Option(help="Weights with their card (default: bundled).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace a previous demo run (and a different demo world).")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Try everything on a small synthetic world: generate it, run, compare with the truth.

    Writes OUT/world (dredge synth) and OUT/run (dredge run, with report.html), then prints
    the yearly counts next to the world's true counts (also OUT/run/counts_vs_truth.csv).
    """
    from rich.console import Console
    from rich.table import Table

    from detector.demo import TOLERANCE, run_demo

    try:
        result = run_demo(
            out,
            seed=seed,
            model=model,
            overwrite=overwrite,
            progress=progress,
            echo=typer.echo,
            warn=warn_line,
        )
    except (ValueError, DredgeError) as exc:
        raise fail(str(exc)) from None
    table = Table(title="Unique dredges per river and year: counted vs truth")
    for column in ("river", "year", "counted", "low–high", "truth", "error"):
        table.add_column(column, justify="left" if column == "river" else "right")
    for row in result.comparison.itertuples(index=False):
        low = getattr(row, "unique_low", None)
        high = getattr(row, "unique_high", None)
        span = "" if low is None or high is None or pd_isna(low) else f"{int(low)}–{int(high)}"
        mark = "" if row.within_10pct else " ✗"
        table.add_row(
            str(row.river), str(row.year), str(row.unique_dredges), span, str(row.truth),
            f"{row.error:+d}{mark}",
        )  # fmt: skip
    Console().print(table)
    rows = len(result.comparison)
    typer.echo(
        f"{result.within_tolerance} of {rows} river-years within {TOLERANCE:.0%} of the truth "
        f"(✗: outside). Report: {result.run.report}"
    )
    if result.run.failures:
        raise fail(f"{len(result.run.failures)} scene(s) failed; see the report", code=1)


def pd_isna(value: object) -> bool:
    """True for None, NaN and pandas' NA."""
    import pandas as pd

    return bool(pd.isna(value))


@app.command()
def train(
    labels: Annotated[
        list[str] | None,
        typer.Argument(
            help=(
                "Label sets to fine-tune on: YOLO folders (data.yaml), COCO JSON (CVAT, Label "
                "Studio), GeoJSON/GeoPackage/Shapefile boxes or points over whole scenes (with "
                "--scenes and --rivers); and ultralytics key=value settings (e.g. lr0=0.0005). "
                "Without labels: the synthetic --recipe."
            )
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(help="Run folder: weights, model card, run.json, dataset/, yolo/."),
    ] = Path("runs/train"),
    recipe: Annotated[
        str | None,
        typer.Option(help="Synthetic recipe (no labels); 'default' reproduces the bundled model."),
    ] = None,
    from_model: Annotated[
        str,
        typer.Option(
            "--from",
            help="Starting model: 'bundled', 'scratch', or weights with their card.",
        ),
    ] = "bundled",
    epochs: Annotated[int | None, typer.Option(help="Epochs (labels: 10).")] = None,
    imgsz: Annotated[
        int | None,
        typer.Option(help="Training chip size, px; tiles are cut, never resized (labels: 128)."),
    ] = None,
    worlds: Annotated[
        int | None,
        typer.Option(
            help="Recipe only: the first two stages' worlds, seeds 101… (default: recipe's);"
            " the later stages' worlds follow them."
        ),
    ] = None,
    scenes: Annotated[
        list[Path] | None,
        typer.Option(help="Scenes the vector labels were drawn on (repeat, or folders)."),
    ] = None,
    rivers: Annotated[
        Path | None, typer.Option(help="River centerlines, to tile the scenes of vector labels.")
    ] = None,
    synthetic: Annotated[
        int, typer.Option(help="Synthetic training chips to mix in with the labels.")
    ] = 0,
    val_fraction: Annotated[
        float, typer.Option(help="Share of the labelled scenes held out for validation.")
    ] = 0.25,
    class_map: Annotated[
        str | None,
        typer.Option(
            help="Map label class names to the model's: draga=dredge,barco=boat,x=ignore."
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Model name in the card (default: --out's).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split, sampling and training.")] = 0,
    device: Annotated[str, typer.Option(help="cpu, or cuda when a GPU is visible.")] = "cpu",
    install: Annotated[
        bool,
        typer.Option(help="Recipe only: copy the weights and card into the bundled model."),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option(help="Replace a previous run in --out (with --install: the bundled model)."),
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Train a dredge detector: fine-tune on analysts' labels, or run a synthetic recipe.

    With LABELS: reads them against the starting model's classes and input, splits by scene,
    fine-tunes (default: from the bundled model), scores the new and the starting model on the
    held-out scenes, and writes OUT/model.pt, OUT/model.card.json and OUT/run.json. A failed
    run leaves no OUT folder behind.

    Without LABELS: generates the recipe's training worlds (reserved seeds 101–199), tiles
    them with the same tiler as `dredge detect`, trains a small YOLO11 (heads at strides 4 and
    8) from scratch in four stages (the third and fourth continue on other worlds), validates
    on held-out rivers and writes OUT/dredge-yolo11-p2.pt with OUT/dredge-yolo11-p2.card.json
    (about 2 h 40 min on two CPU cores).

    Example: dredge train review/ labels.gpkg --scenes planet/ --rivers rivers.gpkg --out runs/ft
    """
    import sys

    paths = [item for item in labels or [] if "=" not in item or Path(item).exists()]
    settings = [item for item in labels or [] if item not in paths]
    if paths or settings:
        if recipe is not None or worlds is not None or install:
            raise fail("--recipe, --worlds and --install train on synthetic worlds; leave them "
                       "out when giving labels")  # fmt: skip
        _train_on_labels(
            paths, settings, out, from_model=from_model, epochs=epochs, imgsz=imgsz,
            scenes=scenes, rivers=rivers, synthetic=synthetic, val_fraction=val_fraction,
            class_map=class_map, name=name, seed=seed, device=device, overwrite=overwrite,
            progress=progress, command=" ".join(["dredge", *sys.argv[1:]]),
        )  # fmt: skip
        return
    _train_recipe(
        out, recipe or "default", epochs=epochs, imgsz=imgsz, worlds=worlds, seed=seed,
        device=device, install=install, overwrite=overwrite, progress=progress,
    )  # fmt: skip


def _train_recipe(
    out: Path,
    recipe: str,
    *,
    epochs: int | None,
    imgsz: int | None,
    worlds: int | None,
    seed: int,
    device: str,
    install: bool,
    overwrite: bool,
    progress: bool,
) -> None:
    """``dredge train --recipe NAME``: the synthetic recipe (the bundled model's)."""
    import detector
    from training.train import RECIPES, check_install_target, train_default
    from training.train import install as install_model

    if recipe not in RECIPES:
        raise fail(f"unknown recipe {recipe!r}; known: {', '.join(RECIPES)}")
    bundled = Path(detector.__file__).parent / "weights"
    try:
        if install:
            check_install_target(bundled, overwrite=overwrite)  # before, not after, the hours
        result = train_default(
            out,
            epochs=epochs,
            imgsz=imgsz,
            device=device,
            worlds=worlds,
            seed=seed,
            progress=progress,
        )
        typer.echo(f"weights {result.weights}, card {result.card} ({result.duration_s:.0f} s)")
        val = result.metrics["val"]
        typer.echo(
            "val (dredge): "
            + ", ".join(f"{key} {val[key]:.3f}" for key in ("precision", "recall", "f1", "mAP50"))
        )
        if install:
            for path in install_model(out, bundled, overwrite=overwrite):
                typer.echo(f"installed {path}")
    except DredgeError as exc:
        raise fail(str(exc)) from None


def _train_on_labels(
    paths: list[str],
    settings: list[str],
    out: Path,
    *,
    from_model: str,
    epochs: int | None,
    imgsz: int | None,
    scenes: list[Path] | None,
    rivers: Path | None,
    synthetic: int,
    val_fraction: float,
    class_map: str | None,
    name: str | None,
    seed: int,
    device: str,
    overwrite: bool,
    progress: bool,
    command: str,
) -> None:
    """``dredge train LABELS...``: fine-tune on analysts' labels (training.finetune)."""
    from training.finetune import FinetuneConfig, finetune, parse_overrides
    from training.labels.classes import parse_class_map

    try:
        if not paths:
            raise DredgeError("no label paths given, only key=value settings")
        defaults = FinetuneConfig()
        config = FinetuneConfig(
            base=from_model,
            epochs=epochs or defaults.epochs,
            imgsz=imgsz or defaults.imgsz,
            val_fraction=val_fraction,
            synthetic=synthetic,
            seed=seed,
            device=device,
            name=name,
            overrides=parse_overrides(settings),
        )
        result = finetune(
            paths,
            out,
            config,
            class_map=parse_class_map(class_map),
            scenes=scenes or [],
            rivers=rivers,
            overwrite=overwrite,
            progress=progress,
            command=command,
            echo=typer.echo,
        )
    except (ValueError, DredgeError) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"weights {result.weights}, card {result.card} ({result.duration_s:.0f} s)")
    for key, label in (("val_before", "before"), ("val", "after")):
        if key in result.metrics:
            val = result.metrics[key]
            typer.echo(
                f"held-out scenes, dredge, {label}: "
                + ", ".join(f"{k} {val[k]:.3f}" for k in ("precision", "recall", "f1", "mAP50"))
            )


@app.command()
def evaluate(
    model: Annotated[
        str, typer.Argument(help="Weights (.pt or .onnx) with their card, or 'bundled'.")
    ],
    labels: Annotated[
        list[Path],
        typer.Argument(help="Label sets: YOLO folders, COCO JSON, vector files (+ --scenes)."),
    ],
    out: Annotated[Path, typer.Option(help="Folder for report.json and the PNG figures.")] = Path(
        "evaluation"
    ),
    iou: Annotated[float, typer.Option(help="A prediction matches a box at IoU ≥ this.")] = 0.5,
    match_m: Annotated[
        float | None,
        typer.Option(help="Match by centre distance instead: within this many metres."),
    ] = None,
    conf: Annotated[float, typer.Option(help="Operating score for precision/recall/F1.")] = 0.25,
    scenes: Annotated[
        list[Path] | None, typer.Option(help="Scenes of vector labels (repeat, or folders).")
    ] = None,
    rivers: Annotated[
        Path | None, typer.Option(help="River centerlines, to tile the scenes of vector labels.")
    ] = None,
    class_map: Annotated[
        str | None, typer.Option(help="Map label class names: draga=dredge,x=ignore.")
    ] = None,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    backend: Annotated[str, typer.Option(help="auto, torch or onnx.")] = "auto",
    flips: FlipsOption = True,
) -> None:
    """Score a model on labelled tiles: precision, recall, F1 and AP50 per class and source.

    Writes OUT/report.json, OUT/pr_curve.png, OUT/worst_false_positives.png and
    OUT/worst_misses.png. Tiles must be at the model's GSD (as `dredge tiles` and
    `dredge review` cut them; vector labels are tiled at it).
    """
    from rich.console import Console
    from rich.table import Table

    from training.evaluate_run import run_evaluation
    from training.labels.classes import parse_class_map

    try:
        evaluation, report = run_evaluation(
            model, labels, out, iou=iou, match_m=match_m, conf=conf, scenes=scenes or [],
            rivers=rivers, class_map=parse_class_map(class_map), device=device, backend=backend,
            flips=flips, echo=typer.echo,
        )  # fmt: skip
    except (ValueError, DredgeError) as exc:
        raise fail(str(exc)) from None
    table = Table(title=f"{evaluation.matching.describe()}, score ≥ {evaluation.conf:g}")
    for header in evaluation.headers():
        table.add_column(header, justify="left" if header in ("source", "class") else "right")
    for row in evaluation.table():
        table.add_row(*row)
    Console(width=160).print(table)
    typer.echo(f"report {report} (figures beside it)")


@app.command()
def review(
    detections: Annotated[
        Path, typer.Argument(help="Detections from `dredge detect` / `dredge run`.")
    ],
    scenes: Annotated[
        list[Path], typer.Option(help="The scenes the detections came from (repeat, or folders).")
    ],
    out: Annotated[Path, typer.Option(help="Folder for the review tiles and their labels.")],
    count: Annotated[int, typer.Option(help="Least certain detections to export.")] = 50,
    model: Annotated[
        Path | None,
        typer.Option(help="Model whose card gives GSD, bands and tile size (default: bundled)."),
    ] = None,
    scene_bands: SceneBandsOption = None,
    overwrite: Annotated[bool, typer.Option(help="Replace a previous review in --out.")] = False,
) -> None:
    """Export the least certain detections as tiles with pre-filled labels, to correct.

    Writes OUT/images/train/*.png with YOLO labels (OUT/labels/train, OUT/data.yaml,
    OUT/classes.txt), the same as COCO (OUT/annotations/instances_default.json, for CVAT and
    Label Studio), Label Studio tasks with predictions (OUT/label_studio_tasks.json), and
    OUT/tiles.csv. `dredge train OUT` (or the corrected export) reads them back.
    """
    from detector.inputspec import parse_bands
    from training.review import export_review

    try:
        summary = export_review(
            detections,
            scenes,
            out,
            count=count,
            model=model,
            bands=parse_bands(scene_bands) if scene_bands else None,
            overwrite=overwrite,
        )
    except (ValueError, DredgeError) as exc:
        raise fail(str(exc)) from None
    typer.echo(summary)


def reflow_help(typer_app: typer.Typer) -> None:
    """Join the lines of each paragraph of every command's help, so that the terminal wraps
    it at its own width. Typer keeps a docstring's line breaks: at 80 columns each of its
    90-column lines broke into a long line and a short one."""
    for info in typer_app.registered_commands:
        doc = info.help or inspect.getdoc(info.callback) or ""
        info.help = "\n\n".join(" ".join(part.split()) for part in doc.split("\n\n"))


reflow_help(app)


def main() -> None:
    """Entry point of the ``dredge`` script."""
    app()


if __name__ == "__main__":
    main()
