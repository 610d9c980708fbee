"""Dredges marked in Google Earth: every placemark read or counted in a note, its data kept."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from detector.errors import InputError
from detector.track_files import read_detections
from detector.track_prepare import prepare_detections
from tests import track_fixtures as tf


def _lon_lat(along_m: float) -> tuple[float, float]:
    point = gpd.GeoSeries([tf.point_at(tf.meander_line(), along_m)], crs=tf.CRS)
    lonlat = point.to_crs("EPSG:4326")
    return float(lonlat.x.iloc[0]), float(lonlat.y.iloc[0])


def _placemark(name: str, lon: float, lat: float, time: str = "", extra: str = "") -> str:
    return (
        f"<Placemark><name>{name}</name>{time}{extra}"
        f"<Point><coordinates>{lon},{lat},0</coordinates></Point></Placemark>"
    )


def _square(lon: float, lat: float, half_deg: float) -> str:
    ring = " ".join(
        f"{lon + dx},{lat + dy},0"
        for dx, dy in [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]
        for dx, dy in [(dx * half_deg, dy * half_deg)]
    )
    return (
        "<Placemark><name>huella escena</name><Polygon><outerBoundaryIs><LinearRing>"
        f"<coordinates>{ring}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
    )


def _folder(name: str, *placemarks: str) -> str:
    return f"<Folder><name>{name}</name>{''.join(placemarks)}</Folder>"


def _kml(*folders: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{''.join(folders)}</Document></kml>"
    )


def test_every_placemark_is_read_or_counted_in_a_note(tmp_path: Path) -> None:
    """Marks in a folder named 'Imagen 20-06-2024' or in an undated folder, time spans beside
    time stamps, a scene footprint and a route in a dated folder, a placemark named 'bote',
    ExtendedData clase and cantidad: marks were dropped or taken without a word (10 of 21 on a
    demo table), the footprint and the route counted as dredges, the boat as a dredge and a
    mark of three dredges as one."""
    (a, b), (c, d) = _lon_lat(400), _lon_lat(900)
    stamp = "<TimeStamp><when>2024-03-05</when></TimeStamp>"
    span = "<TimeSpan><begin>2024-03-06</begin><end>2024-03-06</end></TimeSpan>"
    data = (
        '<ExtendedData><Data name="clase"><value>draga</value></Data>'
        '<Data name="cantidad"><value>3</value></Data></ExtendedData>'
    )
    route = (
        f"<Placemark><name>recorrido</name><LineString><coordinates>{a},{b},0 {c},{d},0"
        "</coordinates></LineString></Placemark>"
    )
    path = tmp_path / "marcas.kml"
    path.write_text(
        _kml(
            _folder(
                "2024-03-05",
                _placemark("Draga 1", a, b),
                _placemark("bote", c, d),
                _square(a, b, 0.01),  # about 2 km across: a footprint, not a hull
                route,
            ),
            _folder("Imagen 20-06-2024", _placemark("Draga 1", a, b)),
            _folder("sin fecha", _placemark("Draga 9", a, b)),
            _folder("marcas", _placemark("grupo", c, d, stamp, data), _placemark("x", a, b, span)),
        )
    )
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["acquired"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-05",
        "2024-06-20",
        "2024-03-05",
        "2024-03-05",
        "2024-03-05",
    ]  # the boat left out; the group of three is three rows
    text = "\n".join(notes)
    assert "1 boat detection left out of tracking" in text
    assert "1 placemark has no date and is in no folder named by a date (sin fecha)" in text
    assert "1 placemark with a time span, not a date, left out" in text
    assert "2 paths or polygons wider than 250 m left out" in text
    assert "rows read as the number of dredges in 'cantidad'" in text


def test_a_hull_drawn_as_a_small_polygon_is_a_mark(tmp_path: Path) -> None:
    a, b = _lon_lat(400)
    path = tmp_path / "cascos.kml"
    path.write_text(_kml(_folder("2024-03-05", _square(a, b, 0.0001))))  # about 20 m across
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert len(frame) == 1 and frame["acquired"].iloc[0] == pd.Timestamp("2024-03-05", tz="UTC")


def test_time_stamps_of_a_month_or_a_year_only_are_named(tmp_path: Path) -> None:
    """GDAL reads <when>2024-03</when> as 1 March without a word, and <when>2024</when> as no
    date: the first was taken for a day, the second counted among marks 'with no date'."""
    a, b = _lon_lat(400)
    month = "<TimeStamp><when>2024-03</when></TimeStamp>"
    year = "<TimeStamp><when>2024</when></TimeStamp>"
    day = "<TimeStamp><when>2024-03-05</when></TimeStamp>"
    path = tmp_path / "meses.kml"
    path.write_text(
        _kml(
            _folder(
                "marcas",
                _placemark("Draga 1", a, b, month),
                _placemark("Draga 2", a, b, year),
                _placemark("Draga 3", a, b, day),
            )
        )
    )
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["acquired"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-01", "2024-03-05"]
    text = "\n".join(notes)
    assert "1 placemark date gives only a month (e.g. 2024-03): taken as its first day" in text
    assert "1 placemark date gives only a year (e.g. 2024)" in text


def _two_dated_folders(path: Path, word: str) -> tuple[list[str], list[str]]:
    a, b = _lon_lat(400)
    path.write_text(
        _kml(
            _folder(f"{word} 05-03-2024", _placemark("1", a, b)),
            _folder(f"{word} 02-04-2024", _placemark("2", a, b)),
        )
    )
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    return frame["acquired"].dt.strftime("%Y-%m-%d").tolist(), notes


def test_dates_in_spanish_folder_names_are_read_day_first(tmp_path: Path) -> None:
    """Folders 'Imagen 05-03-2024' and 'Imagen 02-04-2024' dated their marks 3 May and 4
    February (month first, with a note); folders named in English still are."""
    days, notes = _two_dated_folders(tmp_path / "marcas.kml", "Imagen")
    assert days == ["2024-03-05", "2024-04-02"]
    assert any("Spanish or Portuguese names in the file ('Imagen 05-03-2024'" in n for n in notes)
    days, _ = _two_dated_folders(tmp_path / "marks.kml", "Image")
    assert days == ["2024-05-03", "2024-02-04"]


def test_marks_named_by_a_spanish_class_alone_leave_ambiguous_dates_to_the_analyst(
    tmp_path: Path,
) -> None:
    """Placemarks named 'draga' or 'Draga 2' (the Spanish class names the tool reads, which
    analysts writing English give their marks too) in folders 'Survey 05-03-2024' read the
    folders' dates day first, as a Spanish file's; read month first instead, a Spanish
    analyst's folders '05/03/2024' were 3 May. With no other cue, ambiguous dates are one line
    asking for ISO dates; a placemark named in other Spanish words is a cue; dates that show
    their order are read."""
    a, b = _lon_lat(400)
    path = tmp_path / "marks.kml"
    cases: list[tuple[tuple[str, str], tuple[str, str], list[str] | None]] = [
        (("draga", "Draga 2"), ("05-03-2024", "02-04-2024"), None),
        (
            ("draga, tipo chupadera", "Draga 2"),
            ("05-03-2024", "02-04-2024"),
            ["2024-03-05", "2024-04-02"],
        ),
        (("draga", "Draga 2"), ("25-03-2024", "02-04-2024"), ["2024-03-25", "2024-04-02"]),
        (("draga", "Draga 2"), ("2024-03-05", "2024-04-02"), ["2024-03-05", "2024-04-02"]),
    ]
    for names, dates, expected in cases:
        path.write_text(
            _kml(
                _folder(f"Survey {dates[0]}", _placemark(names[0], a, b)),
                _folder(f"Survey {dates[1]}", _placemark(names[1], a, b)),
            )
        )
        if expected is None:
            with pytest.raises(InputError, match="may be day or month first"):
                prepare_detections(read_detections(path), path, tf.network())
            continue
        frame, _ = prepare_detections(read_detections(path), path, tf.network())
        assert frame["acquired"].dt.strftime("%Y-%m-%d").tolist() == expected


def test_unnamed_placemarks_in_a_date_folder_are_marks_not_an_old_dredges_kml(
    tmp_path: Path,
) -> None:
    """Placemarks whose name was cleared (``<name></name>``) in a folder '2024-03-05' were
    refused as "dredges.kml of `dredge counts`, written before it kept each detection's score"
    (its off-river detections are unnamed); they are two dredges."""
    (a, b), (c, d) = _lon_lat(400), _lon_lat(900)
    path = tmp_path / "marcas.kml"
    path.write_text(_kml(_folder("2024-03-05", _placemark("", a, b), _placemark("", c, d))))
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["class_name"].tolist() == ["dredge", "dredge"]


def test_a_placemark_named_as_a_hard_negative_is_not_a_dredge(tmp_path: Path) -> None:
    """A placemark named 'falsa draga' (a look-alike marked as such) was counted as a dredge:
    its name named no class, so the file had no class column and every mark was a dredge. It
    is now left out with the note that names classes this tool does not know."""
    (a, b), (c, d) = _lon_lat(400), _lon_lat(900)
    path = tmp_path / "marcas.kml"
    path.write_text(
        _kml(_folder("2024-03-05", _placemark("falsa draga", a, b), _placemark("1", c, d)))
    )
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["class_name"].tolist() == ["dredge"]  # the mark named '1'
    assert any("'falsa draga'" in note and "left out" in note for note in notes), notes


def test_time_stamps_with_a_zone_written_otherwise_keep_it(tmp_path: Path) -> None:
    """GDAL keeps a TimeStamp's zone written `-05:00` after the seconds only: `-0500` (as
    Python's %z writes it), `-05`, `+0530`, a time without seconds (`22:00-05:00`) lost it,
    and a space for the `T` the time too. A mark of 22:00 in Lima on 31 December 2024 is of
    1 January 2025 UTC, and it was counted in 2024 with the note that it had no time zone."""
    a, b = _lon_lat(400)
    whens = [
        "2024-12-31T22:00:00-0500",
        "2024-12-31T22:00:00-05",
        "2024-12-31T22:00-05:00",
        "2024-12-31 22:00:00-05:00",
        "2024-12-31T22:00:00.5-05:00",  # kept by GDAL: as before
        "2024-06-20T09:50:53+0530",
    ]
    marks = [
        _placemark(f"Draga {k}", a, b, f"<TimeStamp><when>{when}</when></TimeStamp>")
        for k, when in enumerate(whens)
    ]
    for suffix in ("kml", "kmz"):
        path = tmp_path / f"lima.{suffix}"
        if suffix == "kml":
            path.write_text(_kml(_folder("marcas", *marks)))
        else:
            with zipfile.ZipFile(path, "w") as kmz:
                kmz.writestr("doc.kml", _kml(_folder("marcas", *marks)))
        frame, notes = prepare_detections(read_detections(path), path, tf.network())
        got = frame["acquired"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist()
        assert got == ["2025-01-01 03:00:00"] * 5 + ["2024-06-20 04:20:53"], suffix
        assert not any("no time zone" in note for note in notes), suffix


def test_marks_in_a_river_folder_inside_a_date_folder_are_dated_by_it(tmp_path: Path) -> None:
    """A folder per image date holding a folder per river (as Google Earth Pro saves 'My
    Places': its own namespaces, a CDATA description, an unnamed folder): GDAL names each
    folder's layer by that folder alone, so the marks were 'in no folder named by a date' and
    the file was refused ('has no placemark with a date'); a KMZ alike."""
    (a, b), (c, d) = _lon_lat(400), _lon_lat(900)
    cdata = "<description><![CDATA[draga <b>grande</b>]]></description>"
    text = _kml(
        _folder(
            "Mis lugares",
            _folder("2024-03-05", _folder("Nanay", _placemark("1", a, b, extra=cdata))),
            _folder("Imagen 20-06-2024", _folder("Nanay", _placemark("2", c, d))),
            _folder("2024-07-01", "<Folder>" + _placemark("3", a, b) + "</Folder>"),
        )
    ).replace("<kml ", '<kml xmlns:gx="http://www.google.com/kml/ext/2.2" ')
    path = tmp_path / "marcas.kml"
    path.write_text(text, encoding="utf-8")
    zipped = tmp_path / "marcas.kmz"
    with zipfile.ZipFile(zipped, "w") as kmz:
        kmz.writestr("doc.kml", text)
    for source in (path, zipped):
        frame = read_detections(source)
        assert sorted(frame["acquired"]) == ["20-06-2024", "2024-03-05", "2024-07-01"]
        assert frame.attrs["day_first"]  # 'Imagen 20-06-2024' dated them
        assert not any("no date" in note for note in frame.attrs["notes"])
    named = path.read_text(encoding="utf-8").replace(  # the file's own name dates no folder
        "<Document>",
        "<Document><name>marcas 2024-08-01.kml</name><Folder><name>Pendientes</name>"
        + _placemark("4", a, b)
        + "</Folder>",
    )
    path.write_text(named, encoding="utf-8")
    frame = read_detections(path)
    assert len(frame) == 3
    assert any("1 placemark has no date" in note for note in frame.attrs["notes"])


def test_a_file_whose_outermost_container_is_a_date_folder_dates_the_folders_in_it(
    tmp_path: Path,
) -> None:
    """A KML whose root is a folder named by the date (`<kml><Folder><name>2024-03-05`, a
    folder saved alone) holding a folder per river: only a root Document is named by the file,
    but the root folder was left out of the folders around them too, so the marks in 'Nanay'
    had no date while those beside it in the date folder had (1 of 2 read; with the date
    folder holding only river folders, the file was refused, 'has no placemark with a
    date'). A root Document's own name still dates nothing."""
    (a, b), (c, d) = _lon_lat(400), _lon_lat(900)
    head = '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
    inner = _folder("Nanay", _placemark("1", a, b))
    path = tmp_path / "fecha.kml"
    path.write_text(head + _folder("2024-03-05", _placemark("0", c, d), inner) + "</kml>")
    assert sorted(read_detections(path)["acquired"]) == ["2024-03-05", "2024-03-05"]
    path.write_text(head + _folder("2024-03-05", inner) + "</kml>")
    assert list(read_detections(path)["acquired"]) == ["2024-03-05"]
    path.write_text(head + "<Document><name>2024-03-05.kml</name>" + inner + "</Document></kml>")
    with pytest.raises(InputError, match="has no placemark with a date"):
        read_detections(path)


def test_a_folder_named_by_a_number_like_a_date_dates_nothing(tmp_path: Path) -> None:
    """A folder per river inside one named by an order number or a date that is none
    ('Pedido 12345678', 'Lote 2024-13-45', 'Lote 45/13/2024'): its marks took the number for
    their date, and the whole file was refused ('1 dates cannot be read, e.g. 12345678'),
    its dated marks too. The name names no day, so they are left out as undated, with a note;
    a real date later in the name still dates them."""
    (a, b), (c, d) = _lon_lat(400), _lon_lat(900)
    path = tmp_path / "pedido.kml"
    for outer in ("Pedido 12345678", "Lote 2024-13-45", "Lote 45/13/2024"):
        dated = _folder("2024-03-05", _placemark("2", c, d))
        path.write_text(_kml(_folder(outer, _folder("Nanay", _placemark("1", a, b)), dated)))
        frame = read_detections(path)
        assert list(frame["acquired"]) == ["2024-03-05"], outer
        assert any("1 placemark has no date" in n for n in frame.attrs["notes"]), outer
    path.write_text(_kml(_folder("Pedido 12345678 del 2024-03-05", _placemark("1", a, b))))
    assert list(read_detections(path)["acquired"]) == ["2024-03-05"]


def test_river_folders_in_date_folders_beside_marks_of_an_unnamed_document(
    tmp_path: Path,
) -> None:
    """Dated marks at the root of a Document without a name (GDAL names their layer by the
    file) beside a date folder holding a folder per river: the layers no longer lined up with
    the file's folders, so the marks in 'Nanay' were left out as undated (1 of 2 read); a KMZ
    alike."""
    (a, b), (c, d) = _lon_lat(400), _lon_lat(900)
    when = "<TimeStamp><when>2024-03-01</when></TimeStamp>"
    text = _kml(
        _placemark("0", c, d, when), _folder("2024-03-05", _folder("Nanay", _placemark("1", a, b)))
    )
    path = tmp_path / "sin nombre.kml"
    path.write_text(text, encoding="utf-8")
    zipped = tmp_path / "sin nombre.kmz"
    with zipfile.ZipFile(zipped, "w") as kmz:
        kmz.writestr("doc.kml", text)
    for source in (path, zipped):
        frame = read_detections(source)
        got = sorted(str(day)[:10] for day in frame["acquired"])
        assert got == ["2024-03-01", "2024-03-05"], source


def test_notes_on_one_placemark_left_out_read_in_the_singular() -> None:
    """One placemark of each kind was counted '1 placemark(s) have no date and are in no
    folder … give them a Timestamp', '1 placemark(s) without a date dated by their folder's
    name', '1 path(s) or polygon(s)', 'its 1 dredge placemark(s) (time spans)'."""
    from detector.kml_marks import _notes

    counts = {"by_folder": 1, "undated": 1, "spans": 1, "not_marks": 1}
    notes = _notes(Path("marcas.kml"), counts, ["sin fecha"])
    assert notes == [
        "marcas.kml: 1 placemark without a date dated by its folder's name",
        "marcas.kml: 1 placemark has no date and is in no folder named by a date (sin fecha): "
        "left out — give it a Timestamp, or name its folder by the image date (2024-03-05)",
        "marcas.kml: 1 placemark with a time span, not a date, left out (one per dredge, as "
        "dredges.kml writes them?) — give marks a Timestamp",
        "marcas.kml: 1 path or polygon wider than 250 m left out: not a dredge's mark (a "
        "footprint, a route?)",
    ]
    own = _notes(Path("dredges.kml"), {**counts, "by_folder": 0, "undated": 0}, [], True)
    assert own[0] == (
        "dredges.kml: dredges.kml of `dredge counts`: its 1 dredge placemark (a time span) left "
        "out, its detections read"
    )


def test_a_pasted_detection_said_linked_anew_is_not_then_left_out(tmp_path: Path) -> None:
    """Run B's detection of its dredge 1 (3 km away, on another date), named 'dredge 3' (a
    number run A lacks) but of track_id 1 in its data, pasted into A's dredges.kml: a note
    said it was linked anew (another run's by its run key, or, without keys, not seen on
    dredge 1's dates), then another that it was left out, of no dredge 3 in this run. Its
    name's number, which no dredge has, is read as a rename to no dredge: of its dredge as
    exported, so it is linked anew as the first note says, and no note says it is left out."""
    import xml.etree.ElementTree as ET

    from tests.kml_edit_fixtures import (
        K,
        _detection_folder,
        _keyless,
        _paste,
        _placemarks,
        _two_runs,
    )

    _, kml, other = _two_runs(tmp_path)
    for keyed in (True, False):
        root = ET.fromstring(kml.read_bytes())
        mark = _placemarks(_detection_folder(ET.fromstring(other.read_bytes())), " dredge 1")[0]
        name = mark.find(f"{K}name")
        assert name is not None and name.text is not None
        name.text = name.text.replace(" dredge 1", " dredge 3")
        _paste(root, [mark])
        edited = tmp_path / "pasted.kml"
        ET.ElementTree(root if keyed else _keyless(root)).write(edited, encoding="utf-8")
        again = read_detections(edited)
        notes = " ".join(again.attrs["notes"])
        assert "it is linked anew as a detection" in notes, notes
        assert "no such dredge" not in notes, notes
        assert again["track_id"].tolist() == ["1"] * 3 + ["2"] * 3 + [None]
