"""HTTP routes: thin translations to and from `ChatService`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markdown_it import MarkdownIt
from pydantic import BaseModel, Field

from assistant.api.deps import IpTurnLimit, ServicesDep, TokenDep, enforce
from assistant.errors import BackendUnavailable, NotFound
from assistant.types import Channel, Reply

log = logging.getLogger("runsource.api")
router = APIRouter()
T = TypeVar("T")
_md = MarkdownIt("commonmark", {"html": False})


class ChatIn(BaseModel):
    message: str = Field(description="What the runner typed (1 to 4,000 characters).")
    session_id: str | None = Field(
        None,
        max_length=100,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Leave out to start a session; the server issues the id and a session_token.",
    )
    session_token: str | None = Field(
        None,
        max_length=200,
        description="The session's token (or send it as `Authorization: Bearer <token>`).",
    )
    channel: Channel = "api"


class KnowledgeOut(BaseModel):
    id: str
    title: str
    kind: str
    url: str
    text: str


async def limit_session_turns(body: ChatIn, services: ServicesDep, token: TokenDep) -> None:
    """Chat turns per session (a new session has no count yet), counted only for the holder of the
    session's token: someone who knows or guesses an id cannot spend its owner's turns."""
    if body.session_id:
        await asyncio.to_thread(services.chat.authorize, body.session_id, body.session_token or token)
        await enforce(services, "session", body.session_id)


SessionTurnLimit = Annotated[None, Depends(limit_session_turns)]


@router.post("/v1/chat", response_model=Reply, tags=["chat"], dependencies=[IpTurnLimit])
def chat(body: ChatIn, services: ServicesDep, token: TokenDep, _: SessionTurnLimit) -> Response:
    """One turn of the conversation. Leave `session_id` out to start a session: the reply carries
    its id and `session_token` (once); later turns send both."""
    reply = services.chat.turn(body.session_id, body.message, body.channel, body.session_token or token)
    # Serialized once, by the model itself: FastAPI would validate and encode the Reply again.
    return Response(reply.model_dump_json(), media_type="application/json")


@router.get("/healthz", tags=["ops"])
async def healthz() -> dict[str, str]:
    """The process is up (answered on the event loop: busy worker threads cannot delay it)."""
    return {"status": "ok"}


# The store probes run on two threads of their own, not the pool the chat turns use, so a server
# busy with turns still answers its readiness check, and a hung store costs at most PROBE_TIMEOUT_S.
_PROBES = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readyz")
PROBE_TIMEOUT_S = 2.0


async def _probe(name: str, check: Callable[[], T]) -> T:
    """`check()`'s result, or BackendUnavailable naming `name` (never the client's exception text,
    which can name internal addresses; that goes to the log)."""
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(loop.run_in_executor(_PROBES, check), PROBE_TIMEOUT_S)
    except TimeoutError:
        raise BackendUnavailable(f"the {name} did not answer within {PROBE_TIMEOUT_S:g} s") from None
    except Exception as exc:  # a store client's own error types vary
        log.warning("readiness: the %s is down (%s)", name, type(exc).__name__)
        raise BackendUnavailable(f"the {name} is not answering") from None


@router.get("/readyz", tags=["ops"])
async def readyz(services: ServicesDep) -> JSONResponse:
    """Ready to answer: the knowledge index and the session store both respond."""
    try:
        await _probe("session store", services.sessions.ping)
        chunks = await _probe("knowledge index", services.index.count)
    except BackendUnavailable as exc:
        return JSONResponse({"status": "unavailable", "reason": exc.message}, status_code=503)
    if chunks == 0:
        return JSONResponse(
            {"status": "unavailable", "reason": "the knowledge index is empty"}, status_code=503
        )
    return JSONResponse({"status": "ready", "chunks": chunks})


def _doc(services: ServicesDep, doc_id: str) -> KnowledgeOut:
    records = services.retriever.doc(doc_id)
    if not records:
        raise NotFound(f"No knowledge entry with id {doc_id!r}.")
    first = records[0]
    text = "\n\n".join(f"## {r.heading}\n\n{r.text}" for r in records)
    return KnowledgeOut(id=doc_id, title=first.title, kind=first.kind, url=first.url, text=text)


@router.get("/v1/knowledge/{doc_id}", response_model=KnowledgeOut, tags=["knowledge"])
def knowledge_json(doc_id: str, services: ServicesDep) -> KnowledgeOut:
    """One knowledge entry as Markdown text (what citations point at)."""
    return _doc(services, doc_id)


@router.get("/knowledge/{doc_id}", response_class=HTMLResponse, tags=["knowledge"])
def knowledge_page(doc_id: str, services: ServicesDep) -> HTMLResponse:
    """One knowledge entry as a readable page (citation links open this)."""
    doc = _doc(services, doc_id)
    source = services.retriever.doc(doc_id)[0].source
    body = _md.render(doc.text)
    title = _md.renderInline(doc.title)
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>body{{font:17px/1.6 system-ui,sans-serif;max-width:42rem;"
        "margin:2rem auto;padding:0 1rem;color:#1d2430}}h1{{line-height:1.2}}"
        ".src{{color:#555;font-size:.9em}}</style></head><body>"
        f"<main><h1>{title}</h1>{body}<p class='src'>Source: {_md.renderInline(source)}</p></main>"
        "</body></html>"
    )
    return HTMLResponse(page)
