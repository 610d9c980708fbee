"""The files `dredge track` and `dredge counts` write: replaced only when asked, never half
written or of two runs, in the format their names say, and file options typed as folders."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from detector.track_pipeline import run_track
from tests import track_fixtures as tf
from tests.count_fixtures import two_year_world, write_inputs, write_strip_scene
from tests.track_fixtures import straight_line


def test_track_and_counts_replace_a_file_only_when_asked(tmp_path: Path) -> None:
    marked, rivers = write_inputs(tmp_path)
    runner = CliRunner()
    out = tmp_path / "tracks.parquet"
    mine = tmp_path / "tracks.observations.csv"
    mine.write_text("my notes\n")
    track = ["track", str(marked), "--rivers", str(rivers), "--out", str(out)]
    result = runner.invoke(app, track)
    assert result.exit_code == 2
    assert f"{mine}: exists — choose another name, or pass --overwrite" in result.output
    assert mine.read_text() == "my notes\n" and not out.exists()
    assert runner.invoke(app, [*track, "--overwrite"]).exit_code == 0
    assert "river" in mine.read_text()

    chart = tmp_path / "chart.png"
    chart.write_bytes(b"my chart")
    counts = ["counts", str(out), "--out", str(tmp_path / "counts.csv"), "--chart", str(chart)]
    result = runner.invoke(app, counts)
    assert result.exit_code == 2 and f"{chart}: exists" in result.output
    assert chart.read_bytes() == b"my chart" and not (tmp_path / "counts.csv").exists()
    assert runner.invoke(app, [*counts, "--overwrite"]).exit_code == 0
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_every_export_that_would_be_replaced_is_named_at_once(tmp_path: Path) -> None:
    """`dredge counts` with a chart and a KML that existed named only counts.csv: the others
    came to light one rerun at a time, or were replaced unseen with --overwrite; and the
    temporary a killed command left of the KML stayed (only the first file's were swept)."""
    marked, rivers = write_inputs(tmp_path)
    runner = CliRunner()
    out = tmp_path / "tracks.parquet"
    runner.invoke(app, ["track", str(marked), "--rivers", str(rivers), "--out", str(out)])
    csv_out, chart, kml = tmp_path / "counts.csv", tmp_path / "chart.png", tmp_path / "d.kml"
    for path in (csv_out, chart, kml):
        path.write_text("mine")
    left = tmp_path / ".d.kml.tmp-999999999.kml"  # of a process long gone
    left.write_text("half")
    counts = ["counts", str(out), "--out", str(csv_out), "--chart", str(chart), "--kml", str(kml)]
    result = runner.invoke(app, counts)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {csv_out}: exists, and so do {chart}, {kml} — choose other names, or pass "
        "--overwrite (it replaces all 3)"
    ]
    assert all(path.read_text() == "mine" for path in (csv_out, chart, kml))
    assert not left.exists()


@pytest.mark.parametrize("fault", ["ctrl-c", "disk full"])
def test_counts_and_exports_stopped_while_written_are_all_the_earlier_ones(
    fault: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge counts --overwrite` wrote counts.csv, the chart, the GeoPackage, the GeoJSON and
    the KML one after the other: stopped (Ctrl-C) or failing while it wrote the KML, the new
    counts, chart, GeoPackage and GeoJSON lay beside the earlier run's KML. Now they are
    renamed into place together, at the end: all the earlier ones, or all new."""
    import errno

    import detector.kml_export as kml_export

    marked, rivers = write_inputs(tmp_path)
    runner = CliRunner()
    out = tmp_path / "tracks.parquet"
    runner.invoke(app, ["track", str(marked), "--rivers", str(rivers), "--out", str(out)])
    names = ("counts.csv", "chart.png", "d.gpkg", "d.geojson", "d.detections.geojson", "d.kml")
    for name in names:
        (tmp_path / name).write_text("earlier")
    real = kml_export.ET.ElementTree.write

    def write_kml(self: object, path: object, *args: object, **kwargs: object) -> None:
        real(self, path, *args, **kwargs)  # type: ignore[arg-type]
        if fault == "ctrl-c":
            raise KeyboardInterrupt
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(kml_export.ET.ElementTree, "write", write_kml)
    counts = [
        *("counts", str(out), "--out", str(tmp_path / "counts.csv"), "--overwrite"),
        *("--chart", str(tmp_path / "chart.png"), "--gpkg", str(tmp_path / "d.gpkg")),
        *("--geojson", str(tmp_path / "d.geojson"), "--kml", str(tmp_path / "d.kml")),
    ]
    result = runner.invoke(app, counts)
    assert result.exit_code == (130 if fault == "ctrl-c" else 2)
    if fault == "disk full":
        assert "no space left on the device" in result.stderr
    left = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name in names}
    assert left == dict.fromkeys(names, b"earlier")
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    monkeypatch.undo()
    result = runner.invoke(app, counts)
    assert result.exit_code == 0, result.output
    assert not any((tmp_path / name).read_bytes() == b"earlier" for name in names)


def test_counts_to_a_file_of_no_known_format_is_one_clear_error(tmp_path: Path) -> None:
    marked, rivers = write_inputs(tmp_path)
    runner = CliRunner()
    out = tmp_path / "tracks.parquet"
    runner.invoke(app, ["track", str(marked), "--rivers", str(rivers), "--out", str(out)])
    result = runner.invoke(app, ["counts", str(out), "--out", str(tmp_path / "counts.xml")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "end the name in .csv or .json, or give --format" in lines[0]
    assert not (tmp_path / "counts.xml").exists()
    result = runner.invoke(
        app, ["counts", str(out), "--out", str(tmp_path / "counts.xml"), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output


def test_counts_named_for_the_other_format_than_format_is_one_clear_error(
    tmp_path: Path,
) -> None:
    """`--out c.json --format csv` wrote CSV under that name (a JSON reader refused it), and
    `--out c.csv --format json` JSON."""
    marked, rivers = write_inputs(tmp_path)
    runner = CliRunner()
    out = tmp_path / "tracks.parquet"
    runner.invoke(app, ["track", str(marked), "--rivers", str(rivers), "--out", str(out)])
    for name, fmt, other in (("c.json", "csv", ".json"), ("c.csv", "json", ".csv")):
        target = tmp_path / name
        result = runner.invoke(app, ["counts", str(out), "--out", str(target), "--format", fmt])
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == (
            f"error: {target}: --format is {fmt}, but the name ends in {other} — end it in "
            f".{fmt}, or leave --format out"
        )
        assert not target.exists()
    result = runner.invoke(
        app, ["counts", str(out), "--out", str(tmp_path / "c.JSON"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output


def test_track_stopped_while_writing_leaves_no_mix_of_two_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge track --overwrite` wrote tracks.parquet, tracks.detections.parquet and
    tracks.observations.csv one after the other: stopped before the last, the new tracks lay
    beside the previous run's observations, and `dredge counts` took their scenes and zero rows
    without a word (here a 2025 of 0 dredges, where the first run counted 1 and the second has
    no 2025). Now the three are replaced together, or the tracks file is missing."""
    from detector.track_pipeline import run_counts
    from tests.geo_fixtures import write_udm2

    line = straight_line()
    net = tf.network(line)
    days_2024 = tf.dates(3)
    days_2025 = [day + pd.Timedelta(days=365) for day in days_2024]
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for t in days_2024 + days_2025:
        write_udm2(write_strip_scene(scenes / f"{tf.scene_name(t)}.tif"))
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    both = tmp_path / "both.parquet"  # both years' detections, then 2024's alone
    spots = [(t, tf.point_at(line, 2000)) for t in days_2024]
    spots += [(t, tf.point_at(line, 4000)) for t in days_2025]
    tf.detections(spots, net).to_parquet(both)
    first = tmp_path / "2024.parquet"
    tf.detections(spots[:3], net).to_parquet(first)
    out = tmp_path / "tracks.parquet"
    run_track(both, rivers, out, scenes=[str(scenes)])
    run_counts(out, tmp_path / "before.csv")
    before = pd.read_csv(tmp_path / "before.csv")
    rows = before[["year", "unique_dredges", "scenes"]].values.tolist()
    assert rows == [[2024, 1, 3], [2025, 1, 3]]
    of_2024 = sorted(str(path) for path in scenes.glob("2024*.tif"))

    def stopped(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C, or a kill, while the observations were written

    with monkeypatch.context() as patch:
        patch.setattr(pd.DataFrame, "to_csv", stopped)
        with pytest.raises(KeyboardInterrupt):
            run_track(first, rivers, out, scenes=of_2024)
    run_counts(out, tmp_path / "after.csv")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "after.csv"), before)
    run_track(first, rivers, out, scenes=of_2024)
    run_counts(out, tmp_path / "again.csv")
    again = pd.read_csv(tmp_path / "again.csv")
    assert again[["year", "unique_dredges", "scenes"]].values.tolist() == [[2024, 1, 3]]


def test_track_outputs_carry_no_metadata_of_the_reader(tmp_path: Path) -> None:
    """The reader's notes (pandas attrs, with the input's absolute path) were stored in
    tracks.detections.parquet's metadata (PANDAS_ATTRS): a table shared with a partner told
    where the analyst kept their files. The outputs hold the tables only."""
    import pyarrow.parquet as pq

    from detector.track_pipeline import run_track, sidecars

    line = straight_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    points = [(t, tf.point_at(line, at)) for t in tf.dates(3) for at in (500, 1500)]
    table = tf.detections(points)
    table.attrs["note"] = f"read from {tmp_path / 'private' / 'marks.kml'}"
    table.to_parquet(tmp_path / "detections.parquet")
    run_track(tmp_path / "detections.parquet", rivers, tmp_path / "tracks.parquet")
    for path in (tmp_path / "tracks.parquet", *sidecars(tmp_path / "tracks.parquet")[:1]):
        metadata = pq.read_metadata(path).metadata
        assert b"PANDAS_ATTRS" not in metadata, (path.name, metadata[b"PANDAS_ATTRS"][:200])


def test_tracks_named_other_than_parquet_are_refused_before_tracking(tmp_path: Path) -> None:
    """`dredge track … --out tracks.gpkg` wrote GeoParquet under that name (QGIS cannot open
    it), and `dredge counts tracks.gpkg` then said it "is not a tracks file … run `dredge
    track` on them first"; without a suffix, the same. Now one line, before any work."""
    marked, rivers = write_inputs(tmp_path)
    for name in ("tracks.gpkg", "tracks.geojson", "tracks"):
        args = ["track", str(marked), "--rivers", str(rivers), "--out", str(tmp_path / name)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "end the name in .parquet" in " ".join(result.output.split()), result.output
        assert not (tmp_path / name).exists()
    assert not list(tmp_path.glob("tracks.*"))
    from detector.track_pipeline import run_counts

    run_track(marked, rivers, tmp_path / "tracks.pq")  # as Parquet's short suffix, which
    assert run_counts(tmp_path / "tracks.pq", tmp_path / "c.csv")  # counts refused as no tracks


def test_a_folder_given_for_a_file_says_it_is_a_folder_and_names_the_file_in_it(
    tmp_path: Path,
) -> None:
    """`dredge counts RUN` (a `dredge run` folder for its tracks.parquet), `--detections RUN`
    and `dredge track --dates FOLDER` said 'file not found' of a folder that is there."""
    linked, tracks = two_year_world()
    run = tmp_path / "run"
    run.mkdir()
    tracks.to_parquet(run / "tracks.parquet")
    linked.to_parquet(run / "tracks.detections.parquet")
    empty = tmp_path / "empty"
    empty.mkdir()
    out = ["--out", str(tmp_path / "c.csv")]
    track = ["track", str(run / "d.parquet"), "--rivers", str(run / "r.geojson")]
    track += ["--out", str(tmp_path / "t.parquet"), "--scenes", str(run), "--dates"]
    for args, line in [
        (["counts", str(run), *out], f"{run}: is a folder — give the file in it, "
         f"{run / 'tracks.parquet'}"),
        (["counts", str(run / "tracks.parquet"), *out, "--detections", str(run)],
         f"{run}: is a folder — give the file in it, {run / 'tracks.detections.parquet'}"),
        (["counts", str(empty), *out], f"{empty}: is a folder — give the tracks file written "
         "by `dredge track`"),
        ([*track, str(empty)], f"{empty}: is a folder — give a CSV with columns scene,date"),
    ]:  # fmt: skip
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == f"error: {line}", result.stderr
    assert not (tmp_path / "c.csv").exists()


@pytest.mark.parametrize(
    ("option", "name"),
    [
        ("--out", "counts.csv"),
        ("--chart", "counts.png"),
        ("--gpkg", "dredges.gpkg"),
        ("--geojson", "dredges.geojson"),
        ("--kml", "dredges.kml"),
    ],
)
def test_a_file_option_typed_as_a_folder_is_one_line(
    option: str, name: str, tmp_path: Path
) -> None:
    """`dredge counts TRACKS --out results/` (a folder that is not there yet) wrote a CSV file
    named `results`, exit 0 (typer's Path drops the slash); `--chart charts/` a PNG named
    `charts`. A file option typed with a trailing slash (or `/.`) is one line naming it."""
    linked, tracks = two_year_world()
    tracks.to_parquet(tmp_path / "tracks.parquet")
    linked.to_parquet(tmp_path / "tracks.detections.parquet")
    folder = tmp_path / "results"
    args = ["counts", str(tmp_path / "tracks.parquet"), "--out", str(tmp_path / "c.csv")]
    for typed in (f"{folder}/", f"{folder}/."):
        result = CliRunner().invoke(app, [*args, option, typed])
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            f"error: {option}: {typed!r} names a folder — give a file name ({folder / name})\n"
        )
        assert not folder.exists() and not (tmp_path / "c.csv").exists()


def test_detect_and_track_out_typed_as_a_folder_is_one_line(tmp_path: Path) -> None:
    """`dredge track --out tracks/` and `dredge detect --out found/` named a file `tracks` /
    `found` (typer's Path drops the slash); a folder option (`dredge tiles --out chips/`) keeps
    its slash's meaning."""
    missing = str(tmp_path / "missing.parquet")
    runs = {
        "tracks.parquet": ["track", missing, "--rivers", missing, "--out"],
        "detections.parquet": ["detect", missing, "--rivers", missing, "--no-progress", "--out"],
    }
    for name, command in runs.items():
        result = CliRunner().invoke(app, [*command, f"{tmp_path}/found/"])
        assert result.exit_code == 2, result.output
        assert f"names a folder — give a file name ({tmp_path / 'found' / name})" in result.stderr
    tiles = ["tiles", missing, "--rivers", missing, "--no-progress", "--out", f"{tmp_path}/c/"]
    result = CliRunner().invoke(app, tiles)
    assert "names a folder" not in result.output and "missing.parquet" in result.output
