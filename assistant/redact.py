"""Redaction of personal details from stored or logged text.

Masked: emails (also spelled out: "jane dot doe at gmail dot com"), phone numbers (Google's
libphonenumber through `phonenumbers` for real numbering plans, then patterns for local and
fictional forms), dates of birth (after birth wording, and any full date too old to be a run),
street addresses and postcodes, names after "I'm / my name is / this is / call me" in any case,
and tokens. Running figures (paces, distances, dates of runs, "I'm 42") are kept.

No library here covers names, addresses and spelled-out emails offline (Presidio needs a spaCy
model download; pyap and scrubadub are unmaintained), so those are patterns, with a test table.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import phonenumbers

__all__ = ["Redaction", "redact", "redact_names", "redaction"]

# ---------------------------------------------------------------- secrets and emails
_SECRET = re.compile(r"\b(xox[abpr]-[\w-]+|sk-[\w-]{16,}|Bot\s+[\w.-]{20,})")
# Each pattern starts only where a run of its characters starts and has a bounded length, so a
# 4,000-letter "word" or a long line of digits costs one pass, not a scan from every position.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_AT = r"\s*(?:\(at\)|\[at\]|\{at\}|<at>|\bat\b)\s*"
_DOT = r"\s*(?:\.|\(dot\)|\[dot\]|\{dot\}|<dot>|\bdot\b)\s*"
_TLD = r"(?:com|org|net|edu|gov|co|uk|io|me|us|ca|au|ie|nz|de|fr|es|it|nl|info|biz)"
_SPELLED_EMAIL = re.compile(
    rf"\b[\w+-]+(?:{_DOT}[\w+-]+){{0,3}}{_AT}[\w-]+(?:{_DOT}[\w-]+){{0,3}}{_DOT}{_TLD}\b", re.IGNORECASE
)

# ---------------------------------------------------------------- dates of birth
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_DATE = (
    rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|{_YEAR}[/.-]\d{{1,2}}[/.-]\d{{1,2}}"
    rf"|{_DAY}(?: of)? {_MONTH},?(?: {_YEAR}|\s?'\d{{2}})?|{_MONTH} {_DAY},?(?: {_YEAR})?"
    rf"|{_MONTH},? {_YEAR}|{_YEAR})"
)
_BIRTH = re.compile(
    r"\b(?:born(?: on| in)?|dob|d\.o\.b\.?|date of birth(?: is)?|birth ?date(?: is)?|birthday(?: is)?"
    rf"(?: on)?)\s*:?\s*{_DATE}",
    re.IGNORECASE,
)
_FULL_DATE = re.compile(
    rf"\b(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?P<y1>{_YEAR})|(?P<y2>{_YEAR})-\d{{1,2}}-\d{{1,2}}"
    rf"|{_DAY}(?: of)? {_MONTH},? (?P<y3>{_YEAR})|{_MONTH} {_DAY},? (?P<y4>{_YEAR}))\b",
    re.IGNORECASE,
)
OLD_DATE_YEARS = 12  # a full date at least this many years back is read as a birth date, not a run

# ---------------------------------------------------------------- addresses and postcodes
_STREET = (
    r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|court|ct|way|boulevard|blvd|place|pl"
    r"|terrace|crescent|cres|gardens|gdns|square|sq|grove|parkway|pkwy|highway|hwy|circle|mews)\b\.?"
)
_NAMEWORD = r"[A-Z][A-Za-z'’-]*"
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?,? (?:{_NAMEWORD} ){{1,3}}(?i:{_STREET}|hill|park|row|walk|green|view|rise)"
)
_ADDRESS_CUE = re.compile(
    r"\b(?P<cue>(?:live|living|lives|staying|based) (?:at|on)|address is|address:|moved to)"
    rf"\s+(?:\d{{1,5}}[a-z]?,?\s+)?(?:[a-z'’-]+\s+){{1,3}}{_STREET}",
    re.IGNORECASE,
)
_UNIT = re.compile(r"\b(?:apt|apartment|flat|unit|suite)\.?\s*#?\s*\d+[a-z]?\b", re.IGNORECASE)
_UK_POSTCODE = r"(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(
    rf"\b(?:{_UK_POSTCODE}|[A-Z]\d[A-Z] ?\d[A-Z]\d|(?<=[A-Z]{{2}} )\d{{5}}(?:-\d{{4}})?"
    rf"|(?<=[A-Z]{{2}}, )\d{{5}}(?:-\d{{4}})?)\b"
)
_POSTCODE_CUE = re.compile(
    rf"\b(?:post ?code|zip(?: ?code)?|postal code)(?: is)?\s*:?\s*(?:(?i:{_UK_POSTCODE})|\d{{5}}(?:-\d{{4}})?"
    r"|[a-z]\d[a-z] ?\d[a-z]\d)\b",
    re.IGNORECASE,
)

# ---------------------------------------------------------------- phone numbers
_PHONE = re.compile(r"(?<![\w/:.])\+?\(?\d[\d\s().-]{7,24}\d(?![\w/])")  # bounded, as _EMAIL
_SHORT_PHONE = re.compile(
    r"(?<![\w/:.-])\d{3}[-.]\d{4}(?![\w/:.-])"
    r"|(?i:\b(?:call|phone|mobile|cell|tel|text|ring|number|whatsapp)\b\D{0,12})\d{3} \d{4}\b"
)
_PHONE_REGIONS = ("US", "GB")

# ---------------------------------------------------------------- names
_STRONG = (
    r"my name is|my name's|my names|name's|name is|name:|i am called|i'm called|im called|call me"
    r"|they call me|known as"
)
_WEAK = r"i'm|i’m|i am|im|this is|it's|it’s"
_TITLE = r"(?:dr|doctor|mr|mrs|ms|miss|mx|coach|prof)\.?"
_WORD = r"[^\W\d_](?:[^\W\d_]|['’-])*"  # letters of any alphabet, apostrophes, hyphens
_INTRO = re.compile(
    rf"\b(?P<cue>{_STRONG}|{_WEAK})\s+(?P<name>(?:{_TITLE}\s+)?{_WORD}(?:\s+{_WORD}){{0,2}})",
    re.IGNORECASE,
)
_STRONG_CUES = frozenset(_STRONG.split("|"))

# Words that follow "I'm", "this is" or "call me" and are not names (lower case).
_COMMON_WORDS = """
    a an the not no so very really just still also quite too bit little lot kind sort pretty
    always never usually often sometimes now currently already almost nearly about around over
    under only even ever rather fairly getting going doing having trying feeling being running
    training worried scared afraid anxious nervous concerned sure unsure fine ok okay good well
    great better worse bad sick ill sore stiff tight tired exhausted fit unfit new old young
    older younger pregnant male female man woman guy girl boy mum mom dad mother father parent
    wife husband partner runner jogger beginner marathoner athlete coach physio doctor nurse
    student teacher patient member back home here there out off up down in on at into from with
    without for to of by after before since until when while if because and or but then than
    what which who how why where my your his her our their its this that these those it he she
    they we you i me him them us one two three four five six seven eight nine ten half
    interested hoping wondering asking looking thinking planning able unable allowed due busy
    free ready happy sad glad sorry fed stuck lost confused frustrated desperate overweight
    heavy light tall short hypermobile flexible inflexible diabetic asthmatic vegan vegetarian
    retired unemployed employed pain painful numb weak normal serious bad worst best
    fine right left ah oh um er yes nope yeah yep hi hello hey thanks thank please
    will would can could should shall may might must do did does done have has had get got
    go went see saw know knew think thought feel felt want need like love hate run ran walk
    walked sit sat stand stood lie lay sleep slept wake woke take took make made
    sciatica sciatic stenosis disc arthritis injured injury recovering rehab
    monday tuesday wednesday thursday friday saturday sunday today tonight tomorrow yesterday
    january february march april june july august september october november december
    british english irish scottish welsh american canadian australian german french spanish
    italian dutch new zealander dr mr mrs ms mx prof
"""
_COMMON = frozenset(_COMMON_WORDS.split())
_NOT_NAME_SUFFIXES = ("ing", "ed", "ly", "ful", "ous", "ive", "able", "ible", "less", "ness", "ish", "ic")


@dataclass
class Redaction:
    """The redacted text and the names taken out of it (to mask them elsewhere too)."""

    text: str
    names: list[str] = field(default_factory=list)


def _looks_like_name(word: str, strong: bool) -> bool:
    low = word.lower().strip("'’-")
    if not low or low in _COMMON or any(ch.isdigit() for ch in low):
        return False
    if word[0].isupper() or strong:
        return True
    return not (len(low) > 4 and low.endswith(_NOT_NAME_SUFFIXES))


def _names(text: str, found: list[str]) -> str:
    def mask(m: re.Match[str]) -> str:
        cue = m.group("cue")
        strong = cue.lower().replace("’", "'") in _STRONG_CUES
        words = m.group("name").split()
        lead = ""
        if re.fullmatch(_TITLE, words[0], re.IGNORECASE) and len(words) > 1:
            lead, words = words[0] + " ", words[1:]
            strong = True
        if not _looks_like_name(words[0], strong):
            return m.group(0)
        # a first name may come with a surname; "i'm jane and ..." stops at "and"
        taken = [words[0]]
        for w in words[1:]:
            if not _looks_like_name(w, strong=False) or (words[0][0].isupper() and not w[0].isupper()):
                break
            taken.append(w)
        found.append(" ".join(taken))
        rest = m.group("name")[len(lead) + len(" ".join(taken)) :]
        return f"{cue} {lead}[name]{rest}"

    return _INTRO.sub(mask, text)


MATCHER_MAX_DIGITS = 80  # libphonenumber's matcher is slow on digit-heavy text; patterns go on


def _phones(text: str) -> str:
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7:
        return text
    spans: list[tuple[int, int]] = []
    for region in _PHONE_REGIONS if digits <= MATCHER_MAX_DIGITS else ():
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            spans.append((m.start, m.end))
    for start, end in sorted(set(spans), reverse=True):
        if not text[start:end].startswith("["):
            text = text[:start] + "[phone]" + text[end:]

    def long_one(m: re.Match[str]) -> str:
        digits = sum(ch.isdigit() for ch in m.group(0))
        return "[phone]" if digits >= 9 else m.group(0)

    text = _PHONE.sub(long_one, text)
    return _SHORT_PHONE.sub(lambda m: m.group(0)[: len(m.group(0)) - 8] + "[phone]", text)


def _old_date(m: re.Match[str]) -> str:
    year = int(next(y for y in m.groups() if y))
    return "[date]" if year <= time.gmtime().tm_year - OLD_DATE_YEARS else m.group(0)


def redaction(text: str) -> Redaction:
    """The text with personal details masked, and the names it held."""
    names: list[str] = []
    text = _SECRET.sub("[secret]", text)
    text = _EMAIL.sub("[email]", text)
    text = _SPELLED_EMAIL.sub("[email]", text)
    text = _BIRTH.sub("[birth date]", text)
    text = _FULL_DATE.sub(_old_date, text)
    text = _ADDRESS_CUE.sub(r"\g<cue> [address]", text)
    text = _ADDRESS.sub("[address]", text)
    text = _UNIT.sub("[address]", text)
    text = _POSTCODE_CUE.sub("[postcode]", text)
    text = _POSTCODE.sub("[postcode]", text)
    text = _phones(text)
    text = _names(text, names)
    return Redaction(text, names)


def redact(text: str) -> str:
    """The same text with personal details masked (see the module docstring for what)."""
    return redaction(text).text


def redact_names(text: str, names: list[str]) -> str:
    """`text` (a reply, say) with names found elsewhere (the runner's message) masked too."""
    parts = {p for name in names for p in (name, *name.split())}
    for part in sorted(parts, key=lambda p: (-len(p), p)):  # whole names before their parts
        if len(part) > 1:
            text = re.sub(rf"\b{re.escape(part)}\b", "[name]", text, flags=re.IGNORECASE)
    return text
