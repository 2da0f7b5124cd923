"""Plain-text views of Markdown replies and knowledge: what readability and groundedness read."""

from __future__ import annotations

import re

_FENCE = re.compile(r"```.*?```", re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_URL = re.compile(r"<?https?://[^\s)>\]]+>?")
_CITE = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_HTML = re.compile(r"</?[a-zA-Z][^>]*>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`|~~)")
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_QUOTE = re.compile(r"^\s*>\s?")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)[^*_]+(\*\*|__)\s*(\([^)]*\))?\s*:?\s*$")
_LINK_LINE = re.compile(r"^\s*(?:[-*+]|\d+[.)])?\s*\[[^\]]+\]\([^)]*\)\s*$", re.M)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")


def inline(text: str) -> str:
    """One line of Markdown without its markup: link text kept, URLs and [n] markers dropped."""
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _CITE.sub("", text)
    text = _HTML.sub("", text)
    text = _EMPHASIS.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def is_heading(line: str) -> bool:
    """A Markdown heading, or a line that is only bold text (a heading in chat replies)."""
    return bool(_HEADING.match(line) or _BOLD_LINE.match(line))


def blocks(markdown: str, *, headings: bool = True) -> list[str]:
    """The text blocks of a Markdown document, one per paragraph or list item, markup removed."""
    markdown = _FENCE.sub("", markdown)
    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(inline(" ".join(paragraph)))
            paragraph.clear()

    for line in markdown.splitlines():
        if not line.strip() or _TABLE_RULE.match(line):
            flush()
            continue
        if is_heading(line):
            flush()
            if headings:
                out.append(inline(_HEADING.sub("", line)))
            continue
        if _LIST.match(line):
            flush()
            paragraph.append(_LIST.sub("", line))
            continue
        line = _QUOTE.sub("", line).replace("|", " ")
        paragraph.append(line)
    flush()
    return [b for b in out if b]


def plain(markdown: str) -> str:
    """The whole Markdown text as plain prose; each block ends as a sentence."""
    parts = []
    for block in blocks(markdown):
        parts.append(block if block[-1] in ".!?:" else block + ".")
    return " ".join(parts)


def split_sentences(text: str) -> list[str]:
    """Sentences of one plain-text block."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def sentences(markdown: str, *, headings: bool = False) -> list[str]:
    """Every sentence of a Markdown document (headings dropped unless asked for)."""
    return [s for block in blocks(markdown, headings=headings) for s in split_sentences(block)]


def drop_link_lines(markdown: str) -> str:
    """Without lines that are only a link (a list of sources, a "read more" line)."""
    return _LINK_LINE.sub("", markdown)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def normalise(text: str) -> str:
    """Lower case, straight quotes, single spaces: the form text is matched in."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text.lower()).strip()
