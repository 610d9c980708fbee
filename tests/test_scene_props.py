"""Property-based tests of the scene reader: whatever bytes a ``.tif`` holds, opening it and
reading it either works or raises one InputError line naming the file, never anything else.

Hypothesis writes random bytes (some behind a TIFF or BigTIFF signature), real GeoTIFFs cut
short at any byte, real GeoTIFFs with bytes overwritten in their header, tags and GeoKeys, and
real scenes beside a damaged UDM2 (or older UDM) cloud mask. A scene that opens is read whole
at its own grid (the direct window path) and at a coarser grid (the warped path), as ``dredge
run`` would.
``dredge run`` relies on this: a scene that raises anything but an InputError stops the batch.

Cases the search found, each now a fixed test at the end: a GDAL error after opening (a
damaged strip-offsets tag; a UDM2 whose GeoKeys make an engineering CRS), a CRS citation that
is not UTF-8, GeoKeys that PROJ cannot use, and a CRS in degrees over coordinates in metres.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from rasterio.windows import Window

from detector.errors import InputError
from detector.inputspec import InputSpec
from detector.scene import open_scene, reading_env
from tests.geo_fixtures import write_scene, write_udm, write_udm2

NAME = "20240301_141500_00_2401_3B_AnalyticMS_SR.tif"  # a Planet name: the date is known
KINDS = ("tiled", "striped", "rgb8")


SETTINGS = settings(
    max_examples=int(os.environ.get("DREDGE_PROPERTY_EXAMPLES", "40")),  # more: a deeper search
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Originals(dict[str, bytes]):
    """File bytes by kind (a short repr keeps hypothesis' reports readable)."""

    def __repr__(self) -> str:
        return f"Originals({', '.join(f'{k}: {len(v):,} bytes' for k, v in self.items())})"


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> Originals:
    """The bytes of small real scenes: tiled uint16 BGRN, striped uint16 BGRN, 8-bit RGB; and
    of a UDM2 mask and an older UDM."""
    folder = tmp_path_factory.mktemp("originals")
    w, h = 160, 140
    scenes = {
        "tiled": write_scene(folder / "tiled" / NAME, block_px=64, width=w, height=h),
        "striped": write_scene(folder / "striped" / NAME, tiled=False, width=w, height=h),
        "rgb8": write_scene(folder / "rgb8" / NAME, bands=3, dtype="uint8", width=w, height=h),
    }
    out = Originals({kind: scene.path.read_bytes() for kind, scene in scenes.items()})
    out["udm2"] = write_udm2(scenes["tiled"]).read_bytes()
    out["udm"] = write_udm(scenes["tiled"]).read_bytes()  # Planet's older UDM, before 2018
    return out


def check(path: Path, *, also: tuple[Path, ...] = ()) -> None:
    """Open and read ``path``: it works, or one InputError line names it (or a file in ``also``).

    Read as ``dredge run`` reads: windows of the grid at the model's 3 m (the file's own grid:
    direct reads) and at 7.5 m (warped reads), and the cheap validity look of the tiler.
    """
    try:
        with reading_env(), open_scene(path) as scene:
            spec = InputSpec(scene.bands[:3], gsd_m=3.0, tile_px=64, overlap_px=0)
            for gsd_m in (3.0, 7.5):
                grid = scene.grid(gsd_m)
                window = Window(0, 0, min(grid.width, 64), min(grid.height, 64))
                data = scene.read_window(window, spec, grid)
                scene.read_validity(window, grid)
                assert np.isfinite(data.data).all()
                assert data.data.min() >= 0 and data.data.max() <= 1
    except InputError as exc:
        message = str(exc)
        event(f"InputError: {exc.problem.split(' (')[0][:40]}")
        assert any(message.startswith(f"{p}: ") for p in (path, *also)), message
        assert "\n" not in message and exc.fix, message
        return
    event("read")


@SETTINGS
@given(
    head=st.sampled_from([b"", b"II*\x00", b"MM\x00*", b"II+\x00\x08\x00\x00\x00"]),
    body=st.binary(max_size=4096),
)
@example(head=b"", body=b"")
def test_random_bytes(head: bytes, body: bytes, tmp_path: Path) -> None:
    path = tmp_path / NAME
    path.write_bytes(head + body)
    check(path)


@SETTINGS
@given(kind=st.sampled_from(KINDS), keep=st.floats(0.0, 1.0, exclude_max=True))
@example(kind="tiled", keep=0.5)
@example(kind="striped", keep=0.99)
def test_truncated_geotiff(
    kind: str, keep: float, originals: dict[str, bytes], tmp_path: Path
) -> None:
    data = originals[kind]
    path = tmp_path / NAME
    path.write_bytes(data[: int(len(data) * keep)])
    check(path)


@SETTINGS
@given(
    kind=st.sampled_from(KINDS),
    edits=st.lists(st.tuples(st.integers(0, 1023), st.integers(0, 255)), min_size=1, max_size=6),
    anywhere=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=3
    ),
)
@example(kind="tiled", edits=[(162, 162)], anywhere=[])  # a second alpha band: once ValueError
def test_geotiff_with_damaged_header(
    kind: str,
    edits: list[tuple[int, int]],
    anywhere: list[tuple[float, int]],
    originals: dict[str, bytes],
    tmp_path: Path,
) -> None:
    """Bytes overwritten in the first KiB (header, tags, GeoKeys) and anywhere in the file."""
    data = bytearray(originals[kind])
    for offset, value in edits:
        data[offset % len(data)] = value
    for where, value in anywhere:
        data[int(where * len(data))] = value
    path = tmp_path / NAME
    path.write_bytes(bytes(data))
    check(path)


@SETTINGS
@given(
    damage=st.one_of(
        st.tuples(st.just("truncate"), st.floats(0.0, 1.0, exclude_max=True)),
        st.tuples(st.just("random"), st.binary(max_size=512)),
        st.tuples(
            st.just("edit"),
            st.lists(st.tuples(st.integers(0, 1023), st.integers(0, 255)), min_size=1, max_size=6),
        ),
    ),
    mask=st.sampled_from(["udm2", "udm"]),
)
def test_scene_beside_a_damaged_udm2(
    damage: tuple[str, object], mask: str, originals: dict[str, bytes], tmp_path: Path
) -> None:
    """A whole scene with a broken cloud mask (UDM2, or the older UDM) beside it: read, or one
    line naming either file."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis reuses tmp_path: one per example
    scene = folder / NAME
    scene.write_bytes(originals["tiled"])
    suffix = "_udm2.tif" if mask == "udm2" else "_AnalyticMS_DN_udm.tif"
    udm2 = folder / NAME.replace("_AnalyticMS_SR.tif", suffix)
    data = originals[mask]
    kind, how = damage
    if kind == "truncate":
        assert isinstance(how, float)
        udm2.write_bytes(data[: int(len(data) * how)])
    elif kind == "random":
        assert isinstance(how, bytes)
        udm2.write_bytes(how)
    else:
        assert isinstance(how, list)
        edited = bytearray(data)
        for offset, value in how:
            edited[offset % len(edited)] = value
        udm2.write_bytes(bytes(edited))
    check(scene, also=(udm2,))


# --------------------------------------------------------------------------------------------
# Cases the property tests found (once uncaught errors, now one InputError line each)


def edited(data: bytes, edits: dict[int, int]) -> bytes:
    out = bytearray(data)
    for offset, value in edits.items():
        out[offset] = value
    return bytes(out)


def test_damaged_strip_offsets_tag_is_one_line(originals: Originals, tmp_path: Path) -> None:
    """Byte 72 of the striped file is the type of its StripOffsets tag; 0 is no type."""
    path = tmp_path / NAME
    path.write_bytes(edited(originals["striped"], {72: 0}))
    with pytest.raises(InputError, match=r"^.*\.tif: "):
        open_scene(path).close()


def test_udm2_with_an_engineering_crs_is_one_line(originals: Originals, tmp_path: Path) -> None:
    """Byte 522 of the UDM2 is in its GeoKeys: the CRS becomes an engineering CRS that PROJ
    cannot transform to the scene's."""
    scene = tmp_path / NAME
    scene.write_bytes(originals["tiled"])
    udm2 = tmp_path / NAME.replace("_AnalyticMS_SR.tif", "_udm2.tif")
    udm2.write_bytes(edited(originals["udm2"], {522: 49}))
    with open_scene(scene) as opened:
        spec = InputSpec(opened.bands[:3], 3.0, tile_px=64, overlap_px=0)
        with pytest.raises(InputError):
            opened.read_window(Window(0, 0, 64, 64), spec)


def test_geokeys_that_proj_cannot_use_are_one_line(originals: Originals, tmp_path: Path) -> None:
    """Byte 394 of the 8-bit file is in its GeoKeys: PROJ cannot make a transformer of the CRS."""
    path = tmp_path / NAME
    path.write_bytes(edited(originals["rgb8"], {394: 1}))
    with pytest.raises(InputError, match=r"^.*\.tif: "):
        open_scene(path).close()


def test_a_crs_citation_not_in_utf8_is_one_line(originals: Originals, tmp_path: Path) -> None:
    """Bytes 530 and 595 of the striped file: a GeoKey and a byte of the CRS citation text."""
    data = originals["striped"]
    path = tmp_path / NAME
    path.write_bytes(edited(data, {530: 0, int(0.2890625 * len(data)): 128}))
    with pytest.raises(InputError, match=r"^.*\.tif: "):
        open_scene(path).close()


def test_degrees_crs_over_metre_coordinates_is_one_line(
    originals: Originals, tmp_path: Path
) -> None:
    """Byte 530 of the striped file (a GeoKey) set to 2: the CRS reads EPSG:4326 while the
    transform stays in UTM metres (x 688,552, y 9,585,533): a file mislabelled with
    ``gdal_edit.py -a_srs EPSG:4326`` looks the same."""
    path = tmp_path / NAME
    path.write_bytes(edited(originals["striped"], {530: 2}))
    with pytest.raises(InputError, match=r"^.*\.tif: has a CRS in degrees"):
        open_scene(path).close()
