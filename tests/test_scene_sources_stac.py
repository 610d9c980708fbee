"""SCENES for ``dredge run`` given as STAC JSON (item collections, items, catalogs, by file or
URL): the assets taken as scenes, their links and names, and their dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from detector.acquisition import scene_labels
from detector.errors import DredgeError, InputError
from detector.scene import open_scene
from detector.scene_sources import resolve_scenes
from tests.geo_fixtures import write_scene
from tests.scene_source_fixtures import stac_item

SMALL: dict[str, Any] = {"width": 40, "height": 40}


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


def test_a_stac_item_of_a_range_of_days_is_dated_by_its_first_day_and_said(tmp_path: Path) -> None:
    """An item whose ``datetime`` is null and whose ``start_datetime`` and ``end_datetime`` are
    a month apart (a mosaic, a composite) dated its scene by its first day, without a word. It
    still does, as a mosaic's name or a range in a file name dates it, with one note naming the
    file, the range and --dates; an item of one UTC day is dated by its start, unsaid."""
    items = []
    for name, start, end in (
        ("m1", "2024-06-01T00:00:00Z", "2024-06-30T23:59:59Z"),
        ("m2", "2024-07-01T00:00:00Z", "2024-07-31T23:59:59Z"),
        ("p1", "2024-06-20T14:50:02Z", "2024-06-20T14:50:09Z"),
        ("d1", "2024-06-21T00:00:00Z", "2024-06-22T00:00:00Z"),  # one day, to its next midnight
    ):
        item = stac_item(name, "unused", str(tmp_path / f"{name}_SR.tif"))
        item["properties"] = {"datetime": None, "start_datetime": start, "end_datetime": end}
        items.append(item)
    path = tmp_path / "search.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    sources = resolve_scenes([path])
    assert len(sources.paths) == 4
    assert sources.dates == {
        sources.paths[0]: datetime(2024, 6, 1, tzinfo=UTC),
        sources.paths[1]: datetime(2024, 7, 1, tzinfo=UTC),
        sources.paths[2]: datetime(2024, 6, 20, 14, 50, 2, tzinfo=UTC),
        sources.paths[3]: datetime(2024, 6, 21, tzinfo=UTC),
    }
    said = [note for note in sources.notes if "range" in note]
    assert said == [
        f"{path}: 2 STAC items cover a range of days, not one acquisition (datetime null), e.g. "
        "m1 (2024-06-01 to 2024-06-30): their scenes are dated by the range's first day, as a "
        "mosaic's name dates it; if they show another day of it, give those dates with --dates"
    ]
    path.write_text(json.dumps(items[0]))  # an Item alone: in the singular
    sources = resolve_scenes([path])
    assert sources.dates == {sources.paths[0]: datetime(2024, 6, 1, tzinfo=UTC)}
    assert [n for n in sources.notes if "range" in n] == [
        f"{path}: 1 STAC item covers a range of days, not one acquisition (datetime null), "
        "m1 (2024-06-01 to 2024-06-30): its scene is dated by the range's first day, as a "
        "mosaic's name dates it; if it shows another day of it, give that date with --dates"
    ]


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
