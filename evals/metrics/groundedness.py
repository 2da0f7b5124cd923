"""Groundedness: the share of a reply's sentences supported by the knowledge it drew on.

A sentence is supported when its embedding (the bundled all-MiniLM-L6-v2) has a cosine of at
least `threshold` with some sentence of a retrieved document (or of a document the reply shows as
an exercise card or cites). Headings, very short lines, and the fixed wording from `prompts/`
(safety net, escalation, redirects) are left out: they are templates, not claims from content.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from assistant import includes
from evals.metrics.base import Metric, MetricResult
from evals.runner import Checkpoint
from evals.targets import Embedder
from evals.text import drop_link_lines, normalise, sentences, words

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
MIN_WORDS = 4
_PLACEHOLDER = re.compile(r"\\\{[a-z_]+\\\}")


def template_patterns(templates: Iterable[str]) -> list[re.Pattern[str]]:
    """Each template sentence as a regex ({name} matches anything); bare placeholders are dropped."""
    out = []
    for template in templates:
        for sentence in sentences(template):
            literal = _PLACEHOLDER.sub(" ", re.escape(normalise(sentence)))
            if len(words(literal.replace("\\", ""))) < 2:
                continue
            pattern = _PLACEHOLDER.sub(".*?", re.escape(normalise(sentence)))
            out.append(re.compile(pattern.replace("\\ ", "\\s*")))
    return out


def prompt_templates(folder: Path = PROMPTS_DIR) -> list[str]:
    """Every string in every YAML file under `prompts/`, with its shared wording included."""
    found: list[str] = []
    shared = folder / "includes" if (folder / "includes").is_dir() else includes.DEFAULT_DIR

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.append(includes.expand(node, str(folder), shared))
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(folder.glob("**/*.yaml")) if folder.exists() else []:
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return found


class Groundedness(Metric):
    name = "groundedness"

    def __init__(
        self,
        embedder: Callable[[], Embedder],
        knowledge: Callable[[Sequence[str]], dict[str, str]],
        *,
        threshold: float = 0.6,
        fixed: Sequence[re.Pattern[str]] | None = None,
    ) -> None:
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self.knowledge = knowledge
        self.threshold = threshold
        self.fixed = list(fixed) if fixed is not None else template_patterns(prompt_templates())
        self._docs: dict[str, list[str]] = {}
        # Replies reuse the same content sentences, so each distinct sentence is embedded once.
        self._vectors: dict[str, np.ndarray[Any, np.dtype[np.float32]]] = {}

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        return self._embedder

    def claims(self, markdown: str) -> list[str]:
        """The sentences that make claims: not headings, source lists, short lines or fixed wording."""
        out = []
        for sentence in sentences(drop_link_lines(markdown)):
            if len(words(sentence)) < MIN_WORDS:
                continue
            norm = normalise(sentence)
            if any(p.fullmatch(norm) for p in self.fixed):
                continue
            out.append(sentence)
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Unit vectors for the texts, one row each, embedding only texts not seen before."""
        # Sorted by length so each batch pads little (the vectors do not depend on the order).
        todo = sorted(dict.fromkeys(t for t in texts if t not in self._vectors), key=len)
        if todo:
            for text, vector in zip(todo, self.embedder.embed_array(todo), strict=True):
                self._vectors[text] = vector
        return np.vstack([self._vectors[t] for t in texts])

    def support(self, doc_ids: Sequence[str]) -> list[str]:
        """The sentences of the documents (headings left out, so in-process and HTTP texts agree)."""
        missing = [d for d in doc_ids if d not in self._docs]
        if missing:
            texts = self.knowledge(missing)
            for doc_id in missing:
                self._docs[doc_id] = [s for s in sentences(texts.get(doc_id, "")) if len(words(s)) >= 2]
        return list(dict.fromkeys(s for d in doc_ids for s in self._docs[d]))

    def score(self, check: Checkpoint) -> MetricResult | None:
        reply = check.reply
        if reply is None or not reply.retrieved_ids:
            return None
        claims = self.claims(reply.reply)
        if not claims:
            return None
        support_ids = list(
            dict.fromkeys(
                [*reply.retrieved_ids, *(c.id for c in reply.citations), *(e.id for e in reply.exercises)]
            )
        )
        support = self.support(support_ids)
        if not support:
            return self.result(0.0, detail="no text found for the retrieved ids")
        best = (self.embed(claims) @ self.embed(support).T).max(axis=1)
        supported = best >= self.threshold
        weak = sorted(zip(best.tolist(), claims, strict=True))[:3]
        detail = "; ".join(f"{score:.2f} {text[:80]!r}" for score, text in weak if score < self.threshold)
        return self.result(float(supported.mean()), detail=f"weakest: {detail}" if detail else "")
