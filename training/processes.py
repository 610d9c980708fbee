"""Work spread over processes: scenes of a synthetic world, training worlds, chips.

:func:`in_processes` runs a function over jobs in a process pool (or here, for one worker) and
returns the results in job order; :func:`pool_context` chooses how its workers start.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from detector.errors import DredgeError

T = TypeVar("T")
THREADED_LIBRARIES = ("torch", "onnxruntime", "ultralytics")  # loaded: workers are spawned


class WorkerDied(DredgeError):
    """A worker process of :func:`in_processes` died before it finished."""


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, as a container's cpuset limits it),
    else the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def pool_context() -> multiprocessing.context.BaseContext:
    """The platform's default start method (fork on Linux: fast, and a script that draws a
    world needs no ``if __name__ == "__main__"`` guard), unless a library that runs its own
    threads is loaded. A fork copies the parent's locks, and when one of those threads held
    one at that moment the worker waits for it forever: that hung the test suite, which
    draws worlds after loading models. Spawned workers start clean."""
    threaded = any(name in sys.modules for name in THREADED_LIBRARIES)
    return multiprocessing.get_context("spawn") if threaded else multiprocessing.get_context()


def in_processes(
    work: Callable[..., T],
    jobs: Sequence[tuple[Any, ...]],
    workers: int,
    *,
    done: Callable[[], object] = lambda: None,
    what: str = "",
) -> list[T]:
    """``work(*job)`` for every job, in up to ``workers`` processes (no more than cores or jobs;
    1: here); results in job order.

    ``done`` is called as each job finishes (a progress bar's advance). A job's error (the first
    to come, with several workers) or Ctrl-C is raised at once: the jobs running then are
    stopped, and those not started are not run. A worker that dies (a
    spawned one re-runs a calling script that has no main guard; or memory ran out) is one
    :class:`WorkerDied` line, starting with ``what``, that says so.
    """
    workers = min(workers, len(jobs), usable_cores())  # the work is CPU-bound
    if workers <= 1:
        results = []
        for job in jobs:
            results.append(work(*job))
            done()
        return results
    try:
        with ProcessPoolExecutor(workers, mp_context=pool_context()) as pool:
            futures = [pool.submit(work, *job) for job in jobs]
            try:
                for future in as_completed(futures):
                    future.result()  # a job's error at once, as with one worker
                    done()
            except BaseException:
                # a job's error or Ctrl-C waited for every job left (training worlds drawn for
                # minutes each): the workers are stopped, and the jobs not started dropped
                if not _stop_workers(pool):  # (shutdown(cancel_futures=True) then the pool's
                    for future in futures:  # exit, shutdown(), undid it, unless the pool had
                        future.cancel()  # seen it)
                raise
            return [future.result() for future in futures]
    except BrokenProcessPool as error:
        raise WorkerDied(
            f"{what}: a worker process died before it finished. Workers are spawned once "
            "torch or onnxruntime is loaded, and a spawned worker re-runs the calling script: "
            'put the call under `if __name__ == "__main__":`, or pass workers=1 (a worker also '
            "dies when memory runs out)"
        ) from error


def _stop_workers(pool: ProcessPoolExecutor) -> bool:
    """End the workers of ``pool`` now, in the middle of their jobs, whose results are no
    longer wanted; False where it cannot. The pool's exit waited for the jobs running, and a
    job's error reached the user only once the other workers had finished theirs (8 s later
    for a job of 8 s; minutes for a training world), the workers running the while. The pool,
    broken then, fails the jobs not started (their futures must not be cancelled first:
    Python 3.11's pool then failed in a thread of its own, printing a traceback)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return True
    workers = getattr(pool, "_processes", None)
    if not workers:
        return False
    for process in list(workers.values()):
        if process.is_alive():
            process.terminate()
    return True
