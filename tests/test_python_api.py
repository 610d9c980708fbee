"""The stages called from Python as a notebook calls them: paths as ``str``, one scene folder
given alone rather than in a list, ``observed_areas`` of a folder."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from detector.observed import observed_areas
from detector.report import write_report
from detector.rivers import RiverNetwork
from detector.run import run_pipeline
from detector.scene_files import expand_scene_paths
from detector.scene_sources import resolve_scenes
from detector.track_pipeline import run_counts, run_track
from tests.geo_fixtures import write_rivers, write_scene
from tests.model_fixtures import BrightBlobDetector, card_for_blobs

DAYS = ("20240115_143000_00_2400", "20240305_143000_00_2400")


def _two_scenes(folder: Path) -> tuple[Path, Path]:
    """A folder of two dates of the same scene, and the river through it."""
    folder.mkdir()
    scenes = [write_scene(folder / f"{day}_3B_AnalyticMS_SR.tif") for day in DAYS]
    rivers = folder.parent / "rivers.geojson"
    write_rivers(rivers, {"nanay": scenes[0].river}, crs=scenes[0].crs)
    return folder, rivers


def test_run_track_counts_and_report_take_str_paths_and_a_scene_folder_alone(
    tmp_path: Path,
) -> None:
    """From a notebook, ``run_pipeline("scenes", "rivers.geojson", "out")`` stopped on
    "'str' object has no attribute 'exists'"; ``run_track`` with a str ``out`` on "… no
    attribute 'name'", ``run_counts`` with str paths on "… no attribute 'resolve'", and
    ``write_report`` of a str folder on "unsupported operand type(s) for /". A folder given
    alone as ``scenes`` was read character by character: scenes ``/``, ``t``, ``m``, …, each
    failed "file not found", and the run ended with empty counts and no error. Now each takes
    str paths, one folder is its scenes, and the counts are those of the same call with Path."""
    folder, rivers = _two_scenes(tmp_path / "scenes")
    card = card_for_blobs(tmp_path / "model", bands=("nir", "red", "green"))
    quiet = {"progress": False, "echo": lambda _: None, "warn": lambda _: None}
    out = tmp_path / "run"
    result = run_pipeline(str(folder), str(rivers), str(out), model=BrightBlobDetector(card),
                          flips=False, **quiet)  # type: ignore[arg-type]  # fmt: skip
    assert sorted(Path(s).name for s in result.scenes) == [
        f"{d}_3B_AnalyticMS_SR.tif" for d in DAYS
    ]
    assert not result.failures and result.detections > 0
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    report = write_report(str(out), manifest, rivers=RiverNetwork.read(str(rivers)))
    assert report == out / "report.html"

    tracked = run_track(str(out / "detections.parquet"), str(rivers), str(tmp_path / "t.parquet"),
                        scenes=str(folder))  # fmt: skip
    assert tracked.tracks == tmp_path / "t.parquet"
    lines = run_counts(str(tmp_path / "t.parquet"), str(tmp_path / "c.csv"),
                       gpkg=str(tmp_path / "d.gpkg"), kml=str(tmp_path / "d.kml"))  # fmt: skip
    assert lines[0].startswith(f"wrote {tmp_path / 'c.csv'}")
    assert (tmp_path / "d.gpkg").is_file() and (tmp_path / "d.kml").is_file()
    counted = pd.read_csv(tmp_path / "c.csv", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(counted, pd.read_csv(out / "counts.csv", encoding="utf-8-sig"))
    assert counted["scenes"].tolist() == [2]


def test_one_scene_folder_given_alone_is_its_scenes(tmp_path: Path) -> None:
    """``resolve_scenes("scenes")`` (and so ``run_track(…, scenes="scenes")``) iterated the
    string: its characters were the scenes; so did ``expand_scene_paths``, which
    ``detect_scenes("scenes", …)`` reads its scenes by (each character a failed scene)."""
    folder, _ = _two_scenes(tmp_path / "scenes")
    listed = resolve_scenes([folder]).paths
    assert len(listed) == 2
    assert resolve_scenes(str(folder)).paths == listed
    assert resolve_scenes(folder).paths == listed
    assert expand_scene_paths(str(folder)) == expand_scene_paths([folder]) == listed


def test_observed_areas_of_a_folder_are_those_of_its_scenes(tmp_path: Path) -> None:
    """``observed_areas([folder])`` said "cannot be read (… not recognized as being in a
    supported file format) — the file may be truncated or corrupt", and of a str folder alone
    it read '/' and stopped the same way."""
    folder, _ = _two_scenes(tmp_path / "scenes")
    files = sorted(folder.glob("*_AnalyticMS_SR.tif"))
    expected = observed_areas(files)
    for given in ([folder], folder, str(folder)):
        found = observed_areas(given)
        assert found["scene"].tolist() == expected["scene"].tolist()
        assert found.geometry.equals(expected.geometry)
    twice = observed_areas([files[0], files[0]])  # a row per scene given, as run_track zips
    assert len(twice) == 2


def test_observed_areas_of_a_glob_a_missing_file_and_an_empty_folder(tmp_path: Path) -> None:
    """``observed_areas("scenes/*.tif")`` and of a missing file said "cannot be read (… No
    such file or directory) — the file may be truncated or corrupt", untrue of both; an empty
    folder gave no row without a word. Now a glob gives its matches' rows (as
    ``resolve_scenes`` reads it), and the others are one line naming the path."""
    from detector.errors import DredgeError

    folder, _ = _two_scenes(tmp_path / "scenes")
    files = sorted(folder.glob("*_AnalyticMS_SR.tif"))
    expected = observed_areas(files)
    found = observed_areas(str(folder / "*.tif"))
    assert found["scene"].tolist() == expected["scene"].tolist()
    assert found.geometry.equals(expected.geometry)
    (tmp_path / "empty").mkdir()
    refused = [
        ([files[0], folder / "nope.tif"], rf"^{folder / 'nope.tif'}: file not found — check "),
        (str(folder / "*.jp2"), r"\*\.jp2: the pattern matches no scene — check the glob$"),
        (tmp_path / "empty", rf"^no scenes \(\*\.tif\) in {tmp_path / 'empty'}$"),
    ]
    for given, said in refused:
        with pytest.raises(DredgeError, match=said) as raised:
            observed_areas(given)  # type: ignore[arg-type]
        assert "corrupt" not in str(raised.value) and "\n" not in str(raised.value)


def test_run_tiles_takes_a_str_out(tmp_path: Path) -> None:
    """``run_tiles(scenes, rivers, "tiles", spec)`` stopped on "'str' object has no attribute
    'mkdir'"; now its chips and index are those of the same call with a Path ``out``."""
    from detector.chips import INDEX_NAME, run_tiles
    from detector.inputspec import InputSpec

    folder, rivers = _two_scenes(tmp_path / "scenes")
    scenes = [str(p) for p in sorted(folder.glob("*_AnalyticMS_SR.tif"))]
    network = RiverNetwork.read(str(rivers))
    spec = InputSpec(bands=("nir", "red", "green"), tile_px=128, overlap_px=16)
    quiet = {"progress": False, "echo": lambda _: None, "warn": lambda _: None}
    given = run_tiles(scenes, network, str(tmp_path / "a"), spec, **quiet)  # type: ignore[arg-type]
    same = run_tiles(scenes, network, tmp_path / "b", spec, **quiet)  # type: ignore[arg-type]
    assert not given.failures and given.tiles == same.tiles > 0
    chips = sorted(p.name for p in (tmp_path / "a" / "chips").iterdir())
    assert chips == sorted(p.name for p in (tmp_path / "b" / "chips").iterdir())
    assert len(pd.read_parquet(tmp_path / "a" / INDEX_NAME)) == given.tiles


def test_run_tiles_takes_a_scene_folder_alone(tmp_path: Path) -> None:
    """``run_tiles("scenes", …)`` read the string character by character: 23 failed scenes
    (``/``, ``t``, ``m``, … "file not found") and no chip. Now one folder given alone, as
    ``str`` or ``Path``, is its scenes, as in ``detect_scenes`` and ``run_pipeline``: the
    same tiles as the list of its files."""
    from detector.chips import run_tiles
    from detector.inputspec import InputSpec

    folder, rivers = _two_scenes(tmp_path / "scenes")
    files = [str(p) for p in sorted(folder.glob("*_AnalyticMS_SR.tif"))]
    network = RiverNetwork.read(rivers)
    spec = InputSpec(bands=("nir", "red", "green"), tile_px=128, overlap_px=16)
    quiet = {"progress": False, "echo": lambda _: None, "warn": lambda _: None}
    listed = run_tiles(files, network, tmp_path / "listed", spec, **quiet)  # type: ignore[arg-type]
    assert not listed.failures and listed.tiles > 0
    for name, given in (("str", str(folder)), ("path", folder), ("list", [folder])):
        run = run_tiles(given, network, tmp_path / name, spec, **quiet)  # type: ignore[arg-type]
        assert not run.failures and run.tiles == listed.tiles
        assert pd.read_parquet(tmp_path / name / "tiles.parquet")["scene"].nunique() == 2


def test_run_demo_takes_a_str_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``run_demo("demo")`` stopped on "unsupported operand type(s) for /: 'str' and 'str'"
    before it drew the world; now it runs into ``demo/world`` and ``demo/run`` (the world
    and the pipeline stood in for, as in test_demo_writes)."""
    import training.synth.world
    from detector.demo import run_demo

    counts = pd.DataFrame(
        {"river": ["Nanay"], "year": [2024], "unique_dredges": [3], "unique_low": [3],
         "unique_high": [3]}
    )  # fmt: skip
    out = tmp_path / "demo"
    (out / "world" / "truth").mkdir(parents=True)
    (out / "run").mkdir()
    counts.to_csv(out / "world" / "truth" / "counts.csv", index=False)
    monkeypatch.setattr(training.synth.world, "is_same_world", lambda path, config: True)
    given: list[object] = []

    def pipeline(scenes: list[Path], rivers: Path, run: Path, **kwargs: object) -> object:
        given.extend([scenes, rivers, run])
        return SimpleNamespace(counts=counts)

    monkeypatch.setattr("detector.demo.run_pipeline", pipeline)
    result = run_demo(str(out), echo=lambda line: None)
    assert given == [[out / "world" / "scenes"], out / "world" / "rivers.geojson", out / "run"]
    assert result.world == out / "world"
    assert result.comparison["within_10pct"].tolist() == [True]
    assert (out / "run" / "counts_vs_truth.csv").is_file()


def test_write_detections_names_its_fmt_parameter_not_the_cli_option(tmp_path: Path) -> None:
    """``write_detections(frame, "d.csv")`` said "… or give --format", an option a Python
    caller has not: its parameter is ``fmt``. Now it says ``fmt=``, and `dredge detect`'s own
    check (``output_format``) still says --format."""
    from detector.detection_table import empty_detections, output_format, write_detections

    frame = empty_detections()
    wrong = [
        ("d.csv", None, r"d\.csv: no detections format ends in '\.csv' — end the name in "
                        r"\.parquet, \.gpkg or \.geojson, or give fmt=$"),
        ("d.parquet", "gpkg", r"d\.parquet: fmt= is gpkg, but the name ends in \.parquet — end "
                              r"it in \.gpkg, or leave fmt= out$"),
        ("d.gpkg", "shp", r"^fmt= must be one of parquet, gpkg, geojson, got 'shp'$"),
    ]  # fmt: skip
    for name, fmt, said in wrong:
        with pytest.raises(ValueError, match=said):
            write_detections(frame, str(tmp_path / name), fmt)
        assert not (tmp_path / name).exists()
    with pytest.raises(ValueError, match=r"or give --format$"):
        output_format(tmp_path / "d.csv")
    assert write_detections(frame, str(tmp_path / "d.gpkg")) == tmp_path / "d.gpkg"


def test_write_counts_and_run_counts_name_their_fmt_parameter(tmp_path: Path) -> None:
    """``write_counts(counts, "c.txt")`` and ``run_counts("t.parquet", "c.txt")`` said "… or
    give --format", an option a Python caller has not: their parameter is ``fmt``. Now they say
    ``fmt=``, before any file is read, and `dredge counts`' own check still says --format."""
    from detector.exports import counts_format, write_counts

    counts = pd.DataFrame({"river": ["Nanay"], "year": [2024], "unique_dredges": [1]})
    wrong = [
        ("c.txt", None, r"c\.txt: no counts format ends in '\.txt' — end the name in \.csv or "
                        r"\.json, or give fmt=$"),
        ("c.json", "csv", r"c\.json: fmt= is csv, but the name ends in \.json — end it in "
                          r"\.csv, or leave fmt= out$"),
    ]  # fmt: skip
    for name, fmt, said in wrong:
        with pytest.raises(ValueError, match=said):
            write_counts(counts, str(tmp_path / name), fmt)
        with pytest.raises(ValueError, match=said):  # no tracks file: the name is checked first
            run_counts(str(tmp_path / "none.parquet"), str(tmp_path / name), fmt=fmt)
        assert not (tmp_path / name).exists()
    with pytest.raises(ValueError, match=r"or give --format$"):
        counts_format(tmp_path / "c.txt")
    assert write_counts(counts, str(tmp_path / "c.json")) == tmp_path / "c.json"


def test_run_counts_names_its_parameters_and_dredge_counts_its_options(tmp_path: Path) -> None:
    """``run_counts`` from Python said "… or leave --observations out" of an ``observations=``
    not found or of another run, "--years: cannot read …" of ``years="last"`` and "given to
    both --out and --geojson", options a Python caller has not. Now it names its parameters,
    and `dredge counts` its options, as before."""
    from typer.testing import CliRunner

    from detector.cli import app
    from detector.errors import DredgeError
    from tests.count_fixtures import two_year_world

    linked, tracks = two_year_world()
    tracks.to_parquet(tmp_path / "tracks.parquet")
    linked.to_parquet(tmp_path / "tracks.detections.parquet")
    missing, same, other = tmp_path / "none.csv", tmp_path / "c.json", tmp_path / "other.csv"
    other.write_text("river,date,scenes,source\nElsewhere,2024-03-01,1,scenes\n")
    cases = [
        ({"observations": other}, ["--observations", str(other)],
         f"{other}: does not match tracks.parquet: 10 of 10 river-days with detections are not "
         "in it (e.g. Meander 2024-03-01): of another run, or edited — give the observations "
         "`dredge track` wrote with these tracks (tracks.observations.csv), or leave "
         "{observations} out"),
        ({"observations": missing}, ["--observations", str(missing)],
         f"{missing}: file not found — give the observations written beside the tracks by "
         "`dredge track` (tracks.observations.csv), or leave {observations} out"),
        ({"years": "last"}, ["--years", "last"],
         "{years}: cannot read 'last' — give a year or a range: 2023-2025"),
        ({"geojson": same}, ["--geojson", str(same)],
         f"{same}: given to both {{out}} and {{geojson}} — give each its own name"),
        ({"gpkg": tmp_path / "d.geojson"}, ["--gpkg", str(tmp_path / "d.geojson")],
         f"{tmp_path / 'd.geojson'}: {{gpkg}} writes a GeoPackage — end the name in .gpkg "
         "(GeoJSON: {geojson})"),
    ]  # fmt: skip
    python = {"observations": "observations=", "years": "years=", "out": "out=",
              "geojson": "geojson=", "gpkg": "gpkg="}  # fmt: skip
    options = {"observations": "--observations", "years": "--years", "out": "--out",
               "geojson": "--geojson", "gpkg": "--gpkg"}  # fmt: skip
    for given, args, said in cases:
        with pytest.raises(DredgeError) as caught:
            run_counts(str(tmp_path / "tracks.parquet"), str(same), **given)
        assert str(caught.value) == said.format(**python)
        result = CliRunner().invoke(
            app, ["counts", str(tmp_path / "tracks.parquet"), "--out", str(same), *args]
        )
        assert result.exit_code == 2, result.output
        assert " ".join(result.stderr.split()) == f"error: {said.format(**options)}"
        assert not same.exists()
