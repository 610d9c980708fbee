"""SCENES for ``dredge run``: folders, globs and text lists."""

from __future__ import annotations

import json
import os
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from detector.acquisition import scene_labels
from detector.chips import no_scenes_message
from detector.date_tables import date_for_scene, read_date_table
from detector.errors import DredgeError, InputError
from detector.scene_sources import resolve_scenes
from tests.scene_source_fixtures import stac_item


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


def test_empty_list_is_an_error(tmp_path: Path) -> None:
    listing = tmp_path / "scenes.txt"
    listing.write_text("# nothing yet\n")
    with pytest.raises(InputError, match="lists no scene"):
        resolve_scenes([listing])


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
    was filed under the item's spelling); a null datetime takes start_datetime (of an item
    of one day: test_scene_sources_stac)."""
    monkeypatch.chdir(folder.parent)
    item = stac_item("a", "2024-07-15T10:00:00Z", str(folder / "a_3B_AnalyticMS_SR.tif"))
    path = folder.parent / "item.json"
    path.write_text(json.dumps(item))
    sources = resolve_scenes(["scenes/a_3B_AnalyticMS_SR.tif", path])
    assert sources.paths == ["scenes/a_3B_AnalyticMS_SR.tif"]
    assert sources.dates == {"scenes/a_3B_AnalyticMS_SR.tif": datetime(2024, 7, 15, 10, tzinfo=UTC)}
    span = dict(item, properties={"datetime": None, "start_datetime": "2024-01-01T14:00:00Z",
                                  "end_datetime": "2024-01-01T14:00:09Z"})  # fmt: skip
    path.write_text(json.dumps(span))
    assert list(resolve_scenes([path]).dates.values()) == [datetime(2024, 1, 1, 14, tzinfo=UTC)]


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


def test_a_vector_file_given_as_scenes_is_named(tmp_path: Path) -> None:
    """`dredge run rios.shp --rivers …` (the rivers among SCENES): each vector file was a failed
    scene, "is not a readable raster … the file may be truncated or corrupt; download or
    export it again", after the model was loaded, and the run wrote its empty tables."""
    for name in ("rios.shp", "rios.gpkg", "dragas.kml", "detections.parquet"):
        path = tmp_path / name
        path.write_bytes(b"")
        with pytest.raises(InputError, match=r"is a vector file .*, not a scene — give scenes"):
            resolve_scenes([path])


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
