"""Hybrid retrieval: dense (Chroma through LangChain's VectorStore) plus BM25, fused by rank."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.vectorstores import VectorStore
from rank_bm25 import BM25Okapi

from assistant.errors import BackendUnavailable
from assistant.index import Record, section_of

_RRF_K = 20
# Dense ranks count more than lexical ones: a section's runner questions make its vector match the
# question, while its words also match neighbouring sections of the same page ("dead bug" is in
# every section of the dead bug page).
_WEIGHTS = (1.0, 0.5)
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "get",
        "got",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "my",
        "of",
        "on",
        "or",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "too",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "i'm",
        "im",
        "it's",
        "dont",
        "don't",
        "should",
        "would",
        "could",
    )
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def tokens(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP]


class PostingsBM25:
    """Okapi BM25 with the same scores as `rank_bm25.BM25Okapi`, computed from postings lists.

    Each term's per-document weight is worked out once, so a query costs a few numpy additions
    instead of a pass over every document for every query word (about 1 ms down to 0.05 ms here).
    """

    def __init__(self, corpus: Sequence[list[str]]) -> None:
        base = BM25Okapi(list(corpus))
        lengths = np.asarray(base.doc_len, dtype=np.float64)
        norm = base.k1 * (1 - base.b + base.b * lengths / base.avgdl)
        rows: dict[str, list[tuple[int, float]]] = {}
        for i, freqs in enumerate(base.doc_freqs):
            for term, tf in freqs.items():
                rows.setdefault(term, []).append((i, tf * (base.k1 + 1) / (tf + norm[i])))
        self.size = len(lengths)
        self.postings = {
            term: (np.array([i for i, _ in row]), base.idf[term] * np.array([w for _, w in row]))
            for term, row in rows.items()
        }

    def scores(self, query: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
        out = np.zeros(self.size)
        for term in query:
            if term in self.postings:
                docs, weights = self.postings[term]
                out[docs] += weights
        return out


@dataclass(frozen=True)
class Hit:
    record: Record
    score: float
    similarity: float  # cosine similarity to the query (0 when only BM25 found it)
    dense_rank: int | None
    sparse_rank: int | None


class HybridRetriever:
    """Search the indexed chunks by meaning and by words; Reciprocal Rank Fusion of the two."""

    def __init__(
        self,
        store: VectorStore,
        records: Sequence[Record],
        depth: int = 20,
        collection: Any | None = None,
        in_memory: bool = True,
    ) -> None:
        self.store = store
        # With the Chroma collection at hand, ask it for ids and distances only: the texts and
        # metadata are already in `records`, and fetching them costs more than the search itself.
        self.collection = collection
        self.records = {r.id: r for r in records}
        self._order = list(self.records)
        self._bm25 = (
            PostingsBM25(
                [
                    tokens(f"{r.title} {r.heading} {' '.join(r.tags)} {' '.join(r.questions)} {r.text}")
                    for r in records
                ]
            )
            if records
            else None
        )
        self.depth = depth
        # The embedded store's vectors are searched in memory; a Chroma server is asked each time,
        # so a server that goes away is a clear 503 and one that comes back is used again.
        loaded = self._load_vectors(collection) if in_memory else (None, None)
        self._matrix: Any = loaded[0]
        self._sections: Any = loaded[1]
        self.by_doc: dict[str, list[Record]] = {}
        for record in records:
            self.by_doc.setdefault(record.doc_id, []).append(record)

    def _load_vectors(self, collection: Any | None) -> tuple[Any, Any]:
        """Every stored vector (sections and their runner questions) in memory, with the index of
        the section each belongs to. A few thousand 384-float rows: one matrix product a query
        (about 0.1 ms) instead of an HNSW search over four times as many entries as sections."""
        if collection is None or not self.records:
            return None, None
        try:
            got = collection.get(include=["embeddings"])
        except Exception:  # a store that cannot list its vectors is searched through Chroma
            return None, None
        place = {cid: n for n, cid in enumerate(self._order)}
        found = zip(got["ids"], got["embeddings"], strict=True)
        rows = [(n, vec) for eid, vec in found if (n := place.get(section_of(eid))) is not None]
        if not rows:
            return None, None
        matrix = np.asarray([vec for _, vec in rows], dtype=np.float32)
        return matrix, np.asarray([n for n, _ in rows], dtype=np.int64)

    def dense(
        self, vector: list[float], k: int, kinds: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """Section ids with their cosine similarity, best first: a section scores as its own text
        or the closest runner question it answers, whichever is nearer."""
        if self._matrix is not None:
            # an element-wise product, not a BLAS call: BLAS threads woken right after the ONNX
            # run fight its spinning threads for the cores (10 ms instead of 0.3 ms measured here)
            scores = np.einsum("ij,j->i", self._matrix, np.asarray(vector, dtype=np.float32), optimize=False)
            per_section = np.full(len(self._order), -np.inf, dtype=np.float32)
            np.maximum.at(per_section, self._sections, scores)
            if kinds:
                allowed = np.array([self.records[c].kind in kinds for c in self._order])
                per_section[~allowed] = -np.inf
            top = np.argsort(-per_section, kind="stable")[:k]
            return [(self._order[i], float(per_section[i])) for i in top if np.isfinite(per_section[i])]
        where = {"kind": {"$in": list(kinds)}} if kinds else None
        try:
            if self.collection is not None:
                got = self.collection.query(
                    query_embeddings=[vector], n_results=k * 3, where=where, include=["distances"]
                )
                found = list(zip(got["ids"][0], got["distances"][0], strict=True))
            else:
                found = [
                    (doc.id, dist)
                    for doc, dist in self.store.similarity_search_by_vector_with_relevance_scores(  # type: ignore[attr-defined]
                        vector, k=k * 3, filter=where
                    )
                ]
        except Exception as exc:  # a Chroma server that is down must be a clear 503, not a 500 (issue 8)
            raise BackendUnavailable(
                f"the vector store is not answering: {type(exc).__name__}: {exc}"
            ) from exc
        # The collection uses cosine space, where Chroma's distance is 1 - cosine similarity.
        best: dict[str, float] = {}
        for cid, dist in found:
            section = section_of(cid)
            if section in self.records and section not in best:
                best[section] = 1.0 - float(dist)
        return list(best.items())[:k]

    def sparse(self, query: str, k: int, kinds: Sequence[str] | None = None) -> list[str]:
        if self._bm25 is None:
            return []
        words = tokens(query)
        if not words:
            return []
        scores = self._bm25.scores(words)
        out: list[str] = []
        for i in np.argsort(-scores, kind="stable"):
            if scores[i] <= 0:
                break
            rec = self.records[self._order[i]]
            if kinds and rec.kind not in kinds:
                continue
            out.append(rec.id)
            if len(out) == k:
                break
        return out

    def search(
        self, query: str, vector: list[float], k: int = 6, kinds: Sequence[str] | None = None
    ) -> list[Hit]:
        """The k best chunks, best first."""
        dense = self.dense(vector, self.depth, kinds)
        sparse = self.sparse(query, self.depth, kinds)
        similarity = dict(dense)
        d_rank = {cid: n for n, (cid, _) in enumerate(dense)}
        s_rank = {cid: n for n, cid in enumerate(sparse)}
        fused: dict[str, float] = {}
        for weight, ranks in zip(_WEIGHTS, (d_rank, s_rank), strict=True):
            for cid, n in ranks.items():
                fused[cid] = fused.get(cid, 0.0) + weight / (_RRF_K + n + 1)
        best = _siblings_by_meaning(sorted(fused, key=lambda c: (-fused[c], c))[:k], similarity)
        return [
            Hit(self.records[c], fused[c], similarity.get(c, 0.0), d_rank.get(c), s_rank.get(c)) for c in best
        ]

    def doc(self, doc_id: str) -> list[Record]:
        """All chunks of one document, in file order of their ids."""
        return self.by_doc.get(doc_id, [])


def _siblings_by_meaning(ranked: list[str], similarity: dict[str, float]) -> list[str]:
    """Sections of one page keep the page's places in the ranking but are ordered by meaning.

    The page's words (its title, "dead bug") are in every one of its sections, so the lexical score
    cannot tell "how do I do it" from "how do I make it easier"; the runner questions can.
    """
    out = list(ranked)
    by_doc: dict[str, list[int]] = {}
    for n, cid in enumerate(ranked):
        by_doc.setdefault(cid.split("#", 1)[0], []).append(n)
    for places in by_doc.values():
        if len(places) > 1:
            members = sorted((ranked[n] for n in places), key=lambda c: -similarity.get(c, 0.0))
            for n, cid in zip(places, members, strict=True):
                out[n] = cid
    return out


def doc_ids(hits: Sequence[Hit]) -> list[str]:
    """Distinct document ids of the hits, best first."""
    seen: dict[str, None] = {}
    for hit in hits:
        seen.setdefault(hit.record.doc_id, None)
    return list(seen)
