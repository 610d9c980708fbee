"""Wording shared by the tool's messages: a count with its noun in the right number."""

from __future__ import annotations


def count_of(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, the noun plural unless the count is one: '1 river', '3 rivers',
    '0 scenes', '1,250 tiles' (it said '1 rivers' of a one-river world). ``plural`` where
    adding an 's' is wrong ('1 box', '2 boxes')."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def agree(count: int, singular: str, plural: str) -> str:
    """The verb for ``count`` things: ``singular`` for one ('1 date was read'), else
    ``plural`` ('3 dates were read')."""
    return singular if count == 1 else plural


def counted_like(count: int, noun: str, example: str) -> str:
    """``count`` things and one of them: "3 dates like '03/04/2024'", and for one
    "1 date, '03/04/2024',"."""
    return f"1 {noun}, {example}," if count == 1 else f"{count_of(count, noun)} like {example}"


def part_of(part: int, whole: int, noun: str, plural: str | None = None) -> str:
    """``part`` of ``whole`` things, the noun in the number of the whole: '2 of 3 scenes',
    '1 of 1 scene' (it said '1 of 1 scenes'). A verb after it agrees with ``part``
    (:func:`agree`): '1 of 3 scenes has', '2 of 3 scenes have'."""
    return f"{part:,} of {count_of(whole, noun, plural)}"


def score_text(value: float | None) -> str:
    """A score for people, to three decimals; ``–`` where it is undefined (None or NaN: a
    precision of no box made, a recall of no box labelled)."""
    return "–" if value is None or value != value else f"{value:.3f}"
