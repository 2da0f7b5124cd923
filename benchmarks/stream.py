"""Streaming latency over HTTP: time to the first `meta` event, first `delta` and `done`.

    python -m benchmarks.stream                     # starts its own server on a free port
    python -m benchmarks.stream --url http://127.0.0.1:8000 --turns 40 --repeats 5

Each repeat sends `--turns` questions (a new session each, as a runner opening the widget would)
and takes p50 and p95; the figures reported are the medians of those over the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.scale.servers import AppServer, app_env

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parent.parent

QUESTIONS = [
    "my lower back aches on long runs, is it just tight hamstrings?",
    "how many dead bugs should I do?",
    "what is a good running cadence for my back?",
    "does stretching my hamstrings help back pain when running?",
    "my back hurts after speed work, what exercises help?",
    "should I get a scan for my low back pain?",
    "when can I start running again after a flare up?",
    "my back hurts and since yesterday I can't feel the toilet paper when I wipe",
]
MARKS = ("meta", "first_delta", "done")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def one_turn(client: httpx.Client, base: str, message: str) -> dict[str, float]:
    """Milliseconds from sending the request to each mark, read off the wire as it arrives."""
    seen: dict[str, float] = {}
    start = time.perf_counter()
    with client.stream("POST", f"{base}/v1/chat/stream", json={"message": message, "channel": "web"}) as r:
        if r.status_code != 200:
            raise SystemExit(f"{r.status_code} from {base}: {r.read().decode()[:300]}")
        event = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                mark = {"meta": "meta", "delta": "first_delta", "done": "done"}.get(event)
                if mark and mark not in seen:
                    seen[mark] = (time.perf_counter() - start) * 1000
    missing = [m for m in MARKS if m not in seen]
    if missing:
        raise SystemExit(f"the stream for {message!r} had no {', '.join(missing)} event")
    return seen


def measure(base: str, turns: int = 40, repeats: int = 5, warmup: int = 20) -> dict[str, dict[str, float]]:
    """p50 and p95 of each mark, as the median over `repeats` runs of `turns` turns."""
    per_run: dict[str, dict[str, list[float]]] = {m: {"p50": [], "p95": []} for m in MARKS}
    with httpx.Client(timeout=60) as client:
        for n in range(warmup):
            one_turn(client, base, QUESTIONS[n % len(QUESTIONS)])
        for _ in range(repeats):
            samples = [one_turn(client, base, QUESTIONS[n % len(QUESTIONS)]) for n in range(turns)]
            for mark in MARKS:
                values = [s[mark] for s in samples]
                per_run[mark]["p50"].append(pct(values, 0.50))
                per_run[mark]["p95"].append(pct(values, 0.95))
    return {
        mark: {k: round(statistics.median(v), 1) for k, v in stats.items()} for mark, stats in per_run.items()
    }


@contextmanager
def own_server(data_dir: Path | None) -> Iterator[str]:
    """A server on a free loopback port with the rate limits lifted (a benchmark is a flood)."""
    with tempfile.TemporaryDirectory(prefix="runsource-bench-") as tmp:
        env = app_env(
            data_dir or Path(tmp), rate_limit_ip_per_minute=10**6, rate_limit_session_per_minute=10**6
        )
        server = AppServer(env, Path(tmp) / "server.log", workers=1)
        server.start(timeout=300)  # a fresh data folder: the ONNX export and the index come first
        try:
            yield server.url
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running server; default: start one on a free port")
    ap.add_argument(
        "--data-dir", type=Path, help="the started server's data folder (default: a temporary one)"
    )
    ap.add_argument("--turns", type=int, default=40, help="turns per repeat (default 40)")
    ap.add_argument("--repeats", type=int, default=5, help="repeats; reports the median of their p50 and p95")
    ap.add_argument(
        "--warmup",
        type=int,
        default=20,
        help="turns first, not counted (a just-built index is slower at first)",
    )
    ap.add_argument(
        "--json", type=Path, default=ROOT / "build" / "bench" / "stream.json", help="figures file"
    )
    args = ap.parse_args(argv)

    if args.url:
        figures = measure(args.url.rstrip("/"), args.turns, args.repeats, args.warmup)
    else:
        with own_server(args.data_dir) as base:
            figures = measure(base, args.turns, args.repeats, args.warmup)

    print(
        f"streamed turns over HTTP: {args.turns} turns x {args.repeats} repeats, "
        "median of the runs' percentiles"
    )
    print(f"{'event':<14}{'p50 ms':>10}{'p95 ms':>10}")
    for mark, stats in figures.items():
        print(f"{mark:<14}{stats['p50']:>10.1f}{stats['p95']:>10.1f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    report = {"turns": args.turns, "repeats": args.repeats, "warmup": args.warmup, "ms": figures}
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
