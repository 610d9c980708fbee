"""Waiting on a Dask scheduler for a worker: a scheduler gone meanwhile is one line."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from detector.cluster import wait_for_a_worker
from detector.errors import DredgeError


class _GoneScheduler:
    """A client whose scheduler went away: ``status`` as distributed sets it, ``scheduler``
    None once closed, and ``wait_for_workers`` failing as a closed client's does."""

    def __init__(self, status: str, error: Exception) -> None:
        self.status, self.error = status, error
        self._start_arg = "tcp://10.0.0.5:8786"
        self.scheduler = None if status == "closed" else SimpleNamespace(address=self._start_arg)

    def scheduler_info(self) -> dict[str, dict[str, object]]:
        return {"workers": {}}  # cached: a gone scheduler's last word

    def wait_for_workers(self, n_workers: int, timeout: float) -> None:
        self.status = "closed"
        raise self.error


def test_a_scheduler_gone_while_the_run_waits_for_a_worker_is_one_line() -> None:
    """A client closed on a scheduler that died was told "no worker has joined --scheduler
    yet; the run waits" and ended in an AttributeError traceback ('NoneType' object has no
    attribute 'identity'); one dying while waited on ended in distributed's RuntimeError
    ("ConnectionPool is closed"). Both are the line of a lost scheduler, naming its address."""
    for status, error in (
        ("closed", AttributeError("'NoneType' object has no attribute 'identity'")),
        ("running", RuntimeError("ConnectionPool is closed")),
    ):
        lines: list[str] = []
        with pytest.raises(DredgeError) as caught:
            wait_for_a_worker(_GoneScheduler(status, error), lines.append)
        assert str(caught.value).startswith(
            "tcp://10.0.0.5:8786: lost the connection to the Dask scheduler ("
        )
        assert all("--scheduler" not in line for line in lines)
