"""Fine-tuning the bundled model on N labelled tiles of another style raises F1 on that style.

The bundled model was trained on PlanetScope-like 4-band reflectance at 3 m. Here the same
synthetic rivers are rendered in another style, by default ``rgb8-shift``: 8-bit RGB
(Maxar / Google Earth-like) at 1 m, which the detector reads at its own 3 m, green water on
every river, and dredges roofed with thatch, green tarp or wood, which the default training
world never draws (real dredges do not look exactly like synthetic ones). Labelled tiles come
from a training world (seed 150, reserved 101–199) drawn as vector labels over whole scenes
(the QGIS route); held-out evaluation uses world seed 3 (1–20: never trained on). F1 and AP
are measured before and after on the evaluation world's corridor tiles, matched at IoU ≥ 0.5
and by centres within 15 m.

Run only when no other training uses the cores: ``python -m benchmarks.finetune_style``
(about 20 minutes on 2 CPU cores; ``--style rgb8 --years 2024`` for the earlier runs).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from PIL import Image

from benchmarks.report import markdown_table, write_result
from detector.model import bundled_weights, load_model
from detector.rivers import RiverNetwork
from training.evaluate import ClassScore, evaluate_tiles, shown
from training.finetune import finetune
from training.finetune_config import FinetuneConfig, parse_overrides
from training.labels.classes import ClassMap
from training.labels.sources import read_label_sets
from training.labels.table import LabelledTile
from training.labels.yolo import write_yolo
from training.synth.world import WorldConfig, parse_years, write_world

TRAIN_SEED = 150  # reserved training seed
EVAL_SEED = 3  # tests/benchmarks seed: never trained on
RIVERS = ("Nanay", "Cenepa", "Santiago", "Aguaytía")  # the catalogue's rivers with dredges
STYLE, GSD, YEARS = "rgb8-shift", 1.0, "2023-2025"


def truth_labels(world: Path, out: Path) -> Path:
    """The world's visible truth boxes as vector labels (EPSG:4326)."""
    manifest = json.loads((world / "world.json").read_text())
    crs_of = {r["name"]: r["crs"] for r in manifest["rivers"]}
    scenes = pd.read_csv(world / "truth" / "scenes.csv")
    pairs = zip(scenes["scene"], scenes["river"], strict=True)
    river_of = {str(s).split("_3B_")[0]: r for s, r in pairs}
    frames = []
    for path in sorted((world / "truth" / "boxes").glob("*.csv")):
        table = pd.read_csv(path)
        rows = [
            {"scene": path.stem, "class_name": r.class_name,
             "geometry": shapely.box(r.x_min, r.y_min, r.x_max, r.y_max)}
            for r in table[table["visible"]].itertuples()
        ]  # fmt: skip
        if rows:
            crs = crs_of[river_of[path.stem]]
            frames.append(gpd.GeoDataFrame(rows, crs=crs).to_crs("EPSG:4326"))
    pd.concat(frames).to_file(out, driver="GeoJSON")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tiles", type=int, nargs="+", default=[60, 135, 400], help="N labelled tiles"
    )
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr0", type=float, default=0.0002, help="fine-tuning learning rate")
    parser.add_argument("--model", type=Path, default=None, help="start (default: bundled)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the work folder here")
    parser.add_argument("--synthetic", type=int, default=0, help="synthetic chips mixed in")
    parser.add_argument("--style", default=STYLE, help="rendering style of both worlds")
    parser.add_argument("--gsd", type=float, default=GSD, help="their pixel size in metres")
    parser.add_argument("--set", nargs="*", default=[], help="ultralytics key=value settings")
    parser.add_argument("--years", default=YEARS, help="years of both worlds, e.g. 2024")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="finetune-style-"))
    years = parse_years(args.years)
    base = args.model or bundled_weights()
    detector = load_model(base, backend="torch")
    spec, classes = detector.card.input, detector.card.classes
    worlds = {}
    for role, seed in (("train", TRAIN_SEED), ("eval", EVAL_SEED)):
        path = work / f"{role}-{seed}-{args.style}-{args.gsd:g}m-{args.years}"
        if not (path / "world.json").exists():
            config = WorldConfig(
                seed=seed, rivers=RIVERS, years=years, gsd=args.gsd, style=args.style
            )
            write_world(config, path, overwrite=True, progress=False)
        worlds[role] = path

    def label_set(world: Path) -> list[LabelledTile]:
        labels = truth_labels(world, work / f"{world.name}.geojson")
        (found,) = read_label_sets(
            [labels], ClassMap(classes), spec, scenes=[world / "scenes"],
            rivers=RiverNetwork.read(world / "rivers.geojson"),
        )  # fmt: skip
        return found.tiles

    eval_tiles = label_set(worlds["eval"])
    eval_dredges = sum(b.class_name == "dredge" for t in eval_tiles for b in t.boxes)
    train_tiles = label_set(worlds["train"])
    rows: list[dict[str, str]] = []

    f1s: list[float] = []  # F1 (≤15 m) of each row, for the gains

    def score(model_path: Path, name: str, n: int, dredges: int, seconds: float) -> None:
        model = load_model(model_path, backend="torch")
        by_iou, _ = evaluate_tiles(model, eval_tiles)
        by_m, _ = evaluate_tiles(model, eval_tiles, match_m=15.0)
        d, m = by_iou.overall["dredge"], by_m.overall["dredge"]
        rows.append(score_row(name, n, dredges, seconds, d, m))
        f1s.append(m.f1)

    score(base, "bundled (before)", 0, 0, 0.0)
    for n in args.tiles:
        positives = [t for t in train_tiles if t.boxes]
        negatives = [t for t in train_tiles if not t.boxes]
        chosen = (positives[: (n * 2) // 3] + negatives)[:n]
        folder = work / f"labels-{n}"
        shutil.rmtree(folder, ignore_errors=True)
        images = folder / "images" / "train"
        images.mkdir(parents=True)
        paths = []
        for tile in chosen:
            paths.append(images / f"{tile.name}.png")
            Image.fromarray(tile.read(len(spec.bands))).save(paths[-1])
        write_yolo(chosen, folder, classes, images=paths, extra={"gsd_m": spec.gsd_m})
        started = time.monotonic()
        result = finetune(
            [folder], work / f"run-{n}",
            FinetuneConfig(
                base=str(base), epochs=args.epochs, imgsz=128, val_fraction=0.25, lr0=args.lr0,
                synthetic=args.synthetic, overrides=parse_overrides(args.set),
            ),
            overwrite=True,
            progress=False, command=f"benchmarks.finetune_style N={n}",
        )  # fmt: skip
        extras = ([f"{args.synthetic} synthetic chips"] if args.synthetic else []) + args.set
        name = ", ".join([f"fine-tuned, {args.epochs} epochs, lr0 {args.lr0:g}", *extras])
        dredges = sum(b.class_name == "dredge" for t in chosen for b in t.boxes)
        score(result.weights, name, len(chosen), dredges, time.monotonic() - started)
    table = pd.DataFrame(rows)
    gains = ", ".join(
        f"N={row['N labelled tiles']}: {f1 - f1s[0]:+.3f}"
        for row, f1 in zip(rows[1:], f1s[1:], strict=True)
    )
    body = (
        f"Style: world rendered as `{args.style}` at {args.gsd:g} m (the bundled model was "
        f"trained on 4-band PlanetScope-like reflectance at 3 m, metal / blue-tarp / rust "
        f"roofs). Labelled tiles: world seed {TRAIN_SEED} (rivers {', '.join(RIVERS)}, "
        f"{args.years}), truth boxes as vector labels, tiled at the model's {spec.gsd_m:g} m / "
        f"{spec.tile_px} px. Held out: world seed {EVAL_SEED}, {len(eval_tiles)} corridor tiles "
        f"({eval_dredges} dredge boxes). Score ≥ 0.25.\n\n{markdown_table(table)}\n\n"
        f"Gain in F1 (≤15 m): {gains}.\n"
    )
    command = (
        f"python -m benchmarks.finetune_style --tiles {' '.join(map(str, args.tiles))} "
        f"--epochs {args.epochs} --lr0 {args.lr0:g} --style {args.style} --gsd {args.gsd:g}"
        + f" --years {args.years}"
        + (f" --synthetic {args.synthetic}" if args.synthetic else "")
        + (f" --set {' '.join(args.set)}" if args.set else "")
    )
    write_result("finetune_style", "Fine-tuning on another image style", command, body)
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


def score_row(
    name: str, n: int, dredges: int, seconds: float, by_iou: ClassScore, by_m: ClassScore
) -> dict[str, str]:
    """One row of the table: a model's dredge scores matched at IoU ≥ 0.5 (``by_iou``) and by
    centres within 15 m (``by_m``). A metric that is undefined (precision of a model that
    made no box, 0 of 0) is shown as ``dredge evaluate``'s table shows it, ``–`` (it printed
    ``nan``)."""
    return {
        "model": name, "N labelled tiles": str(n), "labelled dredges": str(dredges),
        "F1 (IoU≥0.5)": shown(by_iou.f1), "AP50": f"{by_iou.ap or 0:.3f}",
        "F1 (≤15 m)": shown(by_m.f1), "precision (≤15 m)": shown(by_m.precision),
        "recall (≤15 m)": shown(by_m.recall), "fine-tune s": f"{seconds:.0f}" if seconds else "–",
    }  # fmt: skip


if __name__ == "__main__":
    main()
