"""dredges.kml given back to `dredge track` with another run's detection placemarks pasted
into it, told by the run key in their data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

from detector.exports import KML_NS, write_kml
from detector.track_files import read_detections
from detector.track_pipeline import run_track
from tests import track_fixtures as tf

K = f"{{{KML_NS}}}"


def _run(folder: Path, along_m: float, start_days: int) -> Path:
    """A run in ``folder``: a dredge at ``along_m`` seen on 3 dates, unseen 100 days, then
    seen on 3 more (tracks 1 and 2); its dredges.kml."""
    folder.mkdir()
    x0, y0 = tf.ORIGIN
    line = LineString([(x0 - 3000, y0), (x0 + 3000, y0)])
    rivers = folder / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    first = [t + pd.Timedelta(days=start_days) for t in tf.dates(3)]
    days = first + [t + pd.Timedelta(days=100) for t in first]
    tf.detections([(t, tf.point_at(line, along_m)) for t in days]).to_parquet(
        folder / "detections.parquet"
    )
    run_track(folder / "detections.parquet", rivers, folder / "tracks.parquet")
    linked = gpd.read_parquet(folder / "tracks.detections.parquet")
    assert linked["track_id"].tolist() == [1, 1, 1, 2, 2, 2]
    kml, _ = write_kml(gpd.read_parquet(folder / "tracks.parquet"), folder / "dredges.kml", linked)
    return kml


def _folder(root: ET.Element, start: str) -> ET.Element:
    """``root``'s first folder whose name starts with ``start``."""
    folders = root.iter(f"{K}Folder")
    return next(f for f in folders if (f.findtext(f"{K}name") or "").startswith(start))


def _named(root: ET.Element, start: str, ends: str) -> list[ET.Element]:
    """The placemarks of ``_folder(root, start)`` whose names end with ``ends``."""
    return [m for m in _folder(root, start) if (m.findtext(f"{K}name") or "").endswith(ends)]


def test_another_runs_detection_of_a_deleted_dredges_number_is_linked_anew(
    tmp_path: Path,
) -> None:
    """Run A's dredge 2 placemark deleted (its 3 detections kept) and run B's detection of its
    dredge 2 (2.5 km away, the next year) pasted alone: its run key is B's, yet it was left
    out with A's as 'whose placemark was deleted'. It is another run's, linked anew as
    another run's pasted detections are, with that note; A's dredge 2's own are left out.
    Without run keys it is told by its number, and left out with A's as before."""
    kml = _run(tmp_path / "a", 500.0, 0)
    other = _run(tmp_path / "b", 3000.0, 400)
    root = ET.fromstring(kml.read_bytes())
    dredges = _folder(root, "Dredges")
    for mark in _named(root, "Dredges", "Dredge 2 (Meander)"):
        dredges.remove(mark)
    pasted = _named(ET.fromstring(other.read_bytes()), "Detections", " dredge 2")[:1]
    folder = ET.SubElement(root.find(f"{K}Document"), f"{K}Folder")  # type: ignore[arg-type]
    ET.SubElement(folder, f"{K}name").text = "from run B"
    folder.extend(pasted)
    edited = tmp_path / "pasted.kml"
    ET.ElementTree(root).write(edited, encoding="utf-8", xml_declaration=True)
    again = read_detections(edited)
    notes = " ".join(again.attrs["notes"])
    assert again["track_id"].tolist() == ["1"] * 3 + [None], notes  # B's was left out with A's
    assert again["link"].isna().tolist() == [False] * 3 + [True]
    assert "1 detection placemark of another run (run key" in notes, notes
    assert "it is linked anew as a detection" in notes
    assert "3 detections of 1 dredge whose placemark was deleted (dredge 2) left out" in notes
    for data in root.iter(f"{K}ExtendedData"):  # a file written before run keys: by numbers
        for item in [d for d in data if d.get("name") == "run"]:
            data.remove(item)
    ET.ElementTree(root).write(edited, encoding="utf-8", xml_declaration=True)
    assert read_detections(edited)["track_id"].tolist() == ["1"] * 3  # B's left out with A's
