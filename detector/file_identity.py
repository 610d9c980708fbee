"""Whether two paths name one file, also on file systems that number no file.

Some file systems report inode 0 for every file (FAT, some network and FUSE mounts, Windows
shares through some clients): (st_dev, st_ino) is then every file's, and ``Path.samefile``
says any two files on the drive are one. There a file is told by its path with links
resolved, case-folded where ``os.path.normcase`` folds it (Windows): on Linux and macOS a
disk blind to case that numbers no file gives ``a.xml`` and ``a.XML`` as two.
"""

from __future__ import annotations

import os
from pathlib import Path


def file_identity(path: Path, status: os.stat_result) -> tuple[int, int] | str:
    """What tells ``path`` (whose ``stat`` is ``status``) from other files: its device and
    inode (``a.xml`` and ``a.XML``, one file on a disk blind to case), or, where the inode is
    0, its resolved path (normcased)."""
    if status.st_ino == 0:
        return os.path.normcase(str(path.resolve()))
    return status.st_dev, status.st_ino


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` and ``b`` name one existing file (another spelling, a link); OSError where
    either cannot be looked at. ``Path.samefile`` said yes of any two files where every inode
    is 0."""
    first, second = Path(a), Path(b)
    return file_identity(first, first.stat()) == file_identity(second, second.stat())
