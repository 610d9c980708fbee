"""What a resumed ``dredge run`` finds to warn of, and the lines that say it.

Split from :mod:`detector.run_state` (whose names these are imported from too):
:func:`changed_warnings` words the scenes :meth:`detector.run_state.RunState.forget_changed`
found changed since they were detected, and :class:`SceneFindings` holds what scenes were found
to warn of (much coarser than the model, a river line off the channel) until each is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import geopandas as gpd

from detector.wording import agree, count_of

if TYPE_CHECKING:
    from detector.cluster import SceneFlags
    from detector.run_state import RunState


def changed_warnings(changed: Sequence[tuple[str, str]], unrecorded: int) -> list[str]:
    """The lines for :meth:`detector.run_state.RunState.forget_changed`: one warning per scene
    detected again, and one note where finished scenes of an earlier version's manifest had no
    fingerprint."""
    lines = [
        f"warning: {path}: changed since it was detected ({how}) — detected again"
        for path, how in changed
    ]
    if unrecorded:
        lines.append(
            f"{count_of(unrecorded, 'finished scene')} of a manifest written by an earlier "
            f"version {agree(unrecorded, 'has', 'have')} no fingerprint of "
            f"{agree(unrecorded, 'its', 'their')} file: taken as detected from the "
            f"{agree(unrecorded, 'file', 'files')} there now, and fingerprinted from now on "
            "(a file replaced under the same path since is detected again; --overwrite "
            "detects every scene again)"
        )
    return lines


class SceneFindings:
    """What scenes were found to warn of (much coarser than the model, a river line off the
    channel), held until each scene is recorded with it
    (:meth:`detector.run_state.RunState.record`), so that a resumed or recounted run warns of
    its earlier scenes too (they were left out of its notes, run.json and report)."""

    def __init__(self, state: RunState) -> None:
        self.state = state
        self.coarse_gsd: dict[str, float] = {}
        self.off: dict[str, list[tuple[str, float, int]]] = {}

    def coarse(self, name: str, gsd_m: float) -> None:
        self.coarse_gsd[name] = gsd_m

    def off_channel(self, name: str, river: str, share: float, points: int) -> None:
        self.off.setdefault(name, []).append((river, share, points))

    def add(self, flags: SceneFlags) -> None:
        """A Dask worker's findings of one scene (:func:`detector.cluster.detect_one`)."""
        for name, gsd_m in flags.coarse:
            self.coarse(name, gsd_m)
        for found in flags.off_channel:
            self.off_channel(*found)

    def record(self, path: str, frame: gpd.GeoDataFrame | None, error: str | None) -> None:
        """:meth:`detector.run_state.RunState.record` with what was found in the scene."""
        name = self.state.scene_name(path)
        self.state.record(
            path,
            frame,
            error,
            coarse_gsd_m=self.coarse_gsd.pop(name, None),
            off_channel=self.off.pop(name, []),
        )
