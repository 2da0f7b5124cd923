"""The semantic second net: a message close in meaning to a red-flag phrasing raises that flag.

It catches phrasings the patterns miss. The exemplars are the lay phrasings in the rule files;
their vectors are computed once at load. A message fires a sign only when

- its cosine similarity to one of that sign's phrasings is at least THRESHOLD, and
- it is closer (by MARGIN) to that phrasing than to every harmless contrast phrasing
  (`knowledge/red_flags/semantic_contrast.yaml`), a nearest-neighbour check against both classes.

The engine only consults the net for English messages with no denial, history or hypothetical.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.triage.rules import Sign

# Chosen on evals/cases/triage.jsonl and probe lists of paraphrases and look-alikes (see
# `python -m tests.triage.measure --semantic`): harmless messages that pass the guards scored up to
# about 0.71 against a red-flag phrasing (0.73 for "sharp pain in my back when I bend over"
# before the contrast list); paraphrases the patterns miss scored 0.60-0.93, so the net only
# catches the clearer ones. The held-out set was not used.
THRESHOLD = 0.75
MARGIN = 0.05


class SemanticNet:
    def __init__(
        self,
        embedder: Any,
        owners: list[str],
        texts: list[str],
        matrix: np.ndarray,
        contrast: np.ndarray,
    ) -> None:
        self.embedder = embedder
        self.owners = owners
        self.texts = texts
        self.matrix = matrix
        self.contrast = contrast
        self.threshold = THRESHOLD
        self.margin = MARGIN

    @classmethod
    def build(cls, embedder: Any, signs: list[Sign], contrast: list[str]) -> SemanticNet:
        owners: list[str] = []
        texts: list[str] = []
        for sign in signs:
            if sign.level is None or not sign.semantic:
                continue
            for text in (*sign.phrases, *sign.exemplars):
                owners.append(sign.id)
                texts.append(text)
        vectors = np.asarray(embedder.embed_array(texts + contrast), dtype=np.float32)
        return cls(embedder, owners, texts, vectors[: len(texts)], vectors[len(texts) :])

    def embed(self, message: str) -> np.ndarray:
        return np.asarray(self.embedder.embed_array([message])[0], dtype=np.float32)

    def scores(self, vector: np.ndarray) -> np.ndarray:
        return self.matrix @ np.asarray(vector, dtype=np.float32).reshape(-1)

    def harmless(self, vector: np.ndarray) -> float:
        """Similarity to the closest harmless contrast phrasing."""
        if not len(self.contrast):
            return -1.0
        return float(np.max(self.contrast @ np.asarray(vector, dtype=np.float32).reshape(-1)))

    def best(self, vector: np.ndarray) -> tuple[str, float, str] | None:
        """The closest exemplar's sign, score and text, if it clears the threshold and the margin."""
        if not len(self.owners):
            return None
        sims = self.scores(vector)
        i = int(np.argmax(sims))
        score = float(sims[i])
        if score < self.threshold or score < self.harmless(vector) + self.margin:
            return None
        return self.owners[i], score, self.texts[i]
