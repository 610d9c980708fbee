"""What running a stopped or crashed command again does, by command.

A command stopped by Ctrl-C or SIGTERM (:mod:`detector.cli.signals`), or on an unexpected fault
(:mod:`detector.cli.faults`), ends with one line that says what to do. It said "run the same
command again (`dredge run` goes on from its finished scenes)" for every command: `dredge train`
starts over from its first epoch, `dredge synth` draws its half-made world anew, and `dredge tiles`
refuses the index it had begun without --overwrite. Each command's line says what it does.
"""

from __future__ import annotations

import sys

AGAIN = {
    "run": "`dredge run` goes on from its finished scenes",
    "demo": "`dredge demo` draws a half-made world anew and its run goes on from its finished "
    "scenes",
    "synth": "`dredge synth` draws a half-made world anew",
    "train": "`dredge train` starts over from the first epoch",
    "tiles": "`dredge tiles` with --overwrite cuts every scene anew, its labels kept",
    "detect": "`dredge detect` reads every scene anew",
}
"""What the same command does when run again, where it is more than starting over."""

COMMANDS = ("track", "counts", "evaluate", "review")
"""The other commands: run again, each starts over (its outputs are written whole or not at
all)."""


def command_given() -> str | None:
    """The command of this process's ``dredge COMMAND …`` (its first word not an option)."""
    return next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)


def what_again(command: str | None) -> str | None:
    """What ``dredge COMMAND`` does when run again; None for no known command."""
    if command in AGAIN:
        return AGAIN[command]
    if command in COMMANDS:
        return f"`dredge {command}` starts over"
    return None


def run_again(command: str | None) -> str:
    """'run the same command again (what it does then)', for the line of a stopped command."""
    again = what_again(command)
    return "run the same command again" + (f" ({again})" if again else "")
