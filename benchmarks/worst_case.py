"""The worst-case input suite: messages built to make one turn as expensive as possible.

    python -m benchmarks.worst_case              # every case at the message limit, worst time first
    python -m benchmarks.worst_case --repeats 5  # the median of 5 runs of each case

Each case is a family of messages that once made a turn cost more than linear work (a random
4,000-letter word, a repeated flag phrase) or that could: many clauses, combining marks, every rule
phrase repeated to the limit. `tests/test_turn_budget.py` runs the same suite with a byte budget
(tracemalloc peak) and a work budget (Python function calls counted), not a wall-clock assert;
this command reports the time, against the target of 50 ms for a 4,000-character message.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import string
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TARGET_MS = 50.0
LIMIT = 4000


def _fill(unit: Callable[[int], str], limit: int) -> str:
    """Pieces from `unit(i)` joined by spaces until the next one would pass `limit` characters."""
    out: list[str] = []
    size, i = 0, 0
    while True:
        piece = unit(i)
        if size + len(piece) + 1 > limit:
            break
        out.append(piece)
        size += len(piece) + 1
        i += 1
    return " ".join(out) or unit(0)[:limit]


def rule_phrases(engine: Any) -> list[str]:
    """Every lay phrase and exemplar of every red-flag sign, in rule order."""
    phrases: list[str] = []
    for sign in engine.book.signs.values():
        phrases += [*sign.phrases, *sign.exemplars]
    return phrases


def cases(limit: int = LIMIT, phrases: list[str] | None = None) -> dict[str, str]:
    """The worst-case messages, each `limit` characters or just under."""
    rng = random.Random(15)
    letters = string.ascii_lowercase

    def word(n: int) -> str:
        return "".join(rng.choice(letters) for _ in range(n))

    built = {
        "one_long_unknown_word": word(limit),
        # just within the speller's reach (longest rule word + 2): the most correction work per word
        "many_correctable_unknown_words": _fill(lambda i: word(12 + i % 3), limit),
        "many_short_unknown_words": _fill(lambda i: word(4 + i % 4), limit),
        "repeated_flag_phrase": _fill(lambda i: "cant wee", limit),
        "repeated_emergency_sentence": _fill(lambda i: "I can't feel the toilet paper when I wipe.", limit),
        "many_clauses": _fill(
            lambda i: ("no numbness, but", "not my legs; and", "never weak, though")[i % 3], limit
        ),
        "negations_around_flags": _fill(
            lambda i: ("I don't have numbness", "but I can't pee", "no fever, not weak")[i % 3], limit
        ),
        "combining_marks": ("a" + "\u0301" * 9) * (limit // 10),
        "zalgo_words": _fill(lambda i: "".join(c + "\u0336\u0301" for c in "numb"), limit),
        "punctuation_only": ("!?.,;:" * limit)[:limit],
        "one_long_number": "9" * limit,
    }
    if phrases:
        built["every_rule_phrase_repeated"] = _fill(lambda i: phrases[i % len(phrases)] + ".", limit)
    return built


@dataclass
class Cost:
    ms: float
    peak_bytes: int
    calls: int


@contextmanager
def counted_calls() -> Iterator[list[int]]:
    """Counts Python and C function calls made by this thread while the block runs."""
    count = [0]

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event in ("call", "c_call"):
            count[0] += 1

    sys.setprofile(profile)
    try:
        yield count
    finally:
        sys.setprofile(None)


def measure(turn: Callable[[str], object], message: str, *, work: bool = True) -> Cost:
    """One turn's wall time, peak traced memory and (with `work`) counted calls.

    Time is taken on a run of its own, since tracing and profiling slow a turn several times.
    """
    start = time.perf_counter()
    turn(message)
    ms = (time.perf_counter() - start) * 1000
    tracemalloc.start()
    try:
        turn(message)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    calls = 0
    if work:
        with counted_calls() as count:
            turn(message)
        calls = count[0]
    return Cost(ms, peak, calls)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each case (the median is kept)")
    parser.add_argument("--limit", type=int, default=LIMIT, help="message length in characters")
    args = parser.parse_args(argv)

    logging.getLogger("runsource").setLevel(logging.ERROR)  # every escalation is logged at WARNING
    from assistant.services import build_services
    from assistant.settings import ROOT, Settings

    with tempfile.TemporaryDirectory(prefix="runsource-worst-") as tmp:
        data = Path(tmp)
        settings = Settings(data_dir=data, knowledge_dir=ROOT / "knowledge", prompts_dir=ROOT / "prompts")
        services = build_services(settings)
        chat = services.chat

        def turn(message: str) -> object:
            return chat.turn(None, message, "api")

        turn("warm up: my back aches on long runs")
        rows = []
        for name, message in cases(args.limit, rule_phrases(chat.triage)).items():
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                turn(message)
                times.append((time.perf_counter() - start) * 1000)
            cost = measure(turn, message, work=False)
            rows.append((statistics.median(times), name, len(message), cost.peak_bytes))
        rows.sort(reverse=True)
        print(
            f"worst-case turns at {args.limit} characters "
            f"(median of {args.repeats}; target <= {TARGET_MS:g} ms)"
        )
        print(f"{'case':34} {'chars':>6} {'ms':>8} {'peak MB':>8}")
        for ms, name, chars, peak in rows:
            print(f"{name:34} {chars:6d} {ms:8.1f} {peak / 1e6:8.1f}")
        worst = rows[0]
        verdict = "within" if worst[0] <= TARGET_MS else "OVER"
        print(f"worst turn: {worst[0]:.1f} ms ({worst[1]}), {verdict} the {TARGET_MS:g} ms target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
