"""``dredge synth`` and ``dredge tiles``: a synthetic world, and scenes cut into chips."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from detector.cli.common import (
    CorridorOption,
    DateOption,
    DatesOption,
    NameFieldOption,
    RiversOption,
    SceneBandsOption,
    ScenePathsArgument,
    app,
    check_out_folder,
    date_option,
    fail,
    given_path,
    given_text,
    refuse_to_replace,
    warn_line,
)
from detector.errors import DredgeError
from detector.wording import count_of, part_of
from detector.writing import refused_writes


def list_river_catalogue(value: bool) -> None:
    """``--list-rivers``: print the rivers a synthetic world knows and exit (no --out needed)."""
    if not value:
        return
    from training.synth.world import RIVER_CATALOGUE

    for spec in RIVER_CATALOGUE.values():
        typer.echo(f"{spec.name:10s} EPSG:{spec.epsg}  {spec.water:10s} {spec.description}")
    raise typer.Exit()


@app.command()
def synth(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            parser=given_path("--out", "a folder to write the world into"),
            metavar="<path>",
            help="Folder to write the world into.",
        ),
    ],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same bytes.")] = 1,
    rivers: Annotated[
        str | None,
        typer.Option(
            callback=given_text("river names (see --list-rivers), or leave it out (all rivers)"),
            help="Comma-separated river names (default: all). See --list-rivers.",
        ),
    ] = None,
    years: Annotated[
        str,
        typer.Option(
            help="Year or range, e.g. 2023-2025; its scenes must be dated before today "
            "(`dredge` refuses dates after today as typos)."
        ),
    ] = "2023-2025",
    size: Annotated[
        str,
        typer.Option(
            help="small (3 km reaches, 3 dates a year: every river over 2023-2025, 45 scenes, "
            "about 100 s on two cores; one river and one year, 3 scenes, seconds), monthly "
            "(the same with 12 dates a year), weekly (52 dates a year) or full (9 km, 6 dates "
            "a year)."
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
        bool,
        typer.Option(
            "--list-rivers",
            is_eager=True,
            callback=list_river_catalogue,
            help="List the rivers this world knows and exit.",
        ),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option(
            help="Replace a world that `dredge synth` made in --out (a folder of other files is "
            "never replaced)."
        ),
    ] = False,
) -> None:
    """Generate a synthetic multi-date river world with scenes and ground truth.

    Writes OUT/scenes/*.tif (Planet file names, UDM2 masks and metadata beside them),
    OUT/rivers.geojson, OUT/truth/dredges.csv, OUT/truth/counts.csv, OUT/truth/boxes/*.csv,
    OUT/world.json and OUT/quicklooks/*.png.
    """
    from training.synth.world import WorldConfig, training_seed_note, write_world

    try:
        config = WorldConfig.from_cli(
            seed=seed, rivers=rivers, years=years, size=size, gsd=gsd, style=style
        )
        trained = training_seed_note(seed)
        if trained:
            warn_line(f"warning: {trained}")
        with refused_writes(out):
            summary = write_world(config, out, overwrite=overwrite, progress=True)
    except DredgeError as exc:
        raise fail(str(exc)) from None
    typer.echo(summary)


@app.command()
def tiles(
    scenes: ScenePathsArgument,
    rivers: RiversOption,
    out: Annotated[
        Path,
        typer.Option(
            parser=given_path("--out", "a folder for the chips"),
            metavar="<path>",
            help="Folder for chips/, tiles.parquet, failures.csv.",
        ),
    ],
    fmt: Annotated[
        str, typer.Option("--format", help="png (8-bit, 1 or 3 bands) or tif (float32).")
    ] = "png",
    gsd: Annotated[float, typer.Option(help="Ground sampling distance of the chips, m.")] = 3.0,
    tile_px: Annotated[int, typer.Option(help="Chip size in pixels.")] = 256,
    overlap_px: Annotated[int, typer.Option(help="Overlap of neighbouring chips, px.")] = 32,
    bands: Annotated[str, typer.Option(help="Chip bands, e.g. red,green,blue.")] = "red,green,blue",
    scale: Annotated[
        str,
        typer.Option(
            help="display (reflectance 0.3 = white, as the bundled model reads: chips to label "
            "for it) or reflectance (÷10000)."
        ),
    ] = "display",
    scene_bands: SceneBandsOption = None,
    corridor_m: CorridorOption = None,
    name_field: NameFieldOption = "name",
    date: DateOption = None,
    dates: DatesOption = None,
    progress: Annotated[
        bool, typer.Option(help="Show a progress bar (on a terminal; none in a log or a pipe).")
    ] = True,
    overwrite: Annotated[
        bool,
        typer.Option(
            help="Replace OUT/tiles.parquet, OUT/failures.csv and the chips of the earlier run "
            "(label files beside them are kept) when OUT holds them; otherwise the command stops."
        ),
    ] = False,
) -> None:
    """Cut scenes into chips along the river corridors, for labelling or inspection.

    Writes OUT/chips/<scene>/<tile>.png|tif and OUT/tiles.parquet (GeoParquet, footprints in
    EPSG:4326), and prints per scene the pixels read against the pixels in the scene and the
    share of the river corridor covered. A scene that cannot be used is reported, recorded in
    OUT/failures.csv, and the others go on; the exit code is then 1.
    """
    from detector.chips import (
        check_chips_folder,
        clear_old_chips,
        earlier_chips_refused,
        earlier_scene_names,
        run_tiles,
        tiles_spec,
    )
    from detector.date_tables import read_date_table
    from detector.inputspec import parse_bands
    from detector.rivers import DEFAULT_CORRIDOR_M, RiverNetwork
    from detector.scene_sources import require_scenes

    try:
        check_out_folder(out)
        refuse_to_replace([out / "tiles.parquet", out / "failures.csv"], overwrite=overwrite)
        if not overwrite:
            check_chips_folder(out)
        spec = tiles_spec(bands, gsd, tile_px, overlap_px, scale, fmt)
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
        try:
            taken = earlier_scene_names(out, paths) if overwrite else None
            cleared = clear_old_chips(out) if overwrite else []
        except OSError as exc:  # an earlier run's chips that cannot be read or removed
            raise earlier_chips_refused(exc, out) from exc
    except DredgeError as exc:  # another ValueError is a fault: its traceback and exit 3
        raise fail(str(exc)) from None
    for note in [*network.notes, *sources.notes, *(given.notes if given else []), *cleared]:
        warn_line(note)
    try:
        run = run_tiles(
            paths,
            network,
            out,
            spec,
            fmt=fmt,
            bands=own_bands,
            date=when,
            dates=table or None,
            echo=typer.echo,
            warn=warn_line,
            progress=progress,
            taken=taken,
        )
    except DredgeError as exc:  # the disk: a scene's own fault is recorded and the batch goes on
        raise fail(str(exc)) from None
    typer.echo(
        f"{count_of(run.tiles, 'chip')} from {count_of(len(run.coverages), 'scene')} → "
        f"{out / 'tiles.parquet'}"
    )
    if run.failures:
        raise fail(
            f"{part_of(len(run.failures), len(paths), 'scene')} failed; see {out / 'failures.csv'}",
            code=1,
        )
