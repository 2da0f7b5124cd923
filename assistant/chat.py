"""`ChatService.turn()`: the one pipeline every door calls (see DESIGN.md, "One turn, one pipeline").

1. triage (rules, never an LLM)  2. retrieve  3. route (with retrieval relevance)  4. respond  5. check
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.errors import BackendUnavailable, EmptyMessage, MessageTooLong, UnknownSession, UnknownTurn
from assistant.followups import EXERCISE_SECTION, FollowUp, Topic
from assistant.keys import SessionKeys, check_token, new_token, token_hash
from assistant.redact import redact
from assistant.responders.base import Draft, Fallback, Responder, StreamingResponder, TurnInput
from assistant.retrieval import Hit
from assistant.router import RELEVANCE_STRONG, Router
from assistant.sessions import AuditRecord, Feedback, SessionAccess, SessionStore, TurnRecord, new_id
from assistant.triage import TriageState
from assistant.types import Channel, Intent, Level, Reply, Triage

if TYPE_CHECKING:
    from assistant.embeddings import VectorEmbeddings
    from assistant.followups import FollowUpDetector
    from assistant.guard import OutputGuard
    from assistant.retrieval import HybridRetriever
    from assistant.triage import TriageEngine

log = logging.getLogger("runsource.chat")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# A message whose best section is this close asks about that section's topic in its own right.
_NEW_TOPIC = 0.75
# Below this, a message in a conversation is too thin to stand alone ("what about insoles?", "I work
# from home, what can I do during the day?"): it is also searched joined to the last question,
# whichever finds the closer section wins, and it is read as part of an in-scope conversation.
# The router's bar for a message that is plainly about our knowledge.
_STANDS_ALONE = RELEVANCE_STRONG


def clean(message: str, limit: int) -> str:
    """The message as the pipeline sees it; empty or over-long input is refused, never truncated."""
    if not isinstance(message, str):
        raise EmptyMessage()
    # Lone surrogates (valid JSON escapes, invalid text) would break the tokenizer and SQLite.
    text = _CONTROL.sub(" ", message.encode("utf-8", "replace").decode("utf-8")).strip()
    if not text:
        raise EmptyMessage()
    if len(text) > limit:
        raise MessageTooLong(len(text), limit)
    return text


@dataclass(frozen=True)
class DoorPlace:
    """Where a chat-door turn happens and who asks: one session per member per place.

    `place` is the channel and thread (or "private"): a shared thread never mixes two members'
    triage, and a private ask never shares a session with a public one.
    """

    door: str
    workspace: str
    place: tuple[str, ...]
    user: str


@dataclass(frozen=True)
class Prepared:
    """A turn up to the responder: cleaned message, session, triage, route, hits."""

    session_id: str
    turn_id: str
    text: str
    history: list[TurnRecord]
    turn: TurnInput
    token: str | None = None  # only when this turn opens the session
    secret: str = ""
    member: str | None = None


@dataclass(frozen=True)
class TurnStart:
    """What a stream can say before the reply's text: the session, the turn and its triage."""

    session_id: str
    turn_id: str
    triage: Triage
    intent: Intent
    in_scope: bool
    session_token: str | None = None


class ChatService:
    def __init__(
        self,
        *,
        embeddings: VectorEmbeddings,
        retriever: HybridRetriever,
        triage: TriageEngine,
        responder: Responder,
        fallback: Fallback,
        guard: OutputGuard,
        sessions: SessionStore,
        knowledge_version: str,
        followups: FollowUpDetector | None = None,
        router: Router | None = None,
        max_chars: int = 4000,
        k: int = 6,
        keys: SessionKeys | None = None,
    ) -> None:
        self.followups = followups
        self.router = router or Router.from_titles(
            [r.title for r in retriever.records.values() if r.kind in ("exercise", "program")]
        )
        self.embeddings = embeddings
        self.retriever = retriever
        self.triage = triage
        self.responder = responder
        self.fallback = fallback
        self.guard = guard
        self.sessions = sessions
        self.knowledge_version = knowledge_version
        self.max_chars = max_chars
        self.k = k
        self.keys = keys or SessionKeys.random()

    def follow_up(self, vector: Any, history: list[TurnRecord], hits: list[Hit]) -> FollowUp | None:
        """The kind of follow-up this message is, by example utterances, when the session has a topic
        and the message does not clearly ask about something new."""
        if not history or self.followups is None:
            return None
        topic = Topic.from_history(history)
        if not topic:
            return None
        kind, score = self.followups.classify(vector)
        if kind is None:
            return None
        top = hits[0] if hits else None
        if (
            top is not None
            and top.similarity >= _NEW_TOPIC
            and top.record.doc_id not in {s.split("#", 1)[0] for s in topic.sections} | set(topic.exercises)
        ):
            return None  # "how many sets of bird dog?" after glute bridges names its own topic
        return FollowUp(kind, score, topic)

    def _about_topic_exercise(self, vector: Any, history: list[TurnRecord]) -> bool:
        """ "What if it hurts while doing it?" after an exercise asks about that exercise's stop rules."""
        if self.followups is None or not history:
            return False
        kind, _ = self.followups.classify(vector)
        return kind == "hurts" and bool(Topic.from_history(history).exercises)

    def resolved_hits(self, follow_up: FollowUp) -> list[Hit]:
        """The sections a follow-up about exercises resolves to: that section of each topic exercise."""
        heading = EXERCISE_SECTION.get(follow_up.kind)
        if heading is None:
            return []
        out: list[Hit] = []
        for exercise in follow_up.topic.exercises[:3]:
            record = self.retriever.records.get(f"{exercise}#{heading}")
            if record is not None:
                out.append(Hit(record, 1.0, follow_up.score, None, None))
        return out

    def turn(
        self, session_id: str | None, message: str, channel: Channel = "api", token: str | None = None
    ) -> Reply:
        """One turn. No `session_id` opens a session (its id and token come back in the Reply);
        a given one must exist and `token` must be its own."""
        p = self._prepare(session_id, message, token)
        draft, guard_notes = self._respond(p.turn)
        return self._finish(p, draft, guard_notes, channel)

    def door_turn(self, where: DoorPlace, message: str, channel: Channel) -> Reply:
        """A turn from Slack or Discord: the session is keyed inside the server, with no token."""
        p = self._prepare(None, message, None, where)
        draft, guard_notes = self._respond(p.turn)
        return self._finish(p, draft, guard_notes, channel)

    def authorize(self, session_id: str, token: str | None) -> SessionAccess:
        """The session, when `token` is its own. Unknown ids and chat-door sessions (which have no
        token and are not reachable over HTTP) are UnknownSession; a wrong token BadSessionToken."""
        found = self.sessions.access(session_id)
        if found is None or not found.secret:
            raise UnknownSession(session_id)
        check_token(found.secret, token)
        return found

    def feedback(self, feedback: Feedback, token: str | None) -> str:
        """Stores the one feedback of a turn, for the holder of its session's token."""
        session_id = self.sessions.turn_session(feedback.turn_id)
        if session_id is None:
            raise UnknownTurn(feedback.turn_id)
        try:
            self.authorize(session_id, token)
        except UnknownSession:
            raise UnknownTurn(feedback.turn_id) from None
        return self.sessions.add_feedback(feedback)

    def door_feedback(self, door: str, workspace: str, user: str, feedback: Feedback) -> str:
        """Feedback from a chat door's button: only the member who asked can rate the answer."""
        session_id = self.sessions.turn_session(feedback.turn_id)
        found = self.sessions.access(session_id) if session_id else None
        if found is None or found.state.get("member") != self.keys.member(door, workspace, user):
            raise UnknownTurn(feedback.turn_id)
        return self.sessions.add_feedback(feedback)

    def erase(self, session_id: str, token: str | None) -> None:
        """Erases a conversation for the holder of its token."""
        self.authorize(session_id, token)
        if not self.sessions.erase(session_id):
            raise UnknownSession(session_id)

    def turn_stream(
        self, session_id: str | None, message: str, channel: Channel = "api", token: str | None = None
    ) -> Generator[TurnStart | str | Reply, None, None]:
        """A `TurnStart`, the reply's text as the responder writes it, then the Reply. The Reply is
        authoritative: when its text is not the deltas joined (a stream the guard stopped), show it."""
        p = self._prepare(session_id, message, token)
        a, r = p.turn.assessment, p.turn.route
        yield TurnStart(
            p.session_id,
            p.turn_id,
            Triage(level=a.level.label, care=a.care, flags=a.flags),
            r.intent,
            r.in_scope,
            p.token,
        )
        if not isinstance(self.responder, StreamingResponder):
            draft, notes = self._respond(p.turn)
            yield draft.text
        else:
            try:
                stream = self.responder.respond_stream(p.turn)
                yield from stream
                if stream.draft is None:
                    raise RuntimeError("the responder's stream ended without its checked reply")
                draft, notes = stream.draft, []
            except Exception as exc:  # a responder fault must never reach the runner
                log.exception("responder stream failed; using the grounded reply")
                draft, notes = self.fallback.respond(p.turn), [f"responder error: {type(exc).__name__}"]
            draft, notes = self._checked(draft, p.turn, notes)
        yield self._finish(p, draft, notes, channel)

    def _prepare(
        self, session_id: str | None, message: str, token: str | None, door: DoorPlace | None = None
    ) -> Prepared:
        text = clean(message, self.max_chars)
        opened: str | None = None
        secret, member = "", None
        if door is not None:
            session_id = self.keys.door(door.door, door.workspace, *door.place, door.user)
            member = self.keys.member(door.door, door.workspace, door.user)
            found = self.sessions.access(session_id)
        elif session_id is None:
            session_id, opened = new_id("s"), new_token()
            secret, found = token_hash(opened), None
        else:
            found = self.authorize(session_id, token)
        raw_state = found.state if found else None
        state = TriageState.model_validate(raw_state["triage"]) if raw_state else TriageState()
        history = self.sessions.history(session_id, limit=6) if raw_state else []

        query, in_context = text, False
        # one batched embedding call: the message (also retrieval's query vector) and the pieces
        # the red-flag classifier scores
        previous = history[-1].message if history else None
        vectors = self.embeddings.embed_array(self.triage.units(text, previous))
        vector = vectors[0]
        assessment = self.triage.assess(text, state, vectors, previous)
        if assessment.asking_about_flags and not self._about_topic_exercise(vector, history):
            query = f"{query} (red flags: warning signs that need urgent care)"
        search_vector = vector if query == text else self.embeddings.embed_array([query])[0]
        try:
            # sections cluster on a few pages: a few more keep the neighbouring pages in view
            hits = self.retriever.search(query, search_vector.tolist(), k=self.k + 4)
            follow_up = self.follow_up(vector, history, hits)
            if follow_up is not None:
                resolved = self.resolved_hits(follow_up)
                if resolved:
                    ids = {h.record.id for h in resolved}
                    hits = resolved + [h for h in hits if h.record.id not in ids]
                elif follow_up.kind != "time_box" and (not hits or hits[0].similarity < _NEW_TOPIC):
                    # "should I stop then?", "by how much?": the message alone is too thin; ask it
                    # with the last question ("I only have 10 minutes" is a topic of its own)
                    query = f"{follow_up.topic.question} {text}"
                    hits = self.retriever.search(
                        query, self.embeddings.embed_array([query])[0].tolist(), k=self.k + 4
                    )
            last_in_scope = bool(history) and bool(history[-1].reply.get("in_scope", True))
            thin = not hits or hits[0].similarity < _STANDS_ALONE
            if follow_up is None and previous and last_in_scope and thin:
                # the joined turn's vector is the last of the batch the classifier already scored
                joined = f"{previous} {text}"
                joined_hits = self.retriever.search(joined, vectors[-1].tolist(), k=self.k + 4)
                if joined_hits and (not hits or joined_hits[0].similarity > hits[0].similarity):
                    hits = joined_hits
                in_context = bool(hits)
        except BackendUnavailable:
            if assessment.level < Level.URGENT:
                raise
            hits, follow_up = [], None  # an escalation needs no knowledge: the runner still gets it
        # routing sees how close the message is to the knowledge (best cosine similarity of the hits)
        relevance = max((h.similarity for h in hits), default=None)
        routed = self.router.route(text, assessment, relevance, follow_up, in_context)
        turn_in = TurnInput(
            message=text, route=routed, assessment=assessment, hits=hits, history=history, follow_up=follow_up
        )
        return Prepared(session_id, new_id("t"), text, history, turn_in, opened, secret, member)

    def _finish(self, p: Prepared, draft: Draft, guard_notes: list[str], channel: Channel) -> Reply:
        session_id, text, history, hits = p.session_id, p.text, p.history, p.turn.hits
        assessment, routed = p.turn.assessment, p.turn.route
        # what was retrieved: the hits, and the sections the grounded responder fetched by id
        # (the weekly-frequency section of a dose answer)
        retrieved = list(
            dict.fromkeys([*(h.record.doc_id for h in hits), *(s.split("#", 1)[0] for s in draft.sections)])
        )
        sections = list(dict.fromkeys([*draft.sections, *(h.record.id for h in hits)]))
        reply = Reply(
            session_id=session_id,
            session_token=p.token,
            turn_id=p.turn_id,
            reply=draft.text,
            answer=draft.text if draft.answer is None else draft.answer,
            safety_net=draft.safety_net,
            sections=draft.sections,
            gap=draft.gap,
            retrieved_sections=sections,
            triage=Triage(level=assessment.level.label, care=assessment.care, flags=assessment.flags),
            intent=routed.intent,
            in_scope=routed.in_scope,
            citations=draft.citations,
            exercises=draft.exercises,
            follow_ups=draft.follow_ups,
            mode=draft.mode,
            retrieved_ids=retrieved,
        )
        n = (history[-1].n + 1) if history else 1
        record = TurnRecord(
            turn_id=reply.turn_id,
            session_id=session_id,
            n=n,
            created_at=time.time(),
            message=text,
            reply=reply.model_dump(exclude={"session_token"}),
        )
        audit = AuditRecord(
            turn_id=reply.turn_id,
            session_id=session_id,
            created_at=record.created_at,
            level=assessment.level.label,
            flags=[{**f.model_dump(), "evidence": redact(f.evidence)} for f in assessment.flags],
            rules_version=self.triage.version,
            knowledge_version=self.knowledge_version,
            message=redact(text),
            guard=guard_notes,
        )
        # The state keeps facts and flag ids; the runner's words stay in the audit trail, redacted.
        triage_state = assessment.state.model_dump()
        triage_state.get("facts", {}).pop("evidence", None)
        for flag in triage_state.get("flags", []):
            flag.pop("evidence", None)
        state: dict[str, object] = {"triage": triage_state, "channel": channel}
        if p.member:
            state["member"] = p.member
        self.sessions.save_turn(record, state, audit, p.secret)
        if assessment.level >= Level.URGENT:
            # a keyed hash, never the id: these lines must not link a conversation to its triage
            log.info("triage %s for session %s", assessment.level.label, self.keys.log_ref(session_id))
        return reply

    def _respond(self, turn: TurnInput) -> tuple[Draft, list[str]]:
        """The configured responder, checked by the guard; the grounded reply when anything fails."""
        notes: list[str] = []
        try:
            draft = self.responder.respond(turn)
        except Exception as exc:  # a responder fault must never reach the runner
            log.exception("responder failed; using the grounded reply")
            notes.append(f"responder error: {type(exc).__name__}")
            draft = self.fallback.respond(turn)
        return self._checked(draft, turn, notes)

    def _checked(self, draft: Draft, turn: TurnInput, notes: list[str]) -> tuple[Draft, list[str]]:
        """The guard on a finished draft; a failing non-grounded draft is replaced by the grounded one."""
        violations = self.check(draft, turn)
        if violations and draft.mode != "grounded":
            notes.extend(violations)
            log.warning("guard replaced an %s reply: %s", draft.mode, "; ".join(violations))
            draft = self.fallback.respond(turn)
            violations = self.check(draft, turn)
        if violations:
            notes.extend(violations)
            log.error("guard replaced the grounded reply with the safe one: %s", "; ".join(violations))
            draft = self.fallback.safe(turn)
        return draft, notes + draft.notes

    def check(self, draft: Draft, turn: TurnInput) -> list[str]:
        return self.guard.check(
            draft.text,
            turn.assessment.level,
            [c.id for c in draft.citations],
            # the retrieved documents, and those the grounded responder composed from by section id
            {h.record.doc_id for h in turn.hits} | {s.split("#", 1)[0] for s in draft.sections},
            bool(draft.exercises),
        )
