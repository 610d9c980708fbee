"""`dredge tiles` in this process, and a rivers file for a scene fixture, for the tiles tests
(test_cli_tiles*.py)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from detector.cli import app
from tests.geo_fixtures import SceneFixture, write_rivers

runner = CliRunner()
PLANET_NAME = "20230715_145012_56_2455_3B_AnalyticMS_SR.tif"


def _rivers(tmp_path: Path, fixture: SceneFixture, **kwargs: str) -> Path:
    return write_rivers(
        tmp_path / "rivers.geojson", {"nanay": fixture.river}, crs=fixture.crs, **kwargs
    )


def _tiles(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["tiles", "--no-progress", *args])
    return result.exit_code, result.stdout, result.stderr
