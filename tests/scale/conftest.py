"""Fixtures that run real Redis and Chroma servers on free loopback ports, and stop them after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scale.servers import ChromaServer, RedisServer, chroma_available, redis_available


def _need(reason: str | None) -> None:
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One Redis (AOF on) for the whole run; tests keep apart by key prefix or session id."""
    _need(redis_available())
    server = RedisServer(tmp_path_factory.mktemp("redis"), appendonly=True)
    with server:
        yield server


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own, free to stop, kill and restart."""
    _need(redis_available())
    server = RedisServer(tmp_path / "redis", appendonly=True, fsync="always")
    with server:
        yield server


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    _need(chroma_available())
    server = ChromaServer(tmp_path_factory.mktemp("chroma") / "db")
    with server:
        yield server
