"""The ``dredge`` command line.

Each stage lives in its own module and can be run alone; this package only wires the
commands, one module per group of them (:mod:`detector.cli.world`, ``detection``,
``counting``, ``pipeline``, ``training``; shared options in :mod:`detector.cli.common`).
Heavy imports (torch, ultralytics, rasterio) happen inside the commands, so ``dredge --help``
stays fast.
"""

from __future__ import annotations

# Importing a command module registers its commands; the order is the order of `dredge --help`.
from detector.cli import world, detection, counting, pipeline, training  # noqa: F401  # isort: skip
from detector.cli.common import (
    COUNT_SCORE,
    MAX_LAND,
    MAX_STATIC_DAYS,
    app,
    expand_home,
    reflow_help,
)
from detector.cli.faults import reporting_faults
from detector.cli.signals import ending_on_closed_pipe, saying_ctrl_c, stopping_cleanly

__all__ = ["COUNT_SCORE", "MAX_LAND", "MAX_STATIC_DAYS", "app", "main"]

reflow_help(app)
expand_home(app)


def main() -> None:
    """Entry point of the ``dredge`` script (and of ``python -m detector.cli``)."""
    with stopping_cleanly(), saying_ctrl_c(), reporting_faults(), ending_on_closed_pipe():
        app()
