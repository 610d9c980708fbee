"""Boxes and points over whole scenes: tiled by the project's tiler, any CRS, errors named."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from detector.errors import InputError
from detector.rivers import RiverNetwork
from detector.scene import open_scene
from detector.tiling import plan_scene
from tests.label_fixtures import CLASSES, SPEC, truth_frame
from training.labels.classes import ClassMap
from training.labels.sources import label_format
from training.labels.table import LabelledTile
from training.labels.vector import POINT_BOX_M, is_vector, read_vector_labels


def _read_with_notes(
    path: Path,
    world: Path,
    scenes: str | Path | None = None,
    scene_bands: tuple[str, ...] | None = None,
) -> tuple[list[LabelledTile], list[str]]:
    """The labels at ``path`` over the world's scenes (or ``scenes``) along its rivers."""
    return read_vector_labels(
        path,
        ClassMap(CLASSES),
        scenes=[world / "scenes" if scenes is None else scenes],
        rivers=RiverNetwork.read(world / "rivers.geojson"),
        spec=SPEC,
        scene_bands=scene_bands,
    )


def _read(path: Path, world: Path) -> list[LabelledTile]:
    return _read_with_notes(path, world)[0]


def test_boxes_become_corridor_tiles_with_negatives(
    labelled_tiles: list[LabelledTile], label_world: Path, vector_labels: Path
) -> None:
    assert label_format(vector_labels) == "vector"
    scenes = {t.scene for t in labelled_tiles}
    assert len(scenes) == 3
    positives = [t for t in labelled_tiles if t.boxes]
    assert positives and len(positives) < len(labelled_tiles)  # empty tiles kept as negatives
    for tile in labelled_tiles:
        assert tile.pixels is not None and tile.pixels.shape == (64, 64, 3)
        for box in tile.boxes:
            assert 0 <= box.x0 < box.x1 <= 64 and 0 <= box.y0 < box.y1 <= 64
    # every visible truth box is labelled in at least one tile
    truth = truth_frame(label_world)
    assert sum(len(t.boxes) for t in labelled_tiles) >= len(truth)


def test_another_crs_is_reprojected(
    labelled_tiles: list[LabelledTile], label_world: Path, tmp_path: Path
) -> None:
    path = tmp_path / "utm.gpkg"
    truth_frame(label_world, crs="EPSG:32718").to_file(path, driver="GPKG")
    tiles = {t.name: t for t in _read(path, label_world)}
    for original in labelled_tiles:
        read = tiles[original.name]
        assert len(read.boxes) == len(original.boxes)
        for a, b in zip(read.boxes, original.boxes, strict=True):
            assert abs(a.x0 - b.x0) < 0.01 and abs(a.y1 - b.y1) < 0.01


def test_a_layer_made_in_a_spanish_qgis_is_read(
    labelled_tiles: list[LabelledTile], label_world: Path, tmp_path: Path
) -> None:
    """Columns Escena and Clase, classes draga and barco: 'has no class column' before."""
    frame = truth_frame(label_world, crs="EPSG:32718")
    spanish = {"dredge": "draga", "boat": "barco"}
    frame = frame.rename(columns={"scene": "Escena", "class_name": "Clase"})
    frame["Clase"] = frame["Clase"].map(spanish)
    path = tmp_path / "etiquetas.gpkg"
    frame.to_file(path, driver="GPKG")
    tiles, _ = read_vector_labels(
        path,
        ClassMap(CLASSES, {"draga": "dredge", "barco": "boat"}),
        scenes=[label_world / "scenes"],
        rivers=RiverNetwork.read(label_world / "rivers.geojson"),
        spec=SPEC,
    )
    boxes = sorted((t.name, b.class_name) for t in tiles for b in t.boxes)
    assert boxes == sorted((t.name, b.class_name) for t in labelled_tiles for b in t.boxes)


def test_points_become_boxes_of_the_class_size(label_world: Path, tmp_path: Path) -> None:
    frame = truth_frame(label_world, crs="EPSG:32718")
    frame["geometry"] = frame.geometry.centroid
    path = tmp_path / "points.gpkg"
    frame.to_file(path, driver="GPKG")
    tiles = _read(path, label_world)
    sides = {
        (b.class_name, round(b.x1 - b.x0, 3))
        for t in tiles
        for b in t.boxes
        if 0 < b.x0 and b.x1 < 64 and 0 < b.y0 and b.y1 < 64
    }
    assert ("dredge", round(POINT_BOX_M["dredge"] / SPEC.gsd_m, 3)) in sides


def test_a_box_cut_by_the_tile_edge_is_kept_when_mostly_inside(
    label_world: Path, labelled_tiles: list[LabelledTile], tmp_path: Path
) -> None:
    tile = next(t for t in labelled_tiles if t.boxes)
    scene_path = next(p for p in (label_world / "scenes").glob("*SR.tif") if p.stem == tile.scene)
    with open_scene(scene_path) as scene:
        plan = plan_scene(scene, RiverNetwork.read(label_world / "rivers.geojson"), SPEC)
    found = next(t for t in plan.tiles if t.tile_id == tile.name)
    # 10 × 2 px boxes across the tile's left edge: 70 % inside (kept), 30 % inside (left out)
    t = found.transform
    mostly_in = shapely.box(*(t @ (-3, 30)), *(t @ (7, 32)))
    mostly_out = shapely.box(*(t @ (-7, 40)), *(t @ (3, 42)))
    frame = gpd.GeoDataFrame(
        {"scene": [tile.scene] * 2, "class_name": ["dredge", "boat"]},
        geometry=[shapely.box(*mostly_in.bounds), shapely.box(*mostly_out.bounds)],
        crs=found.crs,
    )
    path = tmp_path / "edge.gpkg"
    frame.to_file(path, driver="GPKG")
    tiles = {x.name: x for x in _read(path, label_world)}
    boxes = tiles[tile.name].boxes
    assert [(b.class_name, round(b.x0, 3), round(b.x1, 3)) for b in boxes] == [("dredge", 0, 7)]


def test_geojson_with_projected_coordinates_names_the_feature(
    label_world: Path, tmp_path: Path
) -> None:
    frame = truth_frame(label_world, crs="EPSG:32718")
    data = json.loads(frame.to_json())
    data.pop("crs", None)  # RFC 7946: GeoJSON without crs is longitude/latitude
    path = tmp_path / "utm.geojson"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as error:
        _read(path, label_world)
    message = str(error.value)
    assert message.startswith(f"{path}: feature 1 (id 0): coordinates (")
    assert "are not longitude/latitude" in message and "\n" not in message


def test_unknown_class_and_unknown_scene_name_the_feature(
    label_world: Path, tmp_path: Path
) -> None:
    frame = truth_frame(label_world).iloc[:3].copy()
    frame["class_name"] = ["dredge", "dredge", "chata"]
    path = tmp_path / "c.gpkg"
    frame.to_file(path, driver="GPKG")
    with pytest.raises(InputError, match=r"feature 3: class 'chata' is not one of the model's"):
        _read(path, label_world)
    frame["class_name"] = "dredge"
    frame["scene"] = ["x", *frame["scene"].iloc[1:]]
    frame.to_file(path, driver="GPKG")
    with pytest.raises(InputError, match=r"feature 1: scene 'x' is not among the scenes given"):
        _read(path, label_world)


def test_vector_labels_need_rivers(vector_labels: Path, label_world: Path) -> None:
    with pytest.raises(InputError, match="give the river centerlines with --rivers"):
        read_vector_labels(
            vector_labels,
            ClassMap(CLASSES),
            scenes=[label_world / "scenes"],
            rivers=None,
            spec=SPEC,
        )


def test_scenes_given_as_a_glob_or_a_list(
    labelled_tiles: list[LabelledTile], label_world: Path, vector_labels: Path, tmp_path: Path
) -> None:
    """--scenes reads globs and text lists as `dredge run` does (UDM masks left out)."""
    listing = tmp_path / "scenes.txt"
    names = sorted(p.name for p in (label_world / "scenes").glob("*_AnalyticMS_SR.tif"))
    listing.write_text("".join(f"{label_world / 'scenes' / n}\n" for n in names))
    for given in (str(label_world / "scenes" / "*.tif"), listing):
        tiles, _ = _read_with_notes(vector_labels, label_world, scenes=given)
        assert [t.name for t in tiles] == [t.name for t in labelled_tiles]


def test_a_scene_name_that_several_scenes_share_is_refused(
    label_world: Path, tmp_path: Path
) -> None:
    """NICFI quads keep one file name month after month: a bare name would pick one month."""
    import shutil

    frame = truth_frame(label_world)
    scene = sorted((label_world / "scenes").glob("*SR.tif"))[0]
    frame = frame[frame["scene"].astype(str).str.startswith(scene.stem.split("_3B_")[0])]
    months = [tmp_path / f"mosaic_2024-0{m}" / scene.name for m in (1, 2)]
    for copy in months:
        copy.parent.mkdir()
        shutil.copy(scene, copy)

    def read(value: str) -> list[LabelledTile]:
        labels = tmp_path / "labels.gpkg"
        frame.assign(scene=value).to_file(labels, driver="GPKG")
        tiles, _ = read_vector_labels(
            labels, ClassMap(CLASSES), scenes=[str(p) for p in months],
            rivers=RiverNetwork.read(label_world / "rivers.geojson"), spec=SPEC,
        )  # fmt: skip
        return tiles

    with pytest.raises(
        InputError, match=r"names 2 of the scenes given .* \(e\.g\. mosaic_2024-01_"
    ):
        read(scene.name)
    by_label = read(f"mosaic_2024-02_{scene.name}")
    by_path = read(str(months[1]))
    assert by_label and [t.scene for t in by_label] == [t.scene for t in by_path]
    assert {t.scene for t in by_label} == {f"mosaic_2024-02_{scene.stem}"}


def test_the_corrected_detections_layer_of_dredges_gpkg_is_read(
    label_world: Path, tmp_path: Path
) -> None:
    """`dredges.gpkg` holds the tracks first and the detections second: the tracks were read
    ('has no scene column'), with a pyogrio warning about several layers."""
    frame = truth_frame(label_world).iloc[:3].copy()
    path = tmp_path / "dredges.gpkg"
    tracks = gpd.GeoDataFrame({"track_id": [1]}, geometry=[frame.geometry.iloc[0]], crs=frame.crs)
    tracks.to_file(path, layer="dredges")
    frame.to_file(path, layer="detections")
    got, alone = _read(path, label_world), _read(_single(frame, tmp_path), label_world)
    assert [(t.name, t.boxes) for t in got] == [(t.name, t.boxes) for t in alone]
    assert sum(len(t.boxes) for t in got) >= 3
    other = tmp_path / "two.gpkg"
    tracks.to_file(other, layer="a")
    tracks.to_file(other, layer="b")
    with pytest.raises(InputError, match=r"has 2 layers \(a, b\) and no one layer of labels"):
        _read(other, label_world)


def _single(frame: gpd.GeoDataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "alone.gpkg"
    frame.to_file(path)
    return path


def _four_marks(label_world: Path) -> gpd.GeoDataFrame:
    """Four of the label world's truth boxes as points (marks made for counting)."""
    frame = truth_frame(label_world).iloc[:4].copy()
    return frame.assign(geometry=shapely.centroid(frame.geometry.to_numpy()))


def test_points_marked_for_counting_in_a_csv_are_labels(label_world: Path, tmp_path: Path) -> None:
    """A CSV of marks (lon/lat, Clase, Escena), as `dredge track` reads it, was 'is not a label
    set this tool reads'; it gives the tiles its points give from a GeoPackage."""
    points = _four_marks(label_world)
    gpkg = tmp_path / "points.gpkg"
    points.to_file(gpkg)
    csv = tmp_path / "marcas.csv"
    table = pd.DataFrame(
        {
            "Escena": points["scene"],
            "Clase": points["class_name"],
            "lon": points.geometry.x,
            "lat": points.geometry.y,
            "fecha": "2024-01-27",
        }
    )
    table.to_csv(csv, index=False)
    assert label_format(csv) == "vector"
    got, expected = _read(csv, label_world), _read(gpkg, label_world)
    assert [(t.name, t.boxes) for t in got] == [(t.name, t.boxes) for t in expected]
    assert sum(len(t.boxes) for t in got) >= 4


def test_marks_saved_by_excel_as_unicode_text_under_txt_are_labels(
    label_world: Path, tmp_path: Path
) -> None:
    """Excel's 'Unicode text' (UTF-16, tabs) keeps the .txt suffix Excel gives it: it was 'is
    not a label set this tool reads', and read once renamed .csv; a YOLO classes.txt is not
    taken for marks."""
    points = _four_marks(label_world)
    gpkg = tmp_path / "points.gpkg"
    points.to_file(gpkg)
    text = tmp_path / "marcas.txt"
    table = pd.DataFrame(
        {
            "Escena": points["scene"],
            "Clase": points["class_name"],
            "lon": points.geometry.x,
            "lat": points.geometry.y,
            "fecha": "2024-01-27",
        }
    )
    text.write_bytes(table.to_csv(sep="\t", index=False).encode("utf-16"))
    assert label_format(text) == "vector"
    got, expected = _read(text, label_world), _read(gpkg, label_world)
    assert [(t.name, t.boxes) for t in got] == [(t.name, t.boxes) for t in expected]
    names = tmp_path / "yolo" / "classes.txt"
    names.parent.mkdir()
    names.write_text("dredge\nboat\n")
    assert not is_vector(names)


@pytest.mark.parametrize("column", ["Objeto", "Categoría"])
def test_marks_read_with_the_class_columns_dredge_track_reads(
    label_world: Path, tmp_path: Path, column: str
) -> None:
    """'objeto' (and 'Categoría', with its accent) name the class for `dredge track` but were
    'has no class column' here, though marks are read "as dredge track reads them"."""
    points = _four_marks(label_world)
    gpkg = tmp_path / "points.gpkg"
    points.to_file(gpkg)
    csv = tmp_path / "marcas.csv"
    pd.DataFrame(
        {
            "escena": points["scene"],
            column: points["class_name"],
            "lon": points.geometry.x,
            "lat": points.geometry.y,
        }
    ).to_csv(csv, index=False)
    got, expected = _read(csv, label_world), _read(gpkg, label_world)
    assert [(t.name, t.boxes) for t in got] == [(t.name, t.boxes) for t in expected]


def test_a_mark_of_several_dredges_is_refused_as_a_label(label_world: Path, tmp_path: Path) -> None:
    """A mark of 'cantidad' 3 (a group marked once for counting) was one box: 4 boxes for 6
    dredges, the other two of the group taught as background without a word."""
    points = _four_marks(label_world)
    csv = tmp_path / "marcas.csv"
    table = pd.DataFrame(
        {
            "escena": points["scene"],
            "clase": points["class_name"],
            "lon": points.geometry.x,
            "lat": points.geometry.y,
            "N° de dragas": [1, 3, "", 1],
        }
    )
    table.to_csv(csv, index=False)
    with pytest.raises(InputError, match=r"feature 2: 'N° de dragas' is 3.*one object"):
        _read(csv, label_world)
    table.assign(**{"N° de dragas": [1, 1, "", 1]}).to_csv(csv, index=False)
    assert sum(len(t.boxes) for t in _read(csv, label_world)) >= 4


def test_a_labelled_feature_whose_geometry_cannot_be_read_is_named(
    label_world: Path, tmp_path: Path
) -> None:
    """GDAL reads a Circle (or a mis-nested polygon) as no geometry, which marks a scene as
    looked at with nothing in it: a drawn dredge became negative tiles, with only a warning."""
    frame = truth_frame(label_world).iloc[:3].to_crs("EPSG:4326")
    data = json.loads(frame.to_json())
    centre = data["features"][1]["geometry"]["coordinates"][0][0]
    data["features"][1]["geometry"] = {"type": "Circle", "coordinates": centre, "radius": 10}
    path = tmp_path / "circle.geojson"
    path.write_text(json.dumps(data))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(InputError, match=r"feature 2 .*is a 'dredge' with no geometry that"):
            _read(path, label_world)
    assert not [w for w in seen if "Unsupported geometry" in str(w.message)]
    data["features"][1]["properties"]["class_name"] = ""  # blank: the scene was looked at
    path.write_text(json.dumps(data))
    assert _read(path, label_world)


def test_each_part_of_a_multi_part_feature_is_one_object(label_world: Path, tmp_path: Path) -> None:
    """A MultiPoint layer (QGIS, from a Shapefile) was refused; two dredges merged into one
    feature gave one box round both."""
    frame = truth_frame(label_world, crs="EPSG:32718")
    points = _read_points(frame, tmp_path / "points.gpkg", label_world)
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["scene"] == second["scene"] and first["class_name"] == second["class_name"]
    merged = frame.iloc[2:].copy()
    merged["geometry"] = merged.geometry.centroid.apply(lambda p: shapely.MultiPoint([p]))
    both = shapely.MultiPoint([first.geometry.centroid, second.geometry.centroid])
    row = gpd.GeoDataFrame(
        {"scene": [first["scene"]], "class_name": [first["class_name"]]},
        geometry=[both],
        crs=frame.crs,
    )
    multi = pd.concat([row, merged], ignore_index=True)
    assert set(multi.geom_type) == {"MultiPoint"}
    assert _read_points(multi, tmp_path / "multi.gpkg", label_world) == points


def _read_points(frame: gpd.GeoDataFrame, path: Path, world: Path) -> list[tuple[str, ...]]:
    """Write ``frame`` (as points where it holds boxes) and read it; its boxes, sorted."""
    if set(frame.geom_type) == {"Polygon"}:
        frame = frame.assign(geometry=frame.geometry.centroid)
    frame.to_file(path, driver="GPKG")
    return sorted(
        (t.name, b.class_name, f"{b.x0:.2f}", f"{b.y0:.2f}")
        for t in _read(path, world)
        for b in t.boxes
    )


def test_objects_in_tile_overlaps_are_named_as_boxes_in_each_tile(
    label_world: Path, vector_labels: Path
) -> None:
    """A box where two tiles overlap is a box in each: the summary and the scores count boxes,
    not objects (16 objects over 2 demo scenes read as 19 boxes without a word)."""
    tiles, notes = _read_with_notes(vector_labels, label_world)
    boxes = sum(len(t.boxes) for t in tiles)
    objects = len(truth_frame(label_world))
    shared = [note for note in notes if "lie where tiles overlap and are a box in each" in note]
    assert boxes > objects and shared  # the fixture has objects in overlaps
    in_notes = [re.search(r"\((\d+) boxes in all\)", note) for note in shared]
    assert sum(int(found[1]) for found in in_notes if found) == boxes


def test_scene_bands_name_the_bands_of_scenes_labelled_by_hand(
    labelled_tiles: list[LabelledTile], label_world: Path, vector_labels: Path, tmp_path: Path
) -> None:
    """A 5-band stack was refused with advice to pass --scene-bands, which dredge train and
    dredge evaluate did not have: labels over such scenes could not be used at all."""
    import numpy as np
    import rasterio

    stacked = tmp_path / "scenes"
    stacked.mkdir()
    for source in sorted((label_world / "scenes").glob("*_SR.tif")):
        with rasterio.open(source) as src:
            data, profile = src.read(), src.profile
        with rasterio.open(stacked / source.name, "w", **profile | {"count": 5}) as dst:
            dst.write(np.concatenate([data, data[-1:]]))  # a red-edge band after the NIR

    with pytest.raises(InputError, match="--scene-bands"):
        _read_with_notes(vector_labels, label_world, scenes=stacked)
    bands = ("blue", "green", "red", "nir", "red_edge")
    tiles, _ = _read_with_notes(vector_labels, label_world, scenes=stacked, scene_bands=bands)
    assert [t.boxes for t in tiles] == [t.boxes for t in labelled_tiles]
    pairs = zip(tiles, labelled_tiles, strict=True)
    assert all(np.array_equal(a.pixels, b.pixels) for a, b in pairs)


def test_rivers_named_in_another_column(
    labelled_tiles: list[LabelledTile], label_world: Path, vector_labels: Path, tmp_path: Path
) -> None:
    """`dredge train` and `dredge evaluate` take --name-field as `dredge run` does: rivers of
    ANA's layer (`NOMBRE_RIO`) were refused with "rename the column 'name'", as they had none."""
    import typer

    from detector.cli import app
    from training.labels.sources import read_and_report

    rivers = gpd.read_file(label_world / "rivers.geojson").rename(columns={"name": "NOMBRE_RIO"})
    rivers.to_file(tmp_path / "rios.gpkg")
    sets = read_and_report(
        [vector_labels], CLASSES, SPEC, scenes=[label_world / "scenes"],
        rivers=tmp_path / "rios.gpkg", name_field="NOMBRE_RIO", echo=lambda _: None,
    )  # fmt: skip
    assert len(sets[0].tiles) == len(labelled_tiles)
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for command in ("train", "evaluate"):
        args = ["bundled"] if command == "evaluate" else []
        args += ["l.gpkg", "--rivers", "rios.gpkg", "--name-field", "NOMBRE_RIO"]
        context = commands[command].make_context(command, args)
        assert context.params["name_field"] == "NOMBRE_RIO"


def test_a_class_labelled_nowhere_is_named(
    vector_labels: Path, label_world: Path, tmp_path: Path
) -> None:
    """Dredges marked alone (or a run's corrected dredges.gpkg, dredges only): its boats were
    taught as background without a word; now a note names the class labelled nowhere."""
    from training.labels.sources import read_and_report

    frame = gpd.read_file(vector_labels)
    only = tmp_path / "dragas.gpkg"
    frame[frame["class_name"] == "dredge"].to_file(only)
    said: list[str] = []
    scenes, rivers = [label_world / "scenes"], label_world / "rivers.geojson"
    read_and_report([only], CLASSES, SPEC, scenes=scenes, rivers=rivers, echo=said.append)
    assert [line for line in said if "no 'boat' labelled in any label set" in line], said
    said.clear()
    read_and_report([vector_labels], CLASSES, SPEC, scenes=scenes, rivers=rivers, echo=said.append)
    assert not [line for line in said if "labelled in any label set" in line], said


def test_marks_made_for_counting_without_a_class_are_dredges_boxes_are_not(
    label_world: Path, tmp_path: Path
) -> None:
    """A CSV of lon/lat marks with no class column, as `dredge track` counts it (every mark a
    dredge), was 'has no class column — add a column class_name'; its marks are now dredges,
    with one note saying how to mark another class. A blank class cell beside others is a
    dredge there too. A layer drawn in QGIS without a class column is refused as before."""
    points = _four_marks(label_world)
    csv = tmp_path / "marcas.csv"
    table = pd.DataFrame(
        {"escena": points["scene"], "lon": points.geometry.x, "lat": points.geometry.y}
    )
    table.to_csv(csv, index=False)
    tiles, notes = _read_with_notes(csv, label_world)
    assert {b.class_name for t in tiles for b in t.boxes} == {"dredge"}
    (note,) = [note for note in notes if "name no class" in note]
    assert "4 of 4 marks" in note and "taken as dredges" in note and "clase" in note
    table.assign(clase=["bote", "", "draga", None]).to_csv(csv, index=False)
    tiles, notes = _read_with_notes(csv, label_world)
    assert any("2 of 4 marks name no class" in note for note in notes), notes
    gpkg = tmp_path / "boxes.gpkg"
    points[["scene", "geometry"]].to_file(gpkg)
    with pytest.raises(InputError, match="has no class column"):
        _read(gpkg, label_world)


def test_one_mark_naming_no_class_is_named_in_the_singular() -> None:
    """'1 of 4 mark(s) name no class … and were taken as dredges, as `dredge track` counts
    them': the singular now."""
    from training.labels.vector import _unnamed_note

    note = _unnamed_note(Path("marks.csv"), 1, 4)
    assert note.startswith(
        "marks.csv: 1 of 4 marks names no class (no class column, or a blank cell) and was taken "
        "as a dredge, as `dredge track` counts it — "
    )


def test_labels_of_zero_area_are_counted_apart(label_world: Path, tmp_path: Path) -> None:
    """A polygon drawn as a line (two corners on one edge) or collapsed to a point has no area:
    it was left out and counted in the note as an object "outside every river-corridor tile",
    with the fix to widen --corridor-m, which keeps none of them. Now its own note."""
    frame = truth_frame(label_world, crs="EPSG:32718")
    frame = frame[frame["scene"] == frame["scene"].iloc[0]].reset_index(drop=True)
    drawn = tmp_path / "drawn.gpkg"
    frame.to_file(drawn, driver="GPKG")
    tiles, notes = _read_with_notes(drawn, label_world)
    x0, y0, x1, _ = frame.geometry.iloc[0].bounds
    flats = gpd.GeoDataFrame(
        {"scene": [frame["scene"].iloc[0]] * 2, "class_name": ["dredge", "boat"]},
        geometry=[
            shapely.Polygon([(x0, y0), (x1, y0), (x1, y0), (x0, y0)]),  # a line
            shapely.Polygon([(x0, y0)] * 4),  # a point
        ],
        crs=frame.crs,
    )
    with_flats = tmp_path / "with_flats.gpkg"
    pd.concat([frame, flats], ignore_index=True).to_file(with_flats, driver="GPKG")
    read, read_notes = _read_with_notes(with_flats, label_world)
    assert [(t.name, t.boxes) for t in read] == [(t.name, t.boxes) for t in tiles]
    n = len(frame)
    assert read_notes == [
        *(note.replace(str(drawn), str(with_flats)) for note in notes),
        f"{with_flats}: 2 labels of zero area (a polygon drawn as a line or a point) were left "
        f"out (first: feature {n + 1}); redraw them as boxes, or as points",
    ]
