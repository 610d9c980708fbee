"""Scene reader, acquisition time read from file and folder names: Planet ids, Maxar products,
mosaics and basemaps, Sentinel-2 and Landsat, ISO dates and times with their zones."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from detector.acquisition import (
    Acquisition,
    mosaic_days,
    name_zone_in_doubt,
    time_from_name,
)
from detector.given_dates import given_time
from detector.scene import open_scene
from tests.geo_fixtures import write_scene

PLANET_ID = "20230715_145012_56_2455"
PLANET_NAME = f"{PLANET_ID}_3B_AnalyticMS_SR.tif"
SMALL: dict[str, Any] = {"width": 40, "height": 40}


@pytest.mark.parametrize(
    ("name", "acquired"),
    [
        (f"Nanay_{PLANET_NAME}", datetime(2023, 7, 15, 14, 50, 12, tzinfo=UTC)),
        (
            f"rio nanay - {PLANET_ID}_3B_Visual_clip.tif",
            datetime(2023, 7, 15, 14, 50, 12, tzinfo=UTC),
        ),
        # a time an export was made, a part number: no Planet id (no satellite's)
        ("nanay_clip_20241102_093015.tif", None),
        ("nanay_20241102_093015_0001.tif", None),
    ],
)
def test_a_planet_id_behind_a_prefix_gives_the_time(name: str, acquired: datetime | None) -> None:
    """A PlanetScope file renamed with the river before its id (`Nanay_20230715_145012_56_2455_
    3B_AnalyticMS_SR.tif`) was 'acquisition date unknown', or dated by its TIFFTAG_DATETIME."""
    found = time_from_name(f"/scenes/{name}")
    assert (found.time if found else None) == acquired
    assert found is None or found.source == "planet-name"


def test_maxar_product_name_gives_the_time() -> None:
    found = time_from_name("/o/17AUG31162013-P1BS-058316163010_01_P001_R1C1.TIF")
    assert found is not None and found.source == "maxar-name"
    assert found.time == datetime(2017, 8, 31, 16, 20, 13, tzinfo=UTC)
    assert time_from_name("/o/17ABC31162013-P1BS-0583.TIF") is None
    prefixed = "/o/WV03_20170831162013_104001003174A900_17AUG31162013-M2AS-0583_01_P001.tif"
    assert time_from_name(prefixed) == found  # the Polar Geospatial Center's names (was None)


def test_nicfi_mosaic_folder_name(tmp_path: Path) -> None:
    folder = tmp_path / "planet_medres_normalized_analytic_2023-07_mosaic"
    scene = write_scene(folder / "L15-0987E-1023N.tif", crs="EPSG:3857", gsd_m=4.77, **SMALL)
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2023, 7, 1, tzinfo=UTC)
        assert opened.acquisition.source == "nicfi-name"
        assert opened.sensor == "nicfi"


@pytest.mark.parametrize(
    ("mosaic", "first_day"),
    [
        ("planet_medres_normalized_analytic_2020-06_2020-08_mosaic", datetime(2020, 6, 1)),
        ("global_monthly_2024_01_mosaic", datetime(2024, 1, 1)),
        ("global_quarterly_2024q3_mosaic", datetime(2024, 7, 1)),
        ("ps_biweekly_sen2_normalized_analytic_subscription_2024-01-15_2024-01-29_mosaic",
         datetime(2024, 1, 15)),
    ],
)  # fmt: skip
def test_planet_basemap_names_give_the_first_day(mosaic: str, first_day: datetime) -> None:
    """Planet basemaps other than NICFI monthly (they were 'acquisition date unknown')."""
    found = time_from_name(f"/quads/{mosaic}/L15-0987E-1023N.tif")
    assert found is not None and found.time == first_day.replace(tzinfo=UTC)
    assert time_from_name(f"/quads/{mosaic}_L15-0987E-1023N.tif") == found  # in the file name
    assert time_from_name("/quads/global_monthly_2024_13_mosaic/q.tif") is None


def test_a_mosaic_name_is_read_from_the_nearest_folder_after_the_files_own_date() -> None:
    """A mosaic's name anywhere above the scene dated it, before the file's own date and from
    the outermost folder: a scene `nanay_2024-03-15.tif` under a project folder
    `nicfi_2023-06_mosaic_vs_planetscope` was dated 2023-06-01 (without a word: a mosaic's
    date has no caveat), and a quad of a June 2023 mosaic kept in a January 2024 one, January."""
    project = "/p/nicfi_2023-06_mosaic_vs_planetscope/escenas"
    found = time_from_name(f"{project}/nanay_2024-03-15.tif")
    assert found == Acquisition(datetime(2024, 3, 15, tzinfo=UTC), "iso-name")
    landsat = time_from_name(f"{project}/LC09_L2SP_007063_20240315_20240320_02_T1_SR.TIF")
    assert landsat == Acquisition(datetime(2024, 3, 15, tzinfo=UTC), "landsat-name")
    nested = "/x/global_monthly_2024_01_mosaic/ps_normalized_analytic_2023-06_mosaic/q.tif"
    assert time_from_name(nested) == Acquisition(datetime(2023, 6, 1, tzinfo=UTC), "nicfi-name")
    assert mosaic_days(nested) == (date(2023, 6, 1), date(2023, 6, 30))


def test_the_nearest_mosaic_folder_wins_whatever_its_kind() -> None:
    """Every folder was searched for a monthly mosaic's name before any for a quarterly one:
    a quad of a 2024 q1 mosaic folder kept inside a 2023-06 monthly folder was dated June 2023
    (and its days were June's), where the nearest folder is to win."""
    quarter_in_month = (
        "/x/ps_normalized_analytic_2023-06_mosaic/global_quarterly_2024q1_mosaic/q.tif"
    )
    found = time_from_name(quarter_in_month)
    assert found == Acquisition(datetime(2024, 1, 1, tzinfo=UTC), "nicfi-name")
    assert mosaic_days(quarter_in_month) == (date(2024, 1, 1), date(2024, 3, 31))
    month_in_quarter = (
        "/x/global_quarterly_2024q1_mosaic/ps_normalized_analytic_2023-06_mosaic/q.tif"
    )
    found = time_from_name(month_in_quarter)
    assert found == Acquisition(datetime(2023, 6, 1, tzinfo=UTC), "nicfi-name")
    assert mosaic_days(month_in_quarter) == (date(2023, 6, 1), date(2023, 6, 30))


def test_iso_date_in_name(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "nanay_maxar_2024-02-30_2024-03-09.tif", **SMALL)
    with open_scene(scene.path) as opened:  # 2024-02-30 is not a date: the next one is used
        assert opened.acquired == datetime(2024, 3, 9, tzinfo=UTC)
        assert opened.acquisition.source == "iso-name"


@pytest.mark.parametrize(
    ("name", "acquired"),
    [  # the zone after an ISO time in a name (a local time as Python's isoformat writes it)
        ("nanay_2024-12-31T22:00:00-05:00.tif", datetime(2025, 1, 1, 3, tzinfo=UTC)),
        ("nanay_2024-12-31T22:00:00.250-0500.tif", datetime(2025, 1, 1, 3, tzinfo=UTC)),
        ("nanay_2024-01-01T04:00:00+05:30.tif", datetime(2023, 12, 31, 22, 30, tzinfo=UTC)),
        ("nanay_2024-12-31T22:00:00Z.tif", datetime(2024, 12, 31, 22, tzinfo=UTC)),
        # a time without seconds (isoformat(timespec="minutes")), with its zone or without
        ("nanay_2024-12-31T22:00-05:00.tif", datetime(2025, 1, 1, 3, tzinfo=UTC)),
        ("nanay_2024-06-20_14:50.tif", datetime(2024, 6, 20, 14, 50, tzinfo=UTC)),
        ("nanay_2024-12-31_220000-0001.tif", datetime(2024, 12, 31, 22, tzinfo=UTC)),  # no zone
        # six digits after the day that are no time of day (an order number): the day alone
        ("nanay_2024-03-15_987654.tif", datetime(2024, 3, 15, tzinfo=UTC)),
        # a space before the zone (`date "+%F %T %z"`): the zone was dropped, 22:00 UTC
        ("nanay_2024-12-31 22:00:00 -05:00.tif", datetime(2025, 1, 1, 3, tzinfo=UTC)),
        ("nanay_2024-12-31 22:00:00 -0500.tif", datetime(2025, 1, 1, 3, tzinfo=UTC)),
        # after UTC or GMT (`UTC-05:00`): the zone was dropped, 22:00 UTC
        ("nanay_2024-12-31 22:00 UTC-05:00.tif", datetime(2025, 1, 1, 3, tzinfo=UTC)),
        ("nanay_2024-12-31 22:00 UTC.tif", datetime(2024, 12, 31, 22, tzinfo=UTC)),
        # named in lower or mixed case, as --date and --dates read it: the zone was dropped
        ("nanay_2024-12-31 22:00 utc-05:00.tif", datetime(2025, 1, 1, 3, tzinfo=UTC)),
        ("nanay_2024-12-31T22:00:00 Gmt-0500.tif", datetime(2025, 1, 1, 3, tzinfo=UTC)),
        ("nanay_2024-12-31_22:00 gmt-05.tif", datetime(2025, 1, 1, 3, tzinfo=UTC)),
    ],
)
def test_an_iso_time_in_a_name_keeps_its_zone(name: str, acquired: datetime) -> None:
    """The zone was dropped: 22:00 in Lima on 31 December 2024 dated the scene 2024-12-31
    22:00 UTC, counted in 2024 for 2025 (written without seconds, the time too: 2024-12-31
    00:00 UTC); and a day followed by six digits that are no time
    (`_987654`) was no date at all (the scene was dated by its TIFFTAG_DATETIME, or refused)."""
    found = time_from_name(f"/scenes/{name}")
    assert found is not None and found.source == "iso-name"
    assert found.time == acquired


NEW_YEAR_IN_LIMA = datetime(2025, 1, 1, 3, tzinfo=UTC)  # 2024-12-31 22:00 at UTC-05:00


@pytest.mark.parametrize(
    ("name", "acquired"),
    [  # the zone in hours alone (ISO 8601's -05) after a time the T or a colon marks
        ("nanay_2024-12-31T22:00-05.tif", NEW_YEAR_IN_LIMA),
        ("nanay_2024-12-31T22:00:00-05.tif", NEW_YEAR_IN_LIMA),
        ("nanay_2024-12-31T220000-05.tif", NEW_YEAR_IN_LIMA),
        ("nanay_2024-12-31T22_00_00-05.tif", NEW_YEAR_IN_LIMA),
        ("nanay_2024-12-31T22-00-00-05.tif", NEW_YEAR_IN_LIMA),
        ("nanay_2024-12-31T22_00-05.tif", NEW_YEAR_IN_LIMA),
        ("nanay_2024-12-31_22:00-05.tif", NEW_YEAR_IN_LIMA),
        ("nanay_2024-12-31 22:00:00 -05.tif", NEW_YEAR_IN_LIMA),  # date "+%F %T %:::z"
        ("nanay_2024-12-31T22:00-05_2.tif", NEW_YEAR_IN_LIMA),  # then a part number
        ("nanay_2024-12-31T24:00-05.tif", datetime(2025, 1, 1, 5, tzinfo=UTC)),
        # T22_00 without seconds (the day alone was read: midnight)
        ("nanay_2024-12-31T22_00.tif", datetime(2024, 12, 31, 22, tzinfo=UTC)),
        # no zone: one digit, three, more than 14 hours; a range's end; after six digits
        # behind _ (an order's number and a part? read so, and said: test_date_caveats)
        ("nanay_2024-12-31T22:00:00-1.tif", datetime(2024, 12, 31, 22, tzinfo=UTC)),
        ("nanay_2024-12-31T22:00:00-001.tif", datetime(2024, 12, 31, 22, tzinfo=UTC)),
        ("nanay_2024-12-31T22:00:00-20.tif", datetime(2024, 12, 31, 22, tzinfo=UTC)),
        ("nanay_2024-03-15T10_00_00-11_00_00.tif", datetime(2024, 3, 15, 10, tzinfo=UTC)),
        ("nanay_2024-12-31_220000-05.tif", datetime(2024, 12, 31, 22, tzinfo=UTC)),
    ],
)
def test_a_zone_in_hours_alone_after_a_time_in_a_name_is_read(
    name: str, acquired: datetime
) -> None:
    """`nanay_2024-12-31T22:00-05.tif` (22:00 in Lima, 2025-01-01 03:00 UTC) was read as
    22:00 UTC, its `-05` taken for a part number: counted in 2024 for 2025."""
    found = time_from_name(f"/scenes/{name}")
    assert found is not None and found.source == "iso-name"
    assert found.time == acquired


@pytest.mark.parametrize(
    ("name", "given", "acquired"),
    [  # a zone's name, then its offset as --date and a --dates row read it
        ("nanay_2024-12-31 22:00 UTC-5.tif", "2024-12-31 22:00 UTC-5", NEW_YEAR_IN_LIMA),
        (
            "nanay_2024-12-31 22:00 gmt+5.tif",
            "2024-12-31 22:00 gmt+5",
            datetime(2024, 12, 31, 17, tzinfo=UTC),
        ),
        # spaces written as _; then a part number
        ("nanay_2024-12-31_220000_UTC-05.tif", "2024-12-31 22:00 UTC-05", NEW_YEAR_IN_LIMA),
        ("nanay_2024-12-31_22:00_UTC-5_2.tif", "2024-12-31 22:00 UTC-5", NEW_YEAR_IN_LIMA),
        # after six digits: named, the -05 is no part number (it was read so, with a word)
        ("nanay_2024-12-31 220000 UTC-05.tif", "2024-12-31 22:00 UTC-05", NEW_YEAR_IN_LIMA),
    ],
)
def test_a_zone_named_in_a_name_is_read_as_the_date_options_read_it(
    name: str, given: str, acquired: datetime
) -> None:
    """A zone named with its hours in one digit (`UTC-5`), or after an underscore
    (`_UTC-05`), was dropped: `nanay_2024-12-31 22:00 UTC-5.tif` was dated 2024-12-31 22:00
    UTC, counted in 2024, where `--date '2024-12-31 22:00 UTC-5'` dates it 2025-01-01 03:00
    UTC; after six digits its `-05` was taken for a part number."""
    found = time_from_name(f"/scenes/{name}")
    assert found is not None and found.source == "iso-name"
    assert found.time == acquired == given_time(given)
    assert name_zone_in_doubt(f"/scenes/{name}") is None


@pytest.mark.parametrize(
    "name",
    [
        "nanay_2024-12-31t22:00:00-05:00.tif",
        "nanay_2024-12-31t22_00_00-05_00.tif",
        "nanay_2024-12-31t220000-05.tif",
        "nanay_2024-12-31t22:00 utc-05:00.tif",
    ],
)
def test_an_iso_time_in_a_lower_case_name_keeps_its_time_and_zone(name: str) -> None:
    """A name in lower case (its `T` a `t`, as ISO 8601 and `--date` allow) lost its time and
    zone: 22:00 in Lima on 31 December was dated 2024-12-31 00:00 UTC, counted in 2024."""
    found = time_from_name(f"/scenes/{name}")
    assert found is not None and found.source == "iso-name"
    assert found.time == NEW_YEAR_IN_LIMA == given_time(name[6:-4].replace("_", ":"))


@pytest.mark.parametrize(
    ("name", "acquired"),
    [  # a time range: its start, in UTC, or with the zone written after it
        ("nanay_2024-03-15T10_00_00-11_00_00.tif", datetime(2024, 3, 15, 10, tzinfo=UTC)),
        ("nanay_2024-03-15T10-00-00-11-00-00.tif", datetime(2024, 3, 15, 10, tzinfo=UTC)),
        ("nanay_2024-03-15T10:00:00-11:00:00.tif", datetime(2024, 3, 15, 10, tzinfo=UTC)),
        ("n_2024-03-15T10_00_00-05_00-11_00_00-05_00.tif", datetime(2024, 3, 15, 15, tzinfo=UTC)),
        ("n_2024-03-15T10-00-00-05-00-11-00-00-05-00.tif", datetime(2024, 3, 15, 15, tzinfo=UTC)),
        ("n_2024-03-15T10:00:00-05:00-11:00:00-05:00.tif", datetime(2024, 3, 15, 15, tzinfo=UTC)),
        # a zone, then more of the name
        ("nanay_2024-03-15T10_00_00-05_00_2.tif", datetime(2024, 3, 15, 15, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_a_time_range_in_a_name_is_read_from_its_start(name: str, acquired: datetime) -> None:
    """The end of a range of times after a time (`T10_00_00-11_00_00`, `T10:00:00-11:00:00`)
    was read as its zone: 10:00 at -11:00, 21:00 UTC, eleven hours after the range."""
    found = time_from_name(f"/scenes/{name}")
    assert found is not None and found.time == acquired


@pytest.mark.parametrize(
    ("name", "acquired"),
    [
        ("nanay_2024-12-31T24:00:00.tif", datetime(2025, 1, 1, tzinfo=UTC)),
        ("nanay_2024-12-31T24:00-05:00.tif", datetime(2025, 1, 1, 5, tzinfo=UTC)),
        ("nanay_2024-02-29T24:00:00Z.tif", datetime(2024, 3, 1, tzinfo=UTC)),
        ("nanay_2024-12-31T24:30:00.tif", datetime(2024, 12, 31, tzinfo=UTC)),  # no time
    ],
)
def test_an_iso_time_of_24_00_in_a_name_is_the_end_of_the_day(
    name: str, acquired: datetime
) -> None:
    """ISO 8601's 24:00 is the end of the day: `2024-12-31T24:00:00` was read as midnight at
    its start (2024-12-31 00:00 UTC, a day early: counted in 2024 for 2025)."""
    found = time_from_name(f"/scenes/{name}")
    assert found is not None and found.time == acquired


@pytest.mark.parametrize(
    ("name", "acquired"),
    [
        ("nanay_20240315.tif", datetime(2024, 3, 15, tzinfo=UTC)),
        ("20240315-nanay.tif", datetime(2024, 3, 15, tzinfo=UTC)),
        ("nanay.20240315.tif", datetime(2024, 3, 15, tzinfo=UTC)),
        ("nanay_20240315_0001.tif", datetime(2024, 3, 15, tzinfo=UTC)),  # then a part number
        ("nanay_2024_03_15.tif", datetime(2024, 3, 15, tzinfo=UTC)),
        # a time written as Windows allows, after the T: it was dropped (midnight)
        ("nanay_2024-12-31T22_00_00.tif", datetime(2024, 12, 31, 22, tzinfo=UTC)),
        ("nanay_2024-12-31T22-00-00.tif", datetime(2024, 12, 31, 22, tzinfo=UTC)),
        ("nanay_2024-12-31T22-00-00-05-00.tif", datetime(2025, 1, 1, 3, tzinfo=UTC)),
        # the file's own day before a mosaic's name in its folder
        ("global_monthly_2023_06_mosaic/nanay_20240315.tif", datetime(2024, 3, 15, tzinfo=UTC)),
        # no day: a day and an export's time; no real day; no year 19xx/20xx; more digits
        ("nanay_20241102_093015.tif", None),
        ("nanay_20241102-093015.tif", None),
        ("nanay_2024_11_02_093015.tif", None),  # it was dated 2024-11-02
        ("nanay_20241399.tif", None),
        ("nanay_18991231.tif", None),
        ("nanay_120240315.tif", None),
        ("nanay_v20240315.tif", None),
        ("nanay_v2.1.20240101.tif", None),  # a version's last number: its build day
        ("dredges_1.0.20231115_nanay.tif", None),
        ("nanay_2024_13_01.tif", None),
        ("nanay_2024-12-31_22_00_00.tif", datetime(2024, 12, 31, tzinfo=UTC)),  # no T: the day
    ],
)
def test_a_basic_or_underscored_day_in_a_name_dates_the_scene(
    name: str, acquired: datetime | None
) -> None:
    """`nanay_20240315.tif` and `nanay_2024_03_15.tif` were "acquisition date unknown" (or
    dated by the TIFFTAG_DATETIME a program wrote); `…T22_00_00` was read as midnight."""
    found = time_from_name(f"/scenes/{name}")
    assert (found.time if found else None) == acquired
    assert found is None or found.source == ("iso-name" if "2024-12-31" in name else "day-name")


@pytest.mark.parametrize(
    ("name", "acquired"),
    [
        # a basic day with four digits after the T: it was no date at all
        ("nanay_20241102T0930.tif", datetime(2024, 11, 2, 9, 30, tzinfo=UTC)),
        ("nanay_20241102t0930-0500.tif", datetime(2024, 11, 2, 14, 30, tzinfo=UTC)),
        # four digits without a colon, then a zone's name (or after a T): it was the day alone
        ("nanay_2024-12-31 2200 UTC-05.tif", datetime(2025, 1, 1, 3, tzinfo=UTC)),
        ("nanay_2024-12-31_2200_utc-05.tif", datetime(2025, 1, 1, 3, tzinfo=UTC)),
        ("nanay_2024-12-31 2200 GMT.tif", datetime(2024, 12, 31, 22, tzinfo=UTC)),
        ("nanay_2024-12-31T2200-05.tif", datetime(2025, 1, 1, 3, tzinfo=UTC)),
        # not four digits after _ or a space alone (a part number, a Planet order's satellite),
        # nor a zone's name that is the start of a word, nor a basic time with seconds behind a
        # prefix (a program's stamp of when the file was made)
        ("nanay_2024-12-31_2200.tif", datetime(2024, 12, 31, tzinfo=UTC)),
        ("nanay_2024-12-31_0001_utcdata.tif", datetime(2024, 12, 31, tzinfo=UTC)),
        ("4626013_1862607_2021-06-15_2439_BGRN_SR.tif", datetime(2021, 6, 15, tzinfo=UTC)),
        ("nanay_20241102T093015.tif", None),
        ("nanay_v20241102T0930.tif", None),
    ],
)
def test_four_digit_times_a_t_or_a_zone_marks_are_read(
    name: str, acquired: datetime | None
) -> None:
    """`nanay_20241102T0930.tif` was dated nothing, `nanay_2024-12-31 2200 UTC-05.tif` the day
    alone at midnight UTC (a day early for 2025-01-01 03:00)."""
    found = time_from_name(f"/scenes/{name}")
    assert (found.time if found else None) == acquired
    assert found is None or found.source == "iso-name"


@pytest.mark.parametrize(
    ("name", "acquired"),
    [
        ("tile_2048_10_12.tif", datetime(2024, 11, 2, 16, 20, tzinfo=UTC)),  # the tag's
        ("nanay_20990101.tif", datetime(2024, 11, 2, 16, 20, tzinfo=UTC)),
        ("tile_2048_10_12_2024_03_15.tif", datetime(2024, 3, 15, tzinfo=UTC)),  # the next
        ("global_monthly_2023_06_mosaic/tile_2048_10_12.tif", datetime(2023, 6, 1, tzinfo=UTC)),
        # before any satellite image (Landsat 1, 1972): dated 1920-08-15 without a word
        ("img_1920_08_15.tif", datetime(2024, 11, 2, 16, 20, tzinfo=UTC)),
        ("grid_19700101.tif", datetime(2024, 11, 2, 16, 20, tzinfo=UTC)),
    ],
)
def test_a_day_alone_in_a_name_after_today_is_no_date(
    tmp_path: Path, name: str, acquired: datetime
) -> None:
    """Numbers that read as a day alone after today (a grid's tile `tile_2048_10_12`) failed
    the scene: 'its file name dates it 2048-10-12, after today' (before such days were read
    it ran, dated by its tags). They date nothing: the next date found does (a later day alone
    in the name, a mosaic's folder, the tags). An ISO date after today is still an error."""
    tags = {"TIFFTAG_DATETIME": "2024:11:02 16:20:00"}
    with open_scene(write_scene(tmp_path / name, tags=tags, **SMALL).path) as opened:
        assert opened.acquired == acquired


def test_a_maxar_name_of_the_last_century() -> None:
    """A two-digit year is of this century unless that is after next year (99JAN01 was 2099)."""
    found = time_from_name("/o/99DEC31162013-P1BS-058316163010_01_P001.TIF")
    assert found is not None and found.time == datetime(1999, 12, 31, 16, 20, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    "name",
    [
        "S2A_MSIL2A_20240315T143012_N0510_R010_T18MYA_20240320T190203.tif",  # sensing time first
        "T18MYA_20240315T143012_B04_B03_B02_10m.tif",  # a granule's bands, stacked
        "LC09_L2SP_007063_20240315_20240320_02_T1_SR.TIF",  # Landsat: acquired, then processed
        "S2A_OPER_PRD_MSIL1C_PDMC_20240320T190203_R010_V20240315T143012_20240315T143012.tif",
        # Earth Engine's image ids (system:index), as its exports are named: Sentinel-2's
        # datatake and granule sensing times, then the tile; Landsat's path/row, then the day
        "20240315T143012_20240315T143515_T18MYA.tif",
        "S2_SR_nanay_20240315T143012_20240315T143515_T18MYA.tif",
        "LC09_007063_20240315.tif",
        "nanay_1_2_LC08_007063_20240315_sr.tif",
    ],
)
def test_sentinel2_and_landsat_names(tmp_path: Path, name: str) -> None:
    """They were dated by the tag a program wrote with the file (here 2024-11-02), or not at
    all: "acquisition date unknown" (Earth Engine's ids too, until they were read)."""
    tags = {"TIFFTAG_DATETIME": "2024:11:02 16:20:00"}
    scene = write_scene(tmp_path / name, tags=tags, **SMALL)
    with open_scene(scene.path) as opened:
        assert opened.acquired is not None and opened.acquired.date() == date(2024, 3, 15)
        assert opened.date_caveat is None


@pytest.mark.parametrize(
    "name",
    [
        "S2A_OPER_MSI_L1C_TL_SGS__20240322T190203_A003793_T18MYA_B04.tif",  # made, not sensed
        "nanay_clip_exported_20241102T093015.tif",  # an export's time
    ],
)
def test_a_time_of_making_in_a_name_does_not_date_the_scene(tmp_path: Path, name: str) -> None:
    """Any YYYYMMDDTHHMMSS in a name dated the scene: an older Sentinel-2 granule by its
    processing time, an export by its own, without a word (the tag's caveat was lost)."""
    tags = {"TIFFTAG_DATETIME": "2024:11:02 16:20:00"}
    with open_scene(write_scene(tmp_path / name, tags=tags, **SMALL).path) as opened:
        assert opened.acquisition.source == "tiff-tag"
        assert opened.date_caveat is not None
