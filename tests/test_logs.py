"""Logs hold no health data: the level applies to every line, and no session id reaches a log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.keys import SessionKeys
from assistant.logs import SessionPathFilter, configure_logging, safe_path
from assistant.settings import Settings

KEYS = SessionKeys(b"k" * 32)


@pytest.fixture
def restored() -> Iterator[None]:
    ours, access = logging.getLogger("runsource"), logging.getLogger("uvicorn.access")
    level, filters = ours.level, list(access.filters)
    yield
    ours.setLevel(level)
    access.filters = filters


def test_the_log_level_applies_to_every_runsource_line(
    restored: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    configure_logging(Settings(log_level="error"), KEYS)
    logging.getLogger("runsource.chat").warning("triage urgent for session s_x")
    logging.getLogger("runsource.chat").info("anything")
    assert caplog.records == []
    configure_logging(Settings(log_level="info"), KEYS)
    logging.getLogger("runsource.chat").info("shown")
    assert [r.getMessage() for r in caplog.records] == ["shown"]


def test_session_ids_in_access_log_paths_become_a_keyed_hash(restored: None) -> None:
    record: Any = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/v1/sessions/s_secret123?limit=5", "1.1", 200),
        None,
    )
    assert SessionPathFilter(KEYS).filter(record)
    line = record.getMessage()
    assert "s_secret123" not in line
    assert f"/v1/sessions/{KEYS.log_ref('s_secret123')}?limit=5" in line
    assert safe_path("/v1/sessions/s_abc") == "/v1/sessions/{session_id}"


def test_the_keyed_hash_is_stable_and_says_nothing_of_the_id() -> None:
    ref = KEYS.log_ref("s_abc")
    assert ref == KEYS.log_ref("s_abc") and ref != KEYS.log_ref("s_abd")
    assert "abc" not in ref and ref != SessionKeys(b"q" * 32).log_ref("s_abc")


def test_the_session_secret_is_made_once_and_kept(tmp_path: Any) -> None:
    settings = Settings(data_dir=tmp_path)
    first = SessionKeys.load(settings).door("discord", "G", "C", "public", "U")
    assert (tmp_path / "session_secret").stat().st_mode & 0o077 == 0, "readable by its owner only"
    assert SessionKeys.load(settings).door("discord", "G", "C", "public", "U") == first
    configured = Settings(data_dir=tmp_path, session_secret="another-secret-of-32-characters!")
    assert SessionKeys.load(configured).door("discord", "G", "C", "public", "U") != first
