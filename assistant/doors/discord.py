"""The Discord app: the HTTP interactions endpoint `POST /discord/interactions`.

    POST /discord/interactions ─ body capped (413), Ed25519 check of timestamp + raw body (401),
        │                            stale timestamps refused, an interaction id already taken
        │                            refused (409: a replay)
        ├── PING (1)                 -> PONG
        ├── /ask (2)                 -> deferred (5, ephemeral with `private`), then the answer is
        │                               edited into @original and long answers go on in follow-ups;
        │                               over the per-user or per-server limit, a private "wait" note
        └── feedback buttons (3)     -> the session store, thanked privately

`register_commands` registers `/ask` with Discord; `runsource discord register` calls it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import JSONResponse
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from assistant.api.deps import ServicesDep, built_once
from assistant.chat import DoorPlace
from assistant.doors.render import (
    discord_messages,
    mentions_symptoms,
    program_titles,
    with_program_titles,
)
from assistant.errors import (
    AlreadyHandled,
    BackendUnavailable,
    BadSignature,
    DoorNotConfigured,
    InputError,
    RunsourceError,
    UnknownTurn,
)
from assistant.ratelimit import Rule
from assistant.services import Services
from assistant.sessions import Feedback
from assistant.settings import Settings

__all__ = ["DiscordDoor", "ask_command", "register_commands", "router"]

log = logging.getLogger("runsource.discord")
router = APIRouter()

MAX_AGE_S = 300  # a signed request older than this is a replay
SEEN_TTL_S = 2 * MAX_AGE_S  # an interaction id is remembered while a replay of it could still verify
EPHEMERAL = 1 << 6
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT = 1, 2, 3
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE = 1, 4, 5
USER_AGENT = "DiscordBot (https://github.com/precision-performance/runsource, 0.1.0)"
NO_MENTIONS: dict[str, list[str]] = {"parse": []}
_SORRY = "Something went wrong on our side, sorry. Please try again in a moment."
_PRIVATE_OFFER = (
    "🔒 _Symptoms are personal. To keep them out of this channel, ask again with "
    "`/ask private: True` (only you will see the answer) or use `/ask` in a direct message with me._"
)


def ask_command(settings: Settings) -> dict[str, Any]:
    """The `/ask` slash command as Discord's API takes it."""
    return {
        "name": "ask",
        "type": 1,
        "description": f"Ask the {settings.app_name} assistant about low back pain and running"[:100],
        "options": [
            {
                "type": 3,
                "name": "question",
                "description": "Your question, e.g. is it just tight hamstrings?",
                "required": True,
                "min_length": 1,
                "max_length": min(settings.max_message_chars, 6000),
            },
            {"type": 5, "name": "private", "description": "Only you see the answer", "required": False},
        ],
        "integration_types": [0],  # installed to a server
        "contexts": [0, 1],  # in the server's channels and in a DM with the bot
    }


def register_commands(settings: Settings, guild_id: str | None = None) -> dict[str, Any]:
    """Registers `/ask` for the application (bulk overwrite, so running it twice is harmless).

    Args:
        settings: needs `discord_app_id` and `discord_bot_token`.
        guild_id: register in one server only (shows at once; handy while testing) instead of globally.

    Returns:
        `{"application_id", "scope", "commands": [{"id", "name"}]}`.

    Raises:
        DoorNotConfigured: the app id or bot token is missing.
        BackendUnavailable: Discord refused or could not be reached (its message is included).
    """
    if not settings.discord_app_id or settings.discord_bot_token is None:
        raise DoorNotConfigured(
            "Discord is not configured: set RUNSOURCE_DISCORD_APP_ID and RUNSOURCE_DISCORD_BOT_TOKEN "
            "(see docs/discord.md)."
        )
    base = settings.discord_api_url.rstrip("/")
    path = f"/applications/{settings.discord_app_id}"
    path += f"/guilds/{guild_id}/commands" if guild_id else "/commands"
    headers = {
        "Authorization": f"Bot {settings.discord_bot_token.get_secret_value()}",
        "User-Agent": USER_AGENT,
    }
    try:
        resp = httpx.put(base + path, json=[ask_command(settings)], headers=headers, timeout=15)
    except httpx.HTTPError as exc:
        raise BackendUnavailable(f"Discord could not be reached at {base}: {exc}") from exc
    if resp.status_code >= 400:
        raise BackendUnavailable(
            f"Discord refused the command registration ({resp.status_code}): {resp.text[:500]}"
        )
    commands = resp.json()
    return {
        "application_id": settings.discord_app_id,
        "scope": f"guild {guild_id}" if guild_id else "global",
        "commands": [{"id": c.get("id"), "name": c.get("name")} for c in commands],
    }


class DiscordDoor:
    """Verifies interactions and answers them through the chat service."""

    def __init__(self, services: Services) -> None:
        s = services.settings
        if not s.discord_public_key:
            raise DoorNotConfigured(
                "Discord is not configured on this server: set RUNSOURCE_DISCORD_PUBLIC_KEY, "
                "RUNSOURCE_DISCORD_APP_ID and RUNSOURCE_DISCORD_BOT_TOKEN (see docs/discord.md)."
            )
        try:
            self.key = VerifyKey(bytes.fromhex(s.discord_public_key.strip()))
        except ValueError as exc:
            raise DoorNotConfigured(
                "RUNSOURCE_DISCORD_PUBLIC_KEY is not a 64-character hex Ed25519 key; copy the "
                "'Public Key' from the application's General Information page."
            ) from exc
        self.services = services
        self.settings = s
        self.api = s.discord_api_url.rstrip("/")
        self.http = httpx.Client(timeout=15, headers={"User-Agent": USER_AGENT})

    def verify(
        self, signature: str | None, timestamp: str | None, body: bytes, now: float | None = None
    ) -> None:
        """Raises BadSignature unless Discord signed `timestamp + body` within the last 5 minutes."""
        if not signature or not timestamp:
            raise BadSignature("Missing X-Signature-Ed25519 or X-Signature-Timestamp header.")
        try:
            self.key.verify(timestamp.encode() + body, bytes.fromhex(signature))
            age = abs((now or time.time()) - int(timestamp))
        except (ValueError, BadSignatureError):
            raise BadSignature(
                "The request signature does not match this application's public key."
            ) from None
        if age > MAX_AGE_S:
            raise BadSignature("The request timestamp is more than 5 minutes old.")

    def handle(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Callable[[], None] | None]:
        """(the immediate response, work to do after it has been sent)."""
        kind = payload.get("type")
        if kind == PING:
            return {"type": PONG}, None
        if kind == APPLICATION_COMMAND:
            return self._command(payload)
        if kind == MESSAGE_COMPONENT:
            return self._component(payload), None
        raise InputError(f"Interaction type {kind!r} is not handled by this app.")

    def _command(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Callable[[], None] | None]:
        data = payload.get("data") or {}
        options = {o.get("name"): o.get("value") for o in data.get("options") or []}
        question = str(options.get("question") or "").strip()
        private = bool(options.get("private"))
        if data.get("name") != "ask" or not question:
            return _message(
                "Use `/ask` with a question, for example `/ask question: is it just tight hamstrings?`",
                private=True,
            ), None
        flags = EPHEMERAL if private else 0
        return {"type": DEFERRED_CHANNEL_MESSAGE, "data": {"flags": flags}}, lambda: self.answer(
            payload, question, private
        )

    def _component(self, payload: dict[str, Any]) -> dict[str, Any]:
        custom_id = str((payload.get("data") or {}).get("custom_id", ""))
        parts = custom_id.split(":", 2)
        if len(parts) != 3 or parts[0] != "feedback" or parts[1] not in ("up", "down"):
            return _message("That button is no longer supported.", private=True)
        user = (payload.get("member") or {}).get("user") or payload.get("user") or {}
        try:
            self.services.chat.door_feedback(
                "discord",
                str(payload.get("guild_id") or "dm"),
                str(user.get("id", "")),
                Feedback(turn_id=parts[2], rating=parts[1]),
            )
        except UnknownTurn:
            return _message("Only the person who asked can rate this answer, thank you.", private=True)
        return _message("Thanks, your feedback helps us improve the answers.", private=True)

    def answer(self, payload: dict[str, Any], question: str, private: bool) -> None:
        """The deferred part: one chat turn, edited into the original response, then follow-ups."""
        app_id = str(payload.get("application_id") or self.settings.discord_app_id or "")
        webhook = f"{self.api}/webhooks/{app_id}/{payload.get('token', '')}"
        guild = payload.get("guild_id")
        user = (payload.get("member") or {}).get("user") or payload.get("user") or {}
        # One session per member, channel and visibility: a private ask never colours a public answer.
        where = DoorPlace(
            "discord",
            str(guild or "dm"),
            (str(payload.get("channel_id", "")), "private" if private else "public"),
            str(user.get("id", "")),
        )
        try:
            reply = self.services.chat.door_turn(where, question, "discord")
        except RunsourceError as exc:
            self._send(
                "PATCH",
                f"{webhook}/messages/@original",
                {"content": exc.message, "allowed_mentions": NO_MENTIONS},
            )
            return
        except Exception:
            log.exception("Discord answer failed")
            self._send(
                "PATCH", f"{webhook}/messages/@original", {"content": _SORRY, "allowed_mentions": NO_MENTIONS}
            )
            return
        shared = bool(guild) and not private
        offer = (
            _PRIVATE_OFFER
            if shared and mentions_symptoms(reply) and reply.triage.level != "emergency"
            else None
        )
        titled = with_program_titles(reply, program_titles(self.services.retriever))
        messages = discord_messages(titled, self.settings, offer=offer)
        self._send("PATCH", f"{webhook}/messages/@original", messages[0])
        for extra in messages[1:]:
            self._send("POST", webhook, {**extra, "flags": EPHEMERAL} if private else extra)

    def _send(self, method: str, url: str, body: dict[str, Any]) -> None:
        for _ in range(3):
            try:
                resp = self.http.request(method, url, json=body)
            except httpx.HTTPError as exc:
                log.error("Discord %s failed: %s", method, exc)
                return
            if resp.status_code != 429:
                if resp.status_code >= 400:
                    log.error("Discord %s answered %s: %s", method, resp.status_code, resp.text[:300])
                return
            time.sleep(min(float(resp.json().get("retry_after", 1.0)), 5.0))


def _message(content: str, *, private: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"content": content, "allowed_mentions": NO_MENTIONS}
    if private:
        data["flags"] = EPHEMERAL
    return {"type": CHANNEL_MESSAGE, "data": data}


def discord_door(request: Request) -> DiscordDoor:
    """The door of this app, built on the first Discord request (the services exist by then)."""
    return built_once(request, "discord_door", DiscordDoor)


async def verified_interaction(request: Request, services: ServicesDep) -> dict[str, Any]:
    """The raw body (capped by the edge) verified, then parsed; each interaction id is taken once."""
    door = discord_door(request)
    body = await request.body()
    door.verify(
        request.headers.get("x-signature-ed25519"), request.headers.get("x-signature-timestamp"), body
    )
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise InputError("The interaction body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise InputError("The interaction body must be a JSON object.")
    interaction = payload.get("id")
    taken = isinstance(interaction, str | int) and payload.get("type") != PING
    if taken and not services.once.claim(f"discord:{interaction}", SEEN_TTL_S):
        raise AlreadyHandled("This interaction was already handled; a replay is not acted on.")
    return payload


InteractionDep = Annotated[dict[str, Any], Depends(verified_interaction)]


async def ask_wait(payload: InteractionDep, services: ServicesDep) -> int | None:
    """Seconds to wait when this `/ask` is over the per-user or per-server limit, else None."""
    if payload.get("type") != APPLICATION_COMMAND:
        return None
    user = str(((payload.get("member") or {}).get("user") or payload.get("user") or {}).get("id", ""))
    guild = str(payload.get("guild_id") or f"dm-{user}")
    checks: tuple[tuple[Rule, str], ...] = (
        ("door_user", f"discord:{user}"),
        ("door_team", f"discord:{guild}"),
    )
    return await services.limits.first_wait(checks)


@router.post("/discord/interactions", tags=["doors"], summary="Discord interactions endpoint")
async def discord_interactions(
    request: Request,
    background: BackgroundTasks,
    payload: InteractionDep,
    wait: Annotated[int | None, Depends(ask_wait)],
) -> JSONResponse:
    """Signed interactions from Discord only; 503 with an error object when Discord is not configured."""
    door = discord_door(request)
    if wait is not None:
        note = f"You're asking faster than I can answer. Please wait {wait} s and ask again."
        return JSONResponse(_message(note, private=True))
    response, work = door.handle(payload)
    if work is not None:
        background.add_task(work)
    return JSONResponse(response)
