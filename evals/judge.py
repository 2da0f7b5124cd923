"""Optional LLM judge: a rubric (relevance, agreement with the clinical rules) scored by a chat model.

Runs only when `RUNSOURCE_LLM` names a model (see the LLM responder settings); each checkpoint is
graded `repeats` times, and the figures are the mean and the spread (population standard
deviation) of the grades, scaled from 1-5 to 0-1. Any LangChain `BaseChatModel` works, so tests
use a scripted fake model.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from assistant.errors import ConfigError
from evals.metrics.base import Figures, Metric, MetricResult, Scored, mean
from evals.runner import Checkpoint

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.settings import Settings

PROMPT_FILE = Path(__file__).resolve().parent / "judge.yaml"
JUDGE_TOKENS = 200
SKIPPED = (
    "LLM judge skipped: RUNSOURCE_LLM is not set. Set it (for example openai:gpt-4o-mini or "
    "ollama:llama3.2) to grade relevance and agreement with the clinical rules."
)
_JSON = re.compile(r"\{.*\}", re.S)


@dataclass(frozen=True)
class Grade:
    relevance: float  # 0..1
    agreement: float  # 0..1
    reason: str = ""


@dataclass(frozen=True)
class Verdict:
    """All repeats for one checkpoint."""

    grades: tuple[Grade, ...]
    unreadable: int = 0

    def mean(self, field: str) -> float | None:
        values = [getattr(g, field) for g in self.grades]
        return statistics.fmean(values) if values else None

    def spread(self, field: str) -> float | None:
        values = [getattr(g, field) for g in self.grades]
        return statistics.pstdev(values) if len(values) >= 2 else (0.0 if values else None)


def parse_grade(text: str) -> Grade:
    """The model's JSON answer as a Grade (1-5 scaled to 0-1); ValueError when unreadable."""
    found = _JSON.search(text)
    if not found:
        raise ValueError(f"no JSON object in {text[:80]!r}")
    data = json.loads(found.group(0))
    scores = []
    for key in ("relevance", "agreement"):
        value = float(data[key])
        if not 1 <= value <= 5:
            raise ValueError(f"{key} {value} is outside 1-5")
        scores.append((value - 1) / 4)
    return Grade(scores[0], scores[1], str(data.get("reason", "")))


class RubricJudge:
    """Grades one checkpoint `repeats` times with a chat model."""

    def __init__(self, model: BaseChatModel, *, repeats: int = 3, prompt_file: Path = PROMPT_FILE) -> None:
        self.model = model
        self.repeats = repeats
        try:
            prompt = yaml.safe_load(prompt_file.read_text(encoding="utf-8"))
            self.system = str(prompt["system"])
            self.user = str(prompt["user"])
        except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
            raise ConfigError(f"{prompt_file}: needs 'system' and 'user' templates ({exc})") from None

    def messages(self, check: Checkpoint, sources: dict[str, str]) -> list[tuple[str, str]]:
        reply = check.reply
        assert reply is not None
        turns = check.case.turns[: check.turn]
        conversation = "\n".join(f"runner: {t}" for t in turns)
        source_text = (
            "\n\n".join(f"[{doc_id}]\n{text[:1500]}" for doc_id, text in sources.items()) or "(none)"
        )
        reference = (
            f"A reference answer written by the clinic:\n{check.case.reference}\n"
            if check.case.reference
            else ""
        )
        user = self.user.format(
            conversation=conversation,
            level=reply.triage.level,
            intent=reply.intent,
            reply=reply.reply,
            sources=source_text,
            reference=reference,
        )
        return [("system", self.system), ("human", user)]

    def grade(self, check: Checkpoint, sources: dict[str, str]) -> Verdict:
        messages = self.messages(check, sources)
        grades: list[Grade] = []
        unreadable = 0
        for _ in range(self.repeats):
            answer = self.model.invoke(messages)
            try:
                grades.append(parse_grade(str(answer.content)))
            except (ValueError, KeyError, TypeError, json.JSONDecodeError):
                unreadable += 1
        return Verdict(tuple(grades), unreadable)


class JudgeMetric(Metric):
    """The judge as a metric: judge.relevance / judge.agreement means and spreads."""

    name = "judge"

    def __init__(
        self,
        judge: RubricJudge,
        knowledge: Callable[[Sequence[str]], dict[str, str]],
        *,
        limit: int | None = None,
    ) -> None:
        self.judge = judge
        self.knowledge = knowledge
        self.limit = limit
        self.verdicts: dict[str, Verdict] = {}

    def score(self, check: Checkpoint) -> MetricResult | None:
        if check.reply is None or (self.limit is not None and len(self.verdicts) >= self.limit):
            return None
        verdict = self.judge.grade(check, self.knowledge(check.reply.retrieved_ids[:4]))
        self.verdicts[check.label] = verdict
        rel, agr = verdict.mean("relevance"), verdict.mean("agreement")
        if rel is None or agr is None:
            return self.result(None, detail=f"judge output unreadable {verdict.unreadable} times")
        reasons = " | ".join(g.reason for g in verdict.grades if g.reason)[:300]
        detail = (
            f"relevance {rel:.2f}±{verdict.spread('relevance') or 0:.2f}, "
            f"agreement {agr:.2f}±{verdict.spread('agreement') or 0:.2f}. {reasons}"
        )
        return self.result((rel + agr) / 2, detail=detail)

    def aggregate(self, scored: Sequence[Scored]) -> Figures:
        verdicts = [self.verdicts[c.label] for c, _ in scored if c.label in self.verdicts]
        out: Figures = {}
        for field in ("relevance", "agreement"):
            out[f"judge.{field}"] = mean([v.mean(field) for v in verdicts])
            out[f"judge.{field}_spread"] = mean([v.spread(field) for v in verdicts])
        out["judge.unreadable"] = float(sum(v.unreadable for v in verdicts))
        return out


def model_from_settings(settings: Settings | None = None) -> BaseChatModel | None:
    """The judge model `RUNSOURCE_LLM` names (built in `assistant.llm`, the one place), or None."""
    from assistant.llm import build_chat_model
    from assistant.settings import Settings

    settings = settings or Settings()
    if not settings.llm:
        return None
    return build_chat_model(settings, max_tokens=JUDGE_TOKENS)
