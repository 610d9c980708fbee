"""An unexpected fault (a bug, or the machine out of memory) ends with the traceback and one
line that says what it was and what to do.

Bad input is one ``error:`` line (:class:`detector.errors.DredgeError`); anything else that
escaped a command ended with Python's traceback alone and exit code 1: a ``MemoryError`` while
``dredge run`` tracked a million detections, after an hour of detection, said neither that the
finished scenes are kept nor what to change, and exit code 1 is also what a run that completed
with some scenes failed returns, so a script took the crash for a finished run. Here the
traceback is still printed (it is what a bug report needs), followed by one line, and the exit
code is :data:`FAULT_EXIT` (3).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import typer

FAULT_EXIT = 3
"""Exit code of a command that stopped on an unexpected fault (1: some inputs failed, the
others completed; 2: bad input or a file that could not be written; 128 + N: signal N)."""

RESUME = "`dredge run` goes on from its finished scenes when run again"


def fault_line(exc: BaseException) -> str:
    """The line printed after the traceback of ``exc``."""
    if isinstance(exc, MemoryError):
        return (
            "error: out of memory — close other programs, or run again with fewer --workers "
            f"or a smaller --batch ({RESUME})"
        )
    text = str(exc).strip().splitlines()
    what = type(exc).__name__ + (f": {text[0]}" if text else "")
    return (
        f"error: dredge stopped on an unexpected fault ({what}) — this is a bug in dredge: "
        f"please report it with the traceback above and the command ({RESUME})"
    )


@contextmanager
def reporting_faults() -> Iterator[None]:
    """Print the traceback and :func:`fault_line` for an exception that escapes the block,
    then exit with :data:`FAULT_EXIT`. ``SystemExit`` (typer's exits, with their codes),
    ``KeyboardInterrupt`` and other ``BaseException`` pass through as they are."""
    try:
        yield
    except Exception as exc:  # the last resort: anything else is a fault
        traceback.print_exc()
        sys.stderr.flush()
        typer.secho(fault_line(exc), fg=typer.colors.RED, err=True)
        sys.exit(FAULT_EXIT)
