"""Writing benchmark results as markdown files under ``benchmarks/results/``, and the worlds
that benchmarks run on."""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pandas as pd

from training.synth.world import WorldConfig, write_world

RESULTS_DIR = Path(__file__).parent / "results"


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub markdown table of ``frame`` (no extra dependency)."""
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def provenance() -> str:
    """The day, the code (its git commit, and whether files were changed since) and the machine
    of a measurement, as one sentence."""
    root = Path(__file__).parent.parent
    try:
        git = ["git", "-C", str(root)]
        commit = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        code = f"commit {commit}" + (" with uncommitted changes" if changed else "")
    except (OSError, subprocess.CalledProcessError):
        code = "code outside a git checkout"
    return f"Written {date.today().isoformat()} by {code}, on {machine()}."


def write_result(name: str, title: str, command: str, body: str) -> Path:
    """Write ``results/<name>.md`` with a title, the machine, the command and ``body``."""
    text = f"# {title}\n\nMachine: {machine()}. Command: `{command}`.\n\n{body}\n"
    return write_markdown(name, text)


def write_markdown(name: str, text: str) -> Path:
    """Write ``text`` as ``results/<name>.md``, with a last line saying when, from which commit
    and on which machine (:func:`provenance`); print it and say where it went."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.md"
    text = f"{text.rstrip()}\n\n{provenance()}\n"
    path.write_text(text)
    print(text)
    print(f"wrote {path}")
    return path


@contextmanager
def given_or_new_world(path: Path | None, config: WorldConfig) -> Iterator[Path]:
    """``path`` when given; else a world made from ``config`` in a temporary folder."""
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="dredge-bench-") as tmp:
        out = Path(tmp) / "world"
        write_world(config, out)
        yield out
