"""File systems that number no file (``st_ino`` 0 for every file: some network and FUSE
mounts, Windows shares through some clients): a scene's metadata files are each read, not
taken for one file because they share (st_dev, 0)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from detector.maxar_radiometry import product_metadata, product_metadata_files
from detector.sidecars import sidecar_time
from tests.geo_fixtures import write_scene
from tests.test_maxar_radiometry import CALIBRATION, PRODUCT, imd_text, xml_text

EXTRA_STAT = ("st_atime", "st_mtime", "st_ctime", "st_atime_ns", "st_mtime_ns", "st_ctime_ns")


@pytest.fixture
def no_inodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Path.stat reports inode 0 for every file, as such a file system does."""
    real = Path.stat

    def stat(self: Path, *, follow_symlinks: bool = True) -> os.stat_result:
        got = real(self, follow_symlinks=follow_symlinks)
        fields = list(got[:10])
        fields[1] = 0  # st_ino
        return os.stat_result(fields, {key: getattr(got, key) for key in EXTRA_STAT})

    monkeypatch.setattr(Path, "stat", stat)


@pytest.mark.usefixtures("no_inodes")
def test_a_products_xml_and_imd_are_both_read_where_every_inode_is_0(tmp_path: Path) -> None:
    """Every IMD/XML after the first was passed over: an XML lacking a band (looked at first)
    refused the scene beside its complete IMD."""
    path = write_scene(tmp_path / f"{PRODUCT}.TIF", width=40, height=40).path
    assert path.stat().st_ino == 0
    (tmp_path / f"{PRODUCT}.IMD").write_text(imd_text(CALIBRATION))
    three = {group: CALIBRATION[group] for group in ("BAND_B", "BAND_G", "BAND_R")}
    (tmp_path / f"{PRODUCT}.XML").write_text(xml_text(three))
    assert [m.source.suffix for m in product_metadata_files(path)] == [".XML", ".IMD"]
    found = product_metadata(path, set(CALIBRATION))
    assert found is not None and found.source.suffix == ".IMD"


@pytest.mark.usefixtures("no_inodes")
def test_a_scenes_second_metadata_file_dates_it_where_every_inode_is_0(tmp_path: Path) -> None:
    """A first metadata file of a default date for none (1980-01-01 00:00) and a second of the
    scene's day: the second was passed over, and the scene left undated."""
    scene = tmp_path / "scene_a.tif"
    placeholder = {"properties": {"acquired": "1980-01-01T00:00:00Z"}}
    (tmp_path / "scene_a.json").write_text(json.dumps(placeholder))
    dated = {"properties": {"acquired": "2023-07-15T14:50:12Z"}}
    (tmp_path / "scene_a_metadata.json").write_text(json.dumps(dated))
    got = sidecar_time(scene)
    assert got is not None
    assert got[0] == datetime(2023, 7, 15, 14, 50, 12, tzinfo=UTC)


@pytest.mark.usefixtures("no_inodes")
def test_two_files_are_not_one_where_every_inode_is_0(tmp_path: Path) -> None:
    """Path.samefile said any two files were one: a scene given to `dredge tiles --overwrite`
    took the name of an earlier run's other scene of that file name, and `dredge track` took
    its --out files from before for its DETECTIONS."""
    import pandas as pd

    from detector.chips import INDEX_NAME, earlier_scene_names
    from detector.cli.counting import _same_file
    from detector.file_identity import same_file

    first, second = tmp_path / "a" / "scene.tif", tmp_path / "b" / "scene.tif"
    for path in (first, second):
        path.parent.mkdir()
        path.write_bytes(b"II*\x00")
    assert not same_file(first, second) and same_file(
        first, tmp_path / "a" / ".." / "a" / "scene.tif"
    )
    assert not _same_file(first, second)
    out = tmp_path / "out"
    out.mkdir()
    pd.DataFrame({"scene": [str(first)], "scene_name": ["a_scene.tif"]}).to_parquet(
        out / INDEX_NAME
    )
    assert earlier_scene_names(out, [str(second)]) == {str(first): "a_scene.tif"}
