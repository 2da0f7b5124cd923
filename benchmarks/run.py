"""`make bench`: latency, throughput, ingest, start-up and memory, against baselines measured in the same run.

Baselines:
- bare: one ONNX query embedding plus one Chroma query (the least any retrieval turn can cost);
- plain RAG: LangChain's `Chroma.as_retriever()` over `HuggingFaceEmbeddings` on the same knowledge.
Every figure is the median (p50) or p95 of repeated runs; the ratios are what to watch.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.scale.servers import AppServer, app_env

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parent.parent


def questions() -> list[str]:
    out: list[str] = []
    for name in ("retrieval_education.jsonl", "retrieval_exercises.jsonl"):
        path = ROOT / "evals" / "cases" / name
        if path.exists():
            out += [json.loads(line)["turns"][0] for line in path.read_text().splitlines() if line.strip()]
    return out or ["my lower back aches on long runs, is it just tight hamstrings?"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=200, help="turns per latency measurement")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()

    from assistant.embeddings import load_embeddings
    from assistant.services import build_services
    from assistant.settings import Settings

    qs = questions()
    figures: dict[str, float] = {}
    work = Path(tempfile.mkdtemp(prefix="runsource-bench-"))
    try:
        settings = Settings(data_dir=work / "data")
        # Ingest throughput: a full build into an empty index (the ONNX export is done first, not timed).
        embeddings = load_embeddings("onnx", settings.data_dir)
        from assistant.index import KnowledgeIndex

        index = KnowledgeIndex(settings, embeddings)
        report = index.ingest()
        figures["ingest_chunks_per_s"] = (report.added / report.seconds) if report.seconds else 0.0
        figures["ingest_seconds"] = report.seconds

        services = build_services(settings)
        store = services.index.store
        vec = embeddings.embed_query(qs[0])

        bare_n = iter(range(10**9))

        def bare() -> None:  # the same questions, in the same order, as the turns below
            v = embeddings.embed_query(qs[next(bare_n) % len(qs)])
            store.similarity_search_by_vector_with_relevance_scores(v, k=6)  # type: ignore[attr-defined]

        timed(bare, 20)
        bare_ms = timed(bare, args.runs)
        figures["bare_embed_plus_chroma_p50_ms"] = statistics.median(bare_ms)

        n = iter(range(10**9))

        def turn() -> None:
            services.chat.turn(None, qs[next(n) % len(qs)], "api")

        timed(turn, 20)
        turn_ms = timed(turn, args.runs)
        figures["turn_inprocess_p50_ms"] = statistics.median(turn_ms)
        figures["turn_inprocess_p95_ms"] = pct(turn_ms, 0.95)
        figures["turn_over_bare"] = (
            figures["turn_inprocess_p50_ms"] / figures["bare_embed_plus_chroma_p50_ms"]
        )

        from assistant.triage import TriageState

        qvecs = embeddings.embed_array(services.chat.triage.units(qs[0]))
        triage_ms = timed(
            lambda: services.chat.triage.assess(qs[next(n) % len(qs)], TriageState(), qvecs), args.runs
        )
        figures["triage_assess_p50_ms"] = statistics.median(triage_ms)

        # Plain LangChain RAG on the same knowledge: HuggingFaceEmbeddings + Chroma.as_retriever().
        from langchain_chroma import Chroma
        from langchain_huggingface import HuggingFaceEmbeddings

        from assistant.embeddings import bundled_model_path

        hf = HuggingFaceEmbeddings(model_name=str(bundled_model_path()))
        records = services.index.records()
        plain = Chroma.from_texts(
            [r.text for r in records],
            hf,
            ids=[r.id for r in records],
            collection_name="plain",
            persist_directory=str(work / "plain"),
        )
        retriever = plain.as_retriever(search_kwargs={"k": 6})
        timed(lambda: retriever.invoke(qs[0]), 10)
        plain_ms = timed(lambda: retriever.invoke(qs[next(n) % len(qs)]), args.runs)
        figures["plain_langchain_retriever_p50_ms"] = statistics.median(plain_ms)
        del vec

        # Over HTTP: a real uvicorn process, given the built index and ONNX model, as after
        # `runsource ingest` in `make run`; rate limits lifted, since a benchmark is a flood.
        shutil.copytree(settings.data_dir, work / "http", ignore=shutil.ignore_patterns("sessions.sqlite3*"))
        env = app_env(work / "http", rate_limit_ip_per_minute=10**6, rate_limit_session_per_minute=10**6)
        server = AppServer(env, work / "server.log", workers=1)
        start = time.perf_counter()
        server.start(timeout=120)
        figures["start_to_ready_s"] = time.perf_counter() - start
        try:
            url = f"{server.url}/v1/chat"
            with httpx.Client(timeout=30) as client:

                def http_turn() -> None:
                    r = client.post(url, json={"message": qs[next(n) % len(qs)], "channel": "api"})
                    r.raise_for_status()

                timed(http_turn, 20)
                http_ms = timed(http_turn, args.runs)
            figures["turn_http_p50_ms"] = statistics.median(http_ms)
            figures["turn_http_p95_ms"] = pct(http_ms, 0.95)
            figures["http_over_plain_retriever"] = (
                figures["turn_http_p50_ms"] / figures["plain_langchain_retriever_p50_ms"]
            )

            def client_loop(count: int) -> int:
                with httpx.Client(timeout=30) as c:
                    for i in range(count):
                        c.post(url, json={"message": qs[i % len(qs)], "channel": "api"}).raise_for_status()
                return count

            start = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                total = sum(pool.map(client_loop, [args.runs // 4] * 8))
            figures["throughput_8_clients_turns_per_s"] = total / (time.perf_counter() - start)
            assert server.proc is not None
            figures["server_peak_rss_mb"] = peak_rss_mb(server.proc.pid)
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    width = max(map(len, figures))
    for key, value in figures.items():
        print(f"{key:<{width}}  {value:10.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
