"""The harness against the real assistant: in-process, and over HTTP against a real uvicorn server
on a free loopback port; both must give the same figures (latency aside)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings
from evals import cli
from tests.scale.servers import AppServer, app_env

SUBSET = (
    "^(scope-weather|scope-inscope-core|dose-ibuprofen-how-much|diag-disc-yes-no|inject-doctorgpt"
    "|inject-fake-system-level|prio-core-pee|prio-deadbug-leg|fine-cancer-night|mt-redflag-turn3"
    "|mt-followup-deadbug|mt-age-accumulates|para-cadence-.|para-saddle-.|greet-hi)$"
)


@pytest.fixture(scope="module")
def env(services: Any, settings: Settings) -> dict[str, str]:
    """Settings for both runs: the session's data folder, already indexed by `services`."""
    return {
        "RUNSOURCE_DATA_DIR": str(settings.data_dir),
        "RUNSOURCE_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        "RUNSOURCE_PROMPTS_DIR": str(settings.prompts_dir),
        "RUNSOURCE_RATE_LIMIT_IP_PER_MINUTE": "100000",
        "RUNSOURCE_RATE_LIMIT_SESSION_PER_MINUTE": "100000",
    }


@pytest.fixture(scope="module")
def server(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # RUNSOURCE_PUBLIC_URL as in-process, so citation urls agree; the session's data folder.
    full = app_env(Path(env["RUNSOURCE_DATA_DIR"]), public_url="http://127.0.0.1:8000")
    full.update(env)
    server = AppServer(full, tmp_path_factory.mktemp("eval-server") / "server.log", workers=1)
    try:
        server.start(timeout=180)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield server.url
    finally:
        server.stop()


def _run(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], out: Path, *extra: str
) -> tuple[int, dict[str, Any]]:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("RUNSOURCE_PUBLIC_URL", "http://127.0.0.1:8000")
    monkeypatch.delenv("RUNSOURCE_LLM", raising=False)
    code = cli.main(["--only", SUBSET, "--no-gates", "--no-progress", "--out", str(out), *extra])
    return code, json.loads((out / "report.json").read_text())


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report["figures"].items() if not k.startswith("latency.")}


def test_in_process_and_url_give_the_same_figures(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], server: str, tmp_path: Path
) -> None:
    code, local = _run(monkeypatch, env, tmp_path / "local")
    assert code == 0
    assert local["figures"]["cases.total"] == 19 and local["figures"]["cases.errors"] == 0
    assert local["meta"]["target"] == "in-process"
    code, remote = _run(monkeypatch, env, tmp_path / "remote", "--url", server)
    assert code == 0
    assert remote["meta"]["target"] == server
    assert _comparable(remote) == _comparable(local)
    for a, b in zip(local["cases"], remote["cases"], strict=True):
        assert a["id"] == b["id"] and a["failures"] == b["failures"]
        assert [t["reply"]["reply"] for t in a["turns"]] == [t["reply"]["reply"] for t in b["turns"]]
    measured = _comparable(local)
    for figure in ("groundedness", "readability", "retrieval.hit@3", "triage.recall.emergency"):
        assert measured[figure] is not None, figure
