"""The HTTP edge (CORS allow-list, body cap, security headers and CSP), rate limits and our pages."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.api.security import EdgeMiddleware, content_security_policy
from assistant.ratelimit import RateLimits
from assistant.services import make_rate_limits
from assistant.settings import Settings

ALLOWED = "https://clinic.example"


def test_a_moving_window_allows_the_limit_then_says_when_to_come_back() -> None:
    limits = RateLimits.in_memory({"ip": 3})
    assert [limits.check("ip", "1.2.3.4") for _ in range(3)] == [None, None, None]
    wait = limits.check("ip", "1.2.3.4")
    assert wait is not None and 55 <= wait <= 60, "the window frees its oldest place a minute after it"
    assert limits.check("ip", "5.6.7.8") is None, "keys are counted apart"


def test_the_backend_is_chosen_once_from_the_sessions_url() -> None:
    assert make_rate_limits(Settings()).local
    for url in ("redis://127.0.0.1:1/0", "rediss://127.0.0.1:1/0", "unix:///tmp/no-such-redis.sock"):
        limits = make_rate_limits(Settings(sessions_url=url))
        assert not limits.local
        # Redis cannot be reached: the limiter lets the request through instead of failing it.
        assert [limits.check("ip", "k") for _ in range(3)] == [None, None, None]
    with pytest.raises(ValueError, match="RUNSOURCE_SESSIONS_URL"):
        Settings(sessions_url="postgres://db/0")


def edge_app(**settings: Any) -> TestClient:
    """A bare app behind the edge middleware, with an echo route on the rate-limited path."""
    app = FastAPI()
    app.add_middleware(EdgeMiddleware, settings=Settings(**settings))

    @app.post("/v1/chat")
    async def chat(request: Request) -> dict[str, Any]:
        return {"echo": (await request.body()).decode()}

    @app.get("/page", response_class=HTMLResponse)
    def page() -> str:
        return "<!doctype html><p>hi</p>"

    return TestClient(app)


def test_an_oversized_body_is_refused_before_it_is_read_whole() -> None:
    client = edge_app()
    r = client.post("/v1/chat", content=b'{"message": "' + b"a" * 70_000 + b'"}')
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"
    # Sent in chunks with no Content-Length: refused at the first byte over the limit.
    chunks = iter([b'{"message": "', *[b"a" * 8192] * 10, b'"}'])
    assert client.post("/v1/chat", content=chunks).status_code == 413
    assert client.post("/v1/chat", json={"message": "hi"}).status_code == 200


def test_the_real_app_answers_a_chunked_oversized_body_with_its_error_object(services) -> None:  # type: ignore[no-untyped-def]
    with limited_app(services) as client:
        for path in ("/v1/chat", "/v1/chat/stream", "/v1/feedback"):
            chunks = iter([b'{"message": "', *[b"a" * 16384] * 20, b'"}'])
            r = client.post(path, content=chunks, headers={"Content-Type": "application/json"})
            assert r.status_code == 413, path
            assert r.json()["error"]["code"] == "body_too_large", path


def test_cors_allows_only_the_listed_origins() -> None:
    client = edge_app(cors_origins=[ALLOWED])
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = client.options("/v1/chat", headers={"Origin": ALLOWED, **preflight})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == ALLOWED
    denied = client.options("/v1/chat", headers={"Origin": "https://evil.example", **preflight})
    assert denied.status_code == 400
    assert "access-control-allow-origin" not in denied.headers
    simple = client.post("/v1/chat", json={"message": "hi"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_security_headers_and_csp() -> None:
    client = edge_app()
    page = client.get("/page")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in page.headers, "no HSTS while public_url is plain http"
    data = client.post("/v1/chat", json={"message": "hi"})
    assert data.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert data.headers["cache-control"] == "no-store"
    https = edge_app(public_url="https://assistant.example").get("/page")
    assert https.headers["strict-transport-security"].startswith("max-age=")


def test_the_csp_by_kind_of_response() -> None:
    docs = content_security_policy("/docs", "text/html")
    assert "script-src 'unsafe-inline' https://cdn.jsdelivr.net" in docs, "FastAPI's API pages keep working"
    assert "frame-ancestors 'none'" in docs and "default-src 'none'" in docs
    knowledge = content_security_policy("/knowledge/edu-cadence", "text/html; charset=utf-8")
    assert knowledge and "script-src 'none'" in knowledge and "style-src 'self' 'unsafe-inline'" in knowledge


# ---------------------------------------------------------------- the real app


def limited_app(services: Any, **limits: Any) -> TestClient:
    """The real app on the suite's services, with rate limits of its own."""
    settings = services.settings.model_copy(update={"cors_origins": [ALLOWED], **limits})
    limited = dataclasses.replace(services, settings=settings, limits=make_rate_limits(settings))
    return TestClient(create_app(lambda: limited), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def strict(services) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with limited_app(services, rate_limit_ip_per_minute=2, clinic_name="Run <b>&</b> Co") as client:
        yield client


def test_the_real_app_limits_chat_turns(strict: TestClient) -> None:
    statuses = [strict.post("/v1/chat", json={"message": "what is cadence?"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    r = strict.post("/v1/chat/stream", json={"message": "what is cadence?"}, headers={"Origin": ALLOWED})
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
    assert r.json()["error"] == {
        "code": "rate_limited",
        "message": f"Too many messages. Please wait {r.headers['retry-after']} s and try again.",
    }
    # The widget on the clinic's site can read the 429 and its Retry-After.
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "retry-after" in r.headers["access-control-expose-headers"].lower()


def test_turns_are_limited_per_session(services) -> None:  # type: ignore[no-untyped-def]
    with limited_app(services, rate_limit_ip_per_minute=100, rate_limit_session_per_minute=2) as client:
        opened = client.post("/v1/chat", json={"message": "what is cadence?"}).json()
        again = {
            "message": "and how do I change it?",
            "session_id": opened["session_id"],
            "session_token": opened["session_token"],
        }
        codes = [client.post("/v1/chat", json=again).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert client.post("/v1/chat", json={"message": "what is cadence?"}).status_code == 200, (
            "a new session has no count yet"
        )


def test_a_wrong_token_cannot_spend_a_sessions_turns(services) -> None:  # type: ignore[no-untyped-def]
    with limited_app(services, rate_limit_ip_per_minute=100, rate_limit_session_per_minute=2) as client:
        opened = client.post("/v1/chat", json={"message": "what is cadence?"}).json()
        forged = {"message": "hi", "session_id": opened["session_id"], "session_token": "not-the-token"}
        refused = [client.post("/v1/chat", json=forged) for _ in range(3)]
        assert {r.status_code for r in refused} <= {401, 403, 404}, [r.status_code for r in refused]
        owner = {**forged, "session_token": opened["session_token"]}
        assert [client.post("/v1/chat", json=owner).status_code for _ in range(2)] == [200, 200]


def test_feedback_is_limited_per_ip(services) -> None:  # type: ignore[no-untyped-def]
    with limited_app(services, rate_limit_ip_per_minute=2) as client:
        body = {"turn_id": "t_nope", "rating": "up"}
        assert [client.post("/v1/feedback", json=body).status_code for _ in range(3)] == [404, 404, 429]


def test_the_demo_page_embeds_the_widget_with_one_script_tag(strict: TestClient) -> None:
    r = strict.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.text.count("<script") == 1
    assert '<script src="/widget.js" data-api="/"' in r.text
    assert "Run &lt;b&gt;&amp;&lt;/b&gt; Co" in r.text and "<b>&</b>" not in r.text, "settings are escaped"
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_the_widget_script_and_its_config(strict: TestClient) -> None:
    js = strict.get("/widget.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    assert js.headers["cross-origin-resource-policy"] == "cross-origin", "customers' pages may load it"
    assert "innerHTML" not in js.text and "eval(" not in js.text and "document.write" not in js.text
    config = strict.get("/v1/widget/config").json()
    assert config["clinic_name"] == "Run <b>&</b> Co"
    assert set(config) >= {"emergency_number", "booking_url", "app_name", "max_message_chars"}
    css = strict.get("/demo.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_the_api_pages_are_off_by_default_in_production(services) -> None:  # type: ignore[no-untyped-def]
    assert Settings(public_url="http://127.0.0.1:8000").serves_api_docs
    assert not Settings(public_url="https://assistant.example").serves_api_docs
    assert Settings(public_url="https://assistant.example", api_docs=True).serves_api_docs
    with TestClient(create_app(lambda: services, api_docs=False)) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404, path
        assert client.get("/healthz").status_code == 200
