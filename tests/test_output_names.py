"""A file that cannot be written under its name: a name past 255 bytes, or a whole path past
the system's limit (4096 bytes on Linux) with every name in it short. Each is one line saying
which of the two it is and the fix, never an OSError traceback."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from detector.errors import NameTooLongError, OutputError
from detector.writing import output_error, temporary_path, write_text_atomic


def _deep(tmp_path: Path) -> Path:
    """A file of a short name under folders of short names, its path past 4096 bytes."""
    path = tmp_path.joinpath(*["abcdefghij"] * 420, "counts.csv")
    assert len(os.fsencode(path)) > 4096 and all(len(part) <= 10 for part in path.parts[-421:])
    return path


def test_a_path_past_the_system_limit_is_one_line_naming_the_path(tmp_path: Path) -> None:
    """Python 3.11's Path.exists raises ENAMETOOLONG on such a path, and output_error called it
    (looking for the folder to name) before its check of a name too long: the write ended in a
    raw OSError traceback. Then that check said 'its name is 10 bytes … past the 255 a file name
    may have' of a short name."""
    path = _deep(tmp_path)
    with pytest.raises(OutputError) as raised:
        write_text_atomic(path, "river,year,dredges\n")
    error = raised.value
    assert not isinstance(error, NameTooLongError)  # the folder's fault: a batch stops
    size = len(os.fsencode(path))
    assert f"its path is {size:,} bytes, past the 4,096 a path may have" in error.problem
    assert "its name is" not in str(error) and "\n" not in str(error)
    assert "write it in a folder of a shorter path" in error.fix


def test_a_name_past_255_bytes_is_still_called_a_long_name(tmp_path: Path) -> None:
    path = tmp_path / ("x" * 300 + ".csv")
    with pytest.raises(NameTooLongError) as raised:
        write_text_atomic(path, "a\n")
    written = len(temporary_path(path).name)  # with its .tmp-PID suffix
    assert f"its name is 304 bytes, {written} while written" in raised.value.problem


def test_a_name_of_undecodable_bytes_too_long_is_one_line(tmp_path: Path) -> None:
    """A name read from a disk of another encoding (a byte that is not UTF-8, held by Python
    as a surrogate): ``part.encode()`` raised UnicodeEncodeError inside the error's own making."""
    path = tmp_path / os.fsdecode(b"\xff" + b"a" * 300)
    with pytest.raises(NameTooLongError) as raised:
        write_text_atomic(path, "a\n")
    assert "its name is 301 bytes" in raised.value.problem
    refused = OSError(errno.ENAMETOOLONG, "File name too long", str(path))
    found = output_error(refused, path)
    assert isinstance(found, NameTooLongError) and "past the 255" in found.problem


@pytest.mark.parametrize(
    "args",
    [
        ["counts", "{tmp}/t.parquet", "--out", "{deep}"],
        ["run", "{tmp}/s.tif", "--rivers", "{tmp}/r.geojson", "--out", "{deep}"],
        ["tiles", "{tmp}/s.tif", "--rivers", "{tmp}/r.geojson", "--out", "{deep}"],
        ["detect", "{tmp}/s.tif", "--rivers", "{tmp}/r.geojson", "--out", "{deep}"],
    ],
)
def test_an_out_past_the_system_limit_is_one_line_before_any_work(
    args: list[str], tmp_path: Path
) -> None:
    """The checks of --out before any work (`check_files_to_write`'s ``path.is_dir()``,
    `check_out_folder`'s ``folder.exists()``, `dredge run`'s ``check_out``) raised
    ENAMETOOLONG: an OSError traceback, 'dredge stopped on an unexpected fault', exit 3."""
    from typer.testing import CliRunner

    from detector.cli import app

    deep = _deep(tmp_path)
    typed = [arg.format(tmp=tmp_path, deep=deep) for arg in args]
    result = CliRunner().invoke(app, typed)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    size = len(os.fsencode(deep))
    assert len(lines) == 1, lines
    assert f"its path is {size:,} bytes, past the 4,096 a path may have" in lines[0]
    assert "write it in a folder of a shorter path" in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing written
