"""The serving worker's HTTP API (SERVING.md) end to end: the real engine with tiny-llama behind the
real aiohttp server, called with the official `openai` client signed with Tributary-HMAC:
completions, streaming and the errors. Adapter endpoints, health, metrics and the `--serve`
worker are in test_serve_http_adapters.py; the fixtures in conftest.py."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openai import OpenAI
from serve_http_helpers import MESSAGES, PROMPT, HmacAuth, completion_ids, engine_answer, metrics

from fake_server import TOKEN
from tributary_worker.device import pick_device
from tributary_worker.models.resolver import ModelResolver
from tributary_worker.serve.auth import authorization, signing_key
from tributary_worker.serve.engine import Engine
from tributary_worker.serve.server import ServingServer


# ---- completions -----------------------------------------------------------------------------

def test_completion_matches_the_engine_with_exact_usage(client: OpenAI, engine: Engine) -> None:
    answer = client.completions.create(model="base", prompt=PROMPT, max_tokens=12, temperature=0)
    ids = completion_ids(engine.tokenizer, PROMPT)
    text, tokens, finish = engine_answer(engine, ids, None, max_tokens=12, temperature=0)
    assert answer.object == "text_completion" and answer.model == "base"
    assert answer.choices[0].text == text and answer.choices[0].finish_reason == finish
    assert answer.usage.prompt_tokens == len(ids)
    assert answer.usage.completion_tokens == len(tokens) and 0 < len(tokens) <= 12
    assert answer.usage.total_tokens == len(ids) + len(tokens)


def test_chat_completion_applies_the_chat_template(client: OpenAI, engine: Engine) -> None:
    answer = client.chat.completions.create(model="base", messages=MESSAGES, max_tokens=10, temperature=0)
    ids = engine.tokenizer.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=True, return_dict=False)
    text, tokens, finish = engine_answer(engine, list(ids), None, max_tokens=10, temperature=0)
    assert answer.object == "chat.completion"
    assert answer.choices[0].message.role == "assistant" and answer.choices[0].message.content == text
    assert answer.choices[0].finish_reason == finish
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (len(ids), len(tokens))


def test_streamed_completion_equals_the_whole_one(client: OpenAI) -> None:
    whole = client.completions.create(model="base", prompt=PROMPT, max_tokens=16, temperature=0)
    chunks = list(client.completions.create(model="base", prompt=PROMPT, max_tokens=16, temperature=0, stream=True, stream_options={"include_usage": True}))
    assert all(c.object == "text_completion" and c.id == chunks[0].id for c in chunks)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == whole.choices[0].text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [whole.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    assert all(c.usage is None for c in chunks[:-1])


def test_streamed_chat_names_the_role_then_sends_content(client: OpenAI) -> None:
    whole = client.chat.completions.create(model="base", messages=MESSAGES, max_tokens=12, temperature=0)
    chunks = list(client.chat.completions.create(model="base", messages=MESSAGES, max_tokens=12, temperature=0, stream=True))
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == whole.choices[0].finish_reason
    assert all(c.usage is None for c in chunks)  # no include_usage: no usage chunk


def test_max_tokens_and_stop_cut_the_greedy_answer(client: OpenAI) -> None:
    full = client.completions.create(model="base", prompt=PROMPT, max_tokens=24, temperature=0)
    text = full.choices[0].text
    assert full.choices[0].finish_reason == "length" and len(text) >= 8, "precondition: tiny-llama talks for 24 tokens"

    short = client.completions.create(model="base", prompt=PROMPT, max_tokens=5, temperature=0)
    assert short.choices[0].finish_reason == "length" and short.usage.completion_tokens == 5
    assert text.startswith(short.choices[0].text)

    # tiny-llama's random weights speak bytes; stop at its first pair of ASCII letters after the start.
    found = re.search(r"[A-Za-z]{2}", text[1:])
    assert found is not None, f"precondition: {text!r} has two ASCII letters in a row"
    stop = found.group()
    cut = client.completions.create(model="base", prompt=PROMPT, max_tokens=24, temperature=0, stop=[stop, "\x00never"])
    assert cut.choices[0].text == text[: text.index(stop)]
    assert cut.choices[0].finish_reason == "stop"
    assert cut.usage.completion_tokens < 24


def test_a_seed_makes_sampling_repeatable(client: OpenAI) -> None:
    def sample(seed: int) -> str:
        answer = client.completions.create(model="base", prompt=PROMPT, max_tokens=16, temperature=1.0, seed=seed)
        return answer.choices[0].text

    assert sample(7) == sample(7)
    assert sample(7) != sample(8)


def test_a_client_that_hangs_up_cancels_its_request(server: ServingServer, engine: Engine, signed: httpx2.Client) -> None:
    body = {"model": "base", "prompt": PROMPT, "max_tokens": 2000, "temperature": 1.0, "stream": True}
    with signed.stream("POST", "/v1/completions", json=body) as response:
        assert response.status_code == 200
        next(response.iter_lines())
    deadline = time.monotonic() + 10
    while (engine.stats().running or engine.stats().waiting) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.stats().running == engine.stats().waiting == 0
    assert metrics(server).get('tributary_serve_http_requests_total{endpoint="/v1/completions",status="499"}', 0) >= 1


def test_a_failure_after_the_first_token_ends_the_stream_with_an_error_event(worker_cache: Path, tmp_path: Path) -> None:
    from tributary_worker.serve.engine import Engine

    source = ModelResolver(cache_dir=worker_cache).resolve("tiny-llama")
    engine = Engine(source, pick_device("cpu"), disk_dir=tmp_path, max_batch_size=2, cuda_graphs=False)
    engine.start()
    server = ServingServer(engine, TOKEN, port=0, context=engine.max_seq_len, log=lambda m: None).start()
    try:
        with httpx2.Client(auth=HmacAuth(TOKEN), timeout=60) as http:
            client = OpenAI(base_url=f"{server.url}/v1", api_key="not-used", http_client=http, max_retries=0)
            stream = client.completions.create(model="base", prompt=PROMPT, max_tokens=1500, temperature=1.0, stream=True)
            chunks = iter(stream)
            assert next(chunks).object == "text_completion"
            engine.stop()  # the running request fails mid-answer
            with pytest.raises(openai.APIError) as raised:
                list(chunks)
        assert "the serving engine stopped" in raised.value.message
    finally:
        server.stop()
        engine.stop()


# ---- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("extra", "param", "words"),
    [
        ({"temperature": 3}, "temperature", "[0, 2]"),
        ({"top_p": 0}, "top_p", "(0, 1]"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "1 to 4"),
        ({"n": 2}, "n", "not supported"),
        ({"extra_body": {"frobnicate": 1}}, "frobnicate", "unrecognized"),
        ({"max_tokens": 4096}, "max_tokens", "this model's context of"),
    ],
)
def test_a_bad_field_is_a_400_naming_it(client: OpenAI, extra: dict[str, Any], param: str, words: str) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.completions.create(model="base", prompt=PROMPT, **extra)
    error = raised.value.body
    assert raised.value.status_code == 400 and error["param"] == param
    assert error["message"].startswith(f"{param}:") and words in error["message"]
    assert error["type"] == "invalid_request_error"


def test_a_prompt_longer_than_the_context_is_a_400_naming_the_limit(client: OpenAI, engine: Engine) -> None:
    long = "word " * 5000
    with pytest.raises(openai.BadRequestError) as completion:
        client.completions.create(model="base", prompt=long, max_tokens=4)
    with pytest.raises(openai.BadRequestError) as chat:
        client.chat.completions.create(model="base", messages=[{"role": "user", "content": long}])
    for raised, param in [(completion, "prompt"), (chat, "messages")]:
        error = raised.value.body
        assert raised.value.status_code == 400 and error["param"] == param and error["code"] == "context_length_exceeded"
        assert re.match(rf"{param}: the prompt is \d+ tokens; this model's context is {engine.max_seq_len} tokens", error["message"])


def test_bad_chat_messages_are_400(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="base", messages=[{"role": "tool", "content": "x", "tool_call_id": "1"}])
    assert raised.value.body["param"] == "messages[0].role"


def test_malformed_json_is_a_400(signed: httpx2.Client) -> None:
    response = signed.post("/v1/chat/completions", content=b'{"model": "base", "messages": [', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json" and "not valid JSON" in response.json()["error"]["message"]


def test_unknown_paths_and_methods_are_openai_errors(server: ServingServer) -> None:
    missing = httpx2.get(f"{server.url}/v1/models")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong_method = httpx2.get(f"{server.url}/v1/completions")
    assert wrong_method.status_code == 405 and "GET is not allowed" in wrong_method.json()["error"]["message"]


def test_an_unknown_adapter_is_a_404_adapter_not_loaded(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="never-put", messages=MESSAGES)
    assert raised.value.body["code"] == "adapter_not_loaded" and raised.value.body["type"] == "invalid_request_error"


def test_unsigned_wrongly_signed_or_stale_requests_are_401(server: ServingServer) -> None:
    body = {"model": "base", "prompt": PROMPT, "max_tokens": 2}
    unsigned = httpx2.post(f"{server.url}/v1/completions", json=body)
    assert unsigned.status_code == 401 and unsigned.json()["error"]["type"] == "authentication_error"
    assert "missing Authorization" in unsigned.json()["error"]["message"]

    for auth, words in [(HmacAuth("tw_another_token"), "does not match"), (HmacAuth(TOKEN, skew_seconds=-400), "away from the worker's clock")]:
        with httpx2.Client(auth=auth) as http:
            client = OpenAI(base_url=f"{server.url}/v1", api_key="not-used", http_client=http, max_retries=0)
            with pytest.raises(openai.AuthenticationError) as raised:
                client.completions.create(**body)
        assert words in raised.value.body["message"]

    # The signature covers the body: the same header on another body is refused.
    header = authorization(signing_key(TOKEN), "POST", "/v1/completions", json.dumps(body).encode())
    swapped = httpx2.post(f"{server.url}/v1/completions", content=json.dumps({**body, "max_tokens": 3}), headers={"Authorization": header})
    assert swapped.status_code == 401
