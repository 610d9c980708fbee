"""The README's tables of benchmark figures against the results files they cite."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def table_rows(text: str, first_cell: str) -> list[list[str]]:
    """The cells of the markdown rows of ``text`` whose first cell starts with ``first_cell``."""
    rows = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].startswith(first_cell):
            rows.append(cells)
    return rows


def test_the_readme_count_table_is_the_count_results_file() -> None:
    # The README's table said 27 of 40 validation river-years within 10 % after the rerun of
    # 2026-12-07 (df0e921) had made it 28 in count_accuracy.md, and in the README's own text.
    results = (ROOT / "benchmarks" / "results" / "count_accuracy.md").read_text(encoding="utf-8")
    (validation,) = table_rows(results, "validation seeds together")
    (demo,) = table_rows(results, "seed 1")
    (readme_validation,) = table_rows(README, "validation seeds 2, 4, 5, 6")
    (readme_demo,) = table_rows(README, "demo, seed 1")
    assert readme_validation[1:] == validation[1:]
    assert readme_demo[1:] == demo[1:]


def test_the_readme_speed_table_is_the_speed_results_file() -> None:
    results = (ROOT / "benchmarks" / "results" / "detection_speed.md").read_text(encoding="utf-8")
    for backend in ("torch", "onnxruntime"):
        found = [[*row[:-1], row[-1].replace(" %", "%")] for row in table_rows(README, backend)]
        assert found == table_rows(results, backend)
