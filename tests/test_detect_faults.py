"""Batch detection's faults: bad scenes are one line each while the batch goes on, an output
named for no format (or for another than --format) is one line before any work, and a
`dredge detect --overwrite` stopped midway never leaves a table and failures of two runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS
from typer.testing import CliRunner

from detector.cli import app
from detector.detect import detect_scenes, output_format
from tests.detect_fixtures import PLANET, _rivers, _scene
from tests.geo_fixtures import truncate, write_scene
from tests.model_fixtures import BrightBlobDetector, card_for_blobs


def test_bad_scenes_are_one_line_each_and_the_batch_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "scenes"
    good = _scene(folder / PLANET)
    bad = {
        "no_crs.tif": write_scene(folder / "no_crs.tif", with_crs=False, width=60, height=60),
        "cut.tif": _scene(folder / "2024-02-01_cut.tif"),
        "far.tif": write_scene(
            folder / "2024-02-02_far.tif", width=60, height=60, centre_lonlat=(-74.5, -3.75)
        ),
        "empty.tif": write_scene(folder / "2024-02-03_empty.tif", width=300, height=300),
        "rgb.tif": write_scene(
            folder / "2024-02-04_rgb.tif", bands=3, dtype="uint8", width=300, height=300
        ),
        "undated.tif": write_scene(folder / "undated.tif", width=300, height=300),
        "north.tif": _scene(folder / "2024-02-05_north.tif"),
    }
    truncate(bad["cut.tif"].path)
    with rasterio.open(bad["north.tif"].path, "r+") as dst:
        dst.crs = CRS.from_epsg(32618)  # zone 18N picked for zone 18S's coordinates
    with rasterio.open(bad["empty.tif"].path, "r+") as dst:
        dst.write(np.zeros((dst.count, dst.height, dst.width), dtype=np.uint16))
    card = card_for_blobs(tmp_path / "model", bands=("nir", "red", "green"))
    errors: list[str] = []

    frame, failures = detect_scenes(
        [folder],
        _rivers(tmp_path, good),
        model=BrightBlobDetector(card),
        progress=False,
        warn=errors.append,
    )

    assert set(frame["scene"]) == {PLANET} and len(frame) == 3
    assert len(failures) == len(errors) == len(bad)
    assert all(line.startswith("error: ") and "\n" not in line for line in errors)
    reasons = {Path(path).name: message for path, message in failures}
    expected = {
        "no_crs.tif": "has no CRS",
        "2024-02-01_cut.tif": "is truncated",
        "2024-02-02_far.tif": "does not overlap any river corridor",
        "2024-02-03_empty.tif": "has no valid pixels where it meets the rivers",
        "2024-02-04_rgb.tif": "has no nir band that model test-blobs needs",
        "undated.tif": "acquisition date unknown",
        "2024-02-05_north.tif": "but in EPSG:32718 (the same UTM zone, other hemisphere) it "
        "lies on nanay — if that is where it was taken, set it: gdal_edit.py -a_srs EPSG:32718",
    }
    assert set(reasons) == set(expected)
    for name, fragment in expected.items():
        assert reasons[name].startswith(str(folder / name)) and fragment in reasons[name]
        assert " — " in reasons[name]  # every line says how to fix it


def test_cli_detect_of_one_scene_that_fails_says_so_in_the_singular(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge detect` of one scene that cannot be read ended '1 of 1 scene(s) failed'."""
    import detector.model

    blobs: Any = BrightBlobDetector(card_for_blobs(tmp_path / "model"))
    blobs.describe, blobs.notes = (lambda: "bright blobs"), []
    monkeypatch.setattr(detector.model, "load_model", lambda *args, **kwargs: blobs)
    rivers = _rivers(tmp_path, _scene(tmp_path / "good" / PLANET))
    broken = write_scene(tmp_path / "no_crs.tif", with_crs=False, width=60, height=60)
    out = tmp_path / "detections.parquet"
    args = ["detect", str(broken.path), "--rivers", str(rivers), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 1, result.output
    failures = out.with_name("detections.failures.csv")
    assert result.stderr.strip().endswith(f"error: 1 of 1 scene failed; see {failures}")


@pytest.mark.parametrize("name", ["detections.csv", "detections.shp", "detections.kml"])
def test_detections_to_a_file_of_no_known_format_is_one_clear_error(
    tmp_path: Path, name: str
) -> None:
    """`--out detections.csv` (to open in Excel) wrote GeoParquet under that name, without a
    word; it is refused before any work, as `dredge counts` refuses `counts.xml`."""
    fixture = _scene(tmp_path / PLANET)
    out = tmp_path / name
    args = ["detect", str(fixture.path), "--rivers", str(_rivers(tmp_path, fixture))]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--no-progress"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{out}: no detections format ends in" in lines[0]
    assert "end the name in .parquet, .gpkg or .geojson, or give --format" in lines[0]
    assert not out.exists()
    assert output_format(out, "geojson") == "geojson"  # --format still names any file
    assert output_format(tmp_path / "detections") == "parquet"
    assert output_format(tmp_path / "d.GeoParquet") == "parquet"


def test_detections_named_for_another_format_than_format_is_one_clear_error(
    tmp_path: Path,
) -> None:
    """`--out d.parquet --format geojson` wrote GeoJSON under that name (GeoPandas' Parquet
    reader refused it), as `dredge counts --out c.json --format csv` wrote CSV."""
    fixture = _scene(tmp_path / PLANET)
    out = tmp_path / "d.parquet"
    args = ["detect", str(fixture.path), "--rivers", str(_rivers(tmp_path, fixture))]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--format", "geojson"])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"error: {out}: --format is geojson, but the name ends in .parquet — end it in "
        ".geojson, or leave --format out"
    )
    assert not out.exists()
    assert output_format(tmp_path / "d.json", "geojson") == "geojson"
    assert output_format(tmp_path / "d.GPKG", "gpkg") == "gpkg"
    with pytest.raises(ValueError, match=r"--format is parquet, but the name ends in \.gpkg"):
        output_format(tmp_path / "d.gpkg", "parquet")


def _detect_stopped(
    stop: str, out: Path, scenes: list[str], rivers: Path, failed: list[tuple[str, str]]
) -> None:
    """`dredge detect --overwrite` that finds ``failed`` and is stopped (``stop``) just after
    its table would have been renamed into place."""
    import os

    import detector.detect as detect
    import detector.model as model
    import detector.writing as writing

    class Stub:
        def __init__(self) -> None:
            self.notes: list[str] = []

        def describe(self) -> str:
            return "stub"

    real_replace, stopped = os.replace, list[object]()

    def replace(source: object, target: object) -> None:
        real_replace(source, target)  # type: ignore[arg-type]
        if Path(str(target)) == out and not stopped:
            stopped.append(target)
            if stop == "kill":
                os._exit(9)
            raise KeyboardInterrupt

    frame = detect.empty_detections()
    detect.detect_scenes = lambda *a, **k: (frame, failed)
    model.load_model = lambda *a, **k: Stub()  # type: ignore[assignment]
    writing.os.replace = replace  # type: ignore[assignment]
    args = [*scenes, "--rivers", str(rivers), "--out", str(out), "--no-progress", "--overwrite"]
    CliRunner().invoke(app, ["detect", *args])


@pytest.mark.parametrize("stop", ["ctrl-c", "kill"])
@pytest.mark.parametrize("failed_again", [True, False])
def test_detections_and_their_failures_are_never_of_two_runs(
    stop: str, failed_again: bool, tmp_path: Path
) -> None:
    """`dredge detect --overwrite` wrote its table, then `<stem>.failures.csv` (or removed it):
    stopped in between, the new table lay beside the earlier run's failures (a scene listed as
    failed that the table holds). Now both are written together: the earlier pair or the new
    one, also after a kill, once the next command has put a set aside back."""
    import multiprocessing

    from detector.writing import remove_stale_temporaries

    good = write_scene(tmp_path / "scenes" / PLANET, width=60, height=60)
    bad = write_scene(tmp_path / "scenes" / "other.tif", width=60, height=60)
    rivers = _rivers(tmp_path, good)
    out = tmp_path / "detections.parquet"
    failures = tmp_path / "detections.failures.csv"
    out.write_text("earlier table")
    failures.write_text(f"scene,error\n{good.path},earlier\n")
    failed = [(str(bad.path), "its error")] if failed_again else []
    context = multiprocessing.get_context("spawn")  # a fork hangs after onnxruntime's threads
    child = context.Process(
        target=_detect_stopped, args=(stop, out, [str(good.path), str(bad.path)], rivers, failed)
    )
    child.start()
    child.join(120)
    remove_stale_temporaries(out, failures)  # as the next command does before it writes
    table = out.read_bytes()
    listed = failures.read_text(encoding="utf-8-sig") if failures.exists() else None
    if table == b"earlier table":
        assert listed == f"scene,error\n{good.path},earlier\n"  # the earlier pair
    else:  # the new table, with its own failures or none
        assert table[:4] == b"PAR1"
        if failed_again:
            assert listed is not None and "its error" in listed and "earlier" not in listed
        else:
            assert listed in (None, "scene,error\n")
