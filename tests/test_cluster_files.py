"""`--scheduler` given a Dask scheduler file, and the scenes' lines a cluster hands back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detector.cluster import (
    SceneFlags,
    SceneTask,
    check_scheduler,
    dask_client,
    detect_on_cluster,
)
from detector.errors import DredgeError
from tests.test_run_cluster import _free_port


def test_a_scheduler_file_is_read_for_its_address(tmp_path: Path) -> None:
    """HPC clusters start Dask with a scheduler file (`dask scheduler --scheduler-file
    sched.json`, dask-mpi, dask-jobqueue): `--scheduler sched.json` was refused with "give
    'local' or an address such as tcp://HOST:8786". Its address is now read and used."""
    from dask.distributed import LocalCluster

    sched = tmp_path / "sched.json"
    with LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as cluster:
        address = cluster.scheduler_address
        sched.write_text(json.dumps({"type": "Scheduler", "address": address, "workers": {}}))
        check_scheduler(str(sched))
        with dask_client(str(sched), 1) as client:
            assert client.scheduler.address == address
            assert client.submit(sum, [1, 2]).result() == 3


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (None, "no such scheduler file"),
        ("tcp://127.0.0.1:8786", "not a Dask scheduler file (Expecting value"),
        ('{"type": "Scheduler"}', 'not a Dask scheduler file (no "address" in it)'),
    ],
)
def test_a_scheduler_file_missing_or_not_one_is_one_line_naming_it(
    tmp_path: Path, text: str | None, said: str
) -> None:
    sched = tmp_path / "sched.json"
    if text is not None:
        sched.write_text(text)
    with pytest.raises(DredgeError) as caught:
        check_scheduler(str(sched))
    message = str(caught.value)
    assert message.startswith(f"--scheduler {sched}: ") and said in message, message
    assert "\n" not in message


def test_a_folder_given_as_the_scheduler_file_is_said_to_be_a_folder(tmp_path: Path) -> None:
    """`--scheduler dask/` (the folder the scheduler file lies in) was told "no such scheduler
    file" of a folder that is there; it is told that it is a folder, and to give the file."""
    for given in (str(tmp_path), f"{tmp_path}/"):
        with pytest.raises(DredgeError) as caught:
            check_scheduler(given)
        message = str(caught.value)
        assert message.startswith(f"--scheduler {given}: is a folder, not a scheduler file — ")
        assert "no such" not in message and "\n" not in message


def test_a_scheduler_file_of_a_stopped_scheduler_names_the_file_and_its_address(
    tmp_path: Path,
) -> None:
    """The file outlives its scheduler: the refused connection names both."""
    sched = tmp_path / "sched.json"
    address = f"tcp://127.0.0.1:{_free_port()}"
    sched.write_text(f'{{"address": "{address}"}}')
    with pytest.raises(DredgeError) as caught, dask_client(str(sched), 1):
        pass
    assert str(caught.value).startswith(f"--scheduler {sched} ({address}): "), caught.value
    assert "refuses connections on port" in str(caught.value)


class DoneFuture:
    """A scene a worker finished, with the summary line it hands back."""

    def __init__(self, path: str, line: str) -> None:
        self.path, self.line = path, line

    def result(self) -> tuple[str, None, str, SceneFlags]:
        return self.path, None, "not detected (test)", SceneFlags(summaries=[self.line])


class LineClient:
    """A client whose workers hand back each scene's line (``lines``: path → line)."""

    status = "running"

    def __init__(self, lines: dict[str, str]) -> None:
        self.lines = lines

    def submit(self, _: object, task: object, path: str, *__: object, **___: object) -> DoneFuture:
        return DoneFuture(path, self.lines[path])


def test_a_product_files_disagreement_is_said_once_for_its_tiles_on_a_cluster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Workers hand back each tile's line with the same sentence on its product's XML and IMD:
    the client printed it once a tile (40 times for 40 tiles); now on the first line."""
    monkeypatch.setattr("dask.distributed.as_completed", iter)
    said = (
        "dated 2023-09-14 15:20 UTC by P001.XML, while P001.IMD says 2023-09-14 15:30 UTC: "
        "check which is the scene's (a sidecar of another scene?), or give the date with --dates"
    )
    paths = [f"/s/P001_R1C{n}.TIF" for n in (1, 2, 3)]
    lines = {path: f"{Path(path).name}: 1 tile, 0 detections; {said}" for path in paths}
    printed: list[str] = []
    detect_on_cluster(
        LineClient(lines),
        paths,
        SceneTask(None, "auto", "cpu", False, None, "rivers.geojson", "name", 50, 0.25, 4, None),
        dates=None,
        on_scene=lambda *_: None,
        progress=printed.append,
    )
    assert sum(said in line for line in printed) == 1, printed
    assert printed[1:] == [
        f"P001_R1C{n}.TIF: 1 tile, 0 detections; P001.XML and P001.IMD disagree on its date "
        "(as for P001_R1C1.TIF)"
        for n in (2, 3)
    ]
