"""Wording shared by the tool's messages: a count with its noun in the right number."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, the noun plural unless the count is one: '1 river', '3 rivers',
    '0 scenes' (it said '1 rivers' of a one-river world). ``plural`` where adding an 's' is
    wrong ('1 box', '2 boxes')."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
