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

from detector.cli.rerun import AGAIN, command_given, what_again

FAULT_EXIT = 3
"""Exit code of a command that stopped on an unexpected fault (1: some inputs failed, the
others completed; 2: bad input or a file that could not be written; 128 + N: signal N)."""

RESUME = f"{AGAIN['run']} when run again"


MEMORY_FIXES = {
    "run": f"fewer --workers or a smaller --batch ({RESUME})",
    "detect": "a smaller --batch, or fewer scenes at a time",
    # not batch=: train refuses it as key=value, and its batch is fixed
    "train": "a smaller batch= or --imgsz, or fewer --workers (a recipe's)",
}
"""What lowers the memory a command takes, by command (others: less input at a time)."""


def fault_line(exc: BaseException, command: str | None = None) -> str:
    """The line printed after the traceback of ``exc``, raised by ``dredge COMMAND``."""
    if isinstance(exc, MemoryError):
        fix = MEMORY_FIXES.get(command or "", "less input at a time")
        return f"error: out of memory — close other programs, or run again with {fix}"
    text = str(exc).strip().splitlines()
    what = type(exc).__name__ + (f": {text[0]}" if text else "")
    again = what_again(command)  # it said `dredge run`'s words for every command
    return (
        f"error: dredge stopped on an unexpected fault ({what}) — this is a bug in dredge: "
        "please report it with the traceback above and the command"
        + (f" ({again} when run again)" if again else "")
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
        typer.secho(fault_line(exc, command_given()), fg=typer.colors.RED, err=True)
        sys.exit(FAULT_EXIT)
