"""``dredge track`` and ``dredge counts``: detections to dredge tracks to yearly counts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from detector.cli.common import (
    COUNT_SCORE,
    MAX_STATIC_DAYS,
    SCENES_GIVEN,
    CountScoreOption,
    MaxStaticDaysOption,
    NameFieldOption,
    OverwriteOption,
    app,
    check_files_to_write,
    fail,
    finite_metres,
    given_path,
    refuse_to_replace,
    warn_line,
)
from detector.errors import DredgeError
from detector.file_identity import same_file


@app.command()
def track(
    detections: Annotated[
        list[Path],
        typer.Argument(
            parser=given_path("DETECTIONS", "detections: detections.parquet, or marks"),
            help=(
                "Detections: detections.parquet from `dredge detect`, or points/boxes marked "
                "by hand (GeoParquet, GeoPackage, GeoJSON, Shapefile, CSV with lon/lat in "
                "degrees or as Google Earth shows them, or x/y with a 'crs' column; Google "
                "Earth placemarks in KML/KMZ dated by TimeStamp or by a folder named by the "
                "date). Only a date ('acquired', 'fecha') and a position are required; a "
                "'cantidad' column counts several dredges at a point. Several files (e.g. one "
                "`dredge detect` output per month) are tracked as one; a scene in two detector "
                "outputs is refused."
            ),
        ),
    ],
    rivers: Annotated[
        Path,
        typer.Option(
            parser=given_path("--rivers", "a file of river centerlines"),
            metavar="<path>",
            help="River centerlines (GeoJSON, GeoPackage, Shapefile, GeoParquet, KML).",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            parser=given_path(
                "--out", "a file to write, e.g. tracks.parquet", file_named="tracks.parquet"
            ),
            metavar="<path>",
            help=(
                "Tracks file to write (GeoParquet, one row per dredge). Beside it go "
                "<stem>.detections.parquet (detections with their track_id) and "
                "<stem>.observations.csv (dates each river was seen); refused where one of "
                "them is a DETECTIONS file."
            ),
        ),
    ] = Path("tracks.parquet"),
    scenes: Annotated[
        list[str] | None,
        typer.Option(
            callback=SCENES_GIVEN,
            help=(
                "Scenes (one path each time: --scenes a/ --scenes b/; GeoTIFFs, folders, globs, "
                "lists, STAC or URLs as for `dredge run`). Their clear, valid areas "
                "(UDM2 masks beside the scenes, or the older UDM) tell where a dredge was seen "
                "absent. Without them "
                "a dredge counts as gone after 30 days without a detection."
            ),
        ),
    ] = None,
    dates: Annotated[
        Path | None,
        typer.Option(
            parser=given_path("--dates", "a CSV of scene,date, or leave it out"),
            metavar="<path>",
            help=(
                "CSV with columns scene,date: dates of --scenes that have no detection and no "
                "date in their name, Planet or Maxar metadata or tags (as given to "
                "`dredge detect`)."
            ),
        ),
    ] = None,
    min_dates: Annotated[
        int | None,
        typer.Option(
            min=1,
            help=(
                "Dates a dredge must be seen on to be counted (default: 2 for detector "
                "output with scores, 1 for detections marked by hand). A dredge seen once "
                "at the start or end of the imagery counts."
            ),
        ),
    ] = None,
    count_score: CountScoreOption = COUNT_SCORE,
    max_static_days: MaxStaticDaysOption = MAX_STATIC_DAYS,
    max_move_m: Annotated[
        float,
        typer.Option(
            min=0.0,
            callback=finite_metres,
            help="Longest move of a dredge along the river between moorings, m.",
        ),
    ] = 6000.0,
    corridor_m: Annotated[
        float,
        typer.Option(
            min=1.0,
            callback=finite_metres,
            help="Detections farther than this from every centerline are off-river, m.",
        ),
    ] = 250.0,
    name_field: NameFieldOption = "name",
    overwrite: OverwriteOption = False,
) -> None:
    """Link detections across dates into one track per dredge, along each river.

    Movement is measured along the channel (chainage), gated by a plausible move for the time
    elapsed; dredges moored side by side stay apart, and since a group moves as one, a move
    is matched to an arrival in a group of the same size, at the same place across the
    channel, before a nearer one; a dredge under cloud keeps its track.
    Dates in any format or time zone are converted to UTC; detections on no river are kept
    with no track (one warning line).
    """
    from detector.date_tables import read_date_table
    from detector.scene_sources import scene_folder_error
    from detector.track_pipeline import run_track, sidecars
    from detector.tracking import TrackParams

    try:
        for path in detections:
            if (folder := scene_folder_error(path, "DETECTIONS")) is not None:
                raise folder
        check_files_to_write([out])  # before the names of the files beside it are made
        _refuse_to_write_over_inputs(detections, [out, *sidecars(out)])
        refuse_to_replace([out, *sidecars(out)], overwrite=overwrite)
        if dates and not scenes:  # it was read, then not used, without a word
            raise DredgeError(
                f"{dates}: --dates dates the scenes given with --scenes, and none were given — "
                "give the scenes (--scenes), or leave --dates out (detections keep their own dates)"
            )
        table = read_date_table(dates) if dates else None
        for note in table.notes if table else []:
            warn_line(note)
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
            dates=table,
        )
    except DredgeError as exc:
        raise fail(str(exc)) from None
    for note in run.notes:
        typer.secho(f"note: {note}", fg=typer.colors.YELLOW, err=True)
    typer.echo(run.summary)


def _refuse_to_write_over_inputs(detections: list[Path], written: list[Path]) -> None:
    """DredgeError when a file `dredge track` writes is one of its DETECTIONS: with
    --overwrite, `--out detections.parquet` replaced the detector's output with one row per
    dredge, and an edited tracks.detections.parquet given back with `--out tracks.parquet`
    was replaced by its relinked copy (the rows made boats by hand gone from it)."""
    for path in written:
        same = next((given for given in detections if _same_file(given, path)), None)
        if same is not None:
            what = "the tracks" if path == written[0] else "the linked detections"
            raise DredgeError(
                f"{same}: given as DETECTIONS, and --out {written[0]} writes {what} to it, "
                "over the file read — choose another --out (e.g. tracks_2.parquet)"
            )


def _same_file(a: Path, b: Path) -> bool:
    """Whether the paths name one file (another spelling, a link), as far as can be told."""
    try:
        return a.exists() and b.exists() and same_file(a, b)  # inode 0: not any two files
    except OSError:
        return a.resolve() == b.resolve()


@app.command()
def counts(
    tracks: Annotated[
        Path,
        typer.Argument(
            parser=given_path("TRACKS", "the tracks file written by `dredge track`"),
            help="Tracks file written by `dredge track` (e.g. tracks.parquet).",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            parser=given_path("--out", "a file to write, e.g. counts.csv", file_named="counts.csv"),
            metavar="<path>",
            help=(
                "Counts table: river, year, unique_dredges, new_dredges, detections, scenes, "
                "unique_low, unique_high, seen_km, seen_share (one row per river and year, zeros "
                "included)."
            ),
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
        Path | None,
        typer.Option(
            parser=given_path(
                "--chart",
                "a file to draw, e.g. counts.png, or leave it out",
                file_named="counts.png",
            ),
            metavar="<path>",
            help="Also draw a PNG chart of unique dredges per river/year (SVG, PDF or JPEG for "
            "a name ending .svg, .pdf or .jpg).",
        ),
    ] = None,
    gpkg: Annotated[
        Path | None,
        typer.Option(
            parser=given_path(
                "--gpkg",
                "a file to write, e.g. dredges.gpkg, or leave it out",
                file_named="dredges.gpkg",
            ),
            metavar="<path>",
            help="Also write a GeoPackage with layers 'dredges' and 'detections'.",
        ),
    ] = None,
    geojson: Annotated[
        Path | None,
        typer.Option(
            parser=given_path(
                "--geojson",
                "a file to write, e.g. dredges.geojson, or leave it out",
                file_named="dredges.geojson",
            ),
            metavar="<path>",
            help="Also write the dredges as GeoJSON (detections: <stem>.detections).",
        ),
    ] = None,
    kml: Annotated[
        Path | None,
        typer.Option(
            parser=given_path(
                "--kml",
                "a file to write, e.g. dredges.kml, or leave it out",
                file_named="dredges.kml",
            ),
            metavar="<path>",
            help="Also write KML for Google Earth (zipped for a name ending .kmz): one placemark "
            "per dredge, its dates, and its detections (which `dredge track` reads back).",
        ),
    ] = None,
    detections: Annotated[
        Path | None,
        typer.Option(
            parser=given_path("--detections", "the linked detections, or leave it out"),
            metavar="<path>",
            help=(
                "Linked detections (default: <tracks stem>.detections.parquet); refused when "
                "they do not match TRACKS (edited, or of another run)."
            ),
        ),
    ] = None,
    observations: Annotated[
        Path | None,
        typer.Option(
            parser=given_path("--observations", "the observations CSV, or leave it out"),
            metavar="<path>",
            help="Dates each river was seen (default: <tracks stem>.observations.csv).",
        ),
    ] = None,
    overwrite: OverwriteOption = False,
) -> None:
    """Count unique dredges per river and year from tracks, and export them.

    unique_low/unique_high give the range where tracking was ambiguous: low merges tracks that
    may be one dredge seen again (maybe_same_as), high adds the tracks detected that year that
    were not counted (seen on too few dates, faint, static: their uncounted_reason).

    River-years whose scenes (given to `dredge track --scenes`) were more than 10 days apart on
    average are named: groups that leave and arrive between two looks pass for moves there,
    so their counts are likely low. Feed every clear scene you have.
    """
    from detector.exports import COUNTS_OPTIONS, counts_format, geojson_paths
    from detector.track_pipeline import run_counts
    from detector.writing import placed_together

    try:
        counts_format(out, fmt)  # before the files to write are checked
        check_files_to_write([out, chart, gpkg, kml, geojson])  # before geojson's detections'
        written = [out, chart, gpkg, kml, *(geojson_paths(geojson) if geojson else [])]
        refuse_to_replace(written, overwrite=overwrite)
        with placed_together():  # stopped while writing the KML, the new counts lay beside
            lines = run_counts(  # the earlier exports
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
                names=COUNTS_OPTIONS,  # its messages name these options, not fmt= …
            )
    except DredgeError as exc:  # another ValueError is a fault: its traceback and exit 3
        raise fail(str(exc)) from None
    for line in lines:
        typer.echo(line)
