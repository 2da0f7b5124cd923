"""Logging without health data: every `runsource` line obeys `RUNSOURCE_LOG_LEVEL`, and no line
holds a session id (the access log's paths name a keyed hash of it instead)."""

from __future__ import annotations

import logging
import re

from assistant.keys import SessionKeys
from assistant.settings import Settings

__all__ = ["SessionPathFilter", "configure_logging", "safe_path"]

_SESSION_PATH = re.compile(r"(/v1/sessions/)([^/?\s]+)")


def safe_path(path: str, keys: SessionKeys | None = None) -> str:
    """`path` with any session id replaced by its keyed hash (or by `{session_id}`)."""
    return _SESSION_PATH.sub(
        lambda m: m.group(1) + (keys.log_ref(m.group(2)) if keys else "{session_id}"), path
    )


class SessionPathFilter(logging.Filter):
    """Rewrites uvicorn's access-log lines so the session id in `/v1/sessions/{id}` never lands in a log."""

    def __init__(self, keys: SessionKeys) -> None:
        super().__init__("runsource.session_paths")
        self.keys = keys

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(a, str) and "/v1/sessions/" in a for a in record.args
        ):
            record.args = tuple(safe_path(a, self.keys) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str) and "/v1/sessions/" in record.msg:
            record.msg = safe_path(record.msg, self.keys)
        return True


def configure_logging(settings: Settings, keys: SessionKeys) -> None:
    """Applies the log level to our loggers and the session-id filter to the access log (idempotent)."""
    level = logging.getLevelName(settings.log_level.upper())
    if not isinstance(level, int):
        level = logging.INFO
    ours = logging.getLogger("runsource")
    ours.setLevel(level)
    if not ours.handlers and not logging.getLogger().handlers:
        # Under plain uvicorn the root logger has no handler: without ours, Python's last-resort
        # handler would print warnings whatever the level and drop everything below them.
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        ours.addHandler(handler)
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, SessionPathFilter)]:
            logger.removeFilter(old)
        logger.addFilter(SessionPathFilter(keys))
