# %% [markdown]
# # The synthetic river world
#
# Generates a small world, shows one scene with its truth dredges, and the yearly truth counts.
# Runs as a script (`.venv/bin/python notebooks/01_synthetic_world.py`) or cell by cell in
# VS Code / Jupyter (jupytext percent format). `tests/test_notebooks.py` runs it.

# %%
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import rasterio  # noqa: E402

from training.synth.world import WorldConfig, write_world  # noqa: E402

out = Path(os.environ.get("DREDGE_NOTEBOOK_OUT") or tempfile.mkdtemp()) / "world"
config = WorldConfig(seed=1, rivers=("Nanay", "Itaya"), years=(2024, 2025))
print(write_world(config, out, overwrite=True))

# %% [markdown]
# ## One scene and its truth dredges

# %%
truth = pd.read_csv(out / "truth" / "dredges.csv")
busiest = truth[truth["visible"]].groupby("scene").size().idxmax()
with rasterio.open(out / "scenes" / busiest) as src:
    rgb = src.read([3, 2, 1]).astype(float)
    extent = (src.bounds.left, src.bounds.right, src.bounds.bottom, src.bounds.top)
    print(src.crs, src.res, src.count, "bands", src.dtypes[0])
rgb = (rgb / 2000).clip(0, 1) ** 0.5
fig, ax = plt.subplots(figsize=(8, 8))
ax.imshow(rgb.transpose(1, 2, 0), extent=extent)
here = truth[truth["scene"] == busiest]
ax.scatter(here["x"], here["y"], s=80, facecolors="none",
           edgecolors=here["visible"].map({True: "red", False: "yellow"}))
ax.set_title(f"{busiest}: red = visible dredge, yellow = hidden (cloud or outside footprint)")
fig.savefig(out / "scene_with_truth.png", dpi=100)

# %% [markdown]
# ## Truth counts per river and year (zero rows included)

# %%
counts = pd.read_csv(out / "truth" / "counts.csv")
print(counts.to_string(index=False))
assert (counts.loc[counts["river"] == "Itaya", "unique_dredges"] == 0).all()
