"""The progress bar of ``dredge tiles``, ``detect``, ``run``, ``synth`` and ``train`` (its worlds
and dataset): on stderr, on a terminal only.

rich's ``Progress`` ends with an empty line on a console that is not interactive (a log file, a
pipe, a cluster job's output), even where ``transient`` leaves nothing of the bar itself: a
`dredge tiles` whose stderr was captured wrote one empty line there, in a log read for error
lines; the training code's bars, on stdout, put one before `dredge synth`'s summary. The bar
is drawn on a terminal that redraws its line alone (not ``TERM=dumb``, which rich takes for not
interactive: the bar was never drawn there, and the empty line was written); elsewhere it is
off, and writes nothing. Whether stderr is a terminal is asked of stderr itself: rich takes
``FORCE_COLOR`` or ``TTY_COMPATIBLE=1`` (set for colours in CI jobs and containers) for a
terminal, and the bar drew itself into the log file, about 1.9 kB of escape codes a second.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def progress_bar(enabled: bool) -> Progress:
    """A bar of each task's description, count and time on stderr, cleared when done; off
    unless ``enabled`` and stderr is an interactive terminal (not ``TERM=dumb``; a log file
    is none, ``FORCE_COLOR`` set or not)."""
    console = Console(stderr=True, force_terminal=_is_a_terminal(sys.stderr))
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not (enabled and console.is_interactive),
    )


def _is_a_terminal(stream: object) -> bool:
    """Whether ``stream`` is a terminal; False for one closed or without ``isatty``."""
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False
