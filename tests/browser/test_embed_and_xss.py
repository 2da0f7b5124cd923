"""Embedding on a customer's site (CORS), and hostile text that must stay text.

The customer's pages have no content security policy, so nothing here is saved by a CSP: if the
widget ever turned server text into markup, these pages would run it.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")

from playwright.sync_api import Page, expect

from tests.browser.conftest import PROBE_ID, Customer, Trouble
from tests.browser.helpers import Widget, wait_until

CANARY = "window.__rs.xss++"
IMG = f'<img src=x onerror="{CANARY};alert(1)">'
HOSTILE = [
    IMG,
    f"<script>{CANARY}</script>",
    f"[click me](javascript:{CANARY})",
    f"[click me](JaVaScRiPt:{CANARY})",
    f"[tab](java\tscript:{CANARY})",
    f"[entity](javascript&#58;{CANARY})",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    f"[vb](vbscript:{CANARY})",
    f'<a href="javascript:{CANARY}">raw link</a>',
    f'**bold {IMG}** and _em <svg onload="{CANARY}">_',
    f'- item <iframe src="javascript:{CANARY}"></iframe>\n- [ok](https://example.org/ok)',
    f'> quote <details open ontoggle="{CANARY}">',
    f"`code {IMG}`",
    f"<{'javascript'}:{CANARY}>",
]


def customer_page(server: str, api: str, title: str = "Ask our physio", position: str = "left") -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>A clinic</title></head>"
        "<body><main><h1>A clinic that embeds the assistant</h1><p>Our own page.</p></main>"
        f"<script src='{server}/widget.js' data-api='{api}' data-title='{title}'"
        f" data-position='{position}'></script>"
        "</body></html>"
    )


def test_the_widget_embeds_on_an_allowed_site_with_one_script_tag(
    page: Any, server: str, customer: Customer, trouble: Trouble
) -> None:
    path = customer.page("embed.html", customer_page(server, api=server))
    page.goto(customer.origin + path)
    widget = Widget(page)
    expect(widget.launcher).to_have_text("Ask our physio")
    assert widget.launcher.bounding_box()["x"] < 100, "data-position='left'"
    widget.open()
    expect(page.get_by_role("dialog", name="Ask our physio")).to_be_visible()

    reply = widget.ask("what exercises help my back when I run?")

    assert reply["session_id"].startswith("s_")
    expect(widget.last_bot().locator(".md")).not_to_be_empty()
    assert not trouble.dialogs and not trouble.page_errors


def test_a_site_not_on_the_allow_list_cannot_use_the_api(page: Any, server: str, customer: Customer) -> None:
    path = customer.page("embed.html", customer_page(server, api=server))
    page.goto(customer.stranger + path)
    widget = Widget(page).open()
    widget.input.fill("is it just tight hamstrings?")
    widget.input.press("Enter")
    wait_until(page, "() => window.__rs.events.some(e => e.name === 'error')")
    expect(page.locator("#runsource-widget .msg.error")).to_contain_text("Could not reach the assistant")
    expect(widget.input).to_have_value("is it just tight hamstrings?")  # given back to try again


def _hostile_reply() -> dict[str, Any]:
    text = "\n\n".join(HOSTILE)
    return {
        "session_id": "s_hostile",
        "turn_id": "t_hostile",
        "reply": text,
        "triage": {
            "level": "emergency",
            "flags": [{"id": "x", "level": "emergency", "label": IMG, "evidence": IMG}],
        },
        "intent": "symptom",
        "in_scope": True,
        "citations": [
            {"id": "a", "title": f"Evil {IMG}", "url": f"javascript:{CANARY}", "snippet": IMG},
            {"id": "b", "title": f"Fine {IMG}", "url": "https://example.org/fine", "snippet": ""},
        ],
        "exercises": [
            {
                "id": "e",
                "name": IMG,
                "program": f'<svg onload="{CANARY}">',
                "dose": IMG,
                "url": f"javascript:{CANARY}",
                "why": f'<iframe src="javascript:{CANARY}">',
            }
        ],
        "follow_ups": [IMG, f"<script>{CANARY}</script>"],
        "mode": "llm",
    }


def _sse(reply: dict[str, Any]) -> str:
    meta = {
        k: reply[k]
        for k in ("session_id", "turn_id", "triage", "intent", "in_scope", "citations", "exercises", "mode")
    }
    text = reply["reply"]
    pieces = [text[i : i + 7] for i in range(0, len(text), 7)]  # split inside tags, too
    events = [("meta", meta), *(("delta", {"text": p}) for p in pieces), ("done", reply)]
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)


def _inert(page: Page) -> dict[str, Any]:
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
          const root = document.querySelector('#runsource-widget').shadowRoot;
          const all = [...root.querySelectorAll('*')];
          return {
            xss: window.__rs.xss,
            markup: root.querySelectorAll('img, script, iframe, object, embed, details').length,
            svgs: [...root.querySelectorAll('svg')].filter(s => !s.classList.contains('icon')).length,
            handlers: all.flatMap(el => [...el.attributes]
              .filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name)),
            hrefs: [...root.querySelectorAll('[href]')].map(a => a.getAttribute('href')),
          };
        }"""
    )


def test_a_hostile_reply_stays_inert(page: Any, server: str, customer: Customer, trouble: Trouble) -> None:
    config = {
        "app_name": IMG,
        "clinic_name": IMG,
        "emergency_number": f"911{IMG}",
        "urgent_care": IMG,
        "booking_url": f"javascript:{CANARY}",
        "clinic_phone": "",
        "max_message_chars": 4000,
    }
    # The widget talks to the customer's own origin here, where the test plays a hostile server.
    api = customer.origin
    page.route(f"{api}/v1/widget/config", lambda r: r.fulfill(status=200, json=config))
    page.route(
        f"{api}/v1/chat/stream",
        lambda r: r.fulfill(
            status=200, headers={"content-type": "text/event-stream"}, body=_sse(_hostile_reply())
        ),
    )
    path = customer.page("hostile.html", customer_page(server, api=api))
    page.goto(customer.origin + path)
    widget = Widget(page).open()

    widget.ask(f"hello {IMG}")
    page.wait_for_timeout(500)  # give any injected handler time to fire

    found = _inert(page)
    assert found["xss"] == 0 and not trouble.dialogs, "no injected code ran"
    assert found["markup"] == 0 and found["svgs"] == 0 and found["handlers"] == []
    assert all(h.startswith(("https://", "http://", "mailto:", "tel:")) for h in found["hrefs"]), found[
        "hrefs"
    ]
    assert "tel:911" in found["hrefs"], "the emergency number is reduced to digits for the call button"
    message = widget.last_bot()
    assert "<img src=x" in message.locator(".md").inner_text(), "markup shows as the words it is"
    assert "click me" in message.locator(".md").inner_text(), "an unsafe link keeps its words"
    expect(message.locator(".banner")).to_contain_text("<img src=x")
    expect(message.locator(".card h4")).to_have_text(IMG)
    expect(message.locator(".cites a")).to_have_count(1)  # only the https source is a link
    expect(page.locator("#runsource-widget .chip").first).to_have_text(IMG)
    expect(widget.user.last).to_contain_text(f"hello {IMG}")
    assert not trouble.page_errors


def test_the_markdown_renderer_keeps_markup_as_text(
    page: Any, server: str, customer: Customer, trouble: Trouble
) -> None:
    path = customer.page("embed.html", customer_page(server, api=server))
    page.goto(customer.origin + path)
    wait_until(page, "() => window.RUNsourceWidget && window.RUNsourceWidget.mounted")
    rendered = page.evaluate(
        """(inputs) => inputs.map((text) => {
          const box = document.createElement('div');
          box.appendChild(RUNsourceWidget.renderMarkdown(text));
          document.body.appendChild(box);  // attached, so an injected handler would fire
          return {
            tags: [...box.querySelectorAll('*')].map(el => el.tagName.toLowerCase()),
            handlers: [...box.querySelectorAll('*')]
              .flatMap(el => [...el.attributes].filter(a => a.name.startsWith('on')).map(a => a.name)),
            hrefs: [...box.querySelectorAll('a')].map(a => a.protocol),
            text: box.textContent,
          };
        })""",
        HOSTILE,
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.__rs.xss") == 0 and not trouble.dialogs
    allowed = {
        "p",
        "a",
        "span",
        "strong",
        "em",
        "code",
        "pre",
        "ul",
        "ol",
        "li",
        "blockquote",
        "h3",
        "h4",
        "hr",
    }
    for source, out in zip(HOSTILE, rendered, strict=True):
        assert set(out["tags"]) <= allowed, (source, out["tags"])
        assert out["handlers"] == [], source
        assert set(out["hrefs"]) <= {"https:", "http:", "mailto:"}, (source, out["hrefs"])
    assert "<img src=x" in rendered[0]["text"]
    assert rendered[10]["hrefs"] == ["https:"]

    good = page.evaluate(
        """() => {
          const box = document.createElement('div');
          box.appendChild(RUNsourceWidget.renderMarkdown(
            '## Heading\\n\\n**Bold** and *em* with `code`.\\n\\n' +
            '1. one\\n2. [two](https://example.org/two)\\n\\n' +
            '- a\\n- b\\n\\nMail [us](mailto:hi@example.org) or see https://example.org/x.'));
          return {html: box.innerHTML, hrefs: [...box.querySelectorAll('a')].map(a => a.href)};
        }"""
    )
    assert (
        "<strong>Bold</strong>" in good["html"]
        and "<em>em</em>" in good["html"]
        and "<code>code</code>" in good["html"]
    )
    assert "<ol>" in good["html"] and "<ul>" in good["html"] and "<h4" in good["html"]
    assert good["hrefs"] == ["https://example.org/two", "mailto:hi@example.org", "https://example.org/x"]


def test_knowledge_text_with_markup_stays_inert(page: Any, server: str, trouble: Trouble) -> None:
    if os.environ.get("RUNSOURCE_BROWSER_URL"):
        pytest.skip("the probe document is only in the server these tests start")
    page.goto(f"/knowledge/{PROBE_ID}")
    expect(page.locator("h1")).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator("img, script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    expect(page.locator("main")).to_contain_text("javascript link")

    page.goto("/")
    widget = Widget(page).open()
    reply = widget.ask("what is the quokka stride probe?")
    page.wait_for_timeout(300)
    assert not trouble.dialogs and page.evaluate("window.__rs.xss") == 0
    assert _inert(page)["markup"] == 0
    if PROBE_ID in [c["id"] for c in reply["citations"]]:
        expect(widget.last_bot()).to_contain_text("<img src=x")
