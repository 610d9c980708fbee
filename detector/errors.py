"""Errors the tool reports to a user as one clear line (the file, what is wrong, the fix)."""

from __future__ import annotations

from pathlib import Path


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type's name when it has none (what a
    reader library said, inside one line of ours)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class DredgeError(Exception):
    """An error caused by the user's input or environment, reported as one line."""


class UsageError(DredgeError, ValueError):
    """A value given to the tool out of its range or form (an option, a parameter): one line
    as any DredgeError, and a ValueError to the library's callers. Commands that catch no
    other ValueError report one raised elsewhere as the fault it is (a bug), not as bad
    input."""


class FileError(DredgeError):
    """A problem with one file: the message names the file, what is wrong and the fix."""

    def __init__(self, path: object, problem: str, fix: str = "") -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        message = f"{self.path}: {problem}"
        if fix:
            message += f" — {fix}"
        super().__init__(message)

    def __reduce__(self) -> tuple[type[FileError], tuple[str, str, str]]:
        """Rebuilt from its parts when pickled: raised in a worker process (world drawing, chip
        cutting, a Dask worker), it reaches the caller as the same one line."""
        return (type(self), (self.path, self.problem, self.fix))


class InputError(FileError):
    """A file the user gave cannot be used; the message names the file and the fix."""


class OutputError(FileError):
    """A file could not be written (disk full, folder not writable); names the file and the fix."""


class NameTooLongError(OutputError):
    """A file could not be written under its name, past the file system's 255 bytes: the name's
    fault (a scene's), not the disk's, so a batch goes on with its other scenes."""


def not_a_file(path: str | Path, fix: str, expected: str | None = None) -> InputError:
    """The error for an input ``path`` that is no file: 'is a folder' where it is one (it said
    'file not found' of a folder that is there: a `dredge run` folder given for its
    tracks.parquet), naming the file ``expected`` in it where that is there; else 'file not
    found'."""
    folder = Path(path)
    if not folder.is_dir():
        return InputError(path, "file not found", fix)
    if expected is not None and (folder / expected).is_file():
        return InputError(path, "is a folder", f"give the file in it, {folder / expected}")
    return InputError(path, "is a folder", fix)
