"""The one place a LangChain chat model is built from settings (`RUNSOURCE_LLM`).

`RUNSOURCE_LLM` is `provider:model`:

    openai:gpt-4o-mini            langchain-openai (installed); key from OPENAI_API_KEY
    anthropic:claude-3-5-haiku    langchain-anthropic (optional extra); key from ANTHROPIC_API_KEY
    ollama:llama3.2               langchain-ollama (optional extra); RUNSOURCE_LLM_BASE_URL optional
    openai-compatible:smollm2     any OpenAI-compatible server at RUNSOURCE_LLM_BASE_URL
                                  (llama.cpp, vLLM, LM Studio...), through langchain-openai

Any other provider that LangChain's `init_chat_model` knows (`groq:`, `mistralai:`...) is passed
through as is. Keys are read by the provider packages from their standard environment variables;
no key is ever a RUNsource setting.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from typing import Any

from langchain.chat_models import init_chat_model
from langchain_core.language_models import BaseChatModel

from assistant.errors import ConfigError
from assistant.settings import Settings

__all__ = ["MAX_REPLY_TOKENS", "LLMSpec", "build_chat_model", "parse_llm"]

MAX_REPLY_TOKENS = 320  # the prompt asks for 80-180 words; room for the [n] markers
TEMPERATURE = 0.2  # warm wording, little invention
COMPATIBLE = "openai-compatible"


@dataclass(frozen=True)
class Provider:
    module: str  # the Python package init_chat_model imports
    pip: str  # what to install when it is missing
    key_env: str | None  # the standard key variable, when the provider needs a key


PROVIDERS: dict[str, Provider] = {
    "openai": Provider("langchain_openai", "langchain-openai", "OPENAI_API_KEY"),
    COMPATIBLE: Provider("langchain_openai", "langchain-openai", None),
    "anthropic": Provider("langchain_anthropic", "langchain-anthropic", "ANTHROPIC_API_KEY"),
    "ollama": Provider("langchain_ollama", "langchain-ollama", None),
}


@dataclass(frozen=True)
class LLMSpec:
    provider: str
    model: str

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.model}"


def parse_llm(value: str) -> LLMSpec:
    """`provider:model` from `RUNSOURCE_LLM`; a value without a provider is a config error."""
    provider, sep, model = value.strip().partition(":")
    if not sep or not provider or not model.strip():
        raise ConfigError(
            f"RUNSOURCE_LLM={value!r} must be provider:model, for example openai:gpt-4o-mini, "
            "anthropic:claude-3-5-haiku-latest, ollama:llama3.2 or openai-compatible:<model> "
            "with RUNSOURCE_LLM_BASE_URL"
        )
    return LLMSpec(provider.strip().lower(), model.strip())


def _pip_name(provider: str) -> str:
    known = PROVIDERS.get(provider)
    return known.pip if known else f"langchain-{provider.replace('_', '-')}"


def _provider_kwargs(spec: LLMSpec, settings: Settings, max_tokens: int) -> dict[str, Any]:
    """Timeout, retries and length settings, spelled the way each provider class wants them."""
    timeout = settings.llm_timeout_s
    kwargs: dict[str, Any] = {"temperature": TEMPERATURE}
    if spec.provider in ("openai", COMPATIBLE):
        # One retry: a second try after a rate limit still has to fit the turn's deadline.
        kwargs.update(timeout=timeout, max_retries=1, max_tokens=max_tokens)
        if settings.llm_base_url:
            kwargs["base_url"] = settings.llm_base_url
        if spec.provider == COMPATIBLE:
            # langchain-openai sends `max_completion_tokens`, which llama.cpp and other
            # OpenAI-compatible servers ignore; `max_tokens` in the body is what they read.
            kwargs["extra_body"] = {"max_tokens": max_tokens}
            if not os.environ.get("OPENAI_API_KEY"):
                kwargs["api_key"] = "not-needed"  # local servers take no key; the client wants one
    elif spec.provider == "anthropic":
        kwargs.update(timeout=timeout, max_retries=1, max_tokens=max_tokens)
        if settings.llm_base_url:
            kwargs["base_url"] = settings.llm_base_url
    elif spec.provider == "ollama":
        kwargs.update(num_predict=max_tokens, client_kwargs={"timeout": timeout})
        if settings.llm_base_url:
            kwargs["base_url"] = settings.llm_base_url
    else:
        kwargs.update(timeout=timeout, max_retries=1, max_tokens=max_tokens)
        if settings.llm_base_url:
            kwargs["base_url"] = settings.llm_base_url
    return kwargs


def build_chat_model(settings: Settings, *, max_tokens: int = MAX_REPLY_TOKENS) -> BaseChatModel:
    """The chat model `RUNSOURCE_LLM` names; every mistake is a ConfigError that says how to fix it.

    Raises:
        ConfigError: no or malformed `RUNSOURCE_LLM`, a missing base URL or API key, or the
            provider's LangChain package is not installed (the message names the pip package).
    """
    if not settings.llm:
        raise ConfigError("RUNSOURCE_LLM is not set; the grounded responder needs no chat model")
    spec = parse_llm(settings.llm)
    provider = PROVIDERS.get(spec.provider)
    module = provider.module if provider else None
    if spec.provider == COMPATIBLE and not settings.llm_base_url:
        raise ConfigError(
            f"RUNSOURCE_LLM={spec.label} needs RUNSOURCE_LLM_BASE_URL, the server's OpenAI-compatible "
            "base URL, for example http://127.0.0.1:8080/v1"
        )
    if module is not None and importlib.util.find_spec(module) is None:
        raise ConfigError(
            f"RUNSOURCE_LLM={spec.label} needs the {provider.pip if provider else module} package: "
            f"pip install {_pip_name(spec.provider)}"
        )
    if provider and provider.key_env and not os.environ.get(provider.key_env) and not settings.llm_base_url:
        raise ConfigError(
            f"RUNSOURCE_LLM={spec.label} needs an API key in the {provider.key_env} environment variable"
        )
    init_provider = "openai" if spec.provider == COMPATIBLE else spec.provider
    try:
        model: BaseChatModel = init_chat_model(
            spec.model, model_provider=init_provider, **_provider_kwargs(spec, settings, max_tokens)
        )
    except ImportError as exc:
        raise ConfigError(
            f"RUNSOURCE_LLM={spec.label} needs the provider's LangChain package: "
            f"pip install {_pip_name(spec.provider)} ({exc})"
        ) from None
    except ValueError as exc:  # an unknown provider, or a model the provider class rejects
        raise ConfigError(f"RUNSOURCE_LLM={spec.label}: {exc}") from None
    return model
