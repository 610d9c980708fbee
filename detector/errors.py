"""Errors the tool reports to a user as one clear line (the file, what is wrong, the fix)."""

from __future__ import annotations


class DredgeError(Exception):
    """An error caused by the user's input or environment, reported as one line."""


class InputError(DredgeError):
    """A file the user gave cannot be used; the message names the file and the fix."""

    def __init__(self, path: object, problem: str, fix: str = "") -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        message = f"{self.path}: {problem}"
        if fix:
            message += f" — {fix}"
        super().__init__(message)


class OutputError(DredgeError):
    """A file could not be written (disk full, folder not writable); names the file and the fix."""

    def __init__(self, path: object, problem: str, fix: str = "") -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        message = f"{self.path}: {problem}"
        if fix:
            message += f" — {fix}"
        super().__init__(message)
