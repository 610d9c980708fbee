"""`dredge --help` and each command's help read as prose at any terminal width."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detector.cli import app
from detector.cli.common import DateOption, DatesOption, SceneBandsOption, date_option

COMMANDS = [
    info.name or info.callback.__name__ for info in app.registered_commands if info.callback
]


def description(output: str) -> list[list[str]]:
    """The help's paragraphs (lines between Usage and the first panel), stripped."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "Usage:" in line) + 1
    stop = next(i for i, line in enumerate(lines) if line.lstrip().startswith("╭"))
    paragraphs: list[list[str]] = [[]]
    for line in lines[start:stop]:
        text = line.strip()
        if text:
            paragraphs[-1].append(text)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("width", [80, 120])
def test_help_paragraphs_wrap_at_the_terminal_width(command: str, width: int) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    paragraphs = description(result.output)
    assert len(paragraphs) >= 1
    for paragraph in paragraphs:
        # A line ends only where the next word would not fit (rich leaves a column each
        # side), never where the docstring's source line ended (a long line, then a short one).
        for line, after in itertools.pairwise(paragraph):
            next_word = after.split()[0]
            assert len(line) + 1 + len(next_word) > width - 2, f"{command}: broke {line!r}"


@pytest.mark.parametrize(
    ("command", "option"),
    [("run", "--batch=0"), ("run", "--corridor-m=-5"), ("detect", "--batch=0")],
)
def test_a_value_out_of_range_is_refused_before_any_work(
    command: str, option: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [command, str(tmp_path), "--rivers", str(tmp_path / "r.geojson"), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, option])
    assert result.exit_code == 2
    assert f"Invalid value for '{option.split('=')[0]}'" in result.output
    assert not out.exists()  # a failed --batch 0 used to leave OUT/run_key.json behind


@pytest.mark.parametrize("command", ["run", "detect", "tiles"])
def test_the_corridor_default_is_in_the_help(command: str) -> None:
    # None in the signature (the command fills in the default), so typer showed no default.
    from detector.rivers import DEFAULT_CORRIDOR_M

    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    line = next(line for line in result.output.splitlines() if "--corridor-m" in line)
    assert f"(default: {DEFAULT_CORRIDOR_M:g})" in line


def test_option_defaults_are_the_code_defaults() -> None:
    # The README and --help state these defaults; the Python API has its own constants.
    import typer

    from detector.detect import DEFAULT_BATCH
    from detector.model import DEFAULT_CONF
    from detector.on_water import DEFAULT_MAX_LAND
    from detector.rivers import DEFAULT_CORRIDOR_M
    from detector.track_params import TrackParams

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    track = TrackParams()
    expected = {
        ("run", "conf"): DEFAULT_CONF,
        ("detect", "conf"): DEFAULT_CONF,
        ("evaluate", "conf"): DEFAULT_CONF,
        ("run", "max_land"): DEFAULT_MAX_LAND,
        ("detect", "max_land"): DEFAULT_MAX_LAND,
        ("run", "batch"): DEFAULT_BATCH,
        ("detect", "batch"): DEFAULT_BATCH,
        ("run", "count_score"): track.count_score,
        ("track", "count_score"): track.count_score,
        ("run", "max_static_days"): track.max_static_days,
        ("track", "max_static_days"): track.max_static_days,
        ("track", "max_move_m"): track.max_move_m,
        ("track", "corridor_m"): DEFAULT_CORRIDOR_M,
    }
    for (command, name), value in expected.items():
        param = next(p for p in commands[command].params if p.name == name)
        assert param.default == value, f"dredge {command} --{name}: {param.default} ≠ {value}"


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("detect", "--scene-bands"),
        ("run", "--scene-bands"),
        ("detect", "--dates"),
        ("tiles", "--dates"),
        ("detect", "--model"),
        ("detect", "--rivers"),
        ("synth", "--rivers"),
        ("review", "--model"),
        ("demo", "--model"),
    ],
)
def test_an_empty_option_value_is_one_line_naming_the_option(
    command: str, option: str, tmp_path: Path
) -> None:
    """`--scene-bands ""` (an unset shell variable) was taken as not given, `synth --rivers ""`
    as all rivers; `--dates ""` said '.: file not found' and `--model ""` '.: is a folder':
    typer reads "" as the current folder, which names nothing the user typed."""
    out = tmp_path / "out"
    if command in ("synth", "demo"):
        args = [command, "--out", str(out)]
    elif command == "review":
        args = [command, str(tmp_path / "d.parquet"), "--out", str(out)]
    else:
        args = [command, str(tmp_path), "--rivers", str(tmp_path / "r.geojson"), "--out", str(out)]
    for empty in ("", " "):
        result = CliRunner().invoke(app, [*args, option, empty])
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {option}: empty — give "), lines
    assert not out.exists()
    if option != "--rivers":  # typed, the option is read as before
        result = CliRunner().invoke(app, [*args, option, str(tmp_path / "none")])
        assert f"{option}: empty" not in result.output


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["run", "{tmp}", "--rivers", "{tmp}/r.geojson"], "--out"),
        (["synth"], "--out"),
        (["tiles", "{tmp}", "--rivers", "{tmp}/r.geojson"], "--out"),
        (["evaluate", "bundled", "{tmp}/labels"], "--out"),
        (["review", "{tmp}/d.parquet"], "--out"),
        (["train", "{tmp}/labels"], "--out"),
        (["demo"], "--out"),
        (["detect", "{tmp}", "--rivers", "{tmp}/r.geojson"], "--out"),
        (["track", "{tmp}/d.parquet", "--rivers", "{tmp}/r.geojson"], "--out"),
        (["track", "{tmp}/d.parquet", "--out", "{tmp}/t.parquet"], "--rivers"),
        (["track", "{tmp}/d.parquet", "--rivers", "{tmp}/r.geojson", "--scenes", "{tmp}"],
         "--dates"),
        (["counts", "{tmp}/t.parquet"], "--out"),
        (["counts", "{tmp}/t.parquet"], "--chart"),
        (["counts", "{tmp}/t.parquet"], "--gpkg"),
        (["counts", "{tmp}/t.parquet"], "--geojson"),
        (["counts", "{tmp}/t.parquet"], "--kml"),
        (["counts", "{tmp}/t.parquet"], "--detections"),
        (["counts", "{tmp}/t.parquet"], "--observations"),
        (["train", "{tmp}/labels", "--out", "{tmp}/train"], "--rivers"),
        (["evaluate", "bundled", "{tmp}/labels"], "--rivers"),
        (["train", "{tmp}/labels", "--out", "{tmp}/train"], "--scenes"),
        (["evaluate", "bundled", "{tmp}/labels", "--out", "{tmp}/ev"], "--scenes"),
        (["track", "{tmp}/d.parquet", "--rivers", "{tmp}/r.geojson"], "--scenes"),
        (["review", "{tmp}/d.parquet", "--out", "{tmp}/review"], "--scenes"),
    ],
)  # fmt: skip
def test_an_empty_path_option_is_one_line_naming_it(
    args: list[str], option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--out ""` (an unset shell variable) of `dredge run`, `synth`, `tiles`, `evaluate`,
    `train`, `demo` (and `review` in an empty folder) wrote into the current folder: typer reads
    "" as it. A file's `--out ""` (`detect`, `track`, `counts`), `--chart ""`, `--gpkg ""` …
    said `.: is a folder`, `track --dates ""` and `counts --detections ""` `.: file not found`,
    `--rivers ""` `.: cannot be read as centerlines`: a folder the user never typed, and no
    option named. `--scenes ""` of `train`, `evaluate`, `track`, `review` said 'a SCENES
    argument is empty', naming no option."""
    monkeypatch.chdir(tmp_path)
    args = [arg.format(tmp=tmp_path) for arg in args]
    for empty in ("", " "):
        result = CliRunner().invoke(app, [*args, option, empty])
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {option}: empty — give "), lines
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["counts", "{empty}"], "TRACKS"),
        (["track", "{empty}", "--rivers", "{tmp}/r.geojson"], "DETECTIONS"),
        (["track", "{tmp}/d.parquet", "{empty}", "--rivers", "{tmp}/r.geojson"], "DETECTIONS"),
        (["review", "{empty}", "--out", "{tmp}/review"], "DETECTIONS"),
        (["evaluate", "bundled", "{empty}", "--out", "{tmp}/ev"], "LABELS"),
        (["evaluate", "bundled", "{tmp}/labels", "{empty}", "--out", "{tmp}/ev"], "LABELS"),
        (["train", "{empty}", "--out", "{tmp}/train"], "LABELS"),
        (["train", "{tmp}/labels", "{empty}", "--out", "{tmp}/train"], "LABELS"),
        (["train", "{tmp}/labels", "{empty}", "epochs=1", "--out", "{tmp}/train"], "LABELS"),
    ],
)
def test_an_empty_path_argument_is_one_line_naming_it(
    args: list[str], name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge counts ""` (an unset shell variable) said `.: file not found` of the current
    folder; `track ""` `.: file not found — check the DETECTIONS path`; `review ""` 'no
    --scenes given, and no run.json of `dredge run` beside it names them', of `.`;
    `evaluate bundled ""` and `train ""` '.: is not a label set this tool reads'."""
    monkeypatch.chdir(tmp_path)
    for empty in ("", " "):
        typed = [arg.format(tmp=tmp_path, empty=empty) for arg in args]
        result = CliRunner().invoke(app, typed)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {name}: empty — give "), lines
    assert not any(tmp_path.iterdir())


def test_the_scene_bands_help_names_the_layouts_in_the_order_they_are_tried() -> None:
    """The header's band names come first (a Planet-named file whose header says R, G, B, NIR
    is read so, :func:`detector.band_layout.band_layout`); the help named the product name
    first."""
    text = " ".join(SceneBandsOption.__metadata__[0].help.split())
    found = [text.find(words) for words in ("header", "product name", "colour tags", "count")]
    assert -1 not in found and found == sorted(found), text


def _help_of(option: object) -> str:
    return " ".join(option.__metadata__[0].help.split())  # type: ignore[attr-defined]


def test_the_date_help_says_what_date_option_takes_and_refuses() -> None:
    """--date reads a named zone and refuses a date before 1972 (one line, exit 2); its help
    named neither."""
    text = _help_of(DateOption)
    assert "UTC-05:00" in text and "1972-07-23" in text and "refused" in text, text
    date_option("2024-03-17 09:50 UTC-05:00")  # the example given is taken
    with pytest.raises(Exception, match="before the first satellite image"):
        date_option("1965-01-01")


def test_the_dates_help_names_zones_the_tiff_form_and_the_dates_refused() -> None:
    """A --dates row may name its zone (any case) or be written as a TIFF tag; a date after
    today or before 1972 is refused. The help said only ISO or day first."""
    text = _help_of(DatesOption)
    for words in ("UTC-05:00", "any case", "TIFF tag", "2024:03:17 14:50:00", "after today"):
        assert words in text, (words, text)
    assert "1972-07-23" in text, text


def test_the_evaluate_conf_help_says_the_boxes_are_detects() -> None:
    """evaluate's P/R/F1 are of the boxes `dredge detect --conf` gives (group members from
    0.6 × it); the help said only 'Operating score for precision/recall/F1.'"""
    result = CliRunner().invoke(app, ["evaluate", "--help"], env={"COLUMNS": "400"})
    (line,) = [row for row in result.output.splitlines() if "--conf" in row]
    assert "dredge detect --conf" in line and "0.6 × it" in line and "AP" in line, line


def test_the_synth_size_help_says_how_long_the_small_world_takes() -> None:
    """`--size small` said "seconds, for tests", while its 45 scenes (every river over
    2023-2025) take about 98 s on two cores (benchmarks/results/synth.md); only a world cut
    down with --rivers/--years takes seconds."""
    result = CliRunner().invoke(app, ["synth", "--help"], env={"COLUMNS": "400"})
    said = " ".join(result.output.split())
    assert "seconds, for tests" not in said
    assert (
        "small (3 km reaches, 3 dates a year: every river over 2023-2025, 45 scenes, about " in said
    )
    assert "100 s on two cores; one river and one year, 3 scenes, seconds)" in said
