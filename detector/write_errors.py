"""What a refused write says: one :class:`~detector.errors.OutputError` line, never a traceback.

Split from :mod:`detector.writing` (whose names these are imported from too), which writes
files whole: :func:`output_error` turns an OSError of Python, pyarrow or matplotlib, or an
error of pyogrio (GDAL: GeoPackage, GeoJSON), into the line naming the file, what the disk said
(no space left, not writable, a name or path too long) and the fix; :func:`refused_writes` and
:func:`looked_at` raise it around code that writes into, or looks at, an output folder.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from detector.errors import NameTooLongError, OutputError
from detector.wording import count_of

NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}
_ERRNO_IN_TEXT = re.compile(r"errno (\d+)", re.IGNORECASE)
_NO_SPACE_TEXT = ("no space left", "disk is full", "disk quota exceeded", "file too large")
_NOT_WRITABLE_TEXT = ("read-only file system", "permission denied", "operation not permitted")


LOW_SPACE_BYTES = 1 << 20  # less than this left: a write that failed without a reason ran out


@contextmanager
def refused_writes(out: Path, *also: Path) -> Iterator[None]:
    """Turn a write into the folder ``out`` (or the folders ``also``, a ``.OUT.partial``) that
    the disk refused into one :class:`OutputError` line naming ``out``: an OSError naming a file
    in them, or one naming no file (PIL, GDAL) when the cause is the disk (no space, not
    writable). ``dredge review``, ``evaluate`` and ``synth`` on a full disk ended in a raw
    ``OSError: [Errno 28] No space left on device`` or ``RasterioIOError: Write failed``
    traceback. Other errors pass through (a scene that cannot be read is not the disk's)."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        named = os.fsdecode(exc.filename) if isinstance(exc.filename, str | bytes) else None
        if named is not None:
            ours = any(inside(Path(named), folder) for folder in (out, *also))
            error = output_error(exc, Path(named)) if ours else None
        elif _about_writing(exc) and _cause(exc, _existing_folder(out / "x")):
            error = output_error(exc, out)
        else:  # a read that failed on a disk nearly full is still a read
            error = None
        if error is None:
            raise
        raise error from exc


def _about_writing(exc: OSError) -> bool:
    """True when an error that names no file says it is a write's (GDAL: "Write failed")."""
    text = str(exc).lower()
    words = ("writ", *_NO_SPACE_TEXT, *_NOT_WRITABLE_TEXT)
    return exc.errno in NO_SPACE | NOT_WRITABLE or any(word in text for word in words)


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies in it (paths made absolute, not resolved)."""
    path, folder = path.absolute(), folder.absolute()
    return path == folder or folder in path.parents


def output_error(exc: BaseException, path: Path) -> OutputError | None:
    """The one-line error for a failed write of ``path``, or None when it is not one.

    The cause is read from the errno (ENOSPC/EDQUOT/EFBIG: no space; EACCES/EPERM/EROFS: not
    writable), else from the text of pyarrow's and GDAL's errors, else from the folder (read-only,
    or less than 1 MiB free). Any other OSError is reported with its own words; a GDAL error with
    no such cause is not a disk problem (None: the caller lets it through).
    """
    if isinstance(exc, OutputError):
        return exc
    if not isinstance(exc, OSError) and not _is_gdal_error(exc):
        return None
    folder = _existing_folder(path)
    too_long = _name_too_long(exc, path)
    if too_long is not None:
        return too_long
    cause = _cause(exc, folder)
    if cause == "space":
        return OutputError(
            path,
            "could not be written: no space left on the device",
            f"free space on the disk of {folder} and run the same command again",
        )
    if cause == "permission":
        return OutputError(
            path,
            f"could not be written: {folder} is not writable (permission denied or read-only)",
            f"make {folder} writable and run the same command again",
        )
    if not isinstance(exc, OSError):
        return None  # a GDAL error with no sign of the disk: a problem of the data, not the disk
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return OutputError(
        path,
        f"could not be written ({detail})",
        f"check the disk of {folder} (space, permissions) and run the same command again",
    )


NAME_MAX = 255  # bytes of a file name on Linux, macOS and Windows file systems
PATH_MAX = 4096  # bytes of a whole path on Linux, where the system does not say


@contextmanager
def looked_at(path: Path) -> Iterator[None]:
    """Raise the one-line :func:`output_error` for an OSError of looking at ``path`` before it
    is written: ``Path.exists`` raises ENAMETOOLONG on Python 3.11 for a path past the system's
    limit, and an ``--out`` that deep was an OSError traceback, exit 3, before any writing."""
    try:
        yield
    except OSError as exc:
        raise output_error(exc, path) or exc from None


def _name_too_long(exc: BaseException, path: Path) -> OutputError | None:
    """The error for a name past the file system's 255 bytes, or a whole path past the system's
    limit (``PC_PATH_MAX``, else 4096 bytes), both ENAMETOOLONG; None for another error. A chip
    or output named after a scene of 230 characters or more, with the temporary suffix
    (``.<name>.tmp-<pid><suffix>``) added while it is written, said "File name too long" and
    "check the disk (space, permissions)", a fix that could not work. A name too long is the
    name's fault (:class:`NameTooLongError`: a batch goes on with its other scenes); a path too
    long is its folder's (an :class:`OutputError` that stops the command)."""
    number = exc.errno if isinstance(exc, OSError) else None
    if number != errno.ENAMETOOLONG and "file name too long" not in str(exc).lower():
        return None
    named = exc.filename if isinstance(exc, OSError) else None
    refused = Path(os.fsdecode(named)) if isinstance(named, str | bytes) else path
    longest = max((len(os.fsencode(part)) for part in refused.parts), default=0)
    size = len(os.fsencode(path.name))
    if max(longest, size) > NAME_MAX:
        while_written = f", {longest} while written" if longest > size else ""
        return NameTooLongError(
            path,
            f"could not be written: its name is {count_of(size, 'byte')}{while_written}, past "
            f"the {NAME_MAX} a file name may have",
            "give it a shorter name (a shorter output name, or rename the scene it is named "
            "after) and run the same command again",
        )
    whole = max(len(os.fsencode(refused)), len(os.fsencode(path)))
    limit = _path_max(_existing_folder(path))
    return OutputError(
        path,
        f"could not be written: its path is {count_of(whole, 'byte')}, past the {limit:,} a path "
        "may have",
        "write it in a folder of a shorter path (fewer or shorter folder names) and run the same "
        "command again",
    )


def _path_max(folder: Path) -> int:
    """The longest path the system takes under ``folder``, in bytes (4096 where it does not say)."""
    try:
        return int(os.pathconf(folder, "PC_PATH_MAX"))
    except (OSError, ValueError, AttributeError):
        return PATH_MAX


def _cause(exc: BaseException, folder: Path) -> str | None:
    """``space``, ``permission`` or None (unknown), from the error and then from the folder."""
    number = exc.errno if isinstance(exc, OSError) else None
    text = str(exc).lower()
    if number is None:
        found = _ERRNO_IN_TEXT.search(text)
        number = int(found.group(1)) if found else None
    if number in NO_SPACE or any(words in text for words in _NO_SPACE_TEXT):
        return "space"
    if number in NOT_WRITABLE or any(words in text for words in _NOT_WRITABLE_TEXT):
        return "permission"
    if not _writable(folder):
        return "permission"
    with suppress(OSError):
        if shutil.disk_usage(folder).free < LOW_SPACE_BYTES:
            return "space"
    return None


def _writable(folder: Path) -> bool:
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        read_only = False
    return not read_only and os.access(folder, os.W_OK)


def _existing_folder(path: Path) -> Path:
    """The nearest folder above ``path`` that exists. One whose path the system refuses
    (ENAMETOOLONG past its path limit, which ``Path.exists`` raises on Python 3.11) counts as
    missing: the error of a path too long was an OSError traceback, not one line."""
    folder = path.parent
    while not _exists(folder) and folder != folder.parent:
        folder = folder.parent
    return folder


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def _is_gdal_error(exc: BaseException) -> bool:
    """pyogrio's errors (DataSourceError, DataLayerError and its kinds), without importing it."""
    return any(
        kind.__module__.startswith("pyogrio") and kind.__name__.endswith("Error")
        for kind in type(exc).__mro__
    )
