"""Whether a matched symptom is happening now: past history, hypotheticals, retractions, language.

Each check reads one stretch of normalised text (a sentence, or part of one split at "but"), so a
history in one sentence never hides a new symptom in the next.
"""

from __future__ import annotations

import re
from typing import Literal

from assistant.triage.lexicon import LANGUAGE_WORDS

Time = Literal["current", "history", "recent_resolved"]


def _any(*alternatives: str, suffix: str = "") -> re.Pattern[str]:
    """One word-bounded regular expression from a list of alternatives (one per line, readable)."""
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")" + suffix + r"\b")


_N = (
    r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty"
    r"|few|several|many|couple|couple of|some)"
)
DISTANT = _any(
    rf"(?:{_N} )?(?:years?|yrs?|decades?) (?:ago|back|before)",
    r"(?:last|previous) year",
    r"back in (?:19|20)\d\d",
    r"in (?:19|20)\d\d",
    r"when i was (?:a |at |in |younger|young|little|pregnant|\d+)",
    r"as a (?:kid|teen|teenager|child|student)",
    r"in my (?:teens|twenties|thirties|forties|fifties|20s|30s|40s|50s)",
    r"used to|in the past|(?:once|twice) before|previously|long time ago|ages ago",
    r"at (?:school|uni|university|college)",
    r"(?:a|one|two|three|four|five|six|several|many|\d+) (?:months|month) ago",
)
RESOLVED = _any(
    r"(?:fine|okay|good|great|all good|better|clear|perfect) (?:now|since|ever since|these days)",
    r"(?:currently|these days|nowadays) (?:fine|good|okay|pain free|symptom free)",
    r"fully (?:recovered|healed|better|resolved|fine)",
    r"recovered|resolved|healed|went away|gone away|all gone|all better|all cleared|symptom free",
    r"(?:has|have|had|was|is|it's|it was) (?:all |completely )?gone(?: away| now| completely)",
    r"cleared(?: up)?|settled(?: down)?|sorted(?: out)?|no longer|not any ?more",
    r"never (?:came|come) back|(?:hasn't|haven't|didn't|never) (?:come|came|been) back",
    r"(?:hasn't|haven't|not|never) (?:had|happened|bothered)(?: me)? (?:it |any |one |anything )?since",
    r"no (?:problems|issues|trouble|symptoms|pain) (?:since|now|these days|any ?more)",
    r"(?:got|went|been) better|pain free since|completely (?:better|gone|fine|recovered)",
    r"long gone|long since (?:gone|sorted|resolved|cleared)|fine for (?:ages|years|a long time)",
    suffix=r"(?: (?:now|since|these days|nowadays))?",
)
# "now", "today", "started" count only next to the symptom ("I used to get X, now training for a
# 10k" is still history); these count anywhere in the sentence.
STRONG_CURRENT = _any(
    r"still|came back|come back|coming back|returned|back again|recurred|flared up again",
    r"currently|at the moment|right now",
    r"since (?:yesterday|last (?:night|week)|this (?:morning|week))",
    r"since (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
)
CURRENT = _any(
    r"now|still|again|came back|come back|coming back|returned|back again|since|new|suddenly",
    r"this (?:week|morning|afternoon|evening|weekend)|today|tonight|yesterday|last night",
    r"currently|at the moment|right now|recently|started|starting|lately|these days",
)
RECENT = _any(
    r"yesterday|last night|the other day|this (?:week|morning|weekend)|recently|earlier today",
    r"last (?:week|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    r"(?:a|few|couple of|couple|\d+|two|three|four|five|six) (?:days?|weeks?) ago",
)


# "...but it's gone now": a resolution that points back at the symptom across a "but".
RESOLVED_BACK = _any(
    r"(?:but|though|although|however) (?:it|that|this|they|which|both|all|the \w+)"
    r"(?:'s| has| have| is| was| were| had)? (?:all |completely |fully |totally )?"
    r"(?:gone|went away|cleared|settled|resolved|better|fine|sorted|healed|stopped|disappeared)",
)


def timing(own: str, segment: str, history_counts: bool, recent_only: bool, sentence: str = "") -> Time:
    """Is what this clause describes happening now, settled long ago, or settled just now?

    `own` is the clause holding the symptom; `segment` the sentence split at "but"; `sentence`
    the whole sentence (for "...but it's gone now").
    """
    if history_counts:
        return "current"
    own_distant = DISTANT.search(own)
    if recent_only and own_distant:
        return "history"
    own_resolved = RESOLVED.search(own)
    own_rest = RESOLVED.sub(" ", DISTANT.sub(" ", own))
    seg_rest = RESOLVED.sub(" ", DISTANT.sub(" ", segment))
    if CURRENT.search(own_rest) or STRONG_CURRENT.search(seg_rest):
        return "current"
    if own_resolved or RESOLVED.search(segment) or RESOLVED_BACK.search(sentence):
        return "recent_resolved" if RECENT.search(sentence or segment) else "history"
    if own_distant:
        return "history"
    return "current"


# Educational or hypothetical framing: "what symptoms mean I should go to A&E?",
# "if I ever lost control of my bladder, is that an emergency?".
HYPOTHETICAL = _any(
    r"if (?:you|someone|somebody|a runner|runners|one|people|anyone|a person) ",
    r"if i (?:ever|were|was to|get|got|develop|developed|start|started|notice|noticed|experience|experienced"
    r"|happen|happened|suddenly|lost|lose|had|did)",
    r"what if|in case|hypothetical\w*|in theory|theoretically|suppose|supposing|imagine|in general"
    r"|generally speaking",
    r"(?:what|which) (?:\w+ )?(?:symptoms|signs|red flags|warning signs|things)",
    r"what (?:kind|kinds|sort|sorts|type|types) of",
    r"(?:warning|danger|red flag|emergency|serious) (?:signs?|symptoms?)|red flags?|signs of|symptoms of",
    r"what (?:is|are|does) (?:cauda|ces|a red|the red|saddle|an emergency)|what counts as",
    r"when (?:should|do|would|must|is it|to) (?:i|you|someone|one|a runner|people)? ?"
    r"(?:go|see|call|worry|get|seek|be)",
    r"how (?:do|would|can|will|should) (?:i|you|someone|one) (?:know|tell)",
    r"(?:watch|look|watching|looking) out for|read (?:about|that|an article)|heard (?:about|that)"
    r"|learn(?:ing)? about",
)
# ...unless the same sentence says it is happening: "is it a red flag that I can't feel when I wipe?"
ASSERTED = _any(
    r"(?<!if )i(?:'ve| have)? (?:got|been)|i'm (?:getting|having|feeling|numb)",
    r"i have (?:had |got )?(?:some|a|this|been|numb)",
    r"right now|currently|at the moment|today|yesterday|this morning|tonight|last night",
    r"since (?:yesterday|last|this|monday|tuesday|wednesday|thursday|friday|saturday|sunday|then|the|my)",
    r"that i (?:can't|have|am|i'm|keep|don't)|because i|as i (?:can't|have)",
    r"for (?:\d+|a|two|three|few|couple of) (?:days?|weeks?|hours?)",
)


def hypothetical(sentence: str) -> bool:
    return bool(HYPOTHETICAL.search(sentence)) and not ASSERTED.search(sentence)


# The runner's own harmless explanation, asked back for agreement: "that's normal fatigue, right?",
# "it's just tiredness isn't it?", "surely that's fine?". A sign's `unless` (a harmless cause such
# as fatigue) cancels it when the runner describes the circumstance, never when they ask to be
# talked out of a warning sign, so these clauses are left out of the `unless` check.
_GUESS_OPENER = re.compile(
    r"^(?:(?:and|but|so|or|surely|probably|i guess|i think|i reckon|i bet|i assume|i hope) )*"
    r"(?:that's|that is|it's|it is|this is|(?:that|it|this) (?:must|should|could|would|can only) be|must be"
    r"|is that|is it|is this|isn't that|isn't it|could (?:it|that|this) be"
    r"|(?:it|that|this) (?:is )?(?:just|only)|just|only|nothing)\b"
)
_GUESS_WORDS = re.compile(
    r"\b(?:normal|fine|nothing|okay|ok|expected|common|usual|harmless|natural|just|only|all right|alright)\b"
)
_TAG = re.compile(
    r"^(?:right|yeah|yes|correct|surely|isn't it|aren't they|no|innit|ok|okay|true|yep|agreed)$"
)


def without_own_guess(segment: str) -> str:
    """The segment without the runner's reassurance-seeking guess ("..., that's normal fatigue, right?")."""
    if "?" not in segment:
        return segment
    clauses: list[list[str]] = [[]]
    for w in segment.split(" "):
        if w in {",", ";", ":", "-"}:
            clauses.append([])
        else:
            clauses[-1].append(w)
    kept = []
    for words in clauses:
        text = " ".join(w for w in words if w not in {"?", "!", "."})
        asks = "?" in words or any(_TAG.match(" ".join(c).strip(" ?!.")) for c in clauses if c is not words)
        if asks and _GUESS_OPENER.match(text) and _GUESS_WORDS.search(text):
            continue
        kept.append(" ".join(words))
    return " , ".join(kept)


ASKING_ABOUT_FLAGS = _any(
    r"red flags?|warning signs?|danger signs?|cauda equina|ces|emergency|a & e|(?:the|to) er|hospital",
    r"911|999|112|urgent care|see a doctor|serious|worry|worried|worrying",
)
# "sorry, I got that wrong", "scratch that, I meant years ago", "that was a typo"
RETRACTION = _any(
    r"(?:i was|i'm|i am) (?:wrong|mistaken|confused|joking|kidding)|my (?:mistake|bad)|i meant|i misspoke",
    r"mis ?typed|typo|scratch that|take (?:that|it) back|false alarm|was exaggerating",
    r"(?:that|it|this) (?:was|is) (?:a )?(?:mistake|wrong|typo|joke|not true|not right|someone else)",
    r"ignore what i (?:said|wrote|just said)|(?:didn't|did not) mean (?:that|it|to)",
    r"not (?:true|right) (?:what|that) i|wrong (?:person|chat|window)",
    r"(?:i|it) (?:got|had) (?:it|that) (?:wrong|mixed up)|(?:mixed|mixing) (?:it|that|things) up",
    r"actually (?:i )?(?:don't|do not|didn't|haven't|can) (?:have|feel|pee|go|wee)",
)


def language(words: list[str]) -> str:
    """'en' unless another supported language clearly outscores English."""
    if not words:
        return "en"
    scores = {lang: sum(w in stop for w in words) for lang, stop in LANGUAGE_WORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    if best != "en" and scores[best] >= 2 and scores[best] > scores["en"] * 1.5:
        return best
    return "en"
