"""Retrieval quality on the golden questions, with the real model and a real Chroma."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.index import KnowledgeIndex
from assistant.retrieval import HybridRetriever, doc_ids, tokens
from assistant.settings import ROOT

GOLDEN = [
    json.loads(line)
    for name in ("retrieval_education.jsonl", "retrieval_exercises.jsonl")
    for line in (ROOT / "evals" / "cases" / name).read_text().splitlines()
    if line.strip()
]


@pytest.fixture(scope="module")
def retriever(settings, embeddings) -> HybridRetriever:  # type: ignore[no-untyped-def]
    index = KnowledgeIndex(settings, embeddings)
    if index.count() == 0:
        index.ingest()
    return HybridRetriever(index.store, index.records())


def test_golden_set_is_big_enough() -> None:
    assert len(GOLDEN) >= 40


def test_hit_at_3_on_runners_questions(retriever: HybridRetriever, embeddings) -> None:  # type: ignore[no-untyped-def]
    hits3, reciprocal, misses = 0, 0.0, []
    for case in GOLDEN:
        question = case["turns"][-1]
        ranked = doc_ids(retriever.search(question, embeddings.embed_query(question), k=10))
        wanted = set(case["expected_ids"])
        rank = next((n for n, d in enumerate(ranked, 1) if d in wanted), None)
        hits3 += rank is not None and rank <= 3
        reciprocal += 1 / rank if rank else 0.0
        if rank is None or rank > 3:
            misses.append((case["id"], question, ranked[:3]))
    hit_at_3 = hits3 / len(GOLDEN)
    print(
        f"\nretrieval: hit@3 {hit_at_3:.3f}  MRR {reciprocal / len(GOLDEN):.3f}  over {len(GOLDEN)} questions"
    )
    for miss in misses:
        print("  miss:", miss)
    assert hit_at_3 >= 0.9


def test_kind_filter_returns_only_that_kind(retriever: HybridRetriever, embeddings) -> None:  # type: ignore[no-untyped-def]
    q = "something for my glutes"
    hits = retriever.search(q, embeddings.embed_query(q), k=6, kinds=["exercise"])
    assert hits and all(h.record.kind == "exercise" for h in hits)


def test_bm25_finds_exact_words_the_embedding_may_blur(retriever: HybridRetriever) -> None:
    assert retriever.sparse("copenhagen adduction", 3)[0].startswith("ex-copenhagen-adduction")
    assert tokens("Running stretches") == ["runn", "stretch"]


def test_postings_bm25_scores_equal_rank_bm25(retriever: HybridRetriever) -> None:
    from rank_bm25 import BM25Okapi

    from assistant.retrieval import PostingsBM25

    corpus = [
        tokens(f"{r.title} {r.heading} {' '.join(r.tags)} {r.text}") for r in retriever.records.values()
    ]
    fast, slow = PostingsBM25(corpus), BM25Okapi(corpus)
    for query in ("tight hamstrings long run", "glute bridge dose", "copenhagen", "zzz unknown words"):
        assert np.allclose(fast.scores(tokens(query)), slow.get_scores(tokens(query)))


def test_the_fast_chroma_path_agrees_with_langchains(
    settings, embeddings, retriever: HybridRetriever
) -> None:  # type: ignore[no-untyped-def]
    index = KnowledgeIndex(settings, embeddings)
    fast = HybridRetriever(index.store, index.records(), collection=index.collection())
    vector = embeddings.embed_query("my back aches on long runs")
    slow_hits, fast_hits = retriever.dense(vector, 20), fast.dense(vector, 20)
    assert [c for c, _ in fast_hits] == [c for c, _ in slow_hits]
    assert np.allclose([s for _, s in fast_hits], [s for _, s in slow_hits], atol=1e-6)


def test_sections_rank_by_the_runner_questions_they_answer(retriever: HybridRetriever, embeddings) -> None:  # type: ignore[no-untyped-def]
    for question, section in [
        ("do I need an MRI for this?", "edu-stay-active-and-scans#do-i-need-a-scan"),
        ("how do I make the glute bridge harder?", "ex-glute-bridge#progression"),
    ]:
        [top] = retriever.search(question, embeddings.embed_query(question), k=1)
        assert top.record.id == section
    # question entries are not records of their own
    assert all("|q" not in r for r in retriever.records)
