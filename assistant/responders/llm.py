"""The LLM responder: warmer wording from a LangChain chat model, grounded in our content and guarded.

The model only writes the explanation. Everything safety depends on comes from code and data:

    level >= urgent, clarify, refusal, out of scope, greeting, no matching content
        -> the grounded reply, and the model is not called
    otherwise
        [evaluation wording, fixed]          from the triage wording
        explanation citing [n]               the model, checked sentence by sentence
        exercise cards, safety net, sources  from the grounded draft and templates

The retrieved sections go in as numbered sources [1]..[k]; the reply's [n] are renumbered in order
of first use and `citations` lists exactly the cited sources. An [n] that is no source, a dose, a
diagnosis, playing down an escalation, a link we did not give, a timeout, a rate limit, an empty or
uncited reply: each falls back to the grounded reply within the turn, with the reason in
`Draft.notes`. The runner never sees an error. At most `RUNSOURCE_LLM_MAX_CONCURRENT` model
calls run at once in a process; a turn that finds them all taken gets the grounded reply at once
instead of waiting behind slow model calls.

`respond_stream(turn)` gives the same reply as text deltas, released a sentence at a time once
the sentence has passed the output guard, so a stream that starts to state a dose or diagnosis
stops before the runner sees it; the stream's `draft` (`replaced` set) then supersedes what was
shown. With `RUNSOURCE_LLM_SECOND_OPINION=true` the model is also asked for a triage level first;
it can raise the rules' level, never lower it.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, trim_messages
from langchain_core.messages.utils import count_tokens_approximately

from assistant.prompts import Templates
from assistant.responders.base import Draft, TurnInput
from assistant.responders.grounded import GroundedResponder
from assistant.responders.llm_prose import (
    CITE,
    MAX_SOURCES,
    SOURCE_CHARS,
    Contacts,
    Fallback,
    Prose,
    Source,
    fault,
    number_sources,
)
from assistant.responders.render import render_cards
from assistant.settings import Settings
from assistant.types import Citation, Level

__all__ = ["LLMResponder", "ReplyStream", "Source", "TextGuard", "number_sources"]

log = logging.getLogger("runsource.llm")

PROMPT_VARS = {
    "app_name",
    "clinic_name",
    "emergency_number",
    "booking_url",
    "level_rule",
    "level",
    "n",
    "title",
    "heading",
    "text",
    "sources",
    "message",
}
PROMPT_NAMES = {"system", "level_none", "level_evaluation", "source", "user", "second_opinion"}
HISTORY_TOKENS = 600  # budget for earlier turns, newest kept first
LLM_INTENTS = frozenset({"education", "exercise", "symptom"})


class TextGuard(Protocol):
    """What the responder needs from `assistant.guard.OutputGuard`."""

    def check(
        self,
        reply_text: str,
        level: Level,
        citation_ids: list[str],
        retrieved_ids: set[str],
        has_exercises: bool,
        /,
    ) -> list[str]: ...


@dataclass
class ReplyStream:
    """Text deltas of one reply. Once iteration ends, `draft` is the reply as checked; it is the
    authoritative text: when `replaced` is true the deltas shown so far must be replaced by it."""

    _deltas: Iterator[str]
    draft: Draft | None = None
    replaced: bool = False
    notes: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        return next(self._deltas)


class LLMResponder:
    def __init__(
        self,
        model: BaseChatModel,
        grounded: GroundedResponder,
        guard: TextGuard,
        prompts: Templates,
        settings: Settings,
        *,
        timeout_s: float | None = None,
        second_opinion: bool | None = None,
        max_sources: int = MAX_SOURCES,
        source_chars: int = SOURCE_CHARS,
        label: str = "llm",
        max_concurrent: int | None = None,
    ) -> None:
        self.model = model
        self.grounded = grounded
        self.guard = guard
        self.p = prompts
        self.settings = settings
        self.timeout_s = timeout_s if timeout_s is not None else settings.llm_timeout_s
        self.use_second_opinion = settings.llm_second_opinion if second_opinion is None else second_opinion
        self.max_sources = max_sources  # fewer, shorter sources for small local models: prompt time
        self.source_chars = source_chars
        self.label = label
        # Model calls at once in this process; a turn that finds them all taken is not queued.
        self.max_concurrent = max_concurrent or settings.llm_max_concurrent
        self.slots = threading.BoundedSemaphore(self.max_concurrent)

    @classmethod
    def from_settings(cls, settings: Settings, grounded: GroundedResponder) -> LLMResponder:
        """The responder `RUNSOURCE_LLM` asks for; prompts are validated here, at start-up."""
        from assistant.guard import OutputGuard
        from assistant.llm import build_chat_model

        prompts = Templates.load(settings.prompts_dir / "llm_system.yaml", PROMPT_VARS, PROMPT_NAMES)
        model = build_chat_model(settings)
        return cls(model, grounded, OutputGuard(), prompts, settings, label=settings.llm or "llm")

    # ------------------------------------------------------------------ public
    def respond(self, turn: TurnInput) -> Draft:
        stream = self.respond_stream(turn)
        for _ in stream:
            pass
        assert stream.draft is not None
        return stream.draft

    def respond_stream(self, turn: TurnInput) -> ReplyStream:
        """Token deltas of the reply; see `ReplyStream` for the checked reply at the end."""
        stream = ReplyStream(iter(()))
        stream._deltas = self._run(turn, stream)
        return stream

    def second_opinion(self, turn: TurnInput, deadline: float) -> Level:
        """The model's view of the triage level, which can only raise the rules' level."""
        level: Level = turn.assessment.level
        prompt = self.p.render("second_opinion", level=level.label, message=turn.message)
        try:
            text = "".join(self._deltas([HumanMessage(prompt)], deadline))
        except Exception as exc:
            log.warning("second opinion skipped: %s", fault(exc, self.timeout_s))
            return level
        word = re.search(r"\b(none|evaluation|urgent|emergency)\b", text.lower())
        opinion = Level.parse(word.group(1)) if word else level
        return opinion if opinion > level else level

    # ------------------------------------------------------------------ the turn
    def _run(self, turn: TurnInput, stream: ReplyStream) -> Iterator[str]:
        deadline = time.monotonic() + self.timeout_s
        base = self.grounded.respond(turn)
        if not (self._worth_asking(turn) and turn.assessment.level < Level.URGENT):
            yield from self._with_model(turn, stream, base, deadline)  # fixed wording: no model call
            return
        if not self.slots.acquire(blocking=False):
            # Saturated: the grounded reply now beats a queue behind slow model calls.
            log.warning("%s busy (%d calls at once); grounded reply instead", self.label, self.max_concurrent)
            base.notes = [f"llm fallback: busy ({self.max_concurrent} calls at once)", *base.notes]
            stream.draft = base
            yield base.text
            return
        try:
            yield from self._with_model(turn, stream, base, deadline)
        finally:
            self.slots.release()

    def _with_model(
        self, turn: TurnInput, stream: ReplyStream, base: Draft, deadline: float
    ) -> Iterator[str]:
        level: Level = turn.assessment.level
        notes: list[str] = []
        if self.use_second_opinion and level < Level.URGENT and self._worth_asking(turn):
            raised = self.second_opinion(turn, deadline)
            if raised > level:
                notes.append(f"second opinion raised triage from {level.label} to {raised.label}")
                escalation = self.grounded.wording.escalation(raised, turn)
                base.text = escalation if raised >= Level.URGENT else f"{escalation}\n\n{base.text}"
                if raised >= Level.URGENT:
                    base.citations, base.exercises, base.follow_ups = [], [], []
                level = raised
        sources = number_sources(turn.hits, self.max_sources, self.source_chars)
        if level >= Level.URGENT or not (self._worth_asking(turn) and base.citations and sources):
            base.notes = notes + base.notes
            stream.draft = base
            yield base.text
            return

        opening = self.grounded.wording.escalation(level, turn) + "\n\n" if level == Level.EVALUATION else ""
        retrieved = {h.record.doc_id for h in turn.hits}
        allowed = {self.grounded.url(s.url) for s in sources} | {self.settings.booking_url}

        def partial(text: str) -> list[str]:
            return self.guard.check(opening + text, level, [], retrieved, False)

        s = self.settings
        contacts = Contacts.of([*allowed, s.public_url], [s.clinic_phone, s.emergency_number])
        prose = Prose(sources, allowed, level, partial, contacts)
        sent = ""
        try:
            if opening:
                sent += opening
                yield opening
            for delta in self._deltas(self._messages(turn, sources, level), deadline):
                shown = prose.feed(delta)
                if shown:
                    sent += shown
                    yield shown
            rest = prose.finish()
            if rest:
                sent += rest
                yield rest
            draft = self._compose(opening, prose, sources, base)
            violations = self.guard.check(
                draft.text, level, [c.id for c in draft.citations], retrieved, bool(draft.exercises)
            )
            if violations:
                raise Fallback("; ".join(violations))
        except Exception as exc:
            reason = str(exc) if isinstance(exc, Fallback) else fault(exc, self.timeout_s)
            log.warning("%s reply replaced by the grounded reply: %s", self.label, reason)
            base.notes = [*notes, f"llm fallback: {reason}", *base.notes]
            stream.draft = base
            if sent:  # the runner saw part of it: `draft` replaces it (the `done` event's reply)
                stream.replaced = True
            else:
                yield base.text
            return
        draft.notes = notes
        stream.draft = draft
        if draft.text.startswith(sent):
            yield draft.text[len(sent) :]  # exercise cards, safety net and sources
        else:
            stream.replaced = True

    def _worth_asking(self, turn: TurnInput) -> bool:
        """Only answers built from our content are reworded; fixed wording stays fixed."""
        return turn.route.intent in LLM_INTENTS and not turn.assessment.clarify

    def _compose(self, opening: str, prose: Prose, sources: Sequence[Source], base: Draft) -> Draft:
        g = self.grounded
        by_n = {s.n: s for s in sources}
        cited = sorted(prose.cited, key=prose.cited.__getitem__)
        citations = [
            Citation(
                id=by_n[n].doc_id,
                title=by_n[n].title,
                url=g.url(by_n[n].url),
                snippet=" ".join(by_n[n].text.split())[:240],
            )
            for n in cited
        ]
        answer = opening + prose.shown.rstrip()
        body = [answer, self._tail(base)]
        body.append(g.t.render("sources_heading"))
        body.append(
            "\n".join(
                g.t.render("source_line", n=i, title=c.title, url=c.url) for i, c in enumerate(citations, 1)
            )
        )
        return Draft(
            text="\n\n".join(body),
            answer=prose.shown.rstrip(),
            safety_net=base.safety_net,
            citations=citations,
            exercises=base.exercises,
            follow_ups=base.follow_ups,
            mode="llm",
        )

    def _tail(self, base: Draft) -> str:
        """The grounded reply's exercise cards and safety net, from its parts; the sources follow."""
        cards = render_cards(self.grounded.t, self.settings, base.exercises)
        safety = base.safety_net or self.grounded.wording.safety_net()
        return "\n\n".join(p for p in (cards, safety) if p)

    # ------------------------------------------------------------------ the model
    def _messages(self, turn: TurnInput, sources: Sequence[Source], level: Level) -> list[BaseMessage]:
        v = self.settings.clinic_vars()
        rule = self.p.render("level_evaluation" if level == Level.EVALUATION else "level_none", **v)
        system = SystemMessage(self.p.render("system", level_rule=rule, **v))
        numbered = "\n\n".join(
            self.p.render("source", n=s.n, title=s.title, heading=s.heading, text=s.text) for s in sources
        )
        question = HumanMessage(self.p.render("user", sources=numbered, message=turn.message))
        return [system, *self._history(turn), question]

    def _history(self, turn: TurnInput) -> list[BaseMessage]:
        """Earlier turns, newest kept first, within HISTORY_TOKENS; old [n] would mislead, so go."""
        messages: list[BaseMessage] = []
        for record in turn.history:
            # the answer part alone (older turns stored without parts: the whole reply)
            reply = str(record.reply.get("answer") or record.reply.get("reply", ""))
            messages += [HumanMessage(record.message), AIMessage(CITE.sub("", reply).strip())]
        if not messages:
            return []
        return list(
            trim_messages(
                messages,
                max_tokens=HISTORY_TOKENS,
                strategy="last",
                token_counter=count_tokens_approximately,
                start_on="human",
            )
        )

    def _deltas(self, messages: list[BaseMessage], deadline: float) -> Iterator[str]:
        """The model's text deltas, given up on at the deadline (the call is stopped, not awaited)."""
        chunks: queue.Queue[str | BaseException | None] = queue.Queue()
        stop = threading.Event()

        def produce() -> None:
            try:
                for chunk in self.model.stream(messages):
                    if stop.is_set():
                        return
                    chunks.put(chunk.text)
                chunks.put(None)
            except Exception as exc:  # handed to the turn, which falls back
                chunks.put(exc)

        threading.Thread(target=produce, name="llm-stream", daemon=True).start()
        try:
            while True:
                left = deadline - time.monotonic()
                try:
                    if left <= 0:
                        raise queue.Empty
                    item = chunks.get(timeout=left)
                except queue.Empty:
                    raise TimeoutError(f"no complete reply within {self.timeout_s:g} s") from None
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
