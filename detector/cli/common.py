"""What the commands share: the ``app``, options used by several commands, error lines."""

from __future__ import annotations

import functools
import inspect
import math
import os
from collections.abc import Callable, Iterable
from datetime import datetime
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


def finite_metres(value: float | None) -> float | None:
    """Option callback: a distance must be a finite number (``inf`` passes typer's ``min``, and
    a corridor of ``inf`` metres was a shapely traceback or 'on no river' for every
    detection; a move of ``inf`` metres, a traceback of the track assignment)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a number of metres; give a finite one")
    return value


def refuse_empty(option: str, what: str) -> typer.Exit:
    """Print the line for an empty ``option`` (``--dates ""``, an unset shell variable) and
    return the exit to raise: it was taken as not given (``--scene-bands``, ``synth
    --rivers``: all rivers), or named the current folder (``--dates``: '.: file not found')."""
    return fail(f"{option}: empty — give {what}")


def given_text(what: str) -> Callable[[typer.CallbackParam, str | None], str | None]:
    """Option callback: a text option given empty is one line naming it (:func:`refuse_empty`)."""

    def check(param: typer.CallbackParam, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise refuse_empty(max(param.opts, key=len), what)
        return value

    return check


def given_texts(name: str, what: str) -> Callable[[list[str] | None], list[str] | None]:
    """Callback of a list of paths taken as text (``dredge train LABELS``, ``--scenes``): an
    item given empty is one line naming ``name`` (:func:`refuse_empty`). `dredge train ""` said
    '.: is not a label set this tool reads' of the current folder, and ``--scenes ""`` 'a SCENES
    argument is empty', naming no option."""

    def check(value: list[str] | None) -> list[str] | None:
        if value and any(not item.strip() for item in value):
            raise refuse_empty(name, what)
        return value

    return check


SCENES_GIVEN = given_texts(
    "--scenes", "scenes: files, folders, globs, lists or STAC, or leave it out"
)


def given_path(option: str, what: str, *, file_named: str | None = None) -> Callable[[str], Path]:
    """Option parser: a path option given empty is one line naming it, not ``.`` (typer reads
    ``""`` as the current folder). With ``file_named`` (the option names a file to write, e.g.
    ``counts.csv``), a path typed as a folder (``results/``, ``results/.``) is one line naming
    the option: ``Path`` drops the slash, and `dredge counts --out results/` wrote a CSV file
    named ``results``."""

    def parse(text: str | Path) -> Path:
        if isinstance(text, Path):  # a default
            return text
        if not text.strip():
            raise refuse_empty(option, what)
        if file_named is not None and names_folder(text):
            raise fail(
                f"{option}: {text!r} names a folder — give a file name "
                f"({os.path.join(os.path.normpath(text), file_named)})"
            )
        return Path(text)

    return parse


def names_folder(text: str) -> bool:
    """True for a path typed as a folder: ending in a separator, ``/.`` or ``/..`` (a bare ``.``
    is the current folder, refused where the file would be written)."""
    seps = [sep for sep in (os.sep, os.altsep) if sep]
    return text.endswith(tuple(sep + end for sep in seps for end in ("", ".", "..")))


# Options that several commands share, defined once.
ScenePathsArgument = Annotated[
    list[str],
    typer.Argument(
        help="Scenes: GeoTIFFs, folders (their *.tif, less hidden files and UDM masks), "
        "quoted globs ('scenes/2024*.tif'; "
        "'mosaics/*.vrt' for other rasters GDAL reads), text files of "
        "paths, globs or URLs (one a line), or STAC JSON (Item, ItemCollection, Catalog)."
    ),
]
RiversOption = Annotated[
    Path,
    typer.Option(
        parser=given_path("--rivers", "a file of river centerlines"),
        metavar="<path>",
        help="River centerlines: GeoJSON, GeoPackage, Shapefile, GeoParquet, KML.",
    ),
]
SceneBandsOption = Annotated[
    str | None,
    typer.Option(
        callback=given_text("the bands in file order, e.g. red,green,blue,nir, or leave it out"),
        help="Name the scenes' own bands in file order, e.g. red,green,blue,nir. Default: the "
        "band names in each file's header, else a Planet or Maxar product name or NICFI's grid, "
        "else its colour tags, else by band count (4: Planet's blue,green,red,nir; 8: "
        "SuperDove; 3: red,green,blue).",
    ),
]
CorridorOption = Annotated[
    float | None,
    typer.Option(
        min=1.0,
        callback=finite_metres,
        help="Corridor half-width around centerlines, m (default: 250).",
    ),
]
NameFieldOption = Annotated[
    str,
    typer.Option(
        help="Column of the river names, e.g. NOMBRE_RIO (default: 'name' or 'nombre' in any "
        "case, whichever is there: Name, NAME, NOMBRE).",
        show_default=False,
    ),
]
DateOption = Annotated[
    str | None,
    typer.Option(
        help="Acquisition date for every scene: YYYY-MM-DD (a scene whose own time is of that "
        "day keeps it), or a time with its zone, e.g. 2024-03-17T14:50:00Z, 2024-03-17 09:50 "
        "UTC-05:00. A date before Landsat 1's first image (1972-07-23) is refused."
    ),
]
DatesOption = Annotated[
    Path | None,
    typer.Option(
        parser=given_path("--dates", "a CSV of scene,date, or leave it out"),
        metavar="<path>",
        help="CSV of dates for scenes with none in their name, Planet or Maxar metadata or tags "
        "(a scene listed takes the table's date over its own, with a note where they differ): "
        "columns "
        "scene,date (or escena,fecha), the scene by file name or stem, the date ISO (2024-03-17, "
        "2024-03-17 09:50 UTC-05:00: a zone named in any case), day first (17/03/2024) or as a "
        "TIFF tag writes it (2024:03:17 14:50:00). A date after today or before 1972-07-23 "
        "(Landsat 1) is refused, naming its row's scene.",
        show_default=False,
    ),
]
ModelOption = Annotated[
    Path | None,
    typer.Option(
        parser=given_path("--model", "a weights file, or leave it out (the bundled model)"),
        metavar="<path>",
        help="Weights (.pt or .onnx) with <stem>.card.json beside, or the card (default: bundled).",
    ),
]
ConfOption = Annotated[
    float,
    typer.Option(
        help="Lowest detection score kept, 0–1; a dredge box side by side with one scoring this "
        "(a group member) is kept from 0.6 × it."
    ),
]
DeviceOption = Annotated[str, typer.Option(help="cpu or cuda (cuda:N: GPU N).")]
BackendOption = Annotated[
    str, typer.Option(help="auto (onnxruntime on CPU, torch on CUDA), torch or onnx.")
]
BatchOption = Annotated[int, typer.Option(min=1, help="Tiles per model call.")]
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
        "is land, read from the scene's blue, green and NIR bands (a roof on the bank, not a "
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


def typed_command() -> str:
    """The command as typed, quoted as a shell reads it (for run.json and a model's card):
    joined with spaces, `--out "runs/a b"` came back as two arguments, a link's `&` unquoted."""
    import shlex
    import sys

    return shlex.join(["dredge", *sys.argv[1:]])


def warn_line(line: str) -> None:
    """Print a warning or a scene's error line on stderr, in red; a ``note:`` line in yellow,
    as `dredge track` prints its notes."""
    colour = typer.colors.YELLOW if line.startswith("note: ") else typer.colors.RED
    typer.secho(line, fg=colour, err=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one clear error line on stderr and return the exit to raise."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def refuse_to_replace(paths: Iterable[Path | None], *, overwrite: bool = False) -> None:
    """Raise for the first of ``paths`` (files to write) that is a folder or lies below a file
    (the command did all its work, then said to check the disk's space and permissions), or,
    naming them all in one line, for those that exist: a command replaces a file only when
    asked (``overwrite``). The temporary files of ``paths`` that an earlier command killed
    while writing them left are removed first (:func:`detector.writing.remove_stale_temporaries`),
    those of every path. It stopped at the first that existed: `dredge counts` with four
    exports named only counts.csv (the others came to light one rerun at a time, or were
    replaced unseen by --overwrite), and the temporaries of the later ones were left."""
    from detector.writing import remove_stale_temporaries

    given = [path for path in paths if path is not None]
    check_files_to_write(given)
    remove_stale_temporaries(*given)
    existing = list(dict.fromkeys(path for path in given if path.exists()))
    if not existing or overwrite:
        return
    if len(existing) == 1:
        raise DredgeError(f"{existing[0]}: exists — choose another name, or pass --overwrite")
    others = ", ".join(map(str, existing[1:]))
    raise DredgeError(
        f"{existing[0]}: exists, and so do {others} — choose other names, or pass --overwrite "
        f"(it replaces all {len(existing)})"
    )


def check_files_to_write(paths: Iterable[Path | None]) -> None:
    """Raise for the first of ``paths`` (files to write) that is a folder or lies below a file.
    Called before the names of the files written beside them are made: ``--out .`` (or an
    empty ``--out ""``, an unset shell variable) was a traceback of ``Path.with_name``, exit 3,
    that called itself a bug."""
    from detector.writing import looked_at

    for path in paths:
        if path is None:
            continue
        with looked_at(path):  # a path past the system's limit: one line, not a traceback
            if path.is_dir():
                raise DredgeError(f"{path}: is a folder — give the name of a file to write")
        check_out_folder(path.parent, path)


def check_out_folder(out: Path, file: Path | None = None) -> None:
    """Raise when the folder ``out`` (of ``file``, when given), or a folder above it, is a file
    (the command ended in a raw FileExistsError or NotADirectoryError, or did all its work
    before failing). A path past the system's limit is one line naming it (it was an OSError
    traceback, exit 3)."""
    from detector.writing import looked_at

    with looked_at(file or out):
        for folder in (out, *out.absolute().parents):
            if folder.exists():
                if folder.is_dir():
                    return
                if file is not None:
                    raise DredgeError(f"{folder}: is a file, so {file} cannot be written in it")
                raise DredgeError(f"{folder}: is a file, not a folder — choose another --out")


OverwriteOption = Annotated[
    bool, typer.Option(help="Replace output files that exist (otherwise the command stops).")
]


def date_option(text: str | None) -> datetime | None:
    """``--date`` as a UTC datetime (a day alone as a ``GivenDay``: each scene keeps its own
    time that day), or one clear error naming the option: for no date, and for a date before
    the first satellite image (``0001-01-01``, ``1965-01-01``: a placeholder or a typo, which
    dated every scene in a year of its own), as a ``--dates`` table's are refused."""
    if text is None:
        return None
    from detector.date_sanity import BEFORE_IMAGERY, FIRST_IMAGERY
    from detector.given_dates import given_time

    try:
        when = given_time(text)
    except ValueError as exc:
        raise DredgeError(
            f"--date: {text!r} is not a date ({exc}) — use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"
        ) from None
    if when < FIRST_IMAGERY:
        raise DredgeError(
            f"--date: {text!r} is {BEFORE_IMAGERY} — a typo, or a placeholder for none? give "
            "the scenes' date, e.g. --date 2024-07-15"
        )
    return when


def _home_expanded(value: object) -> object:
    """``value`` with a leading ``~`` expanded: a path, a text that starts ``~/``, or a list of
    them; anything else as it is."""
    if isinstance(value, list):
        return [_home_expanded(item) for item in value]
    if isinstance(value, Path) and value.parts and value.parts[0].startswith("~"):
        try:
            return value.expanduser()
        except RuntimeError:  # no home folder known: left for the command to refuse
            return value
    if isinstance(value, str) and (value == "~" or value.startswith("~/")):
        return os.path.expanduser(value)
    return value


def _with_home_expanded(callback: Callable[..., object]) -> Callable[..., object]:
    @functools.wraps(callback)
    def command(*args: object, **kwargs: object) -> object:
        return callback(
            *map(_home_expanded, args), **{k: _home_expanded(v) for k, v in kwargs.items()}
        )

    return command


def expand_home(typer_app: typer.Typer) -> None:
    """Expand a leading ``~`` in the paths every command is given, as the shell does where it
    can: it leaves ``--out=~/runs/x`` and quoted globs (``'~/planet/*.tif'``) as they are, and
    ``dredge detect --out=~/d.parquet`` detected every scene, then failed to write, blaming the
    disk, with a folder named ``~`` made in the current one and a temporary left in the home
    folder (pyarrow expands ``~``; Python does not)."""
    for info in typer_app.registered_commands:
        if info.callback is not None:
            info.callback = _with_home_expanded(info.callback)


def reflow_help(typer_app: typer.Typer) -> None:
    """Join the lines of each paragraph of every command's help, so that the terminal wraps
    it at its own width. Typer keeps a docstring's line breaks: at 80 columns each of its
    90-column lines broke into a long line and a short one."""
    for info in typer_app.registered_commands:
        doc = info.help or inspect.getdoc(info.callback) or ""
        info.help = "\n\n".join(" ".join(part.split()) for part in doc.split("\n\n"))
