"""The output guard: checks every responder's reply before the runner sees it.

A reply fails when it
- gives a medicine dose ("take 400 mg ibuprofen", "two tablets every 4 hours");
- makes a diagnostic claim ("you have a herniated disc", "this isn't cauda equina",
  "it's just tight hamstrings") or talks someone out of care ("no need to see a doctor");
- at urgent or emergency, does not say where to go first, suggests exercises, or suggests waiting;
- cites a source the retriever did not return.

`check()` returns the violations (empty = pass); the chat service then falls back to the
grounded reply and logs them.
"""

from __future__ import annotations

import re

from assistant.types import Level
from assistant.vocabulary import DRUGS  # shared with the router


def _alts(*lines: str) -> str:
    """Alternatives written one group per line, joined into one non-capturing group."""
    return "(?:" + "|".join(lines) + ")"


_AMOUNT = r"\d+(?:[.,]\d+)?\s?(?:g|ml|grams?|tablets?|pills?|capsules?|doses?)\b"
_SCHEDULE = _alts(
    r"every \d+\s?(?:hours?|hrs?)",
    r"(?:once|twice|three times|four times|\d+ times) (?:a|per) day",
    r"maximum (?:daily )?dose",
)
_COUNT = r"(?:\d+|one|two|three|four)\s(?:tablets?|pills?|capsules?|doses?)"
_DOSE = [
    re.compile(r"\b\d+(?:[.,]\d+)?\s?(?:mg|mcg|µg|micrograms?|milligrams?)\b", re.I),
    re.compile(rf"\b{DRUGS}\b[^.!?\n]{{0,80}}\b(?:{_AMOUNT}|{_SCHEDULE})", re.I),
    re.compile(rf"\b(?:take|taking|have|use)\s{_COUNT}\b[^.!?\n]{{0,60}}\b{DRUGS}\b", re.I),
    re.compile(rf"\b{_COUNT}\s(?:of\s)?{DRUGS}\b", re.I),
]
CONDITIONS = _alts(
    "(?:an? )?(?:herniated|slipped|bulging|prolapsed|ruptured) dis[ck]|dis[ck] (?:herniation|bulge|prolapse)",
    "sciatica|cauda equina(?: syndrome)?|spondylolysis|spondylolisthesis|(?:a )?stress fracture",
    "(?:a )?pars (?:fracture|defect)|(?:an? )?(?:si|sacroiliac) joint (?:dysfunction|problem)",
    "piriformis syndrome|facet (?:joint )?(?:syndrome|arthritis|problem)|(?:spinal )?stenosis",
    "degenerative dis[ck](?: disease)?|ankylosing spondylitis|(?:axial )?spondyloarthritis|arthritis",
    "(?:a )?(?:muscle|lumbar|back) strain|(?:a )?pulled muscle|tight hamstrings|(?:a )?kidney stones?",
    "cancer|(?:a )?tumou?r|(?:an? )?(?:spinal )?infection|(?:a )?fracture|(?:an? )?aneurysm",
    "(?:a )?(?:trapped|pinched) nerve|nerve (?:root )?compression|mechanical (?:low )?back pain",
    "muscular|just muscular|a muscle (?:thing|problem|issue)",
)
SERIOUS = _alts(
    "cauda equina(?: syndrome)?|(?:a )?fracture|(?:a )?stress fracture|cancer|(?:a )?tumou?r",
    "(?:an? )?(?:spinal )?infection|(?:an? )?aneurysm|serious|dangerous|an emergency|(?:a )?nerve problem",
    "anything (?:serious|to worry about)|a red flag",
)
_SUBJECT = r"(?:this|it|that|your pain|your back pain|the pain)"
_HEDGE = r"(?:just |only |definitely |probably |likely |clearly |almost certainly |simply )?"
_DIAGNOSIS = [
    re.compile(
        r"\byou(?:'ve| have)? (?:got |have |definitely have |probably have |likely have "
        rf"|are suffering from |'re suffering from ){CONDITIONS}\b",
        re.I,
    ),
    re.compile(
        rf"\b{_SUBJECT}(?:'s| is| sounds like| looks like| must be| seems like| is consistent with) "
        rf"{_HEDGE}{CONDITIONS}\b",
        re.I,
    ),
    re.compile(
        rf"\b{_SUBJECT}(?:'s| is)? "
        r"(?:not|n't|isn't|is not|definitely not|certainly not|can't be|cannot be|unlikely to be) "
        rf"{SERIOUS}\b",
        re.I,
    ),
    re.compile(rf"\byou (?:don't|do not) have (?:{SERIOUS}|{CONDITIONS})\b", re.I),
    re.compile(rf"\b(?:rules?|ruled|rule) out (?:{SERIOUS}|{CONDITIONS})\b", re.I),
    re.compile(r"\b(?:my|the|your) diagnosis is\b|\bi (?:can )?diagnose you\b", re.I),
    re.compile(
        r"\b(?:it's|it is|this is|that's|that is) (?:probably |almost certainly |definitely )?"
        r"(?:nothing serious|not serious|harmless|nothing to worry about|nothing)\s*[.!,]",
        re.I,
    ),
]
_CARE = r"(?:doctor|gp|a&e|hospital|emergency|physio)"
_DISCOURAGE = re.compile(
    _alts(
        r"\bno need to (?:see|go to|call|visit|book)\b",
        rf"\b(?:you )?(?:don't|do not) need (?:to see |to go to |to call )?(?:a |an |the )?{_CARE}\b",
        rf"\binstead of (?:seeing|going to) (?:a |the )?{_CARE}\b",
        r"\b(?:this|the app|i) (?:can )?replace[sd]? (?:a |an |your )?"
        r"(?:doctor|physio|clinician|assessment)\b",
    ),
    re.I,
)
_DELAY = re.compile(
    _alts(
        r"\bwait and see\b",
        r"\bsee if it (?:settles|improves|goes away)\b",
        r"\btry (?:\w+ ){0,4}for (?:a|one|two|a few|\d+) (?:days?|weeks?) (?:first|before)\b",
        rf"\b(?:before|instead of) (?:seeing|going to|calling) (?:a |the )?{_CARE}\b",
    ),
    re.I,
)
_EXERCISE_PLAN = re.compile(
    _alts(
        r"\btry (?:these|this|some|the following) (?:exercises?|stretches?|drills?)\b",
        r"\bsets? of \d+",
        r"\b\d+\s?(?:x|×)\s?\d+",
        r"\b\d+\s?(?:-\s?\d+\s?)?reps\b",
        r"\bhold (?:it |each |for )*\d+\s?(?:s|secs?|seconds)\b",
    ),
    re.I,
)
ROUTE_WORDS: dict[Level, tuple[str, ...]] = {
    Level.EMERGENCY: ("emergency", "a&e", "911", "999", "112", "000", "ambulance"),
    Level.URGENT: ("doctor", "gp", "urgent care", "111", "today", "within a day", "same day", "physician"),
}
_QUESTION = re.compile(r"[^.!?\n]*\?")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def _statements(text: str) -> str:
    """The reply without questions and link titles, so "Is it just tight hamstrings?" is no claim."""
    text = _LINK.sub(" ", text)
    return _QUESTION.sub(" ", text)


def _first_block(text: str) -> str:
    for block in re.split(r"\n\s*\n", text.strip()):
        if block.strip():
            return block.lower()
    return ""


class OutputGuard:
    """Checks a reply; see the module docstring for what fails."""

    def __init__(self, emergency_number: str | None = None) -> None:
        words = dict(ROUTE_WORDS)
        if emergency_number:
            words[Level.EMERGENCY] = (*words[Level.EMERGENCY], emergency_number.lower())
        self.route_words = words

    def check(
        self,
        reply_text: str,
        level: Level,
        citation_ids: list[str],
        retrieved_ids: set[str],
        has_exercises: bool,
    ) -> list[str]:
        problems: list[str] = []
        statements = _statements(reply_text)
        for pattern in _DOSE:
            if m := pattern.search(reply_text):
                problems.append(f"medication dose: {m.group(0).strip()!r}")
                break
        for pattern in _DIAGNOSIS:
            if m := pattern.search(statements):
                problems.append(f"diagnostic claim: {m.group(0).strip()!r}")
                break
        if m := _DISCOURAGE.search(statements):
            problems.append(f"discourages care: {m.group(0).strip()!r}")
        if level >= Level.URGENT:
            opening = _first_block(reply_text)
            if not any(word in opening for word in self.route_words[Level(min(level, Level.EMERGENCY))]):
                problems.append(f"{level.label} reply does not open with where to go")
            if has_exercises:
                problems.append(f"exercises suggested at {level.label}")
            if m := _EXERCISE_PLAN.search(reply_text):
                problems.append(f"exercise plan at {level.label}: {m.group(0).strip()!r}")
            for m in _DELAY.finditer(statements):
                before = statements[max(0, m.start() - 24) : m.start()].lower()
                if not re.search(r"\b(?:don't|do not|never|rather than|instead of|not)\b", before):
                    problems.append(f"suggests waiting at {level.label}: {m.group(0).strip()!r}")
                    break
        unknown = [c for c in citation_ids if c not in retrieved_ids]
        if unknown:
            problems.append(f"citation not retrieved: {', '.join(unknown)}")
        return problems
