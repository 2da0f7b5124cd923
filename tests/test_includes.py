"""Shared wording included by reference: in reply templates and in knowledge pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import includes
from assistant.content import PageFill, load_docs
from assistant.errors import ConfigError, KnowledgeErrors
from assistant.prompts import Templates
from assistant.settings import ROOT, Settings

PAGE = """---
id: edu-test-include
title: "A test page"
kind: education
program: null
tags: [test]
summary: "A short direct answer for the test."
source: "The test suite"
url: /knowledge/edu-test-include
reviewed_on: 2026-11-26
exercises: []
---

## When to get it checked

[[include: alarm]]

A clinician can help.
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    folder = tmp_path / "includes"
    write(folder / "signs.md", "numbness when wiping;\nweakness in both legs")
    write(folder / "alarm.md", "Call {emergency_number} now if you notice [[include: signs]].")
    return folder


def test_an_include_is_expanded_recursively_as_one_paragraph(shared: Path) -> None:
    text = includes.expand("Warning: [[include: alarm]]", "here", shared)
    assert (
        text
        == "Warning: Call {emergency_number} now if you notice numbness when wiping; weakness in both legs."
    )


def test_an_unknown_include_names_the_file_and_the_choices(shared: Path) -> None:
    with pytest.raises(ConfigError, match=r"page\.md.*\[\[include: nope\]\].*alarm"):
        includes.expand("[[include: nope]]", "page.md", shared)


def test_an_include_loop_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "[[include: b]]")
    write(tmp_path / "b.md", "[[include: a]]")
    with pytest.raises(ConfigError, match="include loop a -> b -> a"):
        includes.expand("[[include: a]]", "x", tmp_path)


def test_an_unknown_placeholder_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"\{emergency_numbr\}"):
        includes.fill("Call {emergency_numbr}", {"emergency_number": "999"}, "page.md")


def test_a_knowledge_page_gets_the_include_and_the_settings_words(tmp_path: Path, shared: Path) -> None:
    path = write(tmp_path / "education" / "edu-test-include.md", PAGE)
    uk = PageFill(values=Settings(locale="en-GB").clinic_vars(), includes_dir=shared)
    [doc] = load_docs([path], uk)
    assert "Call 999 now if you notice numbness when wiping; weakness in both legs." in doc.body
    assert "[[" not in doc.body and "{" not in doc.body


def test_a_knowledge_page_with_a_bad_include_fails_at_load(tmp_path: Path, shared: Path) -> None:
    path = write(tmp_path / "education" / "edu-test-include.md", PAGE.replace("alarm", "alarn"))
    with pytest.raises(KnowledgeErrors, match="body"):
        load_docs([path], PageFill(values={}, includes_dir=shared))


def test_a_template_gets_the_include_before_its_names_are_checked(tmp_path: Path, shared: Path) -> None:
    path = write(tmp_path / "t.yaml", "net: '_Education. [[include: alarm]]_'\n")
    t = Templates.load(path, {"emergency_number"})
    assert t.render("net", emergency_number="112") == (
        "_Education. Call 112 now if you notice numbness when wiping; weakness in both legs._"
    )
    with pytest.raises(ConfigError, match="unknown variable"):
        Templates.load(path, set())


def test_the_warning_signs_the_urgent_replies_and_the_pages_share_one_emergency_list() -> None:
    signs = includes.expand("[[include: emergency-signs]]", "test")
    settings = Settings()
    wording = Templates.load(ROOT / "prompts" / "escalation.yaml", {*settings.clinic_vars(), "signs"})
    values = {**settings.clinic_vars(), "signs": "a sign"}
    for name in ("warning_signs", "urgent", "urgent_same_day", "urgent_other", "urgent_same_day_other"):
        assert signs in wording.render(name, **values), name
    docs = {d.meta.id: d for d in load_docs([ROOT / "knowledge"], PageFill.from_settings(settings))}
    for doc_id in ("edu-red-flags", "prog-nerve-mobility", "ex-seated-sciatic-slider"):
        assert signs in docs[doc_id].body, doc_id


def test_the_safety_net_at_level_none_is_one_short_line_that_points_to_the_list() -> None:
    settings = Settings()
    wording = Templates.load(ROOT / "prompts" / "escalation.yaml", {*settings.clinic_vars(), "signs"})
    net = wording.render("safety_net", **settings.clinic_vars())
    assert len(net.split()) <= 50 and "\n" not in net.strip()
    for family in ("bottom or genitals", "bladder, bowel or sexual", "both legs", settings.emergency_number):
        assert family in net, family
    assert "warning signs" in net  # the full list is one question away
