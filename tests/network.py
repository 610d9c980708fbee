"""Block the network in tests: any connection or host-name lookup fails and is recorded."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


class NetworkBlocked(AssertionError):
    """Raised when code under test tries to reach the network."""


@contextmanager
def blocked_network() -> Iterator[list[object]]:
    """Within the block, sockets cannot connect; yields the list of attempts made."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise NetworkBlocked(f"network access attempted: {args!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        yield attempts
