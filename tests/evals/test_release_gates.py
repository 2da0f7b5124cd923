"""The release gates on every golden case, in-process: the check CI runs on each change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings
from evals import cli


def test_the_release_gates_hold(
    services: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RUNSOURCE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RUNSOURCE_KNOWLEDGE_DIR", str(settings.knowledge_dir))
    monkeypatch.setenv("RUNSOURCE_PROMPTS_DIR", str(settings.prompts_dir))
    monkeypatch.delenv("RUNSOURCE_LLM", raising=False)
    code = cli.main(["--no-progress", "--no-judge", "--out", str(tmp_path)])
    report = json.loads((tmp_path / "report.json").read_text())
    failed = [f"{g['metric']} = {g['value']} (needs {g['rule']})" for g in report["gates"] if not g["passed"]]
    cases = [f"{c['id']}: {c['failures'][0]}" for c in report["cases"] if not c["passed"]][:15]
    assert code == 0, (
        "gates failed:\n  " + "\n  ".join(failed) + "\nfirst failing cases:\n  " + "\n  ".join(cases)
    )
