"""`dredge review` of detections put together from several runs: one scene name, several days.

`dredge detect` names a scene by its file name, so runs made one at a time on scenes of one
file name (a NICFI quad month by month, a STAC item's ``analytic.tif`` year by year) give
detections on one name of several days. Put together and reviewed on one of those scenes,
every day's boxes were cut from its image: boxes where nothing is, and tiles centred on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from detector.acquisition import mosaic_days
from detector.errors import DredgeError, InputError
from detector.scene import open_scene
from detector.wording import count_of


def of_its_day(
    detections: Path,
    frame: pd.DataFrame,
    paths: Mapping[str, str],
    bands: Sequence[str] | None,
    dates: Mapping[str, datetime],
) -> tuple[pd.DataFrame, str]:
    """``frame`` without the detections on a given scene's name that are of another day than
    the scene (detections without a date are kept: they tell no day), and a note counting
    them ('' when none). ``paths``: scene name → the scene given for it; ``dates``: the dates
    `dredge detect` was given (``--date``, ``--dates``). InputError where the detections on a
    name are of several days and the scene's own date is none of them (or not known)."""
    if "acquired" not in frame.columns:
        return frame, ""
    days = [
        None if pd.isna(when) else when.date()
        for when in pd.to_datetime(frame["acquired"], utc=True, errors="coerce")
    ]
    names = frame["scene"].astype(str).tolist()
    drop = [False] * len(frame)
    notes = []
    for name, path in sorted(paths.items()):
        seen = sorted({day for day, of in zip(days, names, strict=True) if of == name and day})
        if len(seen) < 2:
            continue
        try:
            with open_scene(path, bands=bands, name=name, date=dates.get(path)) as scene:
                own = scene.acquisition
        except DredgeError:
            continue  # cut from it, the export says what is wrong with it
        span = mosaic_days(path) if own.source == "nicfi-name" else None
        first = own.time.date() if own.time is not None else None

        def its(day: date, first: date | None = first, span: tuple | None = span) -> bool:
            return day == first or (span is not None and span[0] <= day <= span[1])

        if not any(its(day) for day in seen):
            when = "its date is not known"
            if first is not None:
                when = f"its date ({first:%Y-%m-%d}) is none of them"
            raise InputError(
                path,
                f"the detections on scene {name!r} in {detections.name} are of "
                f"{len(seen)} days ({seen[0]:%Y-%m-%d} … {seen[-1]:%Y-%m-%d}): of several "
                f"scenes of that file name (runs put together?), and {when}",
                "give its date with --date or --dates as `dredge detect` was given it, or "
                "review each run's detections on their own",
            )
        other = [
            i
            for i, (day, of) in enumerate(zip(days, names, strict=True))
            if of == name and day is not None and not its(day)
        ]
        for i in other:
            drop[i] = True
        if other:
            notes.append(f"{count_of(len(other), 'detection')} on {name!r} of another day")
    kept = frame[[not d for d in drop]]
    if not notes:
        return kept, ""
    return kept, f" ({', '.join(notes)}: another scene of that name, left out)"
