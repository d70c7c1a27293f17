"""Calling the serving worker's HTTP API in tests: requests signed like the gateway's, and the
helpers that read answers, metrics and adapter payloads."""

from __future__ import annotations

import time
from typing import Any

import httpx2

from fake_server import FakeServer
from tributary_worker.serve.auth import authorization, signing_key
from tributary_worker.serve.engine import Engine
from tributary_worker.serve.server import ServingServer
from tributary_worker.serve.types import GenerationRequest, SamplingParams

PROMPT = "The capital of France is"
MAX_RANK = 8
MESSAGES = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What is the capital of Italy?"}]


class HmacAuth(httpx2.Auth):
    """Signs each request the way the control plane's gateway does."""

    requires_request_body = True

    def __init__(self, token: str, skew_seconds: float = 0.0) -> None:
        self.key = signing_key(token)
        self.skew = skew_seconds

    def auth_flow(self, request: httpx2.Request):
        path = request.url.raw_path.decode().split("?", 1)[0]  # as on the request line, still percent-encoded
        request.headers["Authorization"] = authorization(self.key, request.method, path, request.content, time.time() + self.skew)
        yield request


def engine_answer(engine: Engine, prompt_ids: list[int], adapter_id: str | None, **sampling: Any) -> tuple[str, list[int], str | None]:
    """(text, token ids, finish reason) straight from the engine, no HTTP."""
    deltas = list(engine.submit(GenerationRequest(prompt_ids=prompt_ids, adapter_id=adapter_id, sampling=SamplingParams(**sampling))))
    return "".join(d.text for d in deltas), [t for d in deltas for t in d.token_ids], deltas[-1].finish_reason


def completion_ids(tokenizer, prompt: str) -> list[int]:
    return [tokenizer.bos_token_id, *tokenizer(prompt, add_special_tokens=False)["input_ids"]]


def metrics(server: ServingServer) -> dict[str, float]:
    text = httpx2.get(f"{server.url}/metrics").text
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line and not line.startswith("#")}


def files_payload(store: FakeServer, prefix: str, names: tuple[str, ...] = ("adapter_config.json", "adapter_model.safetensors")) -> dict[str, Any]:
    return {"files": [{"name": n, "url": store.blob_url(f"{prefix}/{n}")} for n in names]}

