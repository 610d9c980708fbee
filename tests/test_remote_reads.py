"""Scenes read by URL from a local HTTP server (tests/http_fixtures.py) that fails as real ones
do: a server that stops answering, a connection dropped or refused mid-file, an expired
signed link, a server without Range requests. Each is one line naming the URL and the fix, in
seconds, and in a batch the other scenes complete."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from detector import remote_reads
from detector.detect import detect_scenes
from detector.errors import InputError
from detector.inputspec import InputSpec
from detector.observed import observed_areas
from detector.scene import open_scene
from tests.geo_fixtures import write_rivers, write_scene
from tests.http_fixtures import STALL_S, serving
from tests.model_fixtures import BrightBlobDetector, card_for_blobs

PLANET = "20240115_143000_00_2400_3B_AnalyticMS_SR.tif"
QUICK = {"GDAL_HTTP_LOW_SPEED_TIME": "1", "GDAL_HTTP_MAX_RETRY": "0"}


def _noisy_scene(path: Path) -> Path:
    """A 300 px scene of noise: 720 KB that do not compress, so that its image data lies
    past the header's reads (the fixtures' scenes compress to a few KB)."""
    write_scene(path, width=300, height=300, block_px=128)
    with rasterio.open(path, "r+") as dst:
        noise = np.random.default_rng(0).integers(1, 3000, (dst.count, 300, 300))
        dst.write(noise.astype(np.uint16))
    return path


@pytest.fixture
def quick_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tool's own HTTP limits, at a second, in an environment that sets none (restored
    after the test: the tool writes its limits into the environment)."""
    for name in remote_reads.HTTP_DEFAULTS:
        # setenv first, so that monkeypatch records the variable, unset or not, and removes
        # what use_http_time_limits() writes at teardown (delenv of an unset name records
        # nothing: the 1 s limits stayed in os.environ for the rest of the session)
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    for name, value in QUICK.items():
        monkeypatch.setitem(remote_reads.HTTP_DEFAULTS, name, value)


def test_a_server_that_stops_answering_is_given_up_not_waited_on(
    tmp_path: Path, quick_limits: None
) -> None:
    """A server that accepted the connection and sent nothing held the read for ever (GDAL
    has no time limit by default; Ctrl-C and SIGTERM could not end it, as the wait is in C)."""
    write_scene(tmp_path / PLANET, width=40, height=40)
    with serving(tmp_path) as base:
        url = f"{base}/stall/{PLANET}"
        start = time.monotonic()
        with pytest.raises(InputError) as caught:
            open_scene(url)
        elapsed = time.monotonic() - start
    message = str(caught.value)
    assert elapsed < STALL_S / 2, f"waited {elapsed:.1f} s"
    assert message.startswith(f"{url}: could not be read over the network"), message
    assert "sent nothing for 1 s" in message and "GDAL_HTTP_LOW_SPEED_TIME" in message
    assert "\n" not in message


def test_the_users_own_time_limit_wins(quick_limits: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """GDAL_HTTP_LOW_SPEED_TIME set by the user is kept, and the message gives it."""
    monkeypatch.setenv("GDAL_HTTP_LOW_SPEED_TIME", "2")
    remote_reads.use_http_time_limits()
    assert os.environ["GDAL_HTTP_LOW_SPEED_TIME"] == "2"
    assert os.environ["GDAL_HTTP_CONNECTTIMEOUT"] == str(remote_reads.CONNECT_TIMEOUT_S)
    assert "for 2 s" in str(remote_reads.network_open_error("http://x/a.tif", "timed out"))


def test_a_server_that_accepts_no_connection_is_named_so(
    quick_limits: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that does not take the connection (its queue full, a firewall that drops the
    packets) is given up after GDAL_HTTP_CONNECTTIMEOUT, 30 s: the line said "the server sent
    nothing for 60 s" and to raise GDAL_HTTP_LOW_SPEED_TIME, which does not help."""
    import socket

    monkeypatch.setitem(remote_reads.HTTP_DEFAULTS, "GDAL_HTTP_CONNECTTIMEOUT", "1")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)  # never accepted: once its queue is full, connections time out
        port = server.getsockname()[1]
        waiting = [socket.socket() for _ in range(3)]
        for client in waiting:
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", port))
        time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/{PLANET}"
        try:
            with pytest.raises(InputError) as caught:
                open_scene(url)
        finally:
            for client in waiting:
                client.close()
    message = str(caught.value)
    assert message.startswith(f"{url}: could not be read over the network"), message
    assert "did not accept a connection within 1 s" in message, message
    assert "GDAL_HTTP_CONNECTTIMEOUT" in message and "LOW_SPEED" not in message
    for cause in (
        "Connection timed out after 30000 milliseconds",
        "Failed to connect to x port 443 after 30001 ms: Timeout was reached",
    ):
        assert "accept a connection" in str(remote_reads.network_open_error(url, cause))
    stall = "Operation too slow. Less than 1 bytes/sec transferred the last 1 seconds"
    assert "sent nothing for 1 s" in str(remote_reads.network_open_error(url, stall))


def test_a_server_error_once_is_retried(
    tmp_path: Path, quick_limits: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 503 from a busy server (S3, an order server) failed the scene at once."""
    monkeypatch.setitem(remote_reads.HTTP_DEFAULTS, "GDAL_HTTP_MAX_RETRY", "2")
    monkeypatch.setitem(remote_reads.HTTP_DEFAULTS, "GDAL_HTTP_RETRY_DELAY", "0.05")
    _noisy_scene(tmp_path / PLANET)
    with serving(tmp_path) as base, open_scene(f"{base}/flaky/{PLANET}") as scene:
        read = scene.read_window(Window(0, 0, 300, 300), InputSpec(bands=("red",)))
    assert read.valid.all()


@pytest.mark.parametrize("fault", ["data-status=500", "data-drop", "data-stall"])
def test_a_url_failing_mid_file_is_a_network_error_not_a_corrupt_file(
    tmp_path: Path, quick_limits: None, fault: str
) -> None:
    """The header came, then the image data did not (a server error, a dropped connection, a
    stall): it was 'cannot be read (TIFFFillTile:Read error …) — the file may be truncated or
    corrupt; download or export it again'."""
    _noisy_scene(tmp_path / PLANET)
    with serving(tmp_path) as base:
        url = f"{base}/{fault}/{PLANET}"
        start = time.monotonic()
        with open_scene(url) as scene, pytest.raises(InputError) as caught:
            scene.read_window(Window(0, 0, 300, 300), InputSpec(bands=("red",)))
        elapsed = time.monotonic() - start
    message = str(caught.value)
    assert message.startswith(f"{url}: could not be read over the network"), message
    assert "corrupt" not in message and "download the scenes" in message and "\n" not in message
    assert elapsed < STALL_S / 2, f"waited {elapsed:.1f} s"


@pytest.mark.parametrize(
    ("fault", "query", "fragment"),
    [
        ("status=403", "?token=expired", "get fresh links"),
        ("no-range", "", "sends whole files only"),
        ("status=404", "", "check the network and the URL"),
    ],
)
def test_a_url_that_cannot_be_opened_says_why(
    tmp_path: Path, quick_limits: None, fault: str, query: str, fragment: str
) -> None:
    """An expired signed link (Planet's download links expire) and a server without Range
    requests were told to 'check the network and the URL'."""
    _noisy_scene(tmp_path / PLANET)  # over GDAL first read: a small file comes whole
    with serving(tmp_path) as base:
        url = f"{base}/{fault}/{PLANET}{query}"
        with pytest.raises(InputError) as caught:
            open_scene(url)
    message = str(caught.value)
    assert message.startswith(f"{url}: could not be read over the network"), message
    assert fragment in message and "\n" not in message


def test_a_batch_of_urls_with_bad_ones_completes_the_good_ones(
    tmp_path: Path, quick_limits: None
) -> None:
    """One scene served well among a 404, an expired link, a stall and a drop mid-file: each
    bad one is one recorded line, in seconds, and the good one is detected."""
    fixture = write_scene(tmp_path / PLANET, width=300, height=300, block_px=128)
    rivers = write_rivers(tmp_path / "rivers.geojson", {"nanay": fixture.river}, crs=fixture.crs)
    card = card_for_blobs(tmp_path / "model", bands=("nir", "red", "green"))
    noisy = _noisy_scene(tmp_path / "20240116_143000_00_2400_3B_AnalyticMS_SR.tif").name
    errors: list[str] = []
    with serving(tmp_path) as base:
        bad = [f"{base}/{fault}/{PLANET}" for fault in ("status=404", "stall")]
        bad += [f"{base}/status=403/{PLANET}?token=old", f"{base}/data-drop/{noisy}"]
        start = time.monotonic()
        frame, failures = detect_scenes(
            [*bad, f"{base}/{PLANET}"],
            rivers,
            model=BrightBlobDetector(card),
            progress=False,
            warn=errors.append,
        )
        elapsed = time.monotonic() - start
    assert len(frame) > 0 and frame["scene"].nunique() == 1  # named by its host: 4 share it
    assert frame["scene"].iloc[0].endswith(PLANET)
    assert sorted(path for path, _ in failures) == sorted(bad)
    assert all(message.startswith(f"{path}: could not be read") for path, message in failures)
    assert all("\n" not in line for line in errors) and len(errors) == len(bad)
    assert elapsed < 2 * STALL_S, f"took {elapsed:.1f} s"


def test_the_tracker_gives_up_a_stalled_scene_url(tmp_path: Path, quick_limits: None) -> None:
    """`dredge track --scenes URL…` reads each scene's valid area without the scene reader:
    a server that stopped answering held it for ever there too."""
    write_scene(tmp_path / PLANET, width=40, height=40)
    with serving(tmp_path) as base:
        url = f"{base}/stall/{PLANET}"
        start = time.monotonic()
        with pytest.raises(InputError) as caught:
            observed_areas([url])
        elapsed = time.monotonic() - start
    assert elapsed < STALL_S / 2, f"waited {elapsed:.1f} s"
    assert str(caught.value).startswith(f"{url}: could not be read over the network")


def test_a_run_resumed_with_fresh_signed_links_takes_its_scenes_as_the_same(
    tmp_path: Path, quick_limits: None
) -> None:
    """Planet's download links expire, so a run resumed after an interruption is given fresh
    ones (`…_SR.tif?token=b`): it was refused, "holds 1 finished scene(s) that are not among
    the scenes given (e.g. …?token=a) … pass --overwrite to start it again", as if they were
    other scenes. The finished scene is kept, the one not finished (not yet delivered: 404) is
    retried, and the manifest records the fresh links for the next rerun."""
    import pandas as pd

    from detector.run import run_pipeline
    from detector.run_manifest import MANIFEST_NAME

    fixture = write_scene(tmp_path / "served" / PLANET, width=300, height=300, block_px=128)
    rivers = write_rivers(tmp_path / "rivers.geojson", {"nanay": fixture.river}, crs=fixture.crs)
    detector = BrightBlobDetector(card_for_blobs(tmp_path / "model", bands=("nir", "red", "green")))
    later = "20240116_143000_00_2400_3B_AnalyticMS_SR.tif"
    out = tmp_path / "run"
    told: list[str] = []
    with serving(tmp_path / "served") as base:
        links = {
            token: [f"{base}/{name}?token={token}" for name in (PLANET, later)] for token in "ab"
        }
        first = run_pipeline(
            links["a"], rivers, out, model=detector, progress=False, echo=told.append,
            warn=told.append,
        )  # fmt: skip
        assert [path for path, _ in first.failures] == [links["a"][1]]  # not there yet: 404
        write_scene(tmp_path / "served" / later, width=300, height=300, block_px=128)
        told.clear()
        second = run_pipeline(
            links["b"], rivers, out, model=detector, progress=False, echo=told.append,
            warn=told.append,
        )  # fmt: skip
    assert f"resuming {out}: 1 of 2 scenes already done" in told
    assert second.ok and second.detections == 2 * first.detections > 0
    manifest = pd.read_csv(out / MANIFEST_NAME)
    assert sorted(manifest["scene"]) == links["b"] and (manifest["status"] == "done").all()
    assert len(list((out / "scenes").iterdir())) == 2


def test_dredge_run_names_a_stac_scene_of_a_download_link_by_its_item(
    tmp_path: Path, quick_limits: None
) -> None:
    """`dredge run` on a STAC search of Planet's Data API links (`…/download?token=…`) named
    its scene `dl1_download` in the manifest, the tables and OUT/scenes/; it is named by the
    item's id, and a resumed run keeps the name."""
    import json

    import pandas as pd

    from detector.run import run_pipeline
    from detector.run_manifest import MANIFEST_NAME

    fixture = write_scene(tmp_path / "served" / "dl1" / "download", width=300, height=300)
    rivers = write_rivers(tmp_path / "rivers.geojson", {"nanay": fixture.river}, crs=fixture.crs)
    detector = BrightBlobDetector(card_for_blobs(tmp_path / "model", bands=("nir", "red", "green")))
    item_id = "20240620_145051_22_2480"
    search = tmp_path / "search.json"
    out = tmp_path / "run"
    told: list[str] = []
    with serving(tmp_path / "served") as base:
        item = {
            "type": "Feature", "stac_version": "1.0.0", "id": item_id, "geometry": None,
            "properties": {"datetime": "2024-06-20T14:50:51Z"}, "links": [],
            "assets": {"analytic": {"href": f"{base}/dl1/download?token=a", "type": "image/tiff"}},
        }  # fmt: skip
        search.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
        first = run_pipeline([search], rivers, out, model=detector, progress=False,
                             echo=told.append, warn=told.append)  # fmt: skip
        assert first.ok and first.detections > 0
        again = run_pipeline([search], rivers, out, model=detector, progress=False,
                             echo=told.append, warn=told.append)  # fmt: skip
    assert f"resuming {out}: 1 of 1 scene already done" in told and again.ok
    assert list(pd.read_csv(out / MANIFEST_NAME)["name"]) == [item_id]
    assert [p.name for p in (out / "scenes").iterdir()] == [f"{item_id}.parquet"]
    frame = pd.read_parquet(out / "detections.parquet")
    assert set(frame["scene"]) == {item_id}
    assert (frame["acquired"] == pd.Timestamp("2024-06-20 14:50:51", tz="UTC")).all()


def test_scenes_tracked_by_url_are_named_as_read_without_a_cloud_mask(tmp_path: Path) -> None:
    """No cloud mask is looked for beside a URL, so a served scene's clouds count as seen
    ground: local scenes without a mask were named in a note, scenes read by URL were not
    (their departures under cloud went without a word)."""
    import geopandas as gpd

    from detector.track_pipeline import run_track
    from tests import track_fixtures as tf
    from tests.count_fixtures import write_strip_scene
    from tests.geo_fixtures import write_udm2
    from tests.track_fixtures import straight_line

    line = straight_line()
    days = tf.dates(2)
    for t in days:
        write_udm2(write_strip_scene(tmp_path / "served" / f"{tf.scene_name(t)}.tif"))
    tf.detections([(t, tf.point_at(line, 2000)) for t in days]).to_parquet(tmp_path / "d.parquet")
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    with serving(tmp_path / "served") as base:
        urls = [f"{base}/{tf.scene_name(t)}.tif" for t in days]
        run = run_track(tmp_path / "d.parquet", rivers, tmp_path / "t.parquet", scenes=urls)
        one = run_track(tmp_path / "d.parquet", rivers, tmp_path / "t.parquet", scenes=urls[:1])
    first = tf.scene_name(days[0])
    assert any(n.startswith(f"2 of 2 scenes are read by URL, with no cloud mask (e.g. {first}")
               for n in run.notes), run.notes  # fmt: skip
    # one scene: it said '1 of 1 scenes are read by URL' and '1 of 2 scenes with detections are'
    told = " ".join(" ".join(one.notes).split())
    assert f"1 of 1 scene is read by URL, with no cloud mask (e.g. {first}.tif): its whole" in told
    assert "1 of 2 scenes with detections is not among --scenes: on its date" in told
    assert not any("beside them (e.g." in note for note in run.notes)


@pytest.mark.parametrize(
    ("scene", "sidecar", "problem", "fix"),
    [
        pytest.param(
            "20170715_145012_56_2455_3B_AnalyticMS.tif",
            "20170715_145012_56_2455_3B_AnalyticMS_metadata.xml",
            "is Planet radiance (an analytic asset, not _SR) read by URL; the _metadata.xml",
            "download the scene and its _metadata.xml (from the same order) into one folder",
            id="planet-radiance",
        ),
        pytest.param(
            "17AUG31162013-M2AS-058236580010_01_P001.TIF",
            "17AUG31162013-M2AS-058236580010_01_P001.IMD",
            "is a Maxar product of uint16 digital numbers read by URL; the .IMD or .XML",
            "download the product with its .IMD or .XML (from the same delivery) into one folder",
            id="maxar",
        ),
    ],
)
def test_a_calibrated_product_read_by_url_says_its_metadata_is_not_read(
    tmp_path: Path, quick_limits: None, scene: str, sidecar: str, problem: str, fix: str
) -> None:
    """Planet radiance and Maxar digital numbers need their XML or IMD, which is not looked for
    beside a URL: served with it beside them, they said 'no _metadata.xml beside it' and to
    put it there, where it was."""
    write_scene(tmp_path / scene, width=40, height=40)
    (tmp_path / sidecar).write_text("<beside the scene on the server/>")
    with serving(tmp_path) as base:
        url = f"{base}/{scene}"
        with pytest.raises(InputError) as caught:
            open_scene(url)
    message = str(caught.value)
    assert message.startswith(f"{url}: {problem}"), message
    assert "is not read over the network" in message and fix in message, message
    assert "beside it" not in message and "\n" not in message


def test_an_s3_url_without_credentials_says_how_to_read_a_public_bucket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GDAL reads s3:// only signed, or told AWS_NO_SIGN_REQUEST=YES: a scene of a public
    bucket (Sentinel-2's sentinel-cogs) was told to 'check the network and the URL', and that a
    link that needs a login cannot be read, to download the scenes."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_NO_SIGN_REQUEST", "NO")
    monkeypatch.setenv("CPL_AWS_AUTODETECT_EC2", "NO")  # no look for a cloud machine's role
    monkeypatch.setenv("CPL_AWS_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for name in remote_reads.HTTP_DEFAULTS:  # restored after: open_scene sets them
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    url = "s3://sentinel-cogs/sentinel-s2-l2a-cogs/18/M/YA/2024/3/S2A_18MYA_20240315_0_L2A/B04.tif"
    with pytest.raises(InputError) as caught:
        open_scene(url)
    message = str(caught.value)
    assert message.startswith(f"{url}: could not be read over the network"), message
    assert "AWS_NO_SIGN_REQUEST=YES set in the environment" in message, message
    assert "check the network" not in message and "\n" not in message
