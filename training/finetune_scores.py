"""The lines that report a `dredge train` run's scores on the held-out tiles (the card's
``metrics``, written by :mod:`training.finetune`): the new model's, the starting one's, and a
warning when the new one scores lower."""

from __future__ import annotations

from typing import Any

from detector.wording import score_text


def held_out_line(metrics: dict[str, Any], key: str, label: str) -> str:
    """One line for people: the dredge scores on the held-out tiles under ``metrics[key]``
    (``val`` or ``val_before``); where they hold no labelled dredge, that there is nothing to
    score (recall and mAP50 are null then, 0 of 0; scores of 0 read as a model that finds
    nothing); where the model made no dredge box, that it made none (its precision is null,
    0 of 0). A null figure shows as ``–``."""
    val = metrics[key]
    head = f"held-out tiles, dredge, {label}: "
    if val.get("boxes") == 0:
        return head + (
            "no labelled dredge among them, nothing to score (another --seed or a larger "
            "--val-fraction holds out other tiles)"
        )
    if val.get("precision") is None:  # no box made: 0 of 0 (cards before wrote 0.0)
        return head + (
            f"the model made no dredge box on them (precision undefined), recall "
            f"{score_text(val.get('recall'))}, f1 {score_text(val.get('f1'))}, "
            f"mAP50 {score_text(val.get('mAP50'))}"
        )
    keys = ("precision", "recall", "f1", "mAP50")
    return head + ", ".join(f"{k} {score_text(val[k])}" for k in keys)


def worse_than_before(metrics: dict[str, Any], starting: str = "the starting model") -> str | None:
    """One warning line when the new model scores lower than the starting one on the held-out
    scenes (F1 or mAP50 for dredges), or None."""
    after, before = metrics.get("val"), metrics.get("val_before")
    if not isinstance(after, dict) or not isinstance(before, dict):
        return None
    lower = [  # an F1 undefined (no box, none labelled: null) is compared as 0
        k for k in ("f1", "mAP50") if float(after.get(k) or 0) < float(before.get(k) or 0)
    ]
    if not lower:
        return None
    changes = ", ".join(
        f"{k} {float(before[k] or 0):.3f} → {float(after[k] or 0):.3f}" for k in lower
    )
    return (
        f"warning: the new model scores lower than {starting} on the held-out tiles "
        f"({changes}) — keep using {starting}; more labelled tiles, more --epochs or a lower "
        "lr0 may help"
    )
