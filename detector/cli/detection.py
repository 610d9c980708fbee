"""``dredge detect``: scenes to one georeferenced table of detections."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from detector.cli.common import (
    MAX_LAND,
    BackendOption,
    BatchOption,
    ConfOption,
    CorridorOption,
    DateOption,
    DatesOption,
    DeviceOption,
    FlipsOption,
    MaxLandOption,
    ModelOption,
    NameFieldOption,
    RiversOption,
    SceneBandsOption,
    ScenePathsArgument,
    app,
    check_files_to_write,
    date_option,
    fail,
    given_path,
    refuse_to_replace,
    warn_line,
)
from detector.errors import DredgeError, UsageError
from detector.wording import count_of, part_of


@app.command()
def detect(
    scenes: ScenePathsArgument,
    rivers: RiversOption,
    out: Annotated[
        Path,
        typer.Option(
            parser=given_path(
                "--out", "a file to write, e.g. detections.parquet", file_named="detections.parquet"
            ),
            metavar="<path>",
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
    progress: Annotated[
        bool, typer.Option(help="Show progress bars (on a terminal; none in a log or a pipe).")
    ] = True,
) -> None:
    """Find dredges in scenes along the rivers and write one georeferenced table.

    Tiles each scene along the river corridors at the model card's GSD, runs the model in
    batches, merges duplicates from overlapping tiles in map space, and writes one row per
    detection in EPSG:4326: detection_id, scene, acquired (UTC), sensor, class_name, score,
    river, chainage_m, offset_m, geometry (box). A scene that cannot be used is reported,
    recorded in <stem>.failures.csv, and the others go on; the exit code is then 1.
    """
    from detector.date_tables import read_date_table
    from detector.detect import detect_scenes, output_format, write_detections_and_failures
    from detector.inputspec import parse_bands
    from detector.model import load_model
    from detector.rivers import DEFAULT_CORRIDOR_M, RiverNetwork
    from detector.scene_sources import require_scenes

    try:
        check_files_to_write([out])  # before its name is taken for the failures'
        failures_path = out.with_name(f"{out.stem}.failures.csv")
        refuse_to_replace([out, failures_path], overwrite=True)  # a folder, below a file
        kind = output_format(out, fmt)
        if out.exists() and not overwrite:
            raise DredgeError(f"{out}: exists — choose another --out, or pass --overwrite")
        if not 0 <= conf <= 1:
            raise UsageError(f"--conf must be between 0 and 1, got {conf}")
        if batch < 1:
            raise UsageError(f"--batch must be at least 1, got {batch}")
        own_bands = parse_bands(scene_bands) if scene_bands else None
        when = date_option(date)
        network = RiverNetwork.read(
            rivers,
            name_field=name_field,
            corridor_m=DEFAULT_CORRIDOR_M if corridor_m is None else corridor_m,
        )
        sources = require_scenes(scenes)
        paths = sources.paths
        given = read_date_table(dates) if dates else None
        table = sources.dates_with(given)
        for note in [*network.notes, *sources.notes, *(given.notes if given else [])]:
            warn_line(note)
        detector = load_model(model, backend=backend, device=device, flips=flips)
        typer.echo(f"model: {detector.describe()}")
        for note in detector.notes:
            warn_line(note)
        frame, failures = detect_scenes(
            paths,
            network,
            model=detector,
            conf=conf,
            batch=batch,
            max_land=max_land,
            bands=own_bands,
            date=when,
            dates=table or None,
            progress=progress,
            echo=typer.echo,
            warn=warn_line,
        )
        write_detections_and_failures(frame, out, kind, failures, failures_path)
    except DredgeError as exc:  # another ValueError is a fault: its traceback and exit 3
        raise fail(str(exc)) from None
    done = len(paths) - len(failures)
    typer.echo(f"{count_of(len(frame), 'detection')} from {count_of(done, 'scene')} → {out}")
    if failures:
        failed = part_of(len(failures), len(paths), "scene")
        raise fail(f"{failed} failed; see {failures_path}", code=1)
