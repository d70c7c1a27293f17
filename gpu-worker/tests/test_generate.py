from __future__ import annotations

from pathlib import Path

import pytest

from tributary_worker.device import pick_device
from tributary_worker.generate import Generator, Sampling

PROMPT = [[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is the capital of France?"}]]


@pytest.fixture(scope="module")
def adapter_dir(tiny_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PEFT adapter with random (non-zero) weights, so it visibly changes the answers."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(tiny_path)
    config = LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=64, target_modules=["q_proj", "v_proj", "o_proj"], init_lora_weights=False)
    folder = tmp_path_factory.mktemp("adapter")
    get_peft_model(base, config).save_pretrained(str(folder))
    return folder


def test_generate_with_and_without_adapter(resolver, adapter_dir: Path) -> None:
    generator = Generator(resolver, pick_device("cpu"))
    greedy = Sampling(max_tokens=12, temperature=0.0)
    base = generator.generate("tiny-llama", None, PROMPT, greedy)[0]
    tuned = generator.generate("tiny-llama", adapter_dir, PROMPT, greedy)[0]
    again = generator.generate("tiny-llama", None, PROMPT, greedy)[0]
    assert base.prompt_tokens == tuned.prompt_tokens > 5
    assert 1 <= base.completion_tokens <= 12 and base.finish_reason in ("stop", "length")
    assert tuned.text != base.text
    assert again == base  # the adapter was taken off the shared base model again


def test_sampling_is_reproducible_with_a_seed(resolver) -> None:
    generator = Generator(resolver, pick_device("cpu"))
    prompts = PROMPT * 2
    first = generator.generate("tiny-llama", None, prompts, Sampling(max_tokens=16, temperature=1.0, top_p=0.9, seed=5))
    second = generator.generate("tiny-llama", None, prompts, Sampling(max_tokens=16, temperature=1.0, top_p=0.9, seed=5))
    other = generator.generate("tiny-llama", None, prompts, Sampling(max_tokens=16, temperature=1.0, top_p=0.9, seed=6))
    assert first == second
    assert first != other
    assert all(c.completion_tokens <= 16 for c in first)


def test_sampling_limits_are_checked(resolver) -> None:
    generator = Generator(resolver, pick_device("cpu"))
    with pytest.raises(ValueError, match="max_tokens is 0; it must be between 1 and 4096"):
        generator.generate("tiny-llama", None, PROMPT, Sampling(max_tokens=0))
