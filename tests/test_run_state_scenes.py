"""Which scenes a resumed run takes for those it finished: signed and STAC download links given
afresh, names read back as written or shared by several scenes, scenes given another date, and
rivers files changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from detector.errors import DredgeError
from detector.run_key import KEY_NAME
from detector.run_manifest import MANIFEST_NAME
from detector.run_state import RunState


def test_a_signed_link_signed_again_is_the_same_scene_and_a_query_choosing_a_file_is_not(
    tmp_path: Path,
) -> None:
    """A finished scene given again with a fresh signed link (`…_SR.tif?token=b`: Planet's
    links expire) was another scene, and the run refused to resume. It is the same scene, and
    the manifest records the fresh link; a query that may choose the file (`…/download?id=2`)
    still names another."""
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.3, -3.8)], crs="EPSG:4326")
    before = ["https://h/x/a_3B_AnalyticMS_SR.tif?token=a", "https://h/download?id=1"]
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.name_scenes(before)
    state.start()
    for path in before:
        state.record(path, frame, None)
    now = ["https://h/x/a_3B_AnalyticMS_SR.tif?token=b", "https://h/download?id=2"]
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.adopt(now)
    assert state.is_done(now[0]) and not state.is_done(now[1])
    assert state.done_besides(now) == [before[1]]
    assert set(RunState.open(tmp_path, {"k": 1}, overwrite=False).rows) == {now[0], before[1]}


def test_other_rivers_advice_names_detections_that_are_there(tmp_path: Path) -> None:
    """A run stopped after detection (Ctrl-C or an error in tracking) places no outputs, so
    OUT/detections.parquet is not there: the advice for corrected rivers named it anyway
    ('dredge track OUT/detections.parquet …'); it names the finished scenes' files."""
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.3, -3.8)], crs="EPSG:4326")
    state = RunState.open(tmp_path, {"rivers_sha256": "a"}, overwrite=False)
    state.name_scenes(["a.tif"])
    state.start()
    state.record("a.tif", frame, None)
    with pytest.raises(DredgeError) as refused:
        RunState.open(tmp_path, {"rivers_sha256": "b"}, overwrite=False)
    advice = str(refused.value).split("dredge track ", 1)[1].split(" --rivers")[0]
    assert list(tmp_path.glob(str(Path(advice).relative_to(tmp_path)))), advice


def test_a_download_link_of_a_stac_item_given_a_fresh_token_is_the_same_scene(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planet's Data API links (`…/download?token=a`) name no file; from STAC the scene is
    named by its item's id. Resumed with fresh tokens (they expire), the run refused: "holds 1
    finished scene(s) that are not among the scenes given". The item's scene is the same."""
    import geopandas as gpd
    from shapely.geometry import Point

    import detector.acquisition as acquisition

    monkeypatch.setattr(acquisition, "ITEM_NAMES", {})
    monkeypatch.setattr("detector.run_state.ITEM_NAMES", acquisition.ITEM_NAMES)
    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.3, -3.8)], crs="EPSG:4326")
    item = "20240620_145051_22_2480"
    before, other = "https://api/dl1/download?token=a", "https://api/dl2/download?token=a"
    acquisition.name_by_item(before, item)
    acquisition.name_by_item(other, "20240621_145051_22_2480")
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    assert state.name_scenes([before, other]) == {before: item, other: "20240621_145051_22_2480"}
    state.start()
    state.record(before, frame, None)
    state.record(other, frame, None)
    now = "https://api/dl1/download?token=b"
    acquisition.name_by_item(now, item)
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.adopt([now])
    assert state.is_done(now) and state.scene_name(now) == item
    assert state.done_besides([now]) == [other]  # another item's scene is not taken for it


def test_a_recorded_download_link_given_again_beside_a_fresh_one_keeps_its_scene(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old and the fresh STAC search both given: the recorded link's finished row was moved
    to the fresh link of its item, and the recorded link, given as it was, read again."""
    import geopandas as gpd
    from shapely.geometry import Point

    import detector.acquisition as acquisition

    monkeypatch.setattr(acquisition, "ITEM_NAMES", {})
    monkeypatch.setattr("detector.run_state.ITEM_NAMES", acquisition.ITEM_NAMES)
    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.3, -3.8)], crs="EPSG:4326")
    item = "20240620_145051_22_2480"
    old, new = "https://api/dl1/download?token=a", "https://api/dl1/download?token=b"
    acquisition.name_by_item(old, item)
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.name_scenes([old])
    state.start()
    state.record(old, frame, None)
    acquisition.name_by_item(new, item)
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.adopt([old, new])
    assert state.is_done(old) and not state.is_done(new)


def test_scene_names_that_look_like_numbers_are_read_back_as_written(tmp_path: Path) -> None:
    """Scenes named ``0012`` and ``0345`` (links, or files without a suffix) were read back from
    the manifest as the numbers 12 and 345: a resumed run looked for ``scenes/12.parquet``,
    detected both scenes again and renamed them ``12`` and ``345`` in its tables; the report of
    any such run looked for the chips of scenes ``12`` and ``345`` and drew none."""
    import geopandas as gpd
    from shapely.geometry import Point

    from detector.run_manifest import manifest_names

    paths = ["https://example.org/scenes/0012", "https://example.org/scenes/0345"]
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    for path in paths:
        frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.0, -3.0)], crs=4326)
        state.record(path, frame, None)
    resumed = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    assert resumed.name_scenes(paths) == dict(zip(paths, ["0012", "0345"], strict=True))
    assert all(resumed.is_done(path) for path in paths)
    assert manifest_names(tmp_path) == dict(zip(paths, ["0012", "0345"], strict=True))


def test_a_resumed_run_names_scenes_sharing_a_file_name_as_an_uninterrupted_one(
    tmp_path: Path,
) -> None:
    """Three NICFI-like scenes sharing a file name (`2024-0{1,2,3}/x.tif`), the run stopped
    after two: resumed, the third was named `x.tif` (its detections `x_0001`, …), where the
    run uninterrupted names it `2024-03_x.tif`, so the tables of the two runs differed."""
    import geopandas as gpd
    from shapely.geometry import Point

    paths = [f"/planet/2024-0{month}/x.tif" for month in (1, 2, 3)]
    whole = RunState.open(tmp_path / "whole", {"k": 1}, overwrite=False).name_scenes(paths)
    assert whole[paths[2]] == "2024-03_x.tif"
    out = tmp_path / "resumed"
    out.mkdir()
    state = RunState.open(out, {"k": 1}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.0, -3.0)], crs=4326)
    for path in paths[:2]:  # stopped here
        state.record(path, frame, None)
    assert RunState.open(out, {"k": 1}, overwrite=False).name_scenes(paths) == whole
    added = RunState.open(out, {"k": 1}, overwrite=False)  # a later month given besides
    names = added.name_scenes([*paths, "/planet/2024-04/x.tif", "/planet/x/2024-01_x.tif"])
    assert len({name.lower() for name in names.values()}) == 5


def test_only_scenes_whose_detections_carry_another_date_than_given_are_redone(
    tmp_path: Path,
) -> None:
    """A finished scene is detected again when the date given to it now (a STAC item's
    datetime, a --dates row) is not the one its detections carry; a day alone that is the
    scene's own day (it keeps its own time of day), a date given the same, a scene without
    detections and a row of a manifest written before dates were kept stay done."""
    import geopandas as gpd
    from shapely.geometry import Point

    from detector.acquisition import GivenDay

    at = datetime(2024, 3, 17, 14, 51, 41, 260000, tzinfo=UTC)
    paths = [f"/scenes/{n}.tif" for n in range(4)]
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    for path in paths[:3]:
        frame = gpd.GeoDataFrame(
            {"acquired": [pd.Timestamp(at)]}, geometry=[Point(-73.0, -3.0)], crs=4326
        )
        state.record(path, frame, None)
    state.record(paths[3], gpd.GeoDataFrame(geometry=[], crs=4326), None)
    resumed = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    dates = {
        paths[0]: GivenDay.of(at.date()),
        paths[1]: at.replace(microsecond=0),
        paths[2]: GivenDay.of(datetime(2024, 3, 27).date()),
        paths[3]: datetime(2024, 3, 27, tzinfo=UTC),
    }
    assert resumed.forget_redated(dates) == [paths[2]]
    assert [resumed.is_done(path) for path in paths] == [True, True, False, True]
    manifest = tmp_path / MANIFEST_NAME  # written before the column: as it was
    table = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    table.drop(columns="date").to_csv(manifest, index=False)
    assert RunState.open(tmp_path, {"k": 1}, overwrite=False).forget_redated(dates) == []
    # the --dates digest is not compared (rows added for new scenes refused the run), but
    # such a manifest's rows with detections are detected again under another table
    (tmp_path / KEY_NAME).write_text(json.dumps({"k": 1, "dates_sha256": "old"}))
    same = RunState.open(tmp_path, {"k": 1, "dates_sha256": "old"}, overwrite=False)
    assert same.forget_redated(dates) == []
    other = RunState.open(tmp_path, {"k": 1, "dates_sha256": "new"}, overwrite=False)
    assert other.forget_redated(dates) == paths[:3]  # the fourth has no detections


def test_a_scene_given_another_date_loses_its_saved_detections_before_it_is_detected_again(
    tmp_path: Path,
) -> None:
    """A finished scene given another date on resume was forgotten in the manifest but its
    saved detections (OUT/scenes/<name>.parquet, old date) stayed: when detecting it again
    then failed, `dredge track OUT/scenes/*.parquet` read them as a finished scene's. They
    are removed when the scene is forgotten, as a replaced scene file's are; the other
    scenes' stay."""
    import geopandas as gpd
    from shapely.geometry import Point

    at = datetime(2024, 3, 17, 14, 51, 41, tzinfo=UTC)
    paths = [f"/scenes/{n}.tif" for n in range(2)]
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    frame = gpd.GeoDataFrame({"acquired": [pd.Timestamp(at)]}, geometry=[Point(-73, -3)], crs=4326)
    for path in paths:
        state.record(path, frame, None)
    saved = [state.scene_file(path) for path in paths]
    assert all(file.is_file() for file in saved)
    resumed = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    resumed.name_scenes(paths)
    later = datetime(2024, 3, 27, 14, 51, 41, tzinfo=UTC)
    assert resumed.forget_redated({paths[0]: later, paths[1]: at}) == [paths[0]]
    assert [file.is_file() for file in saved] == [False, True]
    resumed.start()
    resumed.record(paths[0], None, "unreadable")  # detecting it again fails
    assert sorted(file.name for file in (tmp_path / "scenes").iterdir()) == [saved[1].name]


def test_a_manifest_date_cell_out_of_shape_is_detected_again(tmp_path: Path) -> None:
    """A manifest's date cell edited by hand out of shape ('garbage', a time without its
    zone) stopped every resumed run given --dates on a fault: 'ValueError: Invalid isoformat
    string' or 'TypeError: can't subtract offset-naive and offset-aware datetimes' (a
    traceback, exit 3, at each try). Such a scene is detected again; a time without a zone
    is read as UTC."""
    import geopandas as gpd
    from shapely.geometry import Point

    at = datetime(2024, 3, 17, 14, 51, 41, tzinfo=UTC)
    paths = [f"/scenes/20240317_145141_{n:02d}_2455_3B_AnalyticMS_SR.tif" for n in range(3)]
    state = RunState.open(tmp_path, {"k": 1, "dates_sha256": "old"}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    frame = gpd.GeoDataFrame({"acquired": [pd.Timestamp(at)]}, geometry=[Point(-73, -3)], crs=4326)
    for path in paths:
        state.record(path, frame, None)
    manifest = tmp_path / MANIFEST_NAME
    table = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    table["date"] = ["garbage", "2024-03-17T14:51:41", "2024-03-99"]
    table.to_csv(manifest, index=False)
    resumed = RunState.open(tmp_path, {"k": 1, "dates_sha256": "old"}, overwrite=False)
    assert resumed.forget_redated({path: at for path in paths}) == [paths[0], paths[2]]
    table.to_csv(manifest, index=False)
    dropped = RunState.open(tmp_path, {"k": 1, "dates_sha256": "new"}, overwrite=False)
    assert dropped.forget_redated({}) == [paths[0], paths[2]]  # the rows dropped: own times


def test_a_scene_dated_by_its_tags_resumes_when_other_rows_of_the_table_change(
    tmp_path: Path,
) -> None:
    """A finished scene that no --dates row dates, whose own time is its TIFFTAG_DATETIME
    alone, was detected again whenever the table changed (a row added for another scene):
    its tags were not read, so its detections' date was taken for a dropped row's. It
    resumes now; one whose detections carry a dropped row's date is still detected again."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    from affine import Affine
    from shapely.geometry import Point

    tagged = datetime(2024, 3, 17, 14, 51, 41, tzinfo=UTC)
    paths = [str(tmp_path / f"scene_{n}.tif") for n in range(2)]
    for path in paths:
        profile = {"driver": "GTiff", "width": 4, "height": 4, "count": 1, "dtype": "uint8"}
        place = {"crs": "EPSG:32718", "transform": Affine(3, 0, 600000, 0, -3, 9580000)}
        with rasterio.open(path, "w", **profile, **place) as dst:
            dst.write(np.zeros((1, 4, 4), np.uint8))
            dst.update_tags(TIFFTAG_DATETIME="2024:03:17 14:51:41")
    out = tmp_path / "out"
    out.mkdir()
    state = RunState.open(out, {"k": 1, "dates_sha256": "old"}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    for path, when in zip(paths, (tagged, datetime(2024, 5, 1, tzinfo=UTC)), strict=True):
        frame = gpd.GeoDataFrame(
            {"acquired": [pd.Timestamp(when)]}, geometry=[Point(-73, -3)], crs=4326
        )
        state.record(path, frame, None)  # the second dated by a row, dropped below
    other = RunState.open(out, {"k": 1, "dates_sha256": "new"}, overwrite=False)
    assert other.forget_redated({str(tmp_path / "new.tif"): tagged}) == [paths[1]]


def test_a_shapefile_whose_names_or_crs_changed_is_another_rivers_file(tmp_path: Path) -> None:
    """The digest of a Shapefile's rivers was its `.shp` alone: a river renamed in QGIS (its
    `.dbf`) or a `.prj` corrected (the corridors elsewhere) resumed the run with the old
    detections without a word (on the demo run, the Nanay renamed `Rio Nanay`: 198 detections
    on `Nanay` in detections.parquet beside counts of `Rio Nanay`), where a GeoJSON so edited
    is refused with the way to recount. A run an earlier version began still resumes."""
    import geopandas as gpd
    from shapely.geometry import LineString

    from detector.card import file_sha256
    from detector.river_inputs import rivers_digest
    from detector.run_key import run_key

    rivers = tmp_path / "rios" / "rivers.shp"
    rivers.parent.mkdir()
    line = LineString([(-73.3, -3.8), (-73.2, -3.7)])
    gpd.GeoDataFrame({"name": ["Nanay"]}, geometry=[line], crs=4326).to_file(rivers)
    (rivers.parent / "rivers.v2.dbf").write_bytes(b"another layer's")  # not a part of it
    out = tmp_path / "out"
    out.mkdir()
    state = RunState.open(out, run_key(None, {}, rivers), overwrite=False)
    state.name_scenes(["a.tif"])
    state.start()
    state.record("a.tif", None, None)
    digests = {rivers_digest(rivers)}
    renamed = gpd.read_file(rivers).assign(name="Rio Nanay")
    renamed.to_file(rivers)
    digests.add(rivers_digest(rivers))
    with pytest.raises(DredgeError, match="rivers_sha256"):
        RunState.open(out, run_key(None, {}, rivers), overwrite=False)
    rivers.with_suffix(".prj").write_text(gpd.GeoSeries(crs=32718).crs.to_wkt())
    digests.add(rivers_digest(rivers))
    assert len(digests) == 3
    before = {**run_key(None, {}, rivers), "rivers_sha256": file_sha256(rivers)}  # the .shp's
    (out / "run_key.json").write_text(json.dumps(before))
    from detector.run_key import earlier_key_values

    resumed = RunState.open(
        out, run_key(None, {}, rivers), overwrite=False, earlier=earlier_key_values(rivers)
    )
    assert list(resumed.rows) == ["a.tif"]  # resumed, as it was


def test_a_finished_scene_unreadable_now_is_not_said_to_be_dated_otherwise(
    tmp_path: Path,
) -> None:
    """The --dates table changed, and a finished scene that no row dates cannot be read now (a
    download cut short, written again): its date cannot be checked and it is detected again,
    but the warning said that its row was dropped and that its own date (metadata, name or
    tags) differs from its detections', though no row ever dated it and it has none that
    could be read. It says that the file cannot be read."""
    import geopandas as gpd
    from shapely.geometry import Point

    from detector.run_state import redated_warnings

    path = str(tmp_path / "scene_0.tif")
    Path(path).write_bytes(b"II*\x00" + bytes(500))  # a TIFF cut short
    out = tmp_path / "out"
    out.mkdir()
    state = RunState.open(out, {"k": 1, "dates_sha256": "old"}, overwrite=False)
    state.name_scenes([path])
    state.start()
    when = pd.Timestamp(datetime(2024, 3, 17, 14, 51, 41, tzinfo=UTC))
    frame = gpd.GeoDataFrame({"acquired": [when]}, geometry=[Point(-73, -3)], crs=4326)
    state.record(path, frame, None)
    other = RunState.open(out, {"k": 1, "dates_sha256": "new"}, overwrite=False)
    dates = {str(tmp_path / "new.tif"): when.to_pydatetime()}
    said = " ".join(redated_warnings(other.forget_redated(dates), dates))
    assert "no longer dated by a --dates row" not in said, said
    assert (
        "1 finished scene cannot be read now" in said and "so its date" in said and path in said
    ), said
    assert "detected again" in said
