"""Markdown to plain text and sentences."""

from __future__ import annotations

from evals.text import blocks, plain, sentences


def test_markup_is_removed_and_link_text_kept() -> None:
    md = "## Heading\n\nRun **easy** with a [metronome](http://x) [1].\n\n"
    md += "- **[Dead bug](u)**: 2 sets. Core work."
    assert blocks(md) == ["Heading", "Run easy with a metronome .", "Dead bug: 2 sets. Core work."]
    assert plain(md) == "Heading. Run easy with a metronome . Dead bug: 2 sets. Core work."


def test_sentences_skip_headings_and_split_on_sentence_ends() -> None:
    md = "**Try this**\n\nFirst point. Second point? 3 sets help.\nStill the same paragraph."
    assert sentences(md) == ["First point.", "Second point?", "3 sets help.", "Still the same paragraph."]
    assert sentences(md, headings=True)[0] == "Try this"
