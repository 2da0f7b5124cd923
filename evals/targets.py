"""What the harness measures: the `ChatService` in this process, or a running server over HTTP.

Both give the same `Reply` objects, the same knowledge texts and the same embedding model, so the
figures agree between `runsource eval` and `runsource eval --url` on the same build.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.errors import RunsourceError
from assistant.types import Reply

if TYPE_CHECKING:
    import httpx

    from assistant.services import Services


RATE_LIMIT_RETRIES = 3


class TargetError(RunsourceError):
    """The target could not be reached or answered with an error."""

    code = "eval_target"


class Embedder(Protocol):
    def embed_array(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]: ...


class Target(Protocol):
    """One assistant to evaluate."""

    label: str

    def turn(self, session_id: str | None, message: str) -> Reply: ...

    def knowledge(self, doc_ids: Sequence[str]) -> dict[str, str]: ...

    def embedder(self) -> Embedder: ...

    def close(self) -> None: ...


class InProcessTarget:
    """The services built in this process, called as the eval door (`channel="eval"`).

    Sessions go through the same flow as every door: the first turn opens one and its token,
    kept here, goes with every later turn.
    """

    label = "in-process"

    def __init__(self, services: Services) -> None:
        self.services = services
        self.tokens: dict[str, str] = {}

    @classmethod
    def build(cls) -> InProcessTarget:
        from assistant.services import build_services

        return cls(build_services())

    def turn(self, session_id: str | None, message: str) -> Reply:
        token = self.tokens.get(session_id) if session_id else None
        reply = self.services.chat.turn(session_id, message, "eval", token)
        if reply.session_token:
            self.tokens[reply.session_id] = reply.session_token
        return reply

    def knowledge(self, doc_ids: Sequence[str]) -> dict[str, str]:
        return self.services.retrieved_texts(list(doc_ids))

    def embedder(self) -> Embedder:
        return self.services.embeddings

    def close(self) -> None:
        return None


class HttpTarget:
    """A running server: `POST /v1/chat` per turn, `GET /v1/knowledge/{id}` for source texts."""

    def __init__(self, url: str, *, timeout: float = 30.0, client: httpx.Client | None = None) -> None:
        import httpx

        self.url = url.rstrip("/")
        self.label = self.url
        self.client = client or httpx.Client(base_url=self.url, timeout=timeout)
        self._texts: dict[str, str | None] = {}
        self._embedder: Embedder | None = None
        self.tokens: dict[str, str] = {}
        self.sleep = time.sleep

    def check(self) -> None:
        """Fail early, with a hint, when nothing answers at the URL."""
        import httpx

        try:
            self.client.get("/healthz").raise_for_status()
        except httpx.HTTPError as exc:
            raise TargetError(
                f"cannot reach {self.url}/healthz ({exc}); start the server (`runsource serve`) "
                "or check --url"
            ) from None

    def turn(self, session_id: str | None, message: str) -> Reply:
        import httpx

        token = self.tokens.get(session_id) if session_id else None
        body = {"message": message, "session_id": session_id, "session_token": token, "channel": "eval"}
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                response = self.client.post("/v1/chat", json=body)
            except httpx.HTTPError as exc:
                raise TargetError(f"POST {self.url}/v1/chat failed: {exc}") from None
            if response.status_code != 429 or attempt == RATE_LIMIT_RETRIES:
                break
            # A deployed server rate-limits; wait as told rather than fail the case.
            self.sleep(min(float(response.headers.get("retry-after", "1") or 1), 60.0))
        if response.status_code != 200:
            raise TargetError(f"POST /v1/chat answered {response.status_code}: {_error_text(response)}")
        reply = Reply.model_validate_json(response.content)
        if reply.session_token:
            self.tokens[reply.session_id] = reply.session_token
        return reply

    def knowledge(self, doc_ids: Sequence[str]) -> dict[str, str]:
        import httpx

        for doc_id in doc_ids:
            if doc_id in self._texts:
                continue
            try:
                response = self.client.get(f"/v1/knowledge/{doc_id}")
            except httpx.HTTPError as exc:
                raise TargetError(f"GET /v1/knowledge/{doc_id} failed: {exc}") from None
            if response.status_code == 404:
                self._texts[doc_id] = None
                continue
            if response.status_code != 200:
                raise TargetError(
                    f"GET /v1/knowledge/{doc_id} answered {response.status_code}: {_error_text(response)}"
                )
            self._texts[doc_id] = str(response.json()["text"])
        return {d: t for d in doc_ids if (t := self._texts.get(d)) is not None}

    def embedder(self) -> Embedder:
        # The same bundled model the server uses, loaded here only when a metric needs it.
        if self._embedder is None:
            from assistant.embeddings import load_embeddings
            from assistant.settings import Settings

            settings = Settings()
            self._embedder = load_embeddings(settings.embeddings, settings.data_dir)
        return self._embedder

    def close(self) -> None:
        self.client.close()


def _error_text(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]
