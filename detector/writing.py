"""Output files written whole, and one clear line when the disk refuses a write.

:func:`write_atomic` writes to a temporary name beside the target (``.<name>.tmp-<pid><suffix>``)
and renames it into place, so a file under its final name is always whole: a write that fails
half-way (disk full, folder made read-only, process killed) leaves the previous version or
nothing. The temporary file is removed when the write fails; :func:`remove_temporaries` sweeps
the ones a killed process left behind in a run's folder, and :func:`remove_stale_temporaries`
those of the files a command is about to write (``dredge detect``, ``track``, ``counts``, …: a
``.detections.parquet.tmp-PID.parquet`` of a killed ``dredge detect`` stayed beside ``--out``).
:func:`write_together` writes files that are read as one set (a tracks file and the two beside
it) so that a write stopped half-way never leaves one of them beside the others' old versions;
:func:`placed_together` does the same for files written by several functions (``dredge counts``
and its exports, ``dredge evaluate``'s report and figures), and :func:`place_from` for files
made in a folder of their own first (``dredge run``'s outputs, which read one another).

A failed write raises :class:`~detector.errors.OutputError` naming the file, what the disk said
(no space left, not writable) and the fix. OSError from Python, pyarrow and matplotlib and the
errors of pyogrio (GDAL: GeoPackage, GeoJSON) are recognised (:mod:`detector.write_errors`).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import Any, NoReturn

from detector.write_errors import (
    LOW_SPACE_BYTES,
    NAME_MAX,
    NO_SPACE,
    NOT_WRITABLE,
    PATH_MAX,
    inside,
    looked_at,
    output_error,
    refused_writes,
)

__all__ = [  # with what a refused write says (detector.write_errors), imported from here
    "LOW_SPACE_BYTES",
    "NAME_MAX",
    "NOT_WRITABLE",
    "NO_SPACE",
    "PATH_MAX",
    "append_line",
    "complete_lines",
    "inside",
    "is_temporary",
    "looked_at",
    "move_into_place",
    "output_error",
    "place_from",
    "placed_together",
    "process_alive",
    "put_back_folder_set_aside",
    "put_back_set_aside",
    "refused_writes",
    "remove_stale_temporaries",
    "remove_temporaries",
    "started_after",
    "temporary_path",
    "write_atomic",
    "write_text_atomic",
    "write_together",
]

_SQLITE_SIDES = ("-journal", "-wal", "-shm")  # files GDAL's SQLite writes beside a GeoPackage
_ASIDE = "-old"  # a previous file renamed aside by write_together
_SET_ASIDE = re.compile(r"\.(.+)\.tmp-(\d+)(\.[^.]+)?-old")  # name, pid, suffix


def temporary_path(path: Path) -> Path:
    """The temporary name ``path`` is written under before it is renamed into place."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}{path.suffix}")


_TEMPORARY = re.compile(r"\..+\.tmp-\d+(?:\.[^.]+)?(?:-old|-journal|-wal|-shm)?")


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is named as a temporary of :func:`write_atomic` or :func:`write_together`
    (``.<name>.tmp-<pid><suffix>``, a previous file set aside, a GeoPackage's journal)."""
    return _TEMPORARY.fullmatch(path.name) is not None


def write_atomic(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a temporary name beside ``path``, then rename it to ``path``
    (inside :func:`placed_together`, with the other files written there, at its end).

    A write that fails leaves ``path`` as it was and no temporary file, and raises
    :class:`OutputError` when the cause is the disk or the folder (see
    :func:`detector.write_errors.output_error`).
    """
    target = Path(path)
    pending = _PENDING.get()
    if pending is None:
        return write_together([(target, write)])[0]
    _write_temporaries([(target, write)])
    if target not in pending:
        pending.append(target)
    return target


_PENDING: ContextVar[list[Path] | None] = ContextVar("_PENDING", default=None)


@contextmanager
def placed_together() -> Iterator[None]:
    """Inside, :func:`write_atomic` writes each file under its temporary name only; at the end
    they are renamed into place together, as :func:`write_together` does (the first one
    written set aside first and put in place last), and where the block fails or is stopped
    (Ctrl-C), none is. For outputs read as one set written by several functions: ``dredge
    counts --overwrite`` stopped (or failing) while it wrote its KML left the new counts,
    chart, GeoPackage and GeoJSON beside the earlier run's KML."""
    pending: list[Path] = []
    token = _PENDING.set(pending)
    try:
        yield
    except BaseException:
        _remove_temporaries_of(pending)
        raise
    finally:
        _PENDING.reset(token)
    if pending:
        _place_together(pending)


def place_from(staging: Path, out: Path, names: Sequence[str]) -> list[Path]:
    """Move the files ``names`` that were written in the folder ``staging`` (on the same disk)
    into ``out`` together, as :func:`placed_together` places them (the first one set aside
    first and put in place last; stopped, none is placed). For a set of outputs that read one
    another while they are made (``dredge run``: tracks from its detections, counts from its
    tracks, the report from all of them), which therefore cannot wait under temporary names
    beside their targets. Names missing in ``staging`` are left as they are in ``out``."""
    placed = []
    with placed_together():
        for name in names:
            source = staging / name
            if source.is_file():
                placed.append(write_atomic(out / name, _moved_from(source)))
    return placed


def _moved_from(source: Path) -> Callable[[Path], None]:
    def move(tmp: Path) -> None:
        os.replace(source, tmp)

    return move


def write_together(writes: Sequence[tuple[Path, Callable[[Path], Any]]]) -> list[Path]:
    """Write files that are read as one set, each as :func:`write_atomic` writes one: every
    ``write(tmp)`` first, then the renames. Of several, each previous file is first renamed
    aside (``.<name>.tmp-<pid><suffix>-old``), the first one (the file a reader opens first:
    ``tracks.parquet``) before any other and put in place last; a write or rename that fails
    (or Ctrl-C) puts every previous file back. Killed at any moment (SIGKILL), the files are
    the previous set, or the new one, or a set without its first file, which a reader refuses
    as missing and the next command puts back (:func:`put_back_set_aside`). Written one
    after the other, ``dredge track --overwrite`` stopped after its
    tracks and detections left the previous run's observations beside them, which ``dredge
    counts`` took without a word."""
    targets = _write_temporaries(writes)
    _place_together(targets)
    return targets


def _write_temporaries(writes: Sequence[tuple[Path, Callable[[Path], Any]]]) -> list[Path]:
    """Call each ``write(tmp)`` on the temporary name of its target; where one fails (or
    Ctrl-C), remove the temporaries and raise (an :class:`OutputError` for the disk)."""
    targets = [Path(path) for path, _ in writes]
    current = targets[0]
    try:
        for (target, write), tmp in zip(writes, map(temporary_path, targets), strict=True):
            current = Path(target)
            current.parent.mkdir(parents=True, exist_ok=True)
            tmp.unlink(missing_ok=True)  # a GeoPackage would add layers to a stale one
            write(tmp)
    except BaseException as exc:
        _remove_temporaries_of(targets)
        _raise_for(exc, current)
    return targets


def _place_together(targets: list[Path]) -> None:
    """Rename the temporaries of ``targets`` into place (see :func:`write_together`)."""
    temporaries = [temporary_path(target) for target in targets]
    asides = [tmp.with_name(tmp.name + _ASIDE) for tmp in temporaries]
    moved: list[int] = []  # whose previous file is aside
    placed: list[int] = []  # whose new file is in place
    current = targets[0]
    try:
        together = len(targets) > 1  # one file alone is replaced by its rename
        for index in [0, *range(len(targets) - 1, 0, -1)] if together else []:
            current = targets[index]
            if current.exists():
                os.replace(current, asides[index])
                moved.append(index)
            if index:
                os.replace(temporaries[index], current)
                placed.append(index)
        current = targets[0]
        os.replace(temporaries[0], current)
    except BaseException as exc:
        _put_back(targets, asides, moved, placed)
        _raise_for(exc, current)
    finally:
        _remove_temporaries_of(targets)


def _remove_temporaries_of(targets: Sequence[Path]) -> None:
    """Remove the temporaries of ``targets`` this process wrote, and the files set aside."""
    for tmp in map(temporary_path, targets):
        for side in ("", _ASIDE, *_SQLITE_SIDES):
            with suppress(OSError):
                tmp.with_name(tmp.name + side).unlink(missing_ok=True)


def append_line(path: Path, line: str) -> None:
    """Append ``line`` (ending with a newline) to ``path`` in one write, flushed to the OS, so
    that a process killed at any moment (even SIGKILL) leaves the lines before it whole and at
    most this one cut short (a reader drops a last line with no newline:
    :func:`complete_lines`). A write that fails (disk full, read-only) is taken back (the file
    cut to its size before, where the disk lets it) and raises :class:`OutputError`."""
    data = line.encode("utf-8")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    except OSError as exc:
        _raise_for(exc, path)
    try:
        size = os.fstat(descriptor).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
        except BaseException as exc:
            with suppress(OSError):
                os.ftruncate(descriptor, size)
            _raise_for(exc, path)
    finally:
        os.close(descriptor)


def complete_lines(data: bytes) -> bytes:
    """CSV ``data`` up to its last newline outside a quoted field: without the row that a
    process killed while it appended it (:func:`append_line`) left cut short — even just after
    a newline inside its quoted error (a message of two lines, a path with a newline), which
    ended with a newline, was kept, and the CSV reader stopped at the open quote (EOF inside
    string) on every resume."""
    end = position = quotes = 0
    for piece in data.split(b"\n")[:-1]:
        position += len(piece) + 1
        quotes += piece.count(b'"')
        if quotes % 2 == 0:  # every quoted field opened before this newline is closed
            end = position
    return data[:end]


def _put_back(targets: list[Path], asides: list[Path], moved: list[int], placed: list[int]) -> None:
    """Undo the renames of :func:`write_together`: the new files out, the previous ones back."""
    for index in placed:
        with suppress(OSError):
            targets[index].unlink()
    for index in moved:
        with suppress(OSError):
            os.replace(asides[index], targets[index])


def move_into_place(partial: Path, out: Path) -> None:
    """Rename the finished folder ``partial`` to ``out``. A previous ``out`` is renamed aside
    (``.OUT.old``) first and deleted last, so that stopped at any moment (Ctrl-C, a kill) ``out``
    is the previous folder or the new one, whole; stopped between the two renames, the
    previous one is put back (or, after SIGKILL, left as ``.OUT.old``). Deleting the previous
    folder in place first, as ``dredge review --overwrite`` did, lost both when stopped while
    deleting: the old one half deleted, the new one removed with its ``.OUT.partial``."""
    old = out.parent / f".{out.name}.old"
    put_back_folder_set_aside(out)
    if old.exists():  # left by a command killed while it deleted it
        shutil.rmtree(old)
    if out.exists():
        if any(out.iterdir()):
            os.replace(out, old)
        else:
            out.rmdir()
    try:
        os.replace(partial, out)
    except BaseException:
        if old.exists() and not out.exists():
            os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def put_back_folder_set_aside(out: Path) -> bool:
    """Put back the previous folder that :func:`move_into_place` killed between its two renames
    left aside as ``.OUT.old`` with no ``OUT``; True where it did. Call it before deciding
    whether ``OUT`` may be written: the next command found no ``OUT``, needed no
    ``--overwrite``, and deleted ``.OUT.old``, the only copy of the previous folder."""
    old = out.parent / f".{out.name}.old"
    if not old.is_dir() or out.exists():
        return False
    os.replace(old, out)
    return True


def put_back_set_aside(folder: Path) -> list[Path]:
    """Put back the previous files that a :func:`write_together` killed while renaming (SIGKILL,
    out of memory) left set aside in ``folder`` (``.<name>.tmp-<pid><suffix>-old``), before
    its temporaries are swept: where one of the files it set aside is missing (the first one
    goes in place last), the renames were cut short, and the previous set is put back whole
    (the new files placed are replaced); where none is missing, the new set is whole and the
    files aside are left to be swept. They were swept as temporaries: the previous
    ``tracks.parquet`` was deleted by the next command, even one refused for ``--overwrite``."""
    groups: dict[int, list[tuple[Path, Path]]] = {}
    try:
        names = [entry.name for entry in os.scandir(folder) if entry.is_file()]
    except OSError:  # no folder yet
        return []
    for name in names:
        found = _SET_ASIDE.fullmatch(name)
        if found and (found.group(3) or "") == Path(found.group(1)).suffix:
            aside = folder / name
            target = folder / found.group(1)
            if _writer_gone(int(found.group(2)), aside):
                groups.setdefault(int(found.group(2)), []).append((aside, target))
    restored = []
    for pairs in groups.values():
        if all(target.exists() for _, target in pairs):
            continue
        for aside, target in pairs:
            with suppress(OSError):
                os.replace(aside, target)
                restored.append(target)
    return restored


def remove_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files that interrupted writes left in ``folder`` (not below), once
    the previous files a killed :func:`write_together` set aside are back
    (:func:`put_back_set_aside`)."""
    put_back_set_aside(folder)
    removed = []
    for leftover in folder.glob(".*.tmp-*"):
        if leftover.is_file():
            with suppress(OSError):
                leftover.unlink()
                removed.append(leftover)
    return removed


def remove_stale_temporaries(*targets: Path) -> list[Path]:
    """Remove the temporary files of ``targets`` (``.<name>.tmp-<pid><suffix>``, and a
    GeoPackage's journal) that a killed command left, before a command writes them again:
    those of a process that is gone, or that started after the file was last written (its
    number given again, as in a container), and this process's own. A temporary another
    command is writing now is kept. SIGKILL (or running out of memory) leaves no time to remove
    one: ``dredge detect`` killed while writing its table left a file as large as the table
    beside ``--out`` for good; only ``dredge run`` swept them."""
    removed = []
    for folder in dict.fromkeys(target.parent for target in targets):
        put_back_set_aside(folder)
    for target in targets:
        folder = target.parent
        shape = re.compile(
            rf"\.{re.escape(target.name)}\.tmp-(\d+){re.escape(target.suffix)}"
            rf"(?:{'|'.join((_ASIDE, *_SQLITE_SIDES))})?"
        )
        try:
            names = [entry.name for entry in os.scandir(folder) if entry.is_file()]
        except OSError:  # no folder yet: nothing left in it
            continue
        for name in names:
            found = shape.fullmatch(name)
            leftover = folder / name
            if found and _writer_gone(int(found.group(1)), leftover):
                with suppress(OSError):
                    leftover.unlink()
                    removed.append(leftover)
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process numbered ``pid`` runs on this machine (another user's too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, another user's
        pass
    return True


def _writer_gone(pid: int, leftover: Path) -> bool:
    """Whether process ``pid``, named in the temporary ``leftover``, can no longer write it."""
    if pid == os.getpid():
        return True  # a command sweeps before it writes: none of its own is being written
    if not process_alive(pid):
        return True
    try:
        return started_after(pid, leftover.stat().st_mtime)
    except OSError:
        return False


def started_after(pid: int, moment: float) -> bool:
    """True when process ``pid`` started over a second after ``moment`` (a POSIX time): its
    number was given again since; False when its start cannot be read."""
    try:
        import psutil  # distributed's dependency
    except ImportError:  # pragma: no cover - installed with the package
        return False
    try:
        return bool(psutil.Process(pid).create_time() > moment + 1.0)
    except (OSError, psutil.Error):
        return False


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`write_atomic`."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _raise_for(exc: BaseException, path: Path) -> NoReturn:
    """Raise ``exc`` as the :class:`OutputError` of a failed write of ``path`` where it is one
    (:func:`~detector.write_errors.output_error`), else as it is (Ctrl-C, a bug)."""
    error = output_error(exc, path)
    if error is None:
        raise exc
    raise error from exc
