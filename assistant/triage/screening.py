"""Screening questions: which to ask, and how the next message answers them.

"Is it in one leg or both?" may be answered "yes, both", "just the left one", "no" or "not
sure". A specific answer wins over a bare yes or no; "not sure" counts as yes, because these
questions screen for emergencies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.triage.rules import Question, Rulebook, compile_union, texts
from assistant.triage.text import Doc, negated

# A bare yes must stand alone ("yes", "yeah, a bit", "not sure"): "a bit sore" answers nothing.
_YES = re.compile(
    r"^(?:yes|yeah|yep|yup|yea|aye|ya|sure|correct|affirmative|sort of|kind of|kinda|a bit|a little"
    r"|slightly|i think so|think so|maybe|possibly|probably|perhaps|not sure|unsure|dunno|i don't know"
    r"|i'm not sure|sometimes|si|oui|ja|sim)"
    r"(?: [,.!]| ?$| (?:i think|actually|to (?:all|both|everything|some)|all|there|down there|sort of|a bit"
    r"|a little|yes|yeah|both))"
)
_NO = re.compile(
    r"^(?:no|nope|nah|none|neither|not really|nothing|never|no to (?:all|both|everything)"
    r"|all (?:fine|good|normal)|everything(?:'s| is)? (?:fine|normal|good)|not at all|negative"
    r"|non|nein|nao)\b"
)


@dataclass(frozen=True)
class _Compiled:
    question: Question
    topic: re.Pattern[str]
    yes: re.Pattern[str] | None
    no: re.Pattern[str] | None


class Screening:
    """The screening questions of the rule book, compiled once."""

    def __init__(self, book: Rulebook) -> None:
        self.questions: dict[str, _Compiled] = {}
        for q in book.questions.values():
            where = f"{book.origin[q.id]}: rule '{q.id}'"
            topic = compile_union(texts(q.topic), book.terms, where)
            assert topic is not None  # `topic` is a required field
            yes = compile_union(texts(q.means_yes), book.terms, where)
            no = compile_union(texts(q.means_no), book.terms, where)
            self.questions[q.id] = _Compiled(q, topic, yes, no)

    def fires(self, question_id: str) -> str:
        return self.questions[question_id].question.fires

    def answer(self, doc: Doc, question_id: str, use_yes_no: bool) -> bool | None:
        """True/False when the message answers the question, None when it does not."""
        cq = self.questions[question_id]
        text = doc.text
        if cq.yes is not None:
            for m in cq.yes.finditer(text):
                first, last = doc.words_of(m.start(), m.end())
                return not negated(doc, first, last)
        if cq.no is not None:
            for m in cq.no.finditer(text):
                first, last = doc.words_of(m.start(), m.end())
                if not negated(doc, first, last):
                    return False
        denied = False
        for m in cq.topic.finditer(text):
            first, last = doc.words_of(m.start(), m.end())
            if not negated(doc, first, last):
                return True
            denied = True
        if denied:
            return False
        if use_yes_no:
            if _NO.search(text):
                return False
            if _YES.search(text):
                return True
        return None

    def read_answers(self, doc: Doc, pending: list[str]) -> dict[str, bool]:
        """Answers to last turn's questions (a question since removed from the rules is skipped)."""
        out: dict[str, bool] = {}
        for qid in pending:
            if qid in self.questions and (result := self.answer(doc, qid, use_yes_no=True)) is not None:
                out[qid] = result
        return out

    def still_open(self, doc: Doc, asked: list[str], facts: dict[str, Any]) -> list[str]:
        """The questions to ask now, leaving out any this session or this message has answered.

        Only a clear no in the message itself saves a question: a yes would have fired the sign.
        """
        out = []
        for qid in asked:
            if f"screen_{qid}" in facts or facts.get(self.fires(qid)):
                continue
            if self.answer(doc, qid, use_yes_no=False) is False:
                facts[f"screen_{qid}"] = False
                continue
            out.append(qid)
        return out
