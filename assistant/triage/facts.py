"""Numbers the rules need: the runner's age and how long the symptoms have lasted.

They become facts (`age`, `duration_weeks`) that accumulate over a session, and derived facts
(`age_50_plus`, `duration_6_weeks`, ...) that combinations use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.triage.lexicon import PEOPLE
from assistant.triage.text import Doc

_NUM: dict[str, float] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "few": 3, "several": 4, "couple": 2, "couple of": 2, "many": 6,
}  # fmt: skip
_NUMBER = (
    r"(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty"
    r"|few|several|couple|couple of|many)"
)
_HALF = r"( and a half)?"
_UNIT = r"(days?|weeks?|months?|years?)"
_WEEKS = {"day": 1 / 7, "week": 1.0, "month": 4.3, "year": 52.0}
_DECADES = {
    "twenties": 20,
    "thirties": 30,
    "forties": 40,
    "fifties": 50,
    "sixties": 60,
    "seventies": 70,
    "eighties": 80,
}
_PERSON = "|".join(sorted(PEOPLE))

# Words after a number that make it something other than an age ("I'm 5 weeks in", "at 10k").
_NOT_AGE = (
    r"(?! (?:km|k|kms|miles?|mi|minutes?|mins?|min|kg|kilos?|lbs?|pounds|stone|weeks?|days?|months?"
    r"|hours?|percent|times|x|reps?|sets?|mph|kph|seconds?|secs?|m|am|pm|o'clock|degrees|into|in|out|of"
    r"|and a half|:|%))"
)
_AGE_SELF = [
    re.compile(r"\b(?:i'm|i am|aged|age|age is|age :)\s+(?:a |an |now |just )?(\d{1,2})\b" + _NOT_AGE),
    re.compile(r"\b(?:i'm|i am|as) an? (\d{1,2}) (?:years? old|y o)\b"),
    # Only age wording: a bare number ("I live at 42 Elm Street", "at 45 a mile") is no age.
    re.compile(r"\b(?:at|from) (?:the )?age (?:of )?(\d{1,2})\b" + _NOT_AGE),
    re.compile(r"^([2-9]\d) ?(?:male|female|yo|y o|years? old)\b"),
    re.compile(r"(?:^|[.,!?] )(\d{1,2}) (?:years? old|y o)\b"),
    re.compile(r"\b(?:i'm|i am) (\d{1,2}) (?:years? old|y o)\b"),
]
_DECADE_WORDS = "twenties|thirties|forties|fifties|sixties|seventies|eighties"
_AGE_DECADE = re.compile(rf"\b(?:i'm|i am) in my (?:(early|mid|late) )?(\d0s|{_DECADE_WORDS})\b")
_AGE_OVER = re.compile(r"\b(?:i'm|i am) (?:over|past) (\d0|fifty|sixty|seventy)\b")
_AGE_OTHER = [
    re.compile(rf"\bmy (\d{{1,2}}) (?:years? old |y o )?(?:{_PERSON})\b"),
    re.compile(r"\b(?:my|our) (\d{1,2}) (?:years? old|y o)\b"),
    re.compile(
        rf"\b(?:my|our) (?:{_PERSON}) (?:is|who is|who's|aged|,|\() ?(?:only |just )?(\d{{1,2}})\b" + _NOT_AGE
    ),
    re.compile(r"\b(?:he's|she's|he is|she is|they're) (?:only |just )?(\d{1,2})\b" + _NOT_AGE),
]
_YOUNG = re.compile(
    r"\b(?:teen|teens|teenager|teenage|high school|secondary school|middle school|junior runner|sixth form"
    r"|year (?:7|8|9|10|11|12|13)|grade (?:[6-9]|1[0-2])|under ?1[0-9]s|u1[0-9]s?|gcses?|a levels)\b"
)

# duration of the symptoms (not of a running career: "running for 10 years" is no symptom)
_RUN_WORDS = frozenset(
    {"running", "run", "ran", "training", "trained", "racing", "jogging", "runner", "doing"}
)
_LEAD = (
    r"(?:for|past|last|over|nearly|almost|about|around|been|now|lasted|lasting|going on for|gone on for"
    r"|going for|there for)"
)
_DURATION = [
    re.compile(
        rf"\b{_LEAD} (?:the )?(?:past |last |about |around |nearly |almost |over )?{_NUMBER}{_HALF} {_UNIT}\b"
    ),
    re.compile(
        rf"\b{_NUMBER}{_HALF} {_UNIT} "
        r"(?:now|on|in|later|and (?:still|no|not|it's|its|counting)|of (?:this|back|it|pain|the)|since)\b"
    ),
    re.compile(
        rf"\b(?:started|began|begun|came on|first|kicked off|happened|start) {_NUMBER}{_HALF} {_UNIT} ago\b"
    ),
    re.compile(
        rf"\b{_NUMBER}{_HALF} {_UNIT} ago (?:it|this|my|the pain|i) (?:started|began|came on|first)\b"
    ),
    re.compile(rf"\b(?:same as|since|than|from) {_NUMBER}{_HALF} {_UNIT} ago\b"),
]
_LONG = re.compile(r"\b(?:for|since) (?:ages|months|years|a long time|so long|forever)\b|\bchronic\b")
_MONTHS = (
    r"january|february|march|april|may|june|july|august|september|october|november|december"
    r"|christmas|new year|easter|the (?:summer|spring|autumn|winter|start of the year)|last month"
    r"|my (?:marathon|race|half)"
)
_SINCE = re.compile(
    rf"\bsince (?:{_MONTHS})\b|\bfor (?:a while|some time|a few weeks|weeks)\b|\b(?:a|one|over a) fortnight\b"
)
_SYMPTOM = re.compile(
    r"\b(?:pain|painful|hurt|hurts|hurting|ache|aches|aching|achy|sore|soreness|sciatica|symptoms?|back"
    r"|it|it's|its|this|numb\w*|tingl\w*|stiff\w*|niggle|niggling|flare|better|worse|improv\w*|same)\b"
)


# A temperature given as a number ("temp 38.9", "102F", "fever of 39"), read from the original
# text because the tokenizer splits "38.9". 38.0 C / 100.4 F and above is a fever.
_TEMPERATURE = re.compile(
    r"\b(?:temp|temperature|fever|febrile|thermometer|pyrexi\w*)\b[^.!?\n]{0,30}?"
    r"(?<![\d.])(\d{2,3}(?:[.,]\d{1,2})?)\s*(?:°|º|deg\w*)?\s*([cf])?\b",
    re.IGNORECASE,
)


def fever_reading(original: str) -> str:
    """The words of a temperature at fever level, or "" (38.0 C / 100.4 F and above)."""
    for m in _TEMPERATURE.finditer(original):
        value = float(m.group(1).replace(",", "."))
        unit = (m.group(2) or "").lower()
        celsius = value if unit == "c" or (not unit and value < 45) else (value - 32) * 5 / 9
        if 38.0 <= celsius <= 43.5:
            return m.group(0).strip()
    return ""


@dataclass
class Numbers:
    age: int | None = None
    age_evidence: str = ""
    age_other: bool = False
    young: bool = False
    duration_weeks: float | None = None
    duration_evidence: str = ""
    fever_evidence: str = ""


def _num(token: str) -> float:
    if token.isdigit():
        return float(token)
    return float(_NUM.get(token, 0))


def numbers(doc: Doc, symptom_context: bool = False) -> Numbers:
    text = doc.text
    out = Numbers()
    for pattern in _AGE_OTHER:
        m = pattern.search(text)
        if m:
            out.age, out.age_other = int(m.group(1)), True
            out.age_evidence = _quote(doc, m)
            break
    if out.age is None:
        for pattern in _AGE_SELF:
            m = pattern.search(text)
            if m and 3 <= int(m.group(1)) <= 99:
                out.age, out.age_evidence = int(m.group(1)), _quote(doc, m)
                break
    if out.age is None and (m := _AGE_DECADE.search(text)):
        decade = m.group(2)
        base = int(decade[:2]) if decade[0].isdigit() else _DECADES[decade]
        out.age = base + {"early": 1, "mid": 5, "late": 8}.get(m.group(1) or "", 1)
        out.age_evidence = _quote(doc, m)
    if out.age is None and (m := _AGE_OVER.search(text)):
        word = m.group(1)
        out.age = (int(word) if word.isdigit() else {"fifty": 50, "sixty": 60, "seventy": 70}[word]) + 1
        out.age_evidence = _quote(doc, m)
    if _YOUNG.search(text):
        out.young = True
    out.fever_evidence = fever_reading(doc.original)
    best = 0.0
    for pattern in _DURATION:
        for m in pattern.finditer(text):
            first, last = doc.words_of(m.start(), m.end())
            if (first > 0 and doc.words[first - 1] in _RUN_WORDS) or _running_career(doc, first):
                continue
            sentence = doc.span_text(doc.sentence, first)
            if not (symptom_context or _SYMPTOM.search(sentence)):
                continue
            weeks = _num(m.group(1)) * _WEEKS[m.group(3).rstrip("s")] + (
                0.5 * _WEEKS[m.group(3).rstrip("s")] if m.group(2) else 0
            )
            if weeks > best:
                best, out.duration_evidence = weeks, doc.evidence(first, last)
    if not best and (m := _LONG.search(text)):
        best, out.duration_evidence = 8.0, _quote(doc, m)
    if not best and (m := _SINCE.search(text)) and (symptom_context or _SYMPTOM.search(text)):
        # "since January" or "for a while": at least a few weeks, the date itself is unknown
        best, out.duration_evidence = 3.0, _quote(doc, m)
    out.duration_weeks = best or None
    return out


def _running_career(doc: Doc, first: int) -> bool:
    """ "I've been running for 10 years": the words just before say what lasted that long."""
    window = doc.words[max(0, first - 3) : first]
    return any(w in _RUN_WORDS for w in window)


def _quote(doc: Doc, m: re.Match[str]) -> str:
    first, last = doc.words_of(m.start(), m.end())
    return doc.evidence(first, last)


def derived(facts: dict[str, Any]) -> dict[str, bool]:
    """Facts computed from numbers, for combinations."""
    age = facts.get("age")
    weeks = facts.get("duration_weeks")
    out: dict[str, bool] = {}
    if isinstance(age, int | float):
        out["age_under_16"] = age < 16
        out["age_under_20"] = age < 20
        out["age_50_plus"] = age >= 50
        out["age_65_plus"] = age >= 65
    if facts.get("young"):
        out["age_under_20"] = True
    if isinstance(weeks, int | float):
        out["duration_2_weeks"] = weeks >= 2
        out["duration_6_weeks"] = weeks >= 6
    return out
