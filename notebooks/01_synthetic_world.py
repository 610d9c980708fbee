# %% [markdown]
# # The synthetic river world
#
# Generates a small world (seed 1, the Nanay and the Itaya, 2024–2025: 12 scenes; about 25 s
# on 2 cores), shows one scene with its truth dredges, and the yearly truth counts. Files and
# figures go to `$DREDGE_NOTEBOOK_OUT/world`, else a new temporary folder (printed below), never
# the repository. Runs as a script (`.venv/bin/python notebooks/01_synthetic_world.py`) or cell
# by cell: VS Code's Python extension runs this jupytext "percent" script as it is (Run Cell; it
# offers to install `ipykernel` into `.venv`), and Jupyter opens it as a notebook once
# `jupytext` is installed (`.venv/bin/pip install jupyterlab jupytext`, then right-click the
# file → Open With → Notebook); neither is part of `.venv`. `tests/test_notebooks.py` runs it.

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

out = Path(os.environ.get("DREDGE_NOTEBOOK_OUT") or tempfile.mkdtemp(prefix="dredge-")) / "world"
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
    crs = src.crs.to_string()
    print(crs, src.res, src.count, "bands", src.dtypes[0])
rgb = (rgb / 2000).clip(0, 1) ** 0.5
fig, ax = plt.subplots(figsize=(8, 8))
ax.imshow(rgb.transpose(1, 2, 0), extent=extent)
here = truth[truth["scene"] == busiest]
hidden = "hidden dredge (cloud or outside the footprint)"
for seen, colour, label in ((True, "red", "visible dredge"), (False, "yellow", hidden)):
    mine = here[here["visible"] == seen]
    ax.scatter(mine["x"], mine["y"], s=80, facecolors="none", edgecolors=colour,
               label=f"{label}: {len(mine)}")
ax.legend(loc="lower right")
ax.ticklabel_format(useOffset=False, style="plain")
ax.set_xlabel(f"easting, m ({crs})")
ax.set_ylabel(f"northing, m ({crs})")
ax.set_title(f"{busiest}\ntrue colour (red, green, blue) with the truth's dredges", fontsize=10)
fig.savefig(out / "scene_with_truth.png", dpi=100)

# %% [markdown]
# ## Truth counts per river and year (zero rows included)

# %%
counts = pd.read_csv(out / "truth" / "counts.csv")
print(counts.to_string(index=False))
assert (counts.loc[counts["river"] == "Itaya", "unique_dredges"] == 0).all()
