"""The learned red-flag net: its files are checked at start-up, it catches wording no rule was
written for, and the context step still applies to the sentence it fired on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ClassifierError
from assistant.triage import TriageEngine
from assistant.triage.classifier import META, WEIGHTS, RedFlagClassifier, corpus_digest, units
from tests.triage.helpers import RULES_DIR, TriageChat

KNOWN_MISS = pytest.mark.xfail(
    strict=True, reason="known classifier miss (probability under the emergency threshold); fix in the corpus"
)


def _copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "red_flags"
    shutil.copytree(RULES_DIR, target)
    return target


def test_the_weights_were_trained_on_the_corpus_in_the_repo() -> None:
    meta = json.loads((RULES_DIR / "classifier" / META).read_text())
    assert meta["corpus_digest"] == corpus_digest(RULES_DIR / "corpus"), (
        "knowledge/red_flags/corpus changed but the classifier was not rebuilt: run `make train-triage`"
    )


@pytest.mark.parametrize("name", [WEIGHTS, META])
def test_a_missing_file_stops_start_up_naming_it_and_the_fix(tmp_path: Path, name: str) -> None:
    rules = _copy_rules(tmp_path)
    (rules / "classifier" / name).unlink()
    with pytest.raises(ClassifierError) as err:
        TriageEngine.load(rules, None)
    assert name in err.value.message and "make train-triage" in err.value.message


def test_a_corrupt_file_stops_start_up(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    (rules / "classifier" / WEIGHTS).write_bytes(b"not a numpy archive")
    with pytest.raises(ClassifierError, match=r"unreadable.*make train-triage"):
        TriageEngine.load(rules, None)


def test_a_changed_corpus_makes_the_weights_stale(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    first = sorted((rules / "corpus").glob("*.jsonl"))[0]
    first.write_text(first.read_text() + '{"text": "new line", "labels": [], "writer": "x", "round": "x"}\n')
    with pytest.raises(ClassifierError, match=r"stale.*make train-triage"):
        TriageEngine.load(rules, None)


def test_units_are_the_message_then_its_sentences_bounded() -> None:
    assert units("my back hurts") == ["my back hurts"]
    assert units("Back sore. Can't feel the loo roll.") == [
        "Back sore. Can't feel the loo roll.",
        "Back sore.",
        "Can't feel the loo roll.",
    ]
    long = " ".join(f"Sentence number {i} here." for i in range(100))
    assert len(units(long)) <= 16


def test_probabilities_are_one_row_per_unit(triage: TriageEngine) -> None:
    clf = triage.classifier
    assert isinstance(clf, RedFlagClassifier)
    probs = clf.probabilities(np.zeros((3, 384), dtype=np.float32))
    assert probs.shape == (3, len(clf.labels)) and ((probs >= 0) & (probs <= 1)).all()


@pytest.mark.parametrize(
    ("message", "level"),
    [
        ("I think I'm having a heart attack, pain in my back and chest, can't breathe", "emergency"),
        pytest.param(
            "lips have gone a bit blue and I'm really breathless, back aching up top",
            "emergency",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known classifier miss (probability under the emergency threshold); fix in the corpus",
            ),
        ),
        ("sudden ripping pain from my belly through to my back and I feel faint", "emergency"),
        ("I didn't notice I'd leaked poo until I got home from my run", "emergency"),
        ("can't heel-walk on the left today and the toes keep catching the pavement", "emergency"),
    ],
)
def test_it_catches_wording_the_rules_do_not(chat: TriageChat, message: str, level: str) -> None:
    assert (chat >> message).level == level, chat.last.flags


@pytest.mark.parametrize(
    "message",
    [
        "what would it mean if someone couldn't feel the toilet paper when wiping?",
        "years ago I had numbness down there after a bad disc, fully recovered since",
        "no numbness in the saddle area and peeing is normal, just a stiff back after my long run",
        "out of breath on the hill reps today, back a bit tight afterwards",
    ],
)
def test_the_context_step_keeps_look_alikes_quiet(chat: TriageChat, message: str) -> None:
    assert (chat >> message).level in {"none", "evaluation"}, chat.last.flags


def test_someone_elses_emergency_is_an_emergency_about_them(chat: TriageChat) -> None:
    chat >> "my husband collapsed after his run, he's grey and sweaty and says his back and jaw hurt"
    assert chat.level == "emergency"
    assert chat.last.about_other


def test_facts_split_over_turns_combine(chat: TriageChat) -> None:
    chat >> "my lower back has been aching for a few days after running"
    chat >> "oh and I had a melanoma removed a few years back"
    assert chat.level == "urgent"


def test_a_rules_only_engine_is_never_what_start_up_builds(triage: TriageEngine) -> None:
    assert triage.classifier is not None and triage.embedder is not None
