"""Browser tests: Debian's Chromium driven by Playwright against a real uvicorn server.

One server per test session, on a free loopback port, with its own data folder and a copy of
the knowledge that adds one hostile probe document. Set RUNSOURCE_BROWSER_URL to test a server
that is already running instead (the probe-document test then skips).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import ROOT
from tests.scale.servers import AppServer, app_env, free_port

CHROMIUM = Path(os.environ.get("RUNSOURCE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "build" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PROBE_ID = "edu-zz-markup-probe"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

PROBE = f"""---
id: {PROBE_ID}
title: "Quokka stride <img src=x onerror=alert(1)> probe"
kind: education
program: null
tags: [quokka stride, markup probe]
summary: "The quokka stride probe <script>alert(1)</script> checks that knowledge text stays text."
source: "RUNsource browser tests"
url: /knowledge/{PROBE_ID}
reviewed_on: 2026-11-26
exercises: []
---

## In short

The quokka stride probe is a test page. It holds markup <img src=x onerror=alert(1)> and a
[javascript link](javascript:alert(1)) that must show as plain words, never run.

## What you can do

Nothing: the quokka stride probe exists only so the browser tests can check it stays inert.
"""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run them"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            reason = "playwright is not installed: pip install playwright (not its browser download)"
    if reason:
        for item in items:
            if here in Path(str(item.fspath)).parents:
                item.add_marker(pytest.mark.skip(reason=reason))


def _knowledge_with_probe(folder: Path) -> Path:
    knowledge = folder / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    (knowledge / "education" / f"{PROBE_ID}.md").write_text(PROBE, encoding="utf-8")
    return knowledge


@dataclass(frozen=True)
class Customer:
    """A customer's own web site on another loopback port: another origin that embeds the widget.

    `origin` is on the server's CORS allow-list; `stranger` (the same pages under another host
    name) is not. Both are loopback, as Chromium requires for pages that load from a loopback API.
    """

    folder: Path
    port: int

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stranger(self) -> str:
        return f"http://localhost:{self.port}"

    def page(self, name: str, html: str) -> str:
        (self.folder / name).write_text(html, encoding="utf-8")
        return f"/{name}"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def customer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Customer]:
    folder = tmp_path_factory.mktemp("customer-site")
    port = int(os.environ.get("RUNSOURCE_BROWSER_CUSTOMER_PORT") or free_port())
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(_Quiet, directory=str(folder))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Customer(folder, port)
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, customer: Customer) -> Iterator[str]:
    """The base URL of a real server (`uvicorn server:app`), ready to answer."""
    external = os.environ.get("RUNSOURCE_BROWSER_URL")
    if external:
        yield external.rstrip("/")
        return
    folder = tmp_path_factory.mktemp("browser-server")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_env(
        folder / "data",
        knowledge_dir=str(_knowledge_with_probe(folder)),
        public_url=base,
        cors_origins=json.dumps([base, customer.origin]),
        rate_limit_ip_per_minute=10000,
        rate_limit_session_per_minute=10000,
        emergency_number="911",
    )
    server = AppServer(env, folder / "server.log", workers=1, port=port)
    try:
        server.start(timeout=300)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield base
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Recorded in every page before its own scripts run: the widget's events, any XSS canary, and a
# copy of each streamed reply (the widget's events carry no text, so tests read what was sent).
RECORDER = """
window.__rs = {events: [], xss: 0, streams: []};
const pageFetch = window.fetch;
window.fetch = async function (input, init) {
  const res = await pageFetch.apply(this, arguments);
  const url = typeof input === "string" ? input : input.url;
  if (!url.endsWith("/v1/chat/stream") || !res.body) return res;
  const [mine, copy] = res.body.tee();
  const seen = {text: "", done: false};
  window.__rs.streams.push(seen);
  (async () => {
    const reader = copy.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const step = await reader.read();
      if (step.done) break;
      seen.text += decoder.decode(step.value, {stream: true});
    }
    seen.done = true;
  })();
  return new Response(mine, {status: res.status, statusText: res.statusText, headers: res.headers});
};
for (const name of ["open", "close", "meta", "delta", "done", "error"]) {
  document.addEventListener("runsource:" + name, (e) => {
    window.__rs.events.push({name, detail: e.detail, at: performance.now(),
      bannerShown: !!document.querySelector("#runsource-widget")?.shadowRoot?.querySelector(".banner")});
  });
}
"""


class Trouble:
    """Dialogs (alert/confirm), uncaught page errors and console errors seen during a test."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []

    def watch(self, page: Any) -> None:
        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)


@pytest.fixture
def trouble() -> Trouble:
    return Trouble()


def _new_page(browser: Any, server: str, trouble: Trouble, **options: Any) -> tuple[Any, Any]:
    context = browser.new_context(base_url=server, **options)
    context.add_init_script(RECORDER)
    # The favicon is not ours to serve; keep its 404 out of the console errors.
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    page = context.new_page()
    page.set_default_timeout(30_000)
    trouble.watch(page)
    return context, page


@pytest.fixture
def page(browser: Any, server: str, trouble: Trouble) -> Iterator[Any]:
    context, page = _new_page(browser, server, trouble, viewport=DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser: Any, server: str, trouble: Trouble) -> Iterator[Any]:
    context, page = _new_page(
        browser, server, trouble, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    yield page
    context.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
