"""Builds the services from settings: the one place concrete components are chosen."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field

from assistant.chat import ChatService
from assistant.embeddings import VectorEmbeddings, load_embeddings
from assistant.followups import FollowUpDetector
from assistant.guard import OutputGuard
from assistant.index import KnowledgeIndex, Record
from assistant.keys import SessionKeys
from assistant.once import Once, RedisOnce, SQLiteOnce
from assistant.prompts import Templates
from assistant.ratelimit import RateLimits, Rule
from assistant.responders.base import Responder, TurnInput
from assistant.responders.grounded import GroundedResponder, Wording
from assistant.retrieval import HybridRetriever
from assistant.sessions import SessionStore, SQLiteSessions
from assistant.settings import CLINIC_VARS, Settings
from assistant.triage import TriageEngine
from assistant.triage import wording as triage_wording
from assistant.types import Level

log = logging.getLogger("runsource")

# What prompts/grounded.yaml may name: the clinic's details and an exercise or source line's parts.
GROUNDED_VARS = {*CLINIC_VARS, "name", "url", "dose", "why", "n", "title"}


def knowledge_version(records: list[Record]) -> str:
    digest = hashlib.sha256()
    for r in records:
        digest.update(f"{r.id}\0{r.text}\0".encode())
    return digest.hexdigest()[:12]


# One backend choice for everything shared between workers: `RUNSOURCE_SESSIONS_URL` names a Redis
# (redis://, rediss:// or unix://, checked by Settings) or is unset for files and memory on this host.


def make_sessions(settings: Settings) -> SessionStore:
    """SQLite by default; Redis when `RUNSOURCE_SESSIONS_URL` says so."""
    if settings.sessions_url:
        from assistant.sessions_redis import RedisSessions

        return RedisSessions(settings.sessions_url)
    return SQLiteSessions(settings.db_path)


def make_rate_limits(settings: Settings) -> RateLimits:
    """Counted in this process's memory, or in Redis where every worker shares the count."""
    per_minute: dict[Rule, int] = {
        "ip": settings.rate_limit_ip_per_minute,
        "session": settings.rate_limit_session_per_minute,
        "feedback": settings.rate_limit_ip_per_minute,
        "door_user": settings.rate_limit_door_user_per_minute,
        "door_team": settings.rate_limit_door_team_per_minute,
    }
    if settings.sessions_url:
        return RateLimits.in_redis(per_minute, settings.sessions_url)
    return RateLimits.in_memory(per_minute)


def make_once(settings: Settings) -> Once:
    """Door requests already taken: a SQLite file shared by this host's workers, or Redis."""
    if settings.sessions_url:
        return RedisOnce(settings.sessions_url)
    return SQLiteOnce(settings.data_dir / "door_requests.sqlite3")


def make_wording(settings: Settings) -> Wording:
    def escalation(level: Level, turn: TurnInput) -> str:
        return triage_wording.escalation_text(
            level,
            turn.assessment.flags,
            settings,
            about_other=turn.assessment.about_other,
            where=turn.assessment.care if level == turn.assessment.level else None,
        )

    def refusal(kind: str, turn: TurnInput) -> str:
        return triage_wording.refusal_text(kind, settings)

    def clarify(turn: TurnInput) -> str:
        return triage_wording.clarify_text(turn.assessment.clarify, settings)

    return Wording(
        escalation=escalation,
        refusal=refusal,
        clarify=clarify,
        warning_signs=lambda: triage_wording.warning_signs_text(settings),
        retraction=lambda: triage_wording.retraction_text(settings),
        safety_net=lambda: triage_wording.safety_net(settings),
    )


@dataclass
class Services:
    settings: Settings
    embeddings: VectorEmbeddings
    index: KnowledgeIndex
    retriever: HybridRetriever
    chat: ChatService
    sessions: SessionStore
    grounded: GroundedResponder
    limits: RateLimits
    once: Once
    started: float = field(default_factory=time.time)

    def retrieved_texts(self, doc_ids: list[str]) -> dict[str, str]:
        """The full text of knowledge documents (for groundedness checks)."""
        return {
            d: "\n\n".join(r.text for r in self.retriever.doc(d)) for d in doc_ids if self.retriever.doc(d)
        }


def build_services(settings: Settings | None = None, *, ingest: bool = True) -> Services:
    """Everything one process needs; brings the index up to date with the knowledge files first."""
    settings = settings or Settings()
    embeddings = load_embeddings(settings.embeddings, settings.data_dir)
    index = KnowledgeIndex(settings, embeddings)
    if ingest:  # incremental: unchanged chunks cost a digest comparison, not an embedding
        report = index.ingest()
        if report.added or report.updated or report.removed:
            log.info("updated the knowledge index: %s", report)
    records = index.records()
    retriever = HybridRetriever(
        index.store,
        records,
        depth=max(20, settings.retrieval_k * 3),
        collection=index.collection(),
        in_memory=not settings.chroma_url,
    )
    templates = Templates.load(
        settings.prompts_dir / "grounded.yaml",
        GROUNDED_VARS,
        {
            "try_this_heading",
            "exercise_line",
            "sources_heading",
            "source_line",
            "no_match",
            "greeting",
            "program_intro",
            "gap",
            "gap_nearest",
            "booking_line",
        },
    )
    grounded = GroundedResponder(retriever, templates, make_wording(settings), settings)
    responder: Responder = grounded
    if settings.llm:
        from assistant.responders.llm import LLMResponder

        responder = LLMResponder.from_settings(settings, grounded)
    sessions = make_sessions(settings)
    triage = TriageEngine.load(settings.knowledge_dir / "red_flags", embeddings)
    followups = FollowUpDetector.load(settings.prompts_dir / "followups.yaml", embeddings)
    chat = ChatService(
        embeddings=embeddings,
        retriever=retriever,
        triage=triage,
        responder=responder,
        fallback=grounded,
        guard=OutputGuard(settings.emergency_number),
        sessions=sessions,
        followups=followups,
        knowledge_version=knowledge_version(records),
        max_chars=settings.max_message_chars,
        k=settings.retrieval_k,
        keys=SessionKeys.load(settings),
    )
    return Services(
        settings,
        embeddings,
        index,
        retriever,
        chat,
        sessions,
        grounded,
        make_rate_limits(settings),
        make_once(settings),
    )
