"""Redaction of personal details (emails, phone numbers, introduced names) from stored or logged text."""

from __future__ import annotations

import re

# Each pattern starts only where a run of its characters starts and has a bounded length, so a
# 4,000-letter "word" or a long line of digits costs one pass, not a scan from every position.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_PHONE = re.compile(r"(?<![\w/])\+?\d[\d\s().-]{7,24}\d(?![\w/])")
_NAME = re.compile(
    r"\b((?i:my name is|i am called|i'm called|name's|call me))\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"
)
_SECRET = re.compile(r"\b(xox[abpr]-[\w-]+|sk-[\w-]{16,}|Bot\s+[\w.-]{20,})")


def _phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return "[phone]" if digits >= 9 else match.group(0)


def redact(text: str) -> str:
    """The same text with emails, phone numbers, self-introduced names and tokens masked."""
    text = _SECRET.sub("[secret]", text)
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub(_phone, text)
    return _NAME.sub(lambda m: f"{m.group(1)} [name]", text)
