"""`dredge demo` writes its comparison with the truth whole or not at all."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from detector.demo import run_demo
from detector.errors import DredgeError
from detector.writing import is_temporary

COUNTS = pd.DataFrame({"river": ["Nanay"] * 2, "year": [2023, 2024], "unique_dredges": [4, 5]})


def test_a_write_of_counts_vs_truth_stopped_halfway_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run/counts_vs_truth.csv` was written in place with a plain `to_csv`: a write that
    stopped part way (the disk full, the demo killed) left it cut short, its header and first
    row alone, and the disk full was OSError's traceback. It goes through the write-whole
    helper now, as the run's other outputs: the previous file stays as it was, no temporary
    is left, and the disk full is one line naming the file."""
    import training.synth.world

    out = tmp_path / "demo"
    (out / "world" / "truth").mkdir(parents=True)
    (out / "run").mkdir()
    COUNTS.to_csv(out / "world" / "truth" / "counts.csv", index=False)
    monkeypatch.setattr(training.synth.world, "is_same_world", lambda path, config: True)
    monkeypatch.setattr(
        "detector.demo.run_pipeline", lambda *args, **kwargs: SimpleNamespace(counts=COUNTS)
    )
    run_demo(out, echo=lambda line: None)
    target = out / "run" / "counts_vs_truth.csv"
    before = target.read_bytes()
    assert len(pd.read_csv(target)) == 2
    original = pd.DataFrame.to_csv

    def stops_after_the_header(self: pd.DataFrame, path: Any = None, **kwargs: Any) -> Any:
        original(self.head(0), path, **kwargs)  # the header, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", stops_after_the_header)
    with pytest.raises(DredgeError, match=r"counts_vs_truth\.csv: could not be written: no space"):
        run_demo(out, echo=lambda line: None)
    assert target.read_bytes() == before
    assert not [path.name for path in (out / "run").iterdir() if is_temporary(path)]
