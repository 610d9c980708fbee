"""Score a model against labelled tiles: precision, recall, F1 and AP per class and per source.

Predictions are made on every tile (scores down to :data:`SCORE_FLOOR`, and as `dredge detect`
makes them for ``conf``), then
matched to the labelled boxes tile by tile and class by class, greedily from the highest score
down: a prediction matches the unmatched box of its class that it overlaps most (IoU ≥
``iou``), or, with ``match_m``, the nearest one whose centre lies within ``match_m`` metres of
its own (tiles are at the model's GSD); a labelled box's side shorter than
:data:`~training.dataset.MIN_BOX_PX` is first widened to it about its centre, as training widens
it (:func:`truth_array`).

- **precision, recall, F1** are of the boxes the detector gives at the operating score ``conf``
  as ``dredge detect --conf`` gives them: made at :func:`detector.merge.boxes_made_at` (0.6 ×
  ``conf``, where detect keeps a group's members from) and kept from ``conf``, not cut from
  those made at :data:`SCORE_FLOOR` nor made at ``conf`` itself, as with flips a box is the
  score-weighted mean of its group's boxes down to the score it is made at
  (:meth:`detector.model.YoloDetector.predict_at`); the members detect keeps under ``conf``
  beside a confident dredge, placed on a river, are not among them;
- a score of 0 of 0 is undefined, not 0: precision of a class the model made no box of,
  recall of a class no box of which is labelled (NaN here, ``null`` in ``report.json`` and
  the card, ``–`` in the table, with a note; F1 from the counts, undefined with neither);
- **AP** is the area under the precision–recall curve over all scores (the boxes made at
  :data:`SCORE_FLOOR`), with precision made monotone (all-point interpolation, as PASCAL VOC
  2010+); with the default IoU 0.5 it is AP50.

The report (:func:`write_report`) is ``report.json`` with every figure, ``pr_curve.png``, and
``worst_false_positives.png`` / ``worst_misses.png``: crops of the highest-scoring predictions
that match nothing and of the labelled boxes that the model saw least (no prediction, or only
low scores), with their tile and source.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detector.errors import DredgeError
from detector.json_text import json_text
from detector.merge import boxes_made_at
from detector.model import Detector, YoloDetector
from detector.wording import count_of, score_text
from detector.writing import write_text_atomic
from training.dataset import MIN_BOX_PX
from training.labels.table import LabelledTile

SCORE_FLOOR = 0.001  # lowest prediction score kept for the precision–recall curve
DEFAULT_IOU = 0.5
DEFAULT_CONF = 0.25
WORST_SHOWN = 12
REPORT_NAME = "report.json"
PR_CURVE_NAME = "pr_curve.png"
FALSE_POSITIVES_NAME = "worst_false_positives.png"
MISSES_NAME = "worst_misses.png"
OUTPUT_NAMES = (REPORT_NAME, PR_CURVE_NAME, FALSE_POSITIVES_NAME, MISSES_NAME)


@dataclass(frozen=True)
class Matching:
    """How a prediction matches a labelled box: IoU ≥ ``iou``, or centres within ``match_m``."""

    iou: float = DEFAULT_IOU
    match_m: float | None = None
    gsd_m: float = 3.0  # metres per tile pixel, for ``match_m``

    def __post_init__(self) -> None:
        if not 0 < self.iou <= 1:
            raise DredgeError(f"--iou must be in (0, 1], got {self.iou}")
        if self.match_m is not None and not self.match_m > 0:
            raise DredgeError(f"--match-m must be positive, got {self.match_m}")
        if self.match_m is not None and self.iou != DEFAULT_IOU:  # the IoU was dropped unsaid
            raise DredgeError(
                f"--iou {self.iou:g} and --match-m {self.match_m:g} are two ways to match a "
                "prediction to a box — give one (--match-m matches by centre distance instead)"
            )

    def describe(self) -> str:
        """E.g. ``IoU ≥ 0.5`` or ``centres within 15 m``."""
        if self.match_m is not None:
            return f"centres within {self.match_m:g} m"
        return f"IoU ≥ {self.iou:g}"

    @property
    def ap_name(self) -> str:
        """``AP50`` for the default rule, else ``AP``."""
        return "AP50" if self.match_m is None and self.iou == DEFAULT_IOU else "AP"

    def to_json(self) -> dict[str, Any]:
        """The rule for the report."""
        if self.match_m is not None:
            return {"rule": "distance", "match_m": self.match_m, "gsd_m": self.gsd_m}
        return {"rule": "iou", "iou": self.iou}


@dataclass
class ClassScore:
    """Counts and metrics of one class (in one source, or all)."""

    truths: int = 0
    predictions: int = 0  # at the operating score
    tp: int = 0
    fp: int = 0
    fn: int = 0
    precision: float = math.nan  # NaN without predictions: 0 of 0, undefined
    recall: float = math.nan  # NaN without labelled boxes: 0 of 0, undefined
    f1: float = math.nan  # NaN with neither predictions nor labelled boxes
    ap: float | None = None  # None without labelled boxes
    curve: tuple[NDArray[np.float64], NDArray[np.float64]] | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready, without the curve."""
        return {
            "truths": self.truths,
            "predictions": self.predictions,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": defined(self.precision),
            "recall": defined(self.recall),
            "f1": defined(self.f1),
            "ap": None if self.ap is None else round(self.ap, 4),
        }


def defined(value: float) -> float | None:
    """``value`` rounded for a report, or None (JSON ``null``) where it is undefined (NaN):
    precision of no prediction is 0 of 0, which was written as 0.0, a model that only errs;
    recall of no labelled box too, written 0.0, a model that misses all."""
    return None if math.isnan(value) else round(value, 4)


def shown(value: float) -> str:
    """``value`` for people: three decimals, or ``–`` where it is undefined (NaN)."""
    return score_text(value)


@dataclass(frozen=True)
class Finding:
    """A false positive or a miss, for the report and its figures."""

    tile: int  # index into the evaluated tiles
    class_name: str
    score: float  # of the prediction; for a miss, the best score of any overlapping one
    box: tuple[float, float, float, float]

    def to_json(self, tiles: Sequence[LabelledTile]) -> dict[str, Any]:
        """JSON-ready, naming the tile and its source."""
        tile = tiles[self.tile]
        return {
            "source": tile.source,
            "tile": tile.name,
            "image": str(tile.image) if tile.image else None,
            "class_name": self.class_name,
            "score": round(self.score, 4),
            "box": [round(v, 1) for v in self.box],
        }


@dataclass
class Evaluation:
    """Scores of a model on labelled tiles."""

    matching: Matching
    conf: float
    classes: tuple[str, ...]
    overall: dict[str, ClassScore]
    per_source: dict[str, dict[str, ClassScore]]
    false_positives: list[Finding]
    misses: list[Finding]
    tiles: int

    def to_json(self, tiles: Sequence[LabelledTile]) -> dict[str, Any]:
        """The report's content (without the model, which the caller adds)."""
        return {
            "matching": self.matching.to_json(),
            "conf": self.conf,
            "tiles": self.tiles,
            "classes": {c: s.to_json() for c, s in self.overall.items()},
            "per_source": {
                src: {c: s.to_json() for c, s in scores.items()}
                for src, scores in self.per_source.items()
            },
            "worst_false_positives": [f.to_json(tiles) for f in self.false_positives],
            "worst_misses": [f.to_json(tiles) for f in self.misses],
        }

    def table(self) -> list[list[str]]:
        """Rows for people: source, class, boxes, TP, FP, FN, P, R, F1, AP."""
        rows = []
        for source, scores in [("all", self.overall), *self.per_source.items()]:
            if source != "all" and len(self.per_source) == 1:
                continue
            for cls, s in scores.items():
                ap = score_text(s.ap)
                rows.append(
                    [source, cls, str(s.truths), str(s.tp), str(s.fp), str(s.fn),
                     shown(s.precision), shown(s.recall), shown(s.f1), ap]
                )  # fmt: skip
        return rows

    def headers(self) -> list[str]:
        """Column names of :meth:`table`."""
        ap = self.matching.ap_name
        return ["source", "class", "boxes", "TP", "FP", "FN", "precision", "recall", "F1", ap]

    def notes(self) -> list[str]:
        """One line for each class the model made no box of at the operating score, or of
        which no box is labelled (of all tiles): its precision, or recall, is 0 of 0, shown
        as ``–`` (and F1 too where both are); they read 0.000, a model whose every box is
        wrong, or that missed every box."""
        lines = []
        for cls, score in self.overall.items():
            tiles = count_of(self.tiles, "tile")
            made = f"the model made no {cls} box at score ≥ {self.conf:g}"
            if score.predictions and score.truths:
                continue
            if score.truths:
                what, undefined = f"{made} on these {tiles}", "precision is"
            elif score.predictions:
                what, undefined = f"no {cls} box is labelled on these {tiles}", "recall is"
            else:
                what = f"no {cls} box is labelled on these {tiles} and {made}"
                undefined = "precision, recall and F1 are"
            lines.append(
                f"note: {what}: its {cls} {undefined} undefined (0 of 0), shown as – (null in "
                "report.json)"
            )
        return lines


# --- matching --------------------------------------------------------------------------------


def truth_array(tile: LabelledTile, classes: Sequence[str]) -> NDArray[np.float64]:
    """(m, 5): x0, y0, x1, y1, class index of a tile's labelled boxes, sides shorter than
    :data:`~training.dataset.MIN_BOX_PX` widened about their centre as training widens them:
    the model learns those boxes, and a perfect 3 × 3 px box on a 2 × 2 px boat (a 6 m boat at
    3 m) had IoU 0.44 with the box as drawn, a false detection and a miss."""
    rows = [[b.x0, b.y0, b.x1, b.y1, classes.index(b.class_name)] for b in tile.boxes]
    boxes = np.asarray(rows, dtype=np.float64).reshape(-1, 5)
    for lo, hi, size in ((0, 2, tile.width), (1, 3, tile.height)):
        short = boxes[:, hi] - boxes[:, lo] < MIN_BOX_PX
        centre = (boxes[short, lo] + boxes[short, hi]) / 2
        start = np.clip(centre - MIN_BOX_PX / 2, 0.0, max(size - MIN_BOX_PX, 0.0))
        boxes[short, lo], boxes[short, hi] = start, start + MIN_BOX_PX
    return boxes


def pairwise_iou(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """IoU of every box in ``a`` (n, ≥4) with every box in ``b`` (m, ≥4)."""
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def match_tile(
    predictions: NDArray[np.float64], truths: NDArray[np.float64], matching: Matching
) -> NDArray[np.int64]:
    """For each prediction (n, 6), the index of the labelled box it matches, or -1."""
    matched = np.full(len(predictions), -1, dtype=np.int64)
    if not len(predictions) or not len(truths):
        return matched
    if matching.match_m is not None:
        pc = (predictions[:, :2] + predictions[:, 2:4]) / 2
        tc = (truths[:, :2] + truths[:, 2:4]) / 2
        distance = np.hypot(*(pc[:, None, :] - tc[None, :, :]).transpose(2, 0, 1))
        similarity = -distance * matching.gsd_m
        passes = similarity >= -matching.match_m
    else:
        similarity = pairwise_iou(predictions, truths)
        passes = similarity >= matching.iou - 1e-9
    same_class = predictions[:, 5][:, None] == truths[:, 4][None, :]
    taken = np.zeros(len(truths), dtype=bool)
    for index in np.argsort(-predictions[:, 4], kind="stable"):
        ok = passes[index] & same_class[index] & ~taken
        if ok.any():
            candidates = np.flatnonzero(ok)
            best = candidates[np.argmax(similarity[index, candidates])]
            matched[index] = best
            taken[best] = True
    return matched


def average_precision(
    scores: NDArray[np.float64], hits: NDArray[np.bool_], truths: int
) -> tuple[float | None, tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """All-point interpolated AP, and the curve (recall, precision) by falling score.

    The curve has one point per distinct score: predictions of equal score are kept or
    dropped together by any threshold, so their order (the tiles' order) cannot matter (a hit
    and a false positive of equal score gave AP 1.0 in one order and 0.5 in the other)."""
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(hits[order]).astype(np.float64)
    fp = np.cumsum(~hits[order]).astype(np.float64)
    if truths == 0:
        return None, (np.zeros(0), np.zeros(0))
    ranked = scores[order]
    last = np.append(ranked[1:] != ranked[:-1], True)[: len(ranked)]  # last of each score
    tp, fp = tp[last], fp[last]
    recall = tp / truths
    precision = tp / np.maximum(tp + fp, 1.0)
    if not len(recall):
        return 0.0, (recall, precision)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(steps * envelope)), (recall, precision)


def check_conf(conf: float) -> None:
    """DredgeError for an operating score outside 0–1 (``--conf 25``, a percent)."""
    if not 0 <= conf <= 1:
        raise DredgeError(f"--conf must be between 0 and 1, got {conf:g}")


def score_predictions(
    tiles: Sequence[LabelledTile],
    predictions: Sequence[NDArray[np.float32]],
    classes: Sequence[str],
    *,
    matching: Matching,
    conf: float = DEFAULT_CONF,
    operating: Sequence[NDArray[np.floating[Any]]] | None = None,
) -> Evaluation:
    """Match predictions (per tile, (n, 6) in tile pixels) to the tiles' boxes and score them.

    ``predictions`` (all scores) give AP; ``operating``, the boxes `dredge detect --conf`
    gives (:func:`predict_tiles`), give precision, recall, F1 and the findings (default:
    ``predictions`` scoring at least ``conf``, which greedy matching from the highest score
    down matches as if only they were made)."""
    if len(tiles) != len(predictions):
        raise ValueError(f"{len(tiles)} tiles but {len(predictions)} prediction arrays")
    check_conf(conf)
    if operating is None:
        operating = [_at_least(raw, conf) for raw in predictions]
    if len(operating) != len(tiles):
        raise ValueError(f"{len(tiles)} tiles but {len(operating)} operating prediction arrays")
    sources = list(dict.fromkeys(t.source for t in tiles))
    records: list[tuple[int, int, float, bool]] = []  # tile, class, score, matched: all scores
    kept: list[tuple[int, int, float, bool]] = []  # the same of the boxes made at ``conf``
    truth_records: list[_Truth] = []
    fps: list[Finding] = []
    for index, (tile, raw, raw_kept) in enumerate(zip(tiles, predictions, operating, strict=True)):
        preds = np.asarray(raw, dtype=np.float64).reshape(-1, 6)
        at_conf = _at_least(raw_kept, conf)
        truths = truth_array(tile, classes)
        matched = match_tile(preds, truths, matching)
        matched_kept = match_tile(at_conf, truths, matching)
        overlap = pairwise_iou(truths, preds) if len(preds) else np.zeros((len(truths), 0))
        for p, target in zip(preds, matched, strict=True):
            records.append((index, int(p[5]), float(p[4]), bool(target >= 0)))
        for p, target in zip(at_conf, matched_kept, strict=True):
            kept.append((index, int(p[5]), float(p[4]), bool(target >= 0)))
            if target < 0:
                fps.append(Finding(index, classes[int(p[5])], float(p[4]), _box(p)))
        for t_index, t in enumerate(truths):
            near = overlap[t_index] > 0
            truth_records.append(
                _Truth(
                    tile=index,
                    cls=int(t[4]),
                    found=bool((matched_kept == t_index).any()),
                    seen_score=float(preds[near, 4].max()) if near.any() else 0.0,
                    box=_box(t),
                )
            )
    overall = _scores(records, kept, truth_records, classes, None, tiles)
    per_source = {
        src: _scores(records, kept, truth_records, classes, src, tiles) for src in sources
    }
    misses = [
        Finding(t.tile, classes[t.cls], t.seen_score, t.box)
        for t in truth_records
        if not t.found  # unmatched by the boxes made at the operating score
    ]
    misses.sort(key=lambda f: (f.score, -_area(f.box)))
    fps.sort(key=lambda f: -f.score)
    return Evaluation(
        matching=matching,
        conf=conf,
        classes=tuple(classes),
        overall=overall,
        per_source=per_source,
        false_positives=fps[:WORST_SHOWN],
        misses=misses[:WORST_SHOWN],
        tiles=len(tiles),
    )


@dataclass(frozen=True)
class _Truth:
    tile: int
    cls: int
    found: bool  # matched by a box made at the operating score
    seen_score: float  # best score of any prediction overlapping it (any class), 0 when none
    box: tuple[float, float, float, float]


def _at_least(raw: NDArray[np.floating[Any]], conf: float) -> NDArray[np.float64]:
    """(n, 6) predictions scoring at least ``conf``."""
    preds = np.asarray(raw, dtype=np.float64).reshape(-1, 6)
    return preds[preds[:, 4] >= conf]


def _box(row: NDArray[np.float64]) -> tuple[float, float, float, float]:
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])


def _area(box: tuple[float, float, float, float]) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def _scores(
    records: list[tuple[int, int, float, bool]],
    kept: list[tuple[int, int, float, bool]],
    truth_records: list[_Truth],
    classes: Sequence[str],
    source: str | None,
    tiles: Sequence[LabelledTile],
) -> dict[str, ClassScore]:
    """Per class: AP over ``records`` (all scores), counts and P/R/F1 of ``kept``."""
    out = {}
    for cls_index, cls in enumerate(classes):
        ranked = _of_class(records, cls_index, source, tiles)
        operating = _of_class(kept, cls_index, source, tiles)
        truths = sum(
            1
            for t in truth_records
            if t.cls == cls_index and (source is None or tiles[t.tile].source == source)
        )
        scores = np.asarray([s for s, _ in ranked], dtype=np.float64)
        hits = np.asarray([h for _, h in ranked], dtype=bool)
        tp = sum(hit for _, hit in operating)
        fp = len(operating) - tp
        precision = tp / (tp + fp) if tp + fp else math.nan  # no prediction: 0 of 0
        recall = tp / truths if truths else math.nan  # no labelled box: 0 of 0
        fn = truths - tp  # F1 by the counts: 0 where boxes were all missed, 0 of 0 where none
        f1 = 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else math.nan
        ap, curve = average_precision(scores, hits, truths)
        out[cls] = ClassScore(
            truths=truths,
            predictions=tp + fp,
            tp=tp,
            fp=fp,
            fn=truths - tp,
            precision=precision,
            recall=recall,
            f1=f1,
            ap=ap,
            curve=curve,
        )
    return out


def _of_class(
    rows: list[tuple[int, int, float, bool]],
    cls_index: int,
    source: str | None,
    tiles: Sequence[LabelledTile],
) -> list[tuple[float, bool]]:
    """(score, matched) of the predictions of one class (in one source, or all)."""
    return [
        (score, hit)
        for tile, c, score, hit in rows
        if c == cls_index and (source is None or tiles[tile].source == source)
    ]


# --- running a model -------------------------------------------------------------------------


def predict_tiles(
    detector: Detector,
    tiles: Sequence[LabelledTile],
    *,
    batch: int = 16,
    conf: float = DEFAULT_CONF,
) -> tuple[list[NDArray[np.float32]], list[NDArray[np.float32]]]:
    """The detector's boxes on every tile, in tile order: made at :data:`SCORE_FLOOR`, and
    those scoring at least ``conf`` as `dredge detect --conf` makes them, at
    :func:`detector.merge.boxes_made_at` (a YOLO model runs once for both). Made at ``conf``
    itself, a box fused with a weaker one that detect's boxes take in lay apart from its."""
    bands = len(detector.card.input.bands)
    empty = np.zeros((0, 6), np.float32)
    low: list[NDArray[np.float32]] = [empty] * len(tiles)
    high: list[NDArray[np.float32]] = [empty] * len(tiles)
    by_size: dict[tuple[int, int], list[int]] = {}
    for index, tile in enumerate(tiles):
        by_size.setdefault((tile.height, tile.width), []).append(index)
    for indices in by_size.values():
        for start in range(0, len(indices), batch):
            chunk = indices[start : start + batch]
            pixels = np.stack([tiles[i].as_float(bands) for i in chunk])
            if isinstance(detector, YoloDetector):
                floor, made = detector.predict_at(pixels, (SCORE_FLOOR, boxes_made_at(conf)))
            else:
                floor = detector.predict(pixels, conf=SCORE_FLOOR)
                made = detector.predict(pixels, conf=boxes_made_at(conf))
            for i, boxes, kept in zip(chunk, floor, made, strict=True):
                low[i], high[i] = boxes, kept[kept[:, 4] >= conf]
    return low, high


def evaluate_tiles(
    detector: Detector,
    tiles: Sequence[LabelledTile],
    *,
    iou: float = DEFAULT_IOU,
    match_m: float | None = None,
    conf: float = DEFAULT_CONF,
    batch: int = 16,
) -> tuple[Evaluation, list[NDArray[np.float32]]]:
    """Run the detector on the tiles and score it; also return the raw predictions."""
    if not tiles:
        raise DredgeError("no labelled tiles to evaluate on")
    check_conf(conf)
    matching = Matching(iou=iou, match_m=match_m, gsd_m=detector.card.input.gsd_m)
    predictions, operating = predict_tiles(detector, tiles, batch=batch, conf=conf)
    evaluation = score_predictions(
        tiles, predictions, detector.card.classes, matching=matching, conf=conf, operating=operating
    )
    return evaluation, predictions


# --- report ----------------------------------------------------------------------------------


def write_report(
    evaluation: Evaluation,
    tiles: Sequence[LabelledTile],
    out: str | Path,
    *,
    model: dict[str, Any],
    bands: Sequence[str],
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``report.json`` and the three figures into ``out``; return the JSON's path.
    ``bands``: the model's (its card's ``input.bands``), for the crops' colours. ``out`` may
    be a ``str`` or a :class:`~pathlib.Path`."""
    from training.evaluate_figures import draw_findings, draw_pr_curves

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    figures = {
        "pr_curve": draw_pr_curves(evaluation, out / PR_CURVE_NAME),
        "worst_false_positives": draw_findings(
            evaluation.false_positives, tiles, bands, out / FALSE_POSITIVES_NAME, "false positive"
        ),
        "worst_misses": draw_findings(evaluation.misses, tiles, bands, out / MISSES_NAME, "miss"),
    }
    report = {
        "model": model,
        **(extra or {}),
        **evaluation.to_json(tiles),
        "figures": {k: p.name for k, p in figures.items()},
    }
    path = out / REPORT_NAME
    write_text_atomic(path, json_text(report, indent=2, ensure_ascii=False) + "\n")
    return path


def card_metrics(evaluation: Evaluation) -> dict[str, Any]:
    """Metrics for a model card: ``val`` (dredge), ``val_classes`` and the matching rule; a
    metric undefined (0 of 0: precision of no box made, recall and mAP50 of no box labelled)
    is None (JSON ``null``), as in report.json."""

    def entry(score: ClassScore) -> dict[str, Any]:
        return {
            "precision": defined(score.precision),  # null where the model made no box
            "recall": defined(score.recall),  # null where no box is labelled
            "f1": defined(score.f1),
            "mAP50": None if score.ap is None else defined(score.ap),  # as recall (was 0.0)
            "boxes": score.truths,
        }

    return {
        "val": entry(evaluation.overall["dredge"]),
        "val_classes": {c: entry(s) for c, s in evaluation.overall.items()},
        "val_matching": evaluation.matching.to_json(),
        "val_conf": evaluation.conf,
    }
