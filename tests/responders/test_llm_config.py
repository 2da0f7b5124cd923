"""`RUNSOURCE_LLM` picks the chat model in one place; every mistake says how to fix it."""

from __future__ import annotations

import importlib.util

import pytest

from assistant.errors import ConfigError
from assistant.llm import MAX_REPLY_TOKENS, build_chat_model, parse_llm
from assistant.settings import Settings

ChatOpenAI = pytest.importorskip(
    "langchain_openai", reason="langchain-openai is not installed (pip install langchain-openai)"
).ChatOpenAI


def settings(**kw: object) -> Settings:
    return Settings(**kw)  # type: ignore[arg-type]


def test_provider_and_model_come_from_one_setting() -> None:
    spec = parse_llm("openai-compatible:smollm2")
    assert (spec.provider, spec.model) == ("openai-compatible", "smollm2")
    assert parse_llm("ollama:llama3.2:1b").model == "llama3.2:1b"  # tags keep their colon


@pytest.mark.parametrize("value", ["gpt-4o-mini", ":model", "openai:", "  "])
def test_a_value_without_provider_and_model_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="provider:model"):
        parse_llm(value)


def test_openai_compatible_builds_chat_openai_at_the_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = build_chat_model(
        settings(llm="openai-compatible:smollm2", llm_base_url="http://127.0.0.1:9/v1", llm_timeout_s=3)
    )
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "smollm2"
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.request_timeout == 3
    # llama.cpp and friends read max_tokens, not the max_completion_tokens langchain-openai sends
    assert model.extra_body == {"max_tokens": MAX_REPLY_TOKENS}


def test_openai_compatible_needs_the_base_url() -> None:
    with pytest.raises(ConfigError, match="RUNSOURCE_LLM_BASE_URL"):
        build_chat_model(settings(llm="openai-compatible:smollm2"))


def test_openai_key_comes_only_from_the_standard_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        build_chat_model(settings(llm="openai:gpt-4o-mini"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    model = build_chat_model(settings(llm="openai:gpt-4o-mini"))
    assert isinstance(model, ChatOpenAI)
    assert model.extra_body is None  # the real OpenAI API takes max_completion_tokens


@pytest.mark.parametrize(
    ("value", "package"),
    [("anthropic:claude-3-5-haiku-latest", "langchain-anthropic"), ("ollama:llama3.2", "langchain-ollama")],
)
def test_a_missing_provider_package_names_what_to_install(value: str, package: str) -> None:
    module = package.replace("-", "_")
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{package} is installed here")
    with pytest.raises(ConfigError, match=f"pip install {package}"):
        build_chat_model(settings(llm=value))


def test_an_unknown_provider_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="nosuchprovider"):
        build_chat_model(settings(llm="nosuchprovider:model"))


def test_unset_means_no_chat_model() -> None:
    with pytest.raises(ConfigError, match="not set"):
        build_chat_model(settings())
