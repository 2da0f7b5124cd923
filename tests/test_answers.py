"""Answers that answer the question asked, and follow the conversation (issue 12)."""

from __future__ import annotations

from assistant.router import Router


def test_the_answer_opens_with_the_answering_section_not_a_stock_summary(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "do I need an MRI for my back?"
    reply = chat.reply
    assert reply.sections[0] == "edu-stay-active-and-scans#do-i-need-a-scan"
    assert reply.retrieved_sections[0] == reply.sections[0]
    assert reply.answer.startswith("A scan for back pain is usually not needed")
    assert not reply.exercises  # not asked for, not named by the section
    assert reply.safety_net and reply.safety_net in reply.reply and reply.safety_net not in reply.answer


def test_dose_answers_give_sets_reps_and_how_often_a_week(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "glute bridge, how many sets and reps?"
    assert chat.reply.sections[0] == "ex-glute-bridge#dose"
    assert "sets of 10 to 15" in chat.reply.answer
    assert "a week" in chat.reply.answer
    assert [c.id for c in chat.reply.exercises][:1] == ["ex-glute-bridge"]


def test_follow_ups_resolve_against_the_topic_exercises(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "how do I do a glute bridge?"
    first = chat.reply.answer
    chat >> "make it harder"
    assert chat.reply.sections[0] == "ex-glute-bridge#progression"
    assert chat.reply.answer != first
    chat >> "what if it hurts while doing it?"
    reply = chat.reply
    assert reply.triage.level == "none"
    assert reply.sections[0] == "ex-glute-bridge#cautions"
    assert "stop" in reply.answer.lower()
    assert len(reply.reply.split()) < 200  # the stop rules and one safety line, not the emergency list


def test_how_many_of_each_keeps_the_exercise_set(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "what exercises help my glutes?"
    shown = [c.id for c in chat.reply.exercises]
    assert shown
    chat >> "how many of each?"
    assert chat.reply.intent == "exercise"
    assert {s.split("#")[0] for s in chat.reply.sections} <= set(shown) | {"edu-short-routines"}
    assert all(s.endswith("#dose") or s.startswith("edu-short-routines") for s in chat.reply.sections)


def test_a_time_boxed_follow_up_is_answered_not_refused(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "what's in the low back pain program?"
    chat >> "I only have 10 minutes a day"
    assert chat.reply.in_scope and chat.reply.intent != "out_of_scope"
    assert chat.reply.sections[0].startswith("edu-short-routines#")


def test_the_questions_that_were_wrongly_refused_are_answered(chat) -> None:  # type: ignore[no-untyped-def]
    for question in (
        "is the 10% rule legit?",
        "I slipped a disc tying my shoe, can I still run?",
        "which program should I start with?",
    ):
        chat >> question
        assert chat.reply.in_scope and chat.reply.intent not in ("out_of_scope", "refusal"), question
        assert not chat.reply.gap, question


def test_duloxetine_is_a_dose_request(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "how much duloxetine should I take?"
    assert chat.reply.intent == "refusal"


def test_an_uncovered_topic_is_an_honest_gap(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "does cupping therapy help back pain?"
    reply = chat.reply
    assert reply.gap
    assert "don't cover that specifically" in reply.answer
    assert not reply.sections


def test_gait_evaluation_answers_carry_the_booking_link(chat, settings) -> None:  # type: ignore[no-untyped-def]
    chat >> "how do I book a gait evaluation?"
    assert settings.booking_url in chat.reply.answer


def test_the_router_knows_the_loaded_knowledge_names() -> None:
    router = Router.from_titles(["Suitcase carry"])
    assert router.names is not None and router.names.search("suitcase carry what weight")
    assert Router.from_titles([]).names is None


def test_a_thin_follow_up_is_searched_with_the_last_question_and_answered_not_refused(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "do I need special running shoes for my back?"
    chat >> "what about insoles? my mate swears by them"
    reply = chat.reply
    assert reply.in_scope and not reply.gap
    assert reply.sections[0].startswith("edu-shoes-and-orthotics#")


def test_a_new_question_that_stands_alone_is_not_bent_toward_the_last_one(chat) -> None:  # type: ignore[no-untyped-def]
    chat >> "do I need special running shoes for my back?"
    chat >> "glute bridge, how many sets and reps?"
    assert chat.reply.sections[0] == "ex-glute-bridge#dose"
