from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.errors import KnowledgeErrors
from assistant.index import KnowledgeIndex
from assistant.settings import ROOT, Settings

from .test_content import GOOD, write


class CountingEmbeddings:
    """The real embedder, counting how many texts it was asked to embed."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


@pytest.fixture
def index(tmp_path: Path, embeddings) -> tuple[KnowledgeIndex, CountingEmbeddings, Path]:
    knowledge = tmp_path / "knowledge"
    for folder in ("exercises", "programs"):
        shutil.copytree(ROOT / "knowledge" / folder, knowledge / folder)
    write(knowledge / "education", "edu-test-topic.md", GOOD)
    counting = CountingEmbeddings(embeddings)
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=knowledge)
    return KnowledgeIndex(settings, counting), counting, knowledge  # type: ignore[arg-type]


def test_ingest_is_incremental(index) -> None:  # type: ignore[no-untyped-def]
    idx, counting, knowledge = index
    first = idx.ingest()
    assert first.added == idx.count() > 100
    assert counting.embedded == first.added

    again = idx.ingest()
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert counting.embedded == first.added  # nothing embedded a second time

    path = knowledge / "education" / "edu-test-topic.md"
    path.write_text(GOOD.replace("tests need something to read", "tests need a changed sentence"))
    changed = idx.ingest()
    assert (changed.added, changed.updated, changed.removed) == (0, 1, 0)
    assert counting.embedded == first.added + 1
    assert any("changed sentence" in r.text for r in idx.records())

    path.unlink()
    removed = idx.ingest()
    assert removed.removed == 2
    assert not [r for r in idx.records() if r.doc_id == "edu-test-topic"]


def test_a_bad_file_leaves_the_index_untouched(index) -> None:  # type: ignore[no-untyped-def]
    idx, _, knowledge = index
    idx.ingest()
    before = [(r.id, r.text) for r in idx.records()]
    write(
        knowledge / "education",
        "edu-broken.md",
        GOOD.replace("edu-test-topic", "edu-broken").replace("kind: education", "kind: nonsense"),
    )
    (knowledge / "education" / "edu-test-topic.md").write_text(GOOD.replace("a thing", "an edited thing"))
    with pytest.raises(KnowledgeErrors, match=r"edu-broken\.md: field 'kind'"):
        idx.ingest()
    assert [(r.id, r.text) for r in idx.records()] == before


def test_rebuild_starts_from_nothing(index) -> None:  # type: ignore[no-untyped-def]
    idx, _, _ = index
    first = idx.ingest()
    rebuilt = idx.ingest(rebuild=True)
    assert rebuilt.added == first.added and rebuilt.unchanged == 0


def test_a_change_to_what_is_embedded_re_embeds(index) -> None:  # type: ignore[no-untyped-def]
    idx, counting, knowledge = index
    idx.ingest()
    before = counting.embedded
    path = knowledge / "education" / "edu-test-topic.md"
    path.write_text(GOOD.replace("tags: [test]", "tags: [test, hamstrings]"))  # tags shape the vector
    report = idx.ingest()
    assert report.updated == 2 and counting.embedded == before + 2
