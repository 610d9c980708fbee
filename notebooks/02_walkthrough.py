# %% [markdown]
# # Walkthrough: scenes → detections → dredge tracks → yearly counts
#
# The three stages of `dredge run`, one at a time, from Python, on the demo world
# (`make demo` writes it to `demo-output/world`; without it, run from the repository's folder,
# this notebook makes a small world of its own: seed 1, the Nanay alone, three scenes of 2024,
# not the demo's dredges). Each stage reads and writes plain files, so any of them
# can be redone alone. Runs as a script (`.venv/bin/python notebooks/02_walkthrough.py`) or
# cell by cell in VS Code / Jupyter (jupytext percent format); `tests/test_notebooks.py`
# runs it.

# %%
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from detector.detect import detect_scenes, write_detections  # noqa: E402
from detector.model import load_model  # noqa: E402
from detector.track_pipeline import run_counts, run_track  # noqa: E402
from training.synth.world import WorldConfig, write_world  # noqa: E402

out = Path(os.environ.get("DREDGE_NOTEBOOK_OUT") or tempfile.mkdtemp())
world = Path("demo-output/world")
if not (world / "world.json").exists():
    world = out / "world"
    print(write_world(WorldConfig(seed=1, rivers=("Nanay",), years=(2024, 2024)), world))
scenes = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))
rivers = world / "rivers.geojson"
print(f"{len(scenes)} scenes in {world}")

# %% [markdown]
# ## 1. Detect
#
# The bundled model and its card: the card says which bands, GSD and tile size the model
# reads; the tiler cuts each scene along the river corridors to match.

# %%
model = load_model()  # bundled: detector/weights/dredge-yolo11-p2.pt + .card.json
print(model.describe(), "| input:", model.card.input)
detections, failures = detect_scenes(scenes, rivers, model=model, progress=False, echo=lambda _: None)
write_detections(detections, out / "detections.parquet")
print(f"{len(detections)} detections, {len(failures)} failed scenes")
detections[["scene", "acquired", "class_name", "score", "river", "chainage_m", "offset_m"]].head()

# %% [markdown]
# Detections against the truth in the scene with the most visible dredges: every truth
# dredge (red circle) should carry a detection (yellow box).

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
mine = truth[truth["scene"] == busiest]
fig, ax = plt.subplots(figsize=(9, 9))
ax.imshow(rgb, extent=extent)
here.boundary.plot(ax=ax, color="yellow", linewidth=1)
ax.scatter(mine["x"], mine["y"], s=160, facecolors="none", edgecolors="red")
if len(mine):
    pad = 600
    ax.set_xlim(mine["x"].min() - pad, mine["x"].max() + pad)
    ax.set_ylim(mine["y"].min() - pad, mine["y"].max() + pad)
ax.set_title(f"{busiest}: {len(here)} detections (yellow), {len(mine)} truth dredges (red)")
fig.savefig(out / "detections_on_scene.png", dpi=100)

# %% [markdown]
# ## 2. Track
#
# Detections are linked across dates along each river (chainage and offset, not straight
# lines); the scenes' clear areas tell the tracker where a dredge could have been seen.

# %%
tracked = run_track(out / "detections.parquet", rivers, out / "tracks.parquet", scenes=scenes)
print(tracked.summary)
tracks = gpd.read_parquet(out / "tracks.parquet")
tracks[["track_id", "river", "first_seen", "last_seen", "n_dates", "moved_m", "counted"]].head()

# %% [markdown]
# Each counted dredge along the river: chainage (km from the downstream end) against date.

# %%
linked = gpd.read_parquet(tracked.detections)
linked = linked[linked["track_id"].isin(tracks.loc[tracks["counted"], "track_id"])]
fig, ax = plt.subplots(figsize=(10, 4))
for _, one in linked.groupby("track_id"):
    one = one.sort_values("acquired")
    ax.plot(one["acquired"], one["chainage_m"] / 1000, marker="o", markersize=3, linewidth=1)
ax.set_xlabel("date")
ax.set_ylabel("chainage, km")
ax.set_title("Dredge tracks (one colour per dredge)")
fig.savefig(out / "tracks.png", dpi=100)

# %% [markdown]
# ## 3. Count, and compare with the truth

# %%
for line in run_counts(out / "tracks.parquet", out / "counts.csv", chart=out / "counts.png"):
    print(line)
counts = pd.read_csv(out / "counts.csv")
true = pd.read_csv(world / "truth" / "counts.csv").rename(columns={"unique_dredges": "truth"})
table = counts.merge(true[["river", "year", "truth"]], on=["river", "year"], how="left")
print(table[["river", "year", "unique_dredges", "unique_low", "unique_high", "truth"]])
