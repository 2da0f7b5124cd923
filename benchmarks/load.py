"""`make load`: simulated runners holding multi-turn conversations against `uvicorn --workers 2`.

For each configuration (the embedded defaults; Chroma server + Redis) it starts the servers on
free loopback ports, then runs, all bounded in count and time:

1. burst: N concurrent conversations (default 50) of several turns each, no think time;
   the targets are zero errors and zero lost turns (every acknowledged turn is in the store);
2. ladder: open-loop arrivals at rising rates (turns/s), each step a few seconds, until p95 passes
   500 ms, the server falls behind, or the top rate is reached; reports the knee;
3. limits (embedded only): the default per-session and per-IP rate limits, with 2 workers.

Everything goes to 127.0.0.1 only. The report is printed and written to build/load/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.scale.servers import (
    ROOT,
    AppServer,
    ChromaServer,
    RedisServer,
    app_env,
    chroma_available,
    ingest,
    redis_available,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

P95_LIMIT_MS = 500.0
MAX_IN_FLIGHT = 300  # past this the server is far behind; the ladder stops instead of piling on

# Conversations a runner might have: education, exercises, follow-ups, symptoms, a red flag.
CONVERSATIONS: list[list[str]] = [
    ["hi", "my lower back aches on long runs, is it just tight hamstrings?", "what can I do about it?",
     "how many of those should I do?"],
    ["why does my back hurt after running downhill?", "which exercises help with that?", "thanks!"],
    ["is it normal for my lower back to be stiff in the morning after a long run?",
     "does stretching help?", "what about core work?"],
    ["my back hurts and my left leg feels numb below the knee", "it started two days ago",
     "should I keep running?"],
    ["what is the RUNsource program?", "which program is for beginners?", "what does week one look like?"],
    ["I have numbness in my saddle area and trouble peeing since this morning", "what should I do?"],
    ["does running cadence matter for back pain?", "how do I change it?", "and my shoes?"],
    ["can you recommend a good pizza place?", "ok, then how do I warm up before a run?"],
]  # fmt: skip


@dataclass
class Sample:
    ms: float
    status: int
    error: str = ""


@dataclass
class Tally:
    """Latencies and outcomes of one phase, and every acknowledged turn per session."""

    samples: list[Sample] = field(default_factory=list)
    acked: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, sample: Sample, reply: dict[str, Any] | None) -> None:
        self.samples.append(sample)
        if reply is not None:
            self.acked.setdefault(reply["session_id"], []).append(reply["turn_id"])

    def summary(self) -> dict[str, Any]:
        ok = [s.ms for s in self.samples if s.status == 200]
        errors = [s for s in self.samples if s.status != 200]
        kinds: dict[str, int] = {}
        for s in errors:
            kinds[s.error or str(s.status)] = kinds.get(s.error or str(s.status), 0) + 1
        return {
            "requests": len(self.samples),
            "ok": len(ok),
            "errors": len(errors),
            "error_rate": round(len(errors) / len(self.samples), 4) if self.samples else 0.0,
            "error_kinds": kinds,
            "seconds": round(self.seconds, 2),
            "throughput_rps": round(len(ok) / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": round(pct(ok, 0.50), 1),
            "p95_ms": round(pct(ok, 0.95), 1),
            "p99_ms": round(pct(ok, 0.99), 1),
            "max_ms": round(max(ok), 1) if ok else 0.0,
            "mean_ms": round(statistics.fmean(ok), 1) if ok else 0.0,
        }


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


TOKENS: dict[str, str] = {}  # each session's token, kept as a client keeps it


async def one_turn(
    client: httpx.AsyncClient, session_id: str | None, message: str, tally: Tally
) -> dict[str, Any] | None:
    started = time.perf_counter()
    body: dict[str, Any] = {"message": message, "channel": "api"}
    if session_id:
        body["session_id"] = session_id
        body["session_token"] = TOKENS.get(session_id)
    try:
        resp = await client.post("/v1/chat", json=body)
    except httpx.HTTPError as exc:
        tally.add(Sample((time.perf_counter() - started) * 1000, 0, type(exc).__name__), None)
        return None
    ms = (time.perf_counter() - started) * 1000
    if resp.status_code != 200:
        code = ""
        with suppress(ValueError, KeyError, TypeError):
            code = resp.json()["error"]["code"]
        tally.add(Sample(ms, resp.status_code, f"{resp.status_code} {code}".strip()), None)
        return None
    reply: dict[str, Any] = resp.json()
    if reply.get("session_token"):
        TOKENS[reply["session_id"]] = reply["session_token"]
    tally.add(Sample(ms, 200), reply)
    return reply


async def conversation(client: httpx.AsyncClient, script: list[str], tally: Tally, deadline: float) -> None:
    session_id: str | None = None
    for message in script:
        if time.monotonic() > deadline:
            return
        reply = await one_turn(client, session_id, message, tally)
        if reply is None:
            return  # a runner whose turn failed gives up on this conversation
        session_id = reply["session_id"]


def client_for(url: str, connections: int, timeout: float = 30.0) -> httpx.AsyncClient:
    # Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them, so a request
    # never races the server's close on a reused connection (a client artefact, not a server error).
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=3.0
    )
    return httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits)


async def burst(url: str, conversations: int, turns: int, seconds: float) -> Tally:
    """`conversations` runners at once, each with a conversation of up to `turns` turns."""
    tally = Tally()
    rng = random.Random(8)
    scripts = [(CONVERSATIONS[i % len(CONVERSATIONS)] * 2)[:turns] for i in range(conversations)]
    rng.shuffle(scripts)
    deadline = time.monotonic() + seconds
    async with client_for(url, conversations) as client:
        started = time.perf_counter()
        await asyncio.gather(*(conversation(client, s, tally, deadline) for s in scripts))
        tally.seconds = time.perf_counter() - started
    return tally


async def ladder_step(url: str, rate: float, seconds: float, turns: int) -> tuple[Tally, bool]:
    """Open-loop arrivals at `rate` turns/s for `seconds`; returns the tally and whether it kept up."""
    tally = Tally()
    rng = random.Random(int(rate * 100))
    idle: list[tuple[str, list[str]]] = []  # sessions waiting for their next turn, with what is left
    in_flight: set[asyncio.Task[None]] = set()
    kept_up = True

    async def turn(session_id: str | None, script: list[str]) -> None:
        reply = await one_turn(client, session_id, script[0], tally)
        if reply is not None and len(script) > 1:
            idle.append((reply["session_id"], script[1:]))

    async with client_for(url, MAX_IN_FLIGHT) as client:
        started = time.perf_counter()
        n = 0
        while time.perf_counter() - started < seconds:
            due = started + n / rate
            if due > time.perf_counter():
                await asyncio.sleep(due - time.perf_counter())
            if len(in_flight) >= MAX_IN_FLIGHT:
                kept_up = False
                break
            if idle and rng.random() < 0.75:
                session_id, script = idle.pop(rng.randrange(len(idle)))
            else:
                session_id, script = None, CONVERSATIONS[rng.randrange(len(CONVERSATIONS))][:turns]
            task = asyncio.create_task(turn(session_id, script))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            n += 1
        if in_flight:
            await asyncio.wait(in_flight, timeout=60)
        tally.seconds = time.perf_counter() - started
    return tally, kept_up


async def ladder(
    url: str, rates: list[float], step_s: float, turns: int, deadline: float, refine: int = 2
) -> dict[str, Any]:
    """Rising open-loop rates until p95 passes the limit, then `refine` bisection steps between the
    last rate under it and the first over it, so the knee is known within a few turns/s."""
    steps: list[dict[str, Any]] = []
    all_turns = Tally()
    knee: dict[str, Any] = {}

    async def step(rate: float) -> dict[str, Any]:
        tally, kept_up = await ladder_step(url, rate, step_s, turns)
        for sid, tids in tally.acked.items():
            all_turns.acked.setdefault(sid, []).extend(tids)
        row = {"offered_rps": rate, **tally.summary(), "kept_up": kept_up}
        row["over"] = row["p95_ms"] > P95_LIMIT_MS or not kept_up or bool(row["errors"])
        steps.append(row)
        print(
            f"    ladder {rate:6.1f}/s: {row['throughput_rps']:6.2f} ok/s  p50 {row['p50_ms']:7.1f}  "
            f"p95 {row['p95_ms']:7.1f}  p99 {row['p99_ms']:7.1f} ms  errors {row['errors']}",
            flush=True,
        )
        await asyncio.sleep(2.0)  # let the queue drain between steps
        return row

    under: dict[str, Any] | None = None
    over: dict[str, Any] | None = None
    for rate in rates:
        if time.monotonic() + step_s > deadline:
            knee["stopped"] = "time budget"
            break
        row = await step(rate)
        if row["over"]:
            over = row
            break
        under = row
    else:
        knee["stopped"] = "top rate reached with p95 under the limit"
    for _ in range(refine):
        if over is None:
            break
        low = under["offered_rps"] if under else 0.0
        mid = round((low + over["offered_rps"]) / 2, 1)
        if mid - low < 1 or time.monotonic() + step_s > deadline:
            break
        row = await step(mid)
        if row["over"]:
            over = row
        else:
            under = row
    if over:
        knee = {"first_over": over, "last_under": under}
    return {"steps": steps, "knee": knee, "acked": all_turns.acked}


def lost_turns(acked: dict[str, list[str]], history: Callable[[str], list[str]]) -> list[str]:
    """Acknowledged turn ids that are not in their session's stored history."""
    lost: list[str] = []
    for session_id, turn_ids in acked.items():
        stored = set(history(session_id))
        lost += [t for t in turn_ids if t not in stored]
    return lost


def history_reader(
    url: str, sessions_url: str | None, data_dir: Path
) -> tuple[str, Callable[[str], list[str]]]:
    """How to read a session's stored turn ids: `GET /v1/sessions/{id}` when the app has it (any
    worker may answer, which also shows the workers share the store), else the store itself."""
    client = httpx.Client(base_url=url, timeout=30)
    if "/v1/sessions/{session_id}" in client.get("/openapi.json").json().get("paths", {}):

        def over_http(sid: str) -> list[str]:
            auth = {"Authorization": f"Bearer {TOKENS.get(sid, '')}"}
            resp = client.get(f"/v1/sessions/{sid}", params={"limit": 200}, headers=auth)
            return [t["turn_id"] for t in resp.json()["turns"]] if resp.status_code == 200 else []

        return "GET /v1/sessions/{id}", over_http
    if sessions_url:
        from assistant.sessions_redis import RedisSessions

        store: Any = RedisSessions(sessions_url)
    else:
        from assistant.sessions import SQLiteSessions

        store = SQLiteSessions(data_dir / "sessions.sqlite3")
    return "the session store", lambda sid: [t.turn_id for t in store.history(sid, limit=1000)]


async def limits(url: str) -> dict[str, Any]:
    """The default limits (20 turns per session, 60 per IP per minute) with two workers."""
    out: dict[str, Any] = {}
    # Fresh connections per request, so the kernel spreads them over both workers as a proxy would.
    async with httpx.AsyncClient(
        base_url=url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
    ) as c:
        first = await c.post("/v1/chat", json={"message": "hi"})
        sid = first.json().get("session_id") if first.status_code == 200 else None
        token = first.json().get("session_token") if first.status_code == 200 else None
        codes = [first.status_code]
        for _ in range(39):
            body = {"message": "what helps a stiff back?", "session_id": sid, "session_token": token}
            r = await c.post("/v1/chat", json=body)
            codes.append(r.status_code)
        out["one_session_40_turns"] = {"ok": codes.count(200), "limited": codes.count(429), "configured": 20}
        await asyncio.sleep(61)  # let every bucket refill
        codes = []
        for _ in range(150):
            r = await c.post("/v1/chat", json={"message": "hi"})
            codes.append(r.status_code)
        out["one_ip_150_new_sessions"] = {
            "ok": codes.count(200),
            "limited": codes.count(429),
            "configured": 60,
        }
    return out


@contextmanager
def configuration(
    name: str, work: Path, *, workers: int, rate_limits: bool
) -> Iterator[tuple[AppServer, str | None]]:
    """Servers for one configuration; yields the app server and the sessions URL (None = SQLite)."""
    data = work / "data"
    started: list[Any] = []
    try:
        settings: dict[str, Any] = {}
        if name == "servers":
            redis = RedisServer(work / "redis", appendonly=True)
            chroma = ChromaServer(work / "chroma-server")
            for server in (redis, chroma):
                server.start()
                started.append(server)
            settings.update(sessions_url=redis.url, chroma_url=chroma.url)
        else:
            (data / "sessions.sqlite3").unlink(missing_ok=True)
        if not rate_limits:
            settings.update(rate_limit_ip_per_minute=10_000_000, rate_limit_session_per_minute=1_000_000)
        env = app_env(data, log_level="warning", **settings)
        t = time.perf_counter()
        ingest(env)
        print(f"  ingest: {time.perf_counter() - t:.1f} s", flush=True)
        app = AppServer(env, work / f"uvicorn-{name}.log", workers=workers)
        t = time.perf_counter()
        app.start(timeout=180)
        print(f"  {workers} workers ready in {time.perf_counter() - t:.1f} s at {app.url}", flush=True)
        started.append(app)
        yield app, settings.get("sessions_url")
    finally:
        for server in reversed(started):
            server.stop()


async def run_config(name: str, args: argparse.Namespace, work: Path, deadline: float) -> dict[str, Any]:
    # Other work on the machine skews every figure: the load average is kept with them.
    result: dict[str, Any] = {"config": name, "load_average_before": round(os.getloadavg()[0], 2)}
    with configuration(name, work, workers=args.workers, rate_limits=False) as (app, sessions_url):
        await burst(app.url, 4, 2, 30)  # warm-up: first requests load lazy parts in each worker
        b = await burst(app.url, args.conversations, args.turns, args.burst_seconds)
        checked_by, history = history_reader(app.url, sessions_url, work / "data")
        lost = lost_turns(b.acked, history)
        result["lost_turns_checked_by"] = checked_by
        result["burst"] = {
            "conversations": args.conversations,
            "turns_each": args.turns,
            **b.summary(),
            "acknowledged_turns": sum(len(v) for v in b.acked.values()),
            "lost_turns": len(lost),
        }
        s = result["burst"]
        print(
            f"  burst {args.conversations} conversations: {s['requests']} turns, {s['throughput_rps']} ok/s, "
            f"p50 {s['p50_ms']} p95 {s['p95_ms']} p99 {s['p99_ms']} ms, errors {s['errors']}, "
            f"lost {s['lost_turns']}",
            flush=True,
        )
        lad = await ladder(app.url, args.rates, args.step_seconds, args.turns, deadline)
        result["load_average_after"] = round(os.getloadavg()[0], 2)
        lad_lost = lost_turns(lad.pop("acked"), history)
        lad["lost_turns"] = len(lad_lost)
        result["ladder"] = lad
    if args.limits and name == "embedded" and time.monotonic() + 120 < deadline:
        with configuration(name, work, workers=args.workers, rate_limits=True) as (app, _):
            result["limits"] = await limits(app.url)
            print(f"  limits: {result['limits']}", flush=True)
    return result


def markdown(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        "# Load test",
        "",
        f"{args.workers} uvicorn workers on 127.0.0.1, {os.cpu_count()} cores (client on the same machine).",
        "",
        "| configuration | phase | turns | ok/s | p50 ms | p95 ms | p99 ms | errors | lost turns |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        b = r["burst"]
        lines.append(
            f"| {r['config']} | {b['conversations']} concurrent conversations | {b['requests']} | "
            f"{b['throughput_rps']} | {b['p50_ms']} | {b['p95_ms']} | {b['p99_ms']} | {b['errors']} | "
            f"{b['lost_turns']} |"
        )
        for step in sorted(r["ladder"]["steps"], key=lambda row: row["offered_rps"]):
            lines.append(
                f"| {r['config']} | open loop {step['offered_rps']}/s | {step['requests']} | "
                f"{step['throughput_rps']} | {step['p50_ms']} | {step['p95_ms']} | {step['p99_ms']} | "
                f"{step['errors']} | |"
            )
    lines += ["", "Knee (p95 passes 500 ms):", ""]
    for r in results:
        knee = r["ladder"]["knee"]
        under = knee.get("last_under")
        over = knee.get("first_over")
        if over:
            lines.append(
                f"- {r['config']}: p95 {over['p95_ms']} ms at {over['offered_rps']} turns/s offered "
                f"({over['throughput_rps']} ok/s); last under: "
                + (f"{under['offered_rps']} turns/s (p95 {under['p95_ms']} ms)" if under else "none")
            )
        else:
            lines.append(f"- {r['config']}: {knee.get('stopped', 'not reached')}")
        lines.append(
            f"- {r['config']}: machine load average {r['load_average_before']} before, "
            f"{r.get('load_average_after', '?')} after (2 cores; above 2 means other work shared them)"
        )
        if "limits" in r:
            lines.append(
                f"- {r['config']} rate limits with {args.workers} workers: {json.dumps(r['limits'])}"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", choices=["embedded", "servers", "both"], default="both")
    p.add_argument("--conversations", type=int, default=50)
    p.add_argument("--turns", type=int, default=6, help="turns per conversation (at most)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--burst-seconds", type=float, default=180.0, help="time bound of the burst phase")
    p.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")],
                   default=[2, 5, 10, 15, 20, 30, 40, 50, 60, 80, 100, 120])  # fmt: skip
    p.add_argument("--step-seconds", type=float, default=10.0)
    p.add_argument("--no-limits", dest="limits", action="store_false", help="skip the rate-limit phase")
    p.add_argument("--budget", type=float, default=1200.0, help="overall time bound, seconds")
    p.add_argument("--out", type=Path, default=ROOT / "build" / "load")
    args = p.parse_args(argv)

    configs = ["embedded", "servers"] if args.config == "both" else [args.config]
    if "servers" in configs:
        missing = redis_available() or chroma_available()
        if missing:
            print(f"skipping Chroma server + Redis: {missing}", file=sys.stderr)
            configs.remove("servers")
    deadline = time.monotonic() + args.budget
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for name in configs:
        work = args.out / name
        if name == "servers":  # fresh Redis and Chroma data; the ONNX export is reused
            shutil.rmtree(work / "redis", ignore_errors=True)
            shutil.rmtree(work / "chroma-server", ignore_errors=True)
        (work / "data").mkdir(parents=True, exist_ok=True)
        shared_onnx = args.out / "embedded" / "data" / "onnx"
        if name != "embedded" and shared_onnx.exists() and not (work / "data" / "onnx").exists():
            shutil.copytree(shared_onnx, work / "data" / "onnx")
        print(f"{name}:", flush=True)
        results.append(asyncio.run(run_config(name, args, work, deadline)))
    report = markdown(results, args)
    (args.out / "report.json").write_text(json.dumps(results, indent=2))
    (args.out / "report.md").write_text(report)
    print()
    print(report)
    failed = [r["config"] for r in results if r["burst"]["errors"] or r["burst"]["lost_turns"]]
    failed += [r["config"] for r in results if r["ladder"]["lost_turns"]]
    if failed:
        print(f"FAILED targets (errors or lost turns at {args.conversations} conversations): {failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
