"""One exception hierarchy for the assistant; turned into user messages only at the edges.

RunsourceError
├── ConfigError            a setting or data file is wrong; refuse to start
│   ├── KnowledgeError     a knowledge file has a bad field (names the file and field)
│   ├── KnowledgeErrors    several of those, reported together
│   ├── RuleError          a red-flag rule file is invalid
│   └── ClassifierError    the red-flag classifier's weights are missing, corrupt or stale
├── InputError             the runner's or caller's input cannot be used (4xx)
│   ├── EmptyMessage
│   ├── MessageTooLong
│   ├── BadSignature       a Slack or Discord request that is not really from them (401)
│   ├── BadSessionToken    a session used without its token, or with another one (401)
│   ├── AlreadyHandled     a Slack or Discord request replayed within its window (409)
│   └── NotFound
│       ├── UnknownSession
│       └── UnknownTurn
├── RateLimited            too many requests (429, with a retry time)
└── BackendUnavailable     the vector store or session store is down (503)
    └── DoorNotConfigured  a chat door's settings are missing
"""

from __future__ import annotations


class RunsourceError(Exception):
    """Base of every error the assistant raises on purpose."""

    code = "internal"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(RunsourceError):
    code = "config"


class KnowledgeError(ConfigError):
    code = "knowledge"

    def __init__(self, path: str, field: str, problem: str) -> None:
        super().__init__(f"{path}: field '{field}': {problem}")
        self.path = path
        self.field = field


class KnowledgeErrors(ConfigError):
    """Several knowledge files are bad; all are reported at once."""

    code = "knowledge"

    def __init__(self, errors: list[KnowledgeError]) -> None:
        super().__init__("\n".join(e.message for e in errors))
        self.errors = errors


class RuleError(ConfigError):
    code = "red_flag_rules"


class ClassifierError(ConfigError):
    code = "red_flag_classifier"

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)


class InputError(RunsourceError):
    code = "bad_request"
    status = 400


class EmptyMessage(InputError):
    code = "empty_message"
    status = 422

    def __init__(self) -> None:
        super().__init__(
            "The message is empty. Type a question, for example: 'why does my back ache on long runs?'"
        )


class MessageTooLong(InputError):
    code = "message_too_long"
    status = 413

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(
            f"The message has {length} characters; the limit is {limit}. Shorten it and send it again."
        )


class NotFound(InputError):
    code = "not_found"
    status = 404


class UnknownSession(NotFound):
    """No such session here: never created, erased, expired, or a chat door's (not reachable by HTTP)."""

    code = "unknown_session"

    def __init__(self, session_id: str) -> None:
        super().__init__(
            f"No session with id {session_id!r}. Sessions are created by the server: "
            "start a new one by leaving session_id out."
        )


class UnknownTurn(NotFound):
    code = "not_found"

    def __init__(self, turn_id: str) -> None:
        super().__init__(f"No reply with turn_id {turn_id!r}. Use the turn_id of a reply in this session.")


class BadSessionToken(InputError):
    """The session exists but the request did not carry its token (compared in constant time)."""

    code = "bad_session_token"
    status = 401

    def __init__(self, missing: bool) -> None:
        what = "needs its session_token" if missing else "was sent with a token that is not its own"
        super().__init__(
            f"This session {what}. Send the session_token returned with the session's first reply "
            "(as `Authorization: Bearer <token>` or the `session_token` field)."
        )


class RateLimited(RunsourceError):
    code = "rate_limited"
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many messages. Please wait {retry_after} s and try again.")
        self.retry_after = retry_after


class BackendUnavailable(RunsourceError):
    code = "unavailable"
    status = 503


class DoorNotConfigured(BackendUnavailable):
    """A chat door (Slack, Discord) was called but its settings are missing (503)."""

    code = "not_configured"


class BadSignature(InputError):
    """A request claims to come from Slack or Discord but its signature does not check out (401)."""

    code = "bad_signature"
    status = 401


class AlreadyHandled(InputError):
    """A signed door request whose id was already acted on: a replay (409)."""

    code = "already_handled"
    status = 409
