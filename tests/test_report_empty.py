"""The report of a run with nothing to show, or without the model card to show it by."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import LineString

from detector.report import _maps, _summary
from detector.rivers import RiverNetwork
from tests.geo_fixtures import write_rivers, write_scene
from tests.model_fixtures import BrightBlobDetector, card_for_blobs


def test_the_summary_of_a_run_without_detections_asks_to_check_none_below() -> None:
    """With no detection the summary said "Check the least certain detections below before
    publishing" above a gallery that had none."""
    counts = pd.DataFrame({"river": ["Nanay"], "year": [2024], "scenes": [3], "unique_high": [0]})
    tracks = pd.DataFrame({"counted": [], "static": []})
    text = _summary({"scenes": ["a.tif"]}, pd.DataFrame(), tracks, counts, None)
    assert "least certain" not in text
    assert "No dredge was detected, so there is no detection below to check." in text
    found = pd.DataFrame({"link": ["new"]})
    text = _summary({"scenes": ["a.tif"]}, found, tracks.assign(counted=[True], static=[False]),
                    counts, None)  # fmt: skip
    assert "Check the least certain detections below before publishing." in text


def test_a_run_without_detections_on_many_rivers_does_not_say_they_have_fewer_dredges(
    tmp_path: Path,
) -> None:
    """With no detection and more than 12 rivers imaged, the note under the maps said "2 more
    rivers with fewer dredges counted not drawn", where no river had any."""
    names = [f"Río {chr(65 + i)}" for i in range(14)]
    lines = {n: LineString([(500_000 + 1000 * i, 9_500_000), (500_000 + 1000 * i, 9_502_000)])
             for i, n in enumerate(names)}  # fmt: skip
    rivers = RiverNetwork.read(write_rivers(tmp_path / "r.geojson", lines, crs="EPSG:32718"))
    empty = gpd.GeoDataFrame({"river": []}, geometry=[], crs="EPSG:4326")
    tracks = gpd.GeoDataFrame({"river": [], "counted": []}, geometry=[], crs="EPSG:4326")
    seen = pd.DataFrame({"river": names, "date": ["2024-01-10"] * len(names)})
    page = _maps(rivers, empty, tracks, seen)
    assert page.count("alt='map of ") == 12
    assert "fewer dredges" not in page
    assert "2 more rivers imaged, none with a detection, not drawn: Río M, Río N." in page
    page = _maps(rivers, empty, tracks)  # which rivers the scenes looked at is not known
    assert "fewer dredges" not in page
    assert "2 more rivers, none with a detection, not drawn: Río M, Río N." in page


def test_a_run_from_python_with_a_detector_without_a_model_card_shows_its_detections(
    tmp_path: Path,
) -> None:
    """A detector given to run_pipeline from Python whose ``card`` is not a ModelCard: the
    gallery said "No detections to show." of a run with 3 detections; then run.json recorded
    ``"model": null``, so the summary said "model ?" and the chips were cut in red, green,
    blue at 3 m. run.json records the card's name, classes and input (looked up by name), and
    the report uses them; a run.json without them still shows its chips at 3 m, saying why:
    no model at all, or a model without an input (the line said the second of either)."""
    from detector.report import write_report
    from detector.run import run_pipeline
    from training.review import export_review

    scene = write_scene(tmp_path / "20240115_143000_00_2400_3B_AnalyticMS_SR.tif")
    rivers = write_rivers(tmp_path / "rivers.geojson", {"nanay": scene.river}, crs=scene.crs)
    card = card_for_blobs(tmp_path / "model", bands=("nir", "red", "green"))
    no_card = SimpleNamespace(
        name=card.name, classes=card.classes, input=card.input, check_scene=card.check_scene
    )
    out = tmp_path / "out"
    run_pipeline([scene.path], rivers, out, model=BrightBlobDetector(no_card),  # type: ignore[arg-type]
                 flips=False, progress=False, echo=lambda _: None, warn=lambda _: None)  # fmt: skip
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    recorded = manifest["model"]
    assert recorded["name"] == card.name and recorded["classes"] == list(card.classes)
    assert recorded["input"] == card.to_dict()["input"]
    assert "weights" not in recorded and "not a ModelCard" in recorded["card"]
    found = len(gpd.read_parquet(out / "tracks.detections.parquet"))
    page = (out / "report.html").read_text(encoding="utf-8")
    gallery = page[page.index("<h2 id='chips'>") : page.index("<h2 id='inputs'>")]
    assert found == 3
    assert f"model {card.name}." in page and "model ?" not in page
    assert gallery.count("<figure>") == found
    assert "Chips are at the model's resolution, enlarged." in gallery
    assert "records no model" not in gallery
    write_report(out, {**manifest, "model": None}, rivers=RiverNetwork.read(rivers))
    page = (out / "report.html").read_text(encoding="utf-8")
    gallery = page[page.index("<h2 id='chips'>") : page.index("<h2 id='inputs'>")]
    assert "No detections to show" not in gallery
    assert gallery.count("<figure>") == found
    assert "Chips are at 3 m, enlarged." in gallery and "model's resolution" not in gallery
    assert "red, green, blue at 3 m" in gallery
    # no card at all: it said "(a detector given from Python whose card has no bands)"
    assert "run.json records no model (" in gallery and "without a card" in gallery
    assert "has no bands" not in gallery
    assert "model ?" in page
    bandless = {key: recorded[key] for key in ("name", "card", "classes")}
    write_report(out, {**manifest, "model": bandless}, rivers=RiverNetwork.read(rivers))
    page = (out / "report.html").read_text(encoding="utf-8")
    gallery = page[page.index("<h2 id='chips'>") : page.index("<h2 id='inputs'>")]
    assert "model records no input" in gallery and "card has no bands" in gallery
    assert "red, green, blue at 3 m" in gallery and "without a card" not in gallery
    reviewed = export_review(out / "detections.parquet", [], tmp_path / "review", count=3)
    assert "3" in reviewed  # cut as for a run.json without a card: by the bundled card


def test_a_card_of_another_kind_is_recorded_by_what_it_has() -> None:
    """run.json's ``model`` of a card that is not a ModelCard: what it has, looked up by name;
    an input that makes no InputSpec is left out (the report then cuts its own chips)."""
    from detector.inputspec import InputSpec
    from detector.run_outputs import _card_json

    assert _card_json(None) is None
    bare = _card_json(object())
    assert bare is not None and set(bare) == {"card"}
    spec = SimpleNamespace(bands=("red", "nir"), gsd_m=np.float32(10.0))
    got = _card_json(SimpleNamespace(name="mine", classes=["dredge"], input=spec))
    assert got is not None and got["name"] == "mine" and got["classes"] == ["dredge"]
    assert got["input"] == {"bands": ["red", "nir"], "gsd_m": 10.0}
    assert json.loads(json.dumps(got)) == got
    odd = _card_json(SimpleNamespace(name="odd", input=SimpleNamespace(bands=("ir",))))
    assert odd is not None and "input" not in odd
    assert _card_json(SimpleNamespace(input=InputSpec()))["input"]["gsd_m"] == 3.0  # type: ignore[index]
