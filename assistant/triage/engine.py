"""`TriageEngine.assess()`: rules over this message and the session so far. No LLM, ever.

Order of work for one message:
1. read it (normalise, correct typos toward the rule words, find clauses);
2. match every sign; drop matches that are denied, long past, hypothetical or cancelled;
3. read the answer to last turn's screening questions;
4. add ages and durations, then check the combinations over all facts so far;
5. the semantic net, for phrasings the patterns missed (never over a denial or a hypothetical);
6. decide the level (never below the session's), the screening questions and the framing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.triage import context
from assistant.triage.classifier import RedFlagClassifier, denies, general_question, units
from assistant.triage.context import timing
from assistant.triage.facts import derived, numbers
from assistant.triage.lexicon import FINE, NEGATORS
from assistant.triage.models import Assessment, TriageState
from assistant.triage.rules import Combination, Rulebook, Sign, compile_union, load_rulebook, texts
from assistant.triage.screening import Screening
from assistant.triage.semantic import SemanticNet
from assistant.triage.spelling import Speller
from assistant.triage.text import Doc, english, negated, referent, tokenize
from assistant.types import Flag, Level, LevelName

# Each match is qualified by context patterns over its segment; past a few matches of one sign a
# repeated phrase adds nothing but cost (a flag phrase pasted to the size limit was quadratic).
MATCHES_PER_SIGN = 8

_STEP_DOWN: dict[str, LevelName | None] = {"emergency": "urgent", "urgent": "evaluation", "evaluation": None}


@dataclass(frozen=True)
class CompiledSign:
    sign: Sign
    english: re.Pattern[str] | None
    foreign: re.Pattern[str] | None
    unless: re.Pattern[str] | None

    @property
    def id(self) -> str:
        return self.sign.id


@dataclass
class _Hit:
    rule_id: str
    level: LevelName
    label: str
    evidence: str
    other: bool = False


@dataclass
class _Turn:
    """What this message adds."""

    hits: dict[str, _Hit] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)
    clarify: list[str] = field(default_factory=list)
    hypothetical: bool = False
    other: bool = False
    answered: list[str] = field(default_factory=list)
    whose: dict[str, bool] = field(default_factory=dict)  # fact -> about someone else

    def fire(self, hit: _Hit) -> None:
        old = self.hits.get(hit.rule_id)
        if old is None or Level.parse(hit.level) > Level.parse(old.level):
            self.hits[hit.rule_id] = hit


def phrase_pattern(phrase: str) -> str:
    """A lay phrase as a pattern over normalised text (same folding as messages)."""
    return re.escape(english(tokenize(phrase)).text)


class TriageEngine:
    """Red-flag triage over a conversation; the rules are data (see knowledge/red_flags/)."""

    def __init__(
        self,
        book: Rulebook,
        semantic: SemanticNet | None,
        speller: Speller,
        classifier: RedFlagClassifier | None = None,
        embedder: Any | None = None,
    ) -> None:
        self.book = book
        self.semantic = semantic
        self.speller = speller
        self.classifier = classifier
        self.embedder = embedder
        self.version = book.version + (f"+{classifier.meta['corpus_digest'][:8]}" if classifier else "")
        self.levels = book.levels()
        self.past_ok = book.history_ids()
        self.facts_of: dict[str, set[str]] = {rid: {rid} for rid in book.signs}
        for combo in book.combinations.values():
            self.facts_of[combo.id] = {combo.id, *combo.all, *combo.any}
        self.signs: list[CompiledSign] = []
        for sign in book.signs.values():
            where = f"{book.origin[sign.id]}: rule '{sign.id}'"
            english = [phrase_pattern(p) for p in sign.phrases] + texts(sign.patterns)
            foreign = [p.pattern for pats in sign.translations.values() for p in pats]
            self.signs.append(
                CompiledSign(
                    sign,
                    compile_union(english, book.terms, where),
                    compile_union(foreign, book.terms, where),
                    compile_union(texts(sign.unless), book.terms, where),
                )
            )
        self._by_id = {cs.id: cs for cs in self.signs}
        self.screening = Screening(book)

    @classmethod
    def rules_only(cls, book: Rulebook, embedder: Any | None) -> TriageEngine:
        """Rules, combinations and the exemplar net, without the classifier (for training it)."""
        words = [t for s in book.signs.values() for t in (*s.phrases, *texts(s.patterns), *texts(s.unless))]
        words += [p.pattern for q in book.questions.values() for p in (*q.topic, *q.means_yes, *q.means_no)]
        words += list(book.terms.values())
        speller = Speller(Speller.words_in(words), Speller.model_vocabulary())
        semantic = (
            SemanticNet.build(embedder, list(book.signs.values()), book.contrast)
            if embedder is not None
            else None
        )
        return cls(book, semantic, speller, None, embedder)

    @classmethod
    def load(cls, rules_dir: Path, embedder: Any | None) -> TriageEngine:
        """Read and validate the rules and the classifier; precompute exemplar vectors.

        Raises RuleError for a bad rule file and ClassifierError for missing, corrupt or stale
        classifier weights (`rules_dir/classifier/`, trained on `rules_dir/corpus/`).
        """
        engine = cls.rules_only(load_rulebook(rules_dir), embedder)
        classifier = RedFlagClassifier.load(rules_dir / "classifier", rules_dir / "corpus", engine.levels)
        return cls(engine.book, engine.semantic, engine.speller, classifier, embedder)

    def units(self, message: str, previous: str | None = None) -> list[str]:
        """What the classifier scores: the message, its sentences, and the last turn with this one."""
        out = units(message)
        if previous:
            out.append(f"{previous} {message}")
        return out

    # ------------------------------------------------------------------ reading
    def read(self, message: str) -> tuple[Doc, str]:
        doc = tokenize(message)
        lang = context.language(doc.words)
        if lang == "en":
            doc = english(doc, self.speller)
        return doc, lang

    def assess(
        self,
        message: str,
        state: TriageState,
        vectors: np.ndarray | None = None,
        previous: str | None = None,
    ) -> Assessment:
        """One turn. `vectors` are the embeddings of `self.units(message, previous)` (row 0 is the
        message's own vector); without them the engine embeds the units itself."""
        doc, lang = self.read(message)
        turn = _Turn()
        sentences: dict[int, str] = {}
        segments: dict[int, str] = {}

        def sentence_of(i: int) -> str:
            key = doc.sentence[i]
            if key not in sentences:
                sentences[key] = doc.span_text(doc.sentence, i)
            return sentences[key]

        def segment_of(i: int) -> str:
            key = doc.segment[i]
            if key not in segments:
                segments[key] = doc.span_text(doc.segment, i)
            return segments[key]

        session_other = bool(state.facts.get("about_other"))
        for cs in self.signs:
            for pattern in (cs.english, cs.foreign):
                if pattern is None:
                    continue
                for n, m in enumerate(pattern.finditer(doc.text)):
                    if n >= MATCHES_PER_SIGN:
                        break
                    first, last = doc.words_of(m.start(), m.end())
                    self._classify(cs, doc, first, last, turn, sentence_of, segment_of, session_other)

        self._read_answers(doc, state, turn)
        self._add_numbers(doc, turn, state)
        facts = self._merge_facts(state, turn)
        self._combinations(facts, state, turn)
        pieces = self.units(message, previous)
        if vectors is None and self.embedder is not None and lang == "en":
            vectors = np.asarray(self.embedder.embed_array(pieces), dtype=np.float32)
        vector = vectors[0] if vectors is not None else None
        self._semantic(doc, lang, vector, message, turn, state)
        self._learned(doc, lang, pieces, vectors, turn, state)
        return self._decide(message, doc, lang, state, turn, facts)

    def _classify(
        self,
        cs: CompiledSign,
        doc: Doc,
        first: int,
        last: int,
        turn: _Turn,
        sentence_of: Callable[[int], str],
        segment_of: Callable[[int], str],
        session_other: bool,
    ) -> None:
        sign = cs.sign
        segment = segment_of(first)
        if cs.unless is not None and cs.unless.search(context.without_own_guess(segment)):
            return
        if negated(doc, first, last):
            turn.denied.add(sign.id)
            return
        if context.hypothetical(sentence_of(first)):
            turn.hypothetical = True
            return
        own = doc.span_text(doc.tclause, first)
        when = timing(own, segment, sign.history_counts, sign.recent_only, sentence_of(first))
        if when == "history":
            return
        evidence = doc.evidence(first, last)
        who = referent(doc, first)
        other = who == "other" or (who == "" and session_other)
        turn.whose.setdefault(sign.id, other)
        if sign.level is None:
            turn.facts[sign.id] = True
            turn.evidence.setdefault(sign.id, evidence)
            turn.clarify.extend(q for q in sign.clarify if q not in turn.clarify)
            return
        level: LevelName | None = sign.level
        label = sign.say or sign.label
        if when == "recent_resolved":
            level = _STEP_DOWN[sign.level]
            label = f"{label} (recent, now settled)"
        if level is None:
            return
        turn.facts[sign.id] = True
        turn.evidence.setdefault(sign.id, evidence)
        turn.fire(_Hit(sign.id, level, label, evidence, other))
        turn.clarify.extend(q for q in sign.clarify if q not in turn.clarify)

    # ------------------------------------------------------------------ screening answers
    def _read_answers(self, doc: Doc, state: TriageState, turn: _Turn) -> None:
        for qid, yes in self.screening.read_answers(doc, state.pending).items():
            turn.facts[f"screen_{qid}"] = yes
            turn.answered.append(qid)
            if yes:
                sign = self.book.signs[self.screening.fires(qid)]
                assert sign.level is not None
                # the rule and the question, not the whole message: evidence goes to the audit trail
                evidence = f"answered yes to the screening question '{qid}'"
                other = bool(state.facts.get("about_other"))
                turn.fire(_Hit(sign.id, sign.level, sign.say or sign.label, evidence, other))
                turn.facts[sign.id] = True

    # ------------------------------------------------------------------ facts and combinations
    def _add_numbers(self, doc: Doc, turn: _Turn, state: TriageState) -> None:
        # a bare "about 8 weeks now" counts when the conversation is already about symptoms
        found = numbers(
            doc, symptom_context=bool(state.facts.get("pain_reported") or turn.facts.get("pain_reported"))
        )
        if found.age is not None:
            turn.facts["age"] = found.age
            turn.evidence["age"] = found.age_evidence
            if found.age_other:
                turn.other = True
        if found.young:
            turn.facts["young"] = True
        if found.fever_evidence:
            turn.facts["fever"] = True
            turn.evidence.setdefault("fever", found.fever_evidence)
        if found.duration_weeks is not None:
            turn.facts["duration_weeks"] = round(found.duration_weeks, 1)
            turn.evidence["duration_weeks"] = found.duration_evidence

    @staticmethod
    def _merge_facts(state: TriageState, turn: _Turn) -> dict[str, Any]:
        facts = dict(state.facts)
        evidence = dict(facts.get("evidence") or {})
        for key, value in turn.facts.items():
            if key == "duration_weeks" and isinstance(facts.get(key), int | float):
                facts[key] = max(facts[key], value)
            elif facts.get(key) is True and value is False:
                continue  # a symptom once reported stays reported unless retracted
            else:
                facts[key] = value
        for key in turn.denied:
            facts.setdefault(key, False)
        for key, words in turn.evidence.items():
            evidence.setdefault(key, words)
        facts["evidence"] = evidence
        return facts

    def _combinations(self, facts: dict[str, Any], state: TriageState, turn: _Turn) -> None:
        known = {k: bool(v) for k, v in facts.items() if isinstance(v, bool)}
        known.update(derived(facts))
        kept = {f.id for f in state.flags}
        evidence: dict[str, str] = facts.get("evidence") or {}
        for combo in self.book.combinations.values():
            if combo.id in kept or not _holds(combo, known):
                continue
            parts = [evidence.get(f, f) for f in [*combo.all, *combo.any] if known.get(f)]
            if "age" in evidence and any(f.startswith("age_") for f in combo.all + combo.any):
                parts.insert(0, evidence["age"])
            if "duration_weeks" in evidence and any(f.startswith("duration_") for f in combo.all + combo.any):
                parts.insert(0, evidence["duration_weeks"])
            words = "; ".join(dict.fromkeys(p for p in parts if not p.startswith(("age_", "duration_"))))
            # about someone else when the facts this message added were about them
            added = [turn.whose[f] for f in [*combo.all, *combo.any] if f in turn.whose and known.get(f)]
            other = all(added) if added else bool(state.facts.get("about_other")) or turn.other
            turn.fire(_Hit(combo.id, combo.level, combo.say or combo.label, words, other or turn.other))

    # ------------------------------------------------------------------ semantic net
    def _semantic(
        self,
        doc: Doc,
        lang: str,
        vector: np.ndarray | None,
        message: str,
        turn: _Turn,
        state: TriageState,
    ) -> None:
        if self.semantic is None or lang != "en" or len(doc.words) < 3:
            return
        # The net never overrides a denial, a hypothetical, or a past history: it sees the
        # whole message at once and cannot tell "numb down there" from "no numbness down there".
        if turn.hypothetical or turn.denied or any(w in NEGATORS or w in FINE for w in doc.words):
            return
        if context.timing(doc.text, doc.text, False, False) != "current":
            return
        if vector is None:
            vector = self.semantic.embed(message)
        best = self.semantic.best(vector)
        if best is None:
            return
        sign_id, score, exemplar = best
        if sign_id in turn.hits:
            return
        cs = self._by_id[sign_id]
        if cs.unless is not None and cs.unless.search(doc.text):
            return
        sign = cs.sign
        assert sign.level is not None
        other = referent(doc, len(doc.words) - 1) == "other" or bool(state.facts.get("about_other"))
        evidence = f"semantic match {score:.2f}: close to '{exemplar}'"
        turn.fire(_Hit(sign_id, sign.level, sign.say or sign.label, evidence, other))
        turn.facts[sign_id] = True

    # ------------------------------------------------------------------ learned net
    def _learned(
        self,
        doc: Doc,
        lang: str,
        pieces: list[str],
        vectors: np.ndarray | None,
        turn: _Turn,
        state: TriageState,
    ) -> None:
        """Labels the classifier finds, qualified by the context of the sentence that fired."""
        if self.classifier is None or vectors is None or lang != "en":
            return
        if general_question(doc.words):
            return  # the whole message asks about a topic and names nobody
        for fired in self.classifier.fire(vectors[: len(pieces)]):
            label = fired.label
            if label in turn.hits or self.facts_of.get(label, {label}) & turn.denied:
                continue  # the rules already decided this sign, or read a denial of it
            if any(f.id == label for f in state.flags):
                continue  # already the session's: the last turn joined with this one is not news
            unit = english(tokenize(pieces[fired.unit]))
            if context.hypothetical(unit.text) or denies(unit.words) or general_question(unit.words):
                continue
            if label not in self.past_ok and context.timing(unit.text, unit.text, False, False) == "history":
                continue
            who = referent(unit, len(unit.words) - 1) if unit.words else ""
            if label in self.past_ok and who == "other":
                continue  # a relative's past cancer is family history, not the runner's red flag
            other = who == "other" or (who == "" and bool(state.facts.get("about_other")))
            level = self.levels[label]
            rule = self.book.signs.get(label) or self.book.combinations[label]
            evidence = f"classifier {fired.probability:.2f}: {pieces[fired.unit][:200]}"
            turn.fire(_Hit(label, level, rule.say or rule.label, evidence, other))
            turn.facts[label] = True
            turn.whose.setdefault(label, other)

    # ------------------------------------------------------------------ decision
    def _decide(
        self,
        message: str,
        doc: Doc,
        lang: str,
        state: TriageState,
        turn: _Turn,
        facts: dict[str, Any],
    ) -> Assessment:
        new = [
            Flag(id=h.rule_id, level=h.level, label=h.label, evidence=h.evidence) for h in turn.hits.values()
        ]
        new.sort(key=lambda f: -Level.parse(f.level))
        kept = {f.id: f for f in state.flags}
        flags = list(state.flags)
        for f in new:
            if f.id not in kept:
                flags.append(f)
            elif Level.parse(f.level) > Level.parse(kept[f.id].level):
                flags = [f if g.id == f.id else g for g in flags]
        flags.sort(key=lambda f: -Level.parse(f.level))
        turn_level = max((Level.parse(f.level) for f in new), default=Level.NONE)
        level = max(Level.parse(state.level), turn_level)

        others = [h.other for h in turn.hits.values()]
        if (others and all(others)) or turn.other:
            facts["about_other"] = True
        about_other = all(others) if others else bool(facts.get("about_other"))

        clarify = self._clarify(doc, turn, facts, level)
        retracted = bool(state.flags) and not new and bool(context.RETRACTION.search(doc.text))
        asking = turn.hypothetical or (
            not new and "?" in message and bool(context.ASKING_ABOUT_FLAGS.search(doc.text))
        )
        new_state = TriageState(level=level.label, flags=flags, facts=facts, pending=clarify)
        return Assessment(
            level=level,
            care=self.book.care(level, flags),
            flags=flags,
            state=new_state,
            clarify=clarify,
            about_other=about_other,
            asking_about_flags=asking,
            language=lang,
            retracted=retracted,
            new_flags=[f.id for f in new],
            answered=turn.answered,
        )

    def _clarify(self, doc: Doc, turn: _Turn, facts: dict[str, Any], level: Level) -> list[str]:
        """Screening questions still open; none once the level is urgent or higher."""
        if level >= Level.URGENT:
            return []
        return self.screening.still_open(doc, turn.clarify, facts)


def _holds(combo: Combination, facts: dict[str, bool]) -> bool:
    if not all(facts.get(f) for f in combo.all):
        return False
    if combo.any:
        return sum(bool(facts.get(f)) for f in combo.any) >= combo.min_any
    return True
