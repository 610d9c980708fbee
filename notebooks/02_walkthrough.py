# %% [markdown]
# # Walkthrough: scenes → detections → dredge tracks → yearly counts
#
# The three stages of `dredge run`, one at a time, from Python, on the demo world
# (`make demo` writes it to `demo-output/world`; this notebook looks for it in the working
# folder and the folders above, so it is found from the repository's folder and from
# `notebooks/`, where Jupyter starts). Without it, the notebook makes a small world of its
# own: seed 1, the Nanay alone, three scenes of 2024, not the demo's dredges (about 25 s on
# 2 cores; the demo's 72 scenes take 2½ to 5 minutes). Each stage reads and writes plain
# files, so any of them can be redone alone. Figures and files go to `$DREDGE_NOTEBOOK_OUT`,
# else a new temporary folder (printed below), never the repository.
#
# Runs as a script (`.venv/bin/python notebooks/02_walkthrough.py`) or cell by cell: it is a
# jupytext "percent" script, which VS Code's Python extension runs cell by cell as it is
# (Run Cell; it offers to install `ipykernel` into `.venv`), and which Jupyter opens as a
# notebook once `jupytext` is installed (`.venv/bin/pip install jupyterlab jupytext`, then
# right-click the file → Open With → Notebook). Neither is part of `.venv`.
# `tests/test_notebooks.py` runs it.

# %%
import os
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from detector.demo import compare_counts  # noqa: E402
from detector.detect import detect_scenes, write_detections  # noqa: E402
from detector.model import load_model  # noqa: E402
from detector.track_pipeline import run_counts, run_track  # noqa: E402
from detector.wording import count_of  # noqa: E402
from training.synth.world import WorldConfig, write_world  # noqa: E402

out = Path(os.environ.get("DREDGE_NOTEBOOK_OUT") or tempfile.mkdtemp(prefix="dredge-walkthrough-"))
print(f"figures and files go to {out}")
found = [p / "demo-output" / "world" for p in (Path.cwd(), *Path.cwd().parents)]
found = [w for w in found if (w / "world.json").exists()]
if found:
    world = found[0]
else:
    world = out / "world"
    print(f"no demo-output/world in {Path.cwd()} or above (`make demo`): a world of its own")
    print(write_world(WorldConfig(seed=1, rivers=("Nanay",), years=(2024, 2024)), world))
scenes = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))
rivers = world / "rivers.geojson"
print(f"{count_of(len(scenes), 'scene')} in {world}")

# %% [markdown]
# ## 1. Detect
#
# The bundled model and its card: the card says which bands, GSD and tile size the model
# reads; the tiler cuts each scene along the river corridors to match. The model finds two
# classes, `dredge` and `boat`; only dredges are tracked and counted.

# %%
# the bundled model, detector/weights/dredge-yolo11-p2: .onnx (on CPU), .pt and .card.json
model = load_model()
print(model.describe(), "| input:", model.card.input)
# echo: a line per scene finished (left out here); problems with a scene are still printed.
# on_scene counts the scenes as they finish, on one line rewritten in place (in Jupyter as in
# a terminal): the demo world's 72 scenes take minutes on a CPU
started, finished = time.monotonic(), []


def scene_done(path: str, found: object, error: object) -> None:
    finished.append(path)
    took = time.monotonic() - started
    print(f"\rdetecting: {len(finished)} of {len(scenes)} scenes, {took:.0f} s", end="", flush=True)


detections, failures = detect_scenes(
    scenes, rivers, model=model, progress=False, echo=lambda _: None, on_scene=scene_done
)
print()
write_detections(detections, out / "detections.parquet")
classes = ", ".join(count_of(n, str(c)) for c, n in detections["class_name"].value_counts().items())
print(
    f"{count_of(len(detections), 'detection')} ({classes}), {count_of(len(failures), 'failed scene')}"
)
detections[["scene", "acquired", "class_name", "score", "river", "chainage_m", "offset_m"]].head()

# %% [markdown]
# Detections against the truth in the scene with the most visible dredges: every truth
# dredge (red circle) should carry a dredge detection (yellow box); boats are cyan boxes.

# %%
import rasterio  # noqa: E402

truth = pd.read_csv(world / "truth" / "dredges.csv")
truth = truth[truth["visible"] & truth["scene"].isin([s.name for s in scenes])]
busiest = truth.groupby("scene").size().idxmax()
with rasterio.open(world / "scenes" / busiest) as src:
    rgb = ((src.read([3, 2, 1]).astype(float) / 2000).clip(0, 1) ** 0.5).transpose(1, 2, 0)
    extent = (src.bounds.left, src.bounds.right, src.bounds.bottom, src.bounds.top)
    crs = src.crs
here = detections[detections["scene"] == busiest].to_crs(crs)
dredges = here[here["class_name"] == "dredge"]
boats = here[here["class_name"] == "boat"]
mine = truth[truth["scene"] == busiest]
fig, ax = plt.subplots(figsize=(9, 9))
ax.imshow(rgb, extent=extent)
dredges.boundary.plot(ax=ax, color="yellow", linewidth=1)
boats.boundary.plot(ax=ax, color="cyan", linewidth=1)
ax.scatter(mine["x"], mine["y"], s=160, facecolors="none", edgecolors="red")
if len(mine):
    pad = 600
    ax.set_xlim(mine["x"].min() - pad, mine["x"].max() + pad)
    ax.set_ylim(mine["y"].min() - pad, mine["y"].max() + pad)
ax.ticklabel_format(useOffset=False, style="plain")
ax.set_xlabel(f"easting, m ({crs.to_string()})")
ax.set_ylabel(f"northing, m ({crs.to_string()})")
ax.set_title(
    f"{busiest[:24]}…: {len(mine)} truth dredges (red),\n"
    f"{len(dredges)} dredge detections (yellow), {len(boats)} boat detections (cyan)"
)
fig.savefig(out / "detections_on_scene.png", dpi=100)

# %% [markdown]
# ## 2. Track
#
# Dredge detections are linked across dates along each river (chainage and offset, not
# straight lines); the scenes' clear areas tell the tracker where a dredge could have been
# seen.

# %%
tracked = run_track(out / "detections.parquet", rivers, out / "tracks.parquet", scenes=scenes)
print(tracked.summary)
tracks = gpd.read_parquet(out / "tracks.parquet")
tracks[["track_id", "river", "first_seen", "last_seen", "n_dates", "moved_m", "counted"]].head()

# %% [markdown]
# Each counted dredge along its river: chainage (km from the river's downstream end) against
# date, a panel per river with counted dredges.

# %%
linked = gpd.read_parquet(tracked.detections)
linked = linked[linked["track_id"].isin(tracks.loc[tracks["counted"], "track_id"])]
names = sorted(linked["river"].unique()) or ["(none)"]
fig, axes = plt.subplots(len(names), 1, figsize=(10, 3.5 * len(names)), sharex=True, squeeze=False)
for ax, name in zip(axes[:, 0], names, strict=True):
    mine = linked[linked["river"] == name]
    for _, one in mine.groupby("track_id"):
        one = one.sort_values("acquired")
        ax.plot(one["acquired"], one["chainage_m"] / 1000, marker="o", markersize=3, linewidth=1)
    ax.set_ylabel("chainage, km")
    n = mine["track_id"].nunique()
    ax.set_title(f"{name}: {n} counted dredges (a line each; colours repeat)")
axes[-1, 0].set_xlabel("date of the scene (UTC)")
fig.tight_layout()
fig.savefig(out / "tracks.png", dpi=100)

# %% [markdown]
# ## 3. Count, and compare with the truth
#
# The same table as `make demo` prints (`counts_vs_truth.csv`): `error` is counted less truth,
# `within_10pct` whether it is within 10 % of the truth.

# %%
for line in run_counts(out / "tracks.parquet", out / "counts.csv", chart=out / "counts.png"):
    print(line)
counts = pd.read_csv(out / "counts.csv")
table = compare_counts(counts, pd.read_csv(world / "truth" / "counts.csv"))
print(table.to_string(index=False))
