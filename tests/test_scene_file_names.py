"""Which file names in a folder or a glob are scenes: UDM masks in any letter case, hidden
files."""

from __future__ import annotations

from pathlib import Path

import pytest

from detector.chips import is_mask_file, is_scene_file, no_scenes_message
from detector.scene_sources import resolve_scenes

SCENE = "A_3B_ANALYTICMS_SR.TIF"


def names(paths: list[str]) -> list[str]:
    return [Path(p).name for p in paths]


@pytest.fixture
def upper(tmp_path: Path) -> Path:
    """A Planet order whose names a tool wrote in capitals, mask and all."""
    folder = tmp_path / "upper"
    folder.mkdir()
    for name in (SCENE, "A_3B_UDM2.TIF", "A_3B_ANALYTICMS_DN_UDM.TIFF", "A_3B_Udm2_Clip.tif"):
        (folder / name).write_bytes(b"")
    return folder


def test_masks_named_in_capitals_are_no_scenes(upper: Path) -> None:
    """`…_3B_UDM2.TIF` was taken as a scene (its mask markers were looked for in lower case
    only): in a folder, a glob and one by one, 4 scenes where there is 1."""
    assert [p.name for p in sorted(upper.iterdir()) if not is_mask_file(p)] == [SCENE]
    assert names(resolve_scenes([upper]).paths) == [SCENE]
    assert names(resolve_scenes([str(upper / "*")]).paths) == [SCENE]
    given = resolve_scenes(sorted(str(p) for p in upper.iterdir()))
    assert names(given.paths) == [SCENE]
    assert any("left out 3 UDM mask files given as scenes" in note for note in given.notes)


def test_hidden_files_in_a_folder_are_no_scenes_unless_named(tmp_path: Path) -> None:
    """`.a.tif` (an editor's or a sync tool's hidden copy) in a folder was read as a scene
    (only macOS's `._` files were passed over); it is one where the user names it, by its
    name or by a glob that asks for dot-names."""
    folder = tmp_path / "scenes"
    folder.mkdir()
    for name in ("a.tif", ".a.tif", "._a.tif", ".~lock.b.tif"):
        (folder / name).write_bytes(b"")
    assert not is_scene_file(folder / ".a.tif") and is_scene_file(folder / "a.tif")
    assert names(resolve_scenes([folder]).paths) == ["a.tif"]
    assert names(resolve_scenes([str(folder / "*.tif")]).paths) == ["a.tif"]
    assert names(resolve_scenes([folder / ".a.tif"]).paths) == [".a.tif"]
    assert names(resolve_scenes([str(folder / ".a*")]).paths) == [".a.tif"]


def test_scenes_in_hidden_folders_are_not_pointed_at(tmp_path: Path) -> None:
    """A scene in a hidden folder (`.Trash/`, `.git/…`, `.snapshots/…`) was counted in the
    "N scenes in subfolders" advice of an empty folder and of a folder that gave scenes (the
    subfolders were searched at any depth, each file's own name alone checked)."""
    empty = tmp_path / "empty"
    for hidden in (".Trash/x.tif", ".git/lfs/objects/y.tif", "month/.snapshots/z.tif"):
        (empty / hidden).parent.mkdir(parents=True, exist_ok=True)
        (empty / hidden).write_bytes(b"")
    assert no_scenes_message([empty]) == f"no scenes (*.tif) in {empty}"
    (empty / "month" / "a.tif").write_bytes(b"")
    assert no_scenes_message([empty]).startswith(
        f"no scenes (*.tif) in {empty}; 1 lies in subfolders ({empty / 'month'})"
    )
    full = tmp_path / "full"
    (full / ".Trash").mkdir(parents=True)
    (full / "a.tif").write_bytes(b"")
    (full / ".Trash" / "b.tif").write_bytes(b"")
    assert not [n for n in resolve_scenes([full]).notes if "subfolders" in n]
    (full / "2024-01").mkdir()
    (full / "2024-01" / "c.tif").write_bytes(b"")
    notes = [n for n in resolve_scenes([full]).notes if "subfolders" in n]
    assert len(notes) == 1 and "1 scene in its subfolders (e.g. 2024-01/c.tif)" in notes[0]


def test_a_folder_of_hidden_scenes_alone_names_them(tmp_path: Path) -> None:
    """A folder whose only GeoTIFFs are hidden (`.a.tif`, `.~lock.b.TIF`) said 'no scenes
    (*.tif) in FOLDER', of a folder that holds them (and `ls` does not show them): it names
    them and how to read them, by a glob that asks for dot-names (read then)."""
    folder = tmp_path / "scenes"
    folder.mkdir()
    for name in (".a.tif", "._a.tif", ".~lock.b.TIF"):
        (folder / name).write_bytes(b"")
    assert no_scenes_message([folder]) == (
        f"no scenes (*.tif) in {folder}; it holds 2 hidden files (e.g. .a.tif), not read from "
        "a folder (where editors and sync tools leave hidden copies): give them by name or by "
        f"quoted globs such as '{folder}/.*.tif' '{folder}/.*.TIF'"
    )
    assert names(resolve_scenes([str(folder / ".*.tif")]).paths) == [".a.tif"]
    (folder / ".a.tif").unlink()
    (folder / ".~lock.b.TIF").unlink()
    assert no_scenes_message([folder]) == f"no scenes (*.tif) in {folder}"  # `._a.tif` alone


def test_hidden_scenes_of_two_suffixes_are_all_covered_by_the_globs_suggested(
    tmp_path: Path,
) -> None:
    """A folder of hidden `.a.tif`, `.b.tiff` and `.~lock.c.TIF` was told to read them by
    'scenes/.*.tif' alone (the first file's suffix; glob is case-sensitive and has no braces):
    1 of the 3 read. A glob per suffix present now reads all 3."""
    folder = tmp_path / "scenes"
    folder.mkdir()
    for name in (".a.tif", ".b.tiff", ".~lock.c.TIF"):
        (folder / name).write_bytes(b"")
    message = no_scenes_message([folder])
    assert message.endswith(
        f"give them by name or by quoted globs such as '{folder}/.*.tif' '{folder}/.*.tiff' "
        f"'{folder}/.*.TIF'"
    )
    globs = message.split("such as ")[1].replace("'", "").split()
    assert names(resolve_scenes(globs).paths) == [".a.tif", ".b.tiff", ".~lock.c.TIF"]
    mosaics = tmp_path / "mosaics"  # other rasters alike: it suggested '*.vrt' alone
    mosaics.mkdir()
    for name in ("a.vrt", "b.jp2"):
        (mosaics / name).write_text("<VRTDataset/>")
    assert no_scenes_message([mosaics]).endswith(
        f"by quoted globs such as '{mosaics}/*.vrt' '{mosaics}/*.jp2'"
    )
