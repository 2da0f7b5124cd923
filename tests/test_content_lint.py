"""Content lint: the knowledge pages and reply templates claim no more than the evidence and give
one escalation message everywhere (issue 14). Part of `make test`.

Checks:
- locale: no emergency number, emergency department or doctor service written into knowledge/ or
  prompts/ (911, 999, 112, A&E, ER, GP, NHS 111); they come from settings placeholders;
- one escalation source: knowledge pages give escalation instructions (the emergency number or
  department, same-day care, the weakness rule) only through the shared includes; any sentence
  that sends someone to emergency care for cauda equina signs carries the whole list; urgent
  templates name one timeframe each; every "when to get it checked" block (and every program's
  Safety section) opens with the emergency line;
- evidence: "research shows" / "is known" not within a sentence of a single-study citation;
- summaries: 25 words or fewer;
- originality: no 8-word run shared with the clinic's article (`../shared/seed/`; skipped, with
  the reason, when the seed is not beside this checkout).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant import includes
from assistant.content import PageFill, load_docs, parse_markdown
from assistant.prompts import Templates
from assistant.settings import ROOT, Settings

KNOWLEDGE = ROOT / "knowledge"
PROMPTS = ROOT / "prompts"
SEED = ROOT.parent / "shared" / "seed"
PAGES = sorted(p for p in KNOWLEDGE.glob("*/*.md") if p.parent.name != "red_flags")
LOCALES = {"en-US": Settings(locale="en-US"), "en-GB": Settings(locale="en-GB")}

# Words that belong in settings, never in content (case-sensitive where they are short).
LOCALE_TERMS = re.compile(r"\b(?:911|999|112|A&E|ER|GP|GPs|NHS 111)\b")
# Escalation instructions a knowledge page may give only through an include.
ESCALATION_PLACEHOLDERS = re.compile(r"\{(?:emergency_number|emergency_department|urgent_care|doctor_soon)\}")
ESCALATION_WORDS = re.compile(
    r"emergency (?:department|room|number|services)|\bcall (?:your|the|an|\d)|within (?:the )?hours?\b"
    r"|\b24\s*[-–]\s*48\b|same[- ]day|\btoday\b|within (?:the next )?a day or two",
    re.I,
)
WEAKNESS = re.compile(
    r"\bweak(?:ness|er)?\b|\bslap\w*|\bfoot drop\b|\bdrag\w* (?:your |the )?(?:foot|toes)", re.I
)
# A place or a time to get care: what makes a sentence about weakness an instruction.
ROUTE = re.compile(r"same[- ]day|\btoday\b|day or two|emergency(?! signs)|urgent|\bcall\b|\bnow\b", re.I)
CES_WORDS = re.compile(r"genital|saddle|bladder|bowel|\bpee\b|both legs", re.I)
CLAIM = re.compile(r"\bresearch (?:shows|showed|has shown|proves|points)\b|\bis (?:well )?known\b", re.I)
SINGLE_STUDY = re.compile(
    r"\b(?:one|a|another|in a|this|that) (?:small |large |lab |single |\d{4} |computer )?"
    r"(?:study|trial|model|modelling study)\b",
    re.I,
)
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"*\[])")


def raw_body(path: Path) -> str:
    """A page's text as written: includes and placeholders not yet filled in."""
    text = path.read_text(encoding="utf-8")
    return re.sub(r"\A---\s*\n.*?\n---\s*\n", "", text, flags=re.S)


def without_includes(text: str) -> str:
    return includes.INCLUDE.sub(" ", text)


def sentences(text: str) -> list[str]:
    """Sentences of the prose: headings left out, a paragraph or list item never runs into the next."""
    found: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*] |\d+\. |#))", text):
        if block.lstrip().startswith("#"):
            continue
        found += [s.strip() for s in SENTENCE.split(" ".join(block.split())) if s.strip()]
    return found


def yaml_strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in yaml_strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in yaml_strings(v)]
    return []


def served_text() -> dict[str, str]:
    """Every text a runner can be shown, as written: knowledge pages, templates and includes."""
    found = {str(p.relative_to(ROOT)): raw_body(p) for p in PAGES}
    for path in sorted(PROMPTS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[str(path.relative_to(ROOT))] = "\n".join(yaml_strings(data))
    for path in sorted((PROMPTS / "includes").glob("*.md")):
        found[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return found


def summaries() -> dict[str, str]:
    found = {}
    for path in PAGES:
        front = yaml.safe_load(re.match(r"\A---\s*\n(.*?)\n---", path.read_text(), re.S).group(1))  # type: ignore[union-attr]
        found[path.stem] = str(front.get("summary", ""))
    return found


def expanded_pages(settings: Settings) -> dict[str, str]:
    docs = load_docs(
        [KNOWLEDGE / d for d in ("article", "education", "exercises", "programs")],
        PageFill.from_settings(settings),
    )
    return {d.meta.id: d.body for d in docs}


def rendered_templates(settings: Settings) -> dict[str, str]:
    path = PROMPTS / "escalation.yaml"
    names = list(yaml.safe_load(path.read_text(encoding="utf-8")))
    t = Templates.load(path, {*settings.clinic_vars(), "signs"})
    return {n: t.render(n, **settings.clinic_vars(), signs="a warning sign") for n in names}


# --- locale ----------------------------------------------------------------------------------


def test_no_locale_term_is_written_into_knowledge_or_prompts() -> None:
    """Red-flag rule files (knowledge/red_flags/) are detection data, not reply wording: they
    must match what runners type ("went to A&E") and are checked by the triage tests instead."""
    found = {}
    for name, text in served_text().items():
        text = includes.PLACEHOLDER.sub(" ", text)
        hits = sorted(set(LOCALE_TERMS.findall(text)))
        if hits:
            found[name] = hits
    assert found == {}, "write {emergency_number}, {emergency_department}, {urgent_care} or {doctor_soon}"


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_both_locales_fill_every_page_and_template(locale: str) -> None:
    settings = LOCALES[locale]
    texts = [*expanded_pages(settings).values(), *rendered_templates(settings).values()]
    other = LOCALES["en-GB" if locale == "en-US" else "en-US"]
    assert all("{" not in t and "[[" not in t for t in texts)
    assert not any(other.emergency_department in t or f" {other.emergency_number} " in t for t in texts)
    assert any(settings.emergency_department in t for t in texts)


# --- one escalation source -------------------------------------------------------------------


def test_knowledge_pages_escalate_only_through_the_shared_wording() -> None:
    found = {}
    for path in PAGES:
        text = without_includes(raw_body(path))
        bad = [s for s in sentences(text) if ESCALATION_PLACEHOLDERS.search(s) or ESCALATION_WORDS.search(s)]
        bad += [s for s in sentences(text) if WEAKNESS.search(s) and ROUTE.search(s)]
        if bad:
            found[path.stem] = bad[0]
    assert found == {}, "use [[include: emergency-line]], [[include: weakness-rule]] and the other includes"


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_emergency_instruction_for_nerve_signs_carries_the_whole_list(locale: str) -> None:
    settings = LOCALES[locale]
    signs = includes.expand("[[include: emergency-signs]]", "lint")
    found = {}
    texts = {**expanded_pages(settings), **rendered_templates(settings)}
    # The one-line safety net at level none names the emergency families and points to the whole
    # list ("what are the warning signs?"); test_includes holds it to that.
    texts.pop("safety_net")
    for name, text in texts.items():
        for s in sentences(text):
            sends = settings.emergency_number in s or settings.emergency_department in s
            if sends and CES_WORDS.search(s) and signs not in s:
                found[name] = s
    assert found == {}


def test_each_urgent_template_names_one_timeframe() -> None:
    for settings in LOCALES.values():
        t = rendered_templates(settings)
        for name in ("urgent", "urgent_other"):
            assert "day or two" in t[name] and not re.search(r"today|same day", t[name]), name
        for name in ("urgent_same_day", "urgent_same_day_other"):
            assert re.search(r"today|same day", t[name]) and "day or two" not in t[name], name


def section(body: str, heading: str) -> str | None:
    m = re.search(rf"^## {re.escape(heading)}\n+(.*?)(?=^## |\Z)", body, re.S | re.M)
    return m.group(1).strip() if m else None


def test_the_emergency_line_comes_first_in_every_when_to_get_checked_block() -> None:
    line = includes.expand("[[include: emergency-line]]", "lint")
    found = []
    for path in PAGES:
        body = raw_body(path)
        for heading in ("When to get it checked", "Safety"):
            block = section(body, heading)
            if block is not None and not includes.expand(block, "lint").startswith(line):
                found.append(f"{path.stem}: {heading}")
    assert found == []


# --- evidence --------------------------------------------------------------------------------


def test_no_general_claim_rests_on_a_single_study() -> None:
    found = {}
    for name, text in served_text().items():
        ss = sentences(without_includes(text))
        for i, s in enumerate(ss):
            if CLAIM.search(s) and any(SINGLE_STUDY.search(x) for x in ss[max(0, i - 1) : i + 2]):
                found[name] = s
    assert found == {}, "say 'one study found ...', not 'research shows'"


# --- summaries and originality ---------------------------------------------------------------


def test_summaries_are_25_words_or_fewer() -> None:
    long = {k: len(v.split()) for k, v in summaries().items() if len(v.split()) > 25}
    assert long == {}


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower().replace("\u2019", "'").replace("\u2018", "'"))


def test_no_eight_word_run_is_shared_with_the_clinics_article() -> None:
    if not SEED.is_dir():
        pytest.skip(f"the clinic's article is not beside this checkout ({SEED}); originality not checked")
    seed = words(" ".join(p.read_text(errors="ignore") for p in SEED.iterdir() if p.is_file()))
    runs = {" ".join(seed[i : i + 8]) for i in range(len(seed) - 7)}
    found = {}
    texts = {**served_text(), **{f"{k} (summary)": v for k, v in summaries().items()}}
    for name, text in texts.items():
        w = words(text)
        hits = [" ".join(w[i : i + 8]) for i in range(len(w) - 7) if " ".join(w[i : i + 8]) in runs]
        if hits:
            found[name] = hits[0]
    assert found == {}


def test_the_lint_catches_what_it_is_for(tmp_path: Path) -> None:
    """Each check fails on a page written the old way."""
    page = (
        "Go to A&E or call 911. Research shows cadence helps; one study found less braking. "
        "See a doctor the same day for new weakness in one leg."
    )
    assert LOCALE_TERMS.search(page)
    ss = sentences(page)
    assert any(ESCALATION_WORDS.search(s) for s in ss)
    assert CLAIM.search(ss[1]) and SINGLE_STUDY.search(ss[1])
    assert WEAKNESS.search(ss[2])
    # parse_markdown fills a placeholder, so a page written with one is still served correctly
    md = tmp_path / "education" / "edu-x.md"
    md.parent.mkdir()
    md.write_text(
        "---\nid: edu-x\ntitle: A page\nkind: education\nsummary: A short summary here.\n"
        "source: test\nurl: /x\nreviewed_on: 2026-11-26\n---\n\nCall {emergency_number}.\n"
    )
    assert (
        parse_markdown(md, md.read_text(), PageFill(values={"emergency_number": "112"})).body == "Call 112."
    )
