from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.embeddings import (
    OnnxMiniLMEmbeddings,
    SentenceTransformerEmbeddings,
    bundled_model_path,
    export_onnx,
)

TEXTS = [
    "my low back hurts when I run",
    "is it just tight hamstrings, or is something else going on? I run 40 km a week and it aches after 10",
    "ok",
    "",
]


def test_onnx_and_sentence_transformers_give_the_same_vectors(embeddings) -> None:
    plain = SentenceTransformerEmbeddings()
    fast = np.array(embeddings.embed_documents(TEXTS))
    slow = np.array(plain.embed_documents(TEXTS))
    assert fast.shape == (4, 384)
    assert np.abs(fast - slow).max() < 1e-5
    assert np.allclose(np.linalg.norm(fast[:3], axis=1), 1.0, atol=1e-5)


def test_query_vector_matches_the_document_vector(embeddings) -> None:
    assert np.allclose(embeddings.embed_query(TEXTS[0]), embeddings.embed_documents([TEXTS[0]])[0], atol=1e-6)


def test_export_is_done_once_and_reused(data_dir: Path, embeddings) -> None:
    onnx = data_dir / "onnx" / "model.onnx"
    before = onnx.stat().st_mtime_ns
    assert export_onnx(bundled_model_path(), data_dir / "onnx") == onnx
    assert onnx.stat().st_mtime_ns == before


def test_long_text_is_truncated_not_rejected(data_dir: Path) -> None:
    model = OnnxMiniLMEmbeddings(data_dir / "onnx" / "model.onnx")
    vector = model.embed_query("stride " * 2000)
    assert len(vector) == 384
