from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from assistant.settings import ROOT, Settings


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    listed = set(re.findall(r"^#? ?(RUNSOURCE_[A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    expected = {f"RUNSOURCE_{name.upper()}" for name in Settings.model_fields}
    assert listed == expected


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNSOURCE_EMERGENCY_NUMBER", "999")
    monkeypatch.setenv("RUNSOURCE_CORS_ORIGINS", '["https://clinic.example"]')
    settings = Settings()
    assert settings.emergency_number == "999"
    assert settings.cors_origins == ["https://clinic.example"]


def test_an_unsafe_public_url_refuses_to_start() -> None:
    with pytest.raises(ValidationError, match="RUNSOURCE_PUBLIC_URL"):
        Settings(public_url="javascript:alert(1)")
