"""The README is true to the command line: its commands parse, its options exist, and the
columns it lists for the output files are the ones written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer._click.exceptions import UsageError

from detector.cli import app
from detector.counts import COUNT_COLUMNS
from detector.demo import compare_counts
from detector.detect import DETECTION_COLUMNS
from detector.run_manifest import MANIFEST_COLUMNS
from detector.track_pipeline import OBSERVATION_COLUMNS
from detector.track_table import LINK_NAMES, TRACK_COLUMNS
from training.synth.writer import TRUTH_COLUMNS

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]
# the options of `dredge` itself (--version), and every command's --help
TOP_OPTIONS = {"--help"} | {
    name for param in typer.main.get_command(app).params for name in param.opts
}
OTHER_TOOLS = {
    "--colorinterp",
    "--nthreads",
    "--nworkers",
    "--scheduler-file",
    "--world",
}  # rio, dask, benchmarks
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def shown_commands() -> list[str]:
    """The `dredge` commands of the README's code blocks, continued lines joined."""
    found: list[str] = []
    block = False
    pending = ""
    for line in README.splitlines():
        if line.startswith("```"):
            block = not block
            continue
        text = pending + line.strip() if pending else line
        pending = ""
        if block and (match := re.match(r"(?:\$ |\.venv/bin/)dredge (.*)", text)):
            command = match.group(1).split(" # ")[0].strip()
            if command.endswith("\\"):
                pending = f"$ dredge {command[:-1]}"
            else:
                found.append(command)
    return found


def options_of(command: str) -> set[str]:
    return {
        name for param in COMMANDS[command].params for name in [*param.opts, *param.secondary_opts]
    }


def readme_columns(file: str) -> list[str]:
    """The column names the README's output table lists for ``file`` (its backticked words)."""
    row = next(line for line in README.splitlines() if line.startswith(f"| `{file}`"))
    held = row.split("|")[2].split(";")[0]
    names = [
        name.strip()
        for quoted in re.findall(r"`([^`]*)`", held)
        for name in quoted.split(",")
        if name.strip()
    ]
    return list(dict.fromkeys(names))  # a column named again in the prose after the list


@pytest.mark.parametrize("line", shown_commands())
def test_every_command_shown_parses(line: str) -> None:
    args = shlex.split(line.replace("...", "x"))
    assert args[0] in COMMANDS, line
    try:
        COMMANDS[args[0]].make_context(args[0], args[1:])
    except typer.Exit:
        pass  # an eager option that prints and exits (--list-rivers)
    except UsageError as exc:
        pytest.fail(f"README: dredge {line} → {exc.format_message()}")


def help_examples() -> list[str]:
    """The commands of the `Example:` lines in each command's --help."""
    return [
        line
        for command in COMMANDS.values()
        for line in re.findall(r"Example: dredge (.*)", command.help or "")
    ]


@pytest.mark.parametrize("line", help_examples())
def test_every_help_example_parses(line: str) -> None:
    test_every_command_shown_parses(line)


def test_there_are_commands_shown() -> None:
    assert {line.split()[0] for line in shown_commands()} >= {"run", "detect", "track", "train"}
    assert len(help_examples()) >= 2


def test_every_option_named_exists() -> None:
    every = set().union(TOP_OPTIONS, *(options_of(name) for name in COMMANDS))
    unknown = set(OPTION.findall(README)) - every - OTHER_TOOLS
    assert not unknown, f"README names options no command has: {sorted(unknown)}"
    for command, rest in re.findall(r"dredge ([a-z]+)([^`|(\n]*)", README):
        if command in COMMANDS:
            wrong = set(OPTION.findall(rest)) - options_of(command)
            assert not wrong, f"README: `dredge {command}{rest}`: no {sorted(wrong)}"


def test_output_columns_are_the_written_ones() -> None:
    assert readme_columns("detections.parquet") == list(DETECTION_COLUMNS)
    assert readme_columns("tracks.parquet") == list(TRACK_COLUMNS)
    assert ["river", "year", *readme_columns("counts.csv`, `counts.json")] == COUNT_COLUMNS
    assert f"`{', '.join(OBSERVATION_COLUMNS)}`" in README
    manifest = re.search(r"`OUT/manifest.csv` with `([^`]*)`", README)
    assert manifest and manifest.group(1).split(", ") == list(MANIFEST_COLUMNS)
    assert readme_columns("truth/dredges.csv") == TRUTH_COLUMNS
    counts = pd.DataFrame({"river": ["Nanay"], "year": [2024], "unique_dredges": [1]})
    counts["unique_low"], counts["unique_high"] = 1, 2
    truth = pd.DataFrame({"river": ["Nanay"], "year": [2024], "unique_dredges": [1]})
    versus = re.search(r"`demo-output/run/counts_vs_truth.csv` \(`([^`]*)`", README)
    assert versus and versus.group(1).split(", ") == list(compare_counts(counts, truth).columns)
    links = re.search(r"`link` \(([^:]*):", README)
    assert links and re.findall(r"`([^`]*)`", links.group(1)) == list(LINK_NAMES)


def test_python_blocks_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # the README's own code


def test_files_named_exist() -> None:
    root = Path(__file__).parent.parent
    named = {f"tests/{name}.py" for name in re.findall(r"`(test_[a-z_]+)`", README)}
    named |= set(re.findall(r"tests/[a-z_]+\.py", README))
    named |= {
        f"benchmarks/{name}.py" for name in re.findall(r"python -m benchmarks\.(\w+)", README)
    }
    named |= set(re.findall(r"`((?:detector|training)/[\w/.-]+\.(?:py|yaml))`", README))
    results = set(re.findall(r"`(\w+\.md)`", README)) | set(
        re.findall(r"results/(\w+\.md)", README)
    )
    named |= {f"benchmarks/results/{name}" for name in results - {"detection_speed_cuda.md"}}
    missing = sorted(path for path in named if not (root / path).exists())
    assert not missing, f"README names files that are not there: {missing}"
