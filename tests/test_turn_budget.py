"""Bounded cost per turn: the worst-case input suite (benchmarks/worst_case.py) under a budget.

Not a wall-clock assert: each turn's peak traced memory (tracemalloc) and its Python and C calls
(counted by a profile hook) are held to fixed budgets, and the calls must grow linearly with the
message: four times the text may cost at most six times the work of the quarter-length message
(the quadratic growth the issue found would cost sixteen). `make bench` reports the times.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.worst_case import LIMIT, Cost, cases, measure, rule_phrases

PEAK_BYTES = 16 * 1024 * 1024  # the ceiling is 100 MB a request; today's worst is about 2 MB
MAX_CALLS = 300_000  # today's worst (4,000 punctuation marks) is about 175,000
LINEAR = 6.0


@pytest.fixture(scope="module")
def turn(services: Any) -> Any:
    chat = services.chat

    def one(message: str) -> object:
        return chat.turn(None, message, "api")

    one("warm up: my back aches on long runs")
    return one


@pytest.fixture(scope="module")
def baseline(turn: Any) -> Cost:
    return measure(turn, "my back hurts")


@pytest.fixture(scope="module")
def suite(services: Any) -> tuple[dict[str, str], dict[str, str]]:
    phrases = rule_phrases(services.chat.triage)
    return cases(LIMIT // 4, phrases), cases(LIMIT, phrases)


NAMES = list(cases(LIMIT, ["a phrase"]))


def test_the_suite_fills_the_message_limit(suite: tuple[dict[str, str], dict[str, str]]) -> None:
    quarter, full = suite
    assert set(full) == {*NAMES}
    for name, message in full.items():
        assert LIMIT - 50 <= len(message) <= LIMIT, name
        assert len(quarter[name]) <= LIMIT // 4


@pytest.mark.parametrize("name", NAMES)
def test_a_worst_case_turn_stays_within_its_budget(
    name: str, turn: Any, baseline: Cost, suite: tuple[dict[str, str], dict[str, str]]
) -> None:
    quarter, full = suite
    small = measure(turn, quarter[name])
    big = measure(turn, full[name])
    assert big.peak_bytes <= PEAK_BYTES, f"{name}: peak {big.peak_bytes / 1e6:.1f} MB"
    assert big.calls <= MAX_CALLS, f"{name}: {big.calls} calls"
    growth = (big.calls - baseline.calls) / max(1, small.calls - baseline.calls)
    assert growth <= LINEAR, f"{name}: 4x the text cost {growth:.1f}x the work ({small.calls} -> {big.calls})"
