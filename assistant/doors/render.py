"""Pure translations of a `Reply` into Slack Block Kit and Discord messages, within each platform's limits.

Both doors share the order of a reply: the triage banner (urgent and emergency), the answer, then
for the other levels the exercises, the follow-ups and the sources, an optional offer to continue
privately, and the feedback buttons. The body is the reply's answer part; its exercise cards,
sources and one-line safety net are rendered from their own parts (nothing is parsed back out of
the Markdown).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.errors import BadSignature, DoorNotConfigured
from assistant.settings import Settings
from assistant.types import Reply

if TYPE_CHECKING:
    from assistant.retrieval import HybridRetriever

__all__ = [
    "DISCORD_CONTENT_LIMIT",
    "DISCORD_EMBEDS_PER_MESSAGE",
    "DISCORD_EMBED_TOTAL",
    "SLACK_MAX_BLOCKS",
    "SLACK_SECTION_LIMIT",
    "BadSignature",
    "Banner",
    "DoorNotConfigured",
    "banner",
    "body_markdown",
    "discord_messages",
    "footer_line",
    "mentions_symptoms",
    "program_titles",
    "slack_blocks",
    "split_text",
    "to_discord_markdown",
    "to_mrkdwn",
    "with_program_titles",
]

SLACK_SECTION_LIMIT = 3000
SLACK_HEADER_LIMIT = 150
SLACK_MAX_BLOCKS = 50
SLACK_CONTEXT_ELEMENTS = 10
DISCORD_CONTENT_LIMIT = 2000
DISCORD_EMBEDS_PER_MESSAGE = 10
DISCORD_EMBED_TOTAL = 6000
DISCORD_EMBED_TITLE = 256
DISCORD_EMBED_DESCRIPTION = 4096
MAX_EXERCISE_CARDS = 5

_COLOURS = {"none": 0x2E7D32, "evaluation": 0xF9A825, "urgent": 0xEF6C00, "emergency": 0xC62828}


def mentions_symptoms(reply: Reply) -> bool:
    """Whether the runner described symptoms, so a shared channel is the wrong place to go on."""
    return reply.intent == "symptom" or reply.triage.level != "none"


@dataclass(frozen=True)
class Banner:
    headline: str
    warning: str  # the flag labels, "" when none


def banner(reply: Reply, settings: Settings) -> Banner | None:
    """The line shown before anything else for urgent and emergency replies, worded from the
    reply's care (`Triage.care`): today or within a day or two, never both."""
    level, care = reply.triage.level, reply.triage.care
    if level == "emergency":
        headline = (
            f"🚨 Emergency: call {settings.emergency_number} or go to {settings.emergency_department} now"
        )
    elif level == "urgent" and care == "day_or_two":
        headline = f"⚠️ Urgent: see {settings.doctor_soon} within a day or two"
    elif level == "urgent":
        headline = f"⚠️ Urgent: see {settings.urgent_care}"  # the locale's same-day words
    else:
        return None
    labels = list(dict.fromkeys(f.label for f in reply.triage.flags if f.label))
    return Banner(headline, "; ".join(labels))


def with_program_titles(reply: Reply, title_of: Callable[[str], str | None]) -> Reply:
    """The reply with each exercise card's program id ("prog-core-circuits") replaced by its title."""
    cards = [c.model_copy(update={"program": title_of(c.program) or c.program}) for c in reply.exercises]
    return reply.model_copy(update={"exercises": cards})


def program_titles(retriever: HybridRetriever) -> Callable[[str], str | None]:
    """Looks a program's title up in the knowledge index."""

    def title_of(program_id: str) -> str | None:
        records = retriever.doc(program_id)
        return records[0].title if records else None

    return title_of


def shows_extras(reply: Reply) -> bool:
    """Urgent and emergency replies carry nothing that could delay the runner."""
    return reply.triage.level not in ("urgent", "emergency")


# ---------------------------------------------------------------- Markdown text
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_PARAGRAPHS = re.compile(r"\n[ \t]*\n")


def _is_heading(paragraph: str) -> bool:
    line = paragraph.strip()
    return "\n" not in line and len(line) <= 120 and line.startswith(("**", "#"))


def body_markdown(reply: Reply, *, lift_cards: bool) -> str:
    """The text a door shows in the message body.

    With `lift_cards` (the door renders the cards, sources and safety net in their own places) it is
    the answer part alone, after the escalation at a raised level; otherwise the whole reply.
    """
    if not lift_cards or not reply.answer:
        return reply.reply.strip()
    if reply.triage.level != "none" and reply.safety_net:
        return f"{reply.safety_net}\n\n{reply.answer}".strip()
    return reply.answer.strip()


def footer_line(reply: Reply) -> str:
    """The one-line safety net at level none, for the door's own footer place."""
    return reply.safety_net.strip() if reply.triage.level == "none" and reply.answer else ""


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at paragraphs, then lines, then words."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    for separator, pattern in (("\n\n", r"\n[ \t]*\n"), ("\n", r"\n"), (" ", r" (?![^<>\s]*>)")):
        parts = [p for p in re.split(pattern, text) if p.strip()]
        if len(parts) < 2:
            continue
        chunks: list[str] = []
        current = ""
        for part in parts:
            if len(part) > limit:
                if current:
                    chunks.append(current)
                    current = ""
                chunks.extend(split_text(part, limit))
                continue
            joined = f"{current}{separator}{part}" if current else part
            if len(joined) <= limit:
                current = joined
            else:
                chunks.append(current)
                current = part
        if current:
            chunks.append(current)
        return [c.strip() for c in chunks if c.strip()]
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------- Slack mrkdwn
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\(\s*<?((?:https?://|mailto:)[^)\s>]+)>?\s*\)")
_MD_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
_MD_BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+", re.M)
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_MD_ITALIC = re.compile(r"(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])")
_MD_STRIKE = re.compile(r"~~(.+?)~~")
_BOLD_MARK = "\x00"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_inline(text: str) -> str:
    text = _slack_escape(text)
    text = _MD_BOLD.sub(lambda m: f"{_BOLD_MARK}{m.group(1) or m.group(2)}{_BOLD_MARK}", text)
    text = _MD_ITALIC.sub(r"_\1_", text)
    text = _MD_STRIKE.sub(r"~\1~", text)
    return text.replace(_BOLD_MARK, "*")


def to_mrkdwn(markdown: str) -> str:
    """CommonMark-ish text (as our replies are written) in Slack's mrkdwn."""
    text = _MD_HEADING.sub(r"**\1**", markdown)
    text = _MD_BULLET.sub(r"\1• ", text)
    out: list[str] = []
    pos = 0
    for m in _MD_LINK.finditer(text):
        out.append(_slack_inline(text[pos : m.start()]))
        url = m.group(2).replace("|", "%7C").replace(">", "%3E")
        label = _slack_inline(m.group(1)).replace("|", "/")
        out.append(f"<{url}|{label}>")
        pos = m.end()
    out.append(_slack_inline(text[pos:]))
    return "".join(out)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _truncate(text, SLACK_SECTION_LIMIT)}}


def _context(*texts: str) -> dict[str, Any]:
    elements = [{"type": "mrkdwn", "text": _truncate(t, SLACK_SECTION_LIMIT)} for t in texts if t]
    return {"type": "context", "elements": elements[:SLACK_CONTEXT_ELEMENTS]}


def slack_feedback_block(turn_id: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": "feedback",
        "elements": [
            {
                "type": "button",
                "action_id": "feedback_up",
                "value": turn_id,
                "text": {"type": "plain_text", "text": "👍 Helpful", "emoji": True},
            },
            {
                "type": "button",
                "action_id": "feedback_down",
                "value": turn_id,
                "text": {"type": "plain_text", "text": "👎 Not helpful", "emoji": True},
            },
        ],
    }


def slack_blocks(
    reply: Reply, settings: Settings, *, offer: str | None = None, feedback: bool = True
) -> tuple[str, list[dict[str, Any]]]:
    """(notification text, blocks) for chat.postMessage or a response_url; `offer` is mrkdwn."""
    head: list[dict[str, Any]] = []
    tail: list[dict[str, Any]] = []
    top = banner(reply, settings)
    if top:
        head.append(
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": _truncate(top.headline, SLACK_HEADER_LIMIT),
                    "emoji": True,
                },
            }
        )
        if top.warning:
            head.append(_section(f"*Warning sign:* {_slack_escape(top.warning)}"))
    extras = shows_extras(reply)
    if extras and reply.exercises:
        tail.append(_section(f"*Try this* (from the {_slack_escape(settings.app_name)} programs)"))
        for card in reply.exercises[:MAX_EXERCISE_CARDS]:
            lines = [f"*<{card.url}|{_slack_escape(card.name)}>*  ·  _{_slack_escape(card.program)}_"]
            lines += [_slack_escape(x) for x in (card.dose, card.why) if x]
            tail.append(_section("\n".join(lines)))
    if extras and reply.follow_ups:
        tail.append(
            _context(
                "*You could also ask:* " + "  ·  ".join(f"“{_slack_escape(q)}”" for q in reply.follow_ups)
            )
        )
    if extras and footer_line(reply):
        tail.append(_context(to_mrkdwn(footer_line(reply))))
    if extras and reply.citations:
        sources = "   ".join(
            f"{n}. <{c.url}|{_slack_escape(c.title)}>" for n, c in enumerate(reply.citations, 1)
        )
        tail.append(_context(f"*Sources:* {sources}"))
    if offer:
        tail.append(_context(offer))
    if feedback:
        tail.append(slack_feedback_block(reply.turn_id))

    body = to_mrkdwn(body_markdown(reply, lift_cards=extras))
    budget = SLACK_MAX_BLOCKS - len(head) - len(tail)
    pieces = split_text(body, SLACK_SECTION_LIMIT) or [" "]
    if len(pieces) > budget:
        pieces = pieces[:budget]
        pieces[-1] = _truncate(pieces[-1], SLACK_SECTION_LIMIT - 2) + " …"
    blocks = head + [_section(p) for p in pieces] + tail
    fallback = _truncate(f"{top.headline}\n{body}" if top else body, SLACK_SECTION_LIMIT)
    return fallback, blocks


# ---------------------------------------------------------------- Discord
def to_discord_markdown(markdown: str) -> str:
    """Our Markdown for Discord: same syntax; links wrapped in <> so they do not unfurl into previews."""
    return _MD_LINK.sub(lambda m: f"[{m.group(1)}](<{m.group(2)}>)", markdown)


def _embed_size(embed: dict[str, Any]) -> int:
    footer = embed.get("footer", {}).get("text", "")
    return len(embed.get("title", "")) + len(embed.get("description", "")) + len(footer)


def discord_embeds(reply: Reply) -> list[dict[str, Any]]:
    """Sources first, then exercise cards; within 10 embeds and 6,000 characters in all."""
    if not shows_extras(reply):
        return []
    colour = _COLOURS[reply.triage.level]
    embeds: list[dict[str, Any]] = []
    if reply.citations:
        lines = [f"{n}. [{c.title}]({c.url})" for n, c in enumerate(reply.citations, 1)]
        description = "\n".join(split_text("\n".join(lines), DISCORD_EMBED_DESCRIPTION)[:1])
        embeds.append({"title": "Sources", "description": description, "color": colour})
    for card in reply.exercises[:MAX_EXERCISE_CARDS]:
        description = "\n".join(x for x in (f"**{card.dose}**" if card.dose else "", card.why) if x)
        embed: dict[str, Any] = {
            "title": _truncate(card.name, DISCORD_EMBED_TITLE),
            "url": card.url,
            "description": _truncate(description or card.name, DISCORD_EMBED_DESCRIPTION),
            "color": colour,
        }
        if card.program:
            embed["footer"] = {"text": _truncate(card.program, 2048)}
        embeds.append(embed)
    embeds = embeds[:DISCORD_EMBEDS_PER_MESSAGE]
    while embeds and sum(_embed_size(e) for e in embeds) > DISCORD_EMBED_TOTAL:
        embeds.pop()
    return embeds


def discord_feedback_components(turn_id: str) -> list[dict[str, Any]]:
    return [
        {
            "type": 1,
            "components": [
                {
                    "type": 2,
                    "style": 2,
                    "label": "Helpful",
                    "emoji": {"name": "👍"},
                    "custom_id": f"feedback:up:{turn_id}",
                },
                {
                    "type": 2,
                    "style": 2,
                    "label": "Not helpful",
                    "emoji": {"name": "👎"},
                    "custom_id": f"feedback:down:{turn_id}",
                },
            ],
        }
    ]


def discord_messages(reply: Reply, settings: Settings, *, offer: str | None = None) -> list[dict[str, Any]]:
    """The messages of one answer: the first edits the deferred response, the rest are follow-ups.

    Every message has at most 2,000 characters of content and no pings; embeds and the
    feedback buttons go on the last one, after the text they belong to.
    """
    extras = shows_extras(reply)
    text = to_discord_markdown(body_markdown(reply, lift_cards=extras))
    top = banner(reply, settings)
    if top:
        lead = f"**{top.headline}**" + (f"\nWarning sign: {top.warning}" if top.warning else "")
        text = f"{lead}\n\n{text}"
    if extras and footer_line(reply):
        text += "\n\n" + to_discord_markdown(footer_line(reply))
    if extras and reply.follow_ups:
        text += "\n\n_You could also ask:_ " + " · ".join(f"“{q}”" for q in reply.follow_ups)
    if offer:
        text += f"\n\n{offer}"
    chunks = split_text(text, DISCORD_CONTENT_LIMIT) or ["…"]
    messages: list[dict[str, Any]] = [{"content": c, "allowed_mentions": {"parse": []}} for c in chunks]
    embeds = discord_embeds(reply)
    if embeds:
        messages[-1]["embeds"] = embeds
    messages[-1]["components"] = discord_feedback_components(reply.turn_id)
    return messages
