"""The settings of ``dredge train LABELS...`` (:mod:`training.finetune`): the run's own options,
ultralytics' key=value settings read from the command line, and their checks, made before any
label is read."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from detector.errors import DredgeError
from detector.offline import import_ultralytics
from detector.wording import agree

# ultralytics settings a key=value may not change: the run decides them (batch=… and lr0=… are
# the run's own batch and rate: FinetuneConfig.settled)
RESERVED_KEYS = frozenset(
    {"data", "epochs", "imgsz", "device", "seed", "project", "name", "exist_ok",
     "trainer", "model", "resume", "task", "mode"}
)  # fmt: skip
# what to give instead of each (the line said "use the command's options" of all of them, and
# dredge train has no option for resume=, model=, project=, …)
INSTEAD = {
    "data": "give the label sets as LABELS",
    "epochs": "use --epochs",
    "imgsz": "use --imgsz",
    "device": "use --device",
    "seed": "use --seed",
    "project": "--out names the run's folder",
    "name": "--out names the run's folder, --name the model in its card",
    "exist_ok": "--overwrite replaces a finished run in --out",
    "model": "use --from for the starting model",
    "resume": (
        "a stopped training cannot be resumed: run the command again, it starts over from "
        "the first epoch"
    ),
    "trainer": "dredge train sets it",
    "task": "dredge train sets it",
    "mode": "dredge train sets it",
}


@dataclass(frozen=True)
class FinetuneConfig:
    """The settings of a fine-tuning run."""

    base: str = "bundled"  # "bundled", "scratch", or a weights path with its card
    epochs: int = 10
    imgsz: int = 128  # training chip size (tiles are cut, never resized)
    batch: int = 8  # chips per step; batch=N among the key=value settings
    lr0: float = 0.001
    val_fraction: float = 0.25
    negatives: float = 1.0  # empty chips per positive chip in train
    synthetic: int = 0  # synthetic chips mixed into train
    seed: int = 0
    device: str = "cpu"
    name: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        """DredgeError for settings that cannot work."""
        if self.epochs < 1:
            raise DredgeError(f"--epochs must be ≥ 1, got {self.epochs}")
        batch = self.overrides.get("batch", self.batch)
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            # ultralytics' batch=-1 (auto) and batch=0.7 (a share of GPU memory) are not taken
            raise DredgeError(
                f"batch={batch}: give a whole number of chips per step ≥ 1 (e.g. batch=16)"
            )
        if self.imgsz < 32 or self.imgsz % 32:
            raise DredgeError(f"--imgsz must be a multiple of 32 (≥ 32), got {self.imgsz}")
        if self.synthetic < 0:
            raise DredgeError(f"--synthetic must be ≥ 0, got {self.synthetic}")
        bad = sorted(set(self.overrides) & RESERVED_KEYS)
        if bad:
            keys = ", ".join(f"{key}=…" for key in bad)
            instead = (
                INSTEAD[bad[0]]
                if len(bad) == 1
                else "; ".join(f"{key}=: {INSTEAD[key]}" for key in bad)
            )
            raise DredgeError(f"{keys} cannot be set as key=value — {instead}")
        import_ultralytics()
        from ultralytics.cfg import DEFAULT_CFG_DICT, check_cfg

        unknown = sorted(k for k in self.overrides if k not in DEFAULT_CFG_DICT)
        if unknown:
            raise DredgeError(
                f"unknown ultralytics {agree(len(unknown), 'setting', 'settings')} "
                f"{', '.join(unknown)} — see "
                "`yolo cfg` for the names (e.g. lr0=0.0005 mosaic=0.5)"
            )
        try:
            check_cfg(dict(self.overrides))  # types and ranges, as ultralytics would at train
        except (TypeError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0]
            raise DredgeError(f"{first} — fix that key=value setting") from None

    def settled(self) -> FinetuneConfig:
        """The config with ``lr0=…`` and ``batch=…`` taken from the key=value settings as the
        run's own rate and batch: the warm-up of a trained head starts at that rate, and the
        card and run.json give both (they gave 0.001 and the biases warmed up from 0.001 for
        lr0=0.0002; batch=16 was refused as "use the command's options", and there is none)."""
        own = {"lr0": float, "batch": int}
        taken = {
            key: kind(self.overrides[key]) for key, kind in own.items() if key in self.overrides
        }
        rest = {k: v for k, v in self.overrides.items() if k not in own}
        return replace(self, **taken, overrides=rest) if taken else self


EXPONENT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+")  # 1e-4, 2.5E-3


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """``["lr0=0.0005", "mosaic=0"]`` → ``{"lr0": 0.0005, "mosaic": 0}`` (YAML values)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise DredgeError(f"{item!r} is neither a label path nor key=value")
        try:
            read = yaml.safe_load(value)
        except yaml.YAMLError:
            read = value
        if isinstance(read, str) and EXPONENT.fullmatch(read.strip()):
            read = float(read)  # YAML 1.1 reads 1e-4 as text; `yolo train lr0=1e-4` a number
        out[key.strip()] = read
    return out
