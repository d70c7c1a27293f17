"""Text generation with a base model and optionally a LoRA adapter: the playground's backend and
the sample answers of the eval report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tributary_worker.device import Device
from tributary_worker.models.resolver import ModelResolver, load_model, load_tokenizer

Messages = list[dict[str, str]]

MAX_NEW_TOKENS_LIMIT = 4096


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    """"stop" (end-of-turn token) or "length" (max_tokens reached)."""


@dataclass(frozen=True)
class Sampling:
    """How to pick tokens; temperature 0 means greedy decoding."""

    max_tokens: int = 128
    """New tokens at most."""

    temperature: float = 0.0
    """Softmax temperature; 0 picks the most likely token every time."""

    top_p: float = 1.0
    """Nucleus sampling: keep the smallest set of tokens whose probability reaches top_p."""

    seed: int = 0
    """Seed of the sampling RNG, so the same request gives the same answer."""

    def check(self) -> None:
        if not 1 <= self.max_tokens <= MAX_NEW_TOKENS_LIMIT:
            raise ValueError(f"max_tokens is {self.max_tokens}; it must be between 1 and {MAX_NEW_TOKENS_LIMIT}")
        if not 0 <= self.temperature <= 2:
            raise ValueError(f"temperature is {self.temperature}; it must be between 0 and 2")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p is {self.top_p}; it must be in (0, 1]")


def encode_prompt(tokenizer, prompt: Messages | str) -> list[int]:
    """Chat messages through the chat template (ending with the assistant's turn opening), or a
    plain text prefix (BOS + text) to continue."""
    if isinstance(prompt, str):
        ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        return [tokenizer.bos_token_id, *ids] if tokenizer.bos_token_id is not None else ids
    text = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def complete(
    model, tokenizer, prompts: Sequence[Messages | str], sampling: Sampling, device: Device, batch_size: int = 8
) -> list[Completion]:
    """Answers each prompt; batched with left padding. Uses the model as it is (adapter on or off)."""
    import torch

    sampling.check()
    eos_ids = {tokenizer.eos_token_id, *_eos_ids(model)}
    pad_id = tokenizer.pad_token_id
    results: list[Completion] = []
    was_training = model.training
    model.eval()
    # A private RNG stream: the caller's (e.g. training's) random state is not consumed.
    devices = [torch.cuda.current_device()] if device.kind == "cuda" else []
    with torch.random.fork_rng(devices=devices), torch.no_grad(), device.autocast():
        torch.manual_seed(sampling.seed)
        for start in range(0, len(prompts), batch_size):
            encoded = [encode_prompt(tokenizer, p) for p in prompts[start : start + batch_size]]
            width = max(len(e) for e in encoded)
            input_ids = torch.full((len(encoded), width), pad_id, dtype=torch.long)  # (B, T)
            attention_mask = torch.zeros((len(encoded), width), dtype=torch.long)  # (B, T)
            for i, e in enumerate(encoded):
                input_ids[i, width - len(e) :] = torch.tensor(e)
                attention_mask[i, width - len(e) :] = 1
            sample = sampling.temperature > 0
            out = model.generate(
                input_ids=input_ids.to(device.torch_device),
                attention_mask=attention_mask.to(device.torch_device),
                max_new_tokens=sampling.max_tokens,
                do_sample=sample,
                **({"temperature": sampling.temperature, "top_p": sampling.top_p} if sample else {}),
                pad_token_id=pad_id,
                eos_token_id=sorted(eos_ids),
            )  # (B, T + new)
            for i, e in enumerate(encoded):
                new = out[i, width:].tolist()
                stop = next((j for j, t in enumerate(new) if t in eos_ids), None)
                kept = new if stop is None else new[:stop]
                results.append(
                    Completion(
                        text=tokenizer.decode(kept, skip_special_tokens=True),
                        prompt_tokens=len(e),
                        completion_tokens=len(kept) + (0 if stop is None else 1),
                        finish_reason="length" if stop is None else "stop",
                    )
                )
    model.train(was_training)
    return results


def _eos_ids(model) -> list[int]:
    """End tokens of the model's generation config (Llama 3 has several, e.g. <|eot_id|>)."""
    config = getattr(model, "generation_config", None)
    eos = getattr(config, "eos_token_id", None)
    if eos is None:
        return []
    return list(eos) if isinstance(eos, (list, tuple)) else [eos]


class Generator:
    """Keeps the last base model loaded between playground requests; adapters are put on for one
    request and taken off again, so one loaded base serves every adapter."""

    def __init__(self, resolver: ModelResolver, device: Device) -> None:
        self._resolver = resolver
        self._device = device
        self._loaded: tuple[str, object, object] | None = None  # (model id, model, tokenizer)

    def _base(self, model_id: str):
        if self._loaded is None or self._loaded[0] != model_id:
            self._loaded = None  # free the old model before loading the next one
            source = self._resolver.resolve(model_id)
            tokenizer = load_tokenizer(source)
            model = load_model(source, self._device.dtype(), self._device.torch_device)
            self._loaded = (model_id, model, tokenizer)
        return self._loaded[1], self._loaded[2]

    def generate(
        self, base_model: str, adapter_dir: Path | None, prompts: Sequence[Messages], sampling: Sampling
    ) -> list[Completion]:
        from peft import PeftModel

        model, tokenizer = self._base(base_model)
        if adapter_dir is None:
            return complete(model, tokenizer, prompts, sampling, self._device)
        tuned = PeftModel.from_pretrained(model, str(adapter_dir))
        try:
            return complete(tuned, tokenizer, prompts, sampling, self._device)
        finally:
            tuned.unload()  # takes the LoRA layers out of the shared base model again
