from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from fake_server import TOKEN, FakeServer, Reply, schema_errors
from helpers import capital_chats, snapshot_line
from tributary_worker import agent as agent_module
from tributary_worker.agent import Agent, AgentSettings
from tributary_worker.device import pick_device
from tributary_worker.jobs.finetune import finetune_config, progress_message
from tributary_worker.protocol import Backoff, Client
from tributary_worker.train.recipe import Progress

HYPERPARAMETERS = {
    "epochs": 2, "learningRate": 0.005, "batchSize": 4, "maxLength": 64, "loraRank": 4, "loraAlpha": 8,
    "loraDropout": 0.0, "targetModules": ["q_proj", "v_proj"], "warmupRatio": 0.1, "evalFraction": 0.2,
    "gradientCheckpointing": False, "packing": False, "seed": 1,
}


def finetune_payload(server: FakeServer, contents: list[dict], every: int = 2, **hyperparameters: Any) -> dict[str, Any]:
    version = str(uuid.uuid4())
    key = f"datasets/{version}.jsonl"
    server.blobs[key] = "".join(snapshot_line(f"r{i}", c) for i, c in enumerate(contents)).encode()
    return {
        "kind": "finetune", "baseModel": "tiny-llama", "taskTemplate": "chat",
        "hyperparameters": {**HYPERPARAMETERS, **hyperparameters},
        "datasets": [{"versionId": version, "url": server.blob_url(key), "records": len(contents)}],
        "resume": None, "checkpointEverySteps": every,
    }


def make_agent(server: FakeServer, resolver, tmp_path: Path, token: str = TOKEN) -> Agent:
    settings = AgentSettings(name="test-worker", work_dir=tmp_path / "work", once=True, wait_seconds=1)
    return Agent(Client(server.url, token, timeout=10), resolver, pick_device("cpu"), settings, log=lambda m: None)


def expires() -> str:
    return "2030-01-01T00:00:00.000Z"


def test_finetune_job_end_to_end(resolver, tmp_path: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    with FakeServer() as server:
        job = server.add_job("finetune", finetune_payload(server, capital_chats(20)))
        assert make_agent(server, resolver, tmp_path).run() == 0

    assert server.violations == []
    register = server.bodies("register")[0]
    assert register["capabilities"] == {
        "device": "cpu", "gpuName": None, "gpuMemoryGb": 0.0, "models": ["tiny-llama"], "kinds": ["finetune", "generate"], "hostedModels": True,
    }
    beats = server.bodies("heartbeat")
    assert beats[-1]["progress"]["step"] == beats[-1]["progress"]["totalSteps"] == 8
    metric_names = {m["name"] for b in beats for m in b["metrics"]}
    assert metric_names == {"train_loss", "learning_rate", "tokens_per_second", "eval_loss"}
    assert sorted({m["step"] for b in beats for m in b["metrics"] if m["name"] == "train_loss"}) == list(range(1, 9))
    # A checkpoint key rides on the next beat; a newer one replaces an unsent one.
    sent = [b["checkpoint"]["step"] for b in beats if b["checkpoint"]]
    assert sent[-1] == 6 and sent == sorted(set(sent))
    assert {f"jobs/{job.id}/checkpoints/step-00000{s}.tar" for s in (2, 4, 6)} <= set(server.blobs)

    (complete,) = server.bodies("complete")
    result = complete["result"]
    assert {a["name"] for a in result["adapter"]} == {"adapter_config.json", "adapter_model.safetensors"}
    for artifact in result["adapter"]:
        assert len(server.blobs[artifact["key"]]) == artifact["sizeBytes"]
        assert artifact["key"].startswith(f"jobs/{job.id}/")
    assert result["metrics"]["steps"] == 8 and result["metrics"]["trainExamples"] == 16
    assert result["evalReport"]["examples"] == 4 and len(result["evalReport"]["samples"]) == 4
    assert any("training tiny-llama on cpu: 16 examples, 4 held out, 8 steps" in e["message"] for b in server.bodies("events") for e in b["events"])
    assert not (tmp_path / "work" / "jobs" / job.id).exists()

    adapter_dir = tmp_path / "downloaded"
    adapter_dir.mkdir()
    for artifact in result["adapter"]:
        (adapter_dir / artifact["name"]).write_bytes(server.blobs[artifact["key"]])
    base = AutoModelForCausalLM.from_pretrained(resolver.resolve("tiny-llama").location)
    ids = torch.tensor([[1, 4, 50, 60]])
    before = base(ids).logits
    assert not torch.allclose(PeftModel.from_pretrained(base, str(adapter_dir))(ids).logits, before)


def test_finetune_on_a_base_model_the_server_hosts(resolver, tmp_path: Path, tiny_path: Path) -> None:
    with FakeServer() as server:
        payload = finetune_payload(server, capital_chats(10), epochs=1)
        payload |= {"baseModel": "acme/hosted-tiny", "baseModelFiles": server.host_model(tiny_path, "acme/hosted-tiny")}
        server.add_job("finetune", payload)
        assert make_agent(server, resolver, tmp_path).run() == 0
    assert server.violations == []
    (complete,) = server.bodies("complete")
    assert complete["result"]["metrics"]["steps"] > 0
    fetched = resolver.cache_dir / "models" / "hosted" / "acme" / "hosted-tiny"
    assert (fetched / "model.safetensors").read_bytes() == (tiny_path / "model.safetensors").read_bytes()
    assert resolver.resolve("acme/hosted-tiny").kind == "hosted"
    assert any("acme/hosted-tiny: 6 files" in e["message"] for b in server.bodies("events") for e in b["events"])


def test_generate_job_answers_each_variant(resolver, tmp_path: Path, tiny_path: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    adapter = tmp_path / "adapter"
    config = LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=64, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_path), config).save_pretrained(str(adapter))
    with FakeServer() as server:
        files = []
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            server.blobs[f"models/m1/{name}"] = (adapter / name).read_bytes()
            files.append({"name": name, "url": server.blob_url(f"models/m1/{name}")})
        server.add_job("generate", {
            "kind": "generate", "baseModel": "tiny-llama",
            "variants": [{"name": "base", "adapter": None}, {"name": "tuned", "adapter": {"files": files}}],
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
            "maxTokens": 8, "temperature": 0, "topP": 1, "seed": 0,
        })
        make_agent(server, resolver, tmp_path).run()
    assert server.violations == []
    outputs = server.bodies("complete")[0]["result"]["outputs"]
    assert [o["variant"] for o in outputs] == ["base", "tuned"]
    assert outputs[0]["promptTokens"] == outputs[1]["promptTokens"] > 0
    assert outputs[0]["text"] != outputs[1]["text"]


def long_job(server: FakeServer, epochs: int = 50) -> dict[str, Any]:
    """38 steps per epoch of a few milliseconds each: long enough to be interrupted."""
    return finetune_payload(server, capital_chats(40), every=1000, epochs=epochs, batchSize=1, evalFraction=0.05)


def test_cancel_stops_training_without_completing(resolver, tmp_path: Path) -> None:
    with FakeServer() as server:
        server.add_job("finetune", long_job(server))
        server.hooks["heartbeat"] = lambda body: {"cancel": True, "leaseExpiresAt": expires()}
        started = time.monotonic()
        make_agent(server, resolver, tmp_path).run()
    assert time.monotonic() - started < 60
    assert server.violations == []
    assert server.bodies("complete") == [] and server.bodies("fail") == [] and server.bodies("release") == []
    # The first heartbeat (~1 s in) already said cancel: stopped long before step 1900.
    beats = server.bodies("heartbeat")
    assert len(beats) <= 3 and beats[-1]["progress"]["step"] < beats[-1]["progress"]["totalSteps"] == 1900


def test_lost_lease_abandons_the_job(resolver, tmp_path: Path) -> None:
    def lost(body: dict[str, Any]) -> None:
        raise Reply(409, "lease_lost", "The lease expired and the job went to another worker.")

    with FakeServer() as server:
        server.add_job("finetune", long_job(server))
        server.hooks["heartbeat"] = lost
        make_agent(server, resolver, tmp_path).run()
    assert server.violations == []
    assert [r for r, _ in server.calls if r not in ("register", "lease", "heartbeat", "events")] == []


def test_bad_data_fails_the_job_for_good(resolver, tmp_path: Path) -> None:
    with FakeServer() as server:
        payload = finetune_payload(server, capital_chats(4))
        server.blobs[payload["datasets"][0]["url"].split("/blobs/")[1].split("?")[0]] += b'{"id": "x", "content": {"oops": 1}}\n'
        server.add_job("finetune", payload)
        make_agent(server, resolver, tmp_path).run()
    assert server.violations == []
    (fail,) = server.bodies("fail")
    assert fail["retryable"] is False
    assert "line 5: 'content' must be" in fail["message"]


def test_unreachable_server_and_5xx_are_retried(resolver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agent_module, "Backoff", lambda: Backoff(base=0.01, cap=0.05))
    answers = iter([Reply(503, "internal"), Reply(502, "internal")])

    def flaky(body: dict[str, Any]) -> None:
        reply = next(answers, None)
        if reply is not None:
            raise reply

    with FakeServer() as server:
        server.hooks["register"] = flaky
        server.add_job("finetune", finetune_payload(server, capital_chats(8), epochs=1))
        make_agent(server, resolver, tmp_path).run()
        assert len(server.bodies("register")) == 3
        assert len(server.bodies("complete")) == 1

        # Nobody listening at all: register keeps backing off until shutdown.
        lines: list[str] = []
        dead = Agent(Client("http://127.0.0.1:9", TOKEN, timeout=1), resolver, pick_device("cpu"),
                     AgentSettings(name="w", work_dir=tmp_path / "w2", once=True), log=lines.append)
        runner = threading.Thread(target=dead.run)
        runner.start()
        while len(lines) < 3 and runner.is_alive():
            time.sleep(0.01)
        dead.shutdown.set()
        runner.join(timeout=10)
    assert not runner.is_alive()
    assert all("cannot reach http://127.0.0.1:9" in line for line in lines[:3])


def test_unknown_worker_registers_again(resolver, tmp_path: Path) -> None:
    with FakeServer() as server:
        server.add_job("finetune", finetune_payload(server, capital_chats(8), epochs=1))
        forgotten = {"done": False}

        def forget(body: dict[str, Any]) -> None:
            if not forgotten["done"]:
                forgotten["done"] = True
                server.worker_ids.clear()

        server.hooks["lease"] = forget
        make_agent(server, resolver, tmp_path).run()
    assert [r for r, _ in server.calls][:3] == ["register", "lease", "register"]
    assert len(server.bodies("complete")) == 1


def worker_process(server: FakeServer, worker_cache: Path, tmp_path: Path, token: str = TOKEN) -> subprocess.Popen[str]:
    env = {**os.environ, "TRIBUTARY_CACHE_DIR": str(worker_cache), "TRIBUTARY_WORKER_TOKEN": token, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tributary_worker", "--url", server.url, "--device", "cpu", "--once",
         "--name", "sub", "--work-dir", str(tmp_path / "sub-work")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def test_sigterm_checkpoints_releases_and_a_retry_resumes(resolver, worker_cache: Path, tmp_path: Path) -> None:
    def slow_upload(body: dict[str, Any]) -> None:
        time.sleep(0.25)  # a checkpoint after every step: this paces training, whatever the CPU

    with FakeServer() as server:
        # 11 training records, batch 1, 4 epochs: 44 steps.
        job = server.add_job("finetune", finetune_payload(server, capital_chats(12), every=1, epochs=4, batchSize=1, evalFraction=0.05))
        server.hooks["upload-url"] = slow_upload
        worker = worker_process(server, worker_cache, tmp_path)
        deadline = time.monotonic() + 120
        while not any(b["progress"]["step"] > 0 for b in server.bodies("heartbeat")):
            assert worker.poll() is None and time.monotonic() < deadline, worker.communicate()[0]
            time.sleep(0.05)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0, output
        (release,) = server.bodies("release")
        assert "worker shutting down at step" in release["reason"] and "checkpoint saved" in release["reason"]
        step = job.checkpoint["step"]
        assert 0 < step < 44 and job.attempt == 2
        with tarfile.open(fileobj=io.BytesIO(server.blobs[job.checkpoint["key"]])) as tar:
            assert {"adapter_model.safetensors", "trainer_state.pt"} <= set(tar.getnames())

        del server.hooks["upload-url"]
        make_agent(server, resolver, tmp_path).run()
    assert server.violations == []
    events = [e["message"] for b in server.bodies("events") for e in b["events"]]
    assert f"resumed from the checkpoint at step {step} of 44" in events
    assert server.bodies("complete")[0]["result"]["metrics"]["steps"] == 44


def test_rejected_token_exits_with_a_clear_message(worker_cache: Path, tmp_path: Path) -> None:
    with FakeServer() as server:
        worker = worker_process(server, worker_cache, tmp_path, token="tw_wrong_secret")
        output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 3
    assert "refused the worker token" in output and "TRIBUTARY_WORKER_TOKEN" in output
    assert "tw_wrong_secret" not in output


def test_python_side_messages_match_the_schema() -> None:
    progress, metrics = progress_message(Progress(3, 10, 0.3, 2.5, 1e-4, 1234.5, 7.0))
    body = {"leaseId": str(uuid.uuid4()), "progress": progress, "metrics": metrics, "checkpoint": None}
    assert schema_errors("HeartbeatRequest", body) == []
    payload = json.loads(json.dumps({"kind": "finetune", "baseModel": "tiny-llama", "taskTemplate": "instruction",
                                      "hyperparameters": HYPERPARAMETERS, "datasets": [], "resume": None, "checkpointEverySteps": 5}))
    config = finetune_config(payload)
    assert (config.task_template, config.lora_rank, config.checkpoint_every_steps, config.target_modules) == ("instruction", 4, 5, ["q_proj", "v_proj"])
