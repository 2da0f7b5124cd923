"""A small driver for the widget, so the tests read like what a runner does."""

from __future__ import annotations

import json
import time
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import AXE


def wait_until(page: Page, expression: str, arg: Any = None, timeout_s: float = 60.0) -> None:
    """Poll `expression` (a function of `arg`) with page.evaluate until it is truthy.

    Not page.wait_for_function: its polling evaluates the predicate with eval inside the page, which
    the widget's Content Security Policy (no 'unsafe-eval') refuses now and then; page.evaluate runs
    over the DevTools protocol, which the policy does not govern.
    """
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for: {expression}")
        page.wait_for_timeout(50)


class Widget:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.locator("#runsource-widget .launcher")
        self.panel = page.locator("#runsource-widget [role=dialog]")
        self.input = page.locator("#runsource-widget #rs-input")
        self.bot = page.locator("#runsource-widget .msg.bot")
        self.user = page.locator("#runsource-widget .msg.user")

    def open(self) -> Widget:
        self.launcher.click()
        expect(self.panel).to_be_visible()
        return self

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.page.evaluate("window.__rs.events")
        return [e for e in events if name is None or e["name"] == name]

    def count(self, name: str) -> int:
        return len(self.events(name))

    def wait_done(self, before: int, errors_before: int = 0) -> dict[str, Any]:
        """The `done` reply after `before` earlier ones; fails on a widget error instead of timing out."""
        wait_until(
            self.page,
            "([d, e]) => window.__rs.events.filter(x => x.name === 'done').length > d"
            " || window.__rs.events.filter(x => x.name === 'error').length > e",
            [before, errors_before],
        )
        errors = self.events("error")[errors_before:]
        assert not errors, f"the widget showed an error: {errors}"
        return self.sent()[-1][1]

    def sent(self) -> list[tuple[str, dict[str, Any]]]:
        """The events of the latest streamed reply, as the server sent them."""
        wait_until(self.page, "() => window.__rs.streams.length && window.__rs.streams.at(-1).done")
        text: str = self.page.evaluate("window.__rs.streams.at(-1).text")
        out = []
        for block in text.split("\n\n"):
            if block.strip():
                fields = dict(line.split(": ", 1) for line in block.split("\n"))
                out.append((fields["event"], json.loads(fields["data"])))
        return out

    def ask(self, text: str) -> dict[str, Any]:
        done, errors = self.count("done"), self.count("error")
        self.input.fill(text)
        self.input.press("Enter")
        return self.wait_done(done, errors)

    def last_bot(self) -> Locator:
        return self.bot.last

    def focused(self) -> dict[str, Any]:
        """What has focus, looking through the widget's shadow root."""
        return self.page.evaluate(  # type: ignore[no-any-return]
            """() => {
              let el = document.activeElement;
              const inWidget = el && el.id === "runsource-widget";
              while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
              return {inWidget, tag: el ? el.tagName.toLowerCase() : null, id: el ? el.id : null,
                      cls: el ? String(el.className) : "", label: el ? el.getAttribute("aria-label") : null,
                      text: el ? el.textContent.trim() : ""};
            }"""
        )

    def storage(self) -> dict[str, Any]:
        """What the widget keeps in the browser (sessionStorage; localStorage must hold nothing)."""
        kept = self.page.evaluate(
            "[Object.keys(localStorage).filter(k => k.startsWith('runsource-widget:')).length,"
            " Object.keys(sessionStorage).filter(k => k.startsWith('runsource-widget:'))"
            ".map(k => sessionStorage.getItem(k))[0] || null]"
        )
        assert kept[0] == 0, "nothing is kept in localStorage"
        return json.loads(kept[1]) if kept[1] else {}


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page, shadow DOM included."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values:"
        " ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}: " + "; ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in violations
    )
