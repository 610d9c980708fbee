"""A command stopped by SIGTERM or SIGHUP ends as Ctrl-C does: its clean-up runs.

Python's default for SIGTERM (a cluster job at its time limit, a shutdown, ``kill``) and SIGHUP
(the terminal closed) ends the process on the spot: no ``finally`` ran, so ``dredge run`` left
its lock (``OUT/.dredge-run.lock``, which a run started again on another machine of a cluster
took for a working run and refused to go on), ``dredge train`` and ``dredge review`` their
``.OUT.partial`` folder, writes their temporary files, and the log ended without a word. Here
the signal is raised as :class:`Stopped` in the main thread, every clean-up on the way runs,
and the command ends with one line and exit code 128 + the signal's number (143 for SIGTERM),
as a killed process would. A second signal of the same kind ends the process at once. Ctrl-C
(SIGINT, a ``KeyboardInterrupt`` that typer ends with exit code 130) prints the same line
(:func:`saying_ctrl_c`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import typer

from detector.cli.rerun import command_given, run_again

CAUGHT = ("SIGTERM", "SIGHUP")


class Stopped(BaseException):
    """Raised in the main thread when the process is told to stop (a BaseException, as
    KeyboardInterrupt is: no ``except Exception`` records it as a scene's failure)."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


@contextmanager
def stopping_cleanly() -> Iterator[None]:
    """Raise :class:`Stopped` for SIGTERM and SIGHUP inside the block (where they would end the
    process at once; a signal that is ignored, as under ``nohup``, stays ignored), then print
    one line and exit with 128 + the signal's number."""
    owner = os.getpid()

    def on_signal(number: int, frame: FrameType | None) -> None:
        signal.signal(number, signal.SIG_DFL)  # a second one ends the process at once
        if os.getpid() != owner:  # a forked worker that inherited this: end as before
            os.kill(os.getpid(), number)
            return
        raise Stopped(number)

    caught = []
    if threading.current_thread() is threading.main_thread():
        for name in CAUGHT:
            number = getattr(signal, name, None)
            if number is not None and signal.getsignal(number) == signal.SIG_DFL:
                signal.signal(number, on_signal)
                caught.append(number)
    try:
        yield
    except Stopped as stop:
        say_stopped(signal.Signals(stop.number).name)
        sys.exit(128 + stop.number)
    finally:
        for number in caught:
            signal.signal(number, signal.SIG_DFL)


def say_stopped(by: str) -> None:
    """Print the one line of a command stopped by ``by`` (SIGTERM, Ctrl-C) to stderr, where
    stderr is still there: a pipe whose reader the same Ctrl-C stopped (``2>&1 | tee log``)
    takes no line, and the BrokenPipeError of writing it ended the command with exit code 1
    (what a command with some inputs failed returns) in place of 130. The line says what
    running the command again does (:mod:`detector.cli.rerun`)."""
    try:
        typer.secho(
            f"error: stopped by {by} — {run_again(command_given())}", fg=typer.colors.RED, err=True
        )
    except OSError:  # stderr closed or gone: the exit code says it
        pass


INTERRUPT_EXIT = 128 + 2  # SIGINT's number
"""Exit code of a command stopped by Ctrl-C."""


@contextmanager
def saying_ctrl_c() -> Iterator[None]:
    """Print :func:`say_stopped`'s line for Ctrl-C, as for SIGTERM, keeping exit code 130.
    Typer turns the ``KeyboardInterrupt`` into exit code 130 without a word: a command stopped
    by Ctrl-C said nothing of what to do, while one stopped by SIGTERM said to run it again.
    The clean-up on the way has run (the exit carries the interrupt as its context)."""
    try:
        yield
    except KeyboardInterrupt:  # one that escaped typer's own handling
        say_stopped("Ctrl-C")
        sys.exit(INTERRUPT_EXIT)
    except SystemExit as done:
        if done.code == INTERRUPT_EXIT and _interrupted(done):
            say_stopped("Ctrl-C")
        raise


def _interrupted(exc: BaseException) -> bool:
    """True when a KeyboardInterrupt is among the causes and contexts of ``exc``."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


PIPE_EXIT = 128 + 13  # SIGPIPE's number on Linux and macOS
"""Exit code of a command whose output pipe was closed by its reader (``| head``)."""


@contextmanager
def ending_on_closed_pipe() -> Iterator[None]:
    """Exit with :data:`PIPE_EXIT` where the reader of the output went away (``dredge counts
    TRACKS | head -1``), as a process killed by SIGPIPE does, without a word. Typer ends such a
    command with exit code 1, what a command with some inputs failed returns (``dredge run``
    stopped after head's lines, without a word); its exit, raised while it handled the
    ``BrokenPipeError``, carries that error as its context. The clean-up on the way has run."""
    try:
        yield
    except SystemExit as done:
        if done.code == 1 and isinstance(done.__context__, BrokenPipeError):
            sys.exit(PIPE_EXIT)
        raise
