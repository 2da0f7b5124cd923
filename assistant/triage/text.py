"""How the detector reads a message: normalised words, clauses, and the scope of negation,
past history, hypotheticals and other people.

The rules match on `Doc.text`: lower case, accents folded, contractions restored ("cant" ->
"can't"), misspellings corrected toward the rule vocabulary, words and punctuation separated by
single spaces. Every word remembers where it came from, so evidence quotes the runner's own words.

Scope decisions lean one way on purpose: when in doubt a symptom counts as present. A missed
negation costs a false alarm; a wrongly assumed negation could cost a missed emergency.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.triage.lexicon import (
    CLAUSE_END,
    CONTRAST,
    FINE,
    INABILITY,
    JOINERS,
    KEEP_APOSTROPHE_S,
    LINKING,
    NEGATORS,
    NOT_NEGATING,
    PEOPLE,
    PERSONAL,
    SCOPE_STOP,
    SENTENCE_END,
    SPOKEN,
    SUBJECTS,
    THIRD,
    WEE_SMALL,
)

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[.!?;:,()&\u2013\u2014]|(?<!\S)-(?!\S)|\n")


def fold(word: str) -> str:
    """Lower case without accents ("Rücken" -> "rucken", "não" -> "nao")."""
    word = word.lower().replace("ß", "ss").replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class Doc:
    """A message, normalised, with each word's place in the original and its clause."""

    original: str
    words: list[str]
    spans: list[tuple[int, int]]
    text: str = ""
    starts: list[int] = field(default_factory=list)
    sentence: list[int] = field(default_factory=list)
    clause: list[int] = field(default_factory=list)
    segment: list[int] = field(default_factory=list)  # sentence, split again at "but"/"however"
    tclause: list[int] = field(default_factory=list)  # clause, split again at "and my ..." (for timing)

    def __post_init__(self) -> None:
        starts, pos = [], 0
        for w in self.words:
            starts.append(pos)
            pos += len(w) + 1
        self.starts = starts
        self.text = " ".join(self.words)
        sent = clause = seg = tcl = 0
        self.sentence, self.clause, self.segment, self.tclause = [], [], [], []
        for i, w in enumerate(self.words):
            if w in CONTRAST:
                clause += 1
                seg += 1
            nxt = self.words[i + 1] if i + 1 < len(self.words) else ""
            if w in JOINERS and nxt in SUBJECTS:
                tcl += 1
            self.sentence.append(sent)
            self.clause.append(clause)
            self.segment.append(seg)
            self.tclause.append(tcl + clause * 1000)
            if w in SENTENCE_END:
                sent += 1
                clause += 1
                seg += 1
            elif w in CLAUSE_END:
                clause += 1

    def word_at(self, offset: int) -> int:
        """The index of the word that text offset `offset` falls in."""
        return max(0, bisect_right(self.starts, offset) - 1)

    def words_of(self, start: int, end: int) -> tuple[int, int]:
        """Word range [first, last] covered by text offsets [start, end)."""
        return self.word_at(start), self.word_at(max(start, end - 1))

    def evidence(self, first: int, last: int) -> str:
        """The runner's own words for a word range."""
        if not self.spans:
            return ""
        return self.original[self.spans[first][0] : self.spans[last][1]].strip()

    def span_text(self, ids: list[int], first: int) -> str:
        """Normalised text of the words whose `ids` value equals that of word `first`."""
        key = ids[first]
        return " ".join(w for w, k in zip(self.words, ids, strict=True) if k == key)


def tokenize(message: str) -> Doc:
    """Split into words and punctuation, lower case without accents."""
    text = message.translate(_QUOTES)
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _TOKEN.finditer(text):
        word = fold(m.group()).strip("'")
        if word:
            words.append(word)
            spans.append((m.start(), m.end()))
    return Doc(original=message, words=words, spans=spans)


def english(doc: Doc, correct: Callable[[str], str] | None = None) -> Doc:
    """Restore texting shorthand ("cant", "whn") and correct spelling toward the rule words."""
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    for i, (word, span) in enumerate(zip(doc.words, doc.spans, strict=True)):
        word = SPOKEN.get(word, word)
        if word == "wee" and i + 1 < len(doc.words) and doc.words[i + 1] in WEE_SMALL:
            word = "small"  # Scottish "a wee bit stiff", not urine
        elif word.endswith("'s") and word[:-2] not in KEEP_APOSTROPHE_S:
            word = word[:-2] + " 's"  # "my sciatica's been..." -> "sciatica 's"
        if correct is not None and word.isalpha():
            word = correct(word)
        for part in word.split(" "):
            words.append(part)
            spans.append(span)
    return Doc(original=doc.original, words=words, spans=spans)


def negated(doc: Doc, first: int, last: int) -> bool:
    """Is the symptom in words [first, last] denied ("no numbness", "I don't have any tingling")?"""
    words, clause = doc.words, doc.clause
    i = first - 1
    steps = 0
    while i >= 0 and clause[i] == clause[first] and steps < 6:
        w = words[i]
        if w in SCOPE_STOP or (w in PERSONAL and steps > 1):
            break
        if w in NEGATORS and _negating(words, i):
            return True
        i -= 1
        steps += 1
    if _or_list(doc, first):
        return True
    if _list_continues(doc, first):
        return True
    # "can't pee normally" is the symptom; "pee normally" / "bladder is fine" is a denial
    if any(w in NEGATORS or w in INABILITY for w in words[first : last + 1]):
        return False
    return _denied_after(doc, last)


def _negating(words: list[str], i: int) -> bool:
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if nxt in NOT_NEGATING:
        return False
    # "no, I can't feel it" / "no. my legs..." answer a question; they do not deny what follows.
    return not (words[i] == "no" and nxt in CLAUSE_END | SENTENCE_END)


def _or_list(doc: Doc, first: int) -> bool:
    """ "I haven't got any numbness when I wipe or problems peeing": a denial carries over "or"."""
    words, clause = doc.words, doc.clause
    if first < 1 or words[first - 1] not in {"or", "nor"}:
        return False
    i = first - 2
    while i >= 0 and clause[i] == clause[first] and first - i <= 12:
        w = words[i]
        if w in {"and", "but", "now", "then"} or w in CONTRAST:
            return False
        if w in NEGATORS and _negating(words, i):
            return True
        i -= 1
    return False


def _clause_bounds(doc: Doc, i: int) -> tuple[int, int]:
    clause = doc.clause
    start, end = i, i
    while start > 0 and clause[start - 1] == clause[i]:
        start -= 1
    while end + 1 < len(clause) and clause[end + 1] == clause[i]:
        end += 1
    return start, end


def _list_continues(doc: Doc, first: int) -> bool:
    """ "no numbness, tingling or weakness": an "or" list after a denial is denied too.

    Only "or"/"nor" lists count; "no fever, numb down there" keeps the numbness.
    """
    words = doc.words
    start, end = _clause_bounds(doc, first)
    own = words[start : end + 1]
    after = words[end + 2] if end + 2 < len(words) and words[end + 1] == "," else ""
    in_list = bool({"or", "nor"} & set(own)) or after in {"or", "nor"}
    if start == 0 or words[start - 1] != "," or len(own) > 4 or not in_list:
        return False
    if any(w in PERSONAL or w in THIRD or w == "my" or w in SCOPE_STOP for w in own):
        return False
    j = start - 1  # the comma before this item
    while j > 0:
        k, _ = _clause_bounds(doc, j - 1)
        item = words[k:j]
        if any(w in NEGATORS and _negating(words, idx) for idx, w in enumerate(item, k)):
            return True
        if len(item) > 4 or k == 0 or words[k - 1] != ",":
            return False
        j = k - 1
    return False


def _denied_after(doc: Doc, last: int) -> bool:
    """ "bladder and bowels are fine", "numbness: none"."""
    words, clause = doc.words, doc.clause
    j = last + 1
    steps = 0
    while j < len(words) and clause[j] == clause[last] and steps < 4:
        w = words[j]
        if w in FINE:
            return True
        if w not in LINKING:
            return False
        j += 1
        steps += 1
    # "numbness: none" crosses the colon
    return j + 1 < len(words) and words[j] == ":" and words[j + 1] in {"none", "no", "nope", "never"}


def referent(doc: Doc, first: int) -> str:
    """Whose symptom is it? 'self', 'other', or '' when the message does not say."""
    words = doc.words
    for i in range(first, -1, -1):
        w = words[i]
        if w in PERSONAL:
            return "self"
        # "my bum" is the runner's own; "my friend" and "my running partner" are not
        if (
            w == "my"
            and i + 1 < len(words)
            and words[i + 1] not in PEOPLE
            and not (i + 2 < len(words) and words[i + 2] in PEOPLE)
        ):
            return "self"
        if w in THIRD:
            return "other"
        w = w.removesuffix("'s")
        if (
            w in PEOPLE
            and i > 0
            and words[i - 1] in {"my", "our", "a", "the", "his", "her", "running", "training"}
        ):
            return "other"
        if w in PEOPLE and i > 1 and words[i - 2] in {"my", "our", "a"}:
            return "other"
    return ""
