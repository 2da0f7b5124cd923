"""The HTTP edge: rate limits, CORS allow-list, security headers and CSP, and the pages we serve."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.api.security import EdgeMiddleware, RateLimiter, content_security_policy
from assistant.settings import Settings

ALLOWED = "https://clinic.example"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_the_limit_then_says_when_to_come_back() -> None:
    clock = Clock()
    limiter = RateLimiter(3, clock=clock)
    assert [limiter.retry_after("ip") for _ in range(3)] == [None, None, None]
    assert limiter.retry_after("ip") == 20  # one token every 20 s at 3 a minute
    assert limiter.retry_after("other") is None, "keys are counted apart"
    clock.now += 20
    assert limiter.retry_after("ip") is None
    assert limiter.retry_after("ip") is not None


def test_idle_buckets_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(5, clock=clock)
    for n in range(100):
        limiter.retry_after(f"ip-{n}")
    clock.now += 61
    limiter.retry_after("fresh")
    assert len(limiter) == 1


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


def test_turns_are_limited_per_ip_with_retry_after() -> None:
    client = edge_app(rate_limit_ip_per_minute=3, cors_origins=[ALLOWED])
    for n in range(3):
        r = client.post("/v1/chat", json={"message": f"hi {n}"})
        assert r.status_code == 200
        assert r.json()["echo"] == f'{{"message":"hi {n}"}}', "the body reaches the route untouched"
    r = client.post("/v1/chat", json={"message": "one more"}, headers={"Origin": ALLOWED})
    assert r.status_code == 429
    assert r.json() == {
        "error": {"code": "rate_limited", "message": "Too many messages. Please wait 20 s and try again."}
    }
    assert r.headers["retry-after"] == "20"
    # The widget on the clinic's site can read the 429 and its Retry-After.
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "retry-after" in r.headers["access-control-expose-headers"].lower()


def test_turns_are_limited_per_session() -> None:
    client = edge_app(rate_limit_ip_per_minute=100, rate_limit_session_per_minute=2)
    codes = [
        client.post("/v1/chat", json={"message": "hi", "session_id": "s_a"}).status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    assert client.post("/v1/chat", json={"message": "hi", "session_id": "s_b"}).status_code == 200
    assert client.post("/v1/chat", json={"message": "hi"}).status_code == 200, (
        "a new session has no count yet"
    )


def test_an_oversized_body_is_refused_before_it_is_read_whole() -> None:
    client = edge_app()
    r = client.post("/v1/chat", content=b'{"message": "' + b"a" * 70_000 + b'"}')
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"


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
    assert content_security_policy("/docs", "text/html") is None, "FastAPI's API pages keep working"
    knowledge = content_security_policy("/knowledge/edu-cadence", "text/html; charset=utf-8")
    assert knowledge and "script-src 'none'" in knowledge and "style-src 'self' 'unsafe-inline'" in knowledge


# ---------------------------------------------------------------- the real app


@pytest.fixture(scope="module")
def strict(services) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = services.settings.model_copy(
        update={
            "rate_limit_ip_per_minute": 2,
            "cors_origins": [ALLOWED],
            "clinic_name": "Run <b>&</b> Co",
        }
    )
    app = create_app(lambda: dataclasses.replace(services, settings=settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_the_real_app_limits_chat_turns(strict: TestClient) -> None:
    statuses = [strict.post("/v1/chat", json={"message": "what is cadence?"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    r = strict.post("/v1/chat/stream", json={"message": "what is cadence?"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


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


def test_limits_are_shared_through_redis_when_the_sessions_are() -> None:
    pytest.importorskip("redis")
    from assistant.api.security import make_limiter
    from assistant.ratelimit_redis import RedisRateLimiter

    local = make_limiter(Settings(), 5, "ip")
    assert isinstance(local, RateLimiter)
    shared = make_limiter(Settings(sessions_url="redis://127.0.0.1:1/0"), 5, "ip")
    assert isinstance(shared, RedisRateLimiter) and shared.prefix == "runsource:rl:ip:"
    # Redis down: the limiter lets the turn through, and the edge does not fail because of it.
    client = edge_app(sessions_url="redis://127.0.0.1:1/0", rate_limit_ip_per_minute=1)
    assert [client.post("/v1/chat", json={"message": "hi"}).status_code for _ in range(2)] == [200, 200]
