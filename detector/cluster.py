"""Scenes as tasks on a Dask cluster: the same detection code, one scene per task.

``dredge run … --scheduler local --workers 4`` starts a local cluster of 4 worker processes;
``--scheduler tcp://HOST:8786`` uses a running one (``dask scheduler`` on one machine,
``dask worker tcp://HOST:8786 --nthreads 1`` on each of the others), and ``--scheduler
sched.json`` the one whose scheduler file that is (``dask scheduler --scheduler-file
sched.json``, dask-mpi, dask-jobqueue: :func:`scheduler_address`). Each worker loads the
model and the rivers once and keeps them (until ``dredge run`` reads another file under
that path: each task carries the digests of what the client read, and a worker whose file
is another says so); each task detects one scene with
:func:`detector.detect.detect_scenes` and returns its table (or its one-line error) to the
machine that runs ``dredge run``, which saves it as the local run does
(:mod:`detector.run_state`). Workers therefore need: this package installed (same version),
the model file at the same path (or the bundled model), the scenes at the same paths or URLs,
and the rivers file at the same path. Outputs are written only by ``dredge run`` itself.
A scheduler with no worker yet is waited on (workers may join later): the run says so, and
after :data:`WORKER_HINT_S` without one, how to start one (:func:`wait_for_a_worker`).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import signal
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd

from detector.acquisition import is_remote
from detector.card import ModelCard, local_path
from detector.detect import SceneCallback, detect_scenes
from detector.errors import DredgeError, first_line
from detector.river_inputs import rivers_digest
from detector.scene_lines import SceneLines
from detector.wording import agree, count_of


@dataclass(frozen=True)
class SceneTask:
    """What a worker needs to detect one scene (small and picklable)."""

    model: str | None  # weights path, None for the bundled model
    backend: str
    device: str
    flips: bool
    max_land: float | None
    rivers: str
    name_field: str
    corridor_m: float
    conf: float
    batch: int
    scene_bands: tuple[str, ...] | None
    model_digest: str | None = None
    """The card of the model ``dredge run`` loaded (:meth:`~detector.card.ModelCard.digest`):
    a worker kept between runs loads the model again when it changed (it kept the first one
    it loaded under that path), and refuses a model of its own that is another."""
    rivers_sha256: str | None = None
    """Of the rivers file ``dredge run`` read (:func:`detector.river_inputs.rivers_digest`), for
    the same reasons."""


WORKER_CACHE = 4  # models and river networks a worker keeps loaded


def _worker_model(task: SceneTask) -> Any:
    detector = _load_model(task.model, task.backend, task.device, task.flips, task.model_digest)
    card = getattr(detector, "card", None)
    found = card.digest() if isinstance(card, ModelCard) else None
    if task.model_digest and found != task.model_digest:
        raise DredgeError(
            f"{task.model or 'the bundled model'}: the worker on {socket.gethostname()} reads "
            f"another model there ({card.name if card else '?'}, weights sha256 "
            f"{card.sha256[:12] if card else '?'}…) than dredge run loaded — give the workers "
            "the same model file and card (a shared disk), and the same dredge version"
        )
    return detector


@lru_cache(maxsize=WORKER_CACHE)
def _load_model(
    model: str | None, backend: str, device: str, flips: bool, digest: str | None
) -> Any:
    from detector.model import load_model

    return load_model(model, backend=backend, device=device, flips=flips)


@lru_cache(maxsize=WORKER_CACHE)
def _worker_rivers(path: str, name_field: str, corridor_m: float, sha256: str | None) -> Any:
    from detector.rivers import RiverNetwork

    if sha256 and rivers_digest(Path(path)) != sha256:
        raise DredgeError(
            f"{path}: the worker on {socket.gethostname()} reads another rivers file there than "
            "dredge run read — give the workers the same file (a shared disk)"
        )
    return RiverNetwork.read(path, name_field=name_field, corridor_m=corridor_m)


Coarse = list[tuple[str, float]]
"""Scenes much coarser than the model reads: (name, pixel size in metres)."""
OffChannel = list[tuple[str, str, float, int]]
"""River lines off the channel in a scene: (scene, river, share of points on land, points)."""


@dataclass
class SceneFlags:
    """What workers found about their scenes that the client warns of once, at the end
    (workers print nothing): scenes much coarser than the model, river lines off the channel."""

    coarse: Coarse = field(default_factory=list)
    off_channel: OffChannel = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)
    """The scene's summary line, as a run in one process prints it (how float or radiance
    values were read, where its date came from, a river line off the channel)."""

    def __iadd__(self, other: SceneFlags) -> SceneFlags:
        self.coarse += other.coarse
        self.off_channel += other.off_channel
        self.summaries += other.summaries
        return self


def detect_one(
    task: SceneTask, path: str, when: datetime | None, name: str | None = None
) -> tuple[str, gpd.GeoDataFrame | None, str | None, SceneFlags]:
    """Run on a worker: detect one scene; return (path, detections, None, flags) or
    (path, None, error, flags); ``flags`` holds the scene if it is much coarser than the
    model reads, and the rivers whose line lies off the channel in it (the client warns once
    for all of them)."""
    flags = SceneFlags()
    try:
        detector = _worker_model(task)
        network = _worker_rivers(task.rivers, task.name_field, task.corridor_m, task.rivers_sha256)
    except DredgeError as exc:
        return path, None, f"worker could not load the model or rivers: {exc}", flags
    frame, failures = detect_scenes(
        [path],
        network,
        model=detector,
        conf=task.conf,
        batch=task.batch,
        max_land=task.max_land,
        bands=task.scene_bands,
        date=when,
        names={path: name} if name else None,
        progress=False,
        echo=flags.summaries.append,
        warn=lambda _: None,
        on_coarse=lambda scene, gsd: flags.coarse.append((scene, gsd)),
        on_off_channel=lambda *found: flags.off_channel.append(found),
    )
    if failures:
        return path, None, failures[0][1], flags
    return path, frame, None, flags


def worker_path(path: str) -> str:
    """``path`` as a worker must be given it: a local path made absolute from the folder
    ``dredge run`` works in (a worker started elsewhere read ``scenes/a.tif`` or
    ``rivers.gpkg`` from its own folder: file not found, or another run's file); a URL as it
    is; a ``file:`` URL as the path it names (``file:///a/m.pt`` was ``/cwd/file:/a/m.pt``)."""
    return path if is_remote(path) else os.path.abspath(local_path(path))


SCHEMES = ("tcp://", "tls://", "ws://", "wss://", "inproc://")


def scheduler_address(scheduler: str) -> str:
    """The address ``scheduler`` names: ``local`` and an address as they are; the path of an
    existing scheduler file, the ``"address"`` it holds (JSON, as ``dask scheduler
    --scheduler-file FILE``, dask-mpi and dask-jobqueue write it, and as distributed's
    ``Client(scheduler_file=…)`` reads it; ``--scheduler sched.json`` was refused with "give
    'local' or an address"). DredgeError, in one line naming the file, for a file that is
    missing, not JSON or without an address."""
    if scheduler == "local" or scheduler.startswith(SCHEMES):
        return scheduler
    path = Path(scheduler).expanduser()
    if path.is_dir():  # it said "no such scheduler file" of a folder that is there
        raise DredgeError(
            f"--scheduler {scheduler}: is a folder, not a scheduler file — give the file in it "
            "that `dask scheduler --scheduler-file FILE` writes (FILE, such as sched.json), "
            "'local' or an address such as tcp://HOST:8786"
        )
    if not path.is_file():
        if path.suffix.lower() == ".json" or "/" in scheduler or os.sep in scheduler:
            raise DredgeError(
                f"--scheduler {scheduler}: no such scheduler file — give the file that "
                "`dask scheduler --scheduler-file FILE` writes (once the scheduler has started), "
                "'local' or an address such as tcp://HOST:8786"
            )
        raise DredgeError(
            f"--scheduler {scheduler!r}: give 'local' or an address such as tcp://HOST:8786, "
            "or a scheduler file (`dask scheduler --scheduler-file FILE` writes one)"
        )
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DredgeError(
            f"--scheduler {scheduler}: not a Dask scheduler file ({first_line(exc)}) — give "
            "the JSON file that `dask scheduler --scheduler-file FILE` writes, or the "
            "scheduler's address (tcp://HOST:8786)"
        ) from None
    address = found.get("address") if isinstance(found, dict) else None
    if not isinstance(address, str) or not address:
        raise DredgeError(
            f'--scheduler {scheduler}: not a Dask scheduler file (no "address" in it) — give '
            "the JSON file that `dask scheduler --scheduler-file FILE` writes, or the "
            "scheduler's address (tcp://HOST:8786)"
        )
    return address


def scheduler_label(scheduler: str, address: str | None = None) -> str:
    """``scheduler`` as messages name it: the address, or ``FILE (its address)``; ``address``,
    where the caller has read it already (:func:`scheduler_address`), is not read again."""
    address = scheduler_address(scheduler) if address is None else address
    return scheduler if address == scheduler else f"{scheduler} ({address})"


def check_scheduler(scheduler: str | None) -> None:
    """DredgeError unless ``scheduler`` is None, ``local``, a scheduler address with its port
    or a scheduler file holding one (:func:`scheduler_address`) (``tcp://HOST`` was
    distributed's "missing port number in address 'HOST'", and ``tcp://HOST:8786/`` its
    "invalid literal for int() with base 10: '8786/'"; a port past 65535 was 20 s of "Timed out
    trying to connect"; an IPv6 address without its brackets, ``tcp://::1:8786``,
    distributed's ValueError traceback)."""
    if scheduler is None:
        return
    address = scheduler_address(scheduler)
    if address == "local" or address.startswith("inproc://"):
        return
    label = f"--scheduler {scheduler_label(scheduler, address)}"
    if not address.startswith(SCHEMES):  # a scheduler file's address
        raise DredgeError(f"{label}: give 'local' or an address such as tcp://HOST:8786")
    if not re.fullmatch(r"[a-z]+://[^/]*:\d{1,5}/?", address):
        raise DredgeError(
            f"{label}: give the scheduler's address with its port, as "
            "`dask scheduler` prints it (tcp://HOST:8786)"
        )
    scheme, written = address.rstrip("/").split("://", 1)
    host, _, text = written.rpartition(":")
    if ":" in host and not host.startswith("["):  # distributed's ValueError traceback
        raise DredgeError(f"{label}: {_unbracketed(scheme, host, written)}")
    port = int(text)
    if not 0 < port <= MAX_PORT:  # it waited 20 s, then said "Timed out trying to connect"
        raise DredgeError(
            f"{label}: port {port} is not a port (1 to {MAX_PORT}) — give the "
            "address as `dask scheduler` prints it (tcp://HOST:8786)"
        )


def _unbracketed(scheme: str, host: str, address: str) -> str:
    """What to say of an IPv6 ``address`` written without brackets: ``::1:8786`` is ``::1``
    and its port; ``fe80::1`` (no port: its last group was read as one) is the address whole,
    to give with its port (it was told to give ``tcp://[fe80:]:1``, no address at all); else
    neither (``a:b:80``)."""
    if _is_ipv6(host):
        return (
            "an IPv6 address goes in brackets before its port — give it as `dask scheduler` "
            f"prints it ({scheme}://[{host}]:{address.rpartition(':')[2]})"
        )
    if _is_ipv6(address):
        return (
            "an IPv6 address goes in brackets, followed by the scheduler's port (8786 unless "
            f"it was started with another) — give it as `dask scheduler` prints it "
            f"({scheme}://[{address}]:8786)"
        )
    return (
        f"{host} is neither a host name nor an IPv6 address — give the address as `dask "
        f"scheduler` prints it ({scheme}://HOST:8786, an IPv6 one in brackets: "
        f"{scheme}://[::1]:8786)"
    )


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


MAX_PORT = 65535
CONNECT_TIMEOUT_S = 20  # for the scheduler to accept a connection


def reach_scheduler(scheduler: str, label: str | None = None) -> None:
    """DredgeError, at once, when nothing can be reached at ``scheduler`` (a ``tcp://``,
    ``tls://``, ``ws://`` or ``wss://`` address, checked by :func:`check_scheduler`): a host
    name that does not resolve, or a machine that refuses the connection (no scheduler
    started, another port). distributed tried again for 20 s and then said "Timed out trying
    to connect", which it says of a scheduler that does not answer too. A ``tls://`` address
    without TLS certificates in Dask's configuration ended on distributed's TypeError
    traceback ("TLS expects a `ssl_context` argument"). Messages name ``label`` (the scheduler
    file and its address) where given."""
    if scheduler.startswith("inproc://"):
        return
    named = f"--scheduler {label or scheduler}"
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.security import Security

    scheme, location = parse_address(scheduler.rstrip("/"))
    if scheme == "tls" and Security().get_connection_args("client")["ssl_context"] is None:
        raise DredgeError(
            f"{named}: a tls:// scheduler needs this machine's TLS certificates "
            "in Dask's configuration, and none are set — set distributed.comm.tls.ca-file, "
            "distributed.comm.tls.client.cert and distributed.comm.tls.client.key (a "
            "~/.config/dask/*.yaml, or DASK_DISTRIBUTED__COMM__TLS__CA_FILE and the like), or "
            "give the scheduler's tcp:// address"
        )
    host, port = parse_host_port(location)
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except socket.gaierror:
        raise DredgeError(
            f"{named}: no machine is named {host} — check the address (`dask scheduler` prints it)"
        ) from None
    except ConnectionRefusedError:
        raise DredgeError(
            f"{named}: {host} refuses connections on port {port}: no "
            "scheduler runs there — start it with `dask scheduler` and check the address"
        ) from None
    except OSError as exc:
        raise DredgeError(
            f"{named}: cannot reach the scheduler ({first_line(exc)}) — start "
            "it with `dask scheduler` and check the address and the network"
        ) from None


@contextmanager
def dask_client(scheduler: str, workers: int) -> Iterator[Any]:
    """A client of ``scheduler``: ``local`` (a new local cluster), a scheduler address or a
    scheduler file (:func:`scheduler_address`)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - installed with the package
        raise DredgeError(f"--scheduler needs dask.distributed ({exc})") from None
    if scheduler == "local":
        if workers < 1:
            raise DredgeError(f"--workers must be at least 1, got {workers}")
        with _sigint_ignored():  # the workers inherit it: Ctrl-C reaches this process alone
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                # any free port on this machine alone: distributed opens it even when told
                # None, and with 8787 taken (a second run) printed a raw "UserWarning: Port …"
                dashboard_address="127.0.0.1:0",
                silence_logs=40,
            )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    check_scheduler(scheduler)
    address = scheduler_address(scheduler)
    label = scheduler_label(scheduler, address)
    reach_scheduler(address, label)
    try:
        client = Client(address.rstrip("/"), timeout=f"{CONNECT_TIMEOUT_S}s")
    except OSError as exc:
        raise DredgeError(
            f"--scheduler {label}: cannot reach the scheduler ({exc}) — start it with "
            "`dask scheduler` and check the address"
        ) from None
    quiet = logging.getLogger("distributed.client")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # a lost scheduler's traceback: the run says it in a line
    try:
        yield client
    finally:
        client.close()
        quiet.setLevel(level)


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while the local cluster starts its worker processes, which keep it
    ignored: Ctrl-C goes to every process of the terminal's group, and each worker stopped with
    two tracebacks of its own (70 lines on a run of 2 workers) before this process ended the
    run; now this process alone stops, and closing the cluster ends its workers. (A Ctrl-C in
    the seconds the cluster takes to start is not taken; blocking SIGINT instead did not reach
    the workers, which distributed starts from a thread of its own.)"""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are set in the main thread only
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def detect_on_cluster(
    client: Any,
    paths: Sequence[str],
    task: SceneTask,
    *,
    dates: Mapping[str, datetime] | None,
    names: Mapping[str, str] | None = None,
    on_scene: SceneCallback,
    on_flags: Callable[[SceneFlags], None] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> SceneFlags:
    """Submit one task per scene and hand each result to ``on_scene`` as it arrives; return
    what the workers found to warn of: the scenes much coarser than the model reads (warn with
    :func:`detector.detect.coarse_note`), the river lines off the channel
    (:func:`detector.on_water.off_channel_warnings`); ``on_flags`` gets each scene's, before
    ``on_scene`` of that scene."""
    from dask.distributed import as_completed

    from detector.date_tables import date_for_scene

    run = uuid.uuid4().hex[:12]  # keys of this call alone: see below
    futures = {
        client.submit(
            detect_one,
            task,
            worker_path(path),
            date_for_scene(dates, path, (names or {}).get(path)) if dates else None,
            (names or {}).get(path),
            # a key the scheduler holds already is taken for the same task and its result
            # handed over: two runs on one cluster (two models compared, NICFI quads of two
            # months sharing file names) each got the other's detections for their scene
            key=f"detect-{index}-{Path(path).name}-{run}",
            pure=False,
        ): path
        for index, path in enumerate(paths)
    }
    wait_for_a_worker(client, progress)
    flags = SceneFlags()
    lines = SceneLines(progress)  # a product's metadata said once for its tiles
    for future in as_completed(futures):
        path = futures[future]
        try:
            _, frame, error, found_here = future.result()
        except Exception as exc:  # a worker died or raised: record it, go on
            if client.status != "running" or LOST in str(exc):  # no task will finish
                raise DredgeError(
                    f"{_address(client)}: lost the connection to the Dask scheduler "
                    f"({first_line(exc)}) — check that it runs and run the same command again; "
                    "finished scenes are kept"
                ) from None
            found_here = SceneFlags()
            frame, error = None, f"{path}: the task failed on the cluster ({first_line(exc)})"
        if error and worker_path(path) != path:  # the scene named as it was given
            error = error.replace(worker_path(path), path)
        flags += found_here
        if on_flags is not None:  # before its scene is recorded, to be recorded with it
            on_flags(found_here)
        on_scene(path, frame, error)
        found = "failed" if frame is None else count_of(len(frame), "detection")
        for line in found_here.summaries or [f"{Path(path).name}: {found}"]:
            lines(line)
    return flags


WORKER_HINT_S = 30.0  # without a worker this long, say how to start one
WORKER_POLL_S = 60.0  # then look again this often whether the scheduler is still there


def wait_for_a_worker(client: Any, progress: Callable[[str], None]) -> None:
    """Return once the scheduler has a worker, saying that the run waits for one to join when
    it has none, when the first joins, and after :data:`WORKER_HINT_S` without one, how to
    start one (a scheduler of no workers printed "(0 workers)" and then waited for ever without
    a word; workers may join later, so it is no fault). DredgeError where the scheduler is
    gone (a client closed on it was told to wait, then ended in an AttributeError)."""
    if _worker_count(client) != 0:
        return
    address = _address(client)
    if client.status in CLOSED:  # its cached "no workers": it said the run waits for one
        raise _lost(address, CLOSED_WHY)
    progress(f"dask: no worker has joined {address} yet; the run waits for one to join")
    timeout, hinted = WORKER_HINT_S, False
    while True:
        try:
            client.wait_for_workers(1, timeout=timeout)
            break
        except TimeoutError:  # distributed's WorkerStartTimeoutError
            if client.status in CLOSED:
                raise _lost(address, CLOSED_WHY) from None
        except OSError as exc:  # the scheduler went away while waiting
            raise _lost(address, first_line(exc)) from None
        except Exception as exc:  # a closed client's AttributeError, RuntimeError
            if client.status == "running":
                raise
            raise _lost(address, first_line(exc)) from None
        if not hinted:
            progress(
                f"dask: still no worker; start one on each machine that has the scenes, model "
                f"and rivers at the same paths: dask worker {address} --nthreads 1"
            )
            timeout, hinted = WORKER_POLL_S, True
    joined = _worker_count(client) or 1
    progress(f"dask: {agree(joined, 'a worker', f'{joined} workers')} joined; the scenes start")


CLOSED = ("closing", "closed", "failed")  # a client that gave up on a lost scheduler
CLOSED_WHY = "it stopped answering, and the client gave up on it"


def _lost(address: str, why: str) -> DredgeError:
    return DredgeError(
        f"{address}: lost the connection to the Dask scheduler ({why}) — check that it runs "
        "and run the same command again; finished scenes are kept"
    )


def _worker_count(client: Any) -> int | None:
    """The workers the scheduler has, None where it cannot be asked (only to tell it)."""
    try:
        return len(client.scheduler_info().get("workers", {}))
    except Exception:  # informational only
        return None


LOST = "scheduler-connection-lost"  # the reason Dask gives the futures it cancels then


def _address(client: Any) -> str:
    try:
        return str(client.scheduler.address)
    except Exception:  # only to name it; a closed client's is None: the address it was given
        given = getattr(client, "_start_arg", None)
        return given if isinstance(given, str) else "--scheduler"
