"""SCENES for ``dredge run``: folders, globs, text lists and STAC JSON."""

from __future__ import annotations

import json
import os
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from detector.acquisition import scene_labels
from detector.chips import no_scenes_message
from detector.date_tables import date_for_scene, read_date_table
from detector.errors import DredgeError, InputError
from detector.scene import open_scene
from detector.scene_sources import resolve_scenes
from tests.geo_fixtures import write_scene

SMALL: dict[str, Any] = {"width": 40, "height": 40}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for name in ("a_3B_AnalyticMS_SR.tif", "b_3B_AnalyticMS_SR.tif", "a_3B_udm2.tif"):
        (scenes / name).write_bytes(b"")
    (scenes / "notes.txt").write_text("not a scene")
    return scenes


def names(paths: list[str]) -> list[str]:
    return [Path(p).name for p in paths]


def test_folder_gives_its_scenes_without_masks(folder: Path) -> None:
    assert names(resolve_scenes([folder]).paths) == [
        "a_3B_AnalyticMS_SR.tif",
        "b_3B_AnalyticMS_SR.tif",
    ]


def test_glob_and_repeats(folder: Path) -> None:
    sources = resolve_scenes([str(folder / "b_*.tif"), folder / "b_3B_AnalyticMS_SR.tif"])
    assert names(sources.paths) == ["b_3B_AnalyticMS_SR.tif"]


def test_glob_leaves_masks_and_other_files_out(folder: Path) -> None:
    """'scenes/*' used to give the UDM2 mask and notes.txt as scenes (read as 8-band scenes)."""
    for pattern in ("*", "*.tif", "**/*.tif"):
        sources = resolve_scenes([str(folder / pattern)])
        assert names(sources.paths) == ["a_3B_AnalyticMS_SR.tif", "b_3B_AnalyticMS_SR.tif"]


def test_no_scenes_points_at_the_subfolders_that_hold_them(folder: Path) -> None:
    order = folder.parent
    message = no_scenes_message([order])
    assert message.startswith(f"no scenes (*.tif) in {order}; 2 lie in subfolders ({folder})")
    assert f"'{order}/**/*.tif'" in message
    assert resolve_scenes([f"{order}/**/*.tif"]).paths == resolve_scenes([folder]).paths
    assert no_scenes_message([folder / "none"]) == f"no scenes (*.tif) in {folder / 'none'}"


def test_masks_given_one_by_one_as_the_shell_expands_a_glob_are_left_out(folder: Path) -> None:
    """`dredge run scenes/*.tif` (unquoted) passed each UDM2 as a scene: the work was doubled,
    and its empty 'looks' changed the counts (a river-year from 4 dredges to 2)."""
    given = sorted(str(p) for p in folder.glob("*.tif"))
    sources = resolve_scenes(given)
    assert names(sources.paths) == ["a_3B_AnalyticMS_SR.tif", "b_3B_AnalyticMS_SR.tif"]
    assert any(
        "left out 1 UDM mask file given as scenes (e.g. a_3B_udm2.tif)" in n for n in sources.notes
    )


def test_one_file_given_twice_under_two_spellings_is_one_scene(folder: Path) -> None:
    """`scenes/` and `./scenes/a.tif` (or a link to it) detected one file twice, under the odd
    labels '._scenes_a…' and 'scenes_a…'."""
    link = folder.parent / "link.tif"
    link.symlink_to(folder / "a_3B_AnalyticMS_SR.tif")
    again = f"{folder}/../{folder.name}/./a_3B_AnalyticMS_SR.tif"
    assert resolve_scenes([folder, again, link]).paths == resolve_scenes([folder]).paths


def test_a_zipped_planet_order_says_to_unzip_it(tmp_path: Path) -> None:
    """A zip used to be opened as a raster: 'may be truncated or corrupt; download it again'."""
    order = tmp_path / "order.zip"
    order.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match=r"is a zip archive.*unzip it .* and give that folder"):
        resolve_scenes([order])
    listed = tmp_path / "scenes.txt"  # in a list of scenes too
    listed.write_text("order.zip\n")
    with pytest.raises(InputError, match=r"order.zip: is a zip archive"):
        resolve_scenes([listed])
    message = no_scenes_message([tmp_path])
    assert message.endswith(
        "it holds 1 zip archive (e.g. order.zip): unzip it and give the unzipped folder"
    )


def test_dates_from_the_table_win_over_stac() -> None:
    a, b = "https://example.org/x/a.tif", "https://example.org/x/b.tif"
    sources = resolve_scenes([a, b])
    sources.dates = {a: datetime(2024, 1, 1, tzinfo=UTC), b: datetime(2024, 1, 2)}
    table = {"a": datetime(2024, 5, 5, tzinfo=UTC)}  # by stem
    assert sources.dates_with(table) == {
        a: datetime(2024, 5, 5, tzinfo=UTC),
        b: datetime(2024, 1, 2),
    }
    assert sources.dates_with(None) == sources.dates


def test_glob_without_match_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="matches no scene"):
        resolve_scenes([str(tmp_path / "nothing*.tif")])


def test_text_list_relative_to_itself_with_comments_and_urls(folder: Path) -> None:
    listing = folder.parent / "scenes.txt"
    listing.write_text(
        "# my scenes\nscenes/a_3B_AnalyticMS_SR.tif\n\nhttps://example.org/c.tif  # remote\n"
    )
    sources = resolve_scenes([listing])
    assert sources.paths == [str(folder / "a_3B_AnalyticMS_SR.tif"), "https://example.org/c.tif"]


def test_a_list_saved_by_windows_notepad_is_read(folder: Path) -> None:
    """A byte-order mark and CRLF line ends: the first path was '\ufeffscenes/…', not found."""
    listing = folder.parent / "scenes.txt"
    listing.write_bytes("scenes/a_3B_AnalyticMS_SR.tif\r\n".encode("utf-8-sig"))
    assert resolve_scenes([listing]).paths == [str(folder / "a_3B_AnalyticMS_SR.tif")]


def test_dates_rows_that_name_no_scene_are_named() -> None:
    """A typo in a --dates table: its row was ignored without a word. The note is worded in
    the number of its rows ('1 of 2 row(s) name no scene given' of one row)."""
    a, b = "https://example.org/x/a.tif", "https://example.org/x/b.tif"
    sources = resolve_scenes([a, b])
    table = {"a": datetime(2024, 5, 5, tzinfo=UTC), "bb": datetime(2024, 5, 6, tzinfo=UTC)}
    assert sources.dates_with(table) == {a: datetime(2024, 5, 5, tzinfo=UTC)}
    assert sources.notes == [
        "--dates: 1 of 2 rows names no scene given (e.g. 'bb') and is not used — check the "
        "names against the scenes"
    ]
    sources = resolve_scenes([a, b])
    sources.dates_with(table | {"cc": datetime(2024, 5, 7, tzinfo=UTC)})
    assert sources.notes == [
        "--dates: 2 of 3 rows name no scene given (e.g. 'bb') and are not used — check the "
        "names against the scenes"
    ]


def test_products_of_one_planet_capture_are_named_once() -> None:
    """An order with the SR and Visual products of a capture: both were detected silently."""
    sr = "/o/20240317_145141_26_2455_3B_AnalyticMS_SR.tif"
    visual = "/o/20240317_145141_26_2455_3B_Visual.tif"
    classic = "/o/20180915_150036_0f4d_3B_AnalyticMS.tif"  # a Dove Classic id, once
    other = "/o/20240317_145142_27_2455_3B_AnalyticMS_SR.tif"  # the next scene of the strip
    note = resolve_scenes([sr, visual, classic, other]).notes[0]
    assert note.startswith("1 scene file is another product or copy of a Planet capture")
    assert "(e.g. 20240317_145141_26_2455_3B_Visual.tif and 20240317_145141_26_2455_3B_" in note
    assert resolve_scenes([sr, classic, other]).notes == []


def test_empty_list_is_an_error(tmp_path: Path) -> None:
    listing = tmp_path / "scenes.txt"
    listing.write_text("# nothing yet\n")
    with pytest.raises(InputError, match="lists no scene"):
        resolve_scenes([listing])


def stac_item(name: str, when: str, href: str) -> dict[str, object]:
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": name,
        "geometry": {"type": "Point", "coordinates": [-73.4, -3.8]},
        "bbox": [-73.4, -3.8, -73.4, -3.8],
        "properties": {"datetime": when},
        "links": [],
        "assets": {
            "udm2": {"href": f"{name}_udm2.tif", "type": "image/tiff"},
            "thumbnail": {"href": f"{name}.png", "type": "image/png", "roles": ["thumbnail"]},
            "ortho_analytic_4b_sr": {"href": href, "type": "image/tiff; application=geotiff"},
        },
    }


def test_stac_item_collection_gives_assets_and_dates(tmp_path: Path) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            stac_item("s1", "2024-03-05T14:30:00Z", "https://example.org/s1_SR.tif"),
            stac_item("s2", "2024-04-01T15:00:00Z", str(tmp_path / "s2_SR.tif")),
        ],
    }
    path = tmp_path / "search.json"
    path.write_text(json.dumps(collection))
    sources = resolve_scenes([path])
    assert sources.paths == ["https://example.org/s1_SR.tif", str(tmp_path / "s2_SR.tif")]
    assert sources.dates == {  # by scene path: STAC assets often share a file name
        sources.paths[0]: datetime(2024, 3, 5, 14, 30, tzinfo=UTC),
        sources.paths[1]: datetime(2024, 4, 1, 15, 0, tzinfo=UTC),
    }


def test_the_data_asset_is_the_scene_not_a_mask_sorted_before_it(tmp_path: Path) -> None:
    """An item whose assets are `cloud_mask` (roles cloud) and `image` (roles data) gave its
    mask as the scene (the first GeoTIFF asset by name): a mask named `…_udm2.tif` was left out
    with a note about a mask given as a scene, and the item's scene was lost without a word;
    another was detected as a scene. The asset whose roles say data is the scene."""
    cog = "image/tiff; application=geotiff; profile=cloud-optimized"
    features = []
    for name, mask in (("s1", "s1_3B_udm2.tif"), ("s2", "s2_clouds.tif")):
        item = stac_item(name, "2024-03-05T14:30:00Z", "")
        item["assets"] = {
            "cloud_mask": {"href": str(tmp_path / mask), "type": cog, "roles": ["cloud"]},
            "image": {"href": str(tmp_path / f"{name}_SR.tif"), "type": cog, "roles": ["data"]},
            "overview": {"href": str(tmp_path / f"{name}_ovr.tif"), "type": cog,
                         "roles": ["overview"]},
        }  # fmt: skip
        features.append(item)
    path = tmp_path / "search.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    sources = resolve_scenes([path])
    assert sources.paths == [str(tmp_path / "s1_SR.tif"), str(tmp_path / "s2_SR.tif")]
    assert sources.notes == []


def test_relative_assets_of_an_item_collection_are_relative_to_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "search").mkdir()
    path = tmp_path / "search" / "items.json"
    item = stac_item("s3", "2024-05-01T15:00:00Z", "scenes/s3_SR.tif")
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    monkeypatch.chdir(tmp_path)  # not where the file is
    sources = resolve_scenes([path])
    assert sources.paths == [str((tmp_path / "search" / "scenes" / "s3_SR.tif").resolve())]
    assert list(sources.dates) == sources.paths


@pytest.mark.parametrize(
    "document",
    [
        {"type": "FeatureCollection", "features": [{"type": "Feature", "stac_version": "1.0.0",
         "id": "a", "properties": None, "geometry": None, "links": [], "assets": {}}]},
        {"type": "Catalog", "id": "c", "stac_version": "1.0.0", "description": "d",
         "links": [{"rel": "item", "href": 5}]},
        {"type": "FeatureCollection", "features": [{"type": "Feature", "stac_version": "1.0.0",
         "id": "b", "properties": {"datetime": None}, "geometry": None, "links": [],
         "assets": [{"href": "a.tif"}]}]},
    ],
)  # fmt: skip
def test_malformed_stac_is_one_line(tmp_path: Path, document: dict) -> None:
    """A fuzz of STAC files found pystac's AttributeError and TypeError as tracebacks."""
    path = tmp_path / "items.json"
    path.write_text(json.dumps(document))
    with pytest.raises(InputError) as caught:
        resolve_scenes([path])
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_stac_catalog_follows_its_items(tmp_path: Path) -> None:
    item = stac_item("s1", "2024-03-05T14:30:00Z", "./s1_SR.tif")
    item["links"] = [{"rel": "parent", "href": "../catalog.json"}]
    (tmp_path / "s1").mkdir()
    (tmp_path / "s1" / "s1.json").write_text(json.dumps(item))
    catalog = {
        "type": "Catalog",
        "stac_version": "1.0.0",
        "id": "mine",
        "description": "scenes",
        "links": [{"rel": "item", "href": "./s1/s1.json"}],
    }
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    sources = resolve_scenes([tmp_path / "catalog.json"])
    assert sources.paths == [str((tmp_path / "s1" / "s1_SR.tif").resolve())]
    assert list(sources.dates) == sources.paths


def test_json_that_is_not_stac_says_so(tmp_path: Path) -> None:
    path = tmp_path / "rivers.geojson"
    path.write_text(json.dumps({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}))
    with pytest.raises(InputError, match="not STAC"):
        resolve_scenes([path])
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    with pytest.raises(InputError, match="is not JSON"):
        resolve_scenes([broken])


def test_scenes_that_share_a_file_name_are_labelled_by_their_folders() -> None:
    """NICFI quads keep one file name month after month; STAC assets are often all called
    analytic.tif. Each scene's name must tell it apart (it names its detections and files)."""
    folder = "/n/planet_medres_normalized_analytic_2024-0{}_mosaic"
    quads = [f"{folder.format(m)}/L15-0745E-1031N.tif" for m in (1, 2)]
    planet = "/p/20240105_145000_00_2400_3B_AnalyticMS_SR.tif"
    assert scene_labels([*quads, planet]) == {
        quads[0]: "planet_medres_normalized_analytic_2024-01_mosaic_L15-0745E-1031N.tif",
        quads[1]: "planet_medres_normalized_analytic_2024-02_mosaic_L15-0745E-1031N.tif",
        planet: "20240105_145000_00_2400_3B_AnalyticMS_SR.tif",
    }
    items = ["https://x.org/items/a/analytic.tif?sig=1", "https://x.org/items/b/analytic.tif"]
    assert list(scene_labels(items).values()) == ["a_analytic.tif", "b_analytic.tif"]
    # a resumed run keeps the names it gave; a newcomer with a taken name is named apart
    taken = {"/old/q.tif": "q.tif"}
    assert scene_labels(["/old/q.tif", "/new/q.tif"], taken=taken) == {
        "/old/q.tif": "q.tif",
        "/new/q.tif": "new_q.tif",
    }
    assert date_for_scene({"new_q": datetime(2024, 1, 1)}, "/new/q.tif", "new_q.tif") == datetime(
        2024, 1, 1
    )


def test_scenes_told_apart_by_a_number_are_so_named_whatever_their_order() -> None:
    """`/b/b/x.tif`, `/b/b_x.tif` and `/b_b/x.tif` are all `b_b_x.tif` by their folders, and
    were numbered in the order listed: `0_b_b_x.tif` was one scene in one run and another in
    the next (6 orders, 6 namings; 134 of 3,000 random sets of such paths named otherwise
    when shuffled), their detections and dates going with the number; and a number could give
    a label a file had already (`1_s_ñ.tif` twice: one scene to the tracker)."""
    import unicodedata
    from itertools import permutations

    paths = ["/b/b/x.tif", "/b/b_x.tif", "/b_b/x.tif"]
    first = scene_labels(paths)
    assert len(set(first.values())) == 3
    for order in permutations(paths):
        assert scene_labels(list(order)) == first, order
    # a number given where a file has that name already: two scenes of one label (composed)
    named = ["/a/1_s_ñ.tif", "/s/" + unicodedata.normalize("NFD", "ñ.tif"), "/s/ñ.tif"]
    labels = scene_labels(named).values()
    assert len({unicodedata.normalize("NFC", label) for label in labels}) == 3, labels


def test_scenes_whose_names_differ_only_in_case_are_named_apart_in_any_case() -> None:
    """`a/Nanay.tif` and `b/nanay.tif` were named `Nanay.tif` and `nanay.tif`: their chips
    (`chips/Nanay/Nanay_r000_c000.png`, `chips/nanay/…`) and review tiles were one file on a
    disk that ignores case (macOS, Windows). They are named by their folders now, or numbered
    where one folder holds both; the names are checked here case-folded."""
    from detector.scene_names import check_stems_apart

    apart = ["/s/a/Nanay.tif", "/s/b/nanay.tif"]
    assert scene_labels(apart) == {apart[0]: "a_Nanay.tif", apart[1]: "b_nanay.tif"}
    one_folder = ["/s/a/Nanay.tif", "/s/a/nanay.tif", "/s/a/Itaya.tif"]
    labels = list(scene_labels(one_folder).values())
    assert len({label.casefold() for label in labels}) == 3, labels
    assert labels[2] == "Itaya.tif"  # a name no other shares in any case keeps its name
    taken = {"/old/Nanay.tif": "Nanay.tif"}  # a resumed run: the newcomer is named apart
    resumed = scene_labels(["/old/Nanay.tif", "/new/nanay.tif"], taken=taken)
    assert resumed == {"/old/Nanay.tif": "Nanay.tif", "/new/nanay.tif": "new_nanay.tif"}
    with pytest.raises(DredgeError, match="two scenes named alike but for their suffix"):
        check_stems_apart(["/s/a/Nanay.tif", "/s/a/nanay.TIF"])  # both chips: nanay_r…


def test_scenes_of_two_folders_named_alike_but_for_case_and_suffix_are_named_apart() -> None:
    """`x/Nanay.tif` and `y/nanay.TIF` were refused as one scene ('rename one'), though their
    folders tell them apart: the suffix kept its case in the labels' key, so they kept their
    names, whose stems folded alike. A run of them made before case was folded (named
    `Nanay.tif` and `nanay.TIF` then) could not be resumed; it keeps its names."""
    from detector.scene_names import check_stems_apart

    for apart in (["/s/x/Nanay.tif", "/s/y/nanay.TIF"], ["/s/x/nanay.tif", "/s/y/nanay.tiff"]):
        check_stems_apart(apart)
        labels = scene_labels(apart)
        assert list(labels.values()) == [f"x_{Path(apart[0]).name}", f"y_{Path(apart[1]).name}"]
    earlier = {"/s/x/Nanay.tif": "Nanay.tif", "/s/y/nanay.TIF": "nanay.TIF"}
    check_stems_apart(list(earlier))
    assert scene_labels(list(earlier), taken=earlier) == earlier
    check_stems_apart(["/s/a/Nanay.tif", "/s/A/nanay.TIF"])  # two folders on Linux: numbered


def test_a_dates_row_naming_scenes_that_share_a_file_name_is_refused() -> None:
    quads = [f"/n/mosaic_2024-0{m}/L15.tif" for m in (1, 2)]
    sources = resolve_scenes(quads)
    with pytest.raises(InputError, match=r"'L15.tif' names 2 of the scenes .* mosaic_2024-01_"):
        sources.dates_with({"L15.tif": datetime(2024, 5, 1)})
    by_label = sources.dates_with({"mosaic_2024-02_L15": datetime(2024, 2, 9)})
    assert by_label == {quads[1]: datetime(2024, 2, 9)}
    assert sources.dates_with({quads[0]: datetime(2024, 1, 9)}) == {quads[0]: datetime(2024, 1, 9)}


def test_other_rasters_are_named_by_the_message_and_taken_from_a_glob_of_their_suffix(
    tmp_path: Path,
) -> None:
    """A folder of VRT mosaics (or JP2) said only 'no scenes (*.tif)', and the glob it would
    have suggested, 'mosaics/*.vrt', matched no scene either; a file named alone was read."""
    folder = tmp_path / "mosaics"
    folder.mkdir()
    for name in ("2024-01_mosaic.vrt", "2024-02_mosaic.vrt", "notes.txt"):
        (folder / name).write_text("<VRTDataset/>")
    message = no_scenes_message([folder])
    assert message == (
        f"no scenes (*.tif) in {folder}; it holds 2 other rasters (e.g. 2024-01_mosaic.vrt), "
        f"which a folder is not searched for: give them by name or by a quoted glob such as "
        f"'{folder}/*.vrt'"
    )
    assert names(resolve_scenes([f"{folder}/*.vrt"]).paths) == [
        "2024-01_mosaic.vrt",
        "2024-02_mosaic.vrt",
    ]
    (folder / "2024-01_mosaic.tif").write_bytes(b"")
    assert names(resolve_scenes([f"{folder}/*"]).paths) == ["2024-01_mosaic.tif"]
    assert names(resolve_scenes([folder]).paths) == ["2024-01_mosaic.tif"]


def test_scenes_in_subfolders_beside_a_folders_own_are_named(folder: Path) -> None:
    """A folder with one scene and month subfolders: 1 of 4 scenes was read, without a word."""
    (folder / "2024-01").mkdir()
    (folder / "2024-01" / "c_3B_AnalyticMS_SR.tif").write_bytes(b"")
    sources = resolve_scenes([folder])
    assert names(sources.paths) == ["a_3B_AnalyticMS_SR.tif", "b_3B_AnalyticMS_SR.tif"]
    assert any(
        "1 scene in its subfolders (e.g. 2024-01/c_3B_AnalyticMS_SR.tif) was not read" in n
        and f"'{folder}/**/*.tif'" in n
        for n in sources.notes
    )


def test_macos_metadata_files_and_an_empty_argument(folder: Path) -> None:
    """'._a.tif' (macOS on an exFAT drive) was a corrupt scene; an empty argument (an unset
    variable) read every scene of the current folder."""
    (folder / "._a_3B_AnalyticMS_SR.tif").write_bytes(b"\0")
    assert "._a_3B_AnalyticMS_SR.tif" not in names(resolve_scenes([folder]).paths)
    with pytest.raises(DredgeError, match="a SCENES argument is empty"):
        resolve_scenes(["", folder])


def test_lists_as_people_write_them(folder: Path) -> None:
    """A '#' inside a folder name cut the path (another folder's scenes were read); a CSV with
    a header took whole rows as paths; a Notepad list in cp1252 was a UnicodeDecodeError;
    quotes and file:// stayed in the path."""
    hashed = folder.parent / "Nanay #2"
    hashed.mkdir()
    (hashed / "c_3B_AnalyticMS_SR.tif").write_bytes(b"")
    (folder.parent / "Nanay").mkdir()
    (folder.parent / "Nanay" / "x_3B_AnalyticMS_SR.tif").write_bytes(b"")
    plain = folder.parent / "list.txt"
    plain.write_text(
        f"# scenes\nNanay #2/c_3B_AnalyticMS_SR.tif\n'scenes/a_3B_AnalyticMS_SR.tif'\n"
        f"file://{folder}/b_3B_AnalyticMS_SR.tif  # the second\n"
    )
    assert names(resolve_scenes([plain]).paths) == [
        "c_3B_AnalyticMS_SR.tif",
        "a_3B_AnalyticMS_SR.tif",
        "b_3B_AnalyticMS_SR.tif",
    ]
    table = folder.parent / "escenas.csv"
    table.write_text("fecha;Escena;nubes\n2024-01-01;scenes/b_3B_AnalyticMS_SR.tif;0,1\n")
    assert names(resolve_scenes([table]).paths) == ["b_3B_AnalyticMS_SR.tif"]
    ansi = folder.parent / "imágenes.txt"
    (folder.parent / "Imágenes").mkdir()
    (folder.parent / "Imágenes" / "d_3B_AnalyticMS_SR.tif").write_bytes(b"")
    ansi.write_bytes("Imágenes/d_3B_AnalyticMS_SR.tif\r\n".encode("cp1252"))
    assert names(resolve_scenes([ansi]).paths) == ["d_3B_AnalyticMS_SR.tif"]


def test_a_table_without_a_path_column_is_one_line(folder: Path) -> None:
    """`id,acquired,filename`: its header and rows were taken as whole paths, and every scene
    of the run failed 'file not found'. `filename` is read now; a header naming no path
    column is one line."""
    table = folder.parent / "scenes.csv"
    table.write_text("id,acquired,filename\n1,2024-01-01,scenes/b_3B_AnalyticMS_SR.tif\n")
    assert names(resolve_scenes([table]).paths) == ["b_3B_AnalyticMS_SR.tif"]
    table.write_text("id,acquired,archivo_tif\n1,2024-01-01,scenes/b_3B_AnalyticMS_SR.tif\n")
    with pytest.raises(DredgeError, match=r"columns id, acquired, archivo_tif, none of which"):
        resolve_scenes([table])


def test_a_comment_after_a_tab_and_a_path_from_home_in_a_list(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A comment after a tab (`scenes/b.tif<TAB># cloudy`) stayed in the path, and `~/…` was
    read as a folder named `~` beside the list: each such scene failed, 'file not found'."""
    monkeypatch.setenv("HOME", str(folder.parent))
    listing = folder.parent / "lists" / "scenes.txt"
    listing.parent.mkdir()
    listing.write_text(
        "../scenes/a_3B_AnalyticMS_SR.tif\t# clear\n~/scenes/b_3B_AnalyticMS_SR.tif\n"
    )
    assert resolve_scenes([listing]).paths == [
        str(listing.parent / "../scenes/a_3B_AnalyticMS_SR.tif"),
        str(folder / "b_3B_AnalyticMS_SR.tif"),
    ]
    hashed = folder.parent / "Nanay #2"  # a '#' in a folder under ~ is no comment
    hashed.mkdir()
    (hashed / "c_3B_AnalyticMS_SR.tif").write_bytes(b"")
    listing.write_text("~/Nanay #2/c_3B_AnalyticMS_SR.tif\n")
    assert resolve_scenes([listing]).paths == [str(hashed / "c_3B_AnalyticMS_SR.tif")]


def test_stac_dates_follow_the_scene_however_it_was_first_given(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same scene given as a relative path before its STAC item lost the item's date (it
    was filed under the item's spelling); a null datetime takes start_datetime."""
    monkeypatch.chdir(folder.parent)
    item = stac_item("a", "2024-07-15T10:00:00Z", str(folder / "a_3B_AnalyticMS_SR.tif"))
    path = folder.parent / "item.json"
    path.write_text(json.dumps(item))
    sources = resolve_scenes(["scenes/a_3B_AnalyticMS_SR.tif", path])
    assert sources.paths == ["scenes/a_3B_AnalyticMS_SR.tif"]
    assert sources.dates == {"scenes/a_3B_AnalyticMS_SR.tif": datetime(2024, 7, 15, 10, tzinfo=UTC)}
    span = dict(item, properties={"datetime": None, "start_datetime": "2024-01-01T00:00:00Z",
                                  "end_datetime": "2024-01-31T00:00:00Z"})  # fmt: skip
    path.write_text(json.dumps(span))
    assert list(resolve_scenes([path]).dates.values()) == [datetime(2024, 1, 1, tzinfo=UTC)]


def test_dates_rows_by_planet_id_by_another_spelling_and_in_conflict(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row naming a scene by its Planet ID, or by its absolute path where the scene was
    given relative, was 'a row that names no scene given' (and its date not used); two rows
    naming one scene under two spellings with two dates: one won without a word."""
    monkeypatch.chdir(folder.parent)
    planet = folder / "20240103_144659_03_2262_3B_AnalyticMS_SR.tif"
    planet.write_bytes(b"")
    sources = resolve_scenes(["scenes/20240103_144659_03_2262_3B_AnalyticMS_SR.tif", folder])
    given = sources.paths[0]
    table = folder.parent / "fechas.csv"
    table.write_text(
        f"scene,date\n20240103_144659_03_2262,2024-01-03\n{folder}/a_3B_AnalyticMS_SR.tif,2024-01-05\n"
    )
    dates = sources.dates_with(read_date_table(table))
    assert dates[given] == datetime(2024, 1, 3, tzinfo=UTC)
    assert dates[str(folder / "a_3B_AnalyticMS_SR.tif")] == datetime(2024, 1, 5, tzinfo=UTC)
    assert not [n for n in sources.notes if "name no scene given" in n]
    table.write_text(
        "scene,date\nscenes/b_3B_AnalyticMS_SR.tif,2024-02-03\nb_3B_AnalyticMS_SR.tif,2024-01-03\n"
    )
    with pytest.raises(InputError, match=r"both name scene .* and give it two dates"):
        resolve_scenes([folder]).dates_with(read_date_table(table))


def test_a_glob_through_a_folder_whose_name_has_brackets(tmp_path: Path) -> None:
    """'Nanay [2024]/*.tif': the brackets were a character class and nothing matched."""
    folder = tmp_path / "Nanay [2024]"
    folder.mkdir()
    (folder / "a_3B_AnalyticMS_SR.tif").write_bytes(b"")
    assert names(resolve_scenes([f"{folder}/*.tif"]).paths) == ["a_3B_AnalyticMS_SR.tif"]
    with pytest.raises(InputError, match="the pattern matches no scene"):
        resolve_scenes([f"{folder}/*.jp3"])


def test_a_glob_in_a_list_is_expanded(folder: Path) -> None:
    """A list line 'scenes/*_SR.tif' was taken for a file's name: 'file not found'. It is
    now expanded (UDM masks left out, as for a glob given on the command line), relative to
    the list; one that matches nothing is one line naming the list and the pattern."""
    listing = folder.parent / "scenes.txt"
    listing.write_text("scenes/*.tif\nhttps://example.org/c.tif\n")
    assert names(resolve_scenes([listing]).paths) == [
        "a_3B_AnalyticMS_SR.tif",
        "b_3B_AnalyticMS_SR.tif",
        "c.tif",
    ]
    listing.write_text("scenes/2025*.tif\n")
    with pytest.raises(InputError, match=r"the pattern .*2025\*\.tif matches no scene"):
        resolve_scenes([listing])


def test_a_question_mark_in_a_local_path_is_part_of_the_name() -> None:
    """'?' starts a URL's query, but in a local path it is a character of a name: scenes of a
    folder 'Nanay?2024' were named '0_qd_Nanay'-like stubs, and a file 'Santiago? 2024-01-25
    T14:52:04Z.tif' lost the date in its name."""
    planet = "/d/Nanay?2024/20240105_145000_00_2400_3B_AnalyticMS_SR.tif"
    dated = "/d/Santiago? 2024-01-25T14:52:04Z.tif"
    assert scene_labels([planet, dated]) == {
        planet: "20240105_145000_00_2400_3B_AnalyticMS_SR.tif",
        dated: "Santiago? 2024-01-25T14:52:04Z.tif",
    }
    url = "https://x.org/items/a/analytic.tif?sig=1"
    assert scene_labels([url]) == {url: "analytic.tif"}


def test_scenes_named_alike_but_for_their_suffix_are_one_line(tmp_path: Path) -> None:
    """nanay.tif and nanay.tiff (or .TIF) are one scene to the tables: `dredge tiles` wrote 9
    chips of one over the other's, `dredge run` lost a date seen, without a word."""
    a, b = tmp_path / "nanay.tif", tmp_path / "nanay.tiff"
    a.write_bytes(b"")
    b.write_bytes(b"")
    with pytest.raises(DredgeError, match="two scenes named alike but for their suffix"):
        resolve_scenes([tmp_path])
    b.rename(tmp_path / "itaya.tiff")
    assert names(resolve_scenes([tmp_path]).paths) == ["itaya.tiff", "nanay.tif"]
    # the same with a name composed beside one decomposed (a Mac's copy): they were two
    # labels but one scene to the tables, and no line said so
    composed = tmp_path / unicodedata.normalize("NFC", "río ñ.tif")
    decomposed = tmp_path / unicodedata.normalize("NFD", "río ñ.TIF")
    composed.write_bytes(b"")
    decomposed.write_bytes(b"")
    with pytest.raises(DredgeError, match="two scenes named alike but for their suffix"):
        resolve_scenes([composed, decomposed])


def test_an_item_of_one_band_per_asset_is_named_not_taken_for_a_scene(tmp_path: Path) -> None:
    """A Landsat or Sentinel-2 item (assets blue, green, red, nir08: one band each) gave its
    first band for the scene, which failed as a one-band file of unknown layout, with no word
    of why. It is skipped with a note; a file of such items alone is one line."""
    cog = "image/tiff; application=geotiff; profile=cloud-optimized"
    banded = stac_item("LC09_L2SP_007063_20240315", "2024-03-15T15:00:00Z", "")
    banded["assets"] = {
        band: {"href": str(tmp_path / f"{band}.tif"), "type": cog, "roles": ["data"],
               "eo:bands": [{"name": band}]}
        for band in ("blue", "green", "red", "nir08")
    }  # fmt: skip
    whole = stac_item("s1", "2024-03-05T14:30:00Z", str(tmp_path / "s1_SR.tif"))
    path = tmp_path / "search.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [banded, whole]}))
    sources = resolve_scenes([path])
    assert sources.paths == [str(tmp_path / "s1_SR.tif")]
    (note,) = sources.notes
    assert "1 STAC item holds each band as its own asset, e.g. LC09_L2SP_007063_20240315" in note
    assert "gdalbuildvrt -separate" in note
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [banded]}))
    with pytest.raises(DredgeError, match="every STAC item holds each band as its own asset"):
        resolve_scenes([path])


def test_a_vector_file_given_as_scenes_is_named(tmp_path: Path) -> None:
    """`dredge run rios.shp --rivers …` (the rivers among SCENES): each vector file was a failed
    scene, "is not a readable raster … the file may be truncated or corrupt; download or
    export it again", after the model was loaded, and the run wrote its empty tables."""
    for name in ("rios.shp", "rios.gpkg", "dragas.kml", "detections.parquet"):
        path = tmp_path / name
        path.write_bytes(b"")
        with pytest.raises(InputError, match=r"is a vector file .*, not a scene — give scenes"):
            resolve_scenes([path])


def test_two_signed_links_to_one_scene_are_one_scene(tmp_path: Path) -> None:
    """A list of signed links given again with fresh tokens (or two lists of one order): the
    same file was two scenes, each detected, named '0_https:_…' and '1_https:_…', and the
    copies note showed the token ('…_SR.tif?token=b'). A query that may choose the file
    (a download endpoint, `…/download?id=…`) still tells links apart."""
    planet = "20240101_145902_28_241d_3B_AnalyticMS_SR.tif"
    url = f"https://storage.example/order/{planet}"
    other = "https://storage.example/order/20240102_145902_28_241d_3B_AnalyticMS_SR.tif?token=c"
    listing = tmp_path / "links.txt"
    listing.write_text(
        f"{url}?token=a\n{other}\n{url}?token=b\n"
        "https://api.example/download?id=1\nhttps://api.example/download?id=2\n"
    )
    sources = resolve_scenes([listing])
    assert sources.paths == [
        f"{url}?token=a",
        other,
        "https://api.example/download?id=1",
        "https://api.example/download?id=2",
    ]
    assert scene_labels(sources.paths)[f"{url}?token=a"] == planet
    assert not sources.notes
    copy = f"https://mirror.example/{planet}?X-Amz-Credential=AKIA%2F2024%2Faws4_request"
    (note,) = resolve_scenes([f"{url}?token=a", copy]).notes
    assert f"(e.g. {planet} and {planet})" in note and "?" not in note


@pytest.mark.parametrize("name", ["search.json", "items.geojson", "links.txt"])
def test_a_stac_file_or_list_given_by_url_is_one_line_before_any_work(name: str) -> None:
    """It was opened as a scene after the model loaded, and failed as 'could not be read over
    the network (… not recognized as being in a supported file format) — check the network
    and the URL'."""
    url = f"https://catalog.example/nanay/{name}?token=a"
    with pytest.raises(InputError) as caught:
        resolve_scenes([url])
    message = str(caught.value)
    assert message.startswith(f"{url}: is a ") and "given by URL" in message
    assert f"curl -o {name} '{url}'" in message and "\n" not in message


def test_a_dates_row_typed_in_another_unicode_form_finds_its_scene(folder: Path) -> None:
    """A scene copied from a Mac keeps its name decomposed (`n` + a combining tilde), a
    `--dates` row typed in Excel is composed: the row named no scene given, its date was
    left out (the scene dated by its TIFF tag, or failing), and the note showed two names
    that look alike."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "escena ñ río 01.tif")
    (folder / decomposed).write_bytes(b"")
    table_path = folder.parent / "fechas.csv"
    composed = unicodedata.normalize("NFC", "escena ñ río 01.tif")
    table_path.write_text(f"escena,fecha\n{composed},2025-02-14\n", encoding="utf-8")
    sources = resolve_scenes([folder / decomposed])
    dates = sources.dates_with(read_date_table(table_path))
    assert dates == {str(folder / decomposed): datetime(2025, 2, 14, tzinfo=UTC)}
    assert sources.notes == []
    typed_on_a_mac = {unicodedata.normalize("NFD", "escena ñ río 02"): datetime(2024, 1, 2)}
    assert date_for_scene(typed_on_a_mac, "/s/escena ñ río 02.tif") == datetime(2024, 1, 2)


def test_two_files_named_alike_but_for_their_unicode_form_are_two_scenes(folder: Path) -> None:
    """Two scene files in one Linux folder whose names differ only in Unicode form
    (`escena ñ.tif` composed, and decomposed as copied from a Mac) had two labels but one
    `scene_key`: the tracker took them for one scene, their detections and dates mixed.
    Their labels differ composed too, as a file's copies in two folders are; one file named
    in either form keeps its own name."""
    import unicodedata

    from detector.observed import scene_key

    composed = str(folder / unicodedata.normalize("NFC", "escena ñ.tif"))
    decomposed = str(folder / unicodedata.normalize("NFD", "escena ñ.tif"))
    labels = scene_labels([composed, decomposed])
    assert len({scene_key(label) for label in labels.values()}) == 2, labels
    assert scene_labels([decomposed]) == {decomposed: Path(decomposed).name}
    labels = scene_labels([composed, decomposed], taken={composed: Path(composed).name})
    assert labels[composed] == Path(composed).name
    assert scene_key(labels[decomposed]) != scene_key(composed), labels


def test_stac_links_without_a_file_name_are_named_by_their_items(tmp_path: Path) -> None:
    """Planet's Data API links name no file (`…/download?token=…`): their scenes were named by
    the links' folders (`…_v1_download`, `0_https:_…`). Each is named by its item's id, told
    apart as file names are where two share one; links ending in a file name keep their
    names, and names given before (a resumed run's manifest) are kept."""
    api = "https://api.planet.com/data/v1"
    features = [
        stac_item("20240620_145051_22_2480", "2024-06-20T14:50:51Z", f"{api}/download?token=a"),
        stac_item("20240621_145051_22_2480", "2024-06-21T14:50:51Z", f"{api}/download?token=b"),
        stac_item("20240621_145051_22_2480", "2024-06-21T14:50:51Z", f"{api}/x/download?token=c"),
        stac_item("20240622_1", "2024-06-22T15:00:00Z", f"{api}/assets/abc/download"),
        stac_item("s9", "2024-06-23T15:00:00Z", "https://example.org/s9/s9_SR.tif?token=d"),
    ]
    path = tmp_path / "search.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    sources = resolve_scenes([path])
    assert list(scene_labels(sources.paths).values()) == [
        "20240620_145051_22_2480",
        "v1_20240621_145051_22_2480",  # one item id twice: its folders tell them apart
        "x_20240621_145051_22_2480",
        "20240622_1",
        "s9_SR.tif",
    ]
    earlier = {sources.paths[0]: "v1_download"}  # named so by a run before this version
    assert scene_labels(sources.paths, taken=earlier)[sources.paths[0]] == "v1_download"
    assert sources.dates[sources.paths[3]] == datetime(2024, 6, 22, 15, tzinfo=UTC)


def test_a_link_named_by_stac_in_one_run_is_not_so_named_in_a_later_run_without_it(
    tmp_path: Path,
) -> None:
    """ITEM_NAMES outlived the run that read the STAC: in a notebook, a later run given the
    same link without STAC named its scene by the earlier run's item."""
    import json

    link = "https://api.planet.com/data/v1/assets/leak/download"
    item = {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": "20240620_145051_22_2480",
        "geometry": None,
        "properties": {"datetime": "2024-06-20T14:50:51Z"},
        "links": [],
        "assets": {"analytic": {"href": link, "type": "image/tiff", "roles": ["data"]}},
    }
    (tmp_path / "search.json").write_text(json.dumps(item))
    resolve_scenes([tmp_path / "search.json"])
    assert scene_labels(resolve_scenes([link]).paths) == {link: "download"}


def test_a_scene_name_not_in_utf8_is_one_line_before_any_work(tmp_path: Path) -> None:
    """`escena ñ.tif` unzipped from a Windows archive: its ñ is one byte, 0xF1. The run
    stopped at that scene with "'utf-8' codec can't encode character '\\udcf1' …", naming no
    file and leaving the other scenes undone."""
    folder = tmp_path / "sc"
    folder.mkdir()
    (folder / "20240101_a.tif").write_bytes(b"")
    (folder / os.fsdecode(b"escena \xf1.tif")).write_bytes(b"")
    with pytest.raises(InputError) as caught:
        resolve_scenes([folder])
    message = str(caught.value)
    assert message.startswith(f"{folder}/escena \\xf1.tif: its name is not valid UTF-8")
    assert "'" + str(folder) + "/escena ñ.tif' in the Windows code page" in message
    assert "convmv -f cp1252 -t utf8" in message
    message.encode("utf-8")  # printable: no lone surrogate left in the line


def test_a_stac_datetime_of_midnight_utc_is_a_day_and_the_scene_keeps_its_own_time(
    tmp_path: Path,
) -> None:
    """STAC's `datetime` must hold a time, so a catalogue that knows only the day writes
    `T00:00:00Z`: a scene whose name says 14:50 that day was put at midnight (another pass than
    its neighbours of the strip), as a `--dates` day was before it kept the scene's own time."""
    planet = write_scene(tmp_path / "20230715_145012_56_2455_3B_AnalyticMS_SR.tif", **SMALL)
    plain = write_scene(tmp_path / "clip.tif", **SMALL)  # no time of its own
    timed = write_scene(tmp_path / "20230716_145012_56_2455_3B_AnalyticMS_SR.tif", **SMALL)
    items = [
        stac_item("a", "2023-07-15T00:00:00Z", str(planet.path)),
        stac_item("b", "2023-07-15T00:00:00Z", str(plain.path)),
        stac_item("c", "2023-07-16T09:50:12-05:00", str(timed.path)),
    ]
    path = tmp_path / "search.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    dates = resolve_scenes([path]).dates
    expected = {
        planet.path: datetime(2023, 7, 15, 14, 50, 12, tzinfo=UTC),  # its own time that day
        plain.path: datetime(2023, 7, 15, tzinfo=UTC),  # midnight, as before
        timed.path: datetime(2023, 7, 16, 14, 50, 12, tzinfo=UTC),  # a time: as given
    }
    for scene, when in expected.items():
        with open_scene(scene, date=dates[str(scene)]) as opened:
            assert opened.acquired == when, scene
            assert opened.date_caveat is None, scene


@pytest.mark.parametrize("kind", ["item", "catalog"])
def test_a_stac_item_or_catalog_saved_by_windows_notepad_is_read(tmp_path: Path, kind: str) -> None:
    """A STAC Item, or a Catalog and its item, saved with a byte-order mark and CRLF (Windows
    Notepad) was "is not valid STAC (Unexpected UTF-8 BOM (decode using utf-8-sig) …)", where
    an ItemCollection so saved was read; pystac read those files itself."""

    def save(path: Path, document: dict[str, object]) -> None:
        path.write_bytes(b"\xef\xbb\xbf" + json.dumps(document, indent=1).encode() + b"\r\n")

    (tmp_path / "s1").mkdir()
    item = stac_item("s1", "2024-03-05T14:30:00Z", "./s1_SR.tif")
    save(tmp_path / "s1" / "s1.json", item)
    catalog = {"type": "Catalog", "stac_version": "1.0.0", "id": "mine", "description": "d",
               "links": [{"rel": "item", "href": "./s1/s1.json"}]}  # fmt: skip
    save(tmp_path / "catalog.json", catalog)
    given = tmp_path / ("catalog.json" if kind == "catalog" else "s1/s1.json")
    sources = resolve_scenes([given])
    assert [Path(path).resolve() for path in sources.paths] == [tmp_path / "s1" / "s1_SR.tif"]
    assert list(sources.dates.values()) == [datetime(2024, 3, 5, 14, 30, tzinfo=UTC)]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_list_saved_as_utf16_is_read(folder: Path, encoding: str) -> None:
    """A list saved as UTF-16 with its byte-order mark (Excel's 'Unicode text', PowerShell 5's
    `dir -Name > scenes.txt`) was read as cp1252, and its NULs stopped `dredge run` with
    "error: embedded null byte", naming no file."""
    listing = folder.parent / "scenes.txt"
    text = "\ufeffscenes/a_3B_AnalyticMS_SR.tif\r\nscenes/b_3B_AnalyticMS_SR.tif\r\n"
    listing.write_bytes(text.encode(encoding))
    assert resolve_scenes([listing]).paths == [
        str(folder / "a_3B_AnalyticMS_SR.tif"),
        str(folder / "b_3B_AnalyticMS_SR.tif"),
    ]


@pytest.mark.parametrize("kind", ["collection", "item", "catalog"])
def test_stac_json_saved_as_utf16_is_read(tmp_path: Path, kind: str) -> None:
    """A STAC search saved by PowerShell 5 (`Invoke-RestMethod … | ConvertTo-Json > search.json`
    writes UTF-16 with its byte-order mark), or an Item or Catalog saved as Excel's or
    Notepad's 'Unicode': it was one line, "is not JSON ('utf-8' codec can't decode byte 0xff
    in position 0 …)", where a scene list so saved is read."""

    def save(path: Path, document: dict[str, object]) -> None:
        path.write_bytes(("\ufeff" + json.dumps(document, indent=1) + "\r\n").encode("utf-16-le"))

    (tmp_path / "s1").mkdir()
    item = stac_item("s1", "2024-03-05T14:30:00Z", "./s1_SR.tif")
    save(tmp_path / "s1" / "s1.json", item)
    catalog = {"type": "Catalog", "stac_version": "1.0.0", "id": "mine", "description": "d",
               "links": [{"rel": "item", "href": "./s1/s1.json"}]}  # fmt: skip
    save(tmp_path / "catalog.json", catalog)
    found = stac_item("s1", "2024-03-05T14:30:00Z", str(tmp_path / "s1" / "s1_SR.tif"))
    search = {"type": "FeatureCollection", "features": [found]}
    save(tmp_path / "search.json", search)
    given = {"collection": "search.json", "item": "s1/s1.json", "catalog": "catalog.json"}[kind]
    sources = resolve_scenes([tmp_path / given])
    assert [Path(path).resolve() for path in sources.paths] == [tmp_path / "s1" / "s1_SR.tif"]
    assert list(sources.dates.values()) == [datetime(2024, 3, 5, 14, 30, tzinfo=UTC)]
