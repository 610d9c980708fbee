"""Which files are scenes: GeoTIFFs by their suffix, less UDM masks and hidden files, found in
folders given (not their subfolders), and why a folder gave none.

Split from :mod:`detector.chips` (whose names these are imported from too), which cuts the
scenes into chips: the suffixes read (:data:`SCENE_SUFFIXES`, :data:`OTHER_RASTER_SUFFIXES`),
what is a scene or a mask (:func:`is_scene_file`, :func:`is_mask_file`), the scenes of paths
and folders (:func:`expand_scene_paths`) and of subfolders (:func:`scenes_in_subfolders`), and
the line for a folder with none (:func:`no_scenes_message`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from detector.acquisition import is_remote
from detector.wording import agree, count_of

SCENE_SUFFIXES = (".tif", ".tiff")
OTHER_RASTER_SUFFIXES = (".vrt", ".jp2", ".j2k", ".ntf", ".nitf", ".img")
"""Rasters GDAL reads that a folder is not searched for (a Sentinel-2 SAFE folder holds one
JP2 per band; a VRT often wraps a GeoTIFF beside it): named one by one or by a glob, they are
read like GeoTIFFs."""
MASK_MARKERS = ("_udm2", "_udm")


def is_scene_file(path: Path, *, hidden: bool = False) -> bool:
    """A GeoTIFF by its suffix that is not a UDM mask lying beside a scene, nor a hidden file
    (its name starting with a dot: an editor's or a sync tool's copy, the ``._`` file macOS
    writes beside each file on a drive formatted for Windows). With ``hidden`` (a glob's
    match: the glob left hidden files out unless its pattern asked for them) a hidden file is
    a scene, a ``._`` file still not."""
    name = path.name
    return (
        path.suffix.lower() in SCENE_SUFFIXES
        and not is_mask_file(path)
        and not name.startswith("._")
        and (hidden or not name.startswith("."))
    )


def is_mask_file(path: Path) -> bool:
    """A Planet UDM mask by its name (``…_3B_udm2.tif``, ``…_udm2_clip.tif``, ``…_DN_udm.tif``),
    in any letter case (``…_3B_UDM2.TIF``)."""
    name = path.name.lower()
    return path.suffix.lower() in SCENE_SUFFIXES and any(marker in name for marker in MASK_MARKERS)


def scenes_in_subfolders(folder: Path) -> list[Path]:
    """The scene files (:func:`is_scene_file`) in ``folder``'s subfolders at any depth, sorted,
    less those in hidden folders (``.Trash/``, ``.git/``, ``.snapshots/``: not searched, as a
    hidden file is no scene; their files were counted in the advice to give the subfolders)."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        if root != str(folder):
            found += [path for name in files if is_scene_file(path := Path(root, name))]
    return sorted(found)


def one_or_many(items: Iterable[str | Path] | str | Path) -> list[str | Path]:
    """``items`` as a list, one path given alone (a ``str`` or ``Path`` from Python) as a list
    of it: iterated, ``"scenes"`` was the scenes ``s``, ``c``, ``e``, … (a run of 14 failed
    scenes and empty counts, without an error)."""
    return [items] if isinstance(items, str | Path) else list(items)


def expand_scene_paths(items: Iterable[str | Path] | str | Path) -> list[str]:
    """Scene files from paths, folders (their ``*.tif`` / ``*.tiff``, in any case) and URLs;
    one path given alone is one item (:func:`one_or_many`).

    UDM masks lying next to the scenes (named in any case) and a folder's hidden files
    (:func:`is_scene_file`) are not scenes and are left out; a missing path is kept so that
    opening it reports it.
    """
    found: list[str] = []
    for item in one_or_many(items):
        text = str(item)
        path = Path(text)
        if not is_remote(text) and path.is_dir():
            found += [str(child) for child in sorted(path.iterdir()) if is_scene_file(child)]
        else:
            found.append(text)
    return list(dict.fromkeys(found))


def globs_for(paths: Sequence[Path], stem: str) -> str:
    """'a quoted glob such as …', or 'quoted globs such as … …', one per folder and suffix of
    ``paths`` as written (glob is case-sensitive and reads no braces: ``.*.tif`` misses
    ``.b.tiff`` and ``.c.TIF``)."""
    globs = list(dict.fromkeys(f"'{path.parent}/{stem}{path.suffix}'" for path in paths))
    return f"{agree(len(globs), 'a quoted glob', 'quoted globs')} such as {' '.join(globs)}"


def no_scenes_message(items: Sequence[str | Path] | str | Path) -> str:
    """Why ``items`` gave no scene, and where scenes lie in their subfolders (a Planet order
    unpacks its scenes into a subfolder such as ``PSScene/``), or the hidden files a folder
    holds (``.a.tif``, passed over by :func:`is_scene_file`)."""
    items = one_or_many(items)
    message = f"no scenes (*.tif) in {', '.join(map(str, items))}"
    folders = [Path(str(item)) for item in items if Path(str(item)).is_dir()]
    nested = [path for folder in folders for path in scenes_in_subfolders(folder)]
    if not nested:
        hidden = [
            path
            for folder in folders
            for path in sorted(folder.iterdir())
            if not is_scene_file(path) and is_scene_file(path, hidden=True)
        ]
        if hidden:  # passed over as an editor's or a sync tool's copies: said, not hidden
            return (
                f"{message}; it holds {count_of(len(hidden), 'hidden file')} (e.g. "
                f"{hidden[0].name}), not read from a folder (where editors and sync tools "
                f"leave hidden copies): give {agree(len(hidden), 'it', 'them')} by name or by "
                f"{globs_for(hidden, '.*')}"
            )
        zips = [path for folder in folders for path in sorted(folder.glob("*.zip"))]
        if zips:
            unzip = agree(
                len(zips), "it and give the unzipped folder", "them and give the unzipped folders"
            )
            return (
                f"{message}; it holds {count_of(len(zips), 'zip archive')} (e.g. {zips[0].name}): "
                f"unzip {unzip}"
            )
        others = [
            path
            for folder in folders
            for path in sorted(folder.iterdir())
            if path.suffix.lower() in OTHER_RASTER_SUFFIXES
        ]
        if others:
            return (
                f"{message}; it holds {count_of(len(others), 'other raster')} (e.g. "
                f"{others[0].name}), which a folder is not searched for: give "
                f"{agree(len(others), 'it', 'them')} by name or by {globs_for(others, '*')}"
            )
        return message
    places = sorted({str(path.parent) for path in nested})
    shown = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
    return (
        f"{message}; {len(nested)} {agree(len(nested), 'lies', 'lie')} in subfolders ({shown}) "
        "— give those folders, or a "
        f"quoted glob such as '{folders[0]}/**/*.tif'"
    )
