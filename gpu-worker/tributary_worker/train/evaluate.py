"""Held-out evaluation: loss and perplexity of the base and the tuned model, and sample answers
of both next to the reference answer."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tributary_worker.device import Device
from tributary_worker.generate import Sampling, complete
from tributary_worker.train.data import IGNORE, Example, Record, collate, to_messages


def eval_loss(model, rows: Sequence[Example], pad_id: int, device: Device, batch_size: int) -> float | None:
    """Mean cross-entropy per label token over `rows`, or None when there is nothing to score."""
    import torch
    import torch.nn.functional as F

    if not rows:
        return None
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad(), device.autocast():
        for start in range(0, len(rows), batch_size):
            batch = {k: v.to(device.torch_device) for k, v in collate(rows[start : start + batch_size], pad_id).items()}
            logits = model(input_ids=batch["input_ids"]).logits  # (B, T, V)
            # Position t predicts token t + 1.
            pred = logits[:, :-1, :].float()  # (B, T-1, V)
            target = batch["labels"][:, 1:]  # (B, T-1)
            loss = F.cross_entropy(pred.reshape(-1, pred.size(-1)), target.reshape(-1), ignore_index=IGNORE, reduction="sum")
            total += loss.item()
            count += int((target != IGNORE).sum().item())
    model.train(was_training)
    return total / count if count else None


def _perplexity(loss: float | None) -> float | None:
    if loss is None:
        return None
    return math.exp(min(loss, 50.0))  # capped: exp of a diverged loss would overflow JSON floats


TEXT_PROMPT_WORDS = 48
"""A plain-text sample is continued from at most this many of its first words (half of a shorter text)."""


def sample_prompts(records: Sequence[Record], count: int) -> list[tuple[list[dict[str, str]] | str, str]]:
    """(prompt, reference) of up to `count` held-out records. Chat and instruction records: the
    conversation up to its last assistant turn, and that turn. Plain text: its opening words, to
    continue, and the words that really follow."""
    samples: list[tuple[list[dict[str, str]] | str, str]] = []
    for record in records:
        if len(samples) >= count:
            break
        if record.kind == "text":
            words = record.content["text"].split()
            cut = min(TEXT_PROMPT_WORDS, len(words) // 2)
            if cut >= 2:
                samples.append((" ".join(words[:cut]), " ".join(words[cut : cut + TEXT_PROMPT_WORDS])))
            continue
        messages = to_messages(record)
        last = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=None)
        if last is not None and any(m["role"] == "user" for m in messages[:last]):
            samples.append((messages[:last], messages[last]["content"]))
    return samples


def eval_report(
    model, tokenizer, eval_rows: Sequence[Example], eval_records: Sequence[Record], device: Device,
    *, batch_size: int, sample_count: int, sample_max_tokens: int,
) -> dict[str, Any]:
    """The eval report (protocol message EvalReport). `model` is the PEFT model; its adapter is
    switched off for the base model's figures."""
    pad_id = tokenizer.pad_token_id
    samples = sample_prompts(eval_records, sample_count)
    prompts = [p for p, _ in samples]
    sampling = Sampling(max_tokens=sample_max_tokens, temperature=0.0)
    with model.disable_adapter():
        base_loss = eval_loss(model, eval_rows, pad_id, device, batch_size)
        base_answers = complete(model, tokenizer, prompts, sampling, device) if prompts else []
    tuned_loss = eval_loss(model, eval_rows, pad_id, device, batch_size)
    tuned_answers = complete(model, tokenizer, prompts, sampling, device) if prompts else []
    return {
        "examples": len(eval_records),
        "baseLoss": base_loss,
        "tunedLoss": tuned_loss,
        "basePerplexity": _perplexity(base_loss),
        "tunedPerplexity": _perplexity(tuned_loss),
        "samples": [
            {"prompt": prompt, "reference": reference, "base": base.text, "tuned": tuned.text}
            for (prompt, reference), base, tuned in zip(samples, base_answers, tuned_answers, strict=True)
        ],
    }
