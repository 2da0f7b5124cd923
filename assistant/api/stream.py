"""Streaming chat (Server-Sent Events), session history, erasure and feedback: thin edges over ChatService.

Every use of an existing session needs its token (`Authorization: Bearer <token>`, or the
`session_token` field of a JSON body); the server issued both with the session's first reply.

A streamed turn is three kinds of event, in order:

    meta   session (and its token when the turn opened it), triage (flag labels, no evidence),
           intent, citations and exercises, before any text (escalations show at once)
    delta  {"text": "..."} pieces of the reply; joined, they are exactly `reply.reply`
    done   the whole Reply object, as POST /v1/chat returns it
    error  {"error": {...}} if the turn fails after the stream began (instead of done)

The grounded responder writes the whole reply at once, so `replayed_turn` runs the ordinary turn
and replays it as events. A `StreamingResponder` (the LLM one) streams its own deltas: the
synchronous `ChatService.turn_stream` runs on a thread of its own and hands each item to the event
loop, so a stream waiting for a slow model's next token holds no thread of the shared pool (the
one sync routes and the other turns use). `turn_stream` is the one function the route calls.
Framing, keep-alive pings (a comment every 15 s) and slow readers are sse-starlette's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import FeedbackLimit, IpTurnLimit, ServicesDep, TokenDep
from assistant.api.routes import ChatIn, SessionTurnLimit
from assistant.chat import ChatService, TurnStart
from assistant.errors import RunsourceError
from assistant.responders.base import StreamingResponder
from assistant.sessions import Feedback
from assistant.types import Channel, Citation, ExerciseCard, Intent, Mode, Reply, Triage

__all__ = [
    "Delta",
    "FeedbackIn",
    "Meta",
    "Rated",
    "SessionOut",
    "TurnEvent",
    "encode_event",
    "meta_of",
    "replayed_turn",
    "router",
    "streamed_turn",
    "turn_stream",
    "word_groups",
]

log = logging.getLogger("runsource.api.stream")
router = APIRouter()

SESSION_ID = r"^[A-Za-z0-9_-]+$"
WORDS_PER_DELTA = 6
PING_S = 15  # a keep-alive comment when nothing else was sent, so proxies keep the stream open
SEND_TIMEOUT_S = 30  # a reader that takes no data for this long is dropped


class Meta(BaseModel):
    """The first event: everything about the reply except its text."""

    session_id: str
    session_token: str | None = None
    turn_id: str
    triage: Triage
    intent: Intent
    in_scope: bool
    citations: list[Citation]
    exercises: list[ExerciseCard]
    mode: Mode


class Delta(BaseModel):
    text: str


TurnEvent = Meta | Delta | Reply
TurnStream = Callable[[ChatService, str | None, str, Channel, str | None], AsyncGenerator[TurnEvent, None]]


def meta_of(reply: Reply) -> Meta:
    """The reply's fields that `meta` carries (everything but the text)."""
    return Meta.model_validate(reply.model_dump(include=set(Meta.model_fields)))


_WORD = re.compile(r"\S+\s*")


def word_groups(text: str, size: int = WORDS_PER_DELTA) -> list[str]:
    """`text` in pieces of `size` words, whitespace kept, so that "".join(pieces) == text."""
    lead = text[: len(text) - len(text.lstrip())]
    words = _WORD.findall(text)
    pieces = ["".join(words[i : i + size]) for i in range(0, len(words), size)]
    if lead:
        pieces = [lead + pieces[0], *pieces[1:]] if pieces else [lead]
    return pieces


async def replayed_turn(
    chat: ChatService, session_id: str | None, message: str, channel: Channel, token: str | None = None
) -> AsyncGenerator[TurnEvent, None]:
    """One whole turn (in a worker thread: the pipeline is synchronous), replayed as events."""
    reply = await run_in_threadpool(chat.turn, session_id, message, channel, token)
    yield meta_of(reply)
    for piece in word_groups(reply.reply):
        yield Delta(text=piece)
    yield reply


_END = object()


@dataclass
class _Failed:
    error: BaseException


async def streamed_turn(
    chat: ChatService, session_id: str | None, message: str, channel: Channel, token: str | None = None
) -> AsyncGenerator[TurnEvent, None]:
    """Real token deltas from a streaming responder (the LLM one); a replay for the grounded one.

    Citations and exercise cards are known only when the checked reply is done, so `meta` carries
    the triage and `done` the rest; `done.reply` is authoritative if the guard stopped the stream.
    """
    if not isinstance(chat.responder, StreamingResponder):
        async for event in replayed_turn(chat, session_id, message, channel, token):
            yield event
        return
    loop = asyncio.get_running_loop()
    items: asyncio.Queue[object] = asyncio.Queue()
    gone = threading.Event()

    def hand_over(item: object) -> None:
        try:
            loop.call_soon_threadsafe(items.put_nowait, item)
        except RuntimeError:  # the event loop has closed (server shutting down)
            gone.set()

    def run() -> None:
        stream = chat.turn_stream(session_id, message, channel, token)
        try:
            for item in stream:
                hand_over(item)
                if gone.is_set():
                    break  # the runner went away: stop the model instead of finishing for no one
        except BaseException as exc:
            hand_over(_Failed(exc))
        finally:
            stream.close()
            hand_over(_END)

    threading.Thread(target=run, name="turn-stream", daemon=True).start()
    try:
        while (item := await items.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            if isinstance(item, TurnStart):
                yield Meta(**vars(item), citations=[], exercises=[], mode="llm")
            elif isinstance(item, str):
                yield Delta(text=item)
            elif isinstance(item, Reply):
                yield item
    finally:
        gone.set()


turn_stream: TurnStream = streamed_turn


def encode_event(event: TurnEvent) -> ServerSentEvent:
    name = "meta" if isinstance(event, Meta) else "delta" if isinstance(event, Delta) else "done"
    return ServerSentEvent(event.model_dump_json(), event=name, sep="\n")


async def _sse(first: TurnEvent, rest: AsyncGenerator[TurnEvent, None]) -> AsyncIterator[ServerSentEvent]:
    yield encode_event(first)
    try:
        async for event in rest:
            yield encode_event(event)
    except Exception as exc:  # the status line is gone; say so in the stream instead
        if isinstance(exc, RunsourceError):
            error = {"code": exc.code, "message": exc.message}
        else:
            log.exception("streamed turn failed after it began")
            error = {"code": "internal", "message": "Something went wrong on our side. Please try again."}
        yield ServerSentEvent(json.dumps({"error": error}), event="error", sep="\n")
    finally:
        await rest.aclose()


_STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-Sent Events: `meta`, then `delta` pieces, then `done` (or `error`).",
        "content": {"text/event-stream": {"example": 'event: meta\ndata: {"session_id": "s_..."}\n\n'}},
    }
}


@router.post(
    "/v1/chat/stream",
    response_class=EventSourceResponse,
    responses=_STREAM_DOC,
    tags=["chat"],
    dependencies=[IpTurnLimit],
)
async def chat_stream(
    body: ChatIn, services: ServicesDep, token: TokenDep, _: SessionTurnLimit
) -> EventSourceResponse:
    """One turn as a stream: triage and sources first, then the text, then the whole reply."""
    events = turn_stream(
        services.chat, body.session_id, body.message, body.channel, body.session_token or token
    )
    # Input errors raise before the first event, so they still answer a plain 4xx error object.
    first = await anext(events)
    return EventSourceResponse(
        _sse(first, events),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        ping=PING_S,
        sep="\n",
        send_timeout=SEND_TIMEOUT_S,
    )


Rating = Literal["up", "down"]
Reason = Literal["unsafe", "wrong", "missed_symptom", "too_alarming", "other"]


class Rated(BaseModel):
    rating: Rating
    reason: Reason | None = None


class TurnOut(BaseModel):
    turn_id: str
    created_at: float = Field(description="Seconds since the epoch.")
    message: str = Field(description="Word for word within the full-text window, redacted after it.")
    reply: Reply
    feedback: Rated | None = Field(None, description="The rating given to this reply, if any.")


class SessionOut(BaseModel):
    session_id: str
    turns: list[TurnOut] = Field(description="Oldest first; the latest `limit` turns.")


_SESSION_PATH = Path(max_length=100, pattern=SESSION_ID)


@router.get("/v1/sessions/{session_id}", response_model=SessionOut, tags=["chat"])
def session_history(
    services: ServicesDep,
    token: TokenDep,
    session_id: str = _SESSION_PATH,
    limit: int = Query(50, ge=1, le=200, description="How many of the latest turns to return."),
) -> SessionOut:
    """A conversation so far, for its owner (the widget fetches it with the token after a reload)."""
    services.chat.authorize(session_id, token)
    rated = services.sessions.feedback_of(session_id)
    turns = [
        TurnOut(
            turn_id=t.turn_id,
            created_at=t.created_at,
            message=t.message,
            reply=Reply.model_validate(t.reply),
            feedback=Rated.model_validate(rated[t.turn_id].model_dump()) if t.turn_id in rated else None,
        )
        for t in services.sessions.history(session_id, limit=limit)
    ]
    return SessionOut(session_id=session_id, turns=turns)


@router.delete("/v1/sessions/{session_id}", status_code=204, response_class=Response, tags=["chat"])
def erase_session(services: ServicesDep, token: TokenDep, session_id: str = _SESSION_PATH) -> Response:
    """Erase a conversation: its turns and feedback are deleted, and its audit entries are cut down
    to the level, flag ids and rule versions. The token stops working at once."""
    services.chat.erase(session_id, token)
    return Response(status_code=204)


class FeedbackIn(BaseModel):
    turn_id: str = Field(max_length=100, pattern=SESSION_ID, description="The `turn_id` of the reply rated.")
    rating: Rating
    reason: Reason | None = Field(None, description="Why a reply was rated down.")
    comment: str = Field("", max_length=2000, description="Free text; personal details are redacted.")
    session_token: str | None = Field(
        None, max_length=200, description="The token of the reply's session (or a Bearer header)."
    )


class FeedbackOut(BaseModel):
    feedback_id: str


@router.post(
    "/v1/feedback", response_model=FeedbackOut, status_code=201, tags=["chat"], dependencies=[FeedbackLimit]
)
def feedback(body: FeedbackIn, services: ServicesDep, token: TokenDep) -> FeedbackOut:
    """Rate one reply of your session up or down, with a reason and a comment. A reply keeps one
    feedback: sending another replaces it."""
    given = Feedback(
        turn_id=body.turn_id, rating=body.rating, reason=body.reason, comment=body.comment.strip()
    )
    return FeedbackOut(feedback_id=services.chat.feedback(given, body.session_token or token))
