"""The Slack app: Bolt for Python behind `POST /slack/events`, answering through `ChatService`.

    POST /slack/events ─ body capped (413), signature checked on the raw bytes (401), then parsed
        ├── replay filter       a trigger_id already taken, or a retried event_id, is acknowledged
        │                       and dropped; an event is in progress until its answer is posted
        ├── rate limits         questions per user and per workspace; over them, a short "wait" reply
        ├── Bolt                url_verification, auth, the listeners below
        ├── app_mention         answered in the thread; shared channels get an offer to go to a DM
        ├── message (im)        answered in the DM (in the thread when the runner used one)
        ├── /runsource          any slash command pointed here; answered privately (ephemeral)
        └── feedback_up/_down   block_actions from the answer's buttons -> the session store

Every listener acknowledges at once and does the work in a lazy listener (Bolt's thread pool),
so Slack gets its answer well within 3 seconds and the chat turn takes the time it needs. An event
is marked done only once its answer is posted: a retry while it is being answered is dropped, a
retry after a crash mid-answer (once the in-progress time is up) is answered.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.request.internals import extract_team_id, extract_user_id
from slack_sdk import WebClient
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import ServicesDep, built_once
from assistant.chat import DoorPlace
from assistant.doors.render import (
    mentions_symptoms,
    program_titles,
    slack_blocks,
    with_program_titles,
)
from assistant.errors import BadSignature, DoorNotConfigured, InputError, RunsourceError, UnknownTurn
from assistant.ratelimit import Rule
from assistant.services import Services
from assistant.sessions import Feedback
from assistant.types import Reply

__all__ = ["SlackCall", "SlackDoor", "clean_slack_text", "router", "verify_slack_signature"]

log = logging.getLogger("runsource.slack")
router = APIRouter()

MAX_AGE_S = 300  # Slack's own replay window for a signed request
DONE_TTL_S = 3600  # Slack retries within minutes; an hour of memory is plenty
IN_PROGRESS_S = 90  # longer than a turn takes; after a crash the key frees for Slack's next retry
TRIGGER_TTL_S = 2 * MAX_AGE_S  # a trigger_id is remembered while a replay of it could still verify
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


def verify_slack_signature(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None
) -> None:
    """Raises BadSignature unless Slack signed `v0:timestamp:body` within the last 5 minutes.

    Checked on the raw bytes before anything parses them; a missing, malformed or stale timestamp
    is a 401 like a wrong signature (never a 500).
    """
    if not timestamp or not signature:
        raise BadSignature("Missing X-Slack-Request-Timestamp or X-Slack-Signature header.")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise BadSignature("X-Slack-Request-Timestamp is not a Unix time in seconds.")
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise BadSignature("The request is not signed with this app's Slack signing secret.")
    if abs((now or time.time()) - int(timestamp)) > MAX_AGE_S:
        raise BadSignature("The request timestamp is more than 5 minutes old.")


@dataclass
class SlackCall:
    """A verified Slack request: its raw body, as Bolt parsed it, and who sent it."""

    request: BoltRequest
    body: dict[str, Any]
    user: str
    team: str

    @property
    def is_turn(self) -> bool:
        """A question to answer: a mention, a direct message or a slash command (not the echo of a
        bot's own message, an edit or a join, which must not use up anyone's limit)."""
        if "command" in self.body:
            return True
        event = self.body.get("event") if self.body.get("type") == "event_callback" else None
        if not isinstance(event, dict) or event.get("bot_id") or event.get("subtype"):
            return False
        return event.get("type") in ("app_mention", "message")


class SlackDoor:
    """The Bolt app for one process, wired to the chat service."""

    def __init__(self, services: Services) -> None:
        s = services.settings
        if s.slack_bot_token is None or s.slack_signing_secret is None:
            raise DoorNotConfigured(
                "Slack is not configured on this server: set RUNSOURCE_SLACK_BOT_TOKEN and "
                "RUNSOURCE_SLACK_SIGNING_SECRET (see docs/slack.md)."
            )
        self.services = services
        self.settings = s
        self.secret = s.slack_signing_secret.get_secret_value()
        self.once = services.once
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
            signing_secret=self.secret,
            request_verification_enabled=False,  # checked on the raw bytes before parsing (`verify`)
            token_verification_enabled=False,  # auth.test runs on the first event, not at start-up
            listener_executor=ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack"),
        )
        self.bolt.use(self._drop_retried_events)
        self.bolt.event("app_mention")(ack=self._ack, lazy=[self._answer_mention])
        self.bolt.event("message")(ack=self._ack, lazy=[self._answer_direct_message])
        self.bolt.command(re.compile(r"^/"))(ack=self._ack_command, lazy=[self._answer_command])
        self.bolt.action(re.compile(r"^feedback_(up|down)$"))(ack=self._ack, lazy=[self._record_feedback])

    def verify(self, request: Request, body: bytes) -> SlackCall:
        """The signature on the raw bytes first (401), then the parsed body (400 if it is not Slack's)."""
        h = request.headers
        verify_slack_signature(
            self.secret, h.get("x-slack-request-timestamp"), h.get("x-slack-signature"), body
        )
        try:
            bolt_request = to_bolt_request(request, body)
        except (ValueError, RecursionError):
            raise InputError("The request body is not the JSON or form data Slack sends.") from None
        parsed = bolt_request.body if isinstance(bolt_request.body, dict) else {}
        return SlackCall(
            bolt_request, parsed, str(extract_user_id(parsed) or ""), str(extract_team_id(parsed) or "")
        )

    def dispatch(self, call: SlackCall) -> Response:
        return to_starlette_response(self.bolt.dispatch(call.request))

    @staticmethod
    def limited(call: SlackCall, wait: int) -> Response:
        """Over a rate limit: acknowledged (so Slack does not retry) with a short note, no turn."""
        note = f"You're asking faster than I can answer. Please wait {wait} s and ask again."
        if "command" in call.body:
            answer = BoltResponse(status=200, body={"response_type": "ephemeral", "text": note})
        else:
            answer = BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        return to_starlette_response(answer)

    # ------------------------------------------------------------ acknowledgements (< 3 s)
    def _drop_retried_events(self, body: dict[str, Any], next: Any) -> BoltResponse | None:
        """Each event and each trigger_id is acted on once, however often it is delivered."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        trigger = body.get("trigger_id")
        if isinstance(event_id, str) and not self.once.claim(f"slack:event:{event_id}", IN_PROGRESS_S):
            log.info("dropping Slack event %s: already taken (a retry)", event_id)
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        if isinstance(trigger, str) and not self.once.claim(f"slack:trigger:{trigger}", TRIGGER_TTL_S):
            log.info("dropping a Slack request whose trigger_id was already taken (a replay)")
            return BoltResponse(status=200, body="")
        next()
        return None

    def _finished(self, body: dict[str, Any], *, posted: bool) -> None:
        """An event's answer is posted: done for good. Not posted: free the event for Slack's retry."""
        event_id = body.get("event_id")
        if body.get("type") != "event_callback" or not isinstance(event_id, str):
            return
        key = f"slack:event:{event_id}"
        if posted:
            self.once.finish(key, DONE_TTL_S)
        else:
            self.once.release(key)

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
        with self._posted_once(body):
            self._answer_in(body, event, event["channel"], thread_ts, text, client, shared=not _is_dm(event))

    def _answer_direct_message(self, body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        with self._posted_once(body):
            if not _is_dm(event) or event.get("subtype") or event.get("bot_id"):
                return  # edits, joins and bot messages; channel messages arrive as app_mention
            text = clean_slack_text(event.get("text", ""))
            if text:
                self._answer_in(
                    body, event, event["channel"], event.get("thread_ts"), text, client, shared=False
                )

    @contextmanager
    def _posted_once(self, body: dict[str, Any]) -> Iterator[None]:
        """The event is done once the block ends; if it fails, it is freed for Slack's retry."""
        try:
            yield
        except BaseException:
            self._finished(body, posted=False)
            raise
        self._finished(body, posted=True)

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


SlackDoorDep = Annotated[SlackDoor, Depends(slack_door)]


async def verified_call(request: Request, door: SlackDoorDep) -> SlackCall:
    """The raw body (capped by the edge at 256 KiB), its signature checked before it is parsed."""
    return door.verify(request, await request.body())


SlackCallDep = Annotated[SlackCall, Depends(verified_call)]


async def turn_wait(call: SlackCallDep, services: ServicesDep) -> int | None:
    """Seconds to wait when this question is over the per-user or per-workspace limit, else None."""
    if not call.is_turn:
        return None
    team = call.team or "no-team"
    checks: tuple[tuple[Rule, str], ...] = (
        ("door_user", f"slack:{team}:{call.user}"),
        ("door_team", f"slack:{team}"),
    )
    return await services.limits.first_wait(checks)


@router.post("/slack/events", tags=["doors"], summary="Slack Events API, slash commands and interactivity")
async def slack_events(
    door: SlackDoorDep, call: SlackCallDep, wait: Annotated[int | None, Depends(turn_wait)]
) -> Response:
    """Signed requests from Slack only; answers 503 with an error object when Slack is not configured."""
    if wait is not None:
        return door.limited(call, wait)
    return await run_in_threadpool(door.dispatch, call)
