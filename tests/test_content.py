from __future__ import annotations

from pathlib import Path

import pytest

from assistant.content import check_links, html_to_markdown, load_docs, split_doc
from assistant.errors import KnowledgeError, KnowledgeErrors
from assistant.settings import ROOT

GOOD = """---
id: edu-test-topic
title: "A test topic"
kind: education
program: null
tags: [test]
summary: "A short direct answer for the test."
source: "The test suite"
url: /knowledge/edu-test-topic
reviewed_on: 2026-11-26
exercises: []
---

## In short

A test topic is a thing. It has two sections.

## Why it matters

A test topic matters because tests need something to read.
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_the_shipped_knowledge_is_valid_and_linked() -> None:
    docs = load_docs([ROOT / "knowledge"])
    check_links(docs)
    kinds = [d.meta.kind for d in docs]
    assert kinds.count("education") >= 18
    assert kinds.count("exercise") >= 25
    assert kinds.count("program") == 4
    assert kinds.count("article") >= 1


def test_every_section_becomes_a_chunk_with_a_stable_id(tmp_path: Path) -> None:
    [doc] = load_docs([write(tmp_path / "education", "edu-test-topic.md", GOOD)])
    chunks = split_doc(doc)
    assert [c.id for c in chunks] == ["edu-test-topic#in-short", "edu-test-topic#why-it-matters"]
    assert chunks[0].text.startswith("A test topic is a thing")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("kind: education", "kind: blogpost"), "kind"),
        (("reviewed_on: 2026-11-26", "reviewed_on: someday"), "reviewed_on"),
        (('summary: "A short direct answer for the test."\n', ""), "summary"),
        (("exercises: []", "exercises: []\ncolour: red"), "colour"),
        (("id: edu-test-topic", "id: edu-other"), "id"),
    ],
)
def test_a_bad_field_names_the_file_and_the_field(
    tmp_path: Path, change: tuple[str, str], field: str
) -> None:
    path = write(tmp_path / "education", "edu-test-topic.md", GOOD.replace(*change))
    with pytest.raises(KnowledgeErrors) as caught:
        load_docs([path])
    assert str(path) in caught.value.message
    assert f"'{field}'" in caught.value.message


def test_missing_front_matter_in_a_curated_folder_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "education", "edu-x.md", "## Just text\n\nNo front matter here.")
    with pytest.raises(KnowledgeErrors, match="front matter"):
        load_docs([path])


def test_a_link_to_an_unknown_exercise_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "education", "edu-test-topic.md", GOOD.replace("exercises: []", "exercises: [ex-nope]")
    )
    with pytest.raises(KnowledgeError, match="ex-nope"):
        check_links(load_docs([path]))


PAGE = """<html><head><title>Runner back pain | Clinic</title></head><body>
<nav><a href="/">Home</a><a href="/blog">Blog</a></nav>
<header class="site-header">Top of page</header>
<article><h1>Why runners get sore backs</h1>
<p>Core control matters for runners with back pain.</p>
<h2>Gait</h2><ul><li>Overstriding</li><li>Pelvic drop</li></ul>
<div class="comments-section"><p>Great post! Love it</p></div>
</article>
<div id="mailing-list"><p>Join our mailing list</p><form><input></form></div>
<footer>bottom of page</footer></body></html>"""


def test_web_pages_lose_their_chrome(tmp_path: Path) -> None:
    text, title = html_to_markdown(PAGE)
    assert title == "Why runners get sore backs"
    assert "Core control matters" in text and "## Gait" in text and "- Overstriding" in text
    for chrome in ("Home", "Great post", "mailing list", "bottom of page", "Top of page"):
        assert chrome not in text
    [doc] = load_docs([write(tmp_path, "page.html", PAGE)])
    assert doc.meta.id == "doc-page" and doc.meta.kind == "article"


def test_plain_text_is_loaded_with_metadata_from_the_file(tmp_path: Path) -> None:
    [doc] = load_docs([write(tmp_path, "notes.txt", "Clinic notes\n\nHip extension matters.")])
    assert doc.meta.title == "Clinic notes"
    assert split_doc(doc)[0].text.startswith("Clinic notes")


def test_every_shipped_section_lists_3_to_8_runner_questions() -> None:
    from assistant.content import MAX_QUESTIONS, MIN_QUESTIONS, load_question_templates

    templates = load_question_templates(ROOT / "knowledge")
    chunks = [c for d in load_docs([ROOT / "knowledge"]) for c in split_doc(d, templates)]
    short = [(c.id, n) for c in chunks if not MIN_QUESTIONS <= (n := len(c.questions)) <= MAX_QUESTIONS]
    assert not short, short
    glute = next(c for c in chunks if c.id == "ex-glute-bridge#progression")
    assert "How do I make the glute bridge harder?" in glute.questions


def test_questions_name_a_section_of_the_file(tmp_path: Path) -> None:
    text = GOOD.replace("exercises: []", 'exercises: []\nquestions:\n  in-short: ["What is a test topic?"]')
    [doc] = load_docs([write(tmp_path / "education", "edu-test-topic.md", text)])
    assert split_doc(doc)[0].questions == ("What is a test topic?",)
    wrong = text.replace("in-short:", "no-such-section:")
    [doc] = load_docs([write(tmp_path / "other" / "education", "edu-test-topic.md", wrong)])
    with pytest.raises(KnowledgeError, match="no-such-section is not a section"):
        split_doc(doc)
