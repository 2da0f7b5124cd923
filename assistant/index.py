"""The knowledge index: a Chroma collection of chunks, kept in step with the files incrementally.

Ingest validates every file first and writes nothing if one is bad. Unchanged chunks (same
digest) are not embedded again; chunks whose file or section is gone leave the index.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_chroma import Chroma

from assistant.content import (
    Chunk,
    DocMeta,
    PageFill,
    check_links,
    load_docs,
    load_question_templates,
    split_doc,
)
from assistant.embeddings import VectorEmbeddings
from assistant.errors import BackendUnavailable
from assistant.settings import Settings

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Record:
    """A chunk as stored: its text and the document metadata the responders need."""

    id: str
    doc_id: str
    kind: str
    title: str
    heading: str
    text: str
    url: str
    program: str
    summary: str
    dose: str
    exercises: tuple[str, ...]
    tags: tuple[str, ...]
    source: str
    position: int
    questions: tuple[str, ...] = ()

    @classmethod
    def from_store(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Record:
        return cls(
            id=chunk_id,
            doc_id=str(meta.get("doc_id", "")),
            kind=str(meta.get("kind", "")),
            title=str(meta.get("title", "")),
            heading=str(meta.get("heading", "")),
            text=text,
            url=str(meta.get("url", "")),
            program=str(meta.get("program", "")),
            summary=str(meta.get("summary", "")),
            dose=str(meta.get("dose", "")),
            exercises=tuple(x for x in str(meta.get("exercises", "")).split(",") if x),
            tags=tuple(x for x in str(meta.get("tags", "")).split(",") if x),
            source=str(meta.get("source", "")),
            position=int(meta.get("position", 0)),
            questions=tuple(q for q in str(meta.get("questions", "")).split("\n") if q),
        )


def _metadata(chunk: Chunk) -> dict[str, str | int]:
    meta: DocMeta = chunk.meta
    return {
        "doc_id": chunk.doc_id,
        "kind": meta.kind,
        "title": meta.title,
        "heading": chunk.heading,
        "url": meta.url,
        "program": meta.program or "",
        "summary": meta.summary,
        "dose": meta.dose or "",
        "exercises": ",".join(meta.exercises),
        "tags": ",".join(meta.tags),
        "source": meta.source,
        "path": chunk.path,
        "digest": chunk.digest,
        "position": chunk.position,
        "questions": "\n".join(chunk.questions),
    }


QUESTION_MARK = "|q"  # a question's id: the section's id, this mark, its number


def question_ids(chunk: Chunk) -> list[str]:
    return [f"{chunk.id}{QUESTION_MARK}{n}" for n in range(1, len(chunk.questions) + 1)]


def section_of(entry_id: str) -> str:
    """The section an index entry belongs to: itself, or the section a question entry asks of."""
    return entry_id.split(QUESTION_MARK, 1)[0]


@dataclass(frozen=True)
class Entry:
    """One vector in the collection: a section, or one runner question that section answers."""

    id: str
    embed: str
    document: str
    metadata: dict[str, str | int]


def entries(chunk: Chunk) -> list[Entry]:
    meta = _metadata(chunk)
    out = [Entry(chunk.id, chunk.embed_text, chunk.text, {**meta, "role": "section"})]
    for qid, question in zip(question_ids(chunk), chunk.questions, strict=True):
        digest = hashlib.sha256(f"{chunk.digest}\n{question}".encode()).hexdigest()[:24]
        out.append(
            Entry(
                qid,
                question,
                question,
                {
                    "role": "question",
                    "doc_id": chunk.doc_id,
                    "kind": chunk.meta.kind,
                    "path": chunk.path,
                    "digest": digest,
                },
            )
        )
    return out


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    documents: int = 0
    seconds: float = 0.0
    ids: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.documents} documents: {self.added} chunks added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.removed} removed in {self.seconds:.1f} s"
        )


def make_client(settings: Settings) -> Any:
    """The one place the Chroma client is chosen: a server when configured, else a folder."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    quiet = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or 8000,
            ssl=url.scheme == "https",
            settings=quiet,
        )
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=quiet)


class KnowledgeIndex:
    """Owns the Chroma collection (through LangChain's `Chroma` vector store)."""

    def __init__(self, settings: Settings, embeddings: VectorEmbeddings, client: Any | None = None) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.client = client if client is not None else make_client(settings)
        self.store = Chroma(
            collection_name=settings.collection,
            embedding_function=embeddings,
            client=self.client,
            collection_metadata={"hnsw:space": "cosine"},
        )

    def collection(self) -> Any:
        """The Chroma collection itself (looked up on each call: a rebuild replaces it)."""
        return self.client.get_or_create_collection(
            self.settings.collection, metadata={"hnsw:space": "cosine"}
        )

    def records(self) -> list[Record]:
        """Every stored chunk with its metadata, grouped by document in file order."""
        try:
            got = self.collection().get(include=["documents", "metadatas"])
        except Exception as exc:  # the store's own errors vary by backend
            raise BackendUnavailable(f"the vector store cannot be read: {exc}") from exc
        rows = [
            Record.from_store(cid, text or "", dict(meta or {}))
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            if (meta or {}).get("role") != "question"
        ]
        return sorted(rows, key=lambda r: (r.doc_id, r.position))

    def count(self) -> int:
        return int(self.collection().count())

    def ingest(
        self,
        paths: Sequence[Path] | None = None,
        *,
        rebuild: bool = False,
        progress: Progress | None = None,
    ) -> IngestReport:
        started = time.perf_counter()
        roots = list(paths) if paths else [self.settings.knowledge_dir]
        docs = load_docs(roots, PageFill.from_settings(self.settings))  # raises before anything is written
        if not paths:
            check_links(docs)
        templates = load_question_templates(self.settings.knowledge_dir)
        chunks = [c for d in docs for c in split_doc(d, templates)]
        report = IngestReport(documents=len(docs))

        if rebuild:
            self.client.delete_collection(self.settings.collection)
        collection = self.collection()
        existing = collection.get(include=["metadatas"])
        stored = {cid: dict(m or {}) for cid, m in zip(existing["ids"], existing["metadatas"], strict=True)}

        todo = [c for c in chunks if stored.get(c.id, {}).get("digest") != c.digest]
        report.unchanged = len(chunks) - len(todo)
        report.updated = sum(1 for c in todo if c.id in stored)
        report.added = len(todo) - report.updated
        every = [e for c in chunks for e in entries(c)]
        pending = [e for e in every if stored.get(e.id, {}).get("digest") != e.metadata["digest"]]
        self._write(collection, pending, progress)

        wanted = {e for c in chunks for e in [c.id, *question_ids(c)]}
        scope = [str(r.resolve()) for r in roots]
        stale = [
            cid
            for cid, meta in stored.items()
            if cid not in wanted
            and (_under(str(meta.get("path", "")), scope) or not Path(str(meta.get("path", ""))).exists())
        ]
        if stale:
            collection.delete(ids=stale)
        report.removed = len(stale)
        report.ids = sorted(c.id for c in chunks)
        report.seconds = time.perf_counter() - started
        return report

    def _write(self, collection: Any, todo: list[Entry], progress: Progress | None, batch: int = 64) -> None:
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            vectors = self.embeddings.embed_documents([e.embed for e in part])
            collection.upsert(
                ids=[e.id for e in part],
                embeddings=vectors,
                documents=[e.document for e in part],
                metadatas=[e.metadata for e in part],
            )
            if progress:
                progress(min(start + batch, len(todo)), len(todo))


def _under(path: str, roots: Iterable[str]) -> bool:
    resolved = str(Path(path).resolve()) if path else ""
    return any(resolved == r or resolved.startswith(r.rstrip("/") + "/") for r in roots)
