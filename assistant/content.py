"""Knowledge documents: load Markdown (with front matter), plain text and HTML; split by heading.

A document that fails validation raises `KnowledgeError` naming the file and the field, before
anything is written anywhere. A curated page's body and summary may include shared wording
(`[[include: emergency-line]]`) and name the locale's words as `{emergency_number}` and the like
(`assistant/includes.py`); both are filled in here, from settings, as the page is loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import yaml
from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant import includes
from assistant.errors import ConfigError, KnowledgeError, KnowledgeErrors
from assistant.settings import Settings

Kind = Literal["article", "education", "exercise", "program"]
SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm"}
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
MIN_QUESTIONS, MAX_QUESTIONS = 3, 8
QUESTION_TEMPLATES = "section_questions.yaml"


class DocMeta(BaseModel):
    """The front matter every knowledge file carries (see knowledge/README.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str = Field(min_length=3)
    kind: Kind
    program: str | None = None
    tags: list[str] = Field(default_factory=list)
    summary: str = Field(min_length=10)
    source: str = Field(min_length=3)
    url: str
    reviewed_on: dt.date
    exercises: list[str] = Field(default_factory=list)
    dose: str | None = None
    topic: str | None = None  # a short noun phrase for question templates ("your cadence")
    # The runner questions each section answers, by heading slug ("do-i-need-a-scan": [...]).
    questions: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("questions")
    @classmethod
    def _questions_shape(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for key, asked in value.items():
            if not 1 <= len(asked) <= MAX_QUESTIONS or any(len(q.strip()) < 8 for q in asked):
                raise ValueError(f"{key}: give 1-{MAX_QUESTIONS} questions of 8 characters or more")
        return value

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("use lowercase letters, digits and hyphens, e.g. edu-hip-extension")
        return value


class Doc(BaseModel):
    model_config = ConfigDict(frozen=True)

    meta: DocMeta
    body: str
    path: str


class Chunk(BaseModel):
    """One self-contained section of a document: the unit that is embedded and retrieved."""

    model_config = ConfigDict(frozen=True)

    id: str
    doc_id: str
    heading: str
    text: str
    meta: DocMeta
    path: str
    position: int = 0
    questions: tuple[str, ...] = ()

    @property
    def section_slug(self) -> str:
        return self.id.split("#", 1)[1]

    @property
    def digest(self) -> str:
        # Everything that shapes the stored chunk or its vector: a change re-embeds it.
        payload = f"{self.meta.model_dump_json()}\n{self.embed_text}\n{self.text}\n{self.questions}"
        return hashlib.sha256(payload.encode()).hexdigest()[:24]

    @property
    def embed_text(self) -> str:
        """What the embedding sees: title, tags (runners' words) and heading give a section context."""
        tags = f" ({', '.join(self.meta.tags)})" if self.meta.tags else ""
        return f"{self.meta.title}{tags}. {self.heading}. {self.text}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "section"


def _field_of(error: ValidationError) -> tuple[str, str]:
    first = error.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "front matter"
    return field, first["msg"]


class PageFill(BaseModel):
    """What a page's includes and placeholders are filled from: settings' words and the includes."""

    model_config = ConfigDict(frozen=True)

    values: dict[str, str]
    includes_dir: Path = includes.DEFAULT_DIR

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> PageFill:
        s = settings or Settings()
        return cls(values=s.clinic_vars(), includes_dir=s.prompts_dir / "includes")


def _fill(path: Path, field: str, text: str, wording: PageFill) -> str:
    try:
        expanded = includes.expand(text, str(path), wording.includes_dir)
        return includes.fill(expanded, wording.values, str(path))
    except ConfigError as exc:
        raise KnowledgeError(str(path), field, exc.message.removeprefix(f"{path}: ")) from None


def parse_markdown(path: Path, text: str, wording: PageFill | None = None) -> Doc:
    wording = wording or PageFill.from_settings()
    match = _FRONT.match(text)
    if not match:
        raise KnowledgeError(str(path), "front matter", "missing: start the file with a --- YAML block")
    try:
        raw = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise KnowledgeError(str(path), "front matter", f"not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise KnowledgeError(str(path), "front matter", "must be a mapping of field: value")
    if isinstance(raw.get("summary"), str):
        raw["summary"] = _fill(path, "summary", raw["summary"], wording)
    try:
        meta = DocMeta.model_validate(raw)
    except ValidationError as exc:
        field, msg = _field_of(exc)
        raise KnowledgeError(str(path), field, msg) from None
    if path.suffix in {".md", ".markdown"} and path.stem != meta.id:
        raise KnowledgeError(str(path), "id", f"{meta.id!r} must match the file name {path.stem!r}")
    body = _fill(path, "body", text[match.end() :].strip(), wording)
    if not body:
        raise KnowledgeError(str(path), "body", "is empty")
    return Doc(meta=meta, body=body, path=str(path))


_CHROME = ("nav", "header", "footer", "aside", "form", "script", "style", "noscript", "iframe")
_CHROME_WORDS = re.compile(
    r"comment|mailing|newsletter|subscribe|share|social|cookie|sidebar|menu|breadcrumb|related",
    re.I,
)


def html_to_markdown(html: str) -> tuple[str, str]:
    """Main text of a web page as Markdown-ish text, with page chrome removed; and its title."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else ""
    for tag in soup(list(_CHROME)):
        tag.decompose()
    for tag in soup.find_all(True):
        if not isinstance(tag, Tag) or tag.attrs is None:
            continue
        classes: object = tag.get("class") or []
        marker = " ".join(
            [*(classes if isinstance(classes, list) else [str(classes)]), str(tag.get("id", ""))]
        )
        if _CHROME_WORDS.search(marker):
            tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    lines: list[str] = []
    for node in root.find_all(["h1", "h2", "h3", "p", "li"]):
        text = " ".join(node.get_text(" ", strip=True).split())
        if not text:
            continue
        if node.name in {"h1", "h2", "h3"}:
            lines.append(f"\n## {text}\n")
        elif node.name == "li":
            lines.append(f"- {text}")
        else:
            lines.append(text)
    h1 = root.find("h1")
    return "\n".join(lines).strip(), (h1.get_text(strip=True) if h1 else title)


def _loose_doc(path: Path, body: str, title: str) -> Doc:
    """A file without front matter (plain text or a web page): metadata from the file itself."""
    if not body.strip():
        raise KnowledgeError(str(path), "body", "has no readable text")
    first = title or body.strip().splitlines()[0].lstrip("# ").strip()
    meta = DocMeta(
        id=f"doc-{slug(path.stem)}",
        title=first[:120] or path.stem,
        kind="article",
        summary=(" ".join(body.split())[:200] or first),
        source=path.name,
        url=f"/knowledge/doc-{slug(path.stem)}",
        reviewed_on=dt.date.fromtimestamp(path.stat().st_mtime),
    )
    return Doc(meta=meta, body=body, path=str(path))


def load_file(path: Path, wording: PageFill | None = None) -> Doc:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KnowledgeError(str(path), "encoding", "is not UTF-8 text") from None
    if path.suffix in {".html", ".htm"}:
        body, title = html_to_markdown(text)
        return _loose_doc(path, body, title)
    if _FRONT.match(text):
        return parse_markdown(path, text, wording)
    if path.suffix in {".md", ".markdown"} and path.parent.name in {
        "article",
        "education",
        "exercises",
        "programs",
    }:
        return parse_markdown(path, text, wording)  # curated folders must carry front matter
    return _loose_doc(path, text, "")


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every loadable file under the given files or folders, in a stable order."""
    found: list[Path] = []
    for root in paths:
        root = root.resolve()
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(
                p
                for p in sorted(root.rglob("*"))
                if p.is_file() and p.suffix in SUFFIXES and p.name != "README.md"
            )
        else:
            raise KnowledgeError(str(root), "path", "does not exist")
    return found


def load_docs(paths: Iterable[Path], wording: PageFill | None = None) -> list[Doc]:
    """Load and validate every document; all errors are collected and raised together."""
    wording = wording or PageFill.from_settings()
    docs: list[Doc] = []
    problems: list[KnowledgeError] = []
    seen: dict[str, str] = {}
    for path in discover(paths):
        try:
            doc = load_file(path, wording)
        except KnowledgeError as exc:
            problems.append(exc)
            continue
        if doc.meta.id in seen:
            problems.append(
                KnowledgeError(str(path), "id", f"{doc.meta.id!r} is already used by {seen[doc.meta.id]}")
            )
            continue
        seen[doc.meta.id] = str(path)
        docs.append(doc)
    if problems:
        raise KnowledgeErrors(problems)
    return docs


def check_links(docs: list[Doc]) -> None:
    """Every exercise and program a document points to must exist."""
    ids = {d.meta.id for d in docs}
    for doc in docs:
        for ref in doc.meta.exercises:
            if ref not in ids:
                raise KnowledgeError(doc.path, "exercises", f"{ref!r} is not a known knowledge id")
        if doc.meta.program and doc.meta.program not in ids:
            raise KnowledgeError(doc.path, "program", f"{doc.meta.program!r} is not a known program id")


_SPLITTER = MarkdownHeaderTextSplitter(
    headers_to_split_on=[("#", "h1"), ("##", "h2"), ("###", "h3")], strip_headers=True
)
_LONG = RecursiveCharacterTextSplitter(chunk_size=1400, chunk_overlap=150)


Templates = dict[str, dict[str, list[str]]]


def load_question_templates(knowledge_dir: Path) -> Templates:
    """Questions every standard section of a kind answers (`knowledge/section_questions.yaml`)."""
    path = knowledge_dir / QUESTION_TEMPLATES
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict) or not all(
        isinstance(v, dict) and all(isinstance(q, list) for q in v.values()) for v in raw.values()
    ):
        raise KnowledgeError(str(path), "questions", "use kind: {heading-slug: [question, ...]}")
    return {str(k): {str(h): [str(q) for q in qs] for h, qs in v.items()} for k, v in raw.items()}


def _name(title: str) -> str:
    return title[0].lower() + title[1:] if len(title) > 1 and title[1].islower() else title


def split_doc(doc: Doc, templates: Templates | None = None) -> list[Chunk]:
    """One chunk per section, with the runner questions it answers; a very long section is split
    further with overlap (every piece keeps the section's questions)."""
    chunks: list[Chunk] = []
    used: set[str] = set()
    standard = (templates or {}).get(doc.meta.kind, {})
    sections: set[str] = set()
    for part in _SPLITTER.split_text(doc.body):
        heading = part.metadata.get("h3") or part.metadata.get("h2") or part.metadata.get("h1") or "Overview"
        key = slug(heading)
        sections.add(key)
        own = doc.meta.questions.get(key, [])
        names = {"name": _name(doc.meta.title), "topic": doc.meta.topic or _name(doc.meta.title)}
        asked = own + [q.format(**names) for q in standard.get(key, [])]
        asked = list(dict.fromkeys(asked))[:MAX_QUESTIONS]
        pieces = _LONG.split_text(part.page_content) if len(part.page_content) > 1400 else [part.page_content]
        for n, piece in enumerate(pieces):
            if not piece.strip():
                continue
            base = f"{doc.meta.id}#{key}" + (f"-{n + 1}" if n else "")
            cid, k = base, 2
            while cid in used:
                cid, k = f"{base}-{k}", k + 1
            used.add(cid)
            chunks.append(
                Chunk(
                    id=cid,
                    doc_id=doc.meta.id,
                    heading=heading,
                    text=piece.strip(),
                    meta=doc.meta,
                    path=doc.path,
                    position=len(chunks),
                    questions=tuple(asked),
                )
            )
    unknown = sorted(set(doc.meta.questions) - sections)
    if unknown:
        raise KnowledgeError(
            doc.path,
            "questions",
            f"{', '.join(unknown)} is not a section; use one of {', '.join(sorted(sections))}",
        )
    return chunks
