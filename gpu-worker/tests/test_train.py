from __future__ import annotations

import math
from pathlib import Path

import pytest

from helpers import capital_chats
from tributary_worker.device import pick_device
from tributary_worker.models.resolver import ModelResolver
from tributary_worker.train.checkpoint import CheckpointError
from tributary_worker.train.config import ConfigError, FinetuneConfig
from tributary_worker.train.recipe import LoRAFinetuneRecipe, Progress


def config(**overrides) -> FinetuneConfig:
    settings = dict(
        base_model="tiny-llama", epochs=3, batch_size=4, learning_rate=5e-3, lora_rank=8, lora_alpha=16,
        max_length=64, eval_fraction=0.25, target_modules="all-linear", warmup_ratio=0.1, seed=3,
        sample_count=2, sample_max_tokens=8,
    )
    settings.update(overrides)
    return FinetuneConfig(**settings)


def make_recipe(resolver: ModelResolver, work: Path, cfg: FinetuneConfig, **callbacks) -> LoRAFinetuneRecipe:
    return LoRAFinetuneRecipe(cfg, resolver, pick_device("cpu"), work, **callbacks)


def adapter_tensors(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(folder / "adapter_model.safetensors"))


def test_training_lowers_the_loss_and_writes_a_loadable_adapter(resolver, tiny_path, write_snapshot, tmp_path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    data = write_snapshot(capital_chats(24))
    progress: list[Progress] = []
    events: list[tuple[str, str]] = []
    evals: list[tuple[int, float]] = []
    recipe = make_recipe(
        resolver, tmp_path / "work", config(), on_progress=progress.append, on_event=lambda *e: events.append(e),
        on_eval=lambda step, loss: evals.append((step, loss)),
    )
    recipe.setup([("v1.jsonl", data)])
    assert recipe.train() is None
    result = recipe.finish()
    recipe.cleanup()

    assert [p.step for p in progress] == list(range(1, 16))  # 18 train records / 4 = 5 steps x 3 epochs
    assert progress[-1].total_steps == 15 and progress[-1].epoch == pytest.approx(3.0)
    assert progress[-1].eta_seconds == 0 and all(p.tokens_per_second > 0 for p in progress)
    assert progress[0].learning_rate < progress[2].learning_rate  # warmup
    assert sum(p.loss for p in progress[-3:]) < sum(p.loss for p in progress[:3])
    metrics = result.metrics
    assert metrics["trainLoss"] < progress[0].loss
    assert (metrics["trainExamples"], metrics["steps"], metrics["epochs"], metrics["truncatedExamples"]) == (18, 15, 3, 0)
    assert metrics["trainTokens"] > 0 and metrics["trainSeconds"] > 0
    assert events == []
    assert [step for step, _ in evals] == [0, 5, 10, 15]  # before training and after each epoch
    assert evals[-1][1] < evals[0][1]

    report = result.eval_report
    assert report["examples"] == 6
    assert report["tunedLoss"] < report["baseLoss"]
    assert report["tunedPerplexity"] < report["basePerplexity"]
    assert len(report["samples"]) == 2
    assert set(report["samples"][0]) == {"prompt", "reference", "base", "tuned"}
    assert report["samples"][0]["reference"].startswith("The capital of")

    assert {p.name for p in result.adapter_dir.iterdir()} >= {"adapter_config.json", "adapter_model.safetensors"}
    base = AutoModelForCausalLM.from_pretrained(tiny_path)
    ids = torch.tensor([[1, 5, 100, 200, 300]])
    before = base(ids).logits
    tuned = PeftModel.from_pretrained(base, str(result.adapter_dir))
    assert not torch.allclose(tuned(ids).logits, before)


def test_resumed_run_ends_with_the_same_adapter(resolver, write_snapshot, tmp_path) -> None:
    data = [("v1.jsonl", write_snapshot(capital_chats(16)))]
    cfg = config(epochs=2, lora_dropout=0.1, checkpoint_every_steps=2)

    whole = make_recipe(resolver, tmp_path / "whole", cfg)
    whole.setup(data)
    assert whole.train() is None
    whole_adapter = whole.finish().adapter_dir

    saved: list[tuple[Path, int]] = []
    first = make_recipe(resolver, tmp_path / "first", cfg, on_checkpoint=lambda d, s: saved.append((d, s)),
                        should_stop=lambda: "shutdown" if first.state.step == 5 else None)
    first.setup(data)
    assert first.train() == "shutdown"
    assert [s for _, s in saved] == [2, 4]
    last = first.save_checkpoint()  # what the agent does on shutdown
    first.cleanup()

    second = make_recipe(resolver, tmp_path / "second", cfg)
    second.setup(data, resume_from=last)
    assert second.state.step == 5
    assert second.train() is None
    resumed = adapter_tensors(second.finish().adapter_dir)
    expected = adapter_tensors(whole_adapter)
    assert resumed.keys() == expected.keys()
    for name, tensor in expected.items():
        assert resumed[name].equal(tensor), name
    assert second.state.losses == whole.state.losses


def test_compiled_layers_train_the_same_as_uncompiled(resolver, write_snapshot, tmp_path, monkeypatch) -> None:
    import torch

    import tributary_worker.train.recipe as recipe_module

    # Dynamo traces each decoder layer (LoRA included) and this backend runs the traced graph as
    # it is, skipping Inductor's codegen (Triton needs a GPU): the GPU test compiles with Inductor.
    graphs = []

    def traced_graph_as_is(graph, example_inputs):
        graphs.append(graph)
        return graph.forward

    monkeypatch.setattr(recipe_module, "COMPILE_BACKEND", traced_graph_as_is)
    data = [("v1.jsonl", write_snapshot(capital_chats(16)))]
    cfg = config(epochs=1, lora_dropout=0.0)
    losses = []
    for compile_layers in (False, True):
        torch._dynamo.reset()
        recipe = make_recipe(resolver, tmp_path / str(compile_layers), cfg, compile_layers=compile_layers)
        recipe.setup(data)
        assert recipe.train() is None
        losses.append(recipe.state.losses)
        recipe.cleanup()
    assert graphs, "the decoder layers were not compiled"
    assert losses[1] == pytest.approx(losses[0], rel=1e-4)


def test_a_failing_compiler_falls_back_to_eager(resolver, write_snapshot, tmp_path, monkeypatch) -> None:
    import torch

    import tributary_worker.train.recipe as recipe_module

    def broken_compiler(graph, example_inputs):
        raise RuntimeError("no C compiler found")

    monkeypatch.setattr(recipe_module, "COMPILE_BACKEND", broken_compiler)
    torch._dynamo.reset()
    events: list[tuple[str, str]] = []
    recipe = make_recipe(resolver, tmp_path / "w", config(epochs=1), compile_layers=True, on_event=lambda *e: events.append(e))
    recipe.setup([("v1.jsonl", write_snapshot(capital_chats(16)))])
    assert recipe.train() is None
    assert recipe.state.step == recipe.total_steps and all(map(math.isfinite, recipe.state.losses))
    assert len(events) == 1 and events[0][0] == "warn"
    assert "torch.compile failed" in events[0][1] and "no C compiler found" in events[0][1]
    torch._dynamo.reset()


def test_cancellation_stops_between_steps(resolver, write_snapshot, tmp_path) -> None:
    recipe = make_recipe(resolver, tmp_path / "w", config(), should_stop=lambda: "cancel" if recipe.state.step >= 2 else None)
    recipe.setup([("v1.jsonl", write_snapshot(capital_chats(24)))])
    assert recipe.train() == "cancel"
    assert recipe.state.step == 2


def test_checkpoint_of_another_run_is_refused(resolver, write_snapshot, tmp_path) -> None:
    data = [("v1.jsonl", write_snapshot(capital_chats(12)))]
    first = make_recipe(resolver, tmp_path / "a", config(), should_stop=lambda: "shutdown")
    first.setup(data)
    first.train()
    folder = first.save_checkpoint()
    other = make_recipe(resolver, tmp_path / "b", config(learning_rate=1e-3))
    with pytest.raises(CheckpointError, match="other settings"):
        other.setup(data, resume_from=folder)


def test_packing_and_other_formats(resolver, write_snapshot, tmp_path) -> None:
    rows = capital_chats(12) + [{"text": "A text record that a chat job skips."}]
    events: list[tuple[str, str]] = []
    recipe = make_recipe(resolver, tmp_path / "w", config(packing=True, epochs=1, max_length=128, lr_schedule="linear",
                                                         gradient_checkpointing=True), on_event=lambda *e: events.append(e))
    recipe.setup([("v1.jsonl", write_snapshot(rows))])
    assert len(recipe.train_rows) < recipe.train_record_count == 9
    assert recipe.train() is None
    assert events == [("warn", "skipped 1 of 13 records that the chat template cannot train on (it takes chat and instruction records)")]


def test_plain_text_and_instruction_jobs(resolver, write_snapshot, tmp_path) -> None:
    texts = [{"text": f"The capital of {c} is {city}, a city with many people."} for c, city in [("France", "Paris"), ("Peru", "Lima")] * 4]
    recipe = make_recipe(resolver, tmp_path / "t", config(task_template="text", epochs=1))
    recipe.setup([("t.jsonl", write_snapshot(texts, "t.jsonl"))])
    assert recipe.train() is None
    report = recipe.finish().eval_report
    assert report["tunedLoss"] is not None
    # Text samples continue a held-out text's opening words; the reference is what follows them.
    assert len(report["samples"]) == len(recipe.eval_records) == 2
    for sample, record in zip(report["samples"], recipe.eval_records, strict=True):
        words = record.content["text"].split()
        assert (sample["prompt"], sample["reference"]) == (" ".join(words[:5]), " ".join(words[5:]))
        assert isinstance(sample["base"], str) and isinstance(sample["tuned"], str)

    rows = [{"instruction": "Name the capital.", "input": c, "output": city} for c, city in [("France", "Paris"), ("Peru", "Lima")] * 4]
    recipe = make_recipe(resolver, tmp_path / "i", config(task_template="instruction", epochs=1))
    recipe.setup([("i.jsonl", write_snapshot(rows, "i.jsonl"))])
    assert recipe.train() is None

    # The chat template takes instruction records too, and the text template takes every kind.
    mixed = rows + capital_chats(4) + texts
    events: list[tuple[str, str]] = []
    recipe = make_recipe(resolver, tmp_path / "m", config(task_template="text", epochs=1, eval_fraction=0.1), on_event=lambda *e: events.append(e))
    recipe.setup([("m.jsonl", write_snapshot(mixed, "m.jsonl"))])
    assert recipe.train_record_count + len(recipe.eval_records) == len(mixed) and events == []
    recipe = make_recipe(resolver, tmp_path / "c", config(task_template="chat", epochs=1, eval_fraction=0.1))
    recipe.setup([("c.jsonl", write_snapshot(rows + capital_chats(4), "c.jsonl"))])
    assert recipe.train_record_count + len(recipe.eval_records) == 12


def test_limits_are_checked_up_front(resolver, tmp_path) -> None:
    with pytest.raises(ConfigError, match="lora_rank is 0; it must be between 1 and 512"):
        make_recipe(resolver, tmp_path, config(lora_rank=0))
    with pytest.raises(ConfigError, match="eval_fraction"):
        make_recipe(resolver, tmp_path, config(eval_fraction=0.9))


@pytest.mark.gpu
@pytest.mark.parametrize("checkpointing", [False, True])
def test_bf16_training_on_cuda(resolver, write_snapshot, tmp_path, checkpointing) -> None:
    """bf16 with the decoder layers compiled by Inductor (no fallback to eager), with and without
    gradient checkpointing."""
    import torch

    device = pick_device("cuda")
    assert device.dtype() == torch.bfloat16
    events: list[tuple[str, str]] = []
    cfg = config(epochs=2, gradient_checkpointing=checkpointing)
    recipe = LoRAFinetuneRecipe(cfg, resolver, device, tmp_path / "w", on_event=lambda *e: events.append(e))
    recipe.setup([("v1.jsonl", write_snapshot(capital_chats(24)))])
    assert next(p for n, p in recipe.model.named_parameters() if "lora_" not in n).dtype == torch.bfloat16
    assert recipe.train() is None
    result = recipe.finish()
    assert result.metrics["trainLoss"] < recipe.state.losses[0]
    assert result.eval_report["tunedLoss"] < result.eval_report["baseLoss"]
    assert not [m for _, m in events if "torch.compile" in m], events
