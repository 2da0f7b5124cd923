"""`POST /v1/chat/stream` with the LLM responder: meta, the model's own deltas, then done."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from fastapi.testclient import TestClient

from assistant.api import create_app
from tests.responders.conversation import LLMConversation
from tests.responders.fakes import ScriptedChatModel
from tests.responders.test_llm_responder import GOOD

QUESTION = "My low back aches on long runs. Is it just tight hamstrings?"


def events(client: TestClient, message: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    with client.stream("POST", "/v1/chat/stream", json={"message": message, "channel": "web"}) as r:
        assert r.status_code == 200
        name = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                out.append((name, json.loads(line[6:])))
    return out


def stream_with(services: Any, script: list[str]) -> list[tuple[str, dict[str, Any]]]:
    chat = LLMConversation.scripted(services, ScriptedChatModel(script)).chat
    app = create_app(lambda: dataclasses.replace(services, chat=chat))
    with TestClient(app) as client:
        return events(client, QUESTION)


def test_model_tokens_stream_and_add_up_to_the_done_reply(services) -> None:  # type: ignore[no-untyped-def]
    got = stream_with(services, [GOOD])
    names = [n for n, _ in got]
    assert names[0] == "meta" and names[-1] == "done" and names.count("delta") >= 3
    assert got[0][1]["triage"]["level"] == "none" and got[0][1]["mode"] == "llm"
    done = got[-1][1]
    assert done["mode"] == "llm" and done["citations"]
    assert "".join(d["text"] for n, d in got if n == "delta") == done["reply"]
    assert done["turn_id"] == got[0][1]["turn_id"]


def test_a_dose_is_cut_off_and_done_carries_the_safe_reply(services) -> None:  # type: ignore[no-untyped-def]
    got = stream_with(services, ["Hamstrings are rarely the whole story [1]. Take 400 mg ibuprofen [1]."])
    shown = "".join(d["text"] for n, d in got if n == "delta")
    done = got[-1][1]
    assert "400 mg" not in shown and "400 mg" not in done["reply"]
    assert done["mode"] == "grounded" and done["reply"] != shown
