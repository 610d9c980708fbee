"""Exports read back valid: schema, CRS, geometries, a real PNG; counts tables kept readable in
Excel, charts of many rivers, each file in the format its name says and one name given to two
outputs refused. dredges.kml: test_exports_kml.py."""

from __future__ import annotations

import json
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from detector.counts import COUNT_COLUMNS, yearly_counts
from detector.exports import write_chart, write_counts, write_geojson, write_gpkg, write_kml
from tests.count_fixtures import two_year_world


@pytest.fixture(scope="module")
def world() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    linked, tracks = two_year_world()
    return linked, tracks, yearly_counts(tracks, linked)


def test_counts_csv_and_json_read_back(world: tuple, tmp_path: Path) -> None:
    _, _, counts = world
    csv = pd.read_csv(write_counts(counts, tmp_path / "c.csv"))
    assert list(csv.columns) == COUNT_COLUMNS
    pd.testing.assert_frame_equal(csv, counts, check_dtype=False)
    records = json.loads(write_counts(counts, tmp_path / "c.out", "json").read_text())
    assert records[0] == {  # an unknown seen_km (NaN) is null, not the NaN JSON lacks
        k: None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)
        for k, v in counts.iloc[0].items()
    }
    with pytest.raises(ValueError, match="unknown format"):
        write_counts(counts, tmp_path / "c.xls", "xls")
    with pytest.raises(ValueError, match=r"fmt= is csv, but the name ends in \.json"):
        write_counts(counts, tmp_path / "c.json", "csv")  # it wrote CSV under that name
    assert not (tmp_path / "c.json").exists()


def test_counts_csv_keeps_accents_for_excel(world: tuple, tmp_path: Path) -> None:
    """Without a byte-order mark Excel shows 'Aguaytía' as 'AguaytÃ­a'."""
    _, _, counts = world
    path = write_counts(counts.assign(river="Aguaytía"), tmp_path / "c.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfriver,")
    assert pd.read_csv(path)["river"].tolist() == ["Aguaytía"] * len(counts)


def test_chart_is_a_png(world: tuple, tmp_path: Path) -> None:
    _, _, counts = world
    path = write_chart(counts, tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 5000


def test_geopackage_layers(world: tuple, tmp_path: Path) -> None:
    linked, tracks, _ = world
    path = write_gpkg(tracks, linked, tmp_path / "d.gpkg")
    assert sorted(pyogrio.list_layers(path)[:, 0]) == ["detections", "dredges"]
    dredges = gpd.read_file(path, layer="dredges")
    dets = gpd.read_file(path, layer="detections")
    for frame, source in ((dredges, tracks), (dets, linked)):
        assert frame.crs.to_epsg() == 4326
        assert len(frame) == len(source)
        assert not (frame.geometry.isna() | frame.geometry.is_empty).any()
        assert set(source.columns) <= set(frame.columns)
    assert dredges["dates"].tolist() == tracks["dates"].tolist()
    assert sorted(dets["track_id"].unique()) == sorted(tracks["track_id"])


def test_geopackage_layers_without_a_dredge_keep_their_geometry_type(
    world: tuple, tmp_path: Path
) -> None:
    """Empty, they were written as geometry type "Unknown" (a table without geometry)."""
    linked, tracks, _ = world
    path = write_gpkg(tracks.iloc[:0], linked.iloc[:0], tmp_path / "d.gpkg")
    assert dict(pyogrio.list_layers(path)) == {"dredges": "Point", "detections": "Polygon"}


def test_geojson_files(world: tuple, tmp_path: Path) -> None:
    linked, tracks, _ = world
    dredges_path, dets_path = write_geojson(tracks, linked, tmp_path / "d.geojson")
    assert dets_path.name == "d.detections.geojson"
    dredges = gpd.read_file(dredges_path)
    assert dredges.crs.to_epsg() == 4326 and len(dredges) == len(tracks)
    assert not dredges.geometry.is_empty.any()
    raw = json.loads(dredges_path.read_text())
    first = raw["features"][0]["properties"]
    assert first["first_seen"].endswith("Z") and ";" in first["dates"]
    assert len(gpd.read_file(dets_path)) == len(linked)


def test_a_chart_with_no_river_years_says_so_without_warnings(tmp_path: Path) -> None:
    empty = pd.DataFrame(columns=COUNT_COLUMNS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warned of a legend with nothing in it
        path = write_chart(empty, tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_odd_river_names_in_the_chart_and_the_kml(world: tuple, tmp_path: Path) -> None:
    """'$' started matplotlib's math text ('Santiago $\\frac$' stopped the run, 'US$5' was drawn
    in italics), a leading '_' hid a river from the legend, and a control character pasted
    into a name made dredges.kml invalid XML, which Google Earth refuses."""
    from detector.exports import chart_text

    linked, tracks, counts = world
    odd = "Santiago $\\frac$"
    write_chart(counts.assign(river=odd), tmp_path / "chart.png")
    assert chart_text(odd) == "Santiago \\$\\frac\\$" and chart_text("_Nanay") == " _Nanay"
    assert chart_text("x" * 60).endswith("…") and len(chart_text("x" * 60)) == 40
    named = "Nanay\x08\x01"
    path, _ = write_kml(tracks.assign(river=named), tmp_path / "d.kml", linked.assign(river=named))
    root = ET.parse(path).getroot()  # it did not parse: 'not well-formed (invalid token)'
    assert "Nanay" in ET.tostring(root, encoding="unicode")


def test_each_river_has_its_own_bars_in_the_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """matplotlib's ten-colour cycle gave the 11th river the 1st one's colour (Tigre's bars
    were Amazonas' blue, the 12th and 13th river the 2nd and 3rd one's): a bar could be read as
    the other river's. Each river's bars now differ from every other's in colour or pattern."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex
    from matplotlib.container import BarContainer

    names = [f"River {i:02d}" for i in range(20)]  # more get a chart each
    counts = pd.DataFrame(
        [
            {"river": name, "year": year, "unique_dredges": i + 1, "new_dredges": 0,
             "detections": i + 1, "scenes": 5, "unique_low": i + 1, "unique_high": i + 1}
            for i, name in enumerate(names)
            for year in (2024, 2025)
        ]
    )  # fmt: skip
    figures: list = []
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig) or close(fig))
    write_chart(counts, tmp_path / "chart.png")
    bars = [c for c in figures[0].axes[0].containers if isinstance(c, BarContainer)]
    styles = {(to_hex(b.patches[0].get_facecolor()), b.patches[0].get_hatch()) for b in bars}
    assert len(bars) == len(names) and len(styles) == len(names)


def test_a_chart_of_very_many_rivers_draws_those_with_most_dredges(tmp_path: Path) -> None:
    """1,300 rivers got a small chart each: a PNG of 1584 × 65,592 px (43 s, and a warning
    from Pillow of a decompression bomb where it is read). Over 100, the rivers with most
    dredges are drawn, and the title says how many more counts.csv holds."""
    from PIL import Image

    from detector.exports import CHART_RIVERS, chart_rivers

    names = [f"Río {i:03d}" for i in range(130)]
    counts = pd.DataFrame(
        [{"river": name, "year": 2024, "unique_dredges": i % 7, "unique_low": 0, "unique_high": 9}
         for i, name in enumerate(names)]
    )  # fmt: skip
    rivers, left_out = chart_rivers(counts)
    assert len(rivers) == CHART_RIVERS == 100 and left_out == 30
    totals = counts.set_index("river")["unique_dredges"]
    assert min(totals[rivers]) >= max(totals.drop(index=rivers))  # the busiest kept
    assert rivers == sorted(rivers)
    with Image.open(write_chart(counts, tmp_path / "chart.png")) as image:
        assert image.height < 6000  # 100 small charts, 20 rows: about 4,800 px


def test_every_river_of_a_regional_chart_is_named_and_drawn_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The legend held 20 rivers one under the other; of 30, the last 9 were drawn below the
    image, and their bars were named nowhere (of 100 rivers over 10 years, the bars ran into
    one black block). More than 20 rivers get a chart each, named over it, on one scale."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.container import BarContainer

    names = [f"Río {i:02d}" for i in range(30)]
    counts = pd.DataFrame(
        [{"river": name, "year": year, "unique_dredges": i, "unique_low": i, "unique_high": i}
         for i, name in enumerate(names) for year in (2024, 2025)]
    )  # fmt: skip
    figures: list = []
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig) or close(fig))
    write_chart(counts, tmp_path / "chart.png")
    fig = figures[0]
    canvas = FigureCanvasAgg(fig)  # closed: drawn again to measure where its texts lie
    canvas.draw()
    page = fig.bbox
    named = {}
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        box = ax.title.get_window_extent(canvas.get_renderer())
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 <= page.y1
        bars = [c for c in ax.containers if isinstance(c, BarContainer)]
        named[ax.get_title()] = [p.get_height() for p in bars[0].patches]
    assert list(named) == names
    assert named["Río 29"] == [29, 29]
    assert len({ax.get_ylim() for ax in fig.axes if ax.get_visible()}) == 1  # one scale


def test_exports_are_written_in_the_format_their_name_says(tmp_path: Path) -> None:
    """`dredge counts --chart counts.svg` wrote a PNG under that name, `--kml dredges.kmz`
    the KML text (not the zip a KMZ is: Google Earth and `dredge track` could not open it,
    'is not a valid kmz file'), and `--gpkg dredges.geojson` a GeoPackage, each without a
    word. The chart and the KMZ are now what their names say; a GeoPackage named otherwise is
    one line, before anything is written."""
    import zipfile

    from typer.testing import CliRunner

    from detector.cli import app
    from detector.track_pipeline import run_counts, run_track
    from tests.count_fixtures import write_inputs

    marked, rivers = write_inputs(tmp_path)
    tracks = tmp_path / "tracks.parquet"
    run_track(marked, rivers, tracks)
    chart, kmz = tmp_path / "counts.svg", tmp_path / "dredges.kmz"
    run_counts(tracks, tmp_path / "counts.csv", chart=chart, kml=kmz)
    assert b"<svg" in chart.read_bytes()[:500]
    assert zipfile.is_zipfile(kmz)
    again = tmp_path / "again.parquet"
    run_track(kmz, rivers, again)  # read back as any KMZ of Google Earth
    assert len(gpd.read_parquet(again)) == len(gpd.read_parquet(tracks))
    for option, name, said in (
        ("--gpkg", "dredges.geojson", "--gpkg writes a GeoPackage — end the name in .gpkg"),
        ("--chart", "chart.csv", "--chart draws PNG, SVG, PDF or JPEG"),
        ("--kml", "dredges.xml", "--kml writes KML for Google Earth"),
    ):
        out = tmp_path / "refused.csv"
        args = ["counts", str(tracks), "--out", str(out), option, str(tmp_path / name)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2 and said in " ".join(result.output.split()), result.output
        assert not out.exists() and not (tmp_path / name).exists()


def test_a_geojson_of_another_suffix_or_two_outputs_of_one_name_are_refused(
    tmp_path: Path,
) -> None:
    """`dredge counts --geojson dredges.gpkg` wrote GeoJSON under that name (the suffix check
    of --gpkg, --kml and --chart left --geojson out), and `--out c.json --geojson c.json` wrote
    the counts, then the GeoJSON over them: both 'wrote c.json' lines, exit 0, no counts."""
    from typer.testing import CliRunner

    from detector.cli import app
    from detector.track_pipeline import run_track
    from tests.count_fixtures import write_inputs

    marked, rivers = write_inputs(tmp_path)
    tracks = tmp_path / "tracks.parquet"
    run_track(marked, rivers, tracks)
    same = tmp_path / "c.json"
    for args, line in [
        (["--out", str(tmp_path / "c.csv"), "--geojson", str(tmp_path / "d.gpkg")],
         f"{tmp_path / 'd.gpkg'}: --geojson writes GeoJSON — end the name in .geojson or .json"),
        (["--out", str(same), "--geojson", str(same)],
         f"{same}: given to both --out and --geojson — give each its own name"),
        (["--out", str(tmp_path / "k.json"), "--geojson", str(tmp_path / "d.json")], None),
    ]:  # fmt: skip
        result = CliRunner().invoke(app, ["counts", str(tracks), *args])
        if line is None:  # GeoJSON named .json, beside counts of another name, as before
            assert result.exit_code == 0, result.output
            assert (tmp_path / "d.detections.geojson").is_file()
            continue
        assert result.exit_code == 2, result.output
        assert result.stderr.strip().startswith(f"error: {line}"), result.stderr
        assert not {"c.csv", "c.json", "d.gpkg"} & {p.name for p in tmp_path.iterdir()}


def test_two_outputs_of_one_file_spelt_two_ways_are_refused(tmp_path: Path) -> None:
    """`--out sub/../c.json --geojson c.json` (or a name through a linked folder) name one file:
    it was not refused, both were written under one temporary name, and the run ended in
    'could not be written ([Errno 2] No such file or directory …) — check the disk', with
    neither file written."""
    from detector.errors import DredgeError
    from detector.exports import check_export_names

    (tmp_path / "sub").mkdir()
    (tmp_path / "link").symlink_to(tmp_path, target_is_directory=True)
    for spelt in (tmp_path / "sub" / ".." / "c.json", tmp_path / "link" / "c.json"):
        with pytest.raises(DredgeError, match="given to both --out and --geojson"):
            check_export_names(out=spelt, geojson=tmp_path / "c.json")
    check_export_names(out=tmp_path / "sub" / "c.json", geojson=tmp_path / "c.json")
