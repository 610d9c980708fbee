"""Runs and edits for the dredges.kml tests (test_kml_edits*.py): a dredge tracked as two, two
runs of it, three tracks merged by hand, and the placemark and folder edits Google Earth makes
(paste, rename, strip the run keys), then `dredge track` on the edited file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd

from detector.exports import KML_NS, write_kml
from detector.track_pipeline import TrackRun, run_track
from tests import track_fixtures as tf
from tests.track_fixtures import straight_line

K = f"{{{KML_NS}}}"


def _split_dredge(tmp_path: Path, along_m: float = 500.0, start_days: int = 0) -> tuple[Path, Path]:
    """A dredge seen on 3 dates, then unseen 100 days and seen on 3 more: tracked as two
    (tracks 1 and 2); the rivers file and the run's dredges.kml."""
    line = straight_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    first = [t + pd.Timedelta(days=start_days) for t in tf.dates(3)]
    days = first + [t + pd.Timedelta(days=100) for t in first]
    dets = tf.detections([(t, tf.point_at(line, along_m)) for t in days])
    dets.to_parquet(tmp_path / "detections.parquet")
    run_track(tmp_path / "detections.parquet", rivers, tmp_path / "tracks.parquet")
    tracks = gpd.read_parquet(tmp_path / "tracks.parquet")
    linked = gpd.read_parquet(tmp_path / "tracks.detections.parquet")
    assert linked["track_id"].tolist() == [1, 1, 1, 2, 2, 2]
    kml, _ = write_kml(tracks, tmp_path / "dredges.kml", linked)
    return rivers, kml


def _detection_folder(root: ET.Element) -> ET.Element:
    folders = root.iter(f"{K}Folder")
    return next(f for f in folders if (f.findtext(f"{K}name") or "").startswith("Detections"))


def _dredges_folder(root: ET.Element) -> ET.Element:
    folders = root.iter(f"{K}Folder")
    return next(f for f in folders if (f.findtext(f"{K}name") or "").startswith("Dredges"))


def _two_runs(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Run A's rivers and dredges.kml (in ``a/``), and run B's dredges.kml (in ``b/``: its
    dredges 2.5 km away, seen the next year)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    rivers, kml = _split_dredge(tmp_path / "a")
    _, other = _split_dredge(tmp_path / "b", along_m=3000.0, start_days=400)
    return rivers, kml, other


def _placemarks(element: ET.Element, ends: str | tuple[str, ...]) -> list[ET.Element]:
    """The placemarks in ``element`` whose name ends with ``ends``."""
    marks = element.iter(f"{K}Placemark")
    return [mark for mark in marks if (mark.findtext(f"{K}name") or "").endswith(ends)]


def _track_edited(root: ET.Element, edited: Path, rivers: Path) -> TrackRun:
    """``root`` saved as ``edited`` (as Google Earth saves a file) and tracked again, into
    ``again.parquet`` beside it."""
    ET.ElementTree(root).write(edited, encoding="utf-8", xml_declaration=True)
    return run_track(edited, rivers, edited.parent / "again.parquet")


def _paste(root: ET.Element, marks: list[ET.Element]) -> None:
    """``marks`` pasted into ``root``'s document in a folder of their own."""
    folder = ET.SubElement(root.find(f"{K}Document"), f"{K}Folder")  # type: ignore[arg-type]
    ET.SubElement(folder, f"{K}name").text = "from run B"
    folder.extend(marks)


def _keyless(root: ET.Element) -> ET.Element:
    """``root`` without its run keys, as dredges.kml was written before it had them: which
    dredges are another run's is told by their numbers."""
    for data in root.iter(f"{K}ExtendedData"):
        for item in [d for d in data if d.get("name") == "run"]:
            data.remove(item)
    return root


def _three_tracks(tmp_path: Path, start_days: int = 0) -> Path:
    """Dredge X split by the tracker (tracks 1, 2) beside dredge Y (track 3): the rivers file;
    the tracks are ``split.parquet`` and ``split.detections.parquet`` beside it."""
    line = straight_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    first = [t + pd.Timedelta(days=start_days) for t in tf.dates(3)]
    later = [t + pd.Timedelta(days=100) for t in first]
    beside = [t + pd.Timedelta(days=101) for t in first]
    marks = [(t, tf.point_at(line, 500.0)) for t in first + later]
    dets = tf.detections(marks + [(t, tf.point_at(line, 3000.0)) for t in beside])
    dets.to_parquet(tmp_path / "detections.parquet")
    run_track(tmp_path / "detections.parquet", rivers, tmp_path / "split.parquet")
    return rivers


def _kml_after_a_merge(tmp_path: Path, start_days: int = 0) -> tuple[Path, Path]:
    """Dredge X split by the tracker (tracks 1, 2) beside dredge Y (track 3), then merged by
    hand (track 2's detections given track_id 1) and tracked again: tracks 1 and 3, as a
    merge keeps the lower id. The rivers file and that run's dredges.kml ('Dredges (2)')."""
    rivers = _three_tracks(tmp_path, start_days)
    linked = gpd.read_parquet(tmp_path / "split.detections.parquet")
    assert linked["track_id"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    linked.loc[linked["track_id"] == 2, "track_id"] = 1
    linked.to_parquet(tmp_path / "merged.parquet")
    run_track(tmp_path / "merged.parquet", rivers, tmp_path / "tracks.parquet")
    tracks = gpd.read_parquet(tmp_path / "tracks.parquet")
    assert tracks["track_id"].tolist() == [1, 3]
    linked = gpd.read_parquet(tmp_path / "tracks.detections.parquet")
    kml, _ = write_kml(tracks, tmp_path / "dredges.kml", linked)
    return rivers, kml
