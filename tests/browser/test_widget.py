"""The widget in a real browser: ask, stream, cite, escalate, reload, keyboard, phone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, RECORDER, Trouble
from tests.browser.helpers import Widget

QUESTION = "my lower back aches on long runs, is it just tight hamstrings? What exercises help?"
EMERGENCY = "my back hurts and since yesterday I can't feel the toilet paper when I wipe"


def test_a_question_streams_in_and_its_citation_opens(
    page: Any, server: str, trouble: Trouble, screenshots: Path
) -> None:
    page.goto("/")
    widget = Widget(page).open()
    assert widget.focused()["id"] == "rs-input", "opening the chat puts the cursor in the question box"

    reply = widget.ask(QUESTION)

    names = [e["name"] for e in widget.events() if e["name"] in ("meta", "delta", "done")]
    assert names[0] == "meta" and names[-1] == "done" and names.count("delta") >= 2, names
    meta = widget.events("meta")[-1]["detail"]
    assert meta == {"turn_id": reply["turn_id"], "level": "none"}
    assert widget.events("done")[-1]["detail"]["citations"] == len(reply["citations"])
    # The host page's scripts learn that a reply came, never what it said.
    details = json.dumps([e["detail"] for e in widget.events()])
    assert "hamstring" not in details.lower() and reply["session_id"] not in details
    assert widget.sent()[0][1]["citations"] == reply["citations"], "sources arrive before the text"

    message = widget.last_bot()
    expect(message).not_to_have_class("streaming")
    assert "hamstring" in message.locator(".md").inner_text().lower()
    assert message.locator(".md a.ref, .md strong, .md ol, .md ul").count() > 0, (
        "the Markdown is rendered, not shown raw"
    )
    assert "**" not in message.locator(".md").inner_text()
    # the answer part in the bubble; the one-line safety net in the message's own footer
    assert reply["safety_net"] and reply["safety_net"].strip("_") not in message.locator(".md").inner_text()
    expect(message.locator(".safety")).to_contain_text("not a diagnosis")
    expect(message.locator(".card")).to_have_count(len(reply["exercises"]))
    for chip in reply["follow_ups"][:4]:
        expect(page.locator("#runsource-widget .chip", has_text=chip)).to_be_visible()
    expect(page.locator("#runsource-widget [aria-live=polite]")).to_contain_text("replied")
    page.screenshot(path=str(screenshots / "widget-desktop.png"))

    first = reply["citations"][0]
    link = message.locator(f'a[href="{first["url"]}"]').first
    expect(link).to_be_visible()
    with page.context.expect_page() as opened:
        link.click()
    article = opened.value
    article.wait_for_load_state()
    assert article.url == first["url"]
    assert article.url.startswith(f"{server}/knowledge/")
    expect(article.locator("h1")).to_be_visible()
    assert not trouble.page_errors and not trouble.dialogs
    assert not trouble.console_errors, (
        f"console errors (a CSP violation shows here): {trouble.console_errors}"
    )


def test_an_emergency_shows_the_alert_banner_before_the_text(page: Any, screenshots: Path) -> None:
    page.goto("/")
    widget = Widget(page).open()

    reply = widget.ask(EMERGENCY)

    assert reply["triage"]["level"] == "emergency"
    banner = widget.last_bot().locator(".banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("role", "alert")
    expect(banner).to_contain_text("Emergency")
    expect(banner.locator("a.cta")).to_have_attribute("href", "tel:911")
    first_delta = widget.events("delta")[0]
    assert first_delta["bannerShown"], "the banner is up before the first words of the reply"
    expect(widget.last_bot().locator(".card")).to_have_count(0)
    expect(page.locator("#runsource-widget .chip")).to_have_count(len(reply["follow_ups"][:4]))
    page.screenshot(path=str(screenshots / "widget-emergency.png"))


def test_a_reload_restores_the_conversation_and_reset_starts_over(page: Any) -> None:
    page.goto("/")
    widget = Widget(page).open()
    first = widget.ask(QUESTION)
    transcript = widget.panel.locator(".log").inner_text()
    kept = widget.storage()
    assert set(kept) == {"v", "sessionId", "token", "open", "expires"}, "only the id and token are kept"
    assert kept["sessionId"] == first["session_id"] and kept["token"] == first["session_token"]
    assert QUESTION not in json.dumps(kept)

    page.reload()
    widget = Widget(page)
    expect(widget.panel).to_be_visible()  # it was open, so it opens again
    expect(widget.bot).to_have_count(1)  # fetched from the server with the token
    expect(widget.user).to_have_count(1)
    assert widget.panel.locator(".log").inner_text() == transcript
    assert page.evaluate("RUNsourceWidget.sessionId") == first["session_id"]

    second = widget.ask("how do I make the exercises harder?")
    assert second["session_id"] == first["session_id"], "the conversation carries on in the same session"

    page.get_by_role("button", name="New conversation").click()
    expect(widget.bot).to_have_count(0)
    assert widget.storage()["sessionId"] is None
    third = widget.ask(QUESTION)
    assert third["session_id"] != first["session_id"]


def test_forget_erases_the_conversation_on_the_server(page: Any, server: str) -> None:
    page.goto("/")
    widget = Widget(page).open()
    reply = widget.ask("my name is Jane Doe and my lower back aches on long runs")
    token = reply["session_token"]
    url = f"{server}/v1/sessions/{reply['session_id']}"
    stored = page.evaluate("JSON.stringify([{...localStorage}, {...sessionStorage}, document.cookie])")
    assert "Jane" not in stored and "back" not in stored, "no personal detail in the browser's storage"
    assert page.request.get(url, headers={"Authorization": f"Bearer {token}"}).status == 200

    with page.expect_response(lambda r: r.request.method == "DELETE") as erased:
        page.get_by_role("button", name="Forget this conversation").click()
    assert erased.value.status == 204
    expect(widget.bot).to_have_count(0)
    expect(page.locator("#runsource-widget [aria-live=polite]")).to_contain_text("erased")
    assert widget.storage()["sessionId"] is None and widget.storage()["token"] is None
    gone = page.request.get(url, headers={"Authorization": f"Bearer {token}"})
    assert gone.status == 404, "the token does not work after erasure"


def test_an_idle_widget_forgets_its_session(page: Any) -> None:
    page.goto("/")
    widget = Widget(page).open()
    widget.ask(QUESTION)
    page.evaluate(
        """() => {
          const k = Object.keys(sessionStorage).find(k => k.startsWith('runsource-widget:'));
          const s = JSON.parse(sessionStorage.getItem(k));
          s.expires = Date.now() - 1000;  // the idle period ran out
          sessionStorage.setItem(k, JSON.stringify(s));
        }"""
    )
    page.reload()
    widget = Widget(page)
    expect(widget.panel.locator(".empty")).to_be_visible()
    expect(widget.bot).to_have_count(0)
    assert widget.storage().get("sessionId") is None


def test_a_new_tab_starts_empty(page: Any) -> None:
    """The next visitor of a shared computer opens the site in a new tab: nothing is there."""
    page.goto("/")
    Widget(page).open().ask(QUESTION)
    other = page.context.new_page()
    other.goto("/")
    widget = Widget(other)
    widget.open()
    expect(widget.panel.locator(".empty")).to_be_visible()
    assert widget.storage() == {"v": "2", "sessionId": None, "token": None, "open": True, "expires": 0}
    other.close()


def test_keyboard_only(page: Any) -> None:
    page.goto("/")
    widget = Widget(page)
    for _ in range(30):
        page.keyboard.press("Tab")
        if "launcher" in widget.focused()["cls"]:
            break
    else:
        raise AssertionError("Tab never reached the chat button")
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    assert widget.focused()["id"] == "rs-input"

    page.keyboard.type(QUESTION)
    done = widget.count("done")
    page.keyboard.press("Enter")
    first = widget.wait_done(done)

    # Back from the question box lands on the suggested questions; Enter asks one.
    page.keyboard.press("Shift+Tab")
    chip = widget.focused()
    assert "chip" in chip["cls"] and chip["text"] in first["follow_ups"]
    done = widget.count("done")
    page.keyboard.press("Enter")
    widget.wait_done(done)
    expect(widget.user.last).to_contain_text(chip["text"])

    # Rate the last reply down, with a reason and a comment, by keyboard.
    widget.input.focus()
    for _ in range(15):
        page.keyboard.press("Shift+Tab")
        if widget.focused()["label"] == "Not helpful":
            break
    else:
        raise AssertionError("Shift+Tab never reached the 'Not helpful' button")
    page.keyboard.press("Enter")
    assert widget.focused()["tag"] == "input", "the reasons get focus"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.type("It did not ask how long the pain has lasted.")
    page.keyboard.press("Tab")
    assert widget.focused()["text"] == "Send feedback"
    with page.expect_response(lambda r: r.url.endswith("/v1/feedback")) as sent:
        page.keyboard.press("Enter")
    assert sent.value.status == 201
    expect(widget.last_bot().locator(".thanks")).to_contain_text("Thank you")
    page.reload()  # the rating comes back with the transcript
    expect(Widget(page).last_bot().locator("[aria-label='Not helpful']")).to_have_attribute(
        "aria-pressed", "true"
    )
    Widget(page).input.focus()

    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    assert "launcher" in widget.focused()["cls"], "Esc returns focus to the chat button"
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()


def test_phone_viewport_is_full_screen(phone_page: Any, screenshots: Path) -> None:
    page = phone_page
    page.goto("/")
    widget = Widget(page)
    widget.launcher.tap()
    expect(widget.panel).to_be_visible()
    box = widget.panel.bounding_box()
    assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    expect(widget.launcher).to_be_hidden()

    expect(widget.panel).to_have_attribute("aria-modal", "true")
    widget.ask(QUESTION)
    expect(widget.last_bot()).to_be_visible()
    page.screenshot(path=str(screenshots / "widget-phone.png"))

    # Full screen, the panel keeps focus: Tab from its last control comes back to its first.
    page.locator("#runsource-widget .send").focus()
    page.keyboard.press("Tab")
    assert Widget(page).focused()["inWidget"], "Tab stays in the full-screen chat"
    assert widget.focused()["text"] == "New conversation"
    page.keyboard.press("Shift+Tab")
    assert widget.focused()["label"] == "Send"
    page.get_by_role("button", name="Close chat").tap()
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_be_visible()


def test_dark_theme_follows_the_system(browser: Any, server: str, screenshots: Path) -> None:
    context = browser.new_context(base_url=server, viewport=PHONE, color_scheme="dark", device_scale_factor=2)
    context.add_init_script(RECORDER)
    page = context.new_page()
    try:
        page.goto("/")
        widget = Widget(page).open()
        widget.ask(EMERGENCY)
        background = widget.panel.evaluate("el => getComputedStyle(el).backgroundColor")
        assert background == "rgb(21, 27, 35)", background
        page.screenshot(path=str(screenshots / "widget-phone-dark.png"))
    finally:
        context.close()


@pytest.mark.parametrize(
    ("message", "care", "says", "never"),
    [
        (
            "I had breast cancer 5 years ago and now my back aches all the time",
            "day_or_two",
            "within a day or two",
            "today",
        ),
        (
            "since this morning my left leg feels weak and my back aches",
            "same_day",
            "See a doctor today",
            "day or two",
        ),
    ],
    ids=["day_or_two", "same_day"],
)
def test_an_urgent_banner_says_the_rules_timeframe_today_or_within_a_day_or_two(
    page: Any, message: str, care: str, says: str, never: str
) -> None:
    page.goto("/")
    widget = Widget(page).open()

    reply = widget.ask(message)
    assert reply["triage"]["care"] == care
    banner = widget.last_bot().locator(".banner")
    expect(banner).to_contain_text(says)
    expect(banner).not_to_contain_text(never)
