"""Which scene file `dredge review` takes for the detections' scenes: a run's scenes given by
another path or moved, file systems without inode numbers, another scene of the same file
name, mosaic quads dated within their month, and detections dated by `--date` or not at all."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detector.cli import app
from tests.label_fixtures import write_tiny_model
from tests.review_fixtures import write_truth_detections


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def detections(label_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Truth boxes as if detected: scene file names, scores spread over 0.3–0.95."""
    return write_truth_detections(label_world, tmp_path_factory.mktemp("det"))


def test_a_runs_scenes_given_by_another_path_or_moved_elsewhere(
    detections: Path,
    label_world: Path,
    model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--scenes naming the run's own scenes by another path than run.json's (absolute for a
    relative one) or in the folder they were moved to since: the manifest's names were kept
    for the paths it lists, and the given ones took other names (``scenes_<name>``) that no
    detection has — 'none of its detections is on the scenes given', for the very scenes."""
    import geopandas as gpd
    import pandas as pd

    from detector.card import load_card
    from detector.scene import open_scene

    run = tmp_path / "run"
    run.mkdir()
    frame = gpd.read_parquet(detections)  # with the scenes' dates, as `dredge run` writes it
    dates = {}
    for path in (label_world / "scenes").glob("*SR.tif"):
        with open_scene(path) as scene:
            dates[path.name] = scene.acquired
    frame["acquired"] = [dates[name] for name in frame["scene"]]
    frame.to_parquet(run / "detections.parquet")
    scenes = sorted(
        str(p.relative_to(label_world.parent)) for p in (label_world / "scenes").glob("*SR.tif")
    )
    record = {
        "cwd": str(label_world.parent),
        "scenes": scenes,
        "model": load_card(model, verify=False).to_dict(),
        "parameters": {"scene_bands": None},
    }
    (run / "run.json").write_text(json.dumps(record))
    manifest = ["scene,name,status,detections,finished,error"]
    manifest += [
        f"{scene},{Path(scene).name},done,1,2024-01-01T00:00:00+00:00," for scene in scenes
    ]
    (run / "manifest.csv").write_text("\n".join(manifest) + "\n")
    monkeypatch.chdir(label_world.parent)
    args = ["review", str(run / "detections.parquet"), "--count", "3"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "r0")])
    assert result.exit_code == 0, result.output
    given = ["--scenes", str(label_world / "scenes")]  # absolute; run.json's are relative
    result = CliRunner().invoke(app, [*args, *given, "--out", str(tmp_path / "r1")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r1" / "tiles.csv").read_text() == (
        tmp_path / "r0" / "tiles.csv"
    ).read_text()
    moved = tmp_path / "moved" / "scenes"
    shutil.copytree(label_world / "scenes", moved)
    record["cwd"] = str(tmp_path / "gone")  # where the run was started, and its scenes were
    (run / "run.json").write_text(json.dumps(record))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "r2")])
    assert result.exit_code == 2
    assert "not where" in result.output and "give the folder they are in now with --scenes" in (
        result.output
    )
    result = CliRunner().invoke(app, [*args, "--scenes", str(moved), "--out", str(tmp_path / "r2")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r2" / "tiles.csv").read_text() == (
        tmp_path / "r0" / "tiles.csv"
    ).read_text()
    other = tmp_path / "other" / "scenes"  # scenes of the same names elsewhere (another month)
    shutil.copytree(label_world / "scenes", other)
    given = ["--scenes", str(moved), "--scenes", str(other)]
    result = CliRunner().invoke(app, [*args, *given, "--out", str(tmp_path / "r3")])
    assert result.exit_code == 2, result.output  # which of the two was the run's is not known
    assert "which 2 of the scenes given have" in result.output
    assert "it cannot tell which is its — give only the scenes" in result.output
    # the run's scenes were of another month (NICFI quads of one name): these are not them
    frame["acquired"] = frame["acquired"] + pd.Timedelta(days=31)
    frame.to_parquet(run / "detections.parquet")
    result = CliRunner().invoke(app, [*args, "--scenes", str(moved), "--out", str(tmp_path / "r4")])
    assert result.exit_code == 2, result.output
    assert "none of its detections is on the scenes given" in result.output


def test_scenes_on_a_file_system_without_inode_numbers_take_their_own_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the file system gives no file number (``st_ino`` 0: Python's "if non-zero, it
    identifies the file"; FAT and some network shares on Windows), every file looked like the
    same one: the run's scenes given by another path than run.json's (here through a link)
    took one another's names (a.tif took b.tif's, its image cut with the boxes of b). Now
    such files are told apart by their paths, links resolved."""
    import os

    from training.review import _names_from_here

    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for name in ("a.tif", "b.tif"):
        (scenes / name).write_bytes(name.encode())
    (tmp_path / "link").symlink_to(scenes, target_is_directory=True)
    run = tmp_path / "run"
    run.mkdir()
    recorded = [str(tmp_path / "link" / "a.tif"), str(tmp_path / "link" / "b.tif")]
    manifest = ["scene,name,status,detections,finished,error"]
    manifest += [f"{s},{Path(s).name},done,1,2024-01-01T00:00:00+00:00," for s in recorded]
    (run / "manifest.csv").write_text("\n".join(manifest) + "\n")
    given = [str(scenes / "a.tif"), str(scenes / "b.tif")]
    taken, _ = _names_from_here(run / "detections.parquet", {"scenes": recorded}, given)
    assert [taken.get(p) for p in given] == ["a.tif", "b.tif"]  # the same files: their names
    real_stat = Path.stat

    def no_inode(self: Path, **kwargs: bool) -> os.stat_result:
        got = real_stat(self, **kwargs)
        return os.stat_result((got.st_mode, 0, *tuple(got)[2:]))

    monkeypatch.setattr(Path, "stat", no_inode)
    taken, _ = _names_from_here(run / "detections.parquet", {"scenes": recorded}, given)
    assert [taken.get(p) for p in given] == ["a.tif", "b.tif"]  # by their paths, links resolved


def test_a_scene_of_the_same_file_name_in_another_folder_is_not_taken_for_the_detections(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """`dredge detect` output (no run folder) names scenes by file name: given another scene
    of that name (another date's, in another folder), review cut the detections' boxes from
    its image without a word (the label world's first scene's 10 detections as `x.tif`, given
    its third scene as `b/x.tif`: 3 tiles, 10 boxes pre-filled from another date). Given both
    scenes named `x.tif`, it said 'none of its detections is on the scenes given'."""
    import geopandas as gpd

    from detector.scene import open_scene

    first, _, third = sorted((label_world / "scenes").glob("*SR.tif"))
    for folder, scene in (("a", first), ("b", third)):
        (tmp_path / folder).mkdir()
        shutil.copy(scene, tmp_path / folder / "x.tif")
        for sidecar in scene.parent.glob(scene.name.split("_3B_")[0] + "*metadata*"):
            shutil.copy(sidecar, tmp_path / folder / f"x{sidecar.suffix}")  # x.json
    frame = gpd.read_parquet(detections)
    frame = frame[frame["scene"] == first.name].assign(scene="x.tif")
    with open_scene(tmp_path / "a" / "x.tif") as scene:
        frame["acquired"] = scene.acquired
    frame.to_parquet(tmp_path / "d.parquet")
    common = ["review", str(tmp_path / "d.parquet"), "--model", str(model), "--count", "5"]
    result = CliRunner().invoke(
        app, [*common, "--scenes", str(tmp_path / "b" / "x.tif"), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2, result.output
    assert re.search(r"b/x\.tif: .* dates it 20\d\d-\d\d-\d\d, while the detections on scene "
                     r"'x\.tif' in d\.parquet are of", result.output), result.output  # fmt: skip
    assert not (tmp_path / "r").exists()
    both = ["--scenes", str(tmp_path / "a" / "x.tif"), "--scenes", str(tmp_path / "b" / "x.tif")]
    result = CliRunner().invoke(app, [*common, *both, "--out", str(tmp_path / "r")])
    assert result.exit_code == 2, result.output
    assert "names its scenes by file name (x.tif), which 2 of the scenes given" in result.output
    result = CliRunner().invoke(
        app, [*common, "--scenes", str(tmp_path / "a" / "x.tif"), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output


def test_one_of_two_scenes_of_one_file_name_detected_together_is_reviewed_alone(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """`dredge detect a/x.tif b/x.tif` names the two `a_x.tif` and `b_x.tif` (as `dredge run`
    does); review given one of them alone named it `x.tif` and stopped with 'none of its
    detections is on the scenes given': its detections could not be reviewed."""
    import geopandas as gpd
    import pandas as pd

    from detector.scene import open_scene

    first, _, third = sorted((label_world / "scenes").glob("*SR.tif"))
    frame = gpd.read_parquet(detections)
    parts = []
    for folder, scene in (("a", first), ("b", third)):
        (tmp_path / folder).mkdir()
        shutil.copy(scene, tmp_path / folder / "x.tif")
        for sidecar in scene.parent.glob(scene.name.split("_3B_")[0] + "*metadata*"):
            shutil.copy(sidecar, tmp_path / folder / f"x{sidecar.suffix}")
        mine = frame[frame["scene"] == scene.name].assign(scene=f"{folder}_x.tif")
        with open_scene(tmp_path / folder / "x.tif") as opened:
            mine["acquired"] = opened.acquired
        parts.append(mine)
    pd.concat(parts).to_parquet(tmp_path / "d.parquet")
    common = ["review", str(tmp_path / "d.parquet"), "--model", str(model), "--count", "50"]
    for folder in ("a", "b"):
        out = tmp_path / f"r_{folder}"
        given = ["--scenes", str(tmp_path / folder / "x.tif"), "--out", str(out)]
        result = CliRunner().invoke(app, [*common, *given])
        assert result.exit_code == 0, result.output
        rows = (out / "tiles.csv").read_text().splitlines()[1:]
        assert rows and {row.split(",")[1] for row in rows} == {f"{folder}_x"}
    (tmp_path / "c" / "a").mkdir(parents=True)  # another date's x.tif in a folder called a
    shutil.copy(tmp_path / "b" / "x.tif", tmp_path / "c" / "a" / "x.tif")
    shutil.copy(tmp_path / "b" / "x.json", tmp_path / "c" / "a" / "x.json")
    given = ["--scenes", str(tmp_path / "c" / "a" / "x.tif"), "--out", str(tmp_path / "r_c")]
    result = CliRunner().invoke(app, [*common, *given])
    assert result.exit_code == 2, result.output
    assert "none of its detections is on the scenes given" in result.output


@pytest.mark.parametrize(
    ("folder", "exit_code"),
    [
        ("planet_medres_normalized_analytic_2024-03_mosaic", 0),  # the quad of its month
        ("planet_medres_normalized_analytic_2024-03-01_2024-03-31_mosaic", 0),
        ("global_quarterly_2024q1_mosaic", 0),
        ("planet_medres_normalized_analytic_2024-02_mosaic", 2),  # another month's quad
        ("planet_medres_normalized_analytic_2024-04_mosaic", 2),
    ],
)
def test_a_mosaic_quad_dated_within_its_month_is_the_detections_scene(
    detections: Path, label_world: Path, model: Path, tmp_path: Path, folder: str, exit_code: int
) -> None:
    """A NICFI quad's mosaic name dates only the mosaic's first day: `dredge detect --date
    2024-03-16` on the March quad (as `dredge detect` takes it, without a caveat) gave
    detections of 16 March, and review of them with that very quad was refused as 'another
    scene of the same file name' (its name dates it 2024-03-01); another month's quad still is."""
    first = sorted((label_world / "scenes").glob("*SR.tif"))[0]
    (tmp_path / folder).mkdir()
    shutil.copy(first, tmp_path / folder / "x.tif")
    import geopandas as gpd
    import pandas as pd

    frame = gpd.read_parquet(detections)
    frame = frame[frame["scene"] == first.name].assign(scene="x.tif")
    frame["acquired"] = pd.Timestamp("2024-03-16", tz="UTC")
    frame.to_parquet(tmp_path / "d.parquet")
    result = CliRunner().invoke(
        app,
        ["review", str(tmp_path / "d.parquet"), "--model", str(model), "--count", "5",
         "--scenes", str(tmp_path / folder / "x.tif"), "--out", str(tmp_path / "r")],
    )  # fmt: skip
    assert result.exit_code == exit_code, result.output
    if exit_code:
        assert "another scene of the same file name?" in result.output


def test_detections_without_a_date_are_not_refused_for_their_scenes_date(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """Detections whose ``acquired`` is empty (a table typed or exported without dates) tell
    no day to check a scene against: the date check of plain `dredge detect` output stopped
    with a traceback (NaT does not format as a date) on the scene that dates itself."""
    import geopandas as gpd
    import pandas as pd

    first = sorted((label_world / "scenes").glob("*SR.tif"))[0]
    frame = gpd.read_parquet(detections)
    frame = frame[frame["scene"] == first.name]
    frame["acquired"] = pd.NaT
    frame.to_parquet(tmp_path / "d.parquet")
    result = CliRunner().invoke(
        app,
        ["review", str(tmp_path / "d.parquet"), "--model", str(model), "--count", "5",
         "--scenes", str(first), "--out", str(tmp_path / "r")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def test_detections_dated_by_detect_date_are_reviewed_with_the_same_date(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """`dredge detect --date` (or `--dates`) on a scene that dates itself otherwise (its Planet
    name, metadata.json): reviewing the detections was refused as 'another scene of the same
    file name?' with no way past. `dredge review` takes the same --date / --dates, the scene's
    date for that check; another day given is still refused."""
    import geopandas as gpd
    import pandas as pd

    from detector.scene import open_scene

    first = sorted((label_world / "scenes").glob("*SR.tif"))[0]
    with open_scene(first) as scene:
        own = scene.acquired
    assert own is not None
    given = (own + pd.Timedelta(days=3)).strftime("%Y-%m-%d")
    frame = gpd.read_parquet(detections)
    frame = frame[frame["scene"] == first.name]
    frame["acquired"] = pd.Timestamp(given, tz="UTC")
    frame.to_parquet(tmp_path / "d.parquet")
    table = tmp_path / "dates.csv"
    table.write_text(f"scene,date\n{first.name},{given}\n")
    common = ["review", str(tmp_path / "d.parquet"), "--model", str(model), "--count", "5"]
    common += ["--scenes", str(first)]
    refused = CliRunner().invoke(app, [*common, "--out", str(tmp_path / "r0")])
    assert refused.exit_code == 2, refused.output
    assert "--date or --dates" in " ".join(refused.output.split())
    for k, extra in enumerate([["--date", given], ["--dates", str(table)]]):
        result = CliRunner().invoke(app, [*common, *extra, "--out", str(tmp_path / f"r{k + 1}")])
        assert result.exit_code == 0, result.output
    other = (own + pd.Timedelta(days=5)).strftime("%Y-%m-%d")
    result = CliRunner().invoke(app, [*common, "--date", other, "--out", str(tmp_path / "r3")])
    assert result.exit_code == 2, result.output
    assert "the date given dates it" in result.output


def test_detections_of_runs_put_together_are_reviewed_on_their_own_days_scene(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """Runs made one at a time on scenes of one file name (``2023/x.tif``, ``2024/x.tif``)
    name both ``x.tif``; their detections put together and reviewed on one of them had every
    day's boxes cut from its image (the date check passed on any day of the name): tiles
    centred where nothing is, and the other day's boxes pre-filled in them. Now only the
    scene's own day is exported, with a note; a scene whose date tells none of the days is
    refused in one line."""
    import geopandas as gpd
    import pandas as pd

    from detector.scene import open_scene

    frame = gpd.read_parquet(detections)
    parts, days = [], []
    for k, path in enumerate(sorted((label_world / "scenes").glob("*SR.tif"))[:2]):
        with open_scene(path) as scene:
            assert scene.acquired is not None
            days.append(scene.acquired.strftime("%Y-%m-%d"))
        (tmp_path / f"run{k}").mkdir()
        shutil.copy(path, tmp_path / f"run{k}" / "x.tif")
        mine = frame[frame["scene"] == path.name].assign(scene="x.tif")
        parts.append(mine.assign(acquired=pd.Timestamp(days[-1], tz="UTC")))
    assert days[0] != days[1]
    pd.concat(parts).to_parquet(tmp_path / "all.parquet")
    common = ["review", str(tmp_path / "all.parquet"), "--model", str(model), "--count", "50",
              "--scenes", str(tmp_path / "run1" / "x.tif")]  # fmt: skip
    result = CliRunner().invoke(app, [*common, "--date", days[1], "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    ours, theirs = set(parts[1]["detection_id"]), set(parts[0]["detection_id"])
    rows = (tmp_path / "r" / "tiles.csv").read_text().splitlines()[1:]
    assert rows and {row.split(",")[2] for row in rows} <= ours
    text = " ".join(result.output.split())
    note = f"({len(theirs)} detections on 'x.tif' of another day: another scene of that name"
    assert f"from {len(ours)} detections {note}" in text
    later = [part.assign(acquired=part["acquired"] + pd.Timedelta(days=9)) for part in parts]
    pd.concat(later).to_parquet(tmp_path / "all.parquet")  # days its date tag is not
    refused = CliRunner().invoke(app, [*common, "--out", str(tmp_path / "r2")])
    assert refused.exit_code == 2, refused.output
    assert "runs put together?), and its date (" in " ".join(refused.output.split())
    assert "Traceback" not in refused.output
