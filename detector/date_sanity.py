"""Dates that cannot be a scene's: after today (a typo of the year, 2204 for 2024).

Read as written, such a date put its scene's or its marks' dredges in a year of their own
without a word; each is one line (:class:`detector.errors.InputError`) naming where it came
from. Scenes: :func:`not_ahead` (:func:`detector.acquisition.resolve_acquisition`); tables of
dates: :func:`rows_not_ahead` (:func:`detector.user_tables.normalise_dates`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from detector.errors import InputError

AHEAD_SLACK = timedelta(days=1)  # a scene of today east of UTC, a clock a little fast
SOURCE_WORDS = {  # detector.acquisition.Acquisition.source → where the date was read
    "explicit": "the date given",
    "tiff-tag": "its TIFFTAG_DATETIME",
    "imagery-tag": "its ACQUISITIONDATETIME tag",
    "metadata.json": "its metadata.json",
    "metadata.xml": "its metadata XML",
    "metadata.imd": "its IMD",
}


def not_ahead(path: str | Path, when: datetime | None, source: str) -> None:
    """InputError when ``when`` (read from ``source``, an ``Acquisition.source``) dates the
    scene at ``path`` after today."""
    if when is None or when <= datetime.now(UTC) + AHEAD_SLACK:
        return
    raise InputError(
        path,
        f"{SOURCE_WORDS.get(source, 'its file name')} dates it {when:%Y-%m-%d}, after today",
        "a typo? give its date with --dates, a CSV of scene,date (2024-07-15)",
    )


def rows_not_ahead(parsed: pd.Series, text: pd.Series, source: str | Path) -> None:
    """InputError when dates of a table (``parsed``, as typed in ``text``) lie after today."""
    ahead = parsed > pd.Timestamp.now(tz="UTC") + pd.Timedelta(AHEAD_SLACK)
    if ahead.any():
        raise InputError(
            source,
            f"{int(ahead.sum())} dates are after today, e.g. {text[ahead].iloc[0]!r} "
            f"({parsed[ahead].iloc[0]:%Y-%m-%d})",
            "a typo? write the date of each row's scene, e.g. 2024-07-15",
        )
