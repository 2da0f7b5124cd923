"""Release gates (`evals/gates.yaml`): a figure must stay at or above `min`, or at or below `max`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import ConfigError
from evals.metrics.base import Figures

GATES_FILE = Path(__file__).resolve().parent / "gates.yaml"


@dataclass(frozen=True)
class Gate:
    metric: str
    bound: str  # "min" or "max"
    threshold: float
    why: str = ""
    optional: bool = False  # an unmeasured optional gate passes; otherwise it fails

    def check(self, figures: Figures) -> GateResult:
        value = figures.get(self.metric)
        if value is None:
            return GateResult(self, None, self.optional)
        ok = value >= self.threshold if self.bound == "min" else value <= self.threshold
        return GateResult(self, value, ok)

    @property
    def rule(self) -> str:
        return f"{'>=' if self.bound == 'min' else '<='} {self.threshold:g}"


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    value: float | None
    passed: bool

    @property
    def detail(self) -> str:
        if self.value is None:
            return "not measured (no case exercised it)"
        return f"{self.value:.4g} (needs {self.gate.rule})"


def load_gates(path: Path = GATES_FILE) -> list[Gate]:
    """The gates in file order; a malformed entry is an error naming the file and entry."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("gates"), list):
        raise ConfigError(f"{path}: must have a 'gates:' list")
    gates = []
    for n, item in enumerate(data["gates"], start=1):
        where = f"{path}: gate {n}"
        if not isinstance(item, dict) or not isinstance(item.get("metric"), str):
            raise ConfigError(f"{where}: needs a 'metric' name")
        unknown = set(item) - {"metric", "min", "max", "why", "optional"}
        if unknown:
            raise ConfigError(f"{where} ({item['metric']}): unknown key(s) {sorted(unknown)}")
        bounds = [b for b in ("min", "max") if b in item]
        if len(bounds) != 1 or not isinstance(item[bounds[0]], int | float):
            raise ConfigError(f"{where} ({item['metric']}): give exactly one numeric 'min' or 'max'")
        gates.append(
            Gate(
                metric=item["metric"],
                bound=bounds[0],
                threshold=float(item[bounds[0]]),
                why=str(item.get("why", "")),
                optional=bool(item.get("optional", False)),
            )
        )
    return gates


def check_gates(gates: Sequence[Gate], figures: Figures) -> list[GateResult]:
    return [g.check(figures) for g in gates]
