"""`dredge tiles` chips on disk: an earlier run's chips in --out (cleared, kept, named apart),
a batch stopped or a scene failing half way, chips on another disk or a full one, tile ids."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import pytest
import rasterio
import rasterio.shutil
from PIL import Image

from tests.cli_tiles_fixtures import PLANET_NAME, _rivers, _tiles
from tests.geo_fixtures import SceneFixture, write_scene


def _tiled_once(tmp_path: Path) -> tuple[tuple[str, ...], Path]:
    scene = write_scene(tmp_path / "scenes" / PLANET_NAME, width=200, height=200)
    out = tmp_path / "out"
    args = (str(scene.path), "--rivers", str(_rivers(tmp_path, scene)), "--out", str(out))
    assert _tiles(*args)[0] == 0
    return args, out / "chips" / PLANET_NAME.removesuffix(".tif")


@pytest.mark.parametrize("refused", ["unlink", "iterdir"])
def test_earlier_chips_that_cannot_be_cleared_are_one_line_naming_their_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refused: str
) -> None:
    """`dredge tiles --overwrite` over a run whose chips folder was made read-only (or
    unreadable) ended in a PermissionError traceback: removing the earlier chips, and looking
    through their folders, ran outside the command's error handling. (As root, where chmod
    refuses nothing, the refusal is made by hand.)"""
    args, folder = _tiled_once(tmp_path)
    real = getattr(Path, refused)

    def refuse(self: Path, *given: object, **kwargs: object) -> object:
        if folder in (self, self.parent):
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *given, **kwargs)

    monkeypatch.setattr(Path, refused, refuse)
    code, _, stderr = _tiles(*args, "--overwrite")
    assert code == 2, stderr
    assert stderr.strip().splitlines() == [
        f"error: {folder}: the earlier run's chips in it could not be cleared (Permission "
        f"denied) — make {folder} writable and readable (chmod u+rwx), or choose another --out"
    ]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_earlier_chips_in_a_read_only_folder_are_one_line_naming_it(tmp_path: Path) -> None:
    args, folder = _tiled_once(tmp_path)
    folder.chmod(0o555)
    try:
        code, _, stderr = _tiles(*args, "--overwrite")
    finally:
        folder.chmod(0o755)
    assert code == 2, stderr
    assert f"error: {folder}: the earlier run's chips in it could not be cleared" in stderr


def test_chips_of_an_earlier_run_are_neither_rewritten_unasked_nor_left_behind(
    tmp_path: Path,
) -> None:
    """A labelled chip folder used as --out again (no tiles.parquet) had its chips rewritten
    under the same names with other windows; with --overwrite the earlier run's chips that
    were not cut again stayed beside the new ones. The scaling is recorded in the index and is
    the bundled model's by default (reflectance-scaled chips were near black for it)."""
    scene = write_scene(tmp_path / "scenes" / PLANET_NAME, width=200, height=200)
    rivers = _rivers(tmp_path, scene)
    out = tmp_path / "out"
    args = (str(scene.path), "--rivers", str(rivers), "--out", str(out), "--tile-px", "64")
    code, _, stderr = _tiles(*args, "--overlap-px", "8")
    assert code == 0, stderr
    first = gpd.read_parquet(out / "tiles.parquet")
    assert set(first["scale"]) == {"display"}
    label = out / first["chip"].iloc[0]
    label.with_suffix(".txt").write_text("0 0.5 0.5 0.1 0.1\n")  # labelled in place
    (out / "tiles.parquet").unlink()
    code, _, stderr = _tiles(*args, "--overlap-px", "24")
    assert code == 2 and f"{out / 'chips'}: holds" in stderr and "1 of them labels" in stderr
    code, _, stderr = _tiles(*args, "--overlap-px", "24", "--overwrite")
    assert code == 0, stderr
    code, _, stderr = _tiles(*args, "--tile-px", "32", "--overlap-px", "4", "--overwrite")
    assert code == 0, stderr
    assert "1 label file of the earlier run kept" in stderr and "check it against" in stderr
    index = gpd.read_parquet(out / "tiles.parquet")
    on_disk = {p.relative_to(out).as_posix() for p in (out / "chips").rglob("*.png")}
    assert on_disk == set(index["chip"])  # no stale chip beside the new ones
    assert label.with_suffix(".txt").is_file()  # the user's label is kept


def test_a_scene_named_like_the_earlier_runs_does_not_take_its_chips_names(
    tmp_path: Path,
) -> None:
    """Two scenes of one file name from two folders (NICFI quads of two months), tiled by two
    runs into one --out: the second run's chips took the first's names, so the first scene's
    labels, kept by --overwrite, lay beside the other scene's pixels (9 of 11 on a demo scene).
    Now the other scene is named by its folder, as one run names them; the same scene keeps
    its chips' names under any spelling of its path."""
    first = write_scene(tmp_path / "a" / "scene.tif", width=200, height=200)
    second = write_scene(tmp_path / "b" / "scene.tif", width=200, height=200, dredge_offset_px=4)
    rivers = _rivers(tmp_path, first)
    out = tmp_path / "out"
    common = ("--rivers", str(rivers), "--out", str(out), "--tile-px", "64", "--date", "2024-01-01")
    code, _, stderr = _tiles(str(first.path), *common)
    assert code == 0, stderr
    labels = {
        (out / chip).with_suffix(".txt") for chip in gpd.read_parquet(out / "tiles.parquet").chip
    }
    for label in labels:
        label.write_text("0 0.5 0.5 0.1 0.1\n")  # labelled in place

    def names_and_labels_beside(*scenes: Path) -> tuple[set[str], int]:
        code, _, stderr = _tiles(*map(str, scenes), *common, "--overwrite")
        assert code == 0, stderr
        index = gpd.read_parquet(out / "tiles.parquet")
        beside = {(out / chip).with_suffix(".txt") for chip in index["chip"]} & labels
        return set(index["scene_name"]), len(beside)

    again = tmp_path / "a" / ".." / "a" / "scene.tif"
    assert names_and_labels_beside(again) == ({"scene.tif"}, len(labels))  # the same scene
    assert names_and_labels_beside(second.path) == ({"b_scene.tif"}, 0)
    third = write_scene(tmp_path / "c" / "scene.tif", width=200, height=200)
    assert names_and_labels_beside(third.path) == ({"c_scene.tif"}, 0)  # labels of a run before


def test_scenes_named_alike_but_for_case_get_chips_apart_on_a_disk_that_ignores_case(
    tmp_path: Path,
) -> None:
    """`a/Nanay.tif` and `b/nanay.tif` gave `chips/Nanay/Nanay_r000_c000.png` and
    `chips/nanay/nanay_r000_c000.png`: one file on macOS or Windows, one scene's chips over
    the other's. No disk here ignores case, so the chips' paths are compared case-folded."""
    first = write_scene(tmp_path / "a" / "Nanay.tif", width=200, height=200)
    write_scene(tmp_path / "b" / "nanay.tif", width=200, height=200, dredge_offset_px=4)
    out = tmp_path / "out"
    code, _, stderr = _tiles(
        str(first.path), str(tmp_path / "b" / "nanay.tif"), "--rivers",
        str(_rivers(tmp_path, first)), "--out", str(out), "--tile-px", "64", "--date",
        "2024-01-01",
    )  # fmt: skip
    assert code == 0, stderr
    index = gpd.read_parquet(out / "tiles.parquet")
    assert set(index["scene_name"]) == {"a_Nanay.tif", "b_nanay.tif"}
    chips = [str(chip).casefold() for chip in index["chip"]]
    assert len(chips) > 2 and len(set(chips)) == len(chips)
    assert len({str(tile).casefold() for tile in index["tile_id"]}) == len(chips)


def _listed_and_on_disk(out: Path) -> tuple[set[str], set[str]]:
    index = gpd.read_parquet(out / "tiles.parquet")
    on_disk = {p.relative_to(out).as_posix() for p in (out / "chips").rglob("*.png")}
    return set(index["chip"]), on_disk


def _tiles_stopped_at(chip: int, stop: object, args: tuple[str, ...]) -> None:
    """`dredge tiles ARGS` with ``stop()`` called in place of writing its chip number ``chip``."""
    import detector.chips as chips

    real, written = chips.write_chip, [0]

    def write_chip(*given: object) -> None:
        written[0] += 1
        if written[0] == chip:
            stop()  # type: ignore[operator]
        real(*given)  # type: ignore[arg-type]

    chips.write_chip = write_chip  # type: ignore[assignment]
    try:
        _tiles(*args)
    finally:
        chips.write_chip = real


def _interrupt() -> None:
    raise KeyboardInterrupt


def _killed() -> None:
    os._exit(9)


@pytest.mark.parametrize("stop", ["ctrl-c", "kill"])
def test_a_batch_stopped_half_way_leaves_an_index_of_the_chips_there(
    stop: str, tmp_path: Path
) -> None:
    """`dredge tiles --overwrite` wrote its index once, at the end: stopped half-way (another
    tile size), it left the earlier run's index beside the new chips: of 68 chips it listed,
    55 were gone and 13 were new pixels under the old names; 2 new chips were listed nowhere,
    and a rerun with --overwrite did not remove them. Now the index lists every chip in
    chips/ at any moment; a rerun sweeps the scene being cut when killed."""
    import multiprocessing

    a = write_scene(tmp_path / "scenes" / "a.tif", width=200, height=200)
    b = write_scene(tmp_path / "scenes" / "b.tif", width=200, height=200, dredge_offset_px=4)
    rivers = _rivers(tmp_path, a)
    out = tmp_path / "out"
    args = (str(a.path), str(b.path), "--rivers", str(rivers), "--out", str(out))
    code, _, stderr = _tiles(*args, "--tile-px", "64")
    assert code == 0, stderr
    second = (*args, "--tile-px", "32", "--overlap-px", "4", "--overwrite")
    for chip in (20, 60):  # in the first scene, in the second
        if stop == "ctrl-c":
            _tiles_stopped_at(chip, _interrupt, second)
        else:
            child = multiprocessing.get_context("fork").Process(
                target=_tiles_stopped_at, args=(chip, _killed, second)
            )
            child.start()
            child.join(120)
            assert child.exitcode == 9
        listed, on_disk = _listed_and_on_disk(out)
        assert listed == on_disk
        windows = gpd.read_parquet(out / "tiles.parquet")["window"]
        assert all(list(window)[2:] == [32, 32] for window in windows)
        assert (out / ".chips.partial").exists() == (stop == "kill")
    code, _, stderr = _tiles(*second)
    assert code == 0, stderr
    listed, on_disk = _listed_and_on_disk(out)
    assert listed == on_disk and len(listed) == 94
    assert not (out / ".chips.partial").exists()


def test_a_scene_that_fails_half_way_leaves_none_of_its_chips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scene whose read failed after some tiles (a damaged block, a dropped connection) was
    recorded as failed and the batch went on, with the chips it had cut left in chips/,
    listed in no index."""
    from detector.errors import InputError
    from detector.tiling import TilePlan

    scene = write_scene(tmp_path / "scenes" / PLANET_NAME, width=200, height=200)
    rivers = _rivers(tmp_path, scene)
    out = tmp_path / "out"
    real, reads = TilePlan.read, [0]

    def read(plan: TilePlan, tile: object) -> object:
        reads[0] += 1
        if reads[0] == 3:
            raise InputError(plan.scene.path, "block 3 cannot be read", "export it again")
        return real(plan, tile)  # type: ignore[arg-type]

    monkeypatch.setattr(TilePlan, "read", read)
    args = (str(scene.path), "--rivers", str(rivers), "--out", str(out), "--tile-px", "64")
    code, _, stderr = _tiles(*args)
    assert code == 1 and "block 3 cannot be read" in stderr
    assert _listed_and_on_disk(out) == (set(), set())


def _chips_on_another_disk(tmp_path: Path) -> tuple[SceneFixture, Path, Path, Path]:
    """A scene, its rivers, OUT, and a folder on another file system (tmpfs) for OUT/chips to
    link to; the test is skipped where /dev/shm is the temporary folder's file system."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another file system than the temporary folder")
    scene = write_scene(tmp_path / "scenes" / "a.tif", width=200, height=200)
    out = tmp_path / "out"
    out.mkdir()
    return scene, _rivers(tmp_path, scene), out, Path(tempfile.mkdtemp(dir=shm))


def test_chips_folder_on_another_disk(tmp_path: Path) -> None:
    """OUT/chips as a link to another disk (a bigger one): the chips, cut in OUT/.chips.partial
    to be listed before they are in place, could not be renamed across disks (EXDEV), and the
    batch stopped with "could not be written"; they are copied there."""
    scene, rivers, out, other = _chips_on_another_disk(tmp_path)
    try:
        (out / "chips").symlink_to(other, target_is_directory=True)
        code, _, stderr = _tiles(str(scene.path), "--rivers", str(rivers), "--out", str(out))
        assert code == 0, stderr
        listed, on_disk = _listed_and_on_disk(out)
        assert listed == on_disk and len(listed) > 0
        assert any(other.rglob("*.png"))
    finally:
        shutil.rmtree(other)


def test_the_index_is_written_a_few_times_in_a_batch_not_once_per_scene(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rewritten whole after each scene, the index cost 19 s for 400 scenes of 25 chips (0.1 s
    written once) and grew with the square of the batch; it is written when the scenes cut
    since hold as many chips as it lists, and lists every chip at the end."""
    import detector.chips as chips

    first = write_scene(tmp_path / "scenes" / "s00.tif", width=200, height=200)
    for k in range(1, 12):
        write_scene(tmp_path / "scenes" / f"s{k:02d}.tif", width=200, height=200)
    writes: list[int] = []
    write_index = chips.write_index

    def counted(rows: list[dict[str, object]], path: Path) -> None:
        writes.append(len(rows))
        write_index(rows, path)

    monkeypatch.setattr(chips, "write_index", counted)
    out = tmp_path / "out"
    args = [str(tmp_path / "scenes"), "--rivers", str(_rivers(tmp_path, first)), "--out", str(out)]
    code, _, stderr = _tiles(*args)
    assert code == 0, stderr
    listed, on_disk = _listed_and_on_disk(out)
    assert listed == on_disk and writes[-1] == len(listed) > 0
    assert len(writes) <= 1 + 5, writes  # the empty index, then doubling: 1, 2, 4, 8, 12 scenes


def test_a_disk_that_fills_up_while_chips_are_copied_to_it_leaves_no_half_chip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """chips/ on another disk: a chip is copied there, and a copy that the disk stopped half-way
    (full) was left in chips/ under the chip's name, listed in the index, cut short."""
    import errno

    scene, rivers, out, other = _chips_on_another_disk(tmp_path)
    copies = [0]
    real = shutil.copyfile

    def copyfile(src: object, dst: object, **kwargs: object) -> object:
        copies[0] += 1
        if copies[0] == 2:  # the disk fills up half-way through the second chip
            data = Path(str(src)).read_bytes()
            Path(str(dst)).write_bytes(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(shutil, "copyfile", copyfile)
    try:
        (out / "chips").symlink_to(other, target_is_directory=True)
        args = ("--rivers", str(rivers), "--out", str(out), "--tile-px", "64")
        code, _, stderr = _tiles(str(scene.path), *args)
        assert code == 2 and "no space" in stderr.lower(), stderr
        for chip in other.rglob("*"):
            if chip.is_file():
                Image.open(chip).load()  # whole, or not there
    finally:
        shutil.rmtree(other)


def test_scenes_of_one_name_but_another_format_keep_their_tile_ids_apart(tmp_path: Path) -> None:
    """``a.tif`` and ``a.img`` in one run: tile ids dropped any suffix while scenes are told
    apart by their name without .tif/.tiff, so 34 of the 68 ids in ``tiles.parquet`` named
    two chips (the dataset names chips by them). Now one rule makes the stem everywhere."""
    first = write_scene(tmp_path / "s" / "a.tif", width=200, height=200)
    other = write_scene(tmp_path / "t" / "src.tif", width=200, height=200, dredge_offset_px=4)
    img = tmp_path / "s" / "a.img"
    rasterio.shutil.copy(other.path, img, driver="HFA")
    out = tmp_path / "out"
    args = ("--rivers", str(_rivers(tmp_path, first)), "--out", str(out), "--tile-px", "64")
    code, _, stderr = _tiles(str(first.path), str(img), *args, "--date", "2024-01-01")
    assert code == 0, stderr
    index = gpd.read_parquet(out / "tiles.parquet")
    assert set(index["scene_name"]) == {"a.tif", "a.img"}
    assert index["tile_id"].is_unique and index["chip"].is_unique
    assert {Path(chip).stem for chip in index["chip"]} == set(index["tile_id"])
