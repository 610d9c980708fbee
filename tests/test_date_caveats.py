"""The word on a scene's summary line when its date may be wrong: a date given for another day
or time than the scene's own, a name giving a range of days, a date from TIFFTAG_DATETIME."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from detector.date_tables import date_for_scene, read_date_table
from detector.scene import open_scene
from tests.geo_fixtures import write_planet_metadata, write_scene

PLANET_ID = "20230715_145012_56_2455"
PLANET_NAME = f"{PLANET_ID}_3B_AnalyticMS_SR.tif"
SMALL: dict[str, Any] = {"width": 40, "height": 40}


def test_a_date_given_for_another_day_than_the_scenes_own_is_said(tmp_path: Path) -> None:
    """--date, a --dates row or a STAC item's date wins, as before, but it passed without a
    word when the scene's metadata or name said another day (a STAC item of 2024-07-15 over
    a scene of 2024-01-01)."""
    scene = write_scene(tmp_path / PLANET_NAME, **SMALL)
    write_planet_metadata(scene, "2023-07-15T14:50:12Z", PLANET_ID)
    with open_scene(scene.path, date="2023-09-01") as opened:
        assert opened.acquired == datetime(2023, 9, 1, tzinfo=UTC)
        assert opened.date_caveat == (
            "dated 2023-09-01 as given, while its metadata.json says 2023-07-15: check which is "
            "right"
        )
    with open_scene(scene.path, date="2023-07-15") as opened:  # the same day: nothing to say
        assert opened.date_caveat is None
    quad = write_scene(tmp_path / "planet_medres_normalized_analytic_2023-07_mosaic.tif", **SMALL)
    with open_scene(quad.path, date="2023-07-20") as opened:  # a mosaic's name: its first day
        assert opened.date_caveat is None


def test_a_time_given_hours_from_the_scenes_own_time_that_day_is_said(tmp_path: Path) -> None:
    """A --dates row of Peru's local time without its zone (`2023-07-15 09:50:12`) is read as
    UTC, five hours before the scene's own 14:50:12: another pass than its neighbours of the
    strip, their dredges counted twice, and nothing was said (only another day was)."""
    scene = write_scene(tmp_path / PLANET_NAME, **SMALL)
    table_path = tmp_path / "dates.csv"
    table_path.write_text(f"scene,date\n{PLANET_NAME},2023-07-15 09:50:12\n")
    given = date_for_scene(read_date_table(table_path), scene.path)
    with open_scene(scene.path, date=given) as opened:
        assert opened.acquired == datetime(2023, 7, 15, 9, 50, 12, tzinfo=UTC)  # as given
        assert opened.date_caveat is not None
        assert opened.date_caveat.startswith(
            "dated 2023-07-15 09:50 UTC as given, while its file name says 14:50 UTC: a time "
            "written without its zone is read as UTC"
        )
    for close in ("2023-07-15T14:50:13Z", "2023-07-15T09:52:12-05:00", "2023-07-15"):
        with open_scene(scene.path, date=close) as opened:
            assert opened.date_caveat is None, close


def test_a_time_given_with_its_zone_hours_from_the_scenes_own_is_not_said_to_lack_one(
    tmp_path: Path,
) -> None:
    """`--date 2023-07-15T00:00-05:00` (05:00 UTC) for a scene of 14:50 UTC: its summary line
    said "a time written without its zone is read as UTC; add the zone", of a time that had
    one (also a --dates row with its zone, a STAC item's time; a row with its zone after UTC,
    `00:00 UTC-05:00`, was told to add it: '2023-07-15T05:00:00-05:00 in Peru', ten hours off)."""
    from detector.cli.common import date_option

    scene = write_scene(tmp_path / PLANET_NAME, **SMALL)
    rows = []
    for zone in ("-05:00", "UTC-05:00", "gmt-5"):
        table_path = tmp_path / "dates.csv"
        table_path.write_text(f"scene,date\n{PLANET_NAME},2023-07-15 00:00 {zone}\n")
        rows.append(date_for_scene(read_date_table(table_path), scene.path))
    typed = "2023-07-15T00:00-05:00"
    for given in (typed, date_option(typed), *rows):
        with open_scene(scene.path, date=given) as opened:
            assert opened.acquired == datetime(2023, 7, 15, 5, tzinfo=UTC)  # as given
            assert opened.date_caveat == (
                "dated 2023-07-15 05:00 UTC as given, while its file name says 14:50 UTC: "
                "check the time given, or give the day alone to keep the scene's own time"
            ), given
    for zoneless in ("2023-07-15T05:00", date_option("2023-07-15T05:00")):  # as before
        with open_scene(scene.path, date=zoneless) as opened:
            assert opened.date_caveat is not None
            assert "a time written without its zone is read as UTC" in opened.date_caveat


def test_a_range_of_days_in_the_name_is_pointed_out(tmp_path: Path) -> None:
    """Copernicus Browser names an image of a time range by the range, and it may show any day
    of it: it was dated by the range's first day without a word (a March range read as
    1 March; a December–January one counted in the year before)."""
    month = "2024-03-01-00_00_2024-03-31-23_59_Sentinel-2_L2A_True_color.tiff"
    day = "2024-03-15-00_00_2024-03-15-23_59_Sentinel-2_L2A_True_color.tiff"
    with open_scene(write_scene(tmp_path / month, **SMALL).path) as opened:
        assert opened.acquired == datetime(2024, 3, 1, tzinfo=UTC)
        assert opened.date_caveat is not None
        assert "first day of the range 2024-03-01 to 2024-03-31" in opened.date_caveat
        assert "--dates" in opened.date_caveat
    with open_scene(write_scene(tmp_path / day, **SMALL).path) as opened:
        assert opened.acquired == datetime(2024, 3, 15, tzinfo=UTC)
        assert opened.date_caveat is None
    export = "2024-03-15_nanay_clip_export_2024-07-01.tif"  # a scene's day, then an export's
    with open_scene(write_scene(tmp_path / export, **SMALL).path) as opened:
        assert opened.acquired == datetime(2024, 3, 15, tzinfo=UTC)
        assert opened.date_caveat is None


def test_tiff_datetime_tag(tmp_path: Path) -> None:
    scene = write_scene(
        tmp_path / "export.tif", tags={"TIFFTAG_DATETIME": "2021:11:02 16:20:00"}, **SMALL
    )
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2021, 11, 2, 16, 20, tzinfo=UTC)
        assert opened.acquisition.source == "tiff-tag"
        # Many programs set the tag when they write a file: the summary line says so.
        assert opened.date_caveat is not None
        assert opened.date_caveat.startswith("dated 2021-11-02 by its TIFFTAG_DATETIME")
    with open_scene(scene.path, date="2021-10-30") as opened:
        assert opened.date_caveat is None
    named = write_scene(
        tmp_path / PLANET_NAME, tags={"TIFFTAG_DATETIME": "2021:11:02 16:20:00"}, **SMALL
    )
    with open_scene(named.path) as opened:
        assert opened.date_caveat is None


EPOCH_WORDS = (
    "{tag}, {value!r}, is before the first satellite image (Landsat 1's, 1972-07-23), a "
    "program's default for none: it dates nothing"
)


def test_a_tag_before_the_first_satellite_image_dates_nothing(tmp_path: Path) -> None:
    """A TIFFTAG_DATETIME or ACQUISITIONDATETIME of 1970:01:01 00:00:00 (a camera's or a
    program's default for none) dated the scene 1970, its dredges counted in a year of their
    own, with only the word that the tag may be a write time. It dates nothing now: the next
    source does (the other tag, a day alone in the name), and the tag is named with its value;
    with none, the date is unknown, and the error names it."""
    import rasterio

    from detector.acquisition import own_time_read
    from detector.errors import InputError

    epoch = "1970:01:01 00:00:00"
    alone = write_scene(tmp_path / "export.tif", tags={"TIFFTAG_DATETIME": epoch}, **SMALL)
    with open_scene(alone.path) as opened:
        assert opened.acquired is None
        said = EPOCH_WORDS.format(tag="its TIFFTAG_DATETIME", value=epoch)
        with pytest.raises(InputError, match=r"export\.tif: acquisition date unknown") as caught:
            opened.require_acquired()
        assert said in str(caught.value) and "\n" not in str(caught.value)
    assert own_time_read(str(alone.path)) is None
    tagged = "1970-01-01T00:00:00Z"
    for name, acquired, after in (  # the ACQUISITIONDATETIME passed over, then what dates it
        ("clip.tif", datetime(2021, 11, 2, 16, 20, tzinfo=UTC), "; dated 2021-11-02 by its TIFF"),
        ("nanay_20240315.tif", datetime(2024, 3, 15, tzinfo=UTC), ""),  # it yielded to the tag
    ):
        scene = write_scene(
            tmp_path / name, tags={"TIFFTAG_DATETIME": "2021:11:02 16:20:00"}, **SMALL
        )
        with rasterio.open(scene.path, "r+") as dataset:
            dataset.update_tags(ns="IMAGERY", ACQUISITIONDATETIME=tagged)
        with open_scene(scene.path) as opened:
            assert opened.acquired == acquired, name
            words = EPOCH_WORDS.format(tag="its ACQUISITIONDATETIME tag", value=tagged)
            assert opened.date_caveat is not None
            assert opened.date_caveat.startswith(words + after), opened.date_caveat
        assert own_time_read(str(scene.path)) == acquired
        with open_scene(scene.path, date="2024-03-15") as opened:  # the date given: no word
            assert opened.date_caveat is None
    named = write_scene(tmp_path / PLANET_NAME, tags={"TIFFTAG_DATETIME": epoch}, **SMALL)
    with open_scene(named.path) as opened:  # dated by its name: the tags are not read
        assert opened.date_caveat is None


def test_track_scenes_undated_but_for_a_tag_before_imagery_name_it(tmp_path: Path) -> None:
    """`dredge track --scenes` (observed_areas) with a scene dated only by a TIFFTAG_DATETIME
    of 1970:01:01 00:00:00, which dates nothing: "acquisition date unknown (… no date in the
    name or tags …)" did not name the tag set aside, as `Scene.require_acquired` does."""
    from detector.errors import InputError
    from detector.observed import observed_areas

    epoch = "1970:01:01 00:00:00"
    alone = write_scene(tmp_path / "export.tif", tags={"TIFFTAG_DATETIME": epoch}, **SMALL)
    with pytest.raises(InputError, match=r"export\.tif: acquisition date unknown") as caught:
        observed_areas([alone.path])
    said = EPOCH_WORDS.format(tag="its TIFFTAG_DATETIME", value=epoch)
    assert said in str(caught.value) and "\n" not in str(caught.value)
    assert "--dates" in str(caught.value)


BEFORE_WORDS = "is before the first satellite image (Landsat 1's, 1972-07-23)"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("1965:03:02 10:00:00", "a clock set wrong or a typo"),  # it was a program's default
        ("1971:06:01 08:15:00", "a clock set wrong or a typo"),
        ("1969:12:31 19:00:00", "a program's default for none"),  # the epoch at UTC-05
        ("0001:01:01 00:00:00", "a program's default for none"),
        ("1900:01:01 00:00:00", "a program's default for none"),
    ],
)
def test_only_an_epoch_tag_is_called_a_default_for_none(
    tmp_path: Path, value: str, why: str
) -> None:
    """Every tag before 1972 was "a program's default for none", 1965:03:02 10:00:00 too:
    only the days programs write for no date (1970-01-01, 0001-01-01, 1980-01-01 …) are."""
    from detector.errors import InputError

    alone = write_scene(tmp_path / "export.tif", tags={"TIFFTAG_DATETIME": value}, **SMALL)
    with open_scene(alone.path) as opened, pytest.raises(InputError) as caught:
        opened.require_acquired()
    said = f"its TIFFTAG_DATETIME, {value!r}, {BEFORE_WORDS}, {why}: it dates nothing"
    assert said in str(caught.value), str(caught.value)


def test_a_name_or_sidecar_date_before_the_first_satellite_image_dates_nothing(
    tmp_path: Path,
) -> None:
    """An ISO date in a file name before 1972 (`scan_1965-03-02.tif`) or a `metadata.json`
    beside the scene of 1970-01-01 dated the scene so, without a word, where such a tag,
    `--date` or table row dates nothing or is refused. Now they date nothing, as a tag: the
    next source does (the name, the tags), and the scene's line names the file and value;
    with none, "acquisition date unknown" names them, for `dredge detect` and `track`."""
    from detector.errors import InputError
    from detector.observed import observed_areas

    scan = write_scene(tmp_path / "scan_1965-03-02.tif", **SMALL)
    name_words = f"the date in its file name, '1965-03-02', {BEFORE_WORDS}, a number or a typo"
    with open_scene(scan.path) as opened:
        assert opened.acquired is None
        with pytest.raises(
            InputError, match=r"scan_1965-03-02\.tif: acquisition date unknown"
        ) as caught:
            opened.require_acquired()
        assert name_words in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(InputError, match=r"acquisition date unknown") as caught:
        observed_areas([scan.path])  # dredge track --scenes
    assert name_words in str(caught.value)
    clip = write_scene(tmp_path / "clip_19650302_101010.tif", **SMALL)  # an export's time
    with pytest.raises(InputError, match=r"clip_19650302_101010\.tif: acquisition date unknown"):
        observed_areas([clip.path])
    tagged = write_scene(
        tmp_path / "b" / "scan_1965-03-02.tif",
        tags={"TIFFTAG_DATETIME": "2021:11:02 16:20:00"},
        **SMALL,
    )
    with open_scene(tagged.path) as opened:  # the next source dates it, the name is said
        assert opened.acquired == datetime(2021, 11, 2, 16, 20, tzinfo=UTC)
        assert opened.date_caveat is not None
        assert opened.date_caveat.startswith(name_words + ": it dates nothing; dated 2021")
    planet = write_scene(tmp_path / PLANET_NAME, **SMALL)
    meta = write_planet_metadata(planet, "1970-01-01T00:00:00Z", PLANET_ID)
    with open_scene(planet.path) as opened:  # dated by its name, the metadata.json said
        assert opened.acquired == datetime(2023, 7, 15, 14, 50, 12, tzinfo=UTC)
        assert opened.date_caveat == (
            f"the date in {meta.name}, '1970-01-01T00:00:00Z', {BEFORE_WORDS}, a placeholder "
            "for none or a typo: it dates nothing"
        )
    export = write_scene(tmp_path / "export.tif", **SMALL)
    (tmp_path / "export.json").write_text('{"properties": {"acquired": "1965-03-02"}}')
    with pytest.raises(InputError, match=r"export\.json, '1965-03-02', is before"):
        observed_areas([export.path])
    (tmp_path / "export.xml").write_text("<m><acquired>2024-03-05T14:00:00Z</acquired></m>")
    with open_scene(export.path) as opened:  # the next metadata file dates it
        assert opened.acquired == datetime(2024, 3, 5, 14, tzinfo=UTC)
        assert opened.date_caveat is not None and "export.json" in opened.date_caveat


def test_a_sidecar_date_of_a_clocks_first_day_dates_nothing(tmp_path: Path) -> None:
    """A metadata.json of 1980-01-01 00:00:00 (a default for none, as the TIFF tag 1980:01:01
    that dates nothing) dated the scene 1980-01-01. Now its name dates it, and the line says
    the metadata's date is a default; a time of that day other than midnight still dates."""
    planet = write_scene(tmp_path / PLANET_NAME, **SMALL)
    meta = write_planet_metadata(planet, "1980-01-01T00:00:00Z", PLANET_ID)
    with open_scene(planet.path) as opened:
        assert opened.acquired == datetime(2023, 7, 15, 14, 50, 12, tzinfo=UTC)
        assert opened.date_caveat == (
            f"the date in {meta.name}, '1980-01-01T00:00:00Z', is a program's default for none "
            "(a clock's first day, as 1970-01-01 is): it dates nothing"
        )
    write_planet_metadata(planet, "1980-01-01T14:50:12Z", PLANET_ID)
    with open_scene(planet.path) as opened:
        assert opened.acquired == datetime(1980, 1, 1, 14, 50, 12, tzinfo=UTC)


def test_metadata_of_another_day_than_the_name_is_said(tmp_path: Path) -> None:
    """The metadata still wins, as before, but a Planet scene of 2023-07-15 by its name beside
    a metadata.json of 2024-01-03 (another scene's, copied beside it) was dated 2024-01-03 and
    counted in 2024 without a word."""
    scene = write_scene(tmp_path / PLANET_NAME, **SMALL)
    write_planet_metadata(scene, "2024-01-03T14:46:59Z", PLANET_ID)
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2024, 1, 3, 14, 46, 59, tzinfo=UTC)
        assert opened.date_caveat == (
            "dated 2024-01-03 by its metadata.json, while its file name says 2023-07-15: check "
            "which is right (a sidecar of another scene?), or give the date with --dates"
        )
    write_planet_metadata(scene, "2023-07-15T14:50:12.56Z", PLANET_ID)  # the same day
    with open_scene(scene.path) as opened:
        assert opened.date_caveat is None


def test_a_zone_in_hours_or_a_part_number_after_a_time_in_a_name_is_said(tmp_path: Path) -> None:
    """`nanay_2024-12-31_220000-05.tif`: six digits behind `_` and `-05` may be a time and
    its zone (2025-01-01 03:00 UTC) or an order's number and a part; read as the part, as
    before (22:00 UTC), where nothing was said. With a T or a colon the zone is read."""
    scene = write_scene(tmp_path / "nanay_2024-12-31_220000-05.tif", **SMALL)
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2024, 12, 31, 22, tzinfo=UTC)
        assert opened.date_caveat == (
            "dated 2024-12-31 22:00 UTC by its file name, the -05 after its time read as a "
            "part number; if it is the time's zone (UTC-05), the scene is of 2025-01-01 03:00 "
            "UTC: write a T before the time (2024-12-31T220000-05 is read so), or give the "
            "date with --dates"
        )
    for name in ("nanay_2024-12-31T220000-05.tif", "nanay_2024-12-31_220000-0001.tif"):
        with open_scene(write_scene(tmp_path / name, **SMALL).path) as opened:
            assert opened.date_caveat is None, name


def test_a_day_alone_in_a_name_followed_by_what_may_be_a_time_is_said(tmp_path: Path) -> None:
    """`nanay_clip_20241102_0930.tif`: a day alone and four digits that read as 09:30, maybe
    when the clip was made (six, `_093015`, an export's time, date nothing). The day still
    dates the scene, before its TIFFTAG_DATETIME (a part number, `_0001`, follows a day as
    often), but nothing was said that it may be the clip's day."""
    tags = {"TIFFTAG_DATETIME": "2024:11:02 09:30:00"}  # as a program writing the clip sets it
    for name in ("nanay_clip_20241102_0930.tif", "nanay_clip_2024_11_02-0930.tif"):
        with open_scene(write_scene(tmp_path / name, tags=tags, **SMALL).path) as opened:
            assert opened.acquired == datetime(2024, 11, 2, tzinfo=UTC)
            assert opened.acquisition.source == "day-name"
            assert opened.date_caveat == (
                "dated 2024-11-02 by the day in its file name, followed by 0930, which may be "
                "a time (09:30): if that is when a clip or export was made, so is the day — "
                "check it, or give the date with --dates"
            )
    for name in ("nanay_20240315_0001.tif", "nanay_20240315_2460.tif", "nanay_20240315.tif"):
        with open_scene(write_scene(tmp_path / name, tags=tags, **SMALL).path) as opened:
            assert opened.acquisition.source == "day-name"
            assert opened.date_caveat is None, name


def test_midnight_at_the_end_of_a_day_is_the_next_day(tmp_path: Path) -> None:
    """ISO 8601's T24:00, read so in a file name, was 'not a date' for --date (Python refuses
    hour 24) and a --dates row 'cannot be read': it is the next day's 00:00, zone kept."""
    from detector.given_dates import ZonelessTime, given_time

    assert given_time("2024-12-31T24:00:00") == datetime(2025, 1, 1, tzinfo=UTC)
    assert isinstance(given_time("2024-12-31T24:00"), ZonelessTime)
    assert given_time("2024-06-20T24:00-05:00") == datetime(2024, 6, 21, 5, tzinfo=UTC)
    with pytest.raises(ValueError):
        given_time("2024-02-30T24:00")  # no such day
    table = tmp_path / "dates.csv"
    table.write_text("scene,date\na.tif,2024-12-31T24:00:00Z\nb.tif,2024-06-20 24:00\n")
    dates = read_date_table(table)
    assert dates["a.tif"] == datetime(2025, 1, 1, tzinfo=UTC)
    assert dates["b.tif"] == datetime(2024, 6, 21, tzinfo=UTC)


def test_midnight_at_the_end_of_a_day_with_a_named_zone_is_the_next_day(tmp_path: Path) -> None:
    """T24:00 with its zone named (`2024-12-31 24:00 UTC`, as a file name, `--date` or a
    `--dates` row may write it) was refused ('not a date', 'cannot be read') where `T24:00Z`
    and `T24:00` were read; `--date` refused a named zone at any hour."""
    from detector.cli.common import date_option
    from detector.given_dates import ZonelessTime, given_time

    new_year = datetime(2025, 1, 1, tzinfo=UTC)
    for text in ("2024-12-31 24:00 UTC", "2024-12-31T24:00:00 GMT", "2024-12-31 24:00 utc"):
        assert given_time(text) == new_year, text
        assert not isinstance(given_time(text), ZonelessTime)
    assert date_option("2024-12-31 24:00 UTC-05:00") == datetime(2025, 1, 1, 5, tzinfo=UTC)
    assert date_option("2024-12-31 23:00 UTC") == datetime(2024, 12, 31, 23, tzinfo=UTC)
    table = tmp_path / "dates.csv"
    table.write_text("scene,date\na.tif,2024-12-31 24:00 UTC\nb.tif,2024-12-31T24:00 GMT-05:00\n")
    dates = read_date_table(table)
    assert dates["a.tif"] == new_year
    assert dates["b.tif"] == datetime(2025, 1, 1, 5, tzinfo=UTC)


def test_metadata_beside_a_day_alone_of_another_day_in_the_name_is_said(tmp_path: Path) -> None:
    """A day alone in a name (source day-name: ``nanay_20240315``, or a grid's numbers,
    ``grid_2012_05_07``) yields to the scene's metadata, as it does to its ACQUISITIONDATETIME
    tag; but a sidecar may be another scene's, and where its day was another than the name's
    nothing was said (a full date-time in the name gets 'a sidecar of another scene?')."""
    for name, day in (
        ("nanay_20240315.tif", "2024-03-15"),
        ("grid_2012_05_07.tif", "2012-05-07"),
        ("order_20001231_P001.tif", "2000-12-31"),
    ):
        scene = write_scene(tmp_path / name, **SMALL)
        write_planet_metadata(scene, "2024-06-20T14:50:51Z", scene.path.stem)
        with open_scene(scene.path) as opened:
            assert opened.acquired == datetime(2024, 6, 20, 14, 50, 51, tzinfo=UTC)
            assert opened.acquisition.source == "metadata.json"
            assert opened.date_caveat == (
                f"dated 2024-06-20 by its metadata.json, while its file name has numbers that "
                f"read as {day}, a day alone (or a grid's or an order's numbers): check which "
                "is right (a sidecar of another scene?), or give the date with --dates"
            )
    same_day = write_scene(tmp_path / "nanay_20240620.tif", **SMALL)
    write_planet_metadata(same_day, "2024-06-20T14:50:51Z", same_day.path.stem)
    with open_scene(same_day.path) as opened:
        assert opened.date_caveat is None


@pytest.mark.parametrize("tag", ["ACQUISITIONDATETIME", "TIFFTAG_DATETIME"])
def test_a_tag_of_year_1_with_its_zone_dates_nothing(tmp_path: Path, tag: str) -> None:
    """``0001-01-01T00:00:00+05:00`` (a program's default for none, written with its local zone)
    lies before the first instant Python can hold in UTC: ``open_scene`` stopped with a bare
    ``OverflowError: date value out of range``. It dates nothing now, as year 1 without a zone,
    and is named; so is ``--date`` with it, and a tag of 9999 with its zone is after today."""
    import rasterio

    from detector.cli.common import date_option
    from detector.errors import InputError
    from detector.given_dates import to_utc

    value = "0001-01-01T00:00:00+05:00"
    scene = write_scene(tmp_path / "export.tif", **SMALL)
    with rasterio.open(scene.path, "r+") as dataset:
        if tag == "TIFFTAG_DATETIME":
            dataset.update_tags(TIFFTAG_DATETIME=value)
        else:
            dataset.update_tags(ns="IMAGERY", ACQUISITIONDATETIME=value)
    with open_scene(scene.path) as opened:
        assert opened.acquired is None
        with pytest.raises(InputError, match=r"export\.tif: acquisition date unknown") as caught:
            opened.require_acquired()
        assert value in str(caught.value)
    assert to_utc("9999-12-31T23:00:00-05:00").year == 9999  # no OverflowError
    with pytest.raises(Exception) as refused:
        date_option(value)
    assert "before the first satellite image" in str(refused.value)


def test_of_two_rows_of_one_time_the_one_with_its_zone_is_kept(tmp_path: Path) -> None:
    """A --dates table with two rows for one scene (of 14:50 UTC by its name),
    `2023-07-15T05:00:00Z` and `2023-07-15 05:00`: the same date, and the last row, without a
    zone, was kept, so the scene was said to have 'a time written without its zone', though
    one row gave it. The row with its zone is kept, whichever comes first."""
    from detector.given_dates import ZonelessTime

    scene = write_scene(tmp_path / PLANET_NAME, **SMALL)
    rows = [f"{PLANET_NAME},2023-07-15T05:00:00Z", f"{PLANET_NAME},2023-07-15 05:00"]
    for order in (rows, rows[::-1]):
        table = tmp_path / "dates.csv"
        table.write_text("scene,date\n" + "\n".join(order) + "\n")
        given = date_for_scene(read_date_table(table), scene.path)
        assert given == datetime(2023, 7, 15, 5, tzinfo=UTC)
        assert not isinstance(given, ZonelessTime), order
        with open_scene(scene.path, date=given) as opened:
            caveat = opened.date_caveat or ""
            assert caveat.startswith("dated 2023-07-15 05:00 UTC as given"), caveat
            assert "without its zone" not in caveat, caveat
