"""The `runsource` command, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from assistant.settings import ROOT


def run(data_dir: Path, *args: str, knowledge: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUNSOURCE_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    if knowledge:
        env["RUNSOURCE_KNOWLEDGE_DIR"] = str(knowledge)
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ask_json_prints_the_contract_object(services, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    question = "my lower back aches on long runs, is it just tight hamstrings? What exercises help?"
    out = run(data_dir, "ask", "--json", question)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["triage"]["level"] == "none"
    assert body["citations"] and body["exercises"]


def test_ask_prints_a_readable_reply(services, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    out = run(data_dir, "ask", "what", "is", "a", "dead", "bug?")
    assert out.returncode == 0, out.stderr
    assert "triage: none" in out.stdout and "Dead bug" in out.stdout


def test_ask_builds_the_index_when_it_is_missing(tmp_path: Path, data_dir: Path) -> None:
    fresh = tmp_path / "fresh"
    (fresh / "onnx").mkdir(parents=True)
    for f in (data_dir / "onnx").iterdir():  # reuse the export; the index itself starts empty
        (fresh / "onnx" / f.name).write_bytes(f.read_bytes())
    out = run(fresh, "ask", "--json", "how do I do a bird dog?")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["citations"][0]["id"] == "ex-bird-dog"


def test_ingest_reports_a_bad_file_and_fails(tmp_path: Path, data_dir: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("---\nid: Bad Id\n---\nbody")
    out = run(data_dir, "ingest", str(bad))
    assert out.returncode == 2
    assert "bad.md" in out.stderr and "field" in out.stderr


def test_help_lists_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    for command in ("ask", "chat", "serve", "ingest", "eval", "audit", "purge", "forget"):
        assert command in out.stdout


def test_a_session_goes_on_only_with_its_token(services, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    first = json.loads(run(data_dir, "ask", "--json", "how many dead bugs should I do?").stdout)
    sid, token = first["session_id"], first["session_token"]
    refused = run(data_dir, "ask", "--session", sid, "how do I make them harder?")
    assert refused.returncode == 2 and "session_token" in refused.stderr
    invented = run(data_dir, "ask", "--session", "s_made_up", "--token", token, "hello")
    assert invented.returncode == 2 and "No session" in invented.stderr
    going_on = run(
        data_dir, "ask", "--json", "--session", sid, "--token", token, "how do I make them harder?"
    )
    assert going_on.returncode == 0, going_on.stderr
    assert json.loads(going_on.stdout)["session_id"] == sid
