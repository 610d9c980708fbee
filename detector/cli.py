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


def main() -> None:
    """Entry point of the ``dredge`` script."""
    app()


if __name__ == "__main__":
    main()
