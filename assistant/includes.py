"""Wording written once and included by reference: `[[include: name]]` in a knowledge page or a
reply template is replaced by `prompts/includes/<name>.md`.

The emergency list, the one-leg weakness rule and the "when to get checked" lines live there, so
the safety net, the programs, the exercises and the education pages cannot drift apart (HSIB
2021 found safety-netting leaflets that disagreed; the brief asks for one list). An include is
one paragraph: its line breaks become spaces, so it reads the same inline in a sentence, in a
YAML template or in a Markdown page. Includes may include others; a loop or an unknown name is a
`ConfigError` naming the file.

Knowledge pages may also name the locale's words as `{emergency_number}`, `{emergency_department}`,
`{urgent_care}` or `{doctor_soon}` (and the clinic's details); `fill` puts in the settings' values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from assistant.errors import ConfigError
from assistant.settings import ROOT

__all__ = ["DEFAULT_DIR", "INCLUDE", "PLACEHOLDER", "expand", "fill", "names"]

DEFAULT_DIR = ROOT / "prompts" / "includes"
INCLUDE = re.compile(r"\[\[include:\s*([a-z0-9][a-z0-9-]*)\s*\]\]")
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def names(includes_dir: Path = DEFAULT_DIR) -> list[str]:
    """Every include that exists, by name."""
    return sorted(p.stem for p in includes_dir.glob("*.md"))


def _read(includes_dir: Path, name: str, where: str) -> str:
    path = includes_dir / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise ConfigError(
            f"{where}: [[include: {name}]] names no file {path}; use one of {names(includes_dir)}"
        ) from None
    return " ".join(text.split())


def expand(text: str, where: str, includes_dir: Path = DEFAULT_DIR) -> str:
    """`text` with every `[[include: name]]` replaced, recursively."""

    def run(chunk: str, stack: tuple[str, ...]) -> str:
        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in stack:
                raise ConfigError(f"{where}: include loop {' -> '.join((*stack, name))}")
            return run(_read(includes_dir, name, where), (*stack, name))

        return INCLUDE.sub(sub, chunk)

    return run(text, ())


def fill(text: str, values: Mapping[str, str], where: str) -> str:
    """Put the settings' values into `{name}` placeholders; an unknown name is an error."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ConfigError(f"{where}: unknown placeholder {{{name}}}; allowed: {sorted(values)}")
        return values[name]

    return PLACEHOLDER.sub(sub, text)
