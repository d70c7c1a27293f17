"""The serving worker's HTTP API (SERVING.md) end to end: the real engine with tiny-llama behind the
real aiohttp server, called with the official `openai` client signed with Tributary-HMAC, and the
`--serve` worker registering its serving capability with a fake control plane."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openai import OpenAI

from fake_server import TOKEN, FakeServer, schema_errors
from tributary_worker.device import pick_device
from tributary_worker.models.resolver import ModelResolver
from tributary_worker.serve.auth import authorization, signing_key
from tributary_worker.serve.downloads import AdapterFile, AdapterFilesError, fetch_adapter
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


# ---- fixtures --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def adapter_files(tmp_path_factory: pytest.TempPathFactory, tiny_path: Path) -> dict[str, bytes]:
    """A real (random, strong) LoRA adapter for tiny-llama saved by peft: file name -> bytes."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(3)
    folder = tmp_path_factory.mktemp("adapter")
    config = LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj", "o_proj"], init_lora_weights=False)
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_path), config).save_pretrained(str(folder))
    return {name: (folder / name).read_bytes() for name in ("adapter_config.json", "adapter_model.safetensors")}


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The engine's disk tier."""
    return tmp_path_factory.mktemp("serve-disk")


@pytest.fixture(scope="module")
def engine(disk: Path, worker_cache: Path) -> Iterator[Any]:
    from tributary_worker.serve.engine import Engine

    source = ModelResolver(cache_dir=worker_cache).resolve("tiny-llama")
    engine = Engine(source, pick_device("cpu"), disk_dir=disk, max_batch_size=4, gpu_adapter_slots=2, cpu_adapter_slots=4, max_rank=MAX_RANK, cuda_graphs=False)
    engine.start()
    yield engine
    engine.stop()


@pytest.fixture(scope="module")
def server(engine: Any) -> Iterator[ServingServer]:
    logs: list[str] = []
    server = ServingServer(engine, TOKEN, port=0, context=engine.max_seq_len, log=logs.append).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(server: ServingServer) -> Iterator[OpenAI]:
    with httpx2.Client(auth=HmacAuth(TOKEN), timeout=60) as http:
        yield OpenAI(base_url=f"{server.url}/v1", api_key="not-used", http_client=http, max_retries=0)


@pytest.fixture(scope="module")
def signed(server: ServingServer) -> Iterator[httpx2.Client]:
    """A plain HTTP client signed like the gateway (for the adapter endpoints and raw bodies)."""
    with httpx2.Client(base_url=server.url, auth=HmacAuth(TOKEN), timeout=60) as http:
        yield http


@pytest.fixture(scope="module")
def blobs(adapter_files: dict[str, bytes]) -> Iterator[FakeServer]:
    """A local blob store with the adapter's files (what the signed URLs point at)."""
    with FakeServer() as store:
        for name, data in adapter_files.items():
            store.blobs[f"adapters/a1/{name}"] = data
        yield store


def engine_answer(engine: Any, prompt_ids: list[int], adapter_id: str | None, **sampling: Any) -> tuple[str, list[int], str | None]:
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


# ---- completions -----------------------------------------------------------------------------

def test_completion_matches_the_engine_with_exact_usage(client: OpenAI, engine: Any) -> None:
    answer = client.completions.create(model="base", prompt=PROMPT, max_tokens=12, temperature=0)
    ids = completion_ids(engine.tokenizer, PROMPT)
    text, tokens, finish = engine_answer(engine, ids, None, max_tokens=12, temperature=0)
    assert answer.object == "text_completion" and answer.model == "base"
    assert answer.choices[0].text == text and answer.choices[0].finish_reason == finish
    assert answer.usage.prompt_tokens == len(ids)
    assert answer.usage.completion_tokens == len(tokens) and 0 < len(tokens) <= 12
    assert answer.usage.total_tokens == len(ids) + len(tokens)


def test_chat_completion_applies_the_chat_template(client: OpenAI, engine: Any) -> None:
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


def test_a_client_that_hangs_up_cancels_its_request(server: ServingServer, engine: Any, signed: httpx2.Client) -> None:
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


def test_a_prompt_longer_than_the_context_is_a_400_naming_the_limit(client: OpenAI, engine: Any) -> None:
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


# ---- adapters --------------------------------------------------------------------------------

def test_put_adapter_then_complete_with_it_then_delete(client: OpenAI, signed: httpx2.Client, engine: Any, blobs: FakeServer, server: ServingServer) -> None:
    put = signed.put("/adapters/a1", json=files_payload(blobs, "adapters/a1"))
    assert put.status_code == 200, put.text
    assert put.json()["id"] == "a1" and put.json()["tier"] == "fetch" and put.json()["loadMs"] > 0
    assert "a1" in httpx2.get(f"{server.url}/health").json()["adapters"]["gpu"]

    answer = client.completions.create(model="a1", prompt=PROMPT, max_tokens=16, temperature=0)
    ids = completion_ids(engine.tokenizer, PROMPT)
    assert answer.choices[0].text == engine_answer(engine, ids, "a1", max_tokens=16, temperature=0)[0]
    assert answer.choices[0].text != engine_answer(engine, ids, None, max_tokens=16, temperature=0)[0], "the adapter changes the answer"
    assert answer.model == "a1"

    again = signed.put("/adapters/a1", json=files_payload(blobs, "adapters/a1"))
    assert again.status_code == 200 and again.json()["tier"] == "gpu"

    deleted = signed.delete("/adapters/a1")
    assert deleted.status_code == 200 and deleted.json() == {"id": "a1", "evicted": True}
    health = httpx2.get(f"{server.url}/health").json()
    assert all("a1" not in ids for ids in health["adapters"].values())
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model="a1", prompt=PROMPT, max_tokens=2)


def test_concurrent_requests_for_different_adapters_each_get_their_own_answer(client: OpenAI, signed: httpx2.Client, blobs: FakeServer) -> None:
    assert signed.put("/adapters/mix", json=files_payload(blobs, "adapters/a1")).status_code == 200
    asks = [("base" if i % 2 else "mix", f"{PROMPT} {i}") for i in range(6)]  # more than max_batch_size 4

    def ask(model_prompt: tuple[str, str]) -> str:
        model, prompt = model_prompt
        return client.completions.create(model=model, prompt=prompt, max_tokens=12, temperature=0).choices[0].text

    alone = [ask(a) for a in asks]
    with ThreadPoolExecutor(len(asks)) as pool:
        together = list(pool.map(ask, asks))
    assert together == alone
    assert signed.delete("/adapters/mix").json() == {"id": "mix", "evicted": True}


def test_adapter_endpoints_need_a_signature(server: ServingServer, blobs: FakeServer) -> None:
    assert httpx2.put(f"{server.url}/adapters/a1", json=files_payload(blobs, "adapters/a1")).status_code == 401
    assert httpx2.delete(f"{server.url}/adapters/a1").status_code == 401


def test_a_failed_download_or_a_file_that_is_no_adapter_is_422_and_leaves_no_files(
    signed: httpx2.Client, disk: Path, blobs: FakeServer, adapter_files: dict[str, bytes]
) -> None:
    config = json.loads(adapter_files["adapter_config.json"])
    cases = {  # id: (files in the blob store, error code)
        "missing": ({"adapter_config.json": adapter_files["adapter_config.json"]}, "adapter_files_invalid"),  # weights 404
        "not-lora": ({"adapter_config.json": json.dumps({**config, "peft_type": "PREFIX_TUNING"}).encode(), "adapter_model.safetensors": adapter_files["adapter_model.safetensors"]}, "adapter_invalid"),
        "garbage": ({"adapter_config.json": adapter_files["adapter_config.json"], "adapter_model.safetensors": b"not safetensors at all"}, "adapter_invalid"),
    }
    for adapter_id, (files, code) in cases.items():
        for name, data in files.items():
            blobs.blobs[f"bad/{adapter_id}/{name}"] = data
        response = signed.put(f"/adapters/{adapter_id}", json=files_payload(blobs, f"bad/{adapter_id}"))
        assert response.status_code == 422, (adapter_id, response.text)
        assert response.json()["error"]["code"] == code, (adapter_id, response.text)
        leftovers = [p for p in disk.rglob("*") if adapter_id in str(p)]
        assert leftovers == [], adapter_id
        health = httpx2.get(f"{signed.base_url}/health").json()
        assert all(adapter_id not in ids for ids in health["adapters"].values())
    response = signed.put("/adapters/missing", json=files_payload(blobs, "bad/missing"))
    assert "adapter_model.safetensors" in response.json()["error"]["message"] and "404" in response.json()["error"]["message"]


def test_an_adapter_the_engine_refuses_is_422_and_leaves_no_files(signed: httpx2.Client, disk: Path, blobs: FakeServer, tmp_path: Path, tiny_path: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    rank = MAX_RANK + 1
    config = LoraConfig(r=rank, lora_alpha=rank, target_modules=["q_proj"], init_lora_weights=False)
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_path), config).save_pretrained(str(tmp_path))
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        blobs.blobs[f"bad/big-rank/{name}"] = (tmp_path / name).read_bytes()
    response = signed.put("/adapters/big-rank", json=files_payload(blobs, "bad/big-rank"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "adapter_invalid" and str(rank) in response.json()["error"]["message"]
    assert [p for p in disk.rglob("*") if "big-rank" in str(p)] == []


def test_an_adapter_for_another_base_model_is_422_naming_both(signed: httpx2.Client, blobs: FakeServer, tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from tributary_worker.models.tiny_llama import TinyLlamaSpec, ensure_tiny_llama

    other = ensure_tiny_llama(tmp_path / "models", TinyLlamaSpec(hidden_size=32))
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj"], init_lora_weights=False)
    get_peft_model(AutoModelForCausalLM.from_pretrained(other), config).save_pretrained(str(tmp_path / "adapter"))
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        blobs.blobs[f"bad/other-base/{name}"] = (tmp_path / "adapter" / name).read_bytes()
    response = signed.put("/adapters/other-base", json=files_payload(blobs, "bad/other-base"))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "adapter_invalid"
    assert f"trained on base model '{other}'; this worker serves tiny-llama (models/tiny-llama-v" in error["message"]


def test_out_of_memory_loading_an_adapter_is_a_503_and_the_others_go_on(
    client: OpenAI, signed: httpx2.Client, engine: Any, blobs: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine runs out of GPU memory copying the adapter into its slot (injected at
    LoraModel.load_slot): the PUT and the completion that needed the adapter get 503 out_of_memory
    in OpenAI's error shape, a base-model answer streaming meanwhile ends as it would have, and
    once memory is free a completion loads the adapter."""
    import torch

    real_load_slot = engine.model.load_slot

    def out_of_memory(slot: int, modules: Any) -> None:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 MiB")

    monkeypatch.setattr(engine.model, "load_slot", out_of_memory)
    body = {"model": "base", "prompt": PROMPT, "max_tokens": 64, "temperature": 0, "stream": True}
    with signed.stream("POST", "/v1/completions", json=body) as stream:
        assert stream.status_code == 200
        lines = stream.iter_lines()
        events = [next(lines)]
        put = signed.put("/adapters/oom", json=files_payload(blobs, "adapters/a1"))
        assert put.status_code == 503
        assert put.json() == {"error": {
            "message": "the worker ran out of GPU memory for this request; retry it, or on another worker",
            "type": "server_error", "param": None, "code": "out_of_memory",
        }}
        with pytest.raises(openai.InternalServerError) as raised:
            client.completions.create(model="oom", prompt=PROMPT, max_tokens=4)
        assert raised.value.status_code == 503 and raised.value.body["code"] == "out_of_memory"
        events += [line for line in lines if line]
    assert events[-1] == "data: [DONE]"
    streamed = "".join(json.loads(e.removeprefix("data: "))["choices"][0]["text"] for e in events[:-1])
    assert streamed == client.completions.create(model="base", prompt=PROMPT, max_tokens=64, temperature=0).choices[0].text

    monkeypatch.setattr(engine.model, "load_slot", real_load_slot)
    assert client.completions.create(model="oom", prompt=PROMPT, max_tokens=4).choices[0].finish_reason in ("length", "stop")
    assert sorted(engine.store.free_slots + list(engine.store.gpu.values())) == [1, 2]
    assert signed.delete("/adapters/oom").json() == {"id": "oom", "evicted": True}


def test_put_adapter_checks_its_body(signed: httpx2.Client) -> None:
    wrong_name = signed.put("/adapters/x", json={"files": [{"name": "../../etc/passwd", "url": "http://127.0.0.1:1/x"}]})
    assert wrong_name.status_code == 400 and wrong_name.json()["error"]["param"] == "files[0].name"
    bad_id = signed.put("/adapters/a%20b", json={"files": []})
    assert bad_id.status_code == 400 and bad_id.json()["error"]["param"] == "id"


# ---- health and metrics ----------------------------------------------------------------------

def test_health_reports_the_engine(server: ServingServer, engine: Any) -> None:
    health = httpx2.get(f"{server.url}/health").json()
    assert health["status"] == "ok" and health["baseModel"] == engine.base_model_id == "tiny-llama"
    assert set(health["adapters"]) == {"gpu", "cpu", "disk"}
    assert isinstance(health["running"], int) and isinstance(health["waiting"], int)


def test_metrics_count_requests_tokens_and_http_statuses(client: OpenAI, server: ServingServer) -> None:
    before = metrics(server)
    answers = [client.completions.create(model="base", prompt=PROMPT + " " * i, max_tokens=4 + i, temperature=0) for i in range(2)]
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model="not-there", prompt=PROMPT)
    after = metrics(server)

    def grew(name: str) -> float:
        return after.get(name, 0) - before.get(name, 0)

    assert grew("tributary_serve_requests_total") == 2
    assert grew("tributary_serve_prompt_tokens_total") == sum(a.usage.prompt_tokens for a in answers)
    assert grew("tributary_serve_completion_tokens_total") == sum(a.usage.completion_tokens for a in answers)
    assert grew("tributary_serve_decode_batch_size_count") > 0 and grew("tributary_serve_decode_batch_size_sum") > 0
    assert grew('tributary_serve_http_requests_total{endpoint="/v1/completions",status="200"}') == 2
    assert grew('tributary_serve_http_requests_total{endpoint="/v1/completions",status="404"}') == 1
    for tier in ("gpu", "cpu", "disk"):
        assert f'tributary_serve_adapter_cache_hits_total{{tier="{tier}"}}' in after
    text = httpx2.get(f"{server.url}/metrics")
    assert text.headers["Content-Type"].startswith("text/plain")
    assert "# TYPE tributary_serve_adapter_load_seconds summary" in text.text


# ---- the --serve worker ----------------------------------------------------------------------

def test_serve_worker_registers_its_serving_capability_and_stops_on_sigterm(worker_cache: Path, tmp_path: Path) -> None:
    with FakeServer() as control:
        env = {**os.environ, "TRIBUTARY_WORKER_TOKEN": TOKEN, "TRIBUTARY_CACHE_DIR": str(worker_cache), "PYTHONUNBUFFERED": "1"}
        worker = subprocess.Popen(
            [sys.executable, "-m", "tributary_worker", "--url", control.url, "--device", "cpu", "--name", "server-1",
             "--work-dir", str(tmp_path / "work"), "--serve", "--serve-port", "0", "--max-batch-size", "8", "--gpu-adapter-slots", "3"],
            env=env, stderr=subprocess.PIPE, text=True,
        )
        try:
            deadline = time.monotonic() + 90
            while not control.bodies("register") and worker.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert control.bodies("register"), worker.stderr.read() if worker.poll() is not None else "no register call"
            serving = control.bodies("register")[0]["capabilities"]["serving"]
            assert schema_errors("RegisterRequest", control.bodies("register")[0]) == [] and control.violations == []
            assert serving["baseModel"] == "tiny-llama" and serving["maxBatchSize"] == 8 and serving["gpuAdapterSlots"] == 3
            assert serving["url"].startswith("http://127.0.0.1:")
            assert httpx2.get(f"{serving['url']}/health").json()["baseModel"] == "tiny-llama"
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=60) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
            assert worker.stderr is not None
            worker.stderr.close()


def test_serve_worker_exits_2_when_its_port_is_taken(worker_cache: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "TRIBUTARY_WORKER_TOKEN": TOKEN, "TRIBUTARY_CACHE_DIR": str(worker_cache)}
        result = subprocess.run(
            [sys.executable, "-m", "tributary_worker", "--url", "http://127.0.0.1:9", "--device", "cpu", "--work-dir", str(tmp_path),
             "--serve", "--serve-port", str(port)],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )
    assert result.returncode == 2, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--serve-port" in result.stderr


def test_fetch_adapter_stops_at_the_size_limit_and_leaves_nothing(blobs: FakeServer, tmp_path: Path) -> None:
    files = tuple(AdapterFile(f["name"], f["url"]) for f in files_payload(blobs, "adapters/a1")["files"])
    folder = tmp_path / "a1"
    folder.mkdir()  # as the engine makes it for a fetch
    with pytest.raises(AdapterFilesError, match="adapter_model.safetensors: .* over the limit of 1000 bytes"):
        fetch_adapter(files, folder, max_weights_bytes=1000)
    assert list(tmp_path.iterdir()) == []
    fetch_adapter(files, folder)
    assert sorted(p.name for p in folder.iterdir()) == ["adapter_config.json", "adapter_model.safetensors"]
    assert (folder / "adapter_model.safetensors").read_bytes() == blobs.blobs["adapters/a1/adapter_model.safetensors"]
