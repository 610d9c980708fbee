"""Detection files read as `dredge track` reads them: formats, GeoPackage layers, placemarks
and position columns."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from detector.detection_table import empty_detections, write_detections
from detector.errors import InputError
from detector.track_files import read_detections
from detector.track_prepare import prepare_detections
from tests import track_fixtures as tf
from tests.track_fixtures import lon_lat_on_the_river, points_frame


@pytest.mark.parametrize(
    "header",
    [
        "lon,lat,acquired",
        "Longitude,Latitude,Date",
        "LNG,LAT,Acquired",
        "X,Y,datetime",
        "Longitud,Latitud,Fecha",  # a Spanish table
        "Longitude,Latitude,Data",  # a Portuguese one ('no acquired column' before)
        "Long,Lat,Fecha",  # 'has no position columns' before
    ],
)
def test_positions_and_dates_are_found_under_any_usual_name_in_any_case(
    header: str, tmp_path: Path
) -> None:
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marked.csv"
    path.write_text(f"{header}\n{lon},{lat},2024-03-05\n{lon},{lat},2024-04-05T14:30:00Z\n")
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].tolist() == ["Meander", "Meander"]
    assert frame["acquired"].tolist() == [
        pd.Timestamp("2024-03-05", tz="UTC"),
        pd.Timestamp("2024-04-05T14:30:00", tz="UTC"),
    ]


def test_a_table_without_positions_says_which_columns_to_add(tmp_path: Path) -> None:
    path = tmp_path / "marked.csv"
    path.write_text("east,north,acquired\n1,2,2024-03-05\n")
    with pytest.raises(InputError, match="has no position columns — add lon and lat columns"):
        read_detections(path)


def test_a_geopackage_of_several_layers_gives_its_detections(tmp_path: Path) -> None:
    path = tmp_path / "dredges.gpkg"  # as `dredge counts --gpkg` writes it: dredges first
    points_frame(track_id=[1], first_seen=["2024-03-05"]).to_file(path, layer="dredges")
    points_frame(acquired=["2024-03-05"], score=[0.9]).to_file(path, layer="detections")
    assert read_detections(path)["score"].tolist() == [0.9]
    other = tmp_path / "mine.gpkg"  # any names: the one layer with dates
    points_frame(name=["camp"]).to_file(other, layer="camps")
    points_frame(date=["2024-03-05"]).to_file(other, layer="dredges marked")
    assert read_detections(other)["date"].tolist() == ["2024-03-05"]
    points_frame(date=["2024-04-05"]).to_file(other, layer="more marks")
    with pytest.raises(InputError, match=r"has 3 layers .* and no one layer of dated detections"):
        read_detections(other)


def placemark(name: str, when: str | None, lon: float, lat: float, span: bool = False) -> str:
    if when is None:
        time = ""
    elif span:
        time = f"<TimeSpan><begin>{when}</begin><end>{when}</end></TimeSpan>"
    else:
        time = f"<TimeStamp><when>{when}</when></TimeStamp>"
    return (
        f"<Placemark><name>{name}</name>{time}"
        f"<Point><coordinates>{lon},{lat},0</coordinates></Point></Placemark>"
    )


def kml(*folders: tuple[str, list[str]]) -> str:
    body = "".join(f"<Folder><name>{n}</name>{''.join(marks)}</Folder>" for n, marks in folders)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><name>marks</name>{body}</Document></kml>"
    )


def test_placemarks_marked_in_google_earth_are_detections(tmp_path: Path) -> None:
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marks.kml"
    path.write_text(
        kml(
            ("March", [placemark("draga 1", "2024-03-05", lon, lat)]),
            (
                "April",
                [
                    placemark("draga 1", "2024-04-05T14:30:00Z", lon, lat),
                    placemark("no date", None, lon, lat),  # left out: not a detection
                ],
            ),
        )
    )
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["name"].tolist() == ["draga 1", "draga 1"]
    assert frame["folder"].tolist() == ["March", "April"]
    assert frame["river"].tolist() == ["Meander", "Meander"]
    assert frame["acquired"].tolist() == [
        pd.Timestamp("2024-03-05", tz="UTC"),
        pd.Timestamp("2024-04-05T14:30:00", tz="UTC"),
    ]
    spans = tmp_path / "dredges.kml"
    spans.write_text(kml(("Dredges (1)", [placemark("Dredge 1", "2024-03-05", lon, lat, True)])))
    with pytest.raises(InputError, match=r"no placemark with a date \(1 have a time span"):
        read_detections(spans)


def test_placemarks_in_a_folder_named_by_a_date_take_its_date(tmp_path: Path) -> None:
    """Marks sorted into a folder per image date, without Google Earth's TimeStamp, were 'no
    placemark with a date'."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marcas.kml"
    path.write_text(
        kml(
            ("Planet 2024-03-05", [placemark("draga 1", None, lon, lat)]),
            (
                "2024-04-05",
                [
                    placemark("draga 1", None, lon, lat),
                    placemark("own date", "2024-04-06T14:30:00Z", lon, lat),  # its own wins
                ],
            ),
            ("sin fecha", [placemark("draga 2", None, lon, lat)]),  # left out: no date
        )
    )
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["name"].tolist() == ["draga 1", "draga 1", "own date"]
    assert frame["acquired"].tolist() == [
        pd.Timestamp("2024-03-05", tz="UTC"),
        pd.Timestamp("2024-04-05", tz="UTC"),
        pd.Timestamp("2024-04-06T14:30:00", tz="UTC"),
    ]
    assert any("2 placemarks without a date dated by their folder's name" in n for n in notes)


def test_marks_saved_by_a_spanish_excel_are_read(tmp_path: Path) -> None:
    """';' columns, decimal commas, day-first dates, cp1252: 'has no position columns' before."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marcas.csv"
    rows = f"{lon:.6f};{lat:.6f};05/03/2024\n".replace(".", ",")
    path.write_bytes(f"Longitud;Latitud;Fecha;Descripción\n{rows}".encode("cp1252"))
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].tolist() == ["Meander"]
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-03-05", tz="UTC")]
    assert any("read day first" in note for note in notes)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_marks_saved_by_excel_as_unicode_text_are_read(tmp_path: Path, encoding: str) -> None:
    """Excel's 'Unicode text': tab-separated UTF-16 with a byte-order mark, CRLF, decimal
    commas; it was read as cp1252 and stopped with 'has no position columns'."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marcas.txt.csv"
    rows = f"{lon:.6f}\t{lat:.6f}\t05/03/2024\tdraga\r\n".replace(".", ",")
    text = f"\ufeffLongitud\tLatitud\tFecha\tDescripción\r\n{rows}"
    path.write_bytes(text.encode(encoding))
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].tolist() == ["Meander"]
    assert frame.geometry.x.tolist() == pytest.approx([round(lon, 6)])
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-03-05", tz="UTC")]
    assert any("read day first" in note for note in notes)  # Spanish names: 5 March


@pytest.mark.parametrize(
    ("suffix", "encoding"), [(".txt", "utf-16"), (".txt", "cp1252"), (".tsv", "utf-8")]
)
def test_marks_saved_by_excel_as_text_keep_their_txt_suffix(
    tmp_path: Path, suffix: str, encoding: str
) -> None:
    """Excel saves 'Unicode text' (UTF-16) and 'Text (Tab delimited)' (cp1252) as .txt: they
    were "unknown file type '.txt'", and read only once renamed .csv."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / f"marcas{suffix}"
    rows = f"{lon:.6f}\t{lat:.6f}\t05/03/2024\tdraga\r\n".replace(".", ",")
    path.write_bytes(f"Longitud\tLatitud\tFecha\tDescripción\r\n{rows}".encode(encoding))
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].tolist() == ["Meander"]
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-03-05", tz="UTC")]


def test_other_dated_layers_beside_the_detections_layer_are_named(tmp_path: Path) -> None:
    """An edited copy saved into dredges.gpkg as a new layer ('detections_edited') was passed
    over for 'detections' without a word: the edit did not count."""
    net = tf.network()
    dets = tf.detections([(t, tf.point_at(tf.meander_line(), 500)) for t in tf.dates(3)], net)
    path = tmp_path / "dredges.gpkg"
    dets.to_file(path, layer="detections")
    dets.iloc[:2].to_file(path, layer="detections_edited")
    frame, notes = prepare_detections(read_detections(path), path, net)
    assert len(frame) == 3
    assert any(
        "read its layer 'detections'; its layer 'detections_edited' also holds dated rows "
        "and was not read — to count it, save it" in note
        for note in notes
    ), notes


def test_dredges_deleted_from_the_dredges_layer_of_dredges_gpkg_are_left_out(
    tmp_path: Path,
) -> None:
    """A false dredge deleted from the 'dredges' layer of dredges.gpkg in QGIS (one point per
    dredge, where it shows), or from dredges.geojson, kept its detections in the 'detections'
    layer (dredges.detections.geojson), which `dredge track` reads: it was tracked and counted
    again without a word (on the demo's dredges.gpkg, dredge 20 deleted left Santiago 2024 at
    1 dredge; now 0)."""
    from detector.track_pipeline import run_counts, run_track

    net = tf.network()
    line = tf.meander_line()
    dets = tf.detections(
        [(t, tf.point_at(line, s)) for t in tf.dates(3) for s in (500.0, 2500.0)], net
    )
    dets["track_id"] = [1, 2] * 3
    points = dets.geometry.representative_point().iloc[:2].to_numpy()
    dredges = gpd.GeoDataFrame({"track_id": [1, 2]}, geometry=points, crs=dets.crs)
    path = tmp_path / "dredges.gpkg"
    dredges.iloc[[0]].to_file(path, layer="dredges")  # dredge 2 deleted
    dets.to_file(path, layer="detections")
    frame = read_detections(path)
    assert frame["track_id"].tolist() == [1, 1, 1]
    notes = " ".join(frame.attrs["notes"])
    assert "3 detections of 1 dredge deleted from its 'dredges' layer (track_id 2)" in notes
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    run_track(path, rivers, tmp_path / "tracks.parquet")
    run_counts(tmp_path / "tracks.parquet", tmp_path / "counts.csv")
    assert pd.read_csv(tmp_path / "counts.csv")["unique_dredges"].tolist() == [1]
    whole = tmp_path / "whole.gpkg"  # nothing deleted, or the dredges layer emptied: all read
    dredges.to_file(whole, layer="dredges")
    dets.to_file(whole, layer="detections")
    assert len(read_detections(whole)) == 6 and not read_detections(whole).attrs["notes"]
    emptied = tmp_path / "emptied.gpkg"
    dredges.iloc[:0].to_file(emptied, layer="dredges", geometry_type="Point")
    dets.to_file(emptied, layer="detections")
    assert len(read_detections(emptied)) == 6
    dredges.iloc[[1]].to_file(tmp_path / "d.geojson")  # dredges.geojson, dredge 1 deleted
    dets.to_file(tmp_path / "d.detections.geojson")
    frame = read_detections(tmp_path / "d.detections.geojson")
    assert frame["track_id"].tolist() == [2, 2, 2]
    assert "deleted from d.geojson (track_id 1)" in " ".join(frame.attrs["notes"])


@pytest.mark.parametrize("name", ["dredges.json", "dredges.GEOJSON"])
def test_a_dredge_deleted_from_a_geojson_named_json_is_left_out(tmp_path: Path, name: str) -> None:
    """`dredge counts --geojson dredges.json` (or `.GEOJSON`) writes the dredges there and the
    detections as dredges.detections.geojson; only dredges.geojson was looked for beside them,
    so a false dredge deleted from dredges.json was tracked and counted again without a word."""
    from detector.exports import geojson_paths

    net = tf.network()
    line = tf.meander_line()
    dets = tf.detections(
        [(t, tf.point_at(line, s)) for t in tf.dates(3) for s in (500.0, 2500.0)], net
    )
    dets["track_id"] = [1, 2] * 3
    points = dets.geometry.representative_point().iloc[:2].to_numpy()
    dredges = gpd.GeoDataFrame({"track_id": [1, 2]}, geometry=points, crs=dets.crs)
    dredges_path, detections_path = geojson_paths(tmp_path / name)
    dredges.iloc[[1]].to_file(dredges_path, driver="GeoJSON")  # dredge 1 deleted
    dets.to_file(detections_path, driver="GeoJSON")
    frame = read_detections(detections_path)
    assert frame["track_id"].tolist() == [2, 2, 2]
    assert f"deleted from {name} (track_id 1)" in " ".join(frame.attrs["notes"])


def test_a_track_split_by_hand_in_dredges_gpkg_is_not_taken_for_a_deleted_dredge(
    tmp_path: Path,
) -> None:
    """Detections given a new track_id in the 'detections' layer of dredges.gpkg (a track split
    by hand: the new id has no row among the dredges) were left out as those of a deleted
    dredge. A missing id is a deletion only when its detections are one whole track as
    exported (one `new` link), and every kept dredge still has its own."""
    net = tf.network()
    line = tf.meander_line()
    dets = tf.detections(
        [(t, tf.point_at(line, s)) for t in tf.dates(3) for s in (500.0, 2500.0)], net
    )
    dets["track_id"] = [1, 2] * 3
    dets["link"] = ["new", "new", "stay", "stay", "stay", "stay"]
    points = dets.geometry.representative_point().iloc[:2].to_numpy()
    dredges = gpd.GeoDataFrame({"track_id": [1, 2]}, geometry=points, crs=dets.crs)

    def read(frame: gpd.GeoDataFrame, kept: list[int], name: str) -> gpd.GeoDataFrame:
        path = tmp_path / f"{name}.gpkg"
        dredges[dredges["track_id"].isin(kept)].to_file(path, layer="dredges")
        frame.to_file(path, layer="detections")
        return read_detections(path)

    deleted = read(dets, [1], "deleted")  # dredge 2 deleted: a whole track, left out
    assert deleted["track_id"].tolist() == [1, 1, 1]
    split = dets.copy()
    split.loc[4, "track_id"] = 99  # the last detection of dredge 1 split off
    frame = read(split, [1, 2], "split")
    assert sorted(frame["track_id"].tolist()) == [1, 1, 2, 2, 2, 99]
    notes = " ".join(frame.attrs["notes"])
    assert "1 detection with a track_id not among" in notes  # it said 'detection(s)'
    assert "(track_id 99) is not a whole dredge as exported" in notes  # and 'are'
    first = dets.copy()
    first.loc[0, "track_id"] = 99  # the first one, with its `new` link, split off
    assert len(read(first, [1, 2], "first")) == 6


def test_a_dredge_deleted_beside_a_false_first_detection_deleted_is_left_out(
    tmp_path: Path,
) -> None:
    """Dredge 2 deleted from the dredges and the first detection of dredge 1 (its `new` link)
    deleted as false, in one QGIS session: dredge 1, kept without its start, was taken for a
    track split by hand, and dredge 2 was kept and counted again (the demo's dredges.gpkg,
    dredge 14 deleted and dredge 3's first detection: Nanay 2025 stayed at 10 dredges, not 9).
    A split keeps its start: its detections, with the dredge's, are no more than the dredge
    had (n_detections) and begin at its first_seen."""
    net = tf.network()
    line = tf.meander_line()
    days = tf.dates(3)
    dets = tf.detections([(t, tf.point_at(line, s)) for t in days for s in (500.0, 2500.0)], net)
    dets["track_id"] = [1, 2] * 3
    dets["link"] = ["new", "new", "stay", "stay", "stay", "stay"]
    points = dets.geometry.representative_point().iloc[:2].to_numpy()
    dredges = gpd.GeoDataFrame(
        {"track_id": [1, 2], "n_detections": [3, 3], "first_seen": [days[0], days[0]]},
        geometry=points,
        crs=dets.crs,
    )

    def read(frame: gpd.GeoDataFrame, kept: list[int], name: str) -> gpd.GeoDataFrame:
        dredges[dredges["track_id"].isin(kept)].to_file(tmp_path / f"{name}.geojson")
        frame.to_file(tmp_path / f"{name}.detections.geojson")
        return read_detections(tmp_path / f"{name}.detections.geojson")

    both = read(dets.drop(index=0), [1], "both")  # dredge 2, and dredge 1's first detection
    assert both["track_id"].tolist() == [1, 1]
    assert "deleted from both.geojson (track_id 2)" in " ".join(both.attrs["notes"])
    first = dets.copy()
    first.loc[[0, 2], "track_id"] = 99  # dredge 1's first two detections, its start, split off
    assert len(read(first, [1, 2], "first")) == 6
    later = dets.drop(index=4).copy()  # and its last one deleted as false
    later.loc[0, "track_id"] = 99
    assert len(read(later, [1, 2], "later")) == 5
    seen_twice = pd.concat([dets, dets.iloc[[2]]], ignore_index=True)  # in one pass: not in
    seen_twice.loc[6, "link"] = "duplicate"  # n_detections
    seen_twice.loc[[0, 2, 6], "track_id"] = 99
    assert len(read(seen_twice, [1, 2], "twice")) == 7
    dredges = pd.concat([dredges, dredges.iloc[[0]]])  # dredge 1's point copied in QGIS
    assert read(dets.drop(index=0), [1], "copied")["track_id"].tolist() == [1, 1]


@pytest.mark.parametrize("written", ["%Y-%m-%d", "local", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p"])
def test_a_split_is_not_a_deletion_with_first_seen_saved_otherwise(
    tmp_path: Path, written: str
) -> None:
    """Dredge 1's first two detections (its start) given id 99 by hand, the dredges layer
    saved again with first_seen as a date, as local time without a zone, or as text day or
    month first: the split's start was compared to the second with first_seen, so it was
    taken for a dredge deleted, and its 2 detections of 6 were left out ('deleted from').
    A split's start is at first_seen where they name the same day, give or take one."""
    net = tf.network()
    line = tf.meander_line()
    days = tf.dates(3)
    dets = tf.detections([(t, tf.point_at(line, s)) for t in days for s in (500.0, 2500.0)], net)
    dets["track_id"] = [1, 2] * 3
    dets["link"] = ["new", "new", "stay", "stay", "stay", "stay"]
    first = pd.Timestamp(days[0])
    shown = (first - pd.Timedelta(hours=5)).tz_localize(None) if written == "local" else first
    text = shown.strftime("%Y-%m-%d %H:%M:%S" if written == "local" else written)
    dredges = gpd.GeoDataFrame(
        {"track_id": [1, 2], "n_detections": [3, 3], "first_seen": [text, text]},
        geometry=dets.geometry.representative_point().iloc[:2].to_numpy(),
        crs=dets.crs,
    )
    dredges.to_file(tmp_path / "d.geojson")
    split = dets.copy()
    split.loc[[0, 2], "track_id"] = 99
    split.to_file(tmp_path / "d.detections.geojson")
    got = read_detections(tmp_path / "d.detections.geojson")
    assert len(got) == 6, got.attrs["notes"]
    dets.drop(index=0).to_file(tmp_path / "d.detections.geojson")  # a deletion still is one
    dredges[dredges["track_id"] == 1].to_file(tmp_path / "d.geojson")
    assert read_detections(tmp_path / "d.detections.geojson")["track_id"].tolist() == [1, 1]


def test_a_dredge_deleted_beside_a_split_is_left_out(tmp_path: Path) -> None:
    """Dredge 1 (4 detections) split by hand, its first two given id 99, and dredge 2 (seen
    once, on dredge 1's first date) deleted: both fit what dredge 1 had (2 + 2 and 1 + 2 of
    its 4 detections, first seen that day), so dredge 2 was kept as a second split and counted
    again. One dredge has one start: the id holding all the rest is the split. A track split
    in three keeps every piece."""
    net = tf.network()
    line = tf.meander_line()
    days = tf.dates(4)
    at = [500.0] * 4 + [2500.0] + [4000.0] * 4
    when = [*days, days[0], *days]
    dets = tf.detections([(t, tf.point_at(line, s)) for t, s in zip(when, at, strict=True)], net)
    dets["track_id"] = [1] * 4 + [2] + [3] * 4
    dets["link"] = ["new", "stay", "stay", "stay", "new", "new", "stay", "stay", "stay"]
    dredges = gpd.GeoDataFrame(
        {"track_id": [1, 2, 3], "n_detections": [4, 1, 4], "first_seen": [days[0]] * 3},
        geometry=dets.geometry.representative_point().iloc[[0, 4, 5]].to_numpy(),
        crs=dets.crs,
    )

    def read(frame: gpd.GeoDataFrame, kept: list[int]) -> gpd.GeoDataFrame:
        dredges[dredges["track_id"].isin(kept)].to_file(tmp_path / "d.geojson")
        frame.to_file(tmp_path / "d.detections.geojson")
        return read_detections(tmp_path / "d.detections.geojson")

    split = dets.copy()
    split.loc[[0, 1], "track_id"] = 99
    got = read(split, [1, 3])
    assert sorted(set(got["track_id"])) == [1, 3, 99]
    assert "deleted from d.geojson (track_id 2)" in " ".join(got.attrs["notes"])
    three = dets.copy()
    three.loc[0, "track_id"], three.loc[1, "track_id"] = 99, 98
    assert len(read(three, [1, 2, 3])) == 9
    ambiguous = split.drop(index=3)  # and a false detection of dredge 1 deleted: neither has
    assert len(read(ambiguous, [1, 3])) == 8  # all the rest, so both are kept, as before


def test_a_dredge_deleted_beside_two_merged_by_hand_is_left_out(tmp_path: Path) -> None:
    """Dredge 2 merged into 1 by hand (its detections given track_id 1: dredge 1 starts twice)
    and dredge 3 deleted from the 'dredges' layer: dredge 3 was kept and linked again, 'not a
    whole dredge as exported'; a merge takes no start from a missing id."""
    net = tf.network()
    line = tf.meander_line()
    dets = tf.detections(
        [(t, tf.point_at(line, s)) for t in tf.dates(3) for s in (500.0, 1500.0, 2500.0)], net
    )
    dets["track_id"] = [1, 1, 3] * 3  # dredge 2 merged into 1
    dets["link"] = ["new"] * 3 + ["stay"] * 6
    points = dets.geometry.representative_point().iloc[:3].to_numpy()
    path = tmp_path / "dredges.gpkg"
    dredges = gpd.GeoDataFrame({"track_id": [1, 2, 3]}, geometry=points, crs=dets.crs)
    dredges.iloc[:2].to_file(path, layer="dredges")  # dredge 3 deleted
    dets.to_file(path, layer="detections")
    frame = read_detections(path)
    assert frame["track_id"].tolist() == [1] * 6
    assert "deleted from its 'dredges' layer (track_id 3)" in " ".join(frame.attrs["notes"])


def test_positions_copied_from_google_earth_in_degrees_minutes_seconds(tmp_path: Path) -> None:
    """'could not convert string to float' used to be the only line."""
    lon, lat = lon_lat_on_the_river()

    def dms(value: float, letters: str) -> str:
        whole = abs(value)
        d, m = int(whole), int(whole * 60) % 60
        s = whole * 3600 - d * 3600 - m * 60
        return f'{d}°{m}\'{s:.3f}""{letters[value < 0]}'

    path = tmp_path / "marcas.csv"
    path.write_text(f'fecha,latitud,longitud\n2024-03-05,"{dms(lat, "NS")}","{dms(lon, "EO")}"\n')
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame.geometry.x.iloc[0] == pytest.approx(lon, abs=1e-6)
    assert frame.geometry.y.iloc[0] == pytest.approx(lat, abs=1e-6)
    assert frame["river"].tolist() == ["Meander"]


def test_a_scene_given_as_detections_says_to_quote_the_scenes_glob(tmp_path: Path) -> None:
    """`--scenes scenes/*.tif` unquoted: the shell's second match on was read as detections
    ("unknown file type '.tif'")."""
    scene = tmp_path / "b_3B_AnalyticMS_SR.tif"
    scene.write_bytes(b"")
    with pytest.raises(InputError, match=r"is a scene, not detections .* quote the glob"):
        read_detections(scene)


def test_a_table_without_rows_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "marks.csv"
    path.write_text("lon,lat,fecha\n")
    with pytest.raises(InputError, match="holds no rows"):
        read_detections(path)


def prepared(path: Path) -> tuple[gpd.GeoDataFrame, list[str]]:
    return prepare_detections(read_detections(path), path, tf.network())


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet"])
def test_an_empty_detections_file_of_detect_is_no_detections(tmp_path: Path, suffix: str) -> None:
    """`dredge detect --out d.geojson` on scenes with 0 detections writes a FeatureCollection
    with no features, and so no fields (GeoJSON has no schema): `dredge track` refused it
    ("holds no rows") where the empty .parquet gave 0 tracks. Now each is the same 0
    detections, and so is an empty GeoPackage layer with no columns (Unknown geometry)."""
    reference, _ = prepared(write_detections(empty_detections(), tmp_path / "d.parquet"))
    path = write_detections(empty_detections(), tmp_path / f"out{suffix}")
    frame, _ = prepared(path)
    assert frame.empty and list(frame.columns) == list(reference.columns)
    bare = tmp_path / "bare.gpkg"
    gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=tf.CRS)).to_file(bare, layer="detections")
    frame, _ = prepared(bare)
    assert frame.empty and list(frame.columns) == list(reference.columns)


def test_a_file_of_no_detections_is_still_refused_in_one_line(tmp_path: Path) -> None:
    """What reads as no detections is a file with neither rows nor fields: features without a
    date (a GeoJSON of rivers), or an empty layer with fields of something else, are refused."""
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[tf.meander_line()], crs=tf.CRS).to_file(
        rivers
    )
    with pytest.raises(InputError, match=r"no 'acquired' column .*columns: name\)"):
        prepared(rivers)
    layer = tmp_path / "rivers.gpkg"
    gpd.GeoDataFrame(
        {"name": pd.Series([], dtype=str)}, geometry=gpd.GeoSeries([], crs=tf.CRS)
    ).to_file(layer)
    with pytest.raises(InputError, match="holds no rows"):
        prepared(layer)


def test_an_empty_geopackage_of_detections_has_no_time_zone_note(tmp_path: Path) -> None:
    """An empty detections .gpkg reads back with naive dates (GDAL keeps no zone for a column
    without values): `dredge track` noted "dates have no time zone; taken as UTC" of no date."""
    path = write_detections(empty_detections(), tmp_path / "d.gpkg")
    frame, notes = prepared(path)
    assert frame.empty and not [note for note in notes if "time zone" in note]


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet", ".csv"])
def test_an_empty_detections_file_measures_no_positions(tmp_path: Path, suffix: str) -> None:
    """`dredge track` of an empty detections file noted "positions measured along 1 river" of
    no position; the note is given where there were positions to measure."""
    path = tmp_path / f"d{suffix}"
    if suffix == ".csv":  # a header alone is refused ('holds no rows'): a row of no position
        path.write_text("lon,lat,acquired\n,,2024-03-05T14:30:00Z\n")
    else:
        write_detections(empty_detections(), path)
    _, notes = prepared(path)
    assert not [note for note in notes if "positions measured" in note], notes
    lon, lat = lon_lat_on_the_river()
    marks = tmp_path / "marks.csv"  # a position: said, as before
    marks.write_text(f"lon,lat,acquired\n{lon},{lat},2024-03-05T14:30:00Z\n")
    _, notes = prepared(marks)
    assert f"{marks}: positions measured along 1 river" in notes, notes


def test_a_geoparquet_saved_again_by_pandas_is_read(tmp_path: Path) -> None:
    """Detections read with pandas, filtered and saved with ``to_parquet`` keep their boxes
    as WKB bytes without GeoParquet's metadata: 'cannot be read as detections ('utf-8' codec
    can't decode byte …)'. Hex WKB (a database export) is read too."""
    lon, lat = lon_lat_on_the_river()
    marks = gpd.GeoDataFrame(
        {"acquired": ["2024-03-05T14:30:00Z"] * 2, "score": [0.8, 0.7]},
        geometry=gpd.points_from_xy([lon, lon + 0.001], [lat, lat]),
        crs="EPSG:4326",
    )
    path = tmp_path / "filtered.parquet"
    pd.DataFrame(marks.to_wkb()).to_parquet(path)
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].tolist() == ["Meander", "Meander"]
    assert frame.geometry.x.tolist() == pytest.approx([lon, lon + 0.001])
    hexed = tmp_path / "hex.csv"
    pd.DataFrame(marks.to_wkb(hex=True)).to_csv(hexed, index=False)
    frame, _ = prepare_detections(read_detections(hexed), hexed, tf.network())
    assert frame["river"].tolist() == ["Meander", "Meander"]


@pytest.mark.parametrize("name", ["detections", "d.geoparquet", "d.PQ"])
def test_detections_named_as_detect_names_them_are_read_by_track_and_review(
    tmp_path: Path, name: str
) -> None:
    """`dredge detect --out detections` (no suffix) writes GeoParquet, and `--out
    d.geoparquet` too; `dredge track` said "unknown file type ''" of the first, and `dredge
    review` "cannot be read (libduckdb.so: cannot open shared object file …)" of both."""
    from training.review import read_detections as review_detections

    lon, lat = lon_lat_on_the_river()
    marks = gpd.GeoDataFrame(
        {"acquired": ["2024-03-05T14:30:00Z"], "score": [0.8], "scene": ["s.tif"]},
        geometry=gpd.points_from_xy([lon], [lat]),
        crs="EPSG:4326",
    ).assign(class_name="dredge")
    path = tmp_path / name
    marks.to_parquet(path)
    assert read_detections(path)["score"].tolist() == [0.8]
    assert review_detections(path)["score"].tolist() == [0.8]
    text = tmp_path / "notes"  # a file without a suffix that is not Parquet is still refused
    text.write_text("lon,lat\n")
    with pytest.raises(InputError, match="unknown file type"):
        read_detections(text)
