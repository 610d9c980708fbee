"""Figures of ``dredge evaluate``: precision–recall curves and crops of the worst findings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from detector.band_layout import rgb_view
from detector.wording import count_of
from detector.writing import write_atomic

if TYPE_CHECKING:
    from training.evaluate import Evaluation, Finding
    from training.labels.table import LabelledTile

CROP_PX = 48  # side of the tile area shown around a finding, px
COLUMNS = 4


def draw_pr_curves(evaluation: Evaluation, path: Path) -> Path:
    """One precision–recall curve per class, the operating score marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.5), dpi=110)
    for cls, score in evaluation.overall.items():
        if score.curve is None or score.ap is None:
            continue
        recall, precision = score.curve
        boxes = count_of(score.truths, "box", "boxes")
        label = f"{cls}: {evaluation.matching.ap_name} {score.ap:.3f} ({boxes})"
        line = ax.plot(recall, precision, label=label)[0]
        ax.plot([score.recall], [score.precision], "o", color=line.get_color(), markersize=6)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(f"{evaluation.matching.describe()}; dot: score ≥ {evaluation.conf:g}", fontsize=10)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png"))  # no half PNG left
    plt.close(fig)
    return path


def draw_findings(
    findings: Sequence[Finding],
    tiles: Sequence[LabelledTile],
    bands: Sequence[str],
    path: Path,
    kind: str,
) -> Path:
    """A grid of crops around findings, the box drawn, titled with class, score and tile.

    ``bands``: the model's, in the order of the tiles' pixels; shown in true colour
    (:func:`detector.band_layout.rgb_view`: a BGRN model's blue was shown as red)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    kinds = kind + ("es" if kind.endswith("s") else "s")  # "misses" (it said "misss")
    count = max(1, len(findings))
    rows = int(np.ceil(count / COLUMNS))
    fig, axes = plt.subplots(rows, COLUMNS, figsize=(2.4 * COLUMNS, 2.6 * rows), dpi=100)
    axes = np.atleast_1d(axes).ravel()
    for ax in axes:
        ax.axis("off")
    if not findings:
        axes[0].text(0.5, 0.5, f"no {kinds}", ha="center", va="center")
    colour = "red" if kind == "false positive" else "lime"
    view = rgb_view(bands)
    for ax, finding in zip(axes, findings, strict=False):
        tile = tiles[finding.tile]
        pixels = tile.read(len(bands))
        x0, y0, x1, y1 = finding.box
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        left = int(np.clip(cx - CROP_PX / 2, 0, max(0, tile.width - CROP_PX)))
        top = int(np.clip(cy - CROP_PX / 2, 0, max(0, tile.height - CROP_PX)))
        crop = pixels[top : top + CROP_PX, left : left + CROP_PX]
        ax.imshow(
            crop[:, :, 0] if len(bands) < 3 else crop[:, :, view], cmap="gray", vmin=0, vmax=255
        )
        ax.add_patch(
            Rectangle((x0 - left - 0.5, y0 - top - 0.5), x1 - x0, y1 - y0, fill=False,
                      edgecolor=colour, linewidth=1.2)
        )  # fmt: skip
        name = tile.name if len(tile.name) <= 26 else "…" + tile.name[-25:]
        ax.set_title(f"{finding.class_name} {finding.score:.2f}\n{name}", fontsize=7)
    fig.suptitle(f"worst {kinds}", fontsize=10)
    fig.tight_layout()
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png"))  # no half PNG left
    plt.close(fig)
    return path
