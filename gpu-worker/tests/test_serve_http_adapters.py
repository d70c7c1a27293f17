"""The serving worker's HTTP API, continued: putting and deleting adapters (signed URLs, refusals
that leave no files), /health and /metrics, and the `--serve` worker registering its serving
capability with a fake control plane."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openai import OpenAI
from serve_http_helpers import MAX_RANK, PROMPT, completion_ids, engine_answer, files_payload, metrics

from fake_server import TOKEN, FakeServer, schema_errors
from tributary_worker.serve.downloads import AdapterFile, AdapterFilesError, fetch_adapter
from tributary_worker.serve.engine import Engine
from tributary_worker.serve.server import ServingServer


# ---- adapters --------------------------------------------------------------------------------

def test_put_adapter_then_complete_with_it_then_delete(client: OpenAI, signed: httpx2.Client, engine: Engine, blobs: FakeServer, server: ServingServer) -> None:
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
    client: OpenAI, signed: httpx2.Client, engine: Engine, blobs: FakeServer, monkeypatch: pytest.MonkeyPatch
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

def test_health_reports_the_engine(server: ServingServer, engine: Engine) -> None:
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

def _serve_worker(control: FakeServer, cache: Path, work: Path, *flags: str) -> subprocess.Popen[str]:
    """`tributary-worker --serve` on the CPU against the fake control plane."""
    env = {**os.environ, "TRIBUTARY_WORKER_TOKEN": TOKEN, "TRIBUTARY_CACHE_DIR": str(cache), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tributary_worker", "--url", control.url, "--device", "cpu", "--name", "server-1",
         "--work-dir", str(work), "--serve", "--serve-port", "0", *flags],
        env=env, stderr=subprocess.PIPE, text=True,
    )


def _serving_capability(control: FakeServer, worker: subprocess.Popen[str]) -> dict[str, Any]:
    """What the worker registered as capabilities.serving (checked against the protocol schema)."""
    deadline = time.monotonic() + 90
    while not control.bodies("register") and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert worker.stderr is not None
    assert control.bodies("register"), worker.stderr.read() if worker.poll() is not None else "no register call"
    assert schema_errors("RegisterRequest", control.bodies("register")[0]) == [] and control.violations == []
    return control.bodies("register")[0]["capabilities"]["serving"]


def _stop(worker: subprocess.Popen[str]) -> int:
    """SIGTERM, then the exit code (killed after 60 s)."""
    worker.send_signal(signal.SIGTERM)
    try:
        return worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        assert worker.stderr is not None
        worker.stderr.close()


def test_serve_worker_registers_its_serving_capability_and_stops_on_sigterm(worker_cache: Path, tmp_path: Path) -> None:
    with FakeServer() as control:
        worker = _serve_worker(control, worker_cache, tmp_path / "work", "--max-batch-size", "8", "--gpu-adapter-slots", "3")
        try:
            serving = _serving_capability(control, worker)
            assert serving["baseModel"] == "tiny-llama" and serving["maxBatchSize"] == 8 and serving["gpuAdapterSlots"] == 3
            assert serving["url"].startswith("http://127.0.0.1:")
            assert httpx2.get(f"{serving['url']}/health").json()["baseModel"] == "tiny-llama"
        finally:
            assert _stop(worker) == 0


def test_serve_worker_downloads_a_base_model_the_server_hosts(tiny_path: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"  # holds no model: the worker has only what the server hosts
    with FakeServer() as control:
        files = control.host_model(tiny_path, "acme/hosted-tiny")
        worker = _serve_worker(control, cache, tmp_path / "work", "--serve-model", "acme/hosted-tiny")
        try:
            serving = _serving_capability(control, worker)
            assert control.bodies("hosted-model") == [{"model": "acme/hosted-tiny"}]
            assert serving["baseModel"] == "acme/hosted-tiny"
            assert httpx2.get(f"{serving['url']}/health").json()["baseModel"] == "acme/hosted-tiny"
            fetched = cache / "models" / "hosted" / "acme" / "hosted-tiny"
            assert sorted(p.name for p in fetched.iterdir() if not p.name.startswith(".")) == sorted(f["name"] for f in files)
        finally:
            assert _stop(worker) == 0


def test_serve_worker_exits_2_naming_how_to_host_a_model_neither_it_nor_the_server_has(tmp_path: Path) -> None:
    with FakeServer() as control:
        worker = _serve_worker(control, tmp_path / "cache", tmp_path / "work", "--serve-model", "acme/nowhere")
        assert worker.wait(timeout=120) == 2
        assert worker.stderr is not None
        stderr = worker.stderr.read()
        worker.stderr.close()
        assert control.bodies("hosted-model") == [{"model": "acme/nowhere"}] and not control.bodies("register")
        assert "model 'acme/nowhere' is not available on this worker" in stderr and "npm run models:host -- acme/nowhere" in stderr


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
