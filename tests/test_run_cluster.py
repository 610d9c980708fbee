"""A run on a Dask LocalCluster gives the same outputs as a run in one process."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import CancelledError
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.card import load_card
from detector.cli import app
from detector.cluster import (
    SceneTask,
    _worker_model,
    check_scheduler,
    dask_client,
    detect_on_cluster,
    detect_one,
    worker_path,
)
from detector.errors import DredgeError
from detector.river_inputs import rivers_digest
from detector.run_manifest import MANIFEST_NAME
from tests.geo_fixtures import truncate, write_rivers, write_scene
from tests.model_fixtures import untrained_scene_task, write_untrained_model
from training.synth.world import WorldConfig, write_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cluster") / "world"
    write_world(WorldConfig(seed=16, rivers=("Cenepa",), years=(2024, 2024)), out)
    broken = out / "scenes" / "20240101_120000_00_0000_3B_AnalyticMS_SR.tif"
    shutil.copy(next((out / "scenes").glob("*_AnalyticMS_SR.tif")), broken)
    truncate(broken)
    return out


def run(world: Path, out: Path, model: Path, *extra: str, given: Sequence[str] = ()) -> str:
    """`dredge run` of the world's scenes (``given``: scenes, rivers and model as typed)."""
    given = given or (str(world / "scenes"), "--rivers", str(world / "rivers.geojson"))
    given = [*given, "--model", str(model)] if "--model" not in given else given
    result = CliRunner().invoke(
        app,
        [
            *("run", *given, "--out", str(out), "--conf", "0.6", "--no-progress"),
            *extra,
        ],
    )
    assert result.exit_code == 1, result.output  # the truncated scene
    assert "1 of" in result.output
    return str(result.output)


def summary_lines(output: str) -> list[str]:
    """The scenes' summary lines (`NAME.tif: 11 tiles, 3 detections …`), sorted."""
    return sorted(line for line in output.splitlines() if re.match(r"\S+\.tif: \d+ tiles?", line))


def test_local_cluster_equals_local_run(world: Path, tmp_path: Path) -> None:
    model = write_untrained_model(tmp_path / "model")
    printed = run(world, tmp_path / "here", model)
    printed_dask = run(world, tmp_path / "dask", model, "--scheduler", "local", "--workers", "2")
    assert summary_lines(printed) and summary_lines(printed_dask) == summary_lines(printed)
    here, dask = (gpd.read_parquet(tmp_path / o / "detections.parquet") for o in ("here", "dask"))
    assert len(here) > 0
    pd.testing.assert_frame_equal(
        here.drop(columns="geometry"), dask.drop(columns="geometry"), check_exact=False
    )
    assert here.geometry.geom_equals_exact(dask.geometry, tolerance=1e-9).all()
    for name in ("counts.csv", "failures.csv"):
        assert (tmp_path / "here" / name).read_text() == (tmp_path / "dask" / name).read_text()


def test_failures_are_listed_in_the_scenes_order_whatever_order_they_finish_in(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cluster hands each scene back as it finishes: failures.csv (and run.json's failures)
    listed failed scenes in that order, another at each run of the same scenes (a run in one
    process lists them in the scenes' order)."""

    def finish_backwards(paths: list[str], *args: object) -> None:
        found = args[5]
        for path in reversed(paths):  # the last submitted finishes first
            found.record(path, None, f"{path}: the task failed on the cluster (test)")  # type: ignore[attr-defined]

    monkeypatch.setattr("detector.run._detect_on_cluster", finish_backwards)
    model = write_untrained_model(tmp_path / "model")
    result = CliRunner().invoke(
        app,
        [
            *("run", str(world / "scenes"), "--rivers", str(world / "rivers.geojson")),
            *("--model", str(model), "--out", str(tmp_path / "out"), "--no-progress"),
            *("--scheduler", "local"),
        ],
    )
    assert result.exit_code == 1, result.output
    listed = pd.read_csv(tmp_path / "out" / "failures.csv")["scene"].tolist()
    assert len(listed) > 2 and listed == sorted(listed), listed


def test_a_cluster_of_one_worker_is_described_in_the_singular() -> None:
    """The run's 'dask: … on local (1 worker(s))' line reads '1 worker'."""
    from detector.run import _describe

    class OneWorker:
        def scheduler_info(self) -> dict[str, dict[str, object]]:
            return {"workers": {"tcp://127.0.0.1:1": {}}}

    assert _describe(OneWorker()) == "1 worker"


def test_unreachable_scheduler_is_one_line(world: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            *("run", str(world / "scenes"), "--rivers", str(world / "rivers.geojson")),
            *("--out", str(tmp_path / "x"), "--scheduler", "carrier-pigeon", "--no-progress"),
        ],
    )
    assert result.exit_code == 2
    assert "give 'local' or an address such as tcp://HOST:8786" in result.output


def test_a_worker_names_a_scene_much_coarser_than_the_model(tmp_path: Path) -> None:
    """On a cluster the coarse-imagery warning was lost: workers print nothing. A worker now
    returns the scene, and the client warns once (as a run in one process does)."""
    scene = write_scene(
        tmp_path / "S2A_MSIL2A_2024-02-01_T18MTE.tif", gsd_m=10.0, width=180, height=180
    )
    rivers = write_rivers(tmp_path / "rivers.geojson", {"nanay": scene.river}, crs=scene.crs)
    task = untrained_scene_task(tmp_path / "model", rivers)
    path, frame, error, flags = detect_one(task, str(scene.path), None)
    assert path == str(scene.path)
    assert error is None and frame is not None
    assert flags.coarse == [(scene.path.name, pytest.approx(10.0, rel=1e-3))]
    assert flags.off_channel == []
    (summary,) = flags.summaries  # the line a run in one process prints, for the client to
    assert summary.startswith(f"{scene.path.name}: ")  # print (workers print nothing)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running cluster, as `dask scheduler` and `dask worker` start one: its worker started
    in a folder of its own (not the one `dredge run` is typed in) and kept between runs."""
    from dask.distributed import LocalCluster

    before = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("worker_home"))
    try:
        cluster = LocalCluster(
            n_workers=1, threads_per_worker=1, dashboard_address=":0", silence_logs=40
        )
    finally:
        os.chdir(before)
    with cluster:
        yield str(cluster.scheduler_address)


def test_relative_paths_reach_workers_started_in_another_folder(
    world: Path, scheduler: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge run scenes --rivers rivers.geojson --scheduler tcp://…` sent the workers the
    paths as typed, read from the worker's own folder: every scene failed ('rivers.geojson:
    file not found'), or another folder's file of that name was read. Local paths are now
    made absolute where `dredge run` works."""
    model = write_untrained_model(tmp_path / "model")
    monkeypatch.chdir(world)
    given = ["scenes", "--rivers", "rivers.geojson", "--model", os.path.relpath(model)]
    run(world, tmp_path / "here", model, given=given)
    run(world, tmp_path / "dask", model, "--scheduler", scheduler, given=given)
    here, dask = (gpd.read_parquet(tmp_path / o / "detections.parquet") for o in ("here", "dask"))
    assert len(here) > 0
    pd.testing.assert_frame_equal(here, dask, check_exact=False)
    for name in ("counts.csv", "failures.csv"):  # the failed scene named as it was given
        assert (tmp_path / "here" / name).read_text() == (tmp_path / "dask" / name).read_text()


def test_a_worker_kept_between_runs_reads_the_model_and_rivers_of_each_run(
    tmp_path: Path,
) -> None:
    """A worker kept between runs (`dask worker` of a running cluster) kept the model and the
    rivers it first loaded under a path: a rivers file corrected (or a model retrained) at the
    same path was not read again. On 5 demo scenes, the Nanay deleted from the rivers gave 32
    detections and no failure on the cluster, as before, where a run in one process gives 21
    and the Nanay's scene 'does not overlap any river corridor'. A worker whose file is
    another than the one `dredge run` read now says so."""
    scene = write_scene(tmp_path / "20240201_143000_00_1234_3B_AnalyticMS_SR.tif")
    rivers = write_rivers(tmp_path / "rivers.geojson", {"Nanay": scene.river}, crs=scene.crs)
    task = untrained_scene_task(tmp_path / "model", rivers)
    assert task.model is not None
    model = Path(task.model)

    def run_on_worker() -> tuple[gpd.GeoDataFrame | None, str | None]:
        current = replace(
            task,
            model_digest=load_card(model).digest(),
            rivers_sha256=rivers_digest(rivers),
        )
        _, frame, error, _ = detect_one(current, str(scene.path), None)
        return frame, error

    frame, _ = run_on_worker()
    assert frame is not None and set(frame["river"]) == {"Nanay"}
    write_rivers(rivers, {"Itaya": scene.river}, crs=scene.crs)  # the river renamed
    frame, _ = run_on_worker()
    assert frame is not None and set(frame["river"]) == {"Itaya"}

    write_untrained_model(tmp_path / "model", seed=7)  # retrained under the same name
    assert _worker_model(replace(task, model_digest=load_card(model).digest())).card == load_card(
        model
    )

    other = replace(task, rivers_sha256="0" * 64)  # the worker's file is not the client's
    _, frame, error, _ = detect_one(other, str(scene.path), None)
    assert frame is None and error is not None and "another rivers file" in error
    other = replace(task, model_digest="0" * 64)
    _, frame, error, _ = detect_one(other, str(scene.path), None)
    assert frame is None and error is not None and "another model" in error


class LostFuture:
    """A future that Dask cancelled when the client lost its scheduler."""

    def result(self) -> None:
        raise CancelledError(
            "detect-1-b.tif cancelled for reason: scheduler-connection-lost.\n"
            "Client lost the connection to the scheduler. Please check your connection and "
            "re-run your work."
        )


class LostClient:
    """A client whose scheduler died (killed, or its machine restarted) after one scene."""

    status = "connecting"

    def submit(self, *_: object, **__: object) -> LostFuture:
        return LostFuture()


def test_a_scheduler_lost_mid_run_stops_the_run_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scheduler killed mid-run (5 demo scenes, killed after the first) recorded each
    scene left as failed with a two-line error, printed distributed's reconnect traceback, and
    wrote counts of the one scene done (exit 1). The run now stops with one line (exit 2), as on
    a full disk: the same command finishes it."""
    monkeypatch.setattr("dask.distributed.as_completed", iter)
    recorded: list[tuple[str, str | None]] = []
    with pytest.raises(DredgeError, match="lost the connection to the Dask scheduler") as caught:
        detect_on_cluster(
            LostClient(),
            ["a.tif", "b.tif"],
            SceneTask(
                None, "auto", "cpu", False, None, "rivers.geojson", "name", 50, 0.25, 4, None
            ),
            dates=None,
            on_scene=lambda path, _, error: recorded.append((path, error)),
        )
    assert "\n" not in str(caught.value) and "run the same command again" in str(caught.value)
    assert recorded == []


@pytest.mark.parametrize("address", ["tcp://127.0.0.1", "tcp://10.0.0.5:", "tcp://h:8786/status"])
def test_a_scheduler_address_without_its_port_is_one_line(address: str) -> None:
    """`tcp://HOST` was distributed's "missing port number in address 'HOST'" (no option named,
    no fix), after the model was loaded and OUT made."""
    with pytest.raises(DredgeError, match="with its port, as `dask scheduler` prints it"):
        check_scheduler(address)
    check_scheduler("tcp://10.0.0.5:8786/")  # a slash after the port is read as none


def test_an_ipv6_scheduler_address_without_brackets_is_one_line() -> None:
    """``tcp://::1:8786`` passed the check of the address and ended on distributed's ValueError
    traceback ("invalid address '::1:8786'; maybe: ipv6 needs brackets"); it is one line giving
    the address in brackets, which is let through."""
    with pytest.raises(DredgeError) as caught, dask_client("tcp://::1:8786", 1):
        pass
    assert str(caught.value) == (
        "--scheduler tcp://::1:8786: an IPv6 address goes in brackets before its port — give it "
        "as `dask scheduler` prints it (tcp://[::1]:8786)"
    )
    check_scheduler("tcp://[::1]:8786")
    check_scheduler("tcp://[2001:db8::5]:8786/")


def test_an_ipv6_scheduler_address_without_its_port_is_given_whole() -> None:
    """``tcp://fe80::1`` (no port, no brackets) read its last group as the port and was told
    to give ``tcp://[fe80:]:1``, no address at all; it is told to give the address whole in
    brackets with a port."""
    for given, told in (("fe80::1", "[fe80::1]:8786"), ("::1", "[::1]:8786")):
        with pytest.raises(DredgeError) as caught:
            check_scheduler(f"tcp://{given}")
        assert str(caught.value) == (
            f"--scheduler tcp://{given}: an IPv6 address goes in brackets, followed by the "
            "scheduler's port (8786 unless it was started with another) — give it as `dask "
            f"scheduler` prints it (tcp://{told})"
        )
    with pytest.raises(DredgeError, match=r"a:b is neither a host name nor an IPv6 address"):
        check_scheduler("tcp://a:b:80")


def _free_port() -> int:
    """A port on this machine that nothing listens on (taken, then given back)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("tcp://127.0.0.1:99999", "port 99999 is not a port (1 to 65535)"),
        ("tcp://no-scheduler.invalid:8786", "no machine is named no-scheduler.invalid"),
        (f"tcp://127.0.0.1:{_free_port()}", "refuses connections on port"),
        ("tls://127.0.0.1:8786", "a tls:// scheduler needs this machine's TLS certificates"),
    ],
)
def test_a_scheduler_that_cannot_be_reached_is_told_at_once_as_it_is(
    address: str, said: str
) -> None:
    """A port past 65535, a host name that does not resolve and a machine that refuses the
    connection (no scheduler started there) were each distributed's "Timed out trying to
    connect … after 20 s", 20 s later; a tls:// address without TLS certificates in Dask's
    configuration was distributed's TypeError traceback ("TLS expects a `ssl_context`")."""
    with pytest.raises(DredgeError) as caught, dask_client(address, 1):
        pass
    message = str(caught.value)
    assert message.startswith(f"--scheduler {address}: ") and said in message, message
    assert "\n" not in message and "Timed out" not in message


def test_a_running_scheduler_is_reached() -> None:
    """The check of the address lets a scheduler that runs be used."""
    from dask.distributed import LocalCluster

    with (
        LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as cluster,
        dask_client(cluster.scheduler_address, 1) as client,
    ):
        assert client.submit(sum, [1, 2]).result() == 3


def test_workers_with_an_existing_scheduler_is_one_line(world: Path, tmp_path: Path) -> None:
    """--workers 4 with --scheduler tcp://… was ignored without a word."""
    result = CliRunner().invoke(
        app,
        [
            *("run", str(world / "scenes"), "--rivers", str(world / "rivers.geojson")),
            *("--out", str(tmp_path / "x"), "--scheduler", "tcp://127.0.0.1:8786"),
            *("--workers", "4", "--no-progress"),
        ],
    )
    assert result.exit_code == 2
    assert "give one of the two" in result.output
    assert not (tmp_path / "x").exists()


def test_a_local_cluster_beside_another_prints_no_port_warning() -> None:
    """With port 8787 taken (a second run at once), distributed printed a raw "UserWarning:
    Port 8787 is already in use" for a dashboard nobody asked for."""
    import socket
    import warnings

    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 8787))
        taken.listen()
    except OSError:
        pass  # already taken by something else: the same case
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with dask_client("local", 1):
                pass
    finally:
        taken.close()
    assert not [w for w in caught if "8787" in str(w.message)]


def test_a_rivers_folder_has_one_digest_however_its_path_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FileGDB (a folder) given relative was digested as its path's text; a worker, given
    it absolute, never matched: every scene of `--rivers rivers.gdb --workers 2` failed."""
    gdb = tmp_path / "rivers.gdb"
    gdb.mkdir()
    (gdb / "a0000001.gdbtable").write_bytes(b"lines")
    monkeypatch.chdir(tmp_path)
    digest = rivers_digest(Path("rivers.gdb"))
    assert digest == rivers_digest(gdb.resolve())
    (gdb / "a0000001.gdbtable").write_bytes(b"lines corrected")
    assert rivers_digest(gdb) != digest


def test_ctrl_c_stops_a_local_cluster_run_without_the_workers_tracebacks(
    world: Path, tmp_path: Path
) -> None:
    """Ctrl-C reaches every process of the terminal's group: each local worker printed its own
    two tracebacks (70 lines on a run of 2 workers). Now the run alone stops: exit 130, the
    finished scenes kept, no traceback."""
    model = write_untrained_model(tmp_path / "model")
    out = tmp_path / "stopped"
    command = [
        *(sys.executable, "-m", "detector.cli", "run", str(world / "scenes")),
        *("--rivers", str(world / "rivers.geojson"), "--out", str(out), "--model", str(model)),
        *("--conf", "0.6", "--no-progress", "--workers", "2"),
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a group of its own, as a terminal's job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    manifest = out / MANIFEST_NAME
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        if manifest.is_file() and len(pd.read_csv(manifest)) >= 2:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before Ctrl-C"
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr[-3000:]
    assert len(pd.read_csv(manifest)) >= 2


def _slow_detect_one(
    task: SceneTask, path: str, when: object, name: str | None = None
) -> tuple[str, object, None, object]:
    """A worker's detection that takes a while and answers which scene and task it read."""
    from detector.cluster import SceneFlags

    time.sleep(0.5)
    return path, (path, task.conf), None, SceneFlags()


def test_two_runs_on_one_cluster_each_get_their_own_scenes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two `dredge run`s on one cluster at once (two models or thresholds compared on the same
    scenes; NICFI quads of two months, sharing file names) gave their tasks the same keys
    (`detect-0-x.tif`), which the scheduler takes for one task: the second run was handed the
    first run's result, the detections of another scene or another model, without a word."""
    import threading

    from dask.distributed import Client, LocalCluster

    monkeypatch.setattr("detector.cluster.detect_one", _slow_detect_one)
    base = SceneTask(None, "auto", "cpu", False, None, "/r.geojson", "name", 50, 0.25, 4, None)
    runs = {"A": (["/planet/2024-01/x.tif"], base), "B": (["/planet/2024-02/x.tif"], base)}
    runs["C"] = (runs["A"][0], replace(base, conf=0.6))  # the same scene, another threshold
    got: dict[str, list[tuple[str, object]]] = {}
    with LocalCluster(
        n_workers=1, threads_per_worker=3, processes=False, dashboard_address=":0"
    ) as cluster:

        def run_on(label: str) -> None:
            paths, task = runs[label]
            with Client(cluster.scheduler_address) as client:
                detect_on_cluster(
                    client,
                    paths,
                    task,
                    dates=None,
                    on_scene=lambda p, f, _: got.setdefault(label, []).append((p, f)),
                )

        threads = [threading.Thread(target=run_on, args=(label,)) for label in runs]
        for thread in threads:
            thread.start()
            time.sleep(0.1)
        for thread in threads:
            thread.join()
    for label, (paths, task) in runs.items():
        assert got[label] == [(paths[0], (paths[0], task.conf))], label


def test_a_file_url_is_given_to_workers_as_the_path_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``dredge run --scheduler … --model file:///a/m.pt``: the model was handed to each worker as
    ``/cwd/file:/a/m.pt`` (made absolute as a relative path), which no worker finds; a ``file:``
    URL is now the path it names, as ``dredge detect`` reads it. Paths and URLs are as before."""
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "my models" / "m.pt"
    assert worker_path(model.as_uri()) == str(model)
    assert worker_path(f"file://localhost{model.as_posix()}") == str(model)
    assert worker_path("rel/m.pt") == str(tmp_path / "rel" / "m.pt")
    assert worker_path("https://example.com/a.tif") == "https://example.com/a.tif"


def _quick_detect_one(
    task: SceneTask, path: str, when: object, name: str | None = None
) -> tuple[str, object, None, object]:
    """A worker's detection that answers at once."""
    from detector.cluster import SceneFlags

    return path, None, None, SceneFlags()


def test_a_scheduler_without_workers_says_the_run_waits_for_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scheduler of no workers printed "(0 workers)" and then waited for ever without a
    word. It is no fault (workers may join later): the run now says it waits for one, after a
    while how to start one (`dask worker ADDRESS`), and when the first joins."""
    from dask.distributed import Client, LocalCluster

    monkeypatch.setattr("detector.cluster.detect_one", _quick_detect_one)
    monkeypatch.setattr("detector.cluster.WORKER_HINT_S", 0.2, raising=False)
    task = SceneTask(None, "auto", "cpu", False, None, "/r.geojson", "name", 50, 0.25, 4, None)
    lines: list[str] = []
    recorded: list[str] = []
    with (
        LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster,
        Client(cluster.scheduler_address) as client,
    ):

        def progress(line: str) -> None:
            lines.append(line)
            if line.startswith("dask: still no worker"):
                cluster.scale(1)  # a worker joins only once the run has said how to start one

        import threading

        # without a word of waiting no worker would ever join, and the run wait for ever: one
        # joins anyway after a while, for the lines below to fail rather than the test hang
        fallback = threading.Timer(30, cluster.scale, args=(1,))
        fallback.start()
        try:
            detect_on_cluster(
                client,
                ["/s/a.tif"],
                task,
                dates=None,
                on_scene=lambda path, *_: recorded.append(path),
                progress=progress,
            )
        finally:
            fallback.cancel()
    address = cluster.scheduler_address
    assert lines[0] == f"dask: no worker has joined {address} yet; the run waits for one to join"
    assert lines[1].startswith("dask: still no worker; start one on each machine")
    assert lines[1].endswith(f"dask worker {address} --nthreads 1")
    assert lines[2] == "dask: a worker joined; the scenes start"
    assert recorded == ["/s/a.tif"] and all("\n" not in line for line in lines)
