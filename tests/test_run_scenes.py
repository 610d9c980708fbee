"""``dredge run`` on scenes dated by a table, an ISO name or a STAC item, read through GDAL
paths or sharing a file name; finished scenes that are gone, cut short or replaced on resume."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import rasterio
from typer.testing import CliRunner

from detector.cli import app
from tests import run_fixtures

# The module fixtures this module builds for itself (see tests/run_fixtures.py).
world = run_fixtures.world
scenes = run_fixtures.scenes
model = run_fixtures.model


def test_scenes_dated_by_a_table_or_an_iso_name_run_to_the_end(
    world: Path, model: Path, tmp_path: Path
) -> None:
    """Scenes without a Planet name are dated by --dates or their ISO name, tracking included
    (tracking used to stop the run: 'no acquisition time in the file name')."""
    folder = tmp_path / "maxar"
    folder.mkdir()
    sources = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))[:3]
    for source, name in zip(sources, ("nanay_2024-01-05", "nanay_b", "nanay_c"), strict=True):
        with rasterio.open(source) as src:  # pixels only: no date tag, no Planet sidecar
            profile, pixels = src.profile, src.read()
        with rasterio.open(folder / f"{name}.tif", "w", **profile) as dst:
            dst.write(pixels)
    table = tmp_path / "dates.csv"
    rows = "nanay_b.tif,2024-02-10\nnanay_c,2024-03-15T15:00:00Z\nnanay_x.tif,2024-04-01\n"
    table.write_text(f"scene,date\n{rows}")  # nanay_x: a typo, named once, not twice
    args = [*("run", str(folder), "--rivers", str(world / "rivers.geojson")), "--no-progress"]
    args += ["--model", str(model), "--dates", str(table)]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    typo = "--dates: 1 of 3 rows names no scene given (e.g. 'nanay_x.tif')"
    assert " ".join(result.output.split()).count(typo) == 1
    notes = json.loads((tmp_path / "out" / "run.json").read_text())["notes"]
    assert sum(note.startswith(typo) for note in notes) == 1
    seen = pd.read_csv(tmp_path / "out" / "tracks.observations.csv")
    assert set(seen.loc[seen["source"] == "scenes", "date"]) == {
        "2024-01-05",
        "2024-02-10",
        "2024-03-15",
    }
    key = json.loads((tmp_path / "out" / "run_key.json").read_text())
    assert len(key["dates_sha256"]) == 64

    undated = CliRunner().invoke(app, [*args[:-2], "--out", str(tmp_path / "undated")])
    assert undated.exit_code == 1  # two scenes without a date failed, the third completed
    assert "2 of 3 scenes failed" in undated.output and "--dates" in undated.output


def test_a_dates_table_with_rows_for_new_scenes_extends_the_run(
    world: Path, model: Path, tmp_path: Path
) -> None:
    """A run extended with new scenes (the earlier ones given again) and their rows added to
    its --dates table: the table's digest was in the run key, so the run was refused ('holds a
    run made with other settings (dates_sha256)'). The dates are compared scene by scene: the
    finished scene is resumed, and detected again once its own row gives another date."""
    sources = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))[:2]
    for source, month in zip(sources, ("jan", "feb"), strict=True):
        (tmp_path / month).mkdir()
        with rasterio.open(source) as src:  # pixels only: dated by the table alone
            profile, pixels = src.profile, src.read()
        with rasterio.open(tmp_path / month / f"nanay_{month}.tif", "w", **profile) as dst:
            dst.write(pixels)
    table, out = tmp_path / "dates.csv", tmp_path / "out"
    table.write_text("scene,date\nnanay_jan.tif,2024-01-05\n")
    args = ["--rivers", str(world / "rivers.geojson"), "--model", str(model), "--no-progress"]
    args += ["--dates", str(table), "--out", str(out)]
    first = CliRunner().invoke(app, ["run", str(tmp_path / "jan"), *args])
    assert first.exit_code == 0, first.output
    table.write_text("scene,date\nnanay_jan.tif,2024-01-05\nnanay_feb.tif,2024-02-10\n")
    both = ["run", str(tmp_path / "jan"), str(tmp_path / "feb"), *args]
    extended = CliRunner().invoke(app, both)
    assert extended.exit_code == 0, extended.output
    assert "1 of 2 scenes already done" in " ".join(extended.output.split())
    seen = pd.read_csv(out / "tracks.observations.csv")
    assert set(seen.loc[seen["source"] == "scenes", "date"]) == {"2024-01-05", "2024-02-10"}

    table.write_text("scene,date\nnanay_jan.tif,2024-01-06\nnanay_feb.tif,2024-02-10\n")
    redated = CliRunner().invoke(app, both)
    assert redated.exit_code == 0, redated.output
    detections = pd.read_parquet(out / "detections.parquet")
    assert len(detections), "the scene has dredges: its detections carry its date"
    assert "detected again" in redated.output
    assert "2024-01-06" in set(pd.to_datetime(detections["acquired"]).dt.strftime("%Y-%m-%d"))


def test_a_scene_whose_dates_row_is_dropped_is_dated_by_itself_again(
    world: Path, model: Path, tmp_path: Path
) -> None:
    """A finished scene dated by a --dates row, resumed with that row dropped (or without the
    table): it falls back to its own date (its name, sidecar), but its detections kept the
    table's, without a word, as the digest of the table was no longer compared and the scene,
    in no table now, was not either. It is detected again, with a warning that says the scene
    is no longer dated by a row (it said 'given another date (by a --dates row …)')."""
    source = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))[0]
    stem = source.name.removesuffix("_3B_AnalyticMS_SR.tif")
    (tmp_path / "scenes").mkdir()
    for sidecar in source.parent.glob(f"{stem}*"):
        shutil.copy(sidecar, tmp_path / "scenes" / sidecar.name)
    own = datetime.strptime(stem[:8], "%Y%m%d").strftime("%Y-%m-%d")
    table, out = tmp_path / "dates.csv", tmp_path / "out"
    table.write_text(f"scene,date\n{source.name},2024-12-20\n")
    args = ["run", str(tmp_path / "scenes"), "--rivers", str(world / "rivers.geojson")]
    args += ["--model", str(model), "--no-progress", "--out", str(out)]
    first = CliRunner().invoke(app, [*args, "--dates", str(table)])
    assert first.exit_code == 0, first.output
    days = pd.to_datetime(pd.read_parquet(out / "detections.parquet")["acquired"])
    assert set(days.dt.strftime("%Y-%m-%d")) == {"2024-12-20"}, "the table's date"

    resumed = CliRunner().invoke(app, args)  # the table left out: the scene's own date
    assert resumed.exit_code == 0, resumed.output
    said = " ".join(resumed.output.split())  # it said 'are given another date (by a --dates row'
    assert "1 finished scene is no longer dated by a --dates row (its row dropped" in said
    assert "given another date" not in said and "detected again" in said
    days = pd.to_datetime(pd.read_parquet(out / "detections.parquet")["acquired"])
    assert set(days.dt.strftime("%Y-%m-%d")) == {own}


def test_scenes_read_through_gdal_paths_give_observed_areas(
    world: Path, model: Path, tmp_path: Path
) -> None:
    """Scenes that are not local files (URLs, /vsi… paths; here a zip) tell the tracker where
    the river was seen, as local ones do (they used to be left out: no absence was seen)."""
    import zipfile

    sources = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))[:3]
    archive = tmp_path / "scenes.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for scene in sources:
            bundle.write(scene, scene.name)
    listing = tmp_path / "scenes.txt"
    listing.write_text("".join(f"/vsizip/{archive}/{scene.name}\n" for scene in sources))
    out = tmp_path / "out"
    args = [*("run", str(listing), "--rivers", str(world / "rivers.geojson")), "--no-progress"]
    result = CliRunner().invoke(app, [*args, "--model", str(model), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "read the clear, valid areas of 3 scenes" in result.output
    seen = pd.read_csv(out / "tracks.observations.csv")
    assert (seen["source"] == "scenes").sum() == 3


def test_scenes_that_share_a_file_name_keep_their_own_detections(
    world: Path, model: Path, tmp_path: Path
) -> None:
    """NICFI quads of three months share one file name; each used to overwrite the others'
    saved detections (OUT/scenes/<name>.parquet), so one month's were counted three times."""
    sources = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))[:3]
    for month, scene in enumerate(sources, start=1):
        folder = tmp_path / "nicfi" / f"planet_medres_normalized_analytic_2024-0{month}_mosaic"
        folder.mkdir(parents=True)
        shutil.copy(scene, folder / "L15-0745E-1031N.tif")
    out = tmp_path / "out"
    args = [*("run", str(tmp_path / "nicfi" / "*" / "*.tif"), "--rivers")]
    args += [str(world / "rivers.geojson"), "--model", str(model), "--no-progress"]
    table = tmp_path / "dates.csv"
    table.write_text("scene,date\nL15-0745E-1031N.tif,2024-05-01\n")
    refused = CliRunner().invoke(app, [*args, "--out", str(out), "--dates", str(table)])
    assert refused.exit_code == 2 and "names 3 of the scenes given" in refused.output
    assert not out.exists()  # stopped before any work: no empty OUT left behind
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = pd.read_csv(out / "manifest.csv")
    assert manifest["name"].is_unique and len(list((out / "scenes").iterdir())) == 3
    frame = gpd.read_parquet(out / "detections.parquet")
    assert len(frame) == manifest["detections"].sum() > 0 and frame["detection_id"].is_unique
    per_scene = frame.groupby("scene")["acquired"].first().dt.strftime("%Y-%m-%d")
    assert per_scene.tolist() == ["2024-01-01", "2024-02-01", "2024-03-01"]
    seen = pd.read_csv(out / "tracks.observations.csv")
    assert set(seen.loc[seen["source"] == "scenes", "date"]) == set(per_scene)
    report = (out / "report.html").read_text()
    assert "not among the run's scenes" not in report and "<figure>" in report  # chips drawn
    again = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert again.exit_code == 0 and "3 of 3 scenes already done" in again.output
    pd.testing.assert_frame_equal(gpd.read_parquet(out / "detections.parquet"), frame)


def test_a_scene_given_another_date_by_its_stac_item_is_detected_again_on_resume(
    world: Path, scenes: Path, model: Path, tmp_path: Path
) -> None:
    """A STAC search saved again with a corrected `datetime` (or scenes run from a folder, then
    through STAC items that date them otherwise) resumed with the detections of the old date,
    without a word: on 3 scenes, one item's datetime moved by 10 days, its detections kept
    the old date, where a run made at once on the new search dates them anew. That scene is
    detected again (the others resumed), with one warning."""
    paths = sorted(p for p in scenes.glob("*_AnalyticMS_SR.tif") if "_0000_" not in p.name)
    search = tmp_path / "search.json"

    def save(shifted: int) -> None:
        features = [
            {
                "type": "Feature",
                "stac_version": "1.0.0",
                "id": path.name[:23],
                "geometry": None,
                "properties": {
                    "datetime": f"2024-0{n + 1}-{5 + (shifted if n == 1 else 0):02d}T14:50:00Z"
                },
                "links": [],
                "assets": {"ortho_analytic_4b_sr": {"href": str(path), "roles": ["data"]}},
            }
            for n, path in enumerate(paths)
        ]
        search.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    args = ["run", str(search), "--rivers", str(world / "rivers.geojson")]
    args += ["--model", str(model), "--no-progress", "--conf", "0.05", "--out"]
    save(0)
    first = CliRunner().invoke(app, [*args, str(tmp_path / "out")])
    assert first.exit_code == 0, first.output
    before = gpd.read_parquet(tmp_path / "out" / "detections.parquet")
    moved = before[before["scene"] == paths[1].name]
    assert len(moved) and set(moved["acquired"].dt.day) == {5}
    save(10)
    again = CliRunner().invoke(app, [*args, str(tmp_path / "out")])
    assert again.exit_code == 0, again.output
    after = gpd.read_parquet(tmp_path / "out" / "detections.parquet")
    assert set(after.loc[after["scene"] == paths[1].name, "acquired"].dt.day) == {15}
    assert "resuming" in again.output and "2 of 3 scenes already done" in again.output
    assert "1 finished scene is given another date" in " ".join(again.output.split())
    assert len(after) == len(before)
    unchanged = CliRunner().invoke(app, [*args, str(tmp_path / "out")])
    assert "3 of 3 scenes already done" in unchanged.output


def _run_of_two_of_three(
    world: Path, scenes: Path, model: Path, tmp_path: Path
) -> tuple[list[str], str, str, str]:
    """``dredge run``'s arguments into ``tmp_path/out`` and three readable scenes copied into
    ``tmp_path/planet``, the first two of them run there."""
    folder = tmp_path / "planet"
    folder.mkdir()
    for source in sorted(scenes.glob("*_AnalyticMS_SR.tif")):
        if "_0000_" not in source.name:  # not the truncated one
            shutil.copy(source, folder / source.name)
    first, second, third = (str(path) for path in sorted(folder.iterdir()))
    args = ["run", "--rivers", str(world / "rivers.geojson"), "--model", str(model)]
    args += ["--no-progress", "--out", str(tmp_path / "out")]
    assert CliRunner().invoke(app, [*args, first, second]).exit_code == 0
    return args, first, second, third


def test_a_finished_scene_no_longer_there_stops_the_run_before_any_work(
    world: Path, scenes: Path, model: Path, tmp_path: Path
) -> None:
    """A run given again (to add a scene, to recount) after one of its finished scenes was
    moved away detected the new scenes, then stopped in tracking with "no such scene file or
    folder — check the --scenes path", an option `dredge run` does not have. It stops before
    any work, naming the scene and the ways on."""
    from detector.run_manifest import MANIFEST_NAME

    args, first, second, third = _run_of_two_of_three(world, scenes, model, tmp_path)
    Path(first).unlink()  # moved to an archive disk
    again = CliRunner().invoke(app, [*args, first, second, third])
    assert again.exit_code == 2, again.output
    line = " ".join(again.output.split())
    assert f"error: {first}: is no longer there" in line and "--scenes" not in line
    assert third not in (tmp_path / "out" / MANIFEST_NAME).read_text()  # nothing detected


@pytest.mark.parametrize("manifest", ["fingerprinted", "earlier"])
def test_a_finished_scene_cut_short_since_is_named_without_an_option_run_lacks(
    world: Path, scenes: Path, model: Path, tmp_path: Path, manifest: str
) -> None:
    """A run given again after one of its finished scenes was written again, cut short (a
    download redone): tracking stopped with "cannot be read (…) — check the --scenes files",
    an option `dredge run` does not have. The file is not the one detected (its size): it is
    detected again and fails as unreadable, saying the file may be cut short or corrupt and
    what to do, and the others complete. A run whose manifest an earlier version wrote (no
    fingerprint) takes the file as detected: tracking stops with one line that says so; the
    scene detected meanwhile is kept for the next run."""
    from detector.run_manifest import MANIFEST_NAME

    args, first, second, third = _run_of_two_of_three(world, scenes, model, tmp_path)
    if manifest == "earlier":
        path = tmp_path / "out" / MANIFEST_NAME
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        table.drop(columns="fingerprint").to_csv(path, index=False)
    Path(first).write_bytes(Path(first).read_bytes()[:600])  # downloaded again, cut short
    again = CliRunner().invoke(app, [*args, first, second, third])
    line = " ".join(again.output.split())
    assert "download or export it again" in line and "--scenes" not in line, line
    if manifest == "earlier":
        assert again.exit_code == 2, again.output
        assert f"error: {first}: cannot be read" in line, line
        return
    assert again.exit_code == 1, again.output
    assert f"warning: {first}: changed since it was detected (size" in line
    assert f"error: {first}: is not a readable raster" in line
    failed = pd.read_csv(tmp_path / "out" / "failures.csv")
    assert failed["scene"].tolist() == [first]
    detections = gpd.read_parquet(tmp_path / "out" / "detections.parquet")
    assert Path(first).name not in set(detections["scene"])  # the old file's: dropped


def test_a_finished_scene_replaced_under_its_name_is_detected_again_from_its_new_content(
    world: Path, scenes: Path, model: Path, tmp_path: Path
) -> None:
    """A scene delivered or exported again under the same path after a run: the manifest knew
    it by its path alone, so the resumed run kept the old file's detections without a word and
    never looked at the new one. It is detected again, with one line, and its detections are
    the new file's, in OUT/scenes and in what tracks and counts are made from (none of the old
    file's beside them)."""
    import shapely

    folder = tmp_path / "planet"
    folder.mkdir()
    for source in sorted(scenes.glob("*_AnalyticMS_SR.tif")):
        if "_0000_" not in source.name:  # not the truncated one
            shutil.copy(source, folder / source.name)
    given = [str(path) for path in sorted(folder.iterdir())]
    first, third = Path(given[0]), Path(given[2])
    args = ["run", *given, "--rivers", str(world / "rivers.geojson"), "--model", str(model)]
    args += ["--no-progress", "--out", str(tmp_path / "out")]
    assert CliRunner().invoke(app, args).exit_code == 0
    before = gpd.read_parquet(tmp_path / "out" / "detections.parquet")

    def found(frame: pd.DataFrame, scene: Path) -> list[tuple[str, float]]:
        rows = frame[frame["scene"] == scene.name]
        boxes = shapely.to_wkt(rows.geometry.to_numpy(), rounding_precision=7)
        return sorted(zip(boxes, rows["score"].round(6), strict=True))

    assert found(before, first) != found(before, third) and found(before, third)
    first.write_bytes(third.read_bytes())  # delivered again: the third scene's imagery
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    after = gpd.read_parquet(tmp_path / "out" / "detections.parquet")
    assert found(after, first) == found(before, third)  # the old file's were kept
    line = " ".join(again.output.split())
    assert f"warning: {first}: changed since it was detected (" in line
    assert "2 of 3 scenes already done" in line
    saved = gpd.read_parquet(tmp_path / "out" / "scenes" / f"{first.name}.parquet")
    assert found(saved, first) == found(before, third)
    assert len(after) == len(before) - len(found(before, first)) + len(found(before, third))
    unchanged = CliRunner().invoke(app, args)
    assert "3 of 3 scenes already done" in unchanged.output
    assert "changed since" not in unchanged.output
