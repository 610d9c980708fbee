"""``dredge train``, ``dredge evaluate``, ``dredge review``: train, score and correct models."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from detector.cli.common import (
    SCENES_GIVEN,
    DateOption,
    DatesOption,
    FlipsOption,
    NameFieldOption,
    SceneBandsOption,
    app,
    check_out_folder,
    date_option,
    fail,
    finite_metres,
    given_path,
    given_texts,
    refuse_to_replace,
    typed_command,
    warn_line,
)
from detector.errors import DredgeError
from detector.writing import refused_writes


@app.command()
def train(
    labels: Annotated[
        list[str] | None,
        typer.Argument(
            callback=given_texts("LABELS", "a label set: a YOLO folder, COCO JSON, Pascal VOC XML"),
            help=(
                "Label sets to fine-tune on: YOLO folders (data.yaml, or classes.txt / "
                "obj.names), COCO JSON (CVAT, Label Studio), Pascal VOC XML or folders of it "
                "(LabelImg, CVAT), "
                "GeoJSON/GeoPackage/Shapefile boxes or points over whole scenes, or marks in a "
                "CSV or Google Earth KML (with --scenes and --rivers; each names its scene, or "
                "has a date, as a KML folder named 2024-03-17, that matches it to the scenes of "
                "its day); and ultralytics key=value settings (e.g. lr0=0.0005 batch=16). "
                "Without labels: the synthetic --recipe."
            ),
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            parser=given_path("--out", "a folder for the run, or leave it out (runs/train)"),
            metavar="<path>",
            help="Run folder: weights, model card, run.json, dataset/, yolo/.",
        ),
    ] = Path("runs/train"),
    recipe: Annotated[
        str | None,
        typer.Option(help="Synthetic recipe (no labels); 'default' reproduces the bundled model."),
    ] = None,
    from_model: Annotated[
        str,
        typer.Option(
            "--from",
            help="Starting model: 'bundled', 'scratch', or a .pt with its card (or the card).",
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
        list[str] | None,
        typer.Option(
            callback=SCENES_GIVEN,
            help="Scenes the vector labels were drawn on (one path each time: --scenes a/ "
            "--scenes b/; folders, globs, lists, STAC as for `dredge run`).",
        ),
    ] = None,
    rivers: Annotated[
        Path | None,
        typer.Option(
            parser=given_path("--rivers", "a file of river centerlines, or leave it out"),
            metavar="<path>",
            help="River centerlines, to tile the scenes of vector labels.",
        ),
    ] = None,
    name_field: NameFieldOption = "name",
    scene_bands: SceneBandsOption = None,
    synthetic: Annotated[
        int, typer.Option(help="Synthetic training chips to mix in with the labels.")
    ] = 0,
    val_fraction: Annotated[
        float,
        typer.Option(
            help="Share held out for validation: of 5 km squares, every date of each, for "
            "labels drawn over whole scenes and tiles of `dredge tiles` or `dredge review` "
            "(their tiles.parquet or tiles.csv gives each tile's place); else of the labelled "
            "scenes."
        ),
    ] = 0.25,
    class_map: Annotated[
        str | None,
        typer.Option(
            help=(
                "Map label class names to the model's: chata=dredge,x=ignore (Spanish draga, "
                "barco, … are read without one)."
            )
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Model name in the card (default: --out's).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split, sampling and training.")] = 0,
    device: Annotated[
        str, typer.Option(help="cpu, or cuda when a GPU is visible (cuda:N: GPU N).")
    ] = "cpu",
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Recipe only: processes that cut the worlds' chips, and with more than two "
            "draw worlds side by side (default: one per core; the model is the same for any "
            "number).",
        ),
    ] = None,
    install: Annotated[
        bool,
        typer.Option(
            help="Recipe only: copy the weights and card into the bundled model (its folder "
            "is held from the start: a second --install meanwhile is refused)."
        ),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option(
            help="Replace a previous run in --out (the recipe: its trained model; its worlds "
            "are reused) and, with --install, the bundled model (kept in its folder's "
            "previous/ until the next install)."
        ),
    ] = False,
    progress: Annotated[
        bool, typer.Option(help="Show progress bars (on a terminal; none in a log or a pipe).")
    ] = True,
) -> None:
    """Train a dredge detector: fine-tune on analysts' labels, or run a synthetic recipe.

    With LABELS: reads them against the starting model's classes and input, holds out places
    (5 km squares, every date of each; by scene where tiles carry no position), fine-tunes
    (default: from the bundled model), scores the new and the starting model on the held-out
    tiles, and writes OUT/model.pt, OUT/model.card.json and OUT/run.json. A failed
    run leaves no OUT folder behind.

    Without LABELS: generates the recipe's training worlds (reserved seeds 101–199), tiles
    them with the same tiler as `dredge detect`, trains a small YOLO11 (heads at strides 4 and
    8) from scratch in four stages (the third and fourth continue on other worlds), validates
    on held-out rivers and writes OUT/dredge-yolo11-p2.pt with OUT/dredge-yolo11-p2.card.json
    (about 2 h 40 min on two CPU cores; without --recipe a note says so first).

    Example: dredge train review/ labels.gpkg --scenes planet/ --rivers rivers.gpkg --out runs/ft
    """
    paths = [item for item in labels or [] if "=" not in item or Path(item).exists()]
    settings = [item for item in labels or [] if item not in paths]
    if paths or settings:
        if recipe is not None or worlds is not None or workers is not None or install:
            raise fail("--recipe, --worlds, --workers and --install train on synthetic worlds; "
                       "leave them out when giving labels")  # fmt: skip
        _train_on_labels(
            paths, settings, out, from_model=from_model, epochs=epochs, imgsz=imgsz,
            scenes=scenes, rivers=rivers, name_field=name_field, scene_bands=scene_bands,
            synthetic=synthetic, val_fraction=val_fraction,
            class_map=class_map, name=name, seed=seed, device=device, overwrite=overwrite,
            progress=progress, command=typed_command(),
        )  # fmt: skip
        return
    label_only = {  # ignored by the recipe: a forgotten LABELS started its hours without a word
        "--from": from_model != "bundled",
        "--scenes": bool(scenes),
        "--rivers": rivers is not None,
        "--synthetic": synthetic != 0,
        "--val-fraction": val_fraction != 0.25,
        "--class-map": class_map is not None,
        "--name": name is not None,
        "--scene-bands": scene_bands is not None,
        "--name-field": name_field != "name",
    }
    if given := [option for option, is_set in label_only.items() if is_set]:
        options = " and ".join([", ".join(given[:-1]), given[-1]] if len(given) > 1 else given)
        raise fail(f"{options} train on labels, and no LABELS were given — give the label sets "
                   "first (dredge train LABELS … --out OUT), or leave them out to run the "
                   "synthetic --recipe")  # fmt: skip
    from training.processes import usable_cores

    _train_recipe(
        out, recipe or "default", epochs=epochs, imgsz=imgsz, worlds=worlds, seed=seed,
        device=device, install=install, overwrite=overwrite, progress=progress,
        workers=workers or usable_cores(), unasked=recipe is None,
    )  # fmt: skip


RECIPE_TIME = "about 2 h 40 min on two CPU cores"
"""How long the default recipe took here (README: The bundled model and how it was trained)."""


def recipe_note(out: Path, changed: Sequence[str] = ()) -> str:
    """The note of `dredge train` given neither LABELS nor --recipe: it started the default
    recipe's hours without a word, as if a forgotten LABELS were meant. ``changed``: the
    options given that change its length (``--epochs``, ``--imgsz``, ``--worlds`` of other values
    than the recipe's): the time is then said to be the recipe's own (with ``--epochs 1`` it
    said 2 h 40 min)."""
    named = ", ".join(changed[:-1]) + " and " + changed[-1] if len(changed) > 1 else ""
    named = named or "".join(changed)  # --epochs, --imgsz and --worlds: not 'and … and'
    took = f"{RECIPE_TIME} at its own settings, not the {named} given"
    return (
        f"note: no LABELS given — training the synthetic recipe 'default' from scratch "
        f"({took if changed else RECIPE_TIME}) into {out}; to fine-tune on labelled tiles "
        "instead, give them: dredge train LABELS … --out OUT"
    )


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
    workers: int = 1,
    unasked: bool = False,
) -> None:
    """``dredge train --recipe NAME``: the synthetic recipe (the bundled model's); ``unasked``
    (no LABELS and no --recipe) prints :func:`recipe_note` once the recipe's checks pass,
    before its first world."""
    import detector.model
    from training.recipes import CARD_NAME, RECIPES, WEIGHTS_NAME
    from training.train import check_install_target, install_held, install_lock, train_default
    from training.yolo_fit import val_line

    if recipe not in RECIPES:
        raise fail(f"unknown recipe {recipe!r}; known: {', '.join(RECIPES)}")
    bundled = detector.model.WEIGHTS_DIR
    own = RECIPES[recipe]
    given = {  # each with the recipe's own value: `--epochs 30` changes nothing of its time
        "--epochs": (epochs, own.epochs),
        "--imgsz": (imgsz, own.imgsz),
        "--worlds": (worlds, len(own.world_seeds)),
    }
    changed = [name for name, (value, its) in given.items() if value not in (None, its)]
    note = recipe_note(out, changed)
    try:
        check_out_folder(out)  # a file: FileExistsError's traceback, exit 3, 'a bug'
        # a finished run's model: replaced after the hours without a word (its worlds and
        # dataset, which a stopped run leaves, are reused, not refused)
        refuse_to_replace([out / WEIGHTS_NAME, out / CARD_NAME], overwrite=overwrite)
        if install:
            bundled.mkdir(parents=True, exist_ok=True)
        # --install: the bundled folder's install lock from its check, before the hours, to the
        # install (a second `train --install` then is refused at once; it passed the same
        # check unlocked and trained too, to fail or replace this model at the end)
        with install_lock(bundled) if install else nullcontext():
            if install:
                check_install_target(bundled, overwrite=overwrite)
            result = train_default(
                out,
                epochs=epochs,
                imgsz=imgsz,
                device=device,
                worlds=worlds,
                seed=seed,
                progress=progress,
                workers=workers,
                on_start=(
                    (lambda: typer.secho(note, fg=typer.colors.YELLOW, err=True))
                    if unasked
                    else None
                ),
            )
            done = f"weights {result.weights}, card {result.card} ({result.duration_s:.0f} s)"
            typer.echo(done)
            typer.echo(val_line(result.metrics["val"]))  # '–' where null: no dredge labelled
            if install:
                for path in install_held(out, bundled, overwrite=overwrite, echo=typer.echo):
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
    scenes: list[str] | None,
    rivers: Path | None,
    name_field: str,
    scene_bands: str | None,
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
    from detector.inputspec import parse_bands
    from training.finetune import finetune, held_out_line, worse_than_before
    from training.finetune_config import FinetuneConfig, parse_overrides
    from training.labels.classes import parse_class_map

    try:
        if not paths:
            raise DredgeError("no label paths given, only key=value settings")
        defaults = FinetuneConfig()
        config = FinetuneConfig(
            base=from_model,
            epochs=defaults.epochs if epochs is None else epochs,
            imgsz=defaults.imgsz if imgsz is None else imgsz,
            val_fraction=val_fraction,
            synthetic=synthetic,
            seed=seed,
            device=device,
            name=name,
            overrides=parse_overrides(settings),
        )
        with refused_writes(out, out.parent / f".{out.name}.partial"):
            result = finetune(
                paths,
                out,
                config,
                class_map=parse_class_map(class_map),
                scenes=scenes or [],
                rivers=rivers,
                name_field=name_field,
                scene_bands=parse_bands(scene_bands) if scene_bands else None,
                overwrite=overwrite,
                progress=progress,
                command=command,
                echo=typer.echo,
            )
    except DredgeError as exc:  # another ValueError is a fault: its traceback and exit 3
        raise fail(str(exc)) from None
    typer.echo(f"weights {result.weights}, card {result.card} ({result.duration_s:.0f} s)")
    for key, label in (("val_before", "before"), ("val", "after")):
        if key in result.metrics:
            typer.echo(held_out_line(result.metrics, key, label))
    worse = worse_than_before(result.metrics)
    if worse:
        typer.secho(worse, fg=typer.colors.YELLOW, err=True)


@app.command()
def evaluate(
    model: Annotated[
        str, typer.Argument(help="Weights (.pt or .onnx) with their card, or 'bundled'.")
    ],
    labels: Annotated[
        list[Path],
        typer.Argument(
            parser=given_path("LABELS", "a label set: a YOLO folder, COCO JSON, Pascal VOC XML"),
            help="Label sets: YOLO folders, COCO JSON, Pascal VOC XML, vector files (+ --scenes).",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            parser=given_path("--out", "a folder for the report, or leave it out (evaluation)"),
            metavar="<path>",
            help="Folder for report.json and the PNG figures.",
        ),
    ] = Path("evaluation"),
    iou: Annotated[
        float,
        typer.Option(
            help="A prediction matches a box at IoU ≥ this (a box side under 3 px is widened "
            "to 3 px about its centre first, as training widens it)."
        ),
    ] = 0.5,
    match_m: Annotated[
        float | None,
        typer.Option(
            callback=finite_metres,
            help="Match by centre distance instead: within this many metres.",
        ),
    ] = None,
    conf: Annotated[
        float,
        typer.Option(
            help="Operating score: precision, recall and F1 are of the boxes `dredge detect "
            "--conf` gives at it (a group member kept from 0.6 × it); AP is over all scores."
        ),
    ] = 0.25,
    scenes: Annotated[
        list[str] | None,
        typer.Option(
            callback=SCENES_GIVEN,
            help="Scenes of vector labels (one path each time: --scenes a/ --scenes b/; folders, "
            "globs, lists, STAC as for `dredge run`).",
        ),
    ] = None,
    rivers: Annotated[
        Path | None,
        typer.Option(
            parser=given_path("--rivers", "a file of river centerlines, or leave it out"),
            metavar="<path>",
            help="River centerlines, to tile the scenes of vector labels.",
        ),
    ] = None,
    name_field: NameFieldOption = "name",
    scene_bands: SceneBandsOption = None,
    class_map: Annotated[
        str | None, typer.Option(help="Map label class names: chata=dredge,x=ignore.")
    ] = None,
    device: Annotated[str, typer.Option(help="cpu or cuda (cuda:N: GPU N).")] = "cpu",
    backend: Annotated[str, typer.Option(help="auto, torch or onnx.")] = "auto",
    flips: FlipsOption = True,
    overwrite: Annotated[
        bool, typer.Option(help="Replace the report and figures of an earlier evaluation in OUT.")
    ] = False,
) -> None:
    """Score a model on labelled tiles: precision, recall, F1 and AP50 per class and source.

    Writes OUT/report.json, OUT/pr_curve.png, OUT/worst_false_positives.png and
    OUT/worst_misses.png. Tiles must be at the model's GSD (as `dredge tiles` and
    `dredge review` cut them; vector labels are tiled at it). The precision of a class the
    model made no box of, and the recall of a class no box of which is labelled, are
    undefined (0 of 0): null in report.json, '–' in the table, with a note.
    """
    from rich.console import Console
    from rich.table import Table

    from detector.inputspec import parse_bands
    from detector.writing import placed_together
    from training.evaluate import OUTPUT_NAMES
    from training.evaluate_run import run_evaluation
    from training.labels.classes import parse_class_map

    try:
        check_out_folder(out)
        refuse_to_replace([out / name for name in OUTPUT_NAMES], overwrite=overwrite)
        with refused_writes(out), placed_together():  # the figures with their report
            evaluation, report = run_evaluation(
                model, labels, out, iou=iou, match_m=match_m, conf=conf, scenes=scenes or [],
                rivers=rivers, name_field=name_field,
                scene_bands=parse_bands(scene_bands) if scene_bands else None,
                class_map=parse_class_map(class_map), device=device, backend=backend,
                flips=flips, echo=typer.echo,
            )  # fmt: skip
    except DredgeError as exc:  # another ValueError is a fault: its traceback and exit 3
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
        Path,
        typer.Argument(
            parser=given_path("DETECTIONS", "detections.parquet from `dredge detect`"),
            help="Detections from `dredge detect` / `dredge run`.",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            parser=given_path("--out", "a folder for the review tiles"),
            metavar="<path>",
            help="Folder for the review tiles and their labels.",
        ),
    ],
    scenes: Annotated[
        list[str] | None,
        typer.Option(
            callback=SCENES_GIVEN,
            help="The scenes the detections came from (one path each time: --scenes a/ "
            "--scenes b/; folders, globs, lists, STAC as for `dredge run`). Default for "
            "RUN/detections.parquet of `dredge run`: its scenes.",
        ),
    ] = None,
    count: Annotated[
        int,
        typer.Option(
            help="Tiles to export, at most: each centred on the least certain detection (score "
            "nearest 0.5) not yet in an exported tile, every detection inside it a box.",
        ),
    ] = 50,
    model: Annotated[
        Path | None,
        typer.Option(
            parser=given_path("--model", "a weights file, or leave it out"),
            metavar="<path>",
            help="Model whose card gives GSD, bands and tile size (default: the run's model for "
            "RUN/detections.parquet of `dredge run`, else the bundled one).",
        ),
    ] = None,
    scene_bands: SceneBandsOption = None,
    overwrite: Annotated[bool, typer.Option(help="Replace a previous review in --out.")] = False,
    date: DateOption = None,
    dates: DatesOption = None,
) -> None:
    """Export the least certain detections as tiles with pre-filled labels, to correct.

    Writes OUT/images/train/*.png with YOLO labels (OUT/labels/train, OUT/data.yaml,
    OUT/classes.txt), the same as COCO (OUT/annotations/instances_default.json, for CVAT and
    Label Studio), Label Studio tasks with predictions (OUT/label_studio_tasks.json), and
    OUT/tiles.csv (each tile's scene and centre, lon and lat). `dredge train OUT` (or the
    corrected export) reads them back, and holds out places by the tiles' centres.
    """
    from detector.date_tables import read_date_table
    from detector.inputspec import parse_bands
    from training.review import export_review

    try:
        check_out_folder(out)
        when = date_option(date)
        given = read_date_table(dates) if dates else None
        for note in given.notes if given else []:
            warn_line(note)
        with refused_writes(out, out.parent / f".{out.name}.partial"):
            summary = export_review(
                detections,
                scenes or [],
                out,
                count=count,
                model=model,
                bands=parse_bands(scene_bands) if scene_bands else None,
                overwrite=overwrite,
                date=when,
                dates=given,
            )
    except DredgeError as exc:  # another ValueError is a fault: its traceback and exit 3
        raise fail(str(exc)) from None
    typer.echo(summary)
