"""axe-core (vendored in tests/browser/vendor, never a CDN) finds no serious or critical problem."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, RECORDER
from tests.browser.helpers import Widget, axe_violations, describe


@pytest.fixture(params=[("light", DESKTOP), ("dark", PHONE)], ids=["light-desktop", "dark-phone"])
def scanned_page(request: pytest.FixtureRequest, browser: Any, server: str) -> Iterator[Any]:
    scheme, viewport = request.param
    # bypass_csp only lets the test inject axe itself; every other test runs under the real CSP.
    context = browser.new_context(base_url=server, viewport=viewport, color_scheme=scheme, bypass_csp=True)
    context.add_init_script(RECORDER)
    page = context.new_page()
    yield page
    context.close()


def test_the_demo_page_and_the_closed_widget(scanned_page: Any) -> None:
    scanned_page.goto("/")
    expect(Widget(scanned_page).launcher).to_be_visible()
    violations = axe_violations(scanned_page)
    assert not violations, describe(violations)


def test_the_open_widget_with_replies_an_alert_and_the_feedback_form(scanned_page: Any) -> None:
    page = scanned_page
    page.goto("/")
    widget = Widget(page).open()
    widget.ask("my lower back aches on long runs, is it just tight hamstrings?")
    widget.ask("I have numbness in my saddle area and I can't control my bladder")
    expect(widget.last_bot().locator("[role=alert]")).to_be_visible()
    widget.last_bot().get_by_role("button", name="Not helpful").click()
    expect(widget.last_bot().locator("form.fbform")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe(violations)
