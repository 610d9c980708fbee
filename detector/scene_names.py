"""Checks of the scenes' file names before any work: names that are not UTF-8, two scenes
named alike but for their suffix, and several products of one Planet capture."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence

from detector.acquisition import PLANET_CAPTURE, scene_file_name, scene_stem, without_query
from detector.errors import DredgeError, InputError
from detector.wording import agree, count_of


def check_names_utf8(paths: Sequence[str]) -> None:
    """InputError, before any work, when a scene's path is not valid UTF-8 (a name made on
    Windows, such as ``escena ñ.tif`` unzipped from a Windows archive: its ``ñ`` one byte,
    0xF1): GDAL could not be given it, and the run stopped at that scene with "'utf-8' codec
    can't encode character '\\udcf1' …: surrogates not allowed", naming no file, the other
    scenes left undone."""
    bad = [path for path in paths if not _encodes(path)]
    if not bad:
        return
    raw = os.fsencode(bad[0])
    shown = raw.decode("utf-8", "backslashreplace")
    meant = raw.decode("cp1252", "replace")
    more = f" ({len(bad)} scenes' names are not)" if len(bad) > 1 else ""
    raise InputError(
        shown,
        f"its name is not valid UTF-8{more}: a name made on Windows? ({meant!r} in the Windows "
        "code page)",
        "rename it, e.g. `convmv -f cp1252 -t utf8 --notest -r FOLDER`, or unzip the archive "
        "again with `unzip -O cp1252`",
    )


def _encodes(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_stems_apart(paths: Sequence[str]) -> None:
    """DredgeError when two scenes' paths differ only in their .tif / .tiff / .TIF suffix
    (``nanay.tif`` and ``nanay.TIF`` in one folder): a scene is known by its name without the
    suffix in the tables (chips, detection ids, the dates seen), so the two were taken for one,
    9 chips of one overwritten by the other's and a date seen lost, without a word. Also
    ``Nanay.tif`` and ``nanay.TIF``: their chip files are one on a disk that ignores case
    (macOS, Windows). Scenes of such names in two folders are named apart by their folders
    (:func:`detector.acquisition.scene_labels`); they were refused, ``x/Nanay.tif`` beside
    ``y/nanay.TIF`` too, which a run made before case was folded had named apart."""
    seen: dict[tuple[str, str], str] = {}
    for path in dict.fromkeys(map(str, paths)):
        # composed (NFC), as the tables key scenes (detector.observed.scene_key); the file's
        # name in any case, in one folder
        whole = unicodedata.normalize("NFC", without_query(path))
        folder, _, name = whole.rpartition("/")
        first = seen.setdefault((folder, scene_stem(name).casefold()), path)
        # one path composed and decomposed, or two links' queries: numbered apart
        if first != path and unicodedata.normalize("NFC", without_query(first)) != whole:
            raise DredgeError(
                f"{first} and {path}: two scenes named alike but for their suffix (and "
                "letter case) are one scene to the tables (chips, detections, dates seen) — "
                "rename one"
            )


def same_capture_note(paths: Sequence[str]) -> str | None:
    """One line when several files are products of one Planet capture (its SR and Visual
    products, a clipped copy, the same file in two folders), or None: each is detected, and
    the tracker counts a dredge seen in both once (:mod:`detector.passes`), but the work is
    done twice."""
    first: dict[str, str] = {}
    again: list[tuple[str, str]] = []
    for path in paths:
        match = PLANET_CAPTURE.match(scene_file_name(path))
        if match is None:
            continue
        capture = match.group(1).lower()
        if capture in first:
            again.append((path, first[capture]))
        else:
            first[capture] = path
    if not again:
        return None
    path, earlier = again[0]
    return (
        f"{count_of(len(again), 'scene file')} {agree(len(again), 'is', 'are')} another product "
        "or copy of a Planet capture given "
        f"already (e.g. {scene_file_name(path)} and {scene_file_name(earlier)}): each is "
        "detected, and a dredge seen in both counts once; give one product per capture to save "
        "the time"
    )
