"""A finished scene's date against the one a resumed run gives it now.

:meth:`detector.run_state.RunState.forget_redated` forgets the finished scenes whose detections
carry another time than ``--dates`` or a STAC item now gives them (or their own time, where a
row was dropped), so that they are detected again; :func:`redated_warnings` says so. The
manifest's ``date`` cell (:func:`detector.run_manifest.carried_date`) is what is compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from detector.acquisition import own_time_read, to_utc, unreadable
from detector.wording import agree, count_of


def redated_warnings(redated: Sequence[str], dates: Mapping[str, datetime]) -> list[str]:
    """The warnings for the finished scenes
    :meth:`detector.run_state.RunState.forget_redated` forgot: those given another date, and
    those given none now, dated by themselves (a scene whose --dates row was dropped was said
    to be 'given another date (by a --dates row …)'), or whose file cannot be read now (said
    to be dated otherwise)."""
    given = [path for path in redated if path in dates]
    own = [path for path in redated if path not in dates]
    # a file that cannot be read now has no own date to tell (it was said to be another)
    unread = {path: why for path in own if (why := unreadable(path)) is not None}
    own = [path for path in own if path not in unread]
    warnings = []
    if unread:
        first, why = next(iter(unread.items()))
        warnings.append(
            f"warning: {count_of(len(unread), 'finished scene')} cannot be read now (e.g. {first}: "
            f"{why}), so {agree(len(unread), 'its', 'their')} date cannot be checked against the "
            "changed --dates table; detected again"
        )
    if given:
        warnings.append(
            f"warning: {count_of(len(given), 'finished scene')} {agree(len(given), 'is', 'are')} "
            "given another date (by a --dates row or a STAC item's datetime) than "
            f"{agree(len(given), 'its', 'their')} detections carry (e.g. {given[0]}); "
            "detected again"
        )
    if own:
        its = agree(len(own), "its", "their")
        warnings.append(
            f"warning: {count_of(len(own), 'finished scene')} {agree(len(own), 'is', 'are')} no "
            f"longer dated by a --dates row ({its} row dropped, or the table left out), and {its} "
            f"own date (metadata, name or tags) is not the one {its} detections carry (e.g. "
            f"{own[0]}); detected again"
        )
    return warnings


def dated_otherwise(path: str, row: Mapping[str, Any]) -> bool:
    """True when the date a finished scene's detections carry is not its own time (its
    sidecar's, its name's, else its tags': a scene dated by its TIFFTAG_DATETIME alone was
    detected again whenever a row for another scene was added to the --dates table)."""
    recorded = str(row.get("date") or "")
    own = own_time_read(path) if recorded else None
    if not recorded or own is None:
        return bool(recorded)
    carried = recorded_time(recorded)
    return carried is None or abs((carried - to_utc(own)).total_seconds()) >= 1


def recorded_time(text: str) -> datetime | None:
    """A manifest's date cell in UTC (no zone: UTC); None out of shape (it was a ValueError)."""
    try:
        return to_utc(text)
    except ValueError:
        return None


def has_detections(row: Mapping[str, Any]) -> bool:
    """True when a manifest row counts any detection (or does not say)."""
    try:
        return int(row.get("detections") or 0) > 0
    except (TypeError, ValueError):
        return True
