"""The model's prose for the LLM responder: numbered sources in, checked sentences out.

`Prose` takes the model's text deltas and releases complete sentences only after each has passed
the checks (its [n] are sources, its links, emails, phone numbers and web domains are ours, it does
not play down an evaluation, and the output guard passes on the text so far), renumbering the
citations in order of first use. Any failure raises `Fallback` with the reason; `fault()` names a
provider error the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from assistant.responders.grounded import MIN_SIMILARITY
from assistant.types import Level

if TYPE_CHECKING:
    from assistant.retrieval import Hit

__all__ = [
    "CITE",
    "MAX_SOURCES",
    "SOURCE_CHARS",
    "Contacts",
    "Fallback",
    "Prose",
    "Source",
    "fault",
    "number_sources",
]

MAX_SOURCES = 3  # documents given to the model
SOURCE_CHARS = 900  # of each document's retrieved text: prompt time dominates on small local models
MAX_PROSE_CHARS = 2000  # longer than this is a runaway reply, not an answer

CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.S | re.I)
_OWN_SOURCES = re.compile(
    r"(?im)^[ \t]*(?:#+[ \t]*)?\**(?:sources|references)\**[ \t]*:?\**[ \t]*(?:\n[\s\S]*)?\Z"
)
_WORDS = re.compile(r"[A-Za-z]{2,}\W+[A-Za-z]{2,}")  # a statement has words before its [n]
_URL = re.compile(r"(?:https?://|www\.)[^\s)\]>]+", re.I)
# Contact details the runner could act on: only the clinic's own (settings) may appear.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@([\w-]{1,63}(?:\.[\w-]{1,63}){1,8})")
_PHONE = re.compile(r"(?<![\w/])\+?\d[\d\s().-]{5,24}\d(?![\w/])")
# Labels in any case, a lower-case top-level domain: "Miracle-Cure.co.uk" is one, "runs.The" a typo.
_DOMAIN = re.compile(
    r"(?<![\w@./-])((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[a-z]{2,24})(?![\w.-]*\w)"
)
# A sentence is ready to show once its end and any [n] after it have arrived.
_BOUNDARY = re.compile(r"(?:[.!?:](?:\s?\[\d+(?:\s*,\s*\d+)*\])*\s)|\n")
_PLAYS_DOWN = re.compile(
    r"\b(?:(?:do not|don't|no) need (?:to|for)\b.{0,40}\b(?:doctor|evaluation|physio|clinician|check)"
    r"|no need to worry|nothing (?:to worry|serious)"
    r"|(?:it's|it is|this is|that's) (?:nothing|harmless|not serious)\b)",
    re.I,
)


class Fallback(Exception):
    """Why the model's reply cannot be used; the grounded reply is given instead."""


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _host(url: str) -> str:
    return urlsplit(url if "://" in url else f"//{url}").hostname or ""


@dataclass(frozen=True)
class Contacts:
    """The contact details a reply may give: the domains of our links and the clinic's numbers."""

    domains: frozenset[str]
    phones: frozenset[str]

    @classmethod
    def of(cls, urls: Collection[str], phones: Collection[str]) -> Contacts:
        hosts = {_host(u).lower().removeprefix("www.") for u in urls}
        return cls(frozenset(h for h in hosts if h), frozenset(d for d in map(_digits, phones) if d))

    def _ours(self, domain: str) -> bool:
        domain = domain.lower().removeprefix("www.")
        return any(domain == d or domain.endswith("." + d) for d in self.domains)

    def foreign(self, text: str) -> str | None:
        """The first email, phone number or web domain in `text` that is not ours, if any."""
        for m in _EMAIL.finditer(text):
            if not self._ours(m.group(1)):
                return f"email {m.group(0)[:80]}"
        for m in _PHONE.finditer(text):
            digits = _digits(m.group(0))
            if (len(digits) >= 7 or m.group(0).startswith("+")) and digits not in self.phones:
                return f"phone number {m.group(0).strip()[:40]}"
        bare = _URL.sub(" ", _EMAIL.sub(" ", text))
        for m in _DOMAIN.finditer(bare):
            if not self._ours(m.group(1)):
                return f"domain {m.group(1)[:80]}"
        return None


@dataclass(frozen=True)
class Source:
    n: int
    doc_id: str
    title: str
    heading: str
    text: str
    url: str


def number_sources(hits: Sequence[Hit], limit: int = MAX_SOURCES, chars: int = SOURCE_CHARS) -> list[Source]:
    """The retrieved documents that match the question, numbered from 1, best first."""
    usable = [h for h in hits if h.similarity >= MIN_SIMILARITY or h.sparse_rank == 0]
    by_doc: dict[str, list[Hit]] = {}
    for hit in usable:
        by_doc.setdefault(hit.record.doc_id, []).append(hit)
    sources: list[Source] = []
    for doc_id, doc_hits in list(by_doc.items())[:limit]:
        first = doc_hits[0].record
        text = "\n\n".join(h.record.text.strip() for h in doc_hits)
        if len(text) > chars:
            text = text[:chars].rsplit(" ", 1)[0] + " ..."
        sources.append(
            Source(
                len(sources) + 1,
                doc_id,
                first.title,
                ", ".join(dict.fromkeys(h.record.heading for h in doc_hits)),
                text,
                first.url,
            )
        )
    return sources


class Prose:
    """The model's explanation as it arrives: checked, renumbered and released sentence by sentence.

    Nothing reaches the runner before the sentence it belongs to has ended and passed the checks,
    so a stream that starts to state a dose or a diagnosis is stopped before that sentence shows.
    """

    def __init__(
        self,
        sources: Sequence[Source],
        allowed_urls: Collection[str],
        level: Level,
        check: Callable[[str], list[str]],
        contacts: Contacts | None = None,
    ) -> None:
        self.sources = {s.n: s for s in sources}
        self.allowed_urls = set(allowed_urls)
        self.contacts = contacts or Contacts.of(self.allowed_urls, ())
        self.level = level
        self.check = check  # the output guard on the text shown so far
        self.cited: dict[int, int] = {}  # source number -> the number the runner sees
        self.raw = ""  # everything the model sent
        self.taken = ""  # the part of the cleaned raw text already released
        self.shown = ""  # what was released, renumbered

    def _renumber(self, piece: str, before: str) -> str:
        def sub(match: re.Match[str]) -> str:
            line = (before + piece[: match.start()]).rsplit("\n", 1)[-1]
            if not _WORDS.search(line):  # "[1] Core coordination..." echoes a source, cites nothing
                raise Fallback("malformed output: [n] used as a list label, not after a statement")
            out = []
            for part in match.group(1).split(","):
                n = int(part)
                if n not in self.sources:
                    raise Fallback(f"citation [{n}] is not one of the {len(self.sources)} sources")
                out.append(f"[{self.cited.setdefault(n, len(self.cited) + 1)}]")
            return "".join(dict.fromkeys(out))

        return CITE.sub(sub, piece)

    def _release(self, piece: str) -> str:
        for url in _URL.findall(piece):
            if url.rstrip(".,;") not in self.allowed_urls:
                raise Fallback(f"link not from the sources: {url[:80]}")
        if foreign := self.contacts.foreign(piece):
            raise Fallback(f"contact details not from settings: {foreign}")
        if self.level >= Level.EVALUATION and _PLAYS_DOWN.search(piece):
            raise Fallback("plays down the evaluation advice")
        shown = self._renumber(piece, self.taken[: len(self.taken) - len(piece)])
        violations = self.check(self.shown + shown)
        if violations:
            raise Fallback("; ".join(violations))
        self.shown += shown
        return shown

    def _clean(self) -> str:
        text = _OWN_SOURCES.sub("", _THINK.sub("", self.raw))
        if not text.startswith(self.taken):  # a late think block or source list; cannot happen twice
            raise Fallback("malformed output: could not separate the answer from its extras")
        return text

    def feed(self, delta: str) -> str:
        """Take a delta from the model; give back the complete sentences that passed the checks."""
        self.raw += delta
        if len(self.raw) > MAX_PROSE_CHARS:
            raise Fallback(f"malformed output: longer than {MAX_PROSE_CHARS} characters")
        pending = self._clean()[len(self.taken) :]
        ends = [m.end() for m in _BOUNDARY.finditer(pending)]
        if not ends:
            return ""
        ready = pending[: ends[-1]]
        self.taken += ready
        return self._release(ready)

    def finish(self) -> str:
        """The rest of the explanation, after the checks on the whole of it."""
        rest = self._clean().rstrip()[len(self.taken) :]
        self.taken += rest
        released = self._release(rest) if rest.strip() else ""
        if not self.shown.strip():
            raise Fallback("malformed output: empty reply")
        if not self.cited:
            raise Fallback("malformed output: no [n] citation of the sources")
        return released


def fault(exc: BaseException, timeout_s: float) -> str:
    """A short reason for the log and the audit trail."""
    name = type(exc).__name__
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return f"timeout: no complete reply within {timeout_s:g} s"
    if "RateLimit" in name or getattr(exc, "status_code", None) == 429:
        return "rate limited by the provider"
    if "No generation chunks" in str(exc):  # LangChain's word for a stream that sent nothing
        return "malformed output: empty reply"
    if "Connection" in name:
        return f"provider unreachable: {name}"
    return f"provider error: {name}: {str(exc)[:120]}"
