"""``dredge run`` and ``dredge demo``: scenes to counts, exports and the report in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from detector.cli.common import (
    COUNT_SCORE,
    MAX_LAND,
    MAX_STATIC_DAYS,
    BackendOption,
    BatchOption,
    ConfOption,
    CorridorOption,
    CountScoreOption,
    DatesOption,
    DeviceOption,
    FlipsOption,
    MaxLandOption,
    MaxStaticDaysOption,
    ModelOption,
    NameFieldOption,
    RiversOption,
    SceneBandsOption,
    app,
    check_out_folder,
    fail,
    given_path,
    typed_command,
    warn_line,
)
from detector.errors import DredgeError, UsageError
from detector.wording import count_of, part_of


@app.command()
def run(
    scenes: Annotated[
        list[str],
        typer.Argument(
            help=(
                "Scenes: GeoTIFFs, folders (their *.tif, less hidden files and UDM masks), "
                "quoted globs ('scenes/2024*.tif'; "
                "'mosaics/*.vrt' for other rasters GDAL reads), text files of "
                "paths, globs or URLs (one a line), or STAC JSON (Item, ItemCollection, Catalog)."
            )
        ),
    ],
    rivers: RiversOption,
    out: Annotated[
        Path,
        typer.Option(
            parser=given_path("--out", "a folder for the run"),
            metavar="<path>",
            help="Folder for every output (listed above); a rerun resumes it.",
        ),
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
            help="Start again in an --out that holds a run with other settings (or other "
            "files): the earlier run's saved detections (OUT/scenes/*.parquet) are removed, "
            "never other files there, and its outputs replaced."
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            help="Scenes processed in parallel by a local Dask cluster of N processes (a "
            "--scheduler tcp://… cluster has its own workers)."
        ),
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Run scenes as Dask tasks: 'local' (a local cluster of --workers), "
            "tcp://HOST:PORT (an existing cluster; see the README) or the path of its "
            "scheduler file (JSON, as `dask scheduler --scheduler-file FILE`, dask-mpi and "
            "dask-jobqueue write it: its address is used)."
        ),
    ] = None,
    scene_bands: SceneBandsOption = None,
    dates: DatesOption = None,
    corridor_m: CorridorOption = None,
    name_field: NameFieldOption = "name",
    count_score: CountScoreOption = COUNT_SCORE,
    max_static_days: MaxStaticDaysOption = MAX_STATIC_DAYS,
    progress: Annotated[
        bool, typer.Option(help="Show progress bars (on a terminal; none in a log or a pipe).")
    ] = True,
) -> None:
    """Scenes to yearly counts in one command: detect, track, count, export, report.

    Writes into OUT: detections.parquet, failures.csv, tracks.parquet (+
    tracks.detections.parquet, tracks.observations.csv), counts.csv, counts.json, counts.png,
    dredges.gpkg, dredges.geojson (+ dredges.detections.geojson), dredges.kml (Google Earth),
    run.json and report.html (one page, opens offline). A scene that cannot be used is reported
    and listed in failures.csv and the report; the others complete, and the exit code is then 1
    (2: bad input, or a file that could not be written; 3: an unexpected fault, such as running
    out of memory; 130 or 143: stopped by Ctrl-C or SIGTERM, with one line saying to run it
    again).

    Runs resume: each scene is saved as it finishes (OUT/scenes/, OUT/manifest.csv), so
    running the same command again after an interruption skips finished scenes (one whose
    file was replaced since is detected again, with a warning) and retries failed ones; to
    add new scenes to a run, give the earlier scenes too (both folders). A full
    disk or an OUT that cannot be written stops the run with one line;
    every file already written stays whole, and the same command finishes the run.

    Example: dredge run planet/2024/ --rivers rivers.gpkg --out runs/2024
    """
    from detector.date_tables import read_date_table
    from detector.inputspec import parse_bands
    from detector.rivers import DEFAULT_CORRIDOR_M
    from detector.run import run_pipeline

    try:
        if not 0 <= conf <= 1:
            raise UsageError(f"--conf must be between 0 and 1, got {conf}")
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
            dates=read_date_table(dates) if dates else None,
            corridor_m=DEFAULT_CORRIDOR_M if corridor_m is None else corridor_m,
            name_field=name_field,
            count_score=count_score,
            max_static_days=max_static_days,
            overwrite=overwrite,
            scheduler=scheduler,
            workers=workers,
            progress=progress,
            command=typed_command(),
            echo=typer.echo,
            warn=warn_line,
        )
    except DredgeError as exc:  # another ValueError is a fault: its traceback and exit 3
        raise fail(str(exc)) from None
    if result.failures:
        raise fail(
            f"{part_of(len(result.failures), len(result.scenes), 'scene')} failed; see "
            f"{out / 'failures.csv'} and the report",
            code=1,
        )


@app.command()
def demo(
    out: Annotated[
        Path,
        typer.Option(
            parser=given_path("--out", "a folder for the demo, or leave it out (demo-output)"),
            metavar="<path>",
            help="Folder for the demo world and run.",
        ),
    ] = Path("demo-output"),
    seed: Annotated[
        int,
        typer.Option(
            help="Seed of the synthetic world (1–20, or 200 on: 101–199 are the training worlds)."
        ),
    ] = 1,
    model: Annotated[
        Path | None,
        typer.Option(
            parser=given_path("--model", "a weights file, or leave it out (the bundled model)"),
            metavar="<path>",
            help="Weights with their card (default: bundled).",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace a previous demo run (and a different demo world).")
    ] = False,
    progress: Annotated[
        bool, typer.Option(help="Show progress bars (on a terminal; none in a log or a pipe).")
    ] = True,
) -> None:
    """Try everything on a small synthetic world: generate it, run, compare with the truth.

    Writes OUT/world (dredge synth) and OUT/run (dredge run, with report.html), then prints
    the yearly counts next to the world's true counts (also OUT/run/counts_vs_truth.csv).
    """
    from rich.console import Console
    from rich.table import Table

    from detector.demo import TOLERANCE, run_demo

    try:
        check_out_folder(out)  # it named OUT/world: 'cannot write here (Not a directory)'
        result = run_demo(
            out,
            seed=seed,
            model=model,
            overwrite=overwrite,
            progress=progress,
            echo=typer.echo,
            warn=warn_line,
        )
    except DredgeError as exc:  # another ValueError is a fault: its traceback and exit 3
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
        f"{part_of(result.within_tolerance, rows, 'river-year')} within {TOLERANCE:.0%} of the "
        "truth "
        f"(✗: outside). Report: {result.run.report}"
    )
    if result.run.failures:
        raise fail(f"{count_of(len(result.run.failures), 'scene')} failed; see the report", code=1)


def pd_isna(value: object) -> bool:
    """True for None, NaN and pandas' NA."""
    import pandas as pd

    return bool(pd.isna(value))
