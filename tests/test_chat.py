"""Conversations through ChatService, the way a runner would have them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from assistant.settings import ROOT


def test_education_answer_reads_answer_why_try_this_safety_net_sources(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "my lower back aches on long runs, is it just tight hamstrings? What exercises help?"
    text = chat.reply.reply
    order = [
        text.find("[1]"),
        text.find("**Try this**"),
        text.find("not a diagnosis"),
        text.find("**Sources**"),
    ]
    assert -1 not in order and order == sorted(order)
    assert chat.reply.citations[0].id in chat.reply.retrieved_ids


def test_exercise_follow_up_uses_the_earlier_turn(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "how many dead bugs should I do?"
    assert "6 to 10" in chat.reply.reply
    chat >> "how do I make them harder?"
    assert chat.reply.intent == "exercise"
    assert "progress the dead bug" in chat.reply.reply.lower()


def test_a_program_lists_its_exercises_with_doses(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "what's in the nerve mobility program?"
    assert [e.id for e in chat.reply.exercises][:1] == ["ex-seated-sciatic-slider"]
    assert all(e.dose for e in chat.reply.exercises)


def test_nothing_relevant_means_saying_so_not_inventing(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "what's the best carbon plate racing shoe for a sub-3 marathon?"
    assert chat.reply.in_scope is False
    assert chat.reply.citations == [] and chat.reply.exercises == []


def test_greeting_offers_what_it_can_help_with(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "hi there"
    assert chat.reply.intent == "greeting"
    assert len(chat.reply.follow_ups) == 3


def test_the_audit_trail_records_rules_and_redacts(chat, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    chat >> "I'm Sam, email sam@example.com. My back hurts and I can't feel the toilet paper when I wipe"
    assert chat.level == "emergency"
    records = chat.services.sessions.audit(chat.session_id)
    assert records[-1].level == "emergency" and records[-1].flags
    assert records[-1].rules_version and records[-1].knowledge_version
    assert "sam@example.com" not in records[-1].message
    out = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "audit", chat.session_id],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"RUNSOURCE_DATA_DIR": str(data_dir), "PATH": ""},
    )
    assert out.returncode == 0, out.stderr
    assert "level=emergency" in out.stdout and "[email]" in out.stdout


class _BrokenGrounded:
    """A responder whose own reply breaks the rules (as a content bug would): the guard must catch it."""

    def respond(self, turn):  # type: ignore[no-untyped-def]
        from assistant.responders.base import Draft

        return Draft(text="You have a herniated disc. Take 400 mg ibuprofen twice a day.", mode="grounded")


def test_a_reply_failing_the_guard_is_replaced_by_the_safe_one(services) -> None:  # type: ignore[no-untyped-def]
    from assistant.chat import ChatService

    c = services.chat
    chat = ChatService(
        embeddings=c.embeddings, retriever=c.retriever, triage=c.triage, responder=_BrokenGrounded(),
        fallback=c.fallback, guard=c.guard, sessions=c.sessions, knowledge_version=c.knowledge_version,
    )  # fmt: skip
    reply = chat.turn(None, "my lower back aches on long runs, is it just tight hamstrings?", "api")
    assert "400 mg" not in reply.reply and "herniated" not in reply.reply
    assert "not a diagnosis" in reply.reply
    notes = services.sessions.audit(reply.session_id)[-1].guard
    assert notes  # the failure is recorded in the audit trail
