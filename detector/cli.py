"""The ``dredge`` command line.

Each stage lives in its own module and can be run alone; this file only wires the commands.
Heavy imports (torch, ultralytics, rasterio) happen inside the commands, so ``dredge --help``
stays fast.
"""

from __future__ import annotations

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
        "Typical use: `dredge synth --out world --seed 1 --size small` makes a synthetic "
        "PlanetScope-like world with ground truth to try everything on."
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
ConfOption = Annotated[float, typer.Option(help="Lowest detection score kept, 0–1.")]
DeviceOption = Annotated[str, typer.Option(help="cpu or cuda.")]
BackendOption = Annotated[
    str, typer.Option(help="auto (onnxruntime on CPU, torch on CUDA), torch or onnx.")
]
BatchOption = Annotated[int, typer.Option(help="Tiles per model call.")]


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
    size: Annotated[str, typer.Option(help="small (seconds, for tests) or full.")] = "small",
    gsd: Annotated[
        float, typer.Option(help="Ground sampling distance in metres (PlanetScope: 3).")
    ] = 3.0,
    style: Annotated[
        str,
        typer.Option(
            help="planetscope: 4-band uint16 reflectance (BGRN); rgb8: 3-band 8-bit RGB (Maxar).",
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
        detector = load_model(model, backend=backend, device=device)
        typer.echo(f"model: {detector.describe()}")
        frame, failures = detect_scenes(
            paths,
            network,
            model=detector,
            conf=conf,
            batch=batch,
            bands=own_bands,
            date=when,
            dates=table,
            progress=progress,
            echo=typer.echo,
            warn=warn_line,
        )
        write_detections(frame, out, kind)
    except (ValueError, DredgeError) as exc:
        raise fail(str(exc)) from None
    write_failures(failures, failures_path)
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
                "output with scores, 1 for detections marked by hand)."
            )
        ),
    ] = None,
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
    elapsed; dredges moored side by side stay apart; a dredge under cloud keeps its track.
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
            params=TrackParams(max_move_m=max_move_m),
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
    out: Annotated[Path, typer.Option(help="Folder for every output (see below).")],
    model: ModelOption = None,
    conf: ConfOption = 0.25,
    device: DeviceOption = "cpu",
    backend: BackendOption = "auto",
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
    failed ones.

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
            scene_bands=parse_bands(scene_bands) if scene_bands else None,
            corridor_m=DEFAULT_CORRIDOR_M if corridor_m is None else corridor_m,
            name_field=name_field,
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
    out: Annotated[
        Path,
        typer.Option(help="Run folder: worlds/, dataset/, yolo/ (ultralytics), weights and card."),
    ],
    recipe: Annotated[
        str, typer.Option(help="Training recipe; 'default' reproduces the bundled model.")
    ] = "default",
    epochs: Annotated[int | None, typer.Option(help="Epochs (default: the recipe's).")] = None,
    imgsz: Annotated[
        int | None, typer.Option(help="Training image size, px (default: the recipe's).")
    ] = None,
    worlds: Annotated[
        int | None,
        typer.Option(help="Synthetic training worlds to generate, seeds 101… (default: recipe's)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split, sampling and training.")] = 0,
    device: Annotated[str, typer.Option(help="cpu, or cuda when a GPU is visible.")] = "cpu",
    install: Annotated[
        bool, typer.Option(help="Copy the weights and card into the package's bundled model.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option(help="With --install: replace the bundled model.")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Train a dredge detector from synthetic worlds and write its weights and model card.

    Generates the recipe's training worlds (reserved seeds 101–199), tiles them with the same
    tiler as `dredge detect`, trains a small YOLO11 (heads at strides 4 and 8) from scratch,
    validates on held-out rivers and
    writes OUT/dredge-yolo11-p2.pt with OUT/dredge-yolo11-p2.card.json. Retraining on analysts'
    labels comes with issue 5.
    """
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


def main() -> None:
    """Entry point of the ``dredge`` script."""
    app()


if __name__ == "__main__":
    main()
