"""Runs cases turn by turn against a target, one session per case, with a progress bar."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.errors import RunsourceError
from assistant.types import Level, Reply
from evals.cases import Case, Expectation
from evals.targets import Target


@dataclass
class TurnRun:
    message: str
    reply: Reply | None
    latency_ms: float
    error: str | None = None


@dataclass
class CaseRun:
    case: Case
    turns: list[TurnRun] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        return next((t.error for t in self.turns if t.error), None)

    def checkpoints(self) -> list[Checkpoint]:
        """One checkpoint per expectation; each owns the latencies of the turns since the last."""
        out: list[Checkpoint] = []
        previous = 0
        stopped = f"never sent: turn {len(self.turns)} failed ({self.error})"
        for exp in self.case.expectations():
            turn = self.turns[exp.turn - 1] if exp.turn <= len(self.turns) else None
            out.append(
                Checkpoint(
                    case=self.case,
                    expect=exp,
                    reply=turn.reply if turn else None,
                    error=turn.error if turn else stopped,
                    latencies_ms=[t.latency_ms for t in self.turns[previous : exp.turn] if t.reply],
                )
            )
            previous = exp.turn
        return out


@dataclass
class Checkpoint:
    """One expectation checked against the reply to one turn."""

    case: Case
    expect: Expectation
    reply: Reply | None
    error: str | None = None
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def turn(self) -> int:
        return self.expect.turn

    @property
    def is_last(self) -> bool:
        return self.expect.turn == len(self.case.turns)

    @property
    def level(self) -> Level | None:
        return Level.parse(self.reply.triage.level) if self.reply else None

    @property
    def label(self) -> str:
        return f"{self.case.id}" if len(self.case.turns) == 1 else f"{self.case.id}@{self.turn}"


def run_case(case: Case, target: Target) -> CaseRun:
    """All turns of one case in one session; a failed turn ends the case."""
    run = CaseRun(case)
    session: str | None = None
    for message in case.turns:
        started = time.perf_counter()
        try:
            reply = target.turn(session, message)
        except RunsourceError as exc:
            run.turns.append(TurnRun(message, None, _ms(started), f"{type(exc).__name__}: {exc.message}"))
            break
        except Exception as exc:  # a crash in the target is a failed case, not a crashed run
            run.turns.append(TurnRun(message, None, _ms(started), f"{type(exc).__name__}: {exc}"))
            break
        run.turns.append(TurnRun(message, reply, _ms(started)))
        session = reply.session_id
    return run


def run_cases(cases: Sequence[Case], target: Target, *, progress: bool = True) -> list[CaseRun]:
    """Every case in order, with a progress bar on the terminal (stderr)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    runs: list[CaseRun] = []
    bar = Progress(
        TextColumn("[bold]eval[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not progress,
        transient=True,
    )
    with bar:
        task = bar.add_task(target.label, total=len(cases))
        for case in cases:
            bar.update(task, description=f"{target.label} {case.id}")
            runs.append(run_case(case, target))
            bar.advance(task)
    return runs


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
