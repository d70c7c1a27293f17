"""Test assets for the serving engine: LoRA adapters made with peft on tiny-llama, the peft
reference generation they are compared with, and reading a request's answer."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import torch

from tributary_worker.serve.types import SamplingParams

PROMPTS = [
    "What is the capital of France?",
    "Tell me about rivers.",
    "Write one sentence about the sea.",
]

# Different ranks, target modules and scalings, so slot padding and untargeted modules are exercised.
ADAPTER_SPECS = {
    "a-qv-r4": dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]),
    "b-all-r8": dict(r=8, lora_alpha=32, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
    "c-mlp-r16-rslora": dict(r=16, lora_alpha=4, use_rslora=True, target_modules=["k_proj", "o_proj", "gate_proj", "down_proj"]),
}


def make_adapter(base_path: Path, out: Path, seed: int, **lora) -> Path:
    """Saves a peft LoRA adapter of tiny-llama with random non-zero A and B."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base_path)
    peft_model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", **lora))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_A" in name or "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.3)
    peft_model.save_pretrained(out)
    return out


def copier(folder: Path) -> Callable[[Path], None]:
    """A fetch callable that 'downloads' an adapter by copying its files."""

    def fetch(target: Path) -> None:
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            shutil.copy(folder / name, target / name)

    return fetch


def encode(tokenizer, prompt: str) -> list[int]:
    text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def peft_reference(base_path: Path, adapters: dict[str, Path], jobs: list[tuple[list[int], str | None]], new_tokens: int, dtype=torch.float32, device="cpu") -> list[list[int]]:
    """Greedy continuations from transformers + peft: each (prompt ids, adapter id or None) alone."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base_path, dtype=dtype).to(device)
    names = list(adapters)
    peft_model = PeftModel.from_pretrained(model, adapters[names[0]], adapter_name=names[0])
    for name in names[1:]:
        peft_model.load_adapter(adapters[name], adapter_name=name)
    peft_model.eval()
    out = []
    for ids, adapter in jobs:
        inputs = torch.tensor([ids], device=device)
        kwargs = dict(max_new_tokens=new_tokens, do_sample=False, attention_mask=torch.ones_like(inputs))
        if adapter is None:
            with peft_model.disable_adapter():
                tokens = peft_model.generate(input_ids=inputs, **kwargs)
        else:
            peft_model.set_adapter(adapter)
            tokens = peft_model.generate(input_ids=inputs, **kwargs)
        out.append(tokens[0, len(ids) :].tolist())
    return out


NEW_TOKENS = 32
GREEDY = SamplingParams(max_tokens=NEW_TOKENS, temperature=0)


def tokens_of(handle) -> tuple[list[int], str, str | None, int]:
    deltas = list(handle)
    ids = [t for d in deltas for t in d.token_ids]
    assert deltas[-1].completion_tokens == len(ids)
    return ids, "".join(d.text for d in deltas), deltas[-1].finish_reason, deltas[-1].completion_tokens


def tokens_within(handle, seconds: float = 60) -> list[int]:
    """A request's token ids; fails after `seconds` where an engine that never admits it would hang."""

    async def collect():
        return [t async for d in handle for t in d.token_ids]

    return asyncio.run(asyncio.wait_for(collect(), seconds))


def mixed_jobs(tokenizer) -> list[tuple[list[int], str | None]]:
    names = [None, *ADAPTER_SPECS]
    return [(encode(tokenizer, PROMPTS[i % len(PROMPTS)]), names[i % len(names)]) for i in range(8)]

