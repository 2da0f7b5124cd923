"""The default responder: composes a reply from the section that answers the question, with no
model and no key.

Shape of an answer: the answering section's own words first (its first sentence responds to the
question), one more section only when it answers another part of a multi-part question, exercise
cards only when asked for or named by the answering section, then the reply's parts (safety net,
sources) that each door renders in its own place. A weak best section is an honest gap: we say
our programs don't cover that specifically and give the nearest guidance. Escalations, refusals
and redirects use the fixed wording from `prompts/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.index import Record
from assistant.prompts import Templates
from assistant.responders.base import Draft, TurnInput
from assistant.responders.render import Parts, render_markdown
from assistant.retrieval import Hit, HybridRetriever, tokens
from assistant.settings import Settings
from assistant.types import Citation, ExerciseCard, Level

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_LIST_LINE = re.compile(r"^\s*(?:\d+\.|-)\s", re.M)
# Below this (MiniLM cosine of the best section or one of its questions) nothing answers the
# question: no answer, only the no-match wording.
MIN_SIMILARITY = 0.28
# Below this the best section is a neighbour, not an answer: say so plainly (an honest gap).
ANSWERS = 0.55
# Another part of a multi-part question is answered only by a section at least this close.
PART_ANSWERS = 0.6
RED_FLAGS_DOC = "edu-red-flags"
GAIT_DOC = "edu-gait-evaluation"
ROUTINES_DOC = "edu-short-routines"
WEEKLY_SECTION = f"{ROUTINES_DOC}#how-often-a-week"
# Asking for exercises in so many words ("what exercises...", "give me a routine").
_ASKS_FOR_EXERCISES = re.compile(
    r"\b(?:exercises?|routine|workout|drills?|moves?|strengthen\w*|what (?:can|should) i do|program\w*"
    r"|stretches|circuit|session|plan)\b",
    re.I,
)
# Words of almost every runner's question: they say nothing about what it is about.
_GENERIC = frozenset(
    tokens(
        "back pain low lower help good bad run running runner runners hurt hurts sore ache aches achy "
        "really ok okay thing things much many way ways need want know tell best better worse work "
        "worth idea true right wrong normal fine should does doing done make makes keep"
    )
)
_MARKER = re.compile(r"\[(\d+)\]")
_PARTS = re.compile(r"(?<=\?)\s+|\s+(?:and )?also,?\s+|;\s+", re.I)


def sentences(text: str, limit: int) -> str:
    """The first `limit` sentences of a prose section (a list keeps its first `limit + 2` lines)."""
    if _LIST_LINE.search(text):
        lines = [line for line in text.strip().splitlines() if line.strip()]
        return "\n".join(lines[: limit + 2])
    parts = _SENTENCE.split(" ".join(text.split()))
    return " ".join(parts[:limit])


class Wording:
    """Fixed texts for escalations, refusals, redirects and clarifying questions."""

    def __init__(
        self,
        escalation: Callable[[Level, TurnInput], str],
        refusal: Callable[[str, TurnInput], str],
        clarify: Callable[[TurnInput], str],
        warning_signs: Callable[[], str],
        retraction: Callable[[], str],
        safety_net: Callable[[], str],
    ) -> None:
        self.escalation = escalation
        self.refusal = refusal
        self.clarify = clarify
        self.warning_signs = warning_signs
        self.retraction = retraction
        self.safety_net = safety_net


class GroundedResponder:
    def __init__(
        self,
        retriever: HybridRetriever,
        templates: Templates,
        wording: Wording,
        settings: Settings,
    ) -> None:
        self.retriever = retriever
        self.t = templates
        self.wording = wording
        self.settings = settings
        titles = {
            r.doc_id: r.title for r in retriever.records.values() if r.kind == "exercise" and r.position == 0
        }
        # every word each document uses (text, questions, tags, title), to tell a neighbour from an answer
        self._words: dict[str, frozenset[str]] = {}
        for doc_id, records in retriever.by_doc.items():
            text = " ".join(f"{r.title} {' '.join(r.tags)} {' '.join(r.questions)} {r.text}" for r in records)
            self._words[doc_id] = frozenset(tokens(text))
        # exercise names as a section would write them ("bird dog", "cat-camel"), longest first
        self._names = sorted(
            (
                (re.compile(r"\b" + re.escape(t.lower()).replace(r"\-", "[- ]?") + r"s?\b"), d)
                for d, t in titles.items()
            ),
            key=lambda pair: -len(pair[0].pattern),
        )

    # ---------------------------------------------------------------- helpers
    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://", "mailto:")):
            return path
        return self.settings.public_url.rstrip("/") + "/" + path.lstrip("/")

    def card(self, doc_id: str) -> ExerciseCard | None:
        records = self.retriever.doc(doc_id)
        if not records or records[0].kind != "exercise":
            return None
        r = records[0]
        return ExerciseCard(
            id=r.doc_id,
            name=r.title,
            program=r.program,
            dose=r.dose,
            url=self.url(r.url),
            why=r.summary,
        )

    def section(self, doc_id: str, heading_starts: str) -> Record | None:
        for record in self.retriever.doc(doc_id):
            if record.heading.lower().startswith(heading_starts):
                return record
        return None

    def named_exercises(self, text: str) -> list[str]:
        """Exercise ids a section names in its own text, in the order it names them."""
        found: list[tuple[int, str]] = []
        lowered = text.lower()
        for pattern, doc_id in self._names:
            m = pattern.search(lowered)
            if m and doc_id not in {d for _, d in found}:
                found.append((m.start(), doc_id))
        return [d for _, d in sorted(found)]

    def follow_ups(self, used: set[str], hits: Sequence[Hit], cards: Sequence[ExerciseCard]) -> list[str]:
        """Questions the knowledge answers next: the first runner question of nearby sections."""
        out: list[str] = []
        for hit in hits:
            r = hit.record
            if r.id in used or not r.questions:
                continue
            question = r.questions[0]
            if question not in out:
                out.append(question)
            if len(out) == 2:
                break
        if cards:
            out.append(f"How do I make the {cards[0].name.lower()} harder?")
        return out[:3]

    # ---------------------------------------------------------------- respond
    def respond(self, turn: TurnInput) -> Draft:
        draft = self._respond(turn)
        if turn.assessment.retracted:
            retraction = self.wording.retraction()
            draft.text += "\n\n" + retraction
            if draft.answer is not None:
                draft.answer += "\n\n" + retraction
        return draft

    def _respond(self, turn: TurnInput) -> Draft:
        level = turn.assessment.level
        if level >= Level.URGENT:
            return Draft(text=self.wording.escalation(level, turn))
        if turn.assessment.clarify:
            return Draft(text=self.wording.clarify(turn))
        intent = turn.route.intent
        if turn.route.topic == "language":
            return Draft(text=self.wording.refusal("language", turn))
        if turn.assessment.asking_about_flags and turn.route.follow_up is None:
            return self._with_escalation(level, turn, self._warning_signs(turn))
        if intent == "refusal":
            return self._with_escalation(
                level, turn, Draft(text=self.wording.refusal(turn.route.refusal or "diagnosis", turn))
            )
        if intent == "out_of_scope":
            return self._with_escalation(level, turn, Draft(text=self.wording.refusal("out_of_scope", turn)))
        if intent == "greeting":
            return self._with_escalation(
                level,
                turn,
                Draft(
                    text=self.t.render("greeting", **self.settings.clinic_vars()),
                    follow_ups=[
                        "My low back hurts when I run. Is it just tight hamstrings?",
                        "What exercises help a runner's low back?",
                        "When should I get my gait checked?",
                    ],
                ),
            )
        draft = self.compose(turn)
        return self._with_escalation(level, turn, draft)

    def safe(self, turn: TurnInput) -> Draft:
        """The reply of last resort, when even a composed reply fails the guard: fixed wording only."""
        level = turn.assessment.level
        if level >= Level.EVALUATION:
            return Draft(text=self.wording.escalation(level, turn))
        vars = self.settings.clinic_vars()
        answer = self.t.render("no_match", **vars)
        safety = self.wording.safety_net()
        return Draft(text=answer + "\n\n" + safety, answer=answer, safety_net=safety, gap=True)

    def _warning_signs(self, turn: TurnInput) -> Draft:
        """ "What symptoms mean I should go to the ER?": the list, as education, not an alarm."""
        body = [self.wording.warning_signs()]
        explained = self.section(RED_FLAGS_DOC, "in short")
        if explained is None:
            return self._finish(body, [], [], turn.hits)
        body.append(f"{sentences(explained.text, 2)} [1]")
        return self._finish(body, [explained], [], turn.hits)

    def _with_escalation(self, level: Level, turn: TurnInput, draft: Draft) -> Draft:
        """At evaluation the escalation is said first, and it is the reply's safety net."""
        if level != Level.EVALUATION:
            return draft
        escalation = self.wording.escalation(level, turn)
        draft.safety_net = escalation
        if draft.answer is None:  # fixed wording: the whole text is the answer
            draft.answer = draft.text
            draft.text = escalation + "\n\n" + draft.text
        else:
            parts = Parts(answer=draft.answer, exercises=draft.exercises, citations=draft.citations)
            draft.text = escalation + "\n\n" + render_markdown(self.t, self.settings, parts)
        return draft

    # ---------------------------------------------------------------- compose
    def compose(self, turn: TurnInput) -> Draft:
        hits = turn.hits
        best = max((h.similarity for h in hits), default=0.0)
        if not hits or best < MIN_SIMILARITY:
            return self._gap(turn, None)
        if turn.follow_up is not None and hits[0].dense_rank is None and hits[0].sparse_rank is None:
            return self._follow_up_answer(turn)
        top = hits[0]
        # a thin follow-up was searched joined to the last question: judge the answer on both
        asked = turn.message
        if turn.route.topic == "in_context" and turn.history:
            asked = f"{turn.history[-1].message} {turn.message}"
        if top.similarity < ANSWERS and not self._names_top(asked, top.record):
            return self._gap(turn, top.record)
        if not self._about(asked, top.record):
            return self._gap(turn, top.record)
        return self._answer(turn, top.record)

    def _about(self, message: str, record: Record) -> bool:
        """Does the best section's page use any word that says what the question is about?

        "Does cupping help back pain?" is close in meaning to "does yoga help back pain?", but the
        yoga page never says cupping: that is a neighbour, not an answer.
        """
        salient = set(tokens(message)) - _GENERIC
        return not salient or bool(salient & self._words.get(record.doc_id, frozenset()))

    def _names_top(self, message: str, record: Record) -> bool:
        """A short question that names the exercise of the best section is about it ("bird dog reps")."""
        return record.kind == "exercise" and record.doc_id in self.named_exercises(message)

    def _answer(self, turn: TurnInput, top: Record) -> Draft:
        body = [self._section_answer(top, 1, turn.message)]
        cited = [top]
        for part in self._other_parts(turn, top):
            cited.append(part)
            body.append(f"{sentences(part.text, 2)} [{len(cited)}]")
        if top.kind == "exercise" and top.heading.lower().startswith("dose"):
            weekly = self.retriever.records.get(WEEKLY_SECTION)
            if weekly is not None:
                cited.append(weekly)
                body.append(f"{sentences(weekly.text, 2)} [{len(cited)}]")
        cards = self._cards(self._card_ids(turn.message, top, cited), 12 if top.kind == "program" else 3)
        if top.doc_id == GAIT_DOC or (top.kind != "exercise" and "gait evaluation" in body[0].lower()):
            body.append(self.t.render("booking_line", **self.settings.clinic_vars()))
        return self._finish(body, cited, cards, turn.hits)

    def _section_answer(self, record: Record, n: int, message: str) -> str:
        """The section in its own words: it opens with the answer (knowledge/README.md, "Body")."""
        if record.kind == "exercise":
            text = record.text if _LIST_LINE.search(record.text) else sentences(record.text, 4)
            if record.heading.lower().startswith("dose") and record.dose:
                text = f"{record.dose.rstrip('.')}. {text}"
            return f"**{record.title}: {record.heading.lower()}.** {text} [{n}]"
        if record.kind == "program" and record.heading.lower().startswith("what is in it"):
            cards = self._cards(self._program_exercises(record), 12)
            lines = "\n".join(f"- **[{c.name}]({c.url})**: {c.dose.rstrip('.')}." for c in cards)
            intro = self.t.render("program_intro", title=record.title)
            return f"{intro} [{n}]\n{lines}" if lines else f"{sentences(record.text, 4)} [{n}]"
        return f"{sentences(record.text, 4)} [{n}]"

    def _program_exercises(self, record: Record) -> list[str]:
        named = self.named_exercises(record.text)
        return named or list(record.exercises)

    def _other_parts(self, turn: TurnInput, top: Record) -> list[Record]:
        """Sections that answer the other parts of a multi-part question (one each, different topics)."""
        parts = [p for p in _PARTS.split(turn.message) if len(p.split()) >= 3]
        if len(parts) < 2:
            return []
        out: list[Record] = []
        used = {top.id}
        for part in parts[1:3]:
            vector = self.retriever_vector(part)
            if not vector:
                break
            found = self.retriever.search(part, vector, k=2)
            best = next((h for h in found if h.record.id not in used), None)
            if best is not None and best.similarity >= PART_ANSWERS:
                out.append(best.record)
                used.add(best.record.id)
        return out

    def retriever_vector(self, text: str) -> list[float]:
        embed = getattr(self.retriever.store, "embeddings", None)
        return list(embed.embed_query(text)) if embed is not None else []

    def _card_ids(self, message: str, top: Record, cited: Sequence[Record]) -> list[str]:
        """Exercise cards only when the runner asks for exercises or the answering section names them."""
        if top.kind == "program":  # "what is in it" names the program's exercises
            return self._program_exercises(top) if top.heading.lower().startswith("what is in it") else []
        named = self.named_exercises(top.text)
        if top.kind == "exercise":
            return [top.doc_id, *named]
        if _ASKS_FOR_EXERCISES.search(message):
            return [*named, *top.exercises, *(x for r in cited[1:] for x in r.exercises)]
        return named

    def _follow_up_answer(self, turn: TurnInput) -> Draft:
        """A follow-up resolved against the topic: that section of each topic exercise, in turn."""
        assert turn.follow_up is not None
        resolved = [h.record for h in turn.hits if h.dense_rank is None and h.sparse_rank is None]
        body: list[str] = []
        for n, record in enumerate(resolved, 1):
            text = sentences(record.text, 3)
            if turn.follow_up.kind == "dose" and record.dose:
                text = f"{record.dose.rstrip('.')}. {text}"
            body.append(f"**{record.title}**: {text} [{n}]")
        cited = list(resolved)
        if turn.follow_up.kind == "dose":
            weekly = self.retriever.records.get(WEEKLY_SECTION)
            if weekly is not None:
                cited.append(weekly)
                body.append(f"{sentences(weekly.text, 2)} [{len(cited)}]")
        if turn.follow_up.kind == "harder":
            named = [d for r in resolved for d in self.named_exercises(r.text) if d != r.doc_id]
        else:
            named = []
        cards = self._cards([*(r.doc_id for r in resolved), *named], 4)
        return self._finish(body, cited, cards, turn.hits)

    def _gap(self, turn: TurnInput, nearest: Record | None) -> Draft:
        """Honest gap: our programs don't cover that specifically; the nearest guidance that applies."""
        vars = self.settings.clinic_vars()
        if nearest is None:
            answer = self.t.render("no_match", **vars)
            safety = self.wording.safety_net()
            return Draft(
                text=answer + "\n\n" + safety,
                answer=answer,
                safety_net=safety,
                gap=True,
                follow_ups=self.follow_ups(set(), turn.hits, []),
            )
        body = [
            self.t.render("gap", **vars),
            f"{self.t.render('gap_nearest', title=nearest.title)} {sentences(nearest.text, 2)} [1]",
        ]
        if nearest.program == "prog-gait-strength-mobility" or nearest.doc_id == GAIT_DOC:
            body.append(self.t.render("booking_line", **vars))
        draft = self._finish(body, [nearest], [], turn.hits)
        draft.gap = True
        draft.sections = []
        return draft

    def _cards(self, ids: Sequence[str], limit: int) -> list[ExerciseCard]:
        cards: list[ExerciseCard] = []
        for doc_id in dict.fromkeys(ids):
            card = self.card(doc_id)
            if card is not None:
                cards.append(card)
            if len(cards) == limit:
                break
        return cards

    def _finish(
        self,
        body: list[str],
        cited: list[Record],
        cards: list[ExerciseCard],
        hits: Sequence[Hit],
    ) -> Draft:
        """The draft from its parts: one citation per document, markers renumbered to match."""
        docs = list(dict.fromkeys(r.doc_id for r in cited))
        first = {d: next(r for r in cited if r.doc_id == d) for d in docs}
        number = {n: docs.index(r.doc_id) + 1 for n, r in enumerate(cited, 1)}
        answer = _MARKER.sub(lambda m: f"[{number.get(int(m.group(1)), int(m.group(1)))}]", "\n\n".join(body))
        citations = [
            Citation(id=r.doc_id, title=r.title, url=self.url(r.url), snippet=sentences(r.text, 1)[:240])
            for r in first.values()
        ]
        safety = self.wording.safety_net()
        parts = Parts(answer=answer, exercises=cards, safety_net=safety, citations=citations)
        return Draft(
            text=render_markdown(self.t, self.settings, parts),
            answer=answer,
            safety_net=safety,
            sections=[r.id for r in cited],
            citations=citations,
            exercises=cards,
            follow_ups=self.follow_ups({r.id for r in cited}, hits, cards),
        )
