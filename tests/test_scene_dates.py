"""Scene reader, acquisition time: metadata files beside a scene, its TIFF tags, dates given
(--date, --dates), and the times no satellite took."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import rasterio

from detector.acquisition import (
    own_time_read,
    time_from_name,
    to_utc,
)
from detector.date_tables import date_for_scene, read_date_table
from detector.errors import InputError
from detector.scene import open_scene
from tests.geo_fixtures import write_planet_metadata, write_scene

PLANET_ID = "20230715_145012_56_2455"
PLANET_NAME = f"{PLANET_ID}_3B_AnalyticMS_SR.tif"
SMALL: dict[str, Any] = {"width": 40, "height": 40}


# --- acquisition time ----------------------------------------------------------------------------


def test_planet_file_name_gives_utc_time(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / PLANET_NAME, **SMALL)
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2023, 7, 15, 14, 50, 12, tzinfo=UTC)
        assert opened.acquisition.source == "planet-name"
        assert opened.acquired.utcoffset() is not None


def test_metadata_json_comes_before_the_file_name(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / PLANET_NAME, **SMALL)
    write_planet_metadata(scene, "2023-07-15T14:50:12.561234Z", PLANET_ID)
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2023, 7, 15, 14, 50, 12, 561234, tzinfo=UTC)
        assert opened.acquisition.source == "metadata.json"


def test_a_day_given_without_a_time_keeps_the_scenes_own_time_that_day(tmp_path: Path) -> None:
    """A --dates row `2024-06-20` (or --date) put a Planet scene of 14:50 at midnight: beside
    its neighbour of the same strip dated by its name it was another pass, and the dredges in
    their overlap counted twice (6 detections for 4 on two crops of a demo scene)."""
    from detector.cli.common import date_option
    from detector.observed import scene_time

    scene = write_scene(tmp_path / PLANET_NAME, **SMALL)
    plain = write_scene(tmp_path / "export.tif", **SMALL)
    table_path = tmp_path / "dates.csv"
    table_path.write_text(f"scene,date\n{PLANET_NAME},2023-07-15\nexport.tif,15/07/2023\n")
    table = read_date_table(table_path)
    own = datetime(2023, 7, 15, 14, 50, 12, tzinfo=UTC)
    for given in (date_for_scene(table, scene.path), date_option("2023-07-15"), "2023-07-15"):
        with open_scene(scene.path, date=given) as opened:
            assert opened.acquired == own
            assert opened.acquisition.source == "explicit"
        with rasterio.open(scene.path) as src:
            assert scene_time(scene.path, src, {PLANET_NAME: given}) == own
    with rasterio.open(scene.path) as src:
        assert scene_time(scene.path, src, table) == own
    with open_scene(plain.path, date=date_for_scene(table, plain.path)) as opened:  # no own time
        assert opened.acquired == datetime(2023, 7, 15, tzinfo=UTC)
    with rasterio.open(plain.path) as src:
        assert scene_time(plain.path, src, table) == datetime(2023, 7, 15, tzinfo=UTC)
    for written in ("2023-07-15T00:00:00Z", "2023-07-15 00:00"):  # a time written is a time
        table_path.write_text(f"scene,date\n{PLANET_NAME},{written}\n")
        with open_scene(
            scene.path, date=date_for_scene(read_date_table(table_path), scene.path)
        ) as opened:
            assert opened.acquired == datetime(2023, 7, 15, tzinfo=UTC)
    with open_scene(scene.path, date="2023-07-16") as opened:  # another day: the day given
        assert opened.acquired == datetime(2023, 7, 16, tzinfo=UTC)
        assert opened.date_caveat is not None


def test_planet_xml_metadata(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "scene_a.tif", **SMALL)
    (tmp_path / "scene_a_metadata.xml").write_text(
        '<ps:EarthObservation xmlns:ps="http://schemas.planet.com/ps/v1/planet_product_metadata"'
        ' xmlns:eop="http://earth.esa.int/eop"><eop:acquisitionDate>2022-03-04T15:01:02-05:00'
        "</eop:acquisitionDate></ps:EarthObservation>"
    )
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2022, 3, 4, 20, 1, 2, tzinfo=UTC)
        assert opened.acquisition.source == "metadata.xml"


@pytest.mark.parametrize("sidecar", ["XML", "IMD"])
def test_maxar_tile_finds_its_products_metadata(tmp_path: Path, sidecar: str) -> None:
    """A tile (…_P001_R1C1.TIF) and its product's …_P001.XML / .IMD in upper case were not
    found: 'acquisition date unknown'."""
    scene = write_scene(tmp_path / "ORDER_01_P001_R1C1.TIF", **SMALL)
    text = (
        "<isd><IMD><IMAGE><FIRSTLINETIME>2023-09-14T15:20:13.123456Z</FIRSTLINETIME></IMAGE>"
        "</IMD></isd>"
        if sidecar == "XML"
        else "BEGIN_GROUP = IMAGE_1\n\tfirstLineTime = 2023-09-14T15:20:13.123456Z;\nEND_GROUP\n"
    )
    (tmp_path / f"ORDER_01_P001.{sidecar}").write_text(text)
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2023, 9, 14, 15, 20, 13, 123456, tzinfo=UTC)
        assert opened.acquisition.source == f"metadata.{sidecar.lower()}"


@pytest.mark.parametrize("sidecar", ["XML", "IMD"])
def test_a_maxar_mosaics_earliest_acquisition_time_dates_it(tmp_path: Path, sidecar: str) -> None:
    """A Maxar product's XML with EARLIESTACQTIME and no FIRSTLINETIME (a mosaic's) dated
    nothing, where its IMD of the same (earliestAcqTime) dated the scene."""
    scene = write_scene(tmp_path / "ORDER_01_P001.TIF", **SMALL)
    text = (
        "<isd><IMD><MAP_PROJECTED_PRODUCT><EARLIESTACQTIME>2023-09-14T15:20:13Z</EARLIESTACQTIME>"
        "<LATESTACQTIME>2023-09-14T15:21:40Z</LATESTACQTIME></MAP_PROJECTED_PRODUCT></IMD></isd>"
        if sidecar == "XML"
        else "BEGIN_GROUP = MAP_PROJECTED_PRODUCT\n\tearliestAcqTime = 2023-09-14T15:20:13Z;\n"
        "\tlatestAcqTime = 2023-09-14T15:21:40Z;\nEND_GROUP = MAP_PROJECTED_PRODUCT\n"
    )
    (tmp_path / f"ORDER_01_P001.{sidecar}").write_text(text)
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2023, 9, 14, 15, 20, 13, tzinfo=UTC)
        assert opened.acquisition.source == f"metadata.{sidecar.lower()}"


WINDOWS_SIDECARS = [  # suffix, text, encoding: as Notepad and PowerShell 5 save them
    ("_metadata.json", '{"properties": {"acquired": "2023-09-14T15:20:13Z"}}', "utf-8-sig"),
    ("_metadata.json", '{"properties": {"acquired": "2023-09-14T15:20:13Z"}}', "utf-16"),
    (".IMD", "BEGIN_GROUP = IMAGE_1\n\tfirstLineTime = 2023-09-14T15:20:13Z;\n", "utf-16"),
    (".xml", "<m><site>Peña</site><acquired>2023-09-14T15:20:13Z</acquired></m>", "cp1252"),
]


@pytest.mark.parametrize(("suffix", "text", "encoding"), WINDOWS_SIDECARS)
def test_a_sidecar_saved_by_a_windows_tool_dates_the_scene(
    tmp_path: Path, suffix: str, text: str, encoding: str
) -> None:
    """A metadata.json with a byte-order mark (Notepad) or in UTF-16 (PowerShell 5's
    ``ConvertTo-Json >``), an IMD in UTF-16, an XML in Windows-1252 without a declaration: each
    dated nothing, without a word ('acquisition date unknown', or the name's or tags' date)."""
    scene = write_scene(tmp_path / "nanay_export.tif", **SMALL)
    (tmp_path / f"nanay_export{suffix}").write_bytes(text.encode(encoding))
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2023, 9, 14, 15, 20, 13, tzinfo=UTC)
        assert opened.acquisition.source.startswith("metadata.")


@pytest.mark.parametrize("typed", ["20230715", "2023-W28-6"])
def test_a_day_given_in_iso_basic_or_week_form_keeps_the_scenes_own_time(
    tmp_path: Path, typed: str
) -> None:
    """`--date 20230715` (ISO 8601's basic form) or `2023-W28-6` (its week date: Saturday of
    week 28) is a day alone, as `2023-07-15` is: the Planet scene of 14:50 was put at midnight,
    another pass than its neighbours of the strip (their dredges counted twice), with a
    caveat that the time given had no zone."""
    from detector.cli.common import date_option

    scene = write_scene(tmp_path / PLANET_NAME, **SMALL)
    for given in (date_option(typed), typed):
        with open_scene(scene.path, date=given) as opened:
            assert opened.acquired == datetime(2023, 7, 15, 14, 50, 12, tzinfo=UTC)
            assert opened.date_caveat is None


@pytest.mark.parametrize(
    ("tag", "acquired"),
    [
        ("2024:12:31 22:00:00-05:00", datetime(2025, 1, 1, 3, tzinfo=UTC)),
        ("2024:12:31 22:00:00.5+0530", datetime(2024, 12, 31, 16, 30, 0, 500000, tzinfo=UTC)),
        ("2024:12:31 22:00:00", datetime(2024, 12, 31, 22, tzinfo=UTC)),  # as before: UTC
    ],
)
def test_a_tiff_date_with_a_fraction_or_a_zone_is_read(
    tmp_path: Path, tag: str, acquired: datetime
) -> None:
    """TIFFTAG_DATETIME in the TIFF form followed by a fraction of a second or a zone (as
    EXIF writers add them) was no date: "acquisition date unknown"."""
    scene = write_scene(tmp_path / "export.tif", tags={"TIFFTAG_DATETIME": tag}, **SMALL)
    with open_scene(scene.path) as opened:
        assert opened.acquired == acquired
        assert opened.acquisition.source == "tiff-tag"


def _with_acquisition_tag(path: Path, when: str) -> str:
    """``path`` with an IMAGERY ``ACQUISITIONDATETIME`` tag ``when`` added (as GDAL writes a
    DigitalGlobe / Maxar product's)."""
    with rasterio.open(path, "r+") as dataset:
        dataset.update_tags(ns="IMAGERY", ACQUISITIONDATETIME=when)
    return str(path)


@pytest.mark.parametrize(
    "name",
    [
        "grid_2012_05_07.tif",
        "nanay_20240315.tif",
        "nanay_2024_03_15.tif",
        "order_20001231_P001.tif",
    ],
)
def test_a_day_alone_in_a_name_yields_to_the_acquisition_tag(tmp_path: Path, name: str) -> None:
    """A day alone in a name (`day-name`: a grid's or an order's numbers may read as one) was
    read before the tags and dated the scene ahead of its own ACQUISITIONDATETIME (here
    2024-06-20 14:50:51: it was 2012-05-07, 2024-03-15, 2000-12-31), also for a finished
    scene's check in a run (own_time_read), and with --date of the tag's day it warned that the
    file name said another day. It still comes before a TIFFTAG_DATETIME (a write time)."""
    tags = {"TIFFTAG_DATETIME": "2024:11:02 16:20:00"}
    path = _with_acquisition_tag(
        write_scene(tmp_path / name, tags=tags, **SMALL).path, "2024-06-20T14:50:51Z"
    )
    tagged = datetime(2024, 6, 20, 14, 50, 51, tzinfo=UTC)
    with open_scene(path) as opened:
        assert (opened.acquired, opened.acquisition.source) == (tagged, "imagery-tag")
    assert own_time_read(path) == tagged
    with open_scene(path, date="2024-06-20") as opened:
        assert opened.date_caveat is None
    untagged = write_scene(tmp_path / "other" / name, tags=tags, **SMALL).path
    with open_scene(untagged) as opened:
        assert opened.acquisition.source == "day-name"
        assert opened.acquired == time_from_name(name).time  # type: ignore[union-attr]
        assert opened.date_caveat is None


@pytest.mark.parametrize("name", ["tile_2012_05_07.tif", "tile_2048_10_12.tif", "L15-0123E.tif"])
def test_a_day_alone_that_yields_to_the_tag_in_a_mosaics_folder_leaves_the_folders_date(
    tmp_path: Path, name: str
) -> None:
    """A day alone in a name yields to an ACQUISITIONDATETIME tag: the date then is the next
    one the name gives, the mosaic's folder (2023-06-01), as for a day after today and a tile
    with no day at all. It skipped the folder for the tag: grid numbers that happen to read as
    a day dated a tile of the 2023-06 mosaic 2024-06-20, its neighbour 2023-06-01."""
    folder = tmp_path / "planet_medres_normalized_analytic_2023-06_mosaic"
    path = _with_acquisition_tag(write_scene(folder / name, **SMALL).path, "2024-06-20T14:50:51Z")
    first = datetime(2023, 6, 1, tzinfo=UTC)
    with open_scene(path) as opened:
        assert (opened.acquired, opened.acquisition.source) == (first, "nicfi-name")
    assert own_time_read(path) == first
    with open_scene(path, date="2024-06-20") as opened:
        assert opened.date_caveat is None


@pytest.mark.parametrize(
    ("name", "tags", "date", "where"),
    [
        ("nanay_2204-03-15.tif", None, None, "its file name"),
        ("nanay.tif", {"TIFFTAG_DATETIME": "2204:03:15 14:50:00"}, None, "its TIFFTAG_DATETIME"),
        (PLANET_NAME, None, "2204-03-15", "the date given"),
        # the day given is the name's: the scene keeps the name's time, and was not checked
        ("nanay_2204-03-15.tif", None, "2204-03-15", "the date given"),
    ],
)
def test_a_date_after_today_is_one_line(
    tmp_path: Path, name: str, tags: dict[str, str] | None, date: str | None, where: str
) -> None:
    """A typo of the year (2204 for 2024) in a name, a tag or --date dated the scene so without
    a word: its dredges counted in a year 2204 of their own."""
    scene = write_scene(tmp_path / name, tags=tags, **SMALL)
    with pytest.raises(InputError, match=f"{where} dates it 2204-03-15, after today"):
        open_scene(scene.path, date=date)


@pytest.mark.parametrize("date", ["0001-01-01", "1965-01-01T14:50:00Z"])
def test_a_date_given_before_the_first_satellite_image_is_one_line(
    tmp_path: Path, date: str
) -> None:
    """A date given (a library caller's, a STAC item's) before Landsat 1's first image dated
    the scene so without a word: its dredges counted in a year 1 of their own."""
    scene = write_scene(tmp_path / PLANET_NAME, **SMALL)
    day = date[:10]
    with pytest.raises(InputError, match=f"the date given dates it {day}, before the first"):
        open_scene(scene.path, date=date)


def test_explicit_date_wins_and_unknown_date_is_explained(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / PLANET_NAME, **SMALL)
    with open_scene(scene.path, date="2020-01-02") as opened:
        assert opened.acquired == datetime(2020, 1, 2, tzinfo=UTC)
        assert opened.acquisition.source == "explicit"
    plain = write_scene(tmp_path / "export.tif", **SMALL)
    with open_scene(plain.path) as opened:
        assert opened.acquired is None
        with pytest.raises(InputError, match="--date"):
            opened.require_acquired()


def test_date_table(tmp_path: Path) -> None:
    table_path = tmp_path / "dates.csv"
    table_path.write_text("scene,date\nexport.tif,2021-05-06\nother,2021-05-07T10:00:00-05:00\n")
    table = read_date_table(table_path)
    assert date_for_scene(table, "/x/export.tif") == datetime(2021, 5, 6, tzinfo=UTC)
    assert date_for_scene(table, "other.tif") == datetime(2021, 5, 7, 15, tzinfo=UTC)
    assert date_for_scene(table, "missing.tif") is None
    (tmp_path / "bad.csv").write_text("file,when\na.tif,2021-01-01\n")
    with pytest.raises(InputError, match="needs columns scene and date"):
        read_date_table(tmp_path / "bad.csv")


def test_to_utc_accepts_tiff_and_iso_forms() -> None:
    assert to_utc("2021:11:02 16:20:00") == datetime(2021, 11, 2, 16, 20, tzinfo=UTC)
    assert to_utc("2021-11-02T11:20:00-05:00") == datetime(2021, 11, 2, 16, 20, tzinfo=UTC)
    with pytest.raises(ValueError):
        to_utc("yesterday")
