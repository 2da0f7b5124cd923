"""Prompt and reply templates as data (`prompts/*.yaml`), validated at start-up.

A template may include shared wording by reference (`[[include: emergency-signs]]`, see
`assistant/includes.py`): it is expanded before the template's `{names}` are checked.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import yaml

from assistant import includes
from assistant.errors import ConfigError


class Templates:
    """Named string templates; every `{name}` they use must be one the code provides."""

    def __init__(self, items: dict[str, str]) -> None:
        self._items = items

    @classmethod
    def load(
        cls, path: Path, allowed: set[str], required: frozenset[str] | set[str] = frozenset()
    ) -> Templates:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read ({exc})") from exc
        try:
            node = yaml.compose(text)
            data: Any = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(data, dict) or node is None:
            raise ConfigError(f"{path}: must be a mapping of name: template")
        lines = {key.value: key.start_mark.line + 1 for key, _ in node.value}
        # The includes beside the file (a test's copy may have none: then the shipped ones).
        shared = path.parent / "includes"
        shared = shared if shared.is_dir() else includes.DEFAULT_DIR
        items: dict[str, str] = {}
        for name, value in data.items():
            where = f"{path}:{lines.get(name, 0)}"
            if not isinstance(value, str):
                raise ConfigError(f"{where}: template '{name}' must be a string")
            value = includes.expand(value, f"{where} template '{name}'", shared)
            try:
                fields = {f for _, f, _, _ in string.Formatter().parse(value) if f}
            except ValueError as exc:
                raise ConfigError(f"{where}: template '{name}' has a broken placeholder: {exc}") from None
            unknown = fields - allowed
            if unknown:
                raise ConfigError(
                    f"{where}: template '{name}' uses unknown variable(s) {sorted(unknown)}; "
                    f"allowed: {sorted(allowed)}"
                )
            items[name] = value.strip()
        missing = required - items.keys()
        if missing:
            raise ConfigError(f"{path}: missing template(s) {sorted(missing)}")
        return cls(items)

    def render(self, name: str, /, **values: object) -> str:
        return self._items[name].format(**values)

    def __contains__(self, name: str) -> bool:
        return name in self._items
