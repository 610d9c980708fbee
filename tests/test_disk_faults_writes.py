"""The pieces of the disk-fault handling: what a failed write is called, writes that leave whole
files or the previous ones, files written together, and the temporaries of killed commands."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyogrio
import pyogrio.errors
import pytest

from detector.errors import OutputError
from detector.writing import (
    output_error,
    remove_stale_temporaries,
    remove_temporaries,
    write_atomic,
    write_together,
)
from tests.disk_fixtures import NO_SPACE, half_then

# --------------------------------------------------------------------------------------------
# The pieces: what a failed write is called, and writes that leave whole files


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (OSError(errno.ENOSPC, NO_SPACE), "no space left"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "no space left"),
        (OSError("Error writing bytes to file. Detail: [errno 28] No space left"), "no space"),
        (PermissionError(errno.EACCES, "Permission denied"), "is not writable"),
        (OSError(errno.EROFS, "Read-only file system"), "is not writable"),
        (OSError("Failed to open local file 'x'. Detail: [errno 13] Permission denied"), "is not"),
        (pyogrio.errors.FeatureError("sqlite3_exec(...) failed: database or disk is full"), "no "),
        (pyogrio.errors.DataSourceError("Failed to create: x: Read-only file system"), "is not"),
        (OSError(errno.EIO, "Input/output error"), "could not be written ([Errno 5] Input/"),
    ],
)
def test_a_failed_write_is_named_by_its_cause(
    error: BaseException, words: str, tmp_path: Path
) -> None:
    found = output_error(error, tmp_path / "counts.csv")
    assert isinstance(found, OutputError)
    assert str(found).startswith(f"{tmp_path / 'counts.csv'}: could not be written")
    assert words in str(found) and "run the same command again" in found.fix


def test_errors_that_are_not_the_disk_pass_through(tmp_path: Path) -> None:
    assert output_error(ValueError("bad value"), tmp_path / "a.csv") is None
    field = pyogrio.errors.FieldError("unsupported field type")
    assert output_error(field, tmp_path / "a.gpkg") is None  # a writable folder with space

    def write(tmp: Path) -> None:
        tmp.write_bytes(b"SQLite format 3\0" * 100)
        half_then(field)(tmp)

    with pytest.raises(pyogrio.errors.FieldError):
        write_atomic(tmp_path / "a.gpkg", write)
    assert not list(tmp_path.iterdir())


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    target.write_text("a\n1\n")

    def write(tmp: Path) -> None:
        tmp.write_text("a\n" + "2\n" * 1000)
        half_then(OSError(errno.ENOSPC, NO_SPACE))(tmp)

    with pytest.raises(OutputError, match="no space left"):
        write_atomic(target, write)
    assert target.read_text() == "a\n1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]
    write_atomic(target, lambda tmp: tmp.write_text("a\n3\n"))
    assert target.read_text() == "a\n3\n"


def test_temporaries_of_a_killed_run_are_swept(tmp_path: Path) -> None:
    kept = [tmp_path / "scene.parquet", tmp_path / ".hidden", tmp_path / "x.tmp-1"]
    left = [tmp_path / ".scene.parquet.tmp-4242.parquet", tmp_path / ".d.gpkg.tmp-7.gpkg-journal"]
    for path in kept + left:
        path.write_text("x")
    assert sorted(remove_temporaries(tmp_path)) == sorted(left)
    assert sorted(tmp_path.iterdir()) == sorted(kept)


TOGETHER = ["tracks.parquet", "tracks.detections.parquet", "tracks.observations.csv"]


def write_set_stopped(folder: Path, step: int, stop: Callable[[], None]) -> None:
    """Write TOGETHER into ``folder`` (holding the previous set), ``stop()`` at rename ``step``."""
    calls = {"n": 0}
    real = os.replace

    def replace(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == step + 1:
            stop()
        real(src, dst)

    writes = [(folder / name, lambda tmp: tmp.write_text("new")) for name in TOGETHER]
    os.replace = replace  # type: ignore[assignment]
    try:
        write_together(writes)
    finally:
        os.replace = real


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir()}


@pytest.mark.parametrize("sweep", ["command", "run"])
@pytest.mark.parametrize("step", range(6))
def test_files_written_together_are_never_of_two_writes(
    step: int, sweep: str, tmp_path: Path
) -> None:
    """Stopped at any of its renames by an error or Ctrl-C, a set written together is the
    previous set; killed there (SIGKILL: no clean-up), the previous set, the new one, or one
    without its first file (which `dredge counts` refuses), never the files of two writes; the
    next command (or `dredge run`) puts the previous set back whole before sweeping (it
    deleted the previous first file, set aside, as a temporary)."""
    import multiprocessing

    for name in TOGETHER:
        (tmp_path / name).write_text("old")

    def interrupt() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_set_stopped(tmp_path, step, interrupt)
    assert contents(tmp_path) == dict.fromkeys(TOGETHER, "old")  # no temporary either
    for name in TOGETHER:
        (tmp_path / name).write_text("old")
    killed = multiprocessing.get_context("fork").Process(
        target=write_set_stopped, args=(tmp_path, step, lambda: os._exit(9))
    )
    killed.start()
    killed.join(60)
    assert killed.exitcode == 9
    left = {name: text for name, text in contents(tmp_path).items() if name in TOGETHER}
    assert TOGETHER[0] not in left or len(set(left.values())) == 1, left
    if sweep == "command":
        remove_stale_temporaries(*(tmp_path / name for name in TOGETHER))
    else:
        remove_temporaries(tmp_path)
    after = contents(tmp_path)
    assert after in (dict.fromkeys(TOGETHER, "old"), dict.fromkeys(TOGETHER, "new")), after


def test_a_temporary_named_by_a_process_started_since_is_stale(tmp_path: Path) -> None:
    """In a container the command killed and started again has the same number (process 1):
    a temporary last written before the process of its number began is not that process's."""
    target = tmp_path / "d.gpkg"
    alive = os.getppid()
    old = tmp_path / f".d.gpkg.tmp-{alive}.gpkg-journal"
    new = tmp_path / f".d.gpkg.tmp-{alive}.gpkg"
    mine = tmp_path / f".d.gpkg.tmp-{os.getpid()}.gpkg"
    for path in (old, new, mine):
        path.write_text("x")
    os.utime(old, (946684800, 946684800))  # written in 2000
    assert sorted(remove_stale_temporaries(target)) == sorted([old, mine])
    assert new.exists()


def test_refused_writes_names_the_folder_only_for_the_disk(tmp_path: Path) -> None:
    """A write the disk refused is one line naming OUT; a read's error passes through."""
    from detector.writing import refused_writes

    out = tmp_path / "out"
    with pytest.raises(OutputError, match=f"{out}: could not be written: no space left"):
        with refused_writes(out):
            raise OSError(errno.ENOSPC, NO_SPACE)
    with pytest.raises(OutputError, match="is not writable"):
        with refused_writes(out, tmp_path / ".out.partial"):
            raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".out.partial"))
    for error in (
        OSError("not recognized as a supported file format"),  # a scene read, no file named
        PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "scene.tif")),
    ):
        with pytest.raises(type(error)):
            with refused_writes(out):
                raise error


def test_a_previous_folder_left_aside_by_a_killed_replace_is_put_back(tmp_path: Path) -> None:
    """Killed between move_into_place's two renames, a review (or training) left the previous
    folder as .OUT.old and no OUT: the next command needed no --overwrite, and deleted
    .OUT.old, the only copy of the previous folder. It is put back first, and then refused
    without --overwrite like any folder in the way."""
    from detector.errors import DredgeError
    from detector.writing import move_into_place
    from training.finetune import check_run_dir

    out = tmp_path / "review"
    old = tmp_path / ".review.old"
    old.mkdir()
    (old / "labels.csv").write_text("prev")
    with pytest.raises(DredgeError, match="folder is not empty"):
        check_run_dir(out, overwrite=False)
    assert (out / "labels.csv").read_text() == "prev" and not old.exists()
    out.rename(old)  # the same again, replaced on purpose (--overwrite): the new one whole
    partial = tmp_path / ".review.partial"
    partial.mkdir()
    (partial / "labels.csv").write_text("new")
    move_into_place(partial, out)
    assert (out / "labels.csv").read_text() == "new" and not old.exists()
