"""Is a dredge's colour an identity cue? Box colours of the same dredge against different ones.

The tracker links detections by position alone (``tracking_dedup.md``), and a box's size is
too noisy to tell dredges apart (``hull_size_cue.md``). Analysts who count by eye also use a
dredge's roof: a blue tarp, rusty or bare metal. The synthetic worlds paint each dredge's roof
in one of three styles that it keeps for life, so colour could refuse links between dredges
of different styles (about two links in three between two random dredges) if the scenes show
it well enough. This benchmark measures that on the runs that
:mod:`benchmarks.count_accuracy` keeps (``--worlds DIR``: ``DIR/seed-N`` is the world,
``DIR/run-N`` what ``dredge run`` wrote):

- each dredge box is matched one-to-one to a visible true dredge of its scene within 15 m
  (:func:`benchmarks.hull_size_cue.matched_boxes`);
- its colour is the mean red, green and blue reflectance of the box's central half (the roof)
  read by the detector's own reader, less the median of the water 6–20 m around the box (haze
  and the light of the day shift both alike); ``raw`` is the same without the water removed;
- pairs of the same dredge (consecutive detections: the links a tracker must keep) are
  compared with pairs of different dredges of the same river less than 120 days apart (the
  links it should refuse), for vetoes "refuse a link when the colours differ by more than T";
- ``stays of 3``: the median colour of three consecutive detections of a dredge, the cue of a
  mooring seen on three dates, against that of another dredge's three;
- as in :mod:`benchmarks.hull_size_cue`, a veto's cost against what it mends is weighed at
  the lowest and the highest share of false links measured in ``tracking_dedup.md``.

    .venv/bin/python -m benchmarks.colour_cue --worlds /tmp/nw --seeds 2 4 5 6

Writes ``benchmarks/results/colour_cue.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio.features import geometry_mask
from rasterio.windows import Window

from benchmarks.hull_size_cue import (
    PAIR_DAYS,
    broken_per_fixed,
    broken_per_fixed_column,
    count_runs,
    false_move_shares,
    matched_boxes,
    over_seeds,
    share_range,
    shares_text,
)
from benchmarks.report import write_markdown
from detector.inputspec import InputSpec
from detector.scene import open_scene
from training.track_eval import markdown_table

RGB = InputSpec(bands=("red", "green", "blue"))
RING_M = (6.0, 20.0)  # the water around a box: from this far to this far from its edge
VETOES = (0.02, 0.04, 0.06, 0.08, 0.12)
STAY = 3  # detections per stay in the "stays of 3" rows


def box_colours(world: Path, run: Path) -> pd.DataFrame:
    """One row per dredge box matched to a visible true dredge: its roof colour and water's."""
    boxes = gpd.read_parquet(run / "detections.parquet")
    boxes = boxes[boxes["class_name"] == "dredge"]
    matched = matched_boxes(world, boxes)
    files = {p.name: p for p in (world / "scenes").rglob("*.tif")}
    rows = []
    for scene, here in matched.groupby("scene"):
        with open_scene(files[Path(str(scene)).name]) as opened:
            grid = opened.grid(RGB.gsd_m)
            pixels = opened.read_window(Window(0, 0, grid.width, grid.height), RGB, grid)
            local = gpd.GeoSeries(here["geometry"].to_list(), crs=boxes.crs).to_crs(opened.crs)
            for box, row in zip(local, here.itertuples(), strict=True):
                roof, water = _roof_and_water(box, pixels.data, pixels.valid, pixels.transform)
                rows.append((row.dredge_id, row.river, row.acquired, *roof, *water))
    columns = ["dredge_id", "river", "acquired", "red", "green", "blue"]
    return pd.DataFrame(rows, columns=[*columns, "water_red", "water_green", "water_blue"])


def _roof_and_water(
    box: shapely.Geometry, data: np.ndarray, valid: np.ndarray, transform: object
) -> tuple[np.ndarray, np.ndarray]:
    """Mean reflectance of the box's central half; median of the water ring around it."""
    shape = data.shape[1:]
    core = shapely.affinity.scale(box, 0.5, 0.5, origin=box.centroid)
    inner = geometry_mask([core], shape, transform, invert=True, all_touched=True) & valid
    ring = box.buffer(RING_M[1]).difference(box.buffer(RING_M[0]))
    around = geometry_mask([ring], shape, transform, invert=True) & valid
    nan = np.full(data.shape[0], np.nan)
    roof = data[:, inner].mean(axis=1) if inner.any() else nan
    water = np.median(data[:, around], axis=1) if around.any() else nan
    return roof, water


def features(colours: pd.DataFrame, *, less_water: bool) -> np.ndarray:
    """The colour vector of each box (red, green, blue), less the water around it or raw."""
    roof = colours[["red", "green", "blue"]].to_numpy()
    if less_water:
        roof = roof - colours[["water_red", "water_green", "water_blue"]].to_numpy()
    return roof


def stays(colours: pd.DataFrame, vectors: np.ndarray, size: int = STAY) -> pd.DataFrame:
    """Consecutive runs of ``size`` detections of each dredge: their median colour and time."""
    rows = []
    frame = colours.assign(_i=np.arange(len(colours))).sort_values(["dredge_id", "acquired"])
    for dredge, here in frame.groupby("dredge_id"):
        index = here["_i"].to_numpy()
        for start in range(0, len(index) - size + 1, size):
            part = index[start : start + size]
            rows.append(
                {
                    "dredge_id": dredge,
                    "river": here["river"].iloc[0],
                    "acquired": here["acquired"].iloc[start],
                    "vector": np.nanmedian(vectors[part], axis=0),
                }
            )
    return pd.DataFrame(rows)


def colour_pairs(
    ids: np.ndarray,
    rivers: np.ndarray,
    acquired: pd.Series,
    vectors: np.ndarray,
    *,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Colour distances of same-dredge pairs (consecutive in time) and of different-dredge
    pairs (same river, under ``PAIR_DAYS`` apart; up to 20 per box, drawn at random)."""
    rng = np.random.default_rng(seed)
    when = (pd.to_datetime(acquired, utc=True) - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    days = when.to_numpy() / 86400
    ok = np.isfinite(vectors).all(axis=1)
    ids, rivers, days, vectors = ids[ok], rivers[ok], days[ok], vectors[ok]
    order = np.lexsort((days, ids))
    ordered = vectors[order]
    consecutive = ids[order][1:] == ids[order][:-1]
    same = np.linalg.norm(np.diff(ordered, axis=0), axis=1)[consecutive]
    different = []
    for river in np.unique(rivers):
        here = np.flatnonzero(rivers == river)
        for i in here:
            other = here[(ids[here] != ids[i]) & (np.abs(days[here] - days[i]) < PAIR_DAYS)]
            if len(other) > 20:
                other = rng.choice(other, 20, replace=False)
            different.append(np.linalg.norm(vectors[other] - vectors[i], axis=1))
    return same, np.concatenate(different) if different else np.zeros(0)


def veto_rows(
    name: str, same: np.ndarray, different: np.ndarray, false_shares: Sequence[float]
) -> list[dict[str, object]]:
    """Per veto: the share of same-dredge and of different-dredge links refused, and the real
    links broken per false link refused for each share of false links in ``false_shares``."""
    rows: list[dict[str, object]] = []
    for veto in VETOES:
        refused_same = float(np.mean(same > veto))
        refused_other = float(np.mean(different > veto))
        row: dict[str, object] = {
            "colour": name,
            "pairs same / different": f"{len(same):,} / {len(different):,}",
            "veto: colours differ by more than": veto,
            "same-dredge links refused": round(refused_same, 3),
            "different-dredge links refused": round(refused_other, 3),
        }
        for share in false_shares:
            ratio = broken_per_fixed(refused_same, refused_other, share)
            row[broken_per_fixed_column(share)] = round(ratio, 2)
        rows.append(row)
    return rows


def main() -> None:
    runs, seeds = count_runs(__doc__.split("\n\n")[0])
    shares = false_move_shares()
    colours = over_seeds(runs, box_colours)
    rows: list[dict[str, object]] = []
    for name, less_water in (("less the water", True), ("raw", False)):
        vectors = features(colours, less_water=less_water)
        ids, rivers = colours["dredge_id"].to_numpy(), colours["river"].to_numpy()
        same, different = colour_pairs(ids, rivers, colours["acquired"], vectors)
        rows += veto_rows(f"{name}, one detection", same, different, share_range(shares))
        grouped = stays(colours, vectors)
        same, different = colour_pairs(
            grouped["dredge_id"].to_numpy(),
            grouped["river"].to_numpy(),
            grouped["acquired"],
            np.stack(grouped["vector"].to_list()) if len(grouped) else np.zeros((0, 3)),
        )
        rows += veto_rows(f"{name}, stays of {STAY}", same, different, share_range(shares))
    spread = colours.groupby("dredge_id")[["red", "green", "blue"]].std().mean()
    text = [
        "# Roof colour as an identity cue",
        "",
        f"Command: `.venv/bin/python -m benchmarks.colour_cue --worlds DIR --seeds {seeds}` on "
        f"the worlds and runs that `benchmarks.count_accuracy --worlds DIR --seeds {seeds}` "
        "kept (bundled model, 3 m scenes). Colour: mean reflectance (red, green, blue) of the "
        "central half of each box; distances are Euclidean in reflectance.",
        "",
        f"Boxes: {len(colours):,} of {colours['dredge_id'].nunique()} dredges. Spread of one "
        f"dredge's raw colour from date to date (sd): red {spread['red']:.3f}, green "
        f"{spread['green']:.3f}, blue {spread['blue']:.3f}.",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        "The last two columns take the share of false links among the links a veto could "
        f"refuse at the low and the high end of what was measured, as in `hull_size_cue.md`: "
        f"{shares_text(shares)}. Each real link broken splits a dredge in two (one too many); "
        "each false link refused restores one that a false move had hidden.",
        "",
        "Reading: a dredge keeps its roof, but at 3 m a box's central half is a few pixels that "
        "mix roof, deck and water, and a box is not always centred on its hull, so the colour "
        "of one detection varies from date to date by a good part of what separates two roof "
        "styles; removing the water around the box takes out haze and the day's light. The "
        "median of three detections of a stay varies less. Three styles also bound the cue: "
        "two dredges share a style about one time in three, and no veto can refuse their links.",
        "",
    ]
    write_markdown("colour_cue", "\n".join(text))


if __name__ == "__main__":
    main()
