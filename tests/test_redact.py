"""Redaction: a table of real-looking messages, each with the details that must not survive."""

from __future__ import annotations

import pytest

from assistant.redact import redact, redact_names, redaction

# (message, the details that must be gone, the mark that replaces them)
TABLE: list[tuple[str, list[str], str]] = [
    # names after "I'm / my name is / this is / call me", in any case
    ("Hi, I'm Jane Doe and my lower back aches after long runs", ["Jane", "Doe"], "[name]"),
    ("i'm jane doe, 34, back pain on long runs", ["jane", "doe"], "[name]"),
    ("im jane, is it just tight hamstrings?", ["jane"], "[name]"),
    ("I am Priya Sharma, marathon in 6 weeks", ["Priya", "Sharma"], "[name]"),
    ("my name is Jane Doe", ["Jane", "Doe"], "[name]"),
    ("my name is jane doe", ["jane", "doe"], "[name]"),
    ("MY NAME IS TOM O'BRIEN AND MY BACK HURTS", ["TOM", "O'BRIEN"], "[name]"),
    ("This is Mark Jones from the Tuesday run club", ["Mark", "Jones"], "[name]"),
    ("Hello, this is Dr Alvarez, asking for a patient", ["Alvarez"], "[name]"),
    ("you can call me Siobhan", ["Siobhan"], "[name]"),
    ("name's Kwame, hamstrings always tight", ["Kwame"], "[name]"),
    ("Name: Lucía Fernández. Pain in my left glute", ["Lucía", "Fernández"], "[name]"),
    ("It's Olu here again, the sciatica is back", ["Olu"], "[name]"),
    ("i am called maria and i run 30 km a week", ["maria"], "[name]"),
    # street addresses and postcodes
    ("I live at 42 Elm Street and run along the river", ["42 Elm", "Elm Street"], "[address]"),
    ("i live at 17 high street, it's hilly round here", ["17 high", "high street"], "[address]"),
    ("Send it to 221B Baker Street, London NW1 6XE", ["Baker", "NW1 6XE"], "[address]"),
    ("my address is 1600 Pennsylvania Avenue NW", ["Pennsylvania"], "[address]"),
    ("We're at 8 Acacia Ave, Springfield, IL 62704", ["Acacia", "62704"], "[address]"),
    ("flat 3, 12 Rose Gardens, Leeds LS6 2QT", ["Rose Gardens", "LS6 2QT", "flat 3"], "[address]"),
    ("my postcode is sw1a 1aa if that helps", ["sw1a 1aa"], "[postcode]"),
    ("zip code 94110, near the Mission", ["94110"], "[postcode]"),
    ("I'm in Toronto, postal code M5V 2T6", ["M5V 2T6"], "[postcode]"),
    ("lives on Maple Drive, the one with the hill", ["Maple Drive"], "[address]"),
    # dates of birth
    ("born on 12/03/1985, back pain since my last marathon", ["12/03/1985"], "[birth date]"),
    ("DOB: 1979-11-02", ["1979-11-02"], "[birth date]"),
    ("my birthday is 3rd March 1990", ["3rd March 1990"], "[birth date]"),
    ("I was born in 1961 and still run 5 days a week", ["1961"], "[birth date]"),
    ("date of birth 14 July 1972, numbness in my foot", ["14 July 1972"], "[birth date]"),
    ("d.o.b. 02.09.1988", ["02.09.1988"], "[birth date]"),
    ("Born March 5, 1958 - is stiffness normal at my age?", ["March 5, 1958"], "[birth date]"),
    ("I'm from 06/04/1983 if you need it", ["06/04/1983"], "[date]"),
    # phone numbers of any common form
    ("call me on +1 415 555 0134", ["415 555 0134"], "[phone]"),
    ("my mobile is 07700 900123", ["07700 900123"], "[phone]"),
    ("ring 020 7946 0958 after 6", ["7946 0958"], "[phone]"),
    ("(415) 555-0134 is my cell", ["555-0134"], "[phone]"),
    ("text 555-0134 please", ["555-0134"], "[phone]"),
    ("my number is 555 0134", ["555 0134"], "[phone]"),
    ("+44 (0)20 7946 0958 is the office", ["7946 0958"], "[phone]"),
    ("phone: 0412 345 678", ["0412 345 678"], "[phone]"),
    ("reach me at 415.555.0134", ["415.555.0134"], "[phone]"),
    ("whatsapp +353 87 123 4567", ["87 123 4567"], "[phone]"),
    ("call 1-800-555-0199 ext 22", ["555-0199"], "[phone]"),
    ("4155550134 is my number", ["4155550134"], "[phone]"),
    # emails, also spelled out
    ("jane.doe@example.com", ["jane.doe", "example.com"], "[email]"),
    ("email me at jane dot doe at gmail dot com", ["jane", "doe", "gmail"], "[email]"),
    ("it's runner85 (at) outlook (dot) com", ["runner85", "outlook"], "[email]"),
    ("contact: kate [at] clinic [dot] co [dot] uk", ["kate", "clinic"], "[email]"),
    ("reply to sam at example.org", ["sam", "example.org"], "[email]"),
    # tokens
    ("token xoxb-123-abc leaked", ["xoxb-123-abc"], "[secret]"),
]

# Running talk that must come through untouched: paces, distances, ages, dates of runs.
KEPT = [
    "I ran 10 km in 52:30 on 2026-10-01, 3 times a week, about 170 steps",
    "I'm 42 and my lower back aches on long runs",
    "I'm a runner, I'm worried it's not just tight hamstrings",
    "i'm training for a half marathon, this is my third week back",
    "I did 6 reps up the hill and 10 laps of the park",
    "my pace was 5:30/km for 21.1 km, heart rate 150-165",
    "L5 S1 disc bulge two years ago, pain 3/10 today",
    "I'm so tired and I'm getting numbness in my leg",
    "this is normal after a 30 km long run?",
    "I'm Irish, I'm pregnant and I'm running 20 miles a week",
    "I ran 10000 steps today and 12000 yesterday",
    "my last race was on 12 March 2026",
]


@pytest.mark.parametrize(("text", "gone", "mark"), TABLE, ids=[t[0][:40] for t in TABLE])
def test_personal_details_are_masked(text: str, gone: list[str], mark: str) -> None:
    out = redact(text)
    for detail in gone:
        assert detail.lower() not in out.lower(), f"{detail!r} survived: {out!r}"
    assert mark in out, out


def test_the_table_is_big_enough() -> None:
    assert len(TABLE) >= 40


@pytest.mark.parametrize("text", KEPT)
def test_running_talk_is_kept(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_idempotent() -> None:
    for text, _, _ in TABLE:
        once = redact(text)
        assert redact(once) == once


def test_names_found_in_a_message_are_masked_in_the_reply_too() -> None:
    found = redaction("Hi, I'm Jane Doe")
    assert found.names == ["Jane Doe"]
    assert redact_names("Thanks Jane, here is what helps, jane doe.", found.names) == (
        "Thanks [name], here is what helps, [name]."
    )


@pytest.mark.parametrize(
    "text",
    ["a. " * 1333, "x dot " * 666, "1 2 3 4 5 6 7 8 9 0 " * 200, "12 Main " * 500, "i'm " * 1000],
    ids=["dots", "spelled-dots", "digits", "numbers-and-names", "intros"],
)
def test_redaction_stays_fast_on_hostile_text(text: str) -> None:
    """Every message is redacted on the turn's path (the audit copy): no pattern may go quadratic."""
    import time

    started = time.perf_counter()
    redact(text[:4000])
    assert time.perf_counter() - started < 0.25
