"""The learned red-flag net: a small classifier over MiniLM sentence vectors, beside the rules.

Rules are precise and explainable but only catch wording someone wrote down; the classifier
generalises from several thousand labelled runner messages (`knowledge/red_flags/corpus/`) to
wording nobody wrote a rule for. It is multi-label over rule ids (every label is a sign or a
combination in the rule files, which give it its level and wording), plus "nothing".

One turn: the message and each of its sentences are embedded in one batched call (the message's
vector is the one retrieval uses), every unit is scored, and a label fires on a unit whose
probability clears the threshold for the label's level. The engine then applies the same context
step the rules get (denied, past, hypothetical, asked about, someone else) to the unit that fired.

The weights are data: `weights.npz` (the layers), `meta.json` (labels, thresholds, the digest of
the corpus they were trained on). `make train-triage` rebuilds both deterministically; a missing,
corrupt or stale file stops start-up with the file's name and that command.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ClassifierError
from assistant.triage.lexicon import FINE, INABILITY, NEGATORS, PERSONAL, THIRD
from assistant.triage.text import tokenize

REBUILD = "make train-triage"
WEIGHTS = "weights.npz"
META = "meta.json"
# A message is scored whole and sentence by sentence; past this many sentences, neighbours are
# joined so the embedding work per turn stays bounded whatever the message's length.
MAX_UNITS = 16


def corpus_digest(corpus_dir: Path) -> str:
    """sha256 over the corpus files (name and bytes, in name order)."""
    digest = hashlib.sha256()
    files = sorted(corpus_dir.glob("*.jsonl"))
    for f in files:
        digest.update(f.name.encode() + b"\0")
        digest.update(f.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def units(message: str) -> list[str]:
    """The message, then its sentences when it has more than one (at most MAX_UNITS in all)."""
    if sum(ch.isalpha() for ch in message[:200]) < 2 and not any(ch.isalpha() for ch in message):
        return [message]  # nothing to read sentence by sentence (punctuation or digits only)
    doc = tokenize(message)
    if not doc.words:
        return [message]
    bounds: list[tuple[int, int]] = []
    for i, key in enumerate(doc.sentence):
        if bounds and doc.sentence[i - 1] == key:
            bounds[-1] = (bounds[-1][0], doc.spans[i][1])
        else:
            bounds.append(doc.spans[i])
    sentences = [message[a:b].strip() for a, b in bounds]
    sentences = [s for s in sentences if len(s.split()) >= 2]
    if len(sentences) <= 1:
        return [message]
    limit = MAX_UNITS - 1
    if len(sentences) > limit:
        size = -(-len(sentences) // limit)
        sentences = [" ".join(sentences[i : i + size]) for i in range(0, len(sentences), size)]
    return [message, *sentences]


def denies(words: list[str]) -> bool:
    """The ConText negation step for a unit the classifier fired on: a denial or "fine" word in it
    ("no tingling in either leg", "peeing is normal") cancels it, unless it also says the runner
    cannot do something ("can't feel", "couldn't hold it"), which is the symptom itself. Measured on
    the corpus out of fold: emergency recall 0.69 -> 0.72 at lower over-triage (11.9% -> 11.2%)."""
    found = set(words)
    return bool(found & (NEGATORS | FINE)) and not found & INABILITY


def general_question(words: list[str]) -> bool:
    """A question about a topic that names nobody ("how does breathing relate to the deep core?"):
    education, not a report of a symptom, so the learned net does not raise it."""
    return "?" in words and not set(words) & (PERSONAL | THIRD | _OWNERS)


_OWNERS = frozenset({"my", "our", "his", "her", "their", "mine", "we", "us"})


@dataclass(frozen=True)
class Fired:
    """One label that cleared its threshold on one unit."""

    label: str
    probability: float
    unit: int  # 0 is the whole message


class RedFlagClassifier:
    """Multi-label scores for each unit's vector; thresholds per triage level."""

    def __init__(
        self,
        labels: list[str],
        levels: list[str],
        layers: list[tuple[np.ndarray, np.ndarray]],
        thresholds: dict[str, float],
        meta: dict[str, Any],
    ) -> None:
        self.labels = labels
        self.levels = levels
        self.layers = layers
        self.thresholds = thresholds
        self.meta = meta
        self._cut = np.array([thresholds[level] for level in levels], dtype=np.float32)

    @classmethod
    def load(cls, folder: Path, corpus_dir: Path, known: Mapping[str, str]) -> RedFlagClassifier:
        """Read the weights; `known` maps every rule id with a level to that level.

        Raises ClassifierError when a file is missing or unreadable, the corpus changed since the
        weights were trained, or a label is not a rule id with a level.
        """
        meta_path, weights_path = folder / META, folder / WEIGHTS
        for path in (meta_path, weights_path):
            if not path.is_file():
                raise ClassifierError(path, f"missing; rebuild it with `{REBUILD}`")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            labels = [str(x) for x in meta["labels"]]
            thresholds = {str(k): float(v) for k, v in meta["thresholds"].items()}
            with np.load(weights_path) as npz:
                count = int(meta["layers"])
                layers = [
                    (npz[f"w{i}"].astype(np.float32), npz[f"b{i}"].astype(np.float32)) for i in range(count)
                ]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ClassifierError(
                weights_path, f"unreadable ({type(exc).__name__}); rebuild it with `{REBUILD}`"
            ) from exc
        if layers[-1][0].shape[1] != len(labels):
            raise ClassifierError(weights_path, f"does not match {META}; rebuild it with `{REBUILD}`")
        if meta.get("corpus_digest") != corpus_digest(corpus_dir):
            raise ClassifierError(
                weights_path,
                f"stale: the training corpus in {corpus_dir} changed since these weights were "
                f"trained; rebuild them with `{REBUILD}`",
            )
        unknown = [label for label in labels if label not in known]
        if unknown:
            raise ClassifierError(meta_path, f"labels {unknown} are not rule ids with a level")
        levels = [known[label] for label in labels]
        missing = sorted({lv for lv in levels} - set(thresholds))
        if missing:
            raise ClassifierError(meta_path, f"no threshold for levels {missing}")
        return cls(labels, levels, layers, thresholds, meta)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """[units, labels] probabilities for L2-normalised MiniLM vectors [units, 384]."""
        x = np.asarray(vectors, dtype=np.float32).reshape(-1, self.layers[0][0].shape[0])
        for i, (w, b) in enumerate(self.layers):
            x = x @ w + b
            if i < len(self.layers) - 1:
                x = np.maximum(x, 0.0)
        return 1.0 / (1.0 + np.exp(-x))

    def fire(self, vectors: np.ndarray) -> list[Fired]:
        """Every (label, unit) over its level's threshold, most probable first."""
        probs = self.probabilities(vectors)
        rows, cols = np.nonzero(probs >= self._cut)
        out = [Fired(self.labels[j], float(probs[i, j]), int(i)) for i, j in zip(rows, cols, strict=True)]
        out.sort(key=lambda f: -f.probability)
        return out
