"""Scene dates read from names and tags where a form was read silently wrong: a name's first
date refused but not its next, a Landsat id of a refused day dated by its processing day, a
zone without its sign or of more than 14 hours read as UTC, dashed seconds that may be a zone,
a tag of a clock's first day (1980:01:01 00:00:00), a day and time without a zone unsaid."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from detector.errors import InputError
from detector.scene import open_scene
from tests.geo_fixtures import write_scene

SMALL: dict[str, Any] = {"width": 40, "height": 40}
BEFORE_WORDS = "is before the first satellite image (Landsat 1's, 1972-07-23)"


def _opened(path: Path, tags: dict[str, str] | None = None) -> tuple[datetime | None, str | None]:
    """The acquisition time and date caveat that ``open_scene`` gives a small scene."""
    with open_scene(write_scene(path, tags=tags, **SMALL).path) as opened:
        return opened.acquired, opened.date_caveat


def test_a_refused_date_in_a_name_lets_the_next_date_it(tmp_path: Path) -> None:
    """`scan_1965-03-02_2024-03-15.tif`: only the first ISO date was tried, refused (before
    1972), and the scene was undated; the next date dates it now, and the line says which."""
    acquired, caveat = _opened(tmp_path / "scan_1965-03-02_2024-03-15.tif")
    assert acquired == datetime(2024, 3, 15, tzinfo=UTC)
    assert caveat == (
        f"the date in its file name, '1965-03-02', {BEFORE_WORDS}, a number or a typo: it "
        "dates nothing; dated 2024-03-15 by the next date in its file name"
    )
    acquired, caveat = _opened(tmp_path / "scan_2023-06-01_clip_2024-03-15.tif")  # the first
    assert acquired == datetime(2023, 6, 1, tzinfo=UTC) and caveat is None


@pytest.mark.parametrize(
    "name",
    [
        "LC08_L1TP_007063_19650315_20240320_02_T1.tif",
        "LM01_L1TP_007063_19650315_20240320_02_T1.tif",
        "LT05_L2SP_007063_19650315_20240320_02_T1.tif",
    ],
)
def test_a_landsat_id_of_a_refused_day_is_not_dated_by_its_processing_day(
    tmp_path: Path, name: str
) -> None:
    """A Landsat product id whose acquisition day is before 1972 was dated by its processing
    day (2024-03-20, read as a day alone); it dates nothing now: the tags do, or nothing."""
    acquired, caveat = _opened(tmp_path / "a" / name)
    assert acquired is None
    assert caveat is not None and "'1965-03-15'" in caveat
    tagged, _ = _opened(tmp_path / "b" / name, {"TIFFTAG_DATETIME": "2021:11:02 16:20:00"})
    assert tagged == datetime(2021, 11, 2, 16, 20, tzinfo=UTC)
    good = name.replace("19650315", "20240315")
    assert _opened(tmp_path / "c" / good)[0] == datetime(2024, 3, 15, tzinfo=UTC)


def test_a_zone_named_without_its_sign_is_said(tmp_path: Path) -> None:
    """`_2200_utc5` was read as 22:00 UTC without a word: UTC5 is UTC+5 to most, UTC-5 to
    POSIX. Still read as UTC, it is said with both readings; `_0001_UTC` is 00:01 UTC, as the
    README promises four digits before a zone's name (a time), without a word."""
    acquired, caveat = _opened(tmp_path / "nanay_2024-12-31_2200_utc5.tif")
    assert acquired == datetime(2024, 12, 31, 22, tzinfo=UTC)
    assert caveat == (
        "dated 2024-12-31 22:00 UTC by its file name, its zone 'utc5' read as UTC: without its "
        "sign it may be UTC+5 (2024-12-31 17:00 UTC) or, as POSIX writes it, UTC-5 "
        "(2025-01-01 03:00 UTC); write its sign (UTC-05:00), or give the date with --dates"
    )
    acquired, caveat = _opened(tmp_path / "nanay_2024-12-31_0001_UTC.tif")
    assert acquired == datetime(2024, 12, 31, 0, 1, tzinfo=UTC) and caveat is None
    acquired, caveat = _opened(tmp_path / "nanay_2024-12-31_2200_UTC-5.tif")  # signed: read
    assert acquired == datetime(2025, 1, 1, 3, tzinfo=UTC) and caveat is None


@pytest.mark.parametrize("zone", ["+15:00", "+15", "+1500", "UTC+15", "-05:07"])
def test_an_offset_that_is_no_zone_is_said(tmp_path: Path, zone: str) -> None:
    """`T10:00+15:00`: no zone is more than 14 hours from UTC; the offset was dropped and the
    time read as UTC without a word. Still read so, it is said."""
    acquired, caveat = _opened(tmp_path / f"nanay_2024-12-31T10:00{zone}.tif")
    assert acquired == datetime(2024, 12, 31, 10, tzinfo=UTC)
    assert caveat == (
        f"dated 2024-12-31 10:00 UTC by its file name, its zone {zone!r} read as UTC: it is no "
        "zone (they run from -12:00 to +14:00, in quarter hours); check the name, or give the "
        "date with --dates"
    )


def test_an_offset_of_14_hours_or_a_part_number_is_read_as_before(tmp_path: Path) -> None:
    """+14:00 is a zone (Kiribati); `-0001` after a time is a part number: no word of either."""
    acquired, caveat = _opened(tmp_path / "nanay_2024-12-31T10:00+14:00.tif")
    assert acquired == datetime(2024, 12, 30, 20, tzinfo=UTC) and caveat is None
    acquired, caveat = _opened(tmp_path / "nanay_2024-12-31T22:00-0001.tif")
    assert acquired == datetime(2024, 12, 31, 22, tzinfo=UTC) and caveat is None


@pytest.mark.parametrize("tag", ["TIFFTAG_DATETIME", "ACQUISITIONDATETIME"])
def test_a_tag_of_a_clocks_first_day_after_1972_dates_nothing(tmp_path: Path, tag: str) -> None:
    """A tag of 1980:01:01 00:00:00 (DOS's, FAT's, ZIP's first day: a camera's or a program's
    default for none, as 1970:01:01 is) dated the scene 1980; it dates nothing now, and is
    named; a time of that day other than midnight (a Landsat 3 scene) still dates it."""
    import rasterio

    value = "1980:01:01 00:00:00"
    scene = write_scene(tmp_path / "export.tif", **SMALL)
    with rasterio.open(scene.path, "r+") as dataset:
        if tag == "TIFFTAG_DATETIME":
            dataset.update_tags(TIFFTAG_DATETIME=value)
        else:
            dataset.update_tags(ns="IMAGERY", ACQUISITIONDATETIME=value)
    words = "its TIFFTAG_DATETIME" if tag == "TIFFTAG_DATETIME" else "its ACQUISITIONDATETIME tag"
    with open_scene(scene.path) as opened:
        assert opened.acquired is None
        with pytest.raises(InputError, match=r"export\.tif: acquisition date unknown") as caught:
            opened.require_acquired()
    said = f"{words}, {value!r}, is a program's default for none (a clock's first day, as"
    assert said in str(caught.value) and "\n" not in str(caught.value)
    from detector.date_sanity import is_default_stamp

    assert is_default_stamp("1980:01:06 00:00:00")  # GPS's first day
    assert is_default_stamp("1980-01-01T00:00:00-05:00")  # midnight as written, in its zone
    later = {"TIFFTAG_DATETIME": "1980:01:01 14:30:00"}
    assert _opened(tmp_path / "l3.tif", later)[0] == datetime(1980, 1, 1, 14, 30, tzinfo=UTC)


def test_an_iso_day_followed_by_what_may_be_a_time_is_said_as_its_siblings(
    tmp_path: Path,
) -> None:
    """`nanay_2024-12-31_2200`: the ISO day alone dates it (`_2200` may be a part number), as
    `nanay_20241231_2200` and `nanay_2024_12_31_2200` are, but only those were said to be
    followed by what may be a time (22:00 without its zone: in Lima it is 2025 in UTC)."""
    caveats = []
    for name in ("nanay_2024-12-31_2200.tif", "nanay_20241231_2200.tif"):
        acquired, caveat = _opened(tmp_path / name)
        assert acquired == datetime(2024, 12, 31, tzinfo=UTC), name
        caveats.append(caveat)
    assert caveats[0] is not None and caveats[0] == caveats[1]
    assert caveats[0].startswith("dated 2024-12-31 by the day in its file name, followed by 2200")
    for quiet in (
        "nanay_2024-12-31_0001.tif",
        "nanay_2024-12-31.tif",
        "nanay_2024-12-31_2200_UTC.tif",
    ):
        assert _opened(tmp_path / quiet)[1] is None, quiet


def test_dashed_seconds_that_may_be_a_zone_are_said(tmp_path: Path) -> None:
    """`T22-00-05`: read as 22:00:05 (dashes for colons, as Windows allows), while `T22:00-05`
    reads the -05 as its zone (2025-01-01 03:00 UTC): the same text typed for Windows was
    five hours apart without a word. Still read as seconds, it is said; `T22_00_05` (no sign)
    and `T22-00-00` (no difference) are not."""
    acquired, caveat = _opened(tmp_path / "nanay_2024-12-31T22-00-05.tif")
    assert acquired == datetime(2024, 12, 31, 22, 0, 5, tzinfo=UTC)
    assert caveat == (
        "dated 2024-12-31 22:00:05 UTC by its file name, the -05 after 22-00 read as seconds; if "
        "it is the time's zone (UTC-05), the scene is of 2025-01-01 03:00 UTC: write the seconds "
        "too (2024-12-31T22-00-00-05-00 is read so), or give the date with --dates"
    )
    assert _opened(tmp_path / "nanay_2024-12-31T22-00-00-05-00.tif") == (
        datetime(2025, 1, 1, 3, tzinfo=UTC),
        None,
    )
    for name in ("nanay_2024-12-31T22_00_05.tif", "nanay_2024-12-31T22-00-00.tif"):
        assert _opened(tmp_path / name)[1] is None, name
    acquired, caveat = _opened(tmp_path / "nanay_2024-12-31T22:00-05.tif")
    assert acquired == datetime(2025, 1, 1, 3, tzinfo=UTC) and caveat is None


def test_dashed_seconds_before_a_zone_that_rules_out_the_other_reading_say_nothing(
    tmp_path: Path,
) -> None:
    """`T22-00-05+00` was said to be perhaps `T22:00-05` ("if it is the time's zone
    (UTC-05) ... 2025-01-01 03:00 UTC"), though the +00 after it is the zone, so -05 can
    only be seconds; so were `Z`, `+00:00` and `_UTC` after it. Those say nothing now;
    `T22-00-05` alone, and `T22-00-05-00` (-05:00?), keep the line."""
    for name in (
        "nanay_2024-12-31T22-00-05+00.tif",
        "nanay_2024-12-31T22-00-05Z.tif",
        "nanay_2024-12-31T22-00-05+00-00.tif",
        "nanay_2024-12-31T22-00-05_UTC.tif",
    ):
        assert _opened(tmp_path / name) == (datetime(2024, 12, 31, 22, 0, 5, tzinfo=UTC), None)
    for name in ("nanay_2024-12-31T22-00-05.tif", "nanay_2024-12-31T22-00-05-00.tif"):
        caveat = _opened(tmp_path / name)[1]
        assert caveat is not None and "if it is the time's zone (UTC-05)" in caveat, name


def test_dashed_seconds_before_a_dashed_zone_of_hours_stay_seconds_with_a_word(
    tmp_path: Path,
) -> None:
    """`T22-00-05-00` may be `T22:00-05:00` typed for Windows (22:00, zone -05:00), or
    `T22:00:05-00` (seconds 05, a zone of hours alone, -00), a form read as written:
    `T22-00-00-05` is 22:00:00 at -05. Both readings are forms the names take, so it stays
    22:00:05 UTC and the line says the other reading (a reviewer asked for -05:00; kept)."""
    assert _opened(tmp_path / "nanay_2024-12-31T22-00-00-05.tif") == (
        datetime(2025, 1, 1, 3, tzinfo=UTC),
        None,
    )
    acquired, caveat = _opened(tmp_path / "nanay_2024-12-31T22-00-05-00.tif")
    assert acquired == datetime(2024, 12, 31, 22, 0, 5, tzinfo=UTC)
    assert caveat is not None and "if it is the time's zone (UTC-05)" in caveat
