"""Several detection files (one ``dredge detect`` output per month, hand marks beside them)
read and prepared as one table for the tracker (:func:`gather_detections`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from detector.confluence import settle_confluences, settled_note
from detector.errors import InputError
from detector.merge import HULL_ACROSS_M
from detector.rivers import RiverNetwork
from detector.track_crs import WGS84
from detector.track_files import read_detections
from detector.track_prepare import prepare_detections
from detector.wording import agree, count_of


def gather_detections(
    paths: Sequence[str | Path],
    network: RiverNetwork | None,
    *,
    looks: list[pd.DataFrame] | None = None,
    sizes: list[int] | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read and prepare several detection files (one ``dredge detect`` output per month, hand
    marks beside them) as one table
    (:func:`detector.track_prepare.prepare_detections` each).

    ``sizes``, when given, gets the number of rows of each file, in the order given: the
    table holds each file's rows together, in that order (so that what one file says of its
    own rows, such as tracks merged by hand, is read of them alone).

    A scene whose detections are in two detector outputs is refused: its dredges would count
    twice (hand-marked files, without scores, may share scenes).
    Detection ids repeated across files (hand-marked files number their rows from 1) are
    prefixed with the file's name.
    """
    if not paths:
        raise InputError(Path("DETECTIONS"), "no file given", "give one or more detection files")
    given: dict[Path, Path] = {}
    for path in map(Path, paths):
        twice = given.get(path.resolve())
        if twice is not None:
            raise InputError(path, f"is given twice (also as {twice})", "give each file once")
        given[path.resolve()] = path
    frames: list[gpd.GeoDataFrame] = []
    notes: list[str] = []
    for path in given.values():
        frame, file_notes = prepare_detections(read_detections(path), path, network, looks=looks)
        frames.append(
            frame.rename_geometry("geometry") if frame.geometry.name != "geometry" else frame
        )
        notes += file_notes
    if sizes is not None:
        sizes.extend(len(frame) for frame in frames)
    if len(frames) == 1:
        return _settled(frames[0], network, next(iter(given.values())), notes)
    sources = list(given.values())
    _check_scenes_once(frames, sources)
    ids = [frame["detection_id"].astype(str) for frame in frames]
    for frame, own in zip(frames, ids, strict=True):  # one type: a detector's ids are text,
        frame["detection_id"] = own  # a hand table's numbers (Parquet refused the mix)
    if pd.concat(ids, ignore_index=True).duplicated().any():
        labels = file_labels(sources)
        for frame, label, own in zip(frames, labels, ids, strict=True):
            frame["detection_id"] = f"{label}:" + own
        example = next(str(f["detection_id"].iloc[0]) for f in frames if len(f))
        notes.append(
            f"detection ids repeat across the {len(sources)} files: each is prefixed with its "
            f"file's name (e.g. {example})"
        )
    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=WGS84)
    merged = _one_type_per_column(merged)
    again = marked_twice(frames)
    if again:
        notes.append(
            f"{count_of(again, 'detection')} {agree(again, 'lies', 'lie')} within "
            f"{HULL_ACROSS_M:g} m of one in an earlier file on the same river and day (one dredge "
            "in two files: marked by two people, or by hand where the detector found it?): each "
            "counts as a dredge — give each dredge once"
        )
    return _settled(merged, network, f"{len(sources)} detection files", notes)


def file_labels(sources: Sequence[Path]) -> list[str]:
    """A name per file that tells the files apart: its stem, after as many of its folders as
    it takes where stems repeat (``enero/marcas``, ``febrero/marcas``). Prefixed with the stem
    alone, the ids of one month's ``marcas.csv`` and the next's stayed the same
    (``marcas:1`` twice). Where two files of one folder share a stem (``enero/marcas.csv``,
    ``enero/marcas.txt``), the file's whole name is its last part: the names alone left
    ``marcas.csv`` twice beside a ``febrero/marcas.csv``."""
    paths = [Path(source).resolve() for source in sources]
    for whole in (False, True):
        for depth in range(max(len(path.parts) for path in paths)):
            labels = [
                "/".join(
                    [
                        *path.parent.parts[len(path.parent.parts) - depth :],
                        path.name if whole else path.stem,
                    ]
                )
                for path in paths
            ]
            if len(set(labels)) == len(labels):
                return labels
    return [str(path) for path in paths]  # not reached: gather_detections takes each once


def _settled(
    frame: gpd.GeoDataFrame, network: RiverNetwork | None, source: object, notes: list[str]
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The detections with each confluence spot's on one river
    (:func:`detector.confluence.settle_confluences`), and the notes with a line when some
    changed river."""
    if network is None:
        return frame, notes
    frame, changed = settle_confluences(frame, network)
    return frame, notes + ([settled_note(changed, source)] if changed else [])


def _one_type_per_column(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns that files hold as different types (a 'nota' of numbers in one, of text in
    another) as text, so that the linked detections can be written (Parquet refuses a mix)."""
    for column in frame.columns:
        if column == frame.geometry.name or frame[column].dtype != object:
            continue
        present = frame[column].dropna()
        if len({type(value) for value in present}) > 1:
            frame[column] = frame[column].map(lambda v: v if v is None or v != v else str(v))
    return frame


def marked_twice(frames: Sequence[pd.DataFrame]) -> int:
    """How many on-river marks lie closer to a mark of an earlier file (same river and UTC
    day) than two hulls side by side can (:data:`detector.merge.HULL_ACROSS_M`)."""
    parts = [
        pd.DataFrame(
            {
                "file": k,
                "river": f["river"].astype(str),
                "day": pd.to_datetime(f["acquired"], utc=True).dt.floor("D"),
                "s": f["chainage_m"],
                "o": f["offset_m"],
            }
        )[f["river"].notna().to_numpy()]
        for k, f in enumerate(frames)
        if "chainage_m" in f.columns
    ]
    if len(parts) < 2:
        return 0
    table = pd.concat(parts, ignore_index=True)
    near = 0
    for _, group in table.groupby(["river", "day"], sort=False):
        if group["file"].nunique() < 2:
            continue
        s, o, file = (group[c].to_numpy() for c in ("s", "o", "file"))
        gap = np.hypot(s[:, None] - s[None, :], o[:, None] - o[None, :])
        earlier = file[:, None] > file[None, :]
        near += int(((gap < HULL_ACROSS_M) & earlier).any(axis=1).sum())
    return near


def _check_scenes_once(frames: Sequence[pd.DataFrame], sources: Sequence[Path]) -> None:
    """InputError when a detector's output (with scores) holds a scene another one holds.
    Hand marks (no scores) may share scenes: two people marking two rivers of one scene."""
    first: dict[str, Path] = {}
    for frame, source in zip(frames, sources, strict=True):
        scored = "score" in frame.columns and bool(frame["score"].notna().any())
        if "scene" not in frame.columns or not scored:
            continue
        for scene in frame["scene"].dropna().astype(str).unique():
            if scene in first:
                raise InputError(
                    source,
                    f"holds detections of scene {scene}, and so does {first[scene]}",
                    "give each scene's detections once (a scene detected twice, e.g. again "
                    "with another model, would count its dredges twice)",
                )
            first[scene] = source
