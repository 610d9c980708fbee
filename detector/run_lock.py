"""The lock of a working folder: one ``dredge run`` at a time in its ``--out`` (and one
``dredge train`` in its partial folder, :mod:`training.finetune`; one install of a model in
the weights folder, :func:`training.train.install`).

``.dredge-run.lock`` names the process that works in the folder (its number, machine, start,
command, and its boot and start tick where ``/proc`` tells them). A second run into the same
folder is refused with one line; a lock left by a run that was killed (its process gone, on
this machine, or its number now another process's that began after the lock was taken) is
taken over. The rest of a run folder's state is :mod:`detector.run_state`.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from detector.errors import DredgeError
from detector.json_text import json_text
from detector.writing import process_alive, started_after

LOCK_NAME = ".dredge-run.lock"
INSTALL_COMMAND = "dredge train --install"  # the lock's command while a model is installed
LOCK_WRITE_S = 10.0  # an unreadable lock younger than this is being written, not left behind


@contextmanager
def run_lock(out: Path, command: str = "") -> Iterator[None]:
    """Hold ``OUT/.dredge-run.lock`` while a run works in ``out``: a second run into the same
    folder (the command typed again in another terminal) is refused with one line instead of
    redoing the same scenes and sweeping the first run's files mid-write. A lock left by a run
    that was killed (its process is gone, on this machine) is taken over."""
    path = out / LOCK_NAME
    mine = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "process": process_identity(os.getpid()),
    }
    for _ in range(2):
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _lock_holder(path)
            if holder is None and _age_s(path) < LOCK_WRITE_S:  # being written this moment
                holder = {"pid": "?", "host": "?", "started": "just now"}
            if holder is not None and not _lock_is_stale(holder):
                raise DredgeError(
                    f"{out}: {_holder_work(holder)} is working in this folder (process "
                    f"{holder.get('pid')} on {holder.get('host')}, since {holder.get('started')}) "
                    f"— wait for it to finish, or if it is no longer running, delete {path}"
                ) from None
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(json_text(mine))
        break
    else:  # pragma: no cover - another run took the stale lock between our two tries
        raise DredgeError(f"{out}: another dredge run started in this folder just now")
    try:
        yield
    finally:
        if (_lock_holder(path) or {}).get("pid") == mine["pid"]:
            with suppress(OSError):  # a folder made read-only: the run's own error tells it
                path.unlink(missing_ok=True)


def _holder_work(holder: dict[str, Any]) -> str:
    """What holds the lock, in words: an install of a model (the weights folder's lock,
    :func:`training.train.install`) or another dredge run."""
    if holder.get("command") == INSTALL_COMMAND:
        return f"another install of a model ({INSTALL_COMMAND})"
    return "another dredge run"


def _age_s(path: Path) -> float:
    try:
        return datetime.now(UTC).timestamp() - path.stat().st_mtime
    except OSError:
        return float("inf")


def _lock_holder(path: Path) -> dict[str, Any] | None:
    """The lock's contents; None when it cannot be read (half written: a killed run)."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def _lock_is_stale(holder: dict[str, Any]) -> bool:
    """True when the run holding the lock ran on this machine and its process is gone: no
    process has its number, or the one that has it (this one too) started after the lock was
    taken. A run killed in a container (process 1, or the same number each start) and started
    again got its own number back, and was refused as "another dredge run is working in this
    folder (process 1 …)" each time; the same where a restart gave the number to another."""
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False  # another machine (a shared drive): cannot tell, so it holds
    if not process_alive(pid):
        return True
    recorded, now = holder.get("process"), process_identity(pid)
    if isinstance(recorded, str) and now is not None:
        return recorded != now  # the same boot and start tick: the run that took it
    return _started_after(pid, holder.get("started"))


def process_identity(pid: int) -> str | None:
    """The boot and the clock tick process ``pid`` started at (Linux: ``/proc``), which no
    other process of this machine shares and no change of the wall clock moves; None where
    they cannot be read. Compared with wall-clock times, a clock stepped forward (NTP on a
    fresh machine, a laptop woken from sleep) made a working run's lock look stale."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        start = stat.rsplit(")", 1)[1].split()[19]  # field 22, after the command's name
    except (OSError, IndexError):
        return None
    return f"{boot}:{start}"


def _started_after(pid: int, started: object) -> bool:
    """True when process ``pid`` started over a second after ``started`` (the lock's ISO time,
    to the second); False when either cannot be read."""
    try:
        taken = datetime.fromisoformat(str(started)).timestamp()
    except ValueError:
        return False
    return started_after(pid, taken)
