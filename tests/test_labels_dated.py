"""Marks with a date and no scene column (Google Earth folders named by date, a CSV with
``fecha``) labelled on the scenes given of their day whose valid area holds them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely import LineString

from detector.errors import InputError
from detector.kml_marks import read_kml_marks
from detector.rivers import RiverNetwork
from tests import geo_fixtures as gf
from tests.label_fixtures import CLASSES, SPEC
from tests.test_kml_marks import _folder, _kml, _placemark
from training.labels.classes import ClassMap
from training.labels.table import LabelledTile
from training.labels.vector import read_vector_labels

UTM = "EPSG:32718"
GSD_M, SIDE_PX = 12.0, 200  # scenes 2.4 km on a side, at the model's GSD
# Two scenes of one pass on 5 March (B 600 m down the river from A, with a nodata collar
# around a rotated footprint) and one of 3 May over A: day first or month first, 05/03/2024
# is one or the other.
SCENES = {
    "A": ("20240305_145012_00_2429_3B_Visual.tif", (0.0, 0.0), False),
    "B": ("20240305_145015_00_2429_3B_Visual.tif", (600.0, -600.0), True),
    "C": ("20240503_144950_00_2430_3B_Visual.tif", (0.0, 0.0), False),
}
# marks as (UTM offset from A's centre, the day they were made on)
MARKS = {
    "a_only": ((-900.0, 900.0), "2024-03-05"),
    "a_and_b": ((300.0, -300.0), "2024-03-05"),
    "c": ((-300.0, 300.0), "2024-05-03"),
    "no_scene_that_day": ((0.0, 0.0), "2024-03-07"),
    "in_b_collar": ((600.0 + 1150.0, -600.0 - 1150.0), "2024-03-05"),  # B's envelope only
}


class World:
    """Three scenes, their river and the marks' lon/lat."""

    def __init__(self, folder: Path) -> None:
        to_lonlat = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
        to_utm = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
        self.cx, self.cy = to_utm.transform(*gf.CENTRE_LONLAT)
        self.paths: dict[str, Path] = {}
        for key, (name, (dx, dy), rotated) in SCENES.items():
            centre = to_lonlat.transform(self.cx + dx, self.cy + dy)
            self.paths[key] = gf.write_scene(
                folder / "scenes" / name,
                crs=UTM,
                gsd_m=GSD_M,
                width=SIDE_PX,
                height=SIDE_PX,
                bands=3,
                dtype="uint8",
                rotated_footprint=rotated,
                centre_lonlat=(float(centre[0]), float(centre[1])),
            ).path
        half = GSD_M * SIDE_PX / 2
        line = LineString(
            [(self.cx - half, self.cy + half), (self.cx + 600 + half, self.cy - 600 - half)]
        )  # A's and B's diagonal: one river
        self.rivers = gf.write_rivers(folder / "rivers.geojson", {"Nanay": line}, crs=UTM)
        self.lonlat = {
            key: tuple(float(v) for v in to_lonlat.transform(self.cx + dx, self.cy + dy))
            for key, ((dx, dy), _) in MARKS.items()
        }

    def read(self, labels: Path) -> tuple[list[LabelledTile], list[str]]:
        return read_vector_labels(
            labels,
            ClassMap(CLASSES),
            scenes=[str(p) for p in self.paths.values()],
            rivers=RiverNetwork.read(self.rivers),
            spec=SPEC,
        )

    def boxes_per_scene(self, tiles: list[LabelledTile]) -> dict[str, int]:
        stems = {Path(p).stem: key for key, p in self.paths.items()}
        counts: Counter[str] = Counter()
        for tile in tiles:
            counts[stems[tile.scene]] += bool(tile.boxes)  # tiles with a box
        return {key: counts[key] for key in self.paths}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("dated"))


def _kml_marks(world: World, path: Path, folder_of: dict[str, str]) -> Path:
    folders: dict[str, list[str]] = {}
    for n, (key, (lon, lat)) in enumerate(world.lonlat.items(), start=1):
        folders.setdefault(folder_of[MARKS[key][1]], []).append(_placemark(f"Draga {n}", lon, lat))
    path.write_text(_kml(*(_folder(name, *marks) for name, marks in folders.items())))
    return path


def test_google_earth_marks_in_date_folders_label_the_scenes_of_their_day(
    world: World, tmp_path: Path
) -> None:
    """Placemarks in folders named by date (an ISO day, and 'Imagen 03-05-2024', day first as
    `dredge track` reads a Spanish folder) were "has no 'scene' column … add a column 'scene'",
    which Google Earth cannot do; each now labels the scenes of its day that hold it: the mark
    where the two scenes of 5 March overlap labels both, and C (3 May) takes only its own."""
    marks = _kml_marks(
        world,
        tmp_path / "dragas.kml",
        {"2024-03-05": "2024-03-05", "2024-05-03": "Imagen 03-05-2024", "2024-03-07": "07/03/2024"},
    )
    tiles, notes = world.read(marks)
    assert world.boxes_per_scene(tiles) == {"A": 2, "B": 1, "C": 1}
    left = [note for note in notes if "left out" in note and "marks" in note]
    assert len(left) == 1, notes
    assert "2 of 5 marks" in left[0]  # the day with no scene; the one in B's nodata collar
    assert "1 of a day with no scene, 1 outside the valid area" in left[0]
    assert "--scenes" in left[0]


def test_a_csv_with_fecha_day_first_labels_the_scenes_of_its_day(
    world: World, tmp_path: Path
) -> None:
    """'05/03/2024' under 'fecha' is 5 March (day first, as `dredge track` reads a Spanish
    table), so the mark is on A, not on C of 3 May."""
    csv = tmp_path / "marcas.csv"
    lon, lat = world.lonlat["a_only"]
    pd.DataFrame({"clase": ["draga"], "longitud": [lon], "latitud": [lat], "fecha": ["05/03/2024"]}
                 ).to_csv(csv, index=False)  # fmt: skip
    tiles, notes = world.read(csv)
    assert world.boxes_per_scene(tiles) == {"A": 1, "B": 0, "C": 0}
    assert not any("left out" in note for note in notes), notes
    assert any("read day first" in note for note in notes), notes


def test_a_mark_on_a_day_with_no_scene_is_left_out_with_a_note(
    world: World, tmp_path: Path
) -> None:
    csv = tmp_path / "marks.csv"
    (lon, lat), (lon2, lat2) = world.lonlat["no_scene_that_day"], world.lonlat["a_only"]
    pd.DataFrame(
        {"class": ["dredge", "dredge"], "lon": [lon, lon2], "lat": [lat, lat2],
         "acquired": ["2024-03-07", "2024-03-05T14:50:12Z"]}
    ).to_csv(csv, index=False)  # fmt: skip
    tiles, notes = world.read(csv)
    assert world.boxes_per_scene(tiles) == {"A": 1, "B": 0, "C": 0}
    (left,) = [note for note in notes if "left out" in note]
    assert (
        "1 of 2 marks on no scene given was left out" in left
        and f"2024-03-07 at {lon:.5f}, {lat:.5f}" in left
    )


def test_a_mark_where_two_scenes_of_one_pass_overlap_labels_both(
    world: World, tmp_path: Path
) -> None:
    gpkg = tmp_path / "marks.gpkg"
    lon, lat = world.lonlat["a_and_b"]
    gpd.GeoDataFrame(
        {"class_name": ["dredge"], "date": ["2024-03-05"]},
        geometry=gpd.points_from_xy([lon], [lat]),
        crs="EPSG:4326",
    ).to_crs(UTM).to_file(gpkg)  # a QGIS layer in the scenes' CRS
    tiles, notes = world.read(gpkg)
    assert world.boxes_per_scene(tiles) == {"A": 1, "B": 1, "C": 0}
    assert not any("left out" in note for note in notes), notes


def test_marks_without_dates_or_scenes_keep_the_scene_column_error(
    world: World, tmp_path: Path
) -> None:
    csv = tmp_path / "marks.csv"
    lon, lat = world.lonlat["a_only"]
    pd.DataFrame({"class": ["dredge"], "lon": [lon], "lat": [lat]}).to_csv(csv, index=False)
    with pytest.raises(InputError, match="has no 'scene' column, and 3 scenes were given"):
        world.read(csv)


def test_ambiguous_dates_that_nothing_orders_are_refused(world: World, tmp_path: Path) -> None:
    """Placemarks named by a Spanish class alone in a folder '03/05/2024': refused as
    `dredge track` refuses them, not read month first onto C."""
    marks = _kml_marks(
        world,
        tmp_path / "dragas.kml",
        {"2024-03-05": "03/05/2024", "2024-05-03": "2024-05-03", "2024-03-07": "2024-03-07"},
    )
    with pytest.raises(InputError, match="may be day or month first"):
        world.read(marks)


def test_dredge_train_reads_google_earth_marks_up_to_the_training(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge train dragas.kml --scenes … --rivers …` stopped at "has no 'scene' column";
    it now reads the marks, says which were left out, and goes on to split the tiles (stopped
    there: no training in the tests)."""
    from typer.testing import CliRunner

    from detector.cli import app
    from detector.errors import DredgeError
    from tests.label_fixtures import write_tiny_model

    def stop(*args: object, **kwargs: object) -> None:
        raise DredgeError("stopped before training")

    monkeypatch.setattr("training.finetune.split_tiles", stop)
    base = write_tiny_model(tmp_path / "base")
    marks = _kml_marks(
        world,
        tmp_path / "dragas.kml",
        {"2024-03-05": "2024-03-05", "2024-05-03": "2024-05-03", "2024-03-07": "2024-03-07"},
    )
    result = CliRunner().invoke(
        app,
        ["train", str(marks), "--from", str(base), "--out", str(tmp_path / "run"),
         "--scenes", str(world.paths["A"].parent), "--rivers", str(world.rivers),
         "--no-progress"],
    )  # fmt: skip
    assert "error: stopped before training" in result.output, result.output
    assert "from 3 scenes; 4 dredge, 0 boat" in result.output
    assert "2 of 5 marks on no scene given were left out" in result.output


def test_dated_marks_and_scenes_of_no_known_date_are_one_line(tmp_path: Path) -> None:
    fixtures = [gf.write_scene(tmp_path / f"{n}.tif", gsd_m=GSD_M) for n in ("a", "b")]
    csv = tmp_path / "marks.csv"
    lon, lat = gf.CENTRE_LONLAT
    pd.DataFrame({"class": ["dredge"], "lon": [lon], "lat": [lat], "date": ["2024-03-05"]}
                 ).to_csv(csv, index=False)  # fmt: skip
    rivers = gf.write_rivers(tmp_path / "rivers.geojson", {"x": fixtures[0].river}, crs=UTM)
    with pytest.raises(InputError, match="none of the 2 scenes given has an acquisition date"):
        read_vector_labels(
            csv, ClassMap(CLASSES), scenes=[str(f.path) for f in fixtures],
            rivers=RiverNetwork.read(rivers), spec=SPEC,
        )  # fmt: skip


def test_placemarks_named_by_a_number_or_unnamed_are_dredges(world: World, tmp_path: Path) -> None:
    """Placemarks named '1' or left unnamed in a folder '2024-03-05' (as `dredge track` counts
    them: dredges) stopped with "has no class column … add a column class_name", which Google
    Earth cannot do; they are dredges, with one note, beside a boat named 'Bote 3'. A placemark
    named 'falsa draga' is not taken for a dredge: one line asks for a --class-map."""
    (a, b), (c, d) = world.lonlat["a_only"], world.lonlat["a_and_b"]
    marks = tmp_path / "marcas.kml"
    marks.write_text(_kml(_folder("2024-03-05", _placemark("1", a, b), _placemark("", c, d))))
    tiles, notes = world.read(marks)
    assert world.boxes_per_scene(tiles) == {"A": 2, "B": 1, "C": 0}
    assert {box.class_name for tile in tiles for box in tile.boxes} == {"dredge"}
    (note,) = [note for note in notes if "name no class" in note]
    assert "2 of 2 marks" in note and "taken as dredges" in note and "bote" in note
    marks.write_text(_kml(_folder("2024-03-05", _placemark("1", a, b), _placemark("Bote 3", c, d))))
    tiles, _ = world.read(marks)
    assert Counter(box.class_name for tile in tiles for box in tile.boxes) == {
        "dredge": 1,
        "boat": 2,  # on A and B, where they overlap
    }
    marks.write_text(
        _kml(_folder("2024-03-05", _placemark("1", a, b), _placemark("falsa draga", c, d)))
    )
    with pytest.raises(InputError, match="--class-map 'falsa draga=ignore'"):
        world.read(marks)


def test_one_scene_and_marks_of_other_days_are_boxed_on_it_with_a_note(
    world: World, tmp_path: Path
) -> None:
    """With one scene given every mark is boxed on it whatever its date (a date may be the day
    the marks were drawn), as before; marks of 3 May boxed on A of 5 March were so without a
    word, and so was a placemark of an undated folder left out. Each is now one note."""
    (a, b), (c, d) = world.lonlat["a_only"], world.lonlat["c"]
    marks = tmp_path / "marcas.kml"
    marks.write_text(
        _kml(
            _folder("2024-03-05", _placemark("Draga 1", a, b)),
            _folder("2024-05-03", _placemark("Draga 2", c, d), _placemark("Draga 3", a, b)),
            _folder("marcas", _placemark("Draga 4", c, d)),
        )
    )
    rivers = RiverNetwork.read(world.rivers)
    tiles, notes = read_vector_labels(
        marks, ClassMap(CLASSES), scenes=[str(world.paths["A"])], rivers=rivers, spec=SPEC
    )
    assert sum(len(tile.boxes) for tile in tiles) == 3  # all three dated marks, as before
    (note,) = [note for note in notes if "dated other days" in note]
    assert "2 of 3 marks" in note and "2024-05-03 ×2" in note
    assert f"({Path(world.paths['A']).name}, 2024-03-05)" in note and "--scenes" in note
    assert any("(marcas): left out" in note for note in notes), notes
    csv = tmp_path / "marks.csv"  # a 'date' column of no dates: boxed on the scene, no note
    pd.DataFrame({"class": ["dredge"], "lon": [a], "lat": [b], "date": ["lote 3"]}
                 ).to_csv(csv, index=False)  # fmt: skip
    tiles, notes = read_vector_labels(
        csv, ClassMap(CLASSES), scenes=[str(world.paths["A"])], rivers=rivers, spec=SPEC
    )
    assert sum(len(tile.boxes) for tile in tiles) == 1 and not notes


@pytest.mark.parametrize(
    "fecha",
    [
        "2024-03-05T00:00:00+01:00",
        "2024-03-05 19:30:00-05:00",
        "2024-03-05 19:30:00 UTC-05:00",
        "2024:03:05 19:30:00-05:00",
        "2024:03:05 14:50:00",
    ],
)
def test_a_mark_dated_with_its_zone_offset_is_of_the_day_written(
    world: World, tmp_path: Path, fecha: str
) -> None:
    """A mark's date-time with its zone offset ('2024-03-05T00:00:00+01:00', midnight in
    Madrid; '…19:30:00-05:00', an evening in Lima) was matched by its UTC day (4 or 6 March):
    no scene, and the mark was left out; it labels the scene of 5 March it is on. So too with
    the zone after UTC ('… 19:30:00 UTC-05:00': 6 March) and in a TIFF tag's form
    ('2024:03:05 19:30:00-05:00', '2024:03:05 14:50:00': read as of year 1)."""
    lon, lat = world.lonlat["a_only"]
    csv = tmp_path / "marks.csv"
    pd.DataFrame({"class": ["dredge"], "lon": [lon], "lat": [lat], "date": [fecha]}
                 ).to_csv(csv, index=False)  # fmt: skip
    tiles, notes = world.read(csv)
    assert world.boxes_per_scene(tiles) == {"A": 1, "B": 0, "C": 0}, notes
    assert not [note for note in notes if "left out" in note], notes


@pytest.mark.parametrize(
    ("when", "other"),
    [
        ("2024-03-05T21:00:00-05:00", "2024-05-03T10:00:00Z"),
        ("2024-03-05T00:30:00+01:00", "2024-05-03"),
        ("2024-03-05T19:30:00-05:00", "2024-05-03T10:00:00-04:00"),
    ],
)
def test_a_google_earth_mark_dated_with_its_zone_offset_is_of_the_day_written(
    world: World, tmp_path: Path, when: str, other: str
) -> None:
    """A placemark's TimeStamp with its zone offset (``<when>2024-03-05T21:00:00-05:00</when>``,
    an evening in Lima) came from GDAL in UTC (6 March) where a placemark of its folder had
    another offset or none: no scene of that day, and the mark was left out; it labels the
    scene of 5 March it is on, and `dredge track` reads the same time as before."""
    (lon, lat), (c_lon, c_lat) = world.lonlat["a_only"], world.lonlat["c"]
    marks = tmp_path / "dragas.kml"
    marks.write_text(
        _kml(
            _folder(
                "marcas",
                _placemark("Draga 1", lon, lat, f"<TimeStamp><when>{when}</when></TimeStamp>"),
                _placemark("Draga 2", c_lon, c_lat, f"<TimeStamp><when>{other}</when></TimeStamp>"),
            )
        )
    )
    tiles, notes = world.read(marks)
    assert world.boxes_per_scene(tiles) == {"A": 1, "B": 0, "C": 1}, notes
    assert not [note for note in notes if "left out" in note], notes
    acquired = pd.to_datetime(read_kml_marks(marks)["acquired"], utc=True, format="mixed")
    assert acquired.tolist() == [pd.Timestamp(t, tz="UTC") if len(t) == 10 else
                        pd.Timestamp(t).tz_convert("UTC") for t in (when, other)]  # fmt: skip


def test_a_mark_dated_before_any_satellite_image_is_one_line(world: World, tmp_path: Path) -> None:
    """A mark dated 0001-01-01 (a placeholder for no date) was matched to no scene of its day
    and left out with a note, as if its scene were missing; it is one line naming the file."""
    (lon, lat), (lon2, lat2) = world.lonlat["a_only"], world.lonlat["c"]
    csv = tmp_path / "marcas.csv"
    pd.DataFrame(
        {"clase": ["draga", "draga"], "longitud": [lon, lon2], "latitud": [lat, lat2],
         "fecha": ["2024-03-05", "0001-01-01"]}
    ).to_csv(csv, index=False)  # fmt: skip
    with pytest.raises(InputError, match=r"marcas\.csv: 1 date is before the first satellite"):
        world.read(csv)
