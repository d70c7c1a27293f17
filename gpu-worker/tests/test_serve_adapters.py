"""Adapters the serving engine refuses (bad files, another base model) with the reason, and
out-of-memory faults while loading or running, after which the engine keeps serving the others."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from serve_helpers import GREEDY, NEW_TOKENS, PROMPTS, copier, encode, make_adapter, peft_reference, tokens_of, tokens_within

from tributary_worker.serve.types import AdapterError, GenerationRequest, SamplingParams


def _broken(folder: Path, source: Path, change: str) -> Path:
    folder.mkdir()
    config = json.loads((source / "adapter_config.json").read_text())
    tensors = load_file(source / "adapter_model.safetensors")
    if change == "peft_type":
        config["peft_type"] = "PREFIX_TUNING"
    elif change == "shape":
        key = next(k for k in tensors if "q_proj.lora_A" in k)
        tensors[key] = torch.zeros(tensors[key].shape[0], 128)
    elif change == "rank":
        config["r"] = 32
        tensors = {k: torch.zeros(32, v.shape[1]) if "lora_A" in k else torch.zeros(v.shape[0], 32) for k, v in tensors.items()}
    elif change == "module":
        tensors["base_model.model.model.embed_tokens.lora_A.weight"] = torch.zeros(4, 64)
    elif change == "not safetensors":
        (folder / "adapter_model.safetensors").write_bytes(b"not a safetensors file")
        (folder / "adapter_config.json").write_text(json.dumps(config))
        return folder
    (folder / "adapter_config.json").write_text(json.dumps(config))
    save_file(tensors, folder / "adapter_model.safetensors")
    return folder


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("peft_type", "peft_type is 'PREFIX_TUNING'"),
        ("shape", r"has shape \(4, 128\); this base model's q_proj with r=4 needs \(4, 64\)"),
        ("rank", "LoRA rank 32 is greater than max_rank 16"),
        ("module", "embed_tokens.lora_A.weight' is not a LoRA weight of a supported projection"),
        ("not safetensors", "not a readable safetensors file"),
    ],
)
def test_bad_adapter_files_give_a_clear_error(make_engine, adapter_dirs, tmp_path, change, message, tokenizer):
    engine = make_engine()
    bad = _broken(tmp_path / "bad", adapter_dirs["a-qv-r4"], change)
    engine.register_adapter("bad", copier(bad))
    with pytest.raises(AdapterError, match=message):
        engine.load_adapter("bad").result()
    engine.start()
    handle = engine.submit(GenerationRequest(encode(tokenizer, PROMPTS[0]), "bad", GREEDY))
    with pytest.raises(AdapterError, match=message):
        list(handle)
    # The engine keeps serving the others.
    assert tokens_of(engine.submit(GenerationRequest(encode(tokenizer, PROMPTS[0]), "a-qv-r4", GREEDY)))[2] == "length"


@pytest.fixture(scope="module")
def other_bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """tiny-llamas of other shapes (real models, built like the catalog's): the bases adapters are trained on by mistake."""
    from tributary_worker.models.tiny_llama import TinyLlamaSpec, ensure_tiny_llama

    root = tmp_path_factory.mktemp("other-bases")
    specs = {"hidden 32": TinyLlamaSpec(hidden_size=32), "1 layer": TinyLlamaSpec(num_layers=1), "3 layers": TinyLlamaSpec(num_layers=3)}
    return {name: ensure_tiny_llama(root, spec) for name, spec in specs.items()}


@pytest.mark.parametrize(
    ("base", "keep_name", "message"),
    [
        # What peft saves names the base model's folder: the name alone tells.
        ("hidden 32", True, r"trained on base model '.*/tiny-llama-v\d+-s0-v512-h32-[^']*'; this worker serves tiny-llama \(models/tiny-llama-v\d+-s0-v512-h64-"),
        ("1 layer", True, r"trained on base model '.*-h64-i128-l1-[^']*'; this worker serves tiny-llama"),
        # Without base_model_name_or_path (hand-made adapters), the shapes tell.
        ("hidden 32", False, r"has shape \(4, 32\); this base model's q_proj with r=4 needs \(4, 64\) \(was the adapter trained on another base model than tiny-llama \(models/tiny-llama-[^)]*\)\?\)"),
        ("1 layer", False, r"q_proj has LoRA weights for layers \[0\]; this base model needs them for layers \[0, 1\] of its 2 \(was the adapter trained on another base model than tiny-llama \(models/tiny-llama-[^)]*\)\?\)"),
        ("3 layers", False, r"is for layer 2; the base model has 2 layers \(was the adapter trained on another base model than tiny-llama \(models/tiny-llama-[^)]*\)\?\)"),
    ],
)
def test_an_adapter_trained_on_another_base_model_is_refused_naming_both(
    make_engine, other_bases, tmp_path, tokenizer, base, keep_name, message
):
    folder = make_adapter(other_bases[base], tmp_path / "other", 5, r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"])
    config = json.loads((folder / "adapter_config.json").read_text())
    assert "tiny-llama" in config["base_model_name_or_path"]
    if not keep_name:
        del config["base_model_name_or_path"]
    (folder / "adapter_config.json").write_text(json.dumps(config))
    engine = make_engine()
    engine.register_adapter("other", copier(folder))
    with pytest.raises(AdapterError, match=message):
        engine.load_adapter("other").result()
    assert engine.stats().adapters == {"gpu": [], "cpu": [], "disk": []}
    engine.start()
    with pytest.raises(AdapterError, match=message):
        list(engine.submit(GenerationRequest(encode(tokenizer, PROMPTS[0]), "other", GREEDY)))


def test_the_same_base_model_is_recognized_from_another_machines_path_and_partial_layers_load(make_engine, tiny_path, adapter_dirs, tmp_path, tokenizer):
    """base_model_name_or_path is the folder training loaded from: another machine's parent folders,
    or the catalog id, name the same base model. layers_to_transform adapters cover only their layers."""
    moved = tmp_path / "moved"
    moved.mkdir()
    config = json.loads((adapter_dirs["a-qv-r4"] / "adapter_config.json").read_text())
    (moved / "adapter_config.json").write_text(json.dumps({**config, "base_model_name_or_path": f"/srv/elsewhere/models/{tiny_path.name}/"}))
    (moved / "adapter_model.safetensors").write_bytes((adapter_dirs["a-qv-r4"] / "adapter_model.safetensors").read_bytes())
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    (by_id / "adapter_config.json").write_text(json.dumps({**config, "base_model_name_or_path": "tiny-llama"}))
    (by_id / "adapter_model.safetensors").write_bytes((adapter_dirs["a-qv-r4"] / "adapter_model.safetensors").read_bytes())
    partial = make_adapter(tiny_path, tmp_path / "partial", 9, r=4, lora_alpha=8, target_modules=["q_proj", "down_proj"], layers_to_transform=[1])
    engine = make_engine()
    for name, folder in [("moved", moved), ("by-id", by_id), ("partial", partial)]:
        engine.register_adapter(name, copier(folder))
    engine.start()
    ids = encode(tokenizer, PROMPTS[1])
    reference = peft_reference(tiny_path, {"a-qv-r4": adapter_dirs["a-qv-r4"], "partial": partial}, [(ids, "a-qv-r4"), (ids, "partial")], NEW_TOKENS)
    got = [tokens_of(engine.submit(GenerationRequest(ids, name, GREEDY)))[0] for name in ("moved", "by-id", "partial")]
    assert got == [reference[0], reference[0], reference[1]]


def _solo_answers(engine, jobs, sampling):
    return [tokens_of(engine.submit(GenerationRequest(ids, adapter, sampling)))[0] for ids, adapter in jobs]


def test_out_of_memory_loading_an_adapter_fails_its_requests_and_the_others_go_on(make_engine, tokenizer, monkeypatch):
    """An adapter load that runs out of GPU memory (injected at LoraModel.load_slot, the copy into
    the slot) fails the requests that waited on it; the running requests keep decoding to the same
    answers, the slot it claimed is free again, and a later request loads the adapter."""
    engine = make_engine(gpu_adapter_slots=2)
    engine.start()
    long = SamplingParams(max_tokens=120, temperature=0, ignore_eos=True)
    running = [(encode(tokenizer, PROMPTS[0]), None), (encode(tokenizer, PROMPTS[1]), "b-all-r8")]
    alone = _solo_answers(engine, running, long)

    real_load_slot = engine.model.load_slot
    entered, release = threading.Event(), threading.Event()

    def out_of_memory(slot, modules):
        entered.set()
        release.wait(30)
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 MiB")

    monkeypatch.setattr(engine.model, "load_slot", out_of_memory)
    handles = [engine.submit(GenerationRequest(ids, adapter, long)) for ids, adapter in running]
    streams = [iter(h) for h in handles]
    seen = [[next(s)] for s in streams]
    ids = encode(tokenizer, PROMPTS[2])
    victims = [engine.submit(GenerationRequest(ids, "a-qv-r4", GREEDY)) for _ in range(2)]
    assert entered.wait(30)
    seen[0] += [next(streams[0]) for _ in range(5)]  # decoding goes on while the load hangs
    release.set()
    for victim in victims:
        with pytest.raises(torch.OutOfMemoryError, match="CUDA out of memory"):
            list(victim)
    for deltas, stream in zip(seen, streams):
        deltas += list(stream)
    assert [[t for d in deltas for t in d.token_ids] for deltas in seen] == alone
    assert [deltas[-1].finish_reason for deltas in seen] == ["length", "length"]
    store = engine.store
    assert sorted(store.free_slots + list(store.gpu.values())) == [1, 2], "the slot the failed load claimed is free again"

    monkeypatch.setattr(engine.model, "load_slot", real_load_slot)
    assert tokens_of(engine.submit(GenerationRequest(ids, "a-qv-r4", GREEDY)))[2] == "length"
    assert sorted(engine.stats().adapters["gpu"]) == ["a-qv-r4", "b-all-r8"]
    assert sorted(store.free_slots + list(store.gpu.values())) == [1, 2]


# GPU memory, and pinned host memory (torch reports a failed cudaHostAlloc as a RuntimeError).
@pytest.mark.parametrize("error", [torch.OutOfMemoryError("CUDA out of memory"), RuntimeError("CUDA error: out of memory")])
def test_out_of_memory_on_an_explicit_load_leaves_the_adapter_loadable(make_engine, monkeypatch, error):
    engine = make_engine(gpu_adapter_slots=1)
    real_load_slot = engine.model.load_slot

    def out_of_memory(slot, modules):
        raise error

    monkeypatch.setattr(engine.model, "load_slot", out_of_memory)
    with pytest.raises(type(error), match="out of memory"):
        engine.load_adapter("a-qv-r4").result(timeout=30)
    monkeypatch.setattr(engine.model, "load_slot", real_load_slot)
    # With its one slot lost, this load would wait forever.
    assert engine.load_adapter("a-qv-r4").result(timeout=30).tier == "cpu"
    assert engine.store.failed == {} and engine.stats().adapters["gpu"] == ["a-qv-r4"]


@pytest.mark.parametrize("where", ["decode", "prefill"])
def test_out_of_memory_in_a_forward_fails_only_that_steps_requests(make_engine, tokenizer, monkeypatch, where):
    """An out-of-memory error in a decode step (injected at LoraModel.decode) fails the requests of
    that step (in a prefill: the requests it admits); requests outside it, and later ones, get their
    usual answers."""
    engine = make_engine(max_batch_size=2)
    engine.start()
    long = SamplingParams(max_tokens=120, temperature=0, ignore_eos=True)
    jobs = [(encode(tokenizer, PROMPTS[i]), adapter) for i, adapter in enumerate([None, "a-qv-r4", "c-mlp-r16-rslora"])]
    alone = _solo_answers(engine, jobs, long)

    real = getattr(engine.model, where)
    armed = threading.Event()

    def forward(*args, **kwargs):
        if armed.is_set():
            armed.clear()
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 64.00 MiB")
        return real(*args, **kwargs)

    monkeypatch.setattr(engine.model, where, forward)
    first, second = (engine.submit(GenerationRequest(ids, adapter, long)) for ids, adapter in jobs[:2])
    streams = [iter(first), iter(second)]
    seen = [[next(s)] for s in streams]
    if where == "decode":
        third = engine.submit(GenerationRequest(*jobs[2], long))  # waits: the batch holds 2
        armed.set()
        for stream in streams:
            with pytest.raises(torch.OutOfMemoryError):
                list(stream)
        assert tokens_within(third) == alone[2]
    else:
        first.cancel()  # a row frees up; the next admitted request's prefill fails
        list(streams[0])
        armed.set()
        third = engine.submit(GenerationRequest(*jobs[2], long))
        with pytest.raises(torch.OutOfMemoryError):
            list(third)
        assert [t for d in seen[1] + list(streams[1]) for t in d.token_ids] == alone[1]
    assert [tokens_of(engine.submit(GenerationRequest(ids, adapter, long)))[0] for ids, adapter in jobs] == alone
    deadline = time.monotonic() + 10
    while engine.stats().running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.stats().running == engine.stats().waiting == 0
    assert not any(engine.store.pins.values()), "every slot a failed request pinned is released"

