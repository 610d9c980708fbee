"""Detection accuracy on synthetic worlds the model never saw (seeds 1–20; training uses 101–199).

For each world, ``dredge detect``'s pipeline (tiler, model, cross-tile merge) runs over every
scene twice with the same model: at the operating threshold (``--conf``, default 0.25) for
precision, recall and F1, and at conf 0.001 for the precision-recall curves behind AP.

Matching, per scene, greedy by score: a ``dredge`` detection is a true positive when its box
centre lies within 15 m of an unmatched visible truth dredge; detections within 15 m of a
dredge that is not visible (under cloud) are ignored, not counted false; everything else is a
false positive (boats, roofs, foam, duplicates). AP50 matches boxes instead, IoU ≥ 0.5 with
the truth box (axis-aligned, map units); AP@15m uses the centroid rule. Both are all-point
interpolated (VOC style).

Reported: per world, per river, per water type and per cloud cover of the scene; false
detections per km² of river corridor searched on the Itaya (a river with no dredges).

Run: ``python -m benchmarks.detection_accuracy`` (generates two worlds in a temporary folder:
seed 11 small, all rivers, 2023–2025; seed 12 full size, Nanay and Itaya, 2024), or
``--world DIR`` (repeatable) for worlds written by ``dredge synth``. Writes
``benchmarks/results/detection_accuracy.md``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from benchmarks.report import markdown_table, write_result
from detector.detect import detect_scenes
from detector.model import YoloDetector, load_model
from detector.rivers import RiverNetwork
from detector.scene import open_scene
from detector.tiling import plan_scene
from detector.wording import count_of
from training.evaluate import average_precision as curve_average_precision
from training.synth.world import WorldConfig, write_world

MATCH_M = 15.0
AP_CONF = 0.001
IOU_AP50 = 0.5
NO_DREDGE_RIVER = "Itaya"
CLOUD_BUCKETS = ((0.0, 0.0, "clear (0)"), (0.0, 0.4, "partly (0–0.4)"), (0.4, 1.0, "cloudy (≥0.4)"))
DEFAULT_WORLDS = (
    WorldConfig(seed=11, size="small", years=(2023, 2025)),
    WorldConfig(seed=12, size="full", rivers=("Nanay", "Itaya"), years=(2024, 2024)),
)


def world_label(config: dict[str, Any]) -> str:
    """A world's name in the tables, from the config in its ``world.json``: 'seed 11, small,
    2023/2025, 5 rivers', '1 river' for one (it said '5 river(s)')."""
    years = "/".join(str(year) for year in config["years"])
    rivers = count_of(len(config["rivers"]), "river")
    return f"seed {config['seed']}, {config['size']}, {years}, {rivers}"


@dataclass
class World:
    """A world written by ``dredge synth``: its truth and how it was made."""

    path: Path
    label: str
    truth: pd.DataFrame  # truth/dredges.csv
    scenes: pd.DataFrame  # truth/scenes.csv, indexed by scene file name
    water: dict[str, str]  # river → water type

    @classmethod
    def read(cls, path: Path) -> World:
        manifest = json.loads((path / "world.json").read_text())
        config = manifest["config"]
        return cls(
            path=path,
            label=world_label(config),
            truth=pd.read_csv(path / "truth" / "dredges.csv"),
            scenes=pd.read_csv(path / "truth" / "scenes.csv").set_index("scene"),
            water={river["name"]: river["water"] for river in manifest["rivers"]},
        )

    def scene_paths(self) -> list[Path]:
        return sorted((self.path / "scenes").glob("*_AnalyticMS_SR.tif"))

    def boxes(self, scene: str) -> pd.DataFrame:
        """Truth boxes of dredges in a scene (map units of the scene's CRS)."""
        stem = scene.split("_3B_")[0]
        frame = pd.read_csv(self.path / "truth" / "boxes" / f"{stem}.csv")
        return frame[frame["class_name"] == "dredge"].set_index("object_id")


@dataclass
class Scored:
    """Detections of one world with their match outcome (tp, fp or ignored)."""

    frame: pd.DataFrame  # scene, river, score, outcome_m (15 m rule), outcome_iou (AP50 rule)
    truths: pd.DataFrame  # visible truth dredges: scene, river, matched_m


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, action="append", help="a `dredge synth` folder")
    parser.add_argument("--model", type=Path, help="weights with their card (default: bundled)")
    parser.add_argument("--conf", type=float, default=0.25, help="operating threshold")
    parser.add_argument("--name", default="detection_accuracy", help="results file name")
    args = parser.parse_args(argv)
    detector = load_model(args.model)
    started = time.perf_counter()
    with _worlds(args.world) as worlds:
        results = [(world, *evaluate(world, detector, args.conf)) for world in worlds]
    body = report(results, detector, args.conf, time.perf_counter() - started)
    command = "python -m benchmarks.detection_accuracy" + "".join(
        f" --world {w}" for w in args.world or []
    )
    write_result(args.name, "Detection accuracy on unseen synthetic worlds", command, body)


@contextmanager
def _worlds(paths: list[Path] | None) -> Iterator[list[World]]:
    """The given worlds, or the default ones generated in a temporary folder."""
    if paths:
        yield [World.read(path) for path in paths]
        return
    with tempfile.TemporaryDirectory(prefix="dredge-accuracy-") as tmp:
        worlds = []
        for config in DEFAULT_WORLDS:
            out = Path(tmp) / f"seed-{config.seed}-{config.size}"
            print(f"generating world seed {config.seed} ({config.size})", flush=True)
            write_world(config, out)
            worlds.append(World.read(out))
        yield worlds


def evaluate(world: World, detector: YoloDetector, conf: float) -> tuple[Scored, Scored, float]:
    """Score the world at ``conf`` and at AP_CONF; and the Itaya corridor area searched, km²."""
    rivers = world.path / "rivers.geojson"
    scenes = world.scene_paths()
    print(f"{world.label}: {len(scenes)} scenes", flush=True)
    at_conf, _ = detect_scenes(scenes, rivers, model=detector, conf=conf, progress=False)
    at_low, _ = detect_scenes(
        scenes, rivers, model=detector, conf=AP_CONF, progress=False, echo=lambda _: None
    )
    return score(world, at_conf), score(world, at_low), searched_km2(world, detector)


def score(world: World, detections: gpd.GeoDataFrame) -> Scored:
    """Match one run's dredge detections to the truth, scene by scene."""
    rows, truths = [], []
    dredges = detections[detections["class_name"] == "dredge"]
    for scene, facts in world.scenes.iterrows():
        truth = world.truth[world.truth["scene"] == scene]
        found = dredges[dredges["scene"] == scene].to_crs(facts["crs"])
        found = found.sort_values("score", ascending=False)
        bounds = found.geometry.bounds.to_numpy(dtype=float).reshape(-1, 4)
        centres = np.column_stack(
            [(bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2]
        )
        visible = truth["visible"].astype(bool).to_numpy()
        truth_xy = truth[["x", "y"]].to_numpy(dtype=float)
        by_m, matched = match(centres, truth_xy, visible, _closeness, -MATCH_M)
        boxes = world.boxes(str(scene)).reindex(truth["dredge_id"])
        truth_bounds = boxes[["x_min", "y_min", "x_max", "y_max"]].to_numpy(dtype=float)
        by_iou, _ = match(bounds, truth_bounds, visible, _iou, IOU_AP50)
        river = str(facts["river"])
        rows += [
            {"scene": scene, "river": river, "score": s, "outcome_m": m, "outcome_iou": i}
            for s, m, i in zip(found["score"], by_m, by_iou, strict=True)
        ]
        truths += [
            {"scene": scene, "river": river, "matched_m": bool(hit)}
            for hit, seen in zip(matched, visible, strict=True)
            if seen
        ]
    columns = ["scene", "river", "score", "outcome_m", "outcome_iou"]
    return Scored(
        pd.DataFrame(rows, columns=columns),
        pd.DataFrame(truths, columns=["scene", "river", "matched_m"]),
    )


def match(
    predicted: np.ndarray,
    truth: np.ndarray,
    visible: np.ndarray,
    affinity: Callable[[np.ndarray, np.ndarray], np.ndarray],
    threshold: float,
) -> tuple[list[str], np.ndarray]:
    """Greedy matching of predictions (best score first) to truth; outcome per prediction.

    ``affinity(p, truth)`` rates each truth item for prediction ``p`` (higher is better); items
    rated at least ``threshold`` are candidates. A prediction takes its best unmatched visible
    candidate (tp); one whose only candidates are not visible is ignored; else it is an fp.
    Returns the outcomes and which truth items were matched.
    """
    matched = np.zeros(len(truth), dtype=bool)
    outcomes = []
    for p in predicted:
        rating = affinity(p, truth) if len(truth) else np.zeros(0)
        candidates = rating >= threshold
        free = candidates & visible & ~matched
        if free.any():
            matched[int(np.argmax(np.where(free, rating, -np.inf)))] = True
            outcomes.append("tp")
        elif (candidates & ~visible).any():
            outcomes.append("ignored")
        else:
            outcomes.append("fp")
    return outcomes, matched


def _closeness(p: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Minus the distance between a centre and truth centres (higher is closer)."""
    return -np.asarray(np.hypot(truth[:, 0] - p[0], truth[:, 1] - p[1]))


def _iou(p: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """IoU of one box with truth boxes, bounds (minx, miny, maxx, maxy)."""
    width = np.minimum(truth[:, 2], p[2]) - np.maximum(truth[:, 0], p[0])
    height = np.minimum(truth[:, 3], p[3]) - np.maximum(truth[:, 1], p[1])
    inter = np.clip(width, 0, None) * np.clip(height, 0, None)
    area_p = (p[2] - p[0]) * (p[3] - p[1])
    area_t = (truth[:, 2] - truth[:, 0]) * (truth[:, 3] - truth[:, 1])
    return np.asarray(inter / np.maximum(area_p + area_t - inter, 1e-9))


def average_precision(scores: pd.Series, outcomes: pd.Series, positives: int) -> float:
    """All-point interpolated AP from scored outcomes (ignored ones left out), NaN without
    truth or detections: :func:`training.evaluate.average_precision`'s, one point of the curve
    per distinct score (detections of one score taken in row order gave a hit and a false
    positive AP 1.0 in one order, 0.5 in the other)."""
    kept = (outcomes != "ignored").to_numpy()
    if positives == 0 or not kept.any():
        return float("nan")
    hits = outcomes.to_numpy()[kept] == "tp"
    ap, _ = curve_average_precision(scores.to_numpy(dtype=float)[kept], hits, positives)
    return float("nan") if ap is None else ap


def prf(
    scored: Scored, mask: pd.Series | None = None, truth_mask: pd.Series | None = None
) -> dict[str, object]:
    """Precision, recall and F1 (15 m rule) of a subset of detections and truth."""
    frame = scored.frame if mask is None else scored.frame[mask]
    truths = scored.truths if truth_mask is None else scored.truths[truth_mask]
    tp = int((frame["outcome_m"] == "tp").sum())
    fp = int((frame["outcome_m"] == "fp").sum())
    fn = int((~truths["matched_m"]).sum())
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else float("nan")
    return {
        "visible dredges": tp + fn,
        "TP": tp,
        "FP": fp,
        "FN": fn,
        "precision": _fmt(precision),
        "recall": _fmt(recall),
        "F1": _fmt(f1),
    }


def searched_km2(world: World, detector: YoloDetector) -> float:
    """Corridor area (km²) inside the tiles searched on the river without dredges."""
    network = RiverNetwork.read(world.path / "rivers.geojson")
    names = world.scenes.index[world.scenes["river"] == NO_DREDGE_RIVER]
    area = 0.0
    for name in names:
        with open_scene(world.path / "scenes" / str(name)) as scene:
            plan = plan_scene(scene, network, detector.card.input)
            area += plan.covered_area
    return area / 1e6


def report(
    results: list[tuple[World, Scored, Scored, float]],
    detector: YoloDetector,
    conf: float,
    seconds: float,
) -> str:
    """The markdown body: overall, per river, per water type, per cloud cover, AP, Itaya."""
    overall, rivers, waters, clouds, ap = [], [], [], [], []
    for world, at_conf, at_low, itaya_km2 in results:
        label = world.label
        overall.append({"world": label, **prf(at_conf)} | _itaya(at_conf, itaya_km2))
        for river in sorted(world.scenes["river"].unique()):
            rivers.append(
                {"world": label, "river": river, "water": world.water[river]}
                | prf(at_conf, at_conf.frame["river"] == river, at_conf.truths["river"] == river)
            )
        for water in sorted(set(world.water.values())):
            names = [r for r, w in world.water.items() if w == water]
            waters.append(
                {"world": label, "water": water}
                | prf(
                    at_conf, at_conf.frame["river"].isin(names), at_conf.truths["river"].isin(names)
                )
            )
        cover = world.scenes["cloud_cover"]
        for low, high, name in CLOUD_BUCKETS:
            in_bucket = cover.index[(cover == 0) if high == 0 else (cover > low) & (cover <= high)]
            clouds.append(
                {"world": label, "scene cloud cover": name, "scenes": len(in_bucket)}
                | prf(at_conf, at_conf.frame["scene"].isin(in_bucket),
                      at_conf.truths["scene"].isin(in_bucket))
            )  # fmt: skip
        positives = len(at_low.truths)
        ap.append(
            {
                "world": label,
                "AP50 (box IoU ≥ 0.5)": _fmt(
                    average_precision(at_low.frame["score"], at_low.frame["outcome_iou"], positives)
                ),
                "AP@15m (centroid)": _fmt(
                    average_precision(at_low.frame["score"], at_low.frame["outcome_m"], positives)
                ),
            }
        )
    card = detector.card
    return "\n".join(
        [
            f"Model: `{card.name}` ({detector.describe()}); input {', '.join(card.input.bands)} "
            f"at {card.input.gsd_m:g} m, {card.input.tile_px} px tiles, {card.input.overlap_px} px "
            f"overlap. Operating threshold conf ≥ {conf:g}; AP from a run at conf ≥ {AP_CONF:g}. "
            f"A detection is a true positive within {MATCH_M:g} m of a visible truth dredge "
            f"(centroids); detections on dredges hidden by cloud are ignored. Total time "
            f"{seconds / 60:.1f} min.",
            "",
            "## Dredges, all rivers",
            "",
            markdown_table(pd.DataFrame(overall)),
            "",
            "## AP",
            "",
            markdown_table(pd.DataFrame(ap)),
            "",
            "## Per river",
            "",
            markdown_table(pd.DataFrame(rivers)),
            "",
            "## Per water type",
            "",
            markdown_table(pd.DataFrame(waters)),
            "",
            "## Per scene cloud cover",
            "",
            markdown_table(pd.DataFrame(clouds)),
        ]
    )


def _itaya(scored: Scored, km2: float) -> dict[str, object]:
    on_itaya = scored.frame[scored.frame["river"] == NO_DREDGE_RIVER]
    false = int((on_itaya["outcome_m"] == "fp").sum())
    if km2 <= 0:
        return {"Itaya false detections / km²": "n/a (no Itaya scenes)"}
    return {
        "Itaya false detections": false,
        "Itaya corridor searched, km²": round(km2, 1),
        "Itaya false detections / km²": round(false / km2, 3),
    }


def _fmt(value: float) -> str:
    return "n/a" if value != value else f"{value:.3f}"


if __name__ == "__main__":
    main()
