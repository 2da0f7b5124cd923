"""The default responder: composes a reply from vetted knowledge sections, with no model and no key.

Shape of an education answer: the direct answer, then why (cited), then "try this" with two or
three program exercises (dose and why), a one-line safety net, and the numbered sources.
Escalations, refusals and redirects use the fixed wording from `prompts/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.index import Record
from assistant.prompts import Templates
from assistant.responders.base import Draft, TurnInput
from assistant.retrieval import Hit, HybridRetriever
from assistant.settings import Settings
from assistant.types import Citation, ExerciseCard, Level

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_LEAD_HEADINGS = ("in short", "purpose", "who it is for")
_SECTION_WORDS = [
    (re.compile(r"\b(harder|progress\w*|level up|next step|too easy)\b", re.I), "progression"),
    (re.compile(r"\b(easier|regress\w*|too hard|can't do|cannot do|modif\w*)\b", re.I), "regression"),
    (re.compile(r"\b(safe|careful|caution|avoid|hurts? when|pain when|stop)\b", re.I), "caution"),
    (re.compile(r"\b(how many|how often|how long|reps?|sets?|dose|times a (day|week))\b", re.I), "dose"),
]
MIN_SIMILARITY = 0.28
RED_FLAGS_DOC = "edu-red-flags"  # below this the best match is not about the question (MiniLM cosine)


def sentences(text: str, limit: int) -> str:
    """The first `limit` sentences of a prose section (lists are kept whole)."""
    if re.search(r"^\s*(?:\d+\.|-)\s", text, re.M):
        return text.strip()
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

    def follow_ups(self, used: set[str], hits: Sequence[Hit], cards: Sequence[ExerciseCard]) -> list[str]:
        out: list[str] = []
        for hit in hits:
            r = hit.record
            if r.doc_id in used or any(r.title in q for q in out):
                continue
            if r.kind == "exercise":
                out.append(f"How do I do the {r.title.lower()}?")
            elif r.kind == "program":
                out.append(f"What is in the {r.title}?")
            else:
                out.append(r.title if r.title.endswith("?") else f"Tell me about {r.title.lower()}")
            used.add(r.doc_id)
        if cards and len(out) < 3:
            out.append(f"How do I make the {cards[0].name.lower()} harder?")
        return out[:3]

    # ---------------------------------------------------------------- respond
    def respond(self, turn: TurnInput) -> Draft:
        draft = self._respond(turn)
        if turn.assessment.retracted:
            draft.text += "\n\n" + self.wording.retraction()
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
        if turn.assessment.asking_about_flags:
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
        return Draft(text=self.t.render("no_match", **vars) + "\n\n" + self.wording.safety_net())

    def _warning_signs(self, turn: TurnInput) -> Draft:
        """ "What symptoms mean I should go to the ER?": the list, as education, not an alarm."""
        body = [self.wording.warning_signs()]
        explained = next((h.record for h in turn.hits if h.record.doc_id == RED_FLAGS_DOC), None)
        if explained is None:
            return Draft(text=body[0] + "\n\n" + self.wording.safety_net())
        body.append(f"{explained.summary} [1]")
        return self._finish(body, [explained], [], turn.hits)

    def _with_escalation(self, level: Level, turn: TurnInput, draft: Draft) -> Draft:
        if level == Level.EVALUATION:
            draft.text = self.wording.escalation(level, turn) + "\n\n" + draft.text
        return draft

    def compose(self, turn: TurnInput) -> Draft:
        hits = [h for h in turn.hits if h.similarity >= MIN_SIMILARITY or h.sparse_rank == 0]
        if not hits or max(h.similarity for h in turn.hits) < MIN_SIMILARITY:
            return Draft(text=self.t.render("no_match", **self.settings.clinic_vars()))
        if turn.route.intent == "exercise":
            practical = [h for h in hits if h.record.kind in ("exercise", "program")]
            hits = practical + [h for h in hits if h not in practical]
        top = hits[0].record
        if top.kind == "exercise":
            return self._exercise_answer(top, hits, turn.message)
        if top.kind == "program":
            return self._program_answer(top, hits)
        return self._education_answer(top, hits)

    def _finish(
        self,
        body: list[str],
        cited: list[Record],
        cards: list[ExerciseCard],
        hits: Sequence[Hit],
    ) -> Draft:
        if cards:
            body.append(self.t.render("try_this_heading", **self.settings.clinic_vars()))
            body.append(
                "\n".join(
                    self.t.render("exercise_line", name=c.name, url=c.url, dose=c.dose.rstrip("."), why=c.why)
                    for c in cards
                )
            )
        body.append(self.wording.safety_net())
        citations = [
            Citation(
                id=r.doc_id,
                title=r.title,
                url=self.url(r.url),
                snippet=sentences(r.text, 1)[:240],
            )
            for r in cited
        ]
        body.append(self.t.render("sources_heading"))
        body.append(
            "\n".join(
                self.t.render("source_line", n=n, title=c.title, url=c.url)
                for n, c in enumerate(citations, 1)
            )
        )
        used = {r.doc_id for r in cited} | {c.id for c in cards}
        return Draft(
            text="\n\n".join(body),
            citations=citations,
            exercises=cards,
            follow_ups=self.follow_ups(used, hits, cards),
        )

    def _education_answer(self, top: Record, hits: Sequence[Hit]) -> Draft:
        body = [f"{top.summary} [1]"]
        best = next(h.record for h in hits if h.record.doc_id == top.doc_id)
        why = best
        if best.heading.lower().startswith(_LEAD_HEADINGS):
            why = self.section(top.doc_id, "why") or best
        if not why.text.startswith(top.summary[:40]):
            body.append(f"{sentences(why.text, 4)} [1]")
        cited = [top]
        other = next(
            (
                h.record
                for h in hits[1:4]
                if h.record.doc_id != top.doc_id and h.record.kind in ("education", "article")
            ),
            None,
        )
        if other is not None:
            body.append(f"{sentences(other.text, 2)} [2]")
            cited.append(other)
        wanted = list(top.exercises) + [x for r in cited[1:] for x in r.exercises]
        wanted += [h.record.doc_id for h in hits if h.record.kind == "exercise"]
        cards = self._cards(wanted, 3)
        return self._finish(body, cited, cards, hits)

    def _cards(self, ids: Sequence[str], limit: int) -> list[ExerciseCard]:
        cards: list[ExerciseCard] = []
        for doc_id in dict.fromkeys(ids):
            card = self.card(doc_id)
            if card is not None:
                cards.append(card)
            if len(cards) == limit:
                break
        return cards

    def _exercise_answer(self, top: Record, hits: Sequence[Hit], message: str) -> Draft:
        name = top.title.lower()
        asked = next((heading for rx, heading in _SECTION_WORDS if rx.search(message)), None)
        body = [f"**{top.title}**: {top.summary} [1]"]
        if asked in ("progression", "regression", "caution"):
            section = self.section(top.doc_id, asked)
            if section is not None:
                body.append(f"{section.text} [1]")
        else:
            steps = self.section(top.doc_id, "how to")
            if steps is not None and asked != "dose":
                body.append(steps.text)
        dose = self.section(top.doc_id, "dose")
        if dose is not None:
            body.append(f"**Dose:** {sentences(dose.text, 3)} [1]")
        caution = self.section(top.doc_id, "caution")
        if caution is not None and asked != "caution":
            body.append(f"**Take care:** {sentences(caution.text, 2)} [1]")
        others = [
            h.record.doc_id for h in hits if h.record.kind == "exercise" and h.record.doc_id != top.doc_id
        ]
        draft = self._finish(body, [top], self._cards(others, 2), hits)
        draft.exercises = self._cards([top.doc_id, *others], 3)
        offers = {
            "progression": f"How do I make the {name} harder?",
            "regression": f"What if the {name} is too hard?",
            "how to": f"How do I do the {name}?",
        }
        draft.follow_ups = [q for key, q in offers.items() if key != (asked or "how to")]
        if top.program and self.retriever.doc(top.program):
            draft.follow_ups.append(f"What is in the {self.retriever.doc(top.program)[0].title}?")
        return draft

    def _program_answer(self, top: Record, hits: Sequence[Hit]) -> Draft:
        body = [f"{top.summary} [1]", self.t.render("program_intro", title=top.title)]
        cards = self._cards(top.exercises, 12)
        lines = "\n".join(f"- **[{c.name}]({c.url})**: {c.dose.rstrip('.')}." for c in cards)
        body.append(lines)
        progress = self.section(top.doc_id, "how to progress")
        if progress is not None:
            body.append(f"{sentences(progress.text, 3)} [1]")
        draft = self._finish(body, [top], [], hits)
        draft.exercises = cards
        draft.follow_ups = [f"How do I do the {c.name.lower()}?" for c in cards[:3]]
        return draft
