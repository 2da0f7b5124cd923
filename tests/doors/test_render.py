"""Translating a reply into Block Kit and Discord messages, within each platform's limits."""

from __future__ import annotations

import re

from assistant.doors.render import (
    DISCORD_CONTENT_LIMIT,
    DISCORD_EMBED_TOTAL,
    DISCORD_EMBEDS_PER_MESSAGE,
    SLACK_MAX_BLOCKS,
    SLACK_SECTION_LIMIT,
    body_markdown,
    discord_messages,
    footer_line,
    slack_blocks,
    split_text,
    to_discord_markdown,
    to_mrkdwn,
)
from assistant.keys import SessionKeys
from assistant.settings import Settings
from assistant.types import Citation, ExerciseCard, Flag, Reply, Triage

SETTINGS = Settings(emergency_number="999")
GROUNDED = """Tight hamstrings are rarely the whole story. [1]

Hip extension and core control matter more on long runs. [1]

**Try this** (from the RUNsource programs)

- **[Dead bug](http://x/knowledge/ex-dead-bug)**: 2 sets of 8. Trains the core.
- **[Glute bridge](http://x/knowledge/ex-bridge)**: 3 sets of 10. Hip extension.

_This is education, not a diagnosis._

**Sources**

1. [Is it just tight hamstrings?](http://x/knowledge/hamstrings)"""


ANSWER = GROUNDED.split("\n\n**Try this**", 1)[0]
SAFETY_NET = "_This is education, not a diagnosis._"


def reply(text: str = GROUNDED, **kw) -> Reply:  # type: ignore[no-untyped-def]
    base = {
        "session_id": "s_1",
        "turn_id": "t_abc",
        "reply": text,
        "citations": [
            Citation(
                id="hamstrings", title="Is it just tight hamstrings?", url="http://x/knowledge/hamstrings"
            )
        ],
        "exercises": [
            ExerciseCard(
                id="ex-dead-bug",
                name="Dead bug",
                program="Core",
                dose="2 sets of 8",
                url="http://x/knowledge/ex-dead-bug",
                why="Trains the core.",
            ),
            ExerciseCard(
                id="ex-bridge",
                name="Glute bridge",
                program="Hips",
                dose="3 sets of 10",
                url="http://x/knowledge/ex-bridge",
            ),
        ],
        "follow_ups": ["How do I do the dead bug?"],
    }
    if text == GROUNDED:  # the parts the grounded responder gives with that whole text
        base["answer"] = ANSWER
        base["safety_net"] = SAFETY_NET
    base.update(kw)
    return Reply(**base)


EMERGENCY = Triage(
    level="emergency",
    flags=[
        Flag(
            id="saddle_numbness",
            level="emergency",
            label="numbness in the saddle area",
            evidence="can't feel the toilet paper",
        )
    ],
)


def test_markdown_becomes_slack_mrkdwn() -> None:
    md = "## Why\n\n**Bold** and *italic* & <b>, see [the guide](https://a.example/x?a=1&b=2).\n- one\n* two"
    out = to_mrkdwn(md)
    assert out.splitlines()[0] == "*Why*"
    assert "*Bold* and _italic_ &amp; &lt;b&gt;" in out
    assert "<https://a.example/x?a=1&b=2|the guide>" in out
    assert out.endswith("• one\n• two")


def test_discord_links_do_not_unfurl() -> None:
    assert (
        to_discord_markdown("see [the guide](https://a.example/x)")
        == "see [the guide](<https://a.example/x>)"
    )


def test_the_body_is_the_answer_part_and_the_safety_net_has_its_own_place() -> None:
    body = body_markdown(reply(), lift_cards=True)
    assert body == ANSWER  # cards, safety net and sources come from their own parts
    assert footer_line(reply()) == SAFETY_NET
    assert body_markdown(reply(), lift_cards=False) == GROUNDED
    assert body_markdown(reply("Only a whole text."), lift_cards=True) == "Only a whole text."
    _, blocks = slack_blocks(reply(), SETTINGS)
    contexts = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert any("education, not a diagnosis" in c for c in contexts)
    raised = reply(triage=Triage(level="evaluation"), safety_net="**Book a gait evaluation.**")
    assert body_markdown(raised, lift_cards=True).startswith("**Book a gait evaluation.**")
    assert footer_line(raised) == ""


def test_split_text_keeps_every_word_within_the_limit() -> None:
    text = "\n\n".join(f"Paragraph {n}. " + "word " * 150 for n in range(20)) + "\n\n" + "x" * 5000
    pieces = split_text(text, 2000)
    assert all(0 < len(p) <= 2000 for p in pieces)
    assert re.sub(r"\s+", "", "".join(pieces)) == re.sub(r"\s+", "", text)


def test_door_session_ids_are_stable_keyed_and_valid() -> None:
    keys = SessionKeys(b"k" * 32)
    a = keys.door("slack", "T1", "C1", "1700000000.000100", "U1")
    assert a == keys.door("slack", "T1", "C1", "1700000000.000100", "U1")
    assert a != keys.door("slack", "T1", "C1", "1700000000.000200", "U1")
    assert a != keys.door("slack", "T1", "C1", "1700000000.000100", "U2")
    assert a != SessionKeys(b"q" * 32).door("slack", "T1", "C1", "1700000000.000100", "U1")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", a) and len(a) <= 100


def test_slack_blocks_order_an_education_answer() -> None:
    text, blocks = slack_blocks(reply(), SETTINGS, offer=":lock: continue in a DM")
    kinds = [b["type"] for b in blocks]
    assert kinds[0] == "section" and kinds[-1] == "actions"
    assert blocks[0]["text"]["text"].startswith("Tight hamstrings")
    joined = str(blocks)
    assert "<http://x/knowledge/ex-dead-bug|Dead bug>" in joined
    assert "*Sources:* 1. <http://x/knowledge/hamstrings|Is it just tight hamstrings?>" in joined
    assert "continue in a DM" in joined
    assert [e["value"] for e in blocks[-1]["elements"]] == ["t_abc", "t_abc"]
    assert text.startswith("Tight hamstrings")


def test_slack_emergency_banner_comes_first_and_nothing_else_delays() -> None:
    _, blocks = slack_blocks(reply("Call 999 now.", triage=EMERGENCY), SETTINGS)
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"].startswith("🚨 Emergency: call 999")
    assert "numbness in the saddle area" in blocks[1]["text"]["text"]
    assert "Dead bug" not in str(blocks) and "Sources" not in str(blocks)


def test_a_very_long_slack_answer_stays_within_block_kit_limits() -> None:
    long = "\n\n".join(f"Paragraph {n} " + "lorem ipsum " * 200 for n in range(120))
    many = [
        ExerciseCard(id=f"e{n}", name=f"Exercise {n}", program="P", dose="d", url=f"http://x/{n}")
        for n in range(30)
    ]
    text, blocks = slack_blocks(reply(long, exercises=many), SETTINGS, offer="offer")
    assert len(blocks) <= SLACK_MAX_BLOCKS
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= SLACK_SECTION_LIMIT
        if b["type"] == "context":
            assert len(b["elements"]) <= 10
    assert blocks[-1]["type"] == "actions"
    assert len(text) <= SLACK_SECTION_LIMIT


def test_a_long_discord_answer_is_split_within_limits() -> None:
    long = "\n\n".join(f"Paragraph {n} " + "lorem ipsum " * 60 for n in range(40))
    cites = [Citation(id=f"c{n}", title=f"Source {n} " + "t" * 200, url=f"http://x/c{n}") for n in range(15)]
    many = [
        ExerciseCard(
            id=f"e{n}", name=f"Exercise {n}", program="P", dose="d", url=f"http://x/{n}", why="w" * 1500
        )
        for n in range(12)
    ]
    messages = discord_messages(reply(long, citations=cites, exercises=many), SETTINGS)
    assert len(messages) > 1
    for m in messages:
        assert 0 < len(m["content"]) <= DISCORD_CONTENT_LIMIT
        assert m["allowed_mentions"] == {"parse": []}
    assert all("embeds" not in m and "components" not in m for m in messages[:-1])
    embeds = messages[-1]["embeds"]
    assert 0 < len(embeds) <= DISCORD_EMBEDS_PER_MESSAGE
    assert (
        sum(
            len(e.get("title", "")) + len(e.get("description", "")) + len(e.get("footer", {}).get("text", ""))
            for e in embeds
        )
        <= DISCORD_EMBED_TOTAL
    )
    assert embeds[0]["title"] == "Sources"
    words = "".join(m["content"] for m in messages)
    assert all(f"Paragraph {n} " in words for n in range(40))
    assert [c["custom_id"] for c in messages[-1]["components"][0]["components"]] == [
        "feedback:up:t_abc",
        "feedback:down:t_abc",
    ]


def test_discord_emergency_banner_leads_the_first_message() -> None:
    messages = discord_messages(reply("Call 999 now.", triage=EMERGENCY), SETTINGS)
    assert messages[0]["content"].startswith("**🚨 Emergency: call 999")
    assert "numbness in the saddle area" in messages[0]["content"].split("\n\n")[0]
    assert "embeds" not in messages[-1]
