"""The Slack app: Bolt for Python behind `POST /slack/events`, answering through `ChatService`.

    POST /slack/events ─ Bolt: signature check (401), url_verification, auth
        ├── seen-event filter   a retried event_id is acknowledged and dropped
        ├── app_mention         answered in the thread; shared channels get an offer to go to a DM
        ├── message (im)        answered in the DM (in the thread when the runner used one)
        ├── /runsource          any slash command pointed here; answered privately (ephemeral)
        └── feedback_up/_down   block_actions from the answer's buttons -> the session store

Every listener acknowledges at once and does the work in a lazy listener (Bolt's thread pool),
so Slack gets its answer well within 3 seconds and the chat turn takes the time it needs.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter, Request, Response
from slack_bolt import Ack, App, BoltResponse, Respond
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import built_once
from assistant.chat import DoorPlace
from assistant.doors.render import (
    mentions_symptoms,
    program_titles,
    slack_blocks,
    with_program_titles,
)
from assistant.errors import BadSignature, DoorNotConfigured, InputError, RunsourceError, UnknownTurn
from assistant.services import Services
from assistant.sessions import Feedback
from assistant.types import Reply

__all__ = ["SeenEvents", "SlackDoor", "clean_slack_text", "router"]

log = logging.getLogger("runsource.slack")
router = APIRouter()

SEEN_TTL_S = 3600  # Slack retries within minutes; an hour of memory is plenty
_SORRY = "Something went wrong on our side, sorry. Please try again in a moment."
_USAGE = "Ask me something after the command, for example: `/runsource is it just tight hamstrings?`"

_USER = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")
_SPECIAL = re.compile(r"<![^>]*>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def clean_slack_text(text: str) -> str:
    """What the runner typed, without mentions and Slack's link markup."""
    text = _USER.sub("", text)
    text = _CHANNEL.sub(r"#\1", text)
    text = _SPECIAL.sub("", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


class SeenEvents(Protocol):
    def first_time(self, event_id: str) -> bool: ...


class SQLiteSeenEvents:
    """Event ids already taken, in a SQLite file shared by every worker process on the host."""

    def __init__(self, path: Path, ttl_s: int = SEEN_TTL_S) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at REAL NOT NULL)")
        self._inserts = 0

    def first_time(self, event_id: str) -> bool:
        now = time.time()
        with self._lock:
            cur = self._db.execute("INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)", (event_id, now))
            self._inserts += 1
            if self._inserts % 200 == 0:
                self._db.execute("DELETE FROM seen WHERE at < ?", (now - self.ttl_s,))
            return cur.rowcount == 1


class RedisSeenEvents:
    """The same, in Redis, for workers on several hosts (used when sessions live in Redis)."""

    def __init__(self, url: str, ttl_s: int = SEEN_TTL_S) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self.ttl_s = ttl_s

    def first_time(self, event_id: str) -> bool:
        return bool(self._redis.set(f"runsource:slack:event:{event_id}", 1, nx=True, ex=self.ttl_s))


def make_seen_events(services: Services) -> SeenEvents:
    s = services.settings
    if s.sessions_url and s.sessions_url.startswith(("redis://", "rediss://")):
        return RedisSeenEvents(s.sessions_url)
    return SQLiteSeenEvents(s.data_dir / "slack_events.sqlite3")


class SlackDoor:
    """The Bolt app for one process, wired to the chat service."""

    def __init__(self, services: Services, seen: SeenEvents | None = None) -> None:
        s = services.settings
        if s.slack_bot_token is None or s.slack_signing_secret is None:
            raise DoorNotConfigured(
                "Slack is not configured on this server: set RUNSOURCE_SLACK_BOT_TOKEN and "
                "RUNSOURCE_SLACK_SIGNING_SECRET (see docs/slack.md)."
            )
        self.services = services
        self.settings = s
        self.seen = seen or make_seen_events(services)
        # Bolt logs raw request bodies (the runner's words) at INFO and WARNING, and the SDK logs
        # what it sends at DEBUG: health information stays out of the logs, errors still get in.
        bolt_log = logging.getLogger("runsource.slack.bolt")
        bolt_log.setLevel(logging.ERROR)
        sdk_log = logging.getLogger("runsource.slack.sdk")
        sdk_log.setLevel(logging.WARNING)
        client = WebClient(
            token=s.slack_bot_token.get_secret_value(), base_url=s.slack_api_url, logger=sdk_log
        )
        self.bolt = App(
            client=client,
            logger=bolt_log,
            signing_secret=s.slack_signing_secret.get_secret_value(),
            token_verification_enabled=False,  # auth.test runs on the first event, not at start-up
            listener_executor=ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack"),
        )
        self.bolt.use(self._drop_retried_events)
        self.bolt.event("app_mention")(ack=self._ack, lazy=[self._answer_mention])
        self.bolt.event("message")(ack=self._ack, lazy=[self._answer_direct_message])
        self.bolt.command(re.compile(r"^/"))(ack=self._ack_command, lazy=[self._answer_command])
        self.bolt.action(re.compile(r"^feedback_(up|down)$"))(ack=self._ack, lazy=[self._record_feedback])

    def dispatch(self, request: Request, body: bytes) -> Response:
        try:
            bolt_request = to_bolt_request(request, body)  # Bolt parses the body before checking it
        except (ValueError, RecursionError):
            raise InputError("The request body is not the JSON or form data Slack sends.") from None
        answer = self.bolt.dispatch(bolt_request)
        if answer.status == 401:  # Bolt's signature check; answered in our error shape like every 4xx
            raise BadSignature("The request is not signed with this app's Slack signing secret, or is stale.")
        return to_starlette_response(answer)

    # ------------------------------------------------------------ acknowledgements (< 3 s)
    def _drop_retried_events(self, body: dict[str, Any], next: Any) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and not self.seen.first_time(event_id):
            log.info("dropping Slack event %s: already taken (a retry)", event_id)
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        next()
        return None

    @staticmethod
    def _ack(ack: Ack) -> None:
        ack()

    @staticmethod
    def _ack_command(ack: Ack, command: dict[str, Any]) -> None:
        if clean_slack_text(command.get("text", "")):
            ack()
        else:
            ack(text=_USAGE, response_type="ephemeral")

    # ------------------------------------------------------------ answers (lazy, after the ack)
    def _answer_mention(self, body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        text = clean_slack_text(event.get("text", "")) or "hi"
        thread_ts = event.get("thread_ts") or event["ts"]
        self._answer_in(body, event, event["channel"], thread_ts, text, client, shared=not _is_dm(event))

    def _answer_direct_message(self, body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if not _is_dm(event) or event.get("subtype") or event.get("bot_id"):
            return  # edits, joins and bot messages; channel messages arrive as app_mention
        text = clean_slack_text(event.get("text", ""))
        if text:
            self._answer_in(body, event, event["channel"], event.get("thread_ts"), text, client, shared=False)

    def _answer_in(
        self,
        body: dict[str, Any],
        event: dict[str, Any],
        channel: str,
        thread_ts: str | None,
        text: str,
        client: WebClient,
        *,
        shared: bool,
    ) -> None:
        # One session per member per thread: two members in one thread never see each other's triage.
        where = DoorPlace(
            "slack", str(body.get("team_id", "")), (channel, thread_ts or "dm"), str(event.get("user", ""))
        )
        try:
            reply = self.services.chat.door_turn(where, text, "slack")
        except RunsourceError as exc:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=exc.message)
            return
        except Exception:
            log.exception("Slack answer failed")
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=_SORRY)
            return
        offer = None
        if shared and mentions_symptoms(reply) and reply.triage.level != "emergency":
            offer = _dm_offer(body)
        fallback, blocks = slack_blocks(self._titled(reply), self.settings, offer=offer)
        client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=fallback,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )

    def _answer_command(self, command: dict[str, Any], respond: Respond) -> None:
        text = clean_slack_text(command.get("text", ""))
        if not text:
            return
        where = DoorPlace(
            "slack",
            str(command.get("team_id", "")),
            (str(command.get("channel_id", "")), "private"),
            str(command.get("user_id", "")),
        )
        try:
            reply = self.services.chat.door_turn(where, text, "slack")
        except RunsourceError as exc:
            respond(text=exc.message, response_type="ephemeral")
            return
        except Exception:
            log.exception("Slack command failed")
            respond(text=_SORRY, response_type="ephemeral")
            return
        fallback, blocks = slack_blocks(self._titled(reply), self.settings)
        respond(text=fallback, blocks=blocks, response_type="ephemeral")

    def _titled(self, reply: Reply) -> Reply:
        return with_program_titles(reply, program_titles(self.services.retriever))

    def _record_feedback(self, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        rating = "up" if action.get("action_id") == "feedback_up" else "down"
        team = str((body.get("team") or {}).get("id", "") or body.get("team_id", ""))
        user = str((body.get("user") or {}).get("id", ""))
        try:
            self.services.chat.door_feedback(
                "slack", team, user, Feedback(turn_id=str(action.get("value", "")), rating=rating)
            )
        except UnknownTurn:
            respond(
                text="Only the person who asked can rate this answer, thank you.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        respond(
            text="Thanks, your feedback helps us improve the answers.",
            response_type="ephemeral",
            replace_original=False,
        )


def _is_dm(event: dict[str, Any]) -> bool:
    return event.get("channel_type") == "im" or str(event.get("channel", "")).startswith("D")


def _dm_offer(body: dict[str, Any]) -> str:
    app_id, team = body.get("api_app_id"), body.get("team_id")
    if app_id and team:
        link = (
            f"<https://slack.com/app_redirect?app={app_id}&team={team}|continue in a direct message with me>"
        )
    else:
        link = "send me a direct message"
    return f":lock: Symptoms are personal. If you'd rather not discuss them here, {link}."


def slack_door(request: Request) -> SlackDoor:
    """The door of this app, built on the first Slack request (the services exist by then)."""
    return built_once(request, "slack_door", SlackDoor)


@router.post("/slack/events", tags=["doors"], summary="Slack Events API, slash commands and interactivity")
async def slack_events(request: Request) -> Response:
    """Signed requests from Slack only; answers 503 with an error object when Slack is not configured."""
    door = slack_door(request)
    body = await request.body()
    return await run_in_threadpool(door.dispatch, request, body)
