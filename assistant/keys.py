"""Session secrets: bearer tokens for HTTP sessions, and one server key for everything derived.

An HTTP session is opened by the server, which returns an opaque id and a random token once; the
store keeps only the token's SHA-256, compared in constant time. Chat-door sessions (Slack,
Discord) have no token: their id is an HMAC of the place and the member under the server key
(`RUNSOURCE_SESSION_SECRET`, or a key generated once in the data folder), so public ids such as a
guild, a channel and a user can never be turned back into a session id. Logs name a session by a
keyed hash of its id, never by the id.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from assistant.errors import BadSessionToken, ConfigError
from assistant.settings import Settings

__all__ = ["DOOR_PREFIX", "SessionKeys", "check_token", "new_token", "token_hash"]

DOOR_PREFIX = "d_"
_SEP = "\x1f"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a token: its SHA-256 (the token itself is 256 random bits)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def check_token(stored_hash: str, token: str | None) -> None:
    """Raises BadSessionToken unless `token` is the one whose hash is stored (constant time)."""
    if not token:
        raise BadSessionToken(missing=True)
    if not hmac.compare_digest(token_hash(token), stored_hash):
        raise BadSessionToken(missing=False)


class SessionKeys:
    """Keyed hashes under the server's session secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ConfigError("RUNSOURCE_SESSION_SECRET must be at least 16 characters long.")
        self._secret = secret

    @classmethod
    def random(cls) -> SessionKeys:
        return cls(secrets.token_bytes(32))

    @classmethod
    def load(cls, settings: Settings) -> SessionKeys:
        """The configured secret, or the one kept in the data folder (made on first start)."""
        if settings.session_secret is not None:
            return cls(settings.session_secret.get_secret_value().encode())
        return cls(_kept_secret(settings.secret_path))

    def _mac(self, purpose: str, *parts: str) -> str:
        message = _SEP.join((purpose, *parts)).encode("utf-8", "replace")
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def door(self, door: str, *parts: str) -> str:
        """The session id of one member in one place of a chat platform."""
        return f"{DOOR_PREFIX}{door}_{self._mac('door', door, *parts)[:32]}"

    def member(self, door: str, *parts: str) -> str:
        """Who owns a door session (workspace and user), kept in its state to check feedback clicks."""
        return self._mac("member", door, *parts)[:32]

    def log_ref(self, session_id: str) -> str:
        """How logs name a session: stable, so lines can be grouped, but not the id."""
        return "k" + self._mac("log", session_id)[:12]


def _kept_secret(path: Path) -> bytes:
    """Read the secret file, or create it atomically (several workers may start at once)."""
    with contextlib.suppress(FileNotFoundError):
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
    try:
        os.link(tmp, path)  # fails if another worker was first; then its secret is the one
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return _read(path)


def _read(path: Path) -> bytes:
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < 16:
        raise ConfigError(f"{path} holds no usable session secret; delete it to have a new one made.")
    return secret.encode()
