"""A scene's metadata files that date it otherwise than they seem to, each said on the scene's
line: a STAC item beside it whose ``datetime`` is null (a range), a file that cannot be read
as JSON or XML (a truncated download, an HTML error page), two files of two times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from detector.errors import InputError
from detector.scene import open_scene
from tests.geo_fixtures import write_scene

SMALL: dict[str, Any] = {"width": 40, "height": 40}
TAGGED: dict[str, Any] = {"tags": {"TIFFTAG_DATETIME": "2021:11:02 16:20:00"}, **SMALL}
WRITTEN = datetime(2021, 11, 2, 16, 20, tzinfo=UTC)  # its TIFFTAG_DATETIME


def _stac_item(start: str, end: str) -> str:
    return json.dumps(
        {
            "type": "Feature",
            "stac_version": "1.0.0",
            "id": "nanay_export",
            "properties": {"datetime": None, "start_datetime": start, "end_datetime": end},
        }
    )


def test_a_stac_item_beside_the_scene_with_a_null_datetime(tmp_path: Path) -> None:
    """A STAC item ``nanay_export.json`` whose ``datetime`` is null (STAC's way for an item of
    a span) dated nothing, without a word: the scene was dated by its TIFFTAG_DATETIME (when
    the file was written). Of one UTC day, its start dates it; of a range, its first day, said."""
    scene = write_scene(tmp_path / "nanay_export.tif", **TAGGED)
    item = tmp_path / "nanay_export.json"
    item.write_text(_stac_item("2024-06-20T14:50:02Z", "2024-06-20T14:50:09Z"))
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2024, 6, 20, 14, 50, 2, tzinfo=UTC)
        assert opened.acquisition.source == "metadata.json"
    item.write_text(_stac_item("2024-06-01T00:00:00Z", "2024-06-30T23:59:59Z"))  # a month's
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2024, 6, 1, tzinfo=UTC)
        assert opened.acquisition.source == "metadata.json"
        assert opened.date_caveat is not None
        assert opened.date_caveat.startswith(
            "nanay_export.json is a STAC item of the range 2024-06-01 to 2024-06-30 "
            "(start_datetime to end_datetime, its datetime null), not one acquisition: its first "
            "day dates the scene, as a mosaic's name does; if it shows another day of it, give "
            "that date with --dates"
        )


def test_a_stac_item_of_one_day_ending_at_the_next_midnight_is_not_a_range(tmp_path: Path) -> None:
    """STAC writes a day's span as ``2024-06-20T00:00:00Z`` to ``2024-06-21T00:00:00Z`` (the end
    the next midnight): one day, dated by its start without a word. It was said as 'the range
    2024-06-20 to 2024-06-21'; a month ending at the next month's midnight names its last day."""
    scene = write_scene(tmp_path / "nanay_export.tif", **TAGGED)
    item = tmp_path / "nanay_export.json"
    item.write_text(_stac_item("2024-06-20T00:00:00Z", "2024-06-21T00:00:00Z"))
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2024, 6, 20, tzinfo=UTC)
        assert opened.acquisition.source == "metadata.json"
        assert opened.date_caveat is None
    item.write_text(_stac_item("2024-06-01T00:00:00Z", "2024-07-01T00:00:00Z"))
    with open_scene(scene.path) as opened:
        assert opened.date_caveat is not None
        assert "the range 2024-06-01 to 2024-06-30 " in opened.date_caveat


BROKEN = [  # name, bytes, words
    (
        "nanay_export_metadata.json",
        b'{"properties": {"acquired": "2024-06-20T14:5',
        "nanay_export_metadata.json cannot be read as JSON (Unterminated string starting at "
        "line 1, column 29; cut short by a download?): it dates nothing; download it again",
    ),
    (
        "nanay_export_metadata.json",
        b"<!DOCTYPE html><html><body><h1>403 Forbidden</h1></body></html>\n",
        "nanay_export_metadata.json cannot be read as JSON (it holds HTML or XML, an error page "
        "saved in its place?): it dates nothing; download it again",
    ),
    (
        "nanay_export_metadata.xml",  # (GDAL reads a Maxar .XML beside the scene itself)
        b"<EarthObservation><acquisitionDate>2024-06-2",
        "nanay_export_metadata.xml cannot be read as XML (no element found: line 1, column 44; "
        "cut short, or an HTML page?): it dates nothing; download it again",
    ),
    (
        "nanay_export.xml",
        b"<html><body><p>404 Not Found</p></body></html>",
        "nanay_export.xml is an HTML page, not metadata (an error page saved in its place?): it "
        "dates nothing; download it again",
    ),
]


@pytest.mark.parametrize(("name", "raw", "words"), BROKEN)
def test_a_metadata_file_that_cannot_be_read_is_said(
    tmp_path: Path, name: str, raw: bytes, words: str
) -> None:
    """A metadata file cut short by a download, or an HTML error page saved in its place, was
    passed over without a word: the scene was dated by its TIFFTAG_DATETIME (the file's write
    time, perhaps), or 'acquisition date unknown' with no word of the file. Now its line names
    the file and what is wrong, once, and the scene is dated as before."""
    scene = write_scene(tmp_path / "nanay_export.tif", **TAGGED)
    (tmp_path / name).write_bytes(raw)
    with open_scene(scene.path) as opened:
        assert opened.acquired == WRITTEN
        assert opened.date_caveat is not None
        assert opened.date_caveat.startswith(f"{words}; dated 2021-11-02 by its TIFFTAG")
        assert opened.date_caveat.count(name) == 1
    undated = write_scene(tmp_path / "b" / "nanay_export.tif", **SMALL)
    (tmp_path / "b" / name).write_bytes(raw)
    with open_scene(undated.path) as opened, pytest.raises(InputError) as caught:
        opened.require_acquired()
    assert (
        f"acquisition date unknown (no Planet metadata, no date in the name or tags; {words})"
        in (str(caught.value))
    )
    assert "\n" not in str(caught.value)


def test_two_metadata_files_of_two_times_are_said(tmp_path: Path) -> None:
    """A scene's ``_metadata.json`` and ``.xml`` a day apart (one of them another scene's):
    the more specific name dated it without a word. It still does, and the line says which
    file dated it and which disagreed; within a minute (Planet's JSON and XML of one scene
    write its time alike, to the second or not), nothing is said."""
    scene = write_scene(tmp_path / "nanay_export.tif", **SMALL)
    (tmp_path / "nanay_export_metadata.json").write_text(
        '{"properties": {"acquired": "2024-06-20T14:50:02.561Z"}}'
    )
    xml = tmp_path / "nanay_export.xml"
    xml.write_text("<m><acquired>2024-06-21T14:50:02Z</acquired></m>")
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2024, 6, 21, 14, 50, 2, tzinfo=UTC)  # the first
        assert opened.date_caveat == (
            "dated 2024-06-21 14:50 UTC by nanay_export.xml, while nanay_export_metadata.json "
            "says 2024-06-20 14:50 UTC: check which is the scene's (a sidecar of another "
            "scene?), or give the date with --dates"
        )
    xml.write_text("<m><acquired>2024-06-20T14:50:02+00:00</acquired></m>")
    placeholder = tmp_path / "nanay_export_metadata.xml"  # after them: none of its dates
    placeholder.write_text("<m><acquired>1970-01-01T00:00:00Z</acquired></m>")
    with open_scene(scene.path) as opened:
        assert opened.acquired == datetime(2024, 6, 20, 14, 50, 2, tzinfo=UTC)
        assert opened.date_caveat is None
