"""Fixtures shared by the test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.network import blocked_network


@pytest.fixture
def no_network() -> Iterator[list[object]]:
    """Fail the test if anything in it tries to open a network connection."""
    with blocked_network() as attempts:
        yield attempts
    assert not attempts, f"tried the network: {attempts}"
