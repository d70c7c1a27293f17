"""LoRA training throughput on one GPU: Tributary's recipe against a plain transformers + peft
loop, on the same model, the same records and the same GPU, in one run.

The model has the shape of ENVIRONMENT.md's peer baseline (a 0.44B Llama: hidden 1024, 24
layers, 16 heads / 8 KV heads, MLP 4096, vocab 32000, random weights, bf16, SDPA; LoRA rank 16
on all seven linear projections, AdamW, batch 8, max length 1024). The records are chat
examples of varied length, as real Datanets hold, so padding matters. Throughput counts real
(non-padding) tokens per second; `rows tok/s` counts batch x length as the peer figure does.

    python -m bench.train_throughput                      # from gpu-worker/, on a CUDA GPU
    python -m bench.train_throughput --shape small --device cpu   # a quick check of the bench itself
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import torch

from tributary_worker.device import pick_device
from tributary_worker.models.corpus import CORPUS
from tributary_worker.models.resolver import ModelResolver
from tributary_worker.models.tiny_llama import build_tiny_llama
from tributary_worker.train.config import FinetuneConfig
from tributary_worker.train.recipe import LoRAFinetuneRecipe

MODEL_ID = "bench/llama"
# The peer baseline's model, and a small one of the same family for checking the bench on a CPU.
SHAPES = {
    "0.44b": dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16, num_key_value_heads=8),
    "small": dict(hidden_size=256, intermediate_size=1024, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2),
}
LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
BATCH, MAX_LENGTH, RANK, ALPHA, LR = 8, 1024, 16, 32, 2e-4


def build_model(mirror: Path, shape: str) -> Path:
    """Saves a Llama-shaped model with random weights and tiny-llama's tokenizer under the mirror folder."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = AutoTokenizer.from_pretrained(build_tiny_llama(Path(tmp) / "tiny"))
    config = LlamaConfig(
        vocab_size=32000, max_position_embeddings=4096, **SHAPES[shape],
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    folder = mirror / MODEL_ID
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def write_records(path: Path, count: int, seed: int) -> None:
    """Chat records with a short-to-medium question and an answer of 20-500 words."""
    rng = random.Random(seed)
    words = CORPUS.split()
    with path.open("w") as f:
        for i in range(count):
            question = " ".join(rng.choices(words, k=rng.randint(8, 120)))
            answer = " ".join(rng.choices(words, k=rng.randint(20, 500)))
            content = {"messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]}
            f.write(json.dumps({"id": f"r{i}", "contentHash": f"{i:064x}", "contributorId": None, "contributorWallet": None, "content": content}) + "\n")


def peak_gib(device: str) -> float | None:
    return torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def recipe_run(resolver: ModelResolver, device: str, data: Path, work: Path, steps: int, warmup: int, packing: bool) -> dict:
    """Tributary's recipe, stopped after `steps` optimizer steps; timed from step `warmup`."""
    marks: list[tuple[int, float, int]] = []
    config = FinetuneConfig(
        base_model=MODEL_ID, task_template="chat", epochs=1, learning_rate=LR, batch_size=BATCH,
        max_length=MAX_LENGTH, lora_rank=RANK, lora_alpha=ALPHA, lora_dropout=0.05, target_modules=LINEAR,
        eval_fraction=0.01, packing=packing, seed=0, sample_count=0,
    )
    recipe = LoRAFinetuneRecipe(
        config, resolver, pick_device(device), work,
        on_progress=lambda p: marks.append((p.step, time.perf_counter(), recipe.state.tokens)),
        should_stop=lambda: "bench done" if marks and marks[-1][0] >= steps else None,
    )
    recipe.setup([("bench", data)])
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    recipe.train()
    sync(device)
    start = next(m for m in marks if m[0] == warmup)
    end = marks[-1]
    seconds = end[1] - start[1]
    rows = (end[0] - start[0]) * BATCH * MAX_LENGTH if packing else None
    result = {
        "steps": end[0] - start[0],
        "tokens_per_second": (end[2] - start[2]) / seconds,
        "rows_tokens_per_second": rows / seconds if rows else None,
        "peak_gib": peak_gib(device),
    }
    recipe.cleanup()
    return result


def plain_run(folder: Path, device: str, data: Path | None, steps: int, warmup: int) -> dict:
    """What a user of transformers + peft writes first: chat template, whole sequence as labels,
    batches in file order padded to their longest row, AdamW, bf16 weights and autocast on a GPU.
    With `data` None, full rows of random tokens without a mask instead: the setup of
    ENVIRONMENT.md's peer figure, to check this machine against it."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    records = [json.loads(line)["content"]["messages"] for line in data.read_text().splitlines()] if data else []
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).to(device)
    model.config.use_cache = False
    torch.manual_seed(0)
    model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", r=RANK, lora_alpha=ALPHA, lora_dropout=0.05, target_modules=LINEAR))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LR)
    model.train()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    tokens, rows_tokens, started = 0, 0, 0.0
    for step in range(steps):
        if data:
            batch = records[step * BATCH : (step + 1) * BATCH]
            enc = tokenizer.apply_chat_template(batch, tokenize=True, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt", return_dict=True)
            ids, mask = enc["input_ids"].to(device), enc["attention_mask"].to(device)  # (B, T)
        else:
            ids = torch.randint(3, tokenizer.vocab_size, (BATCH, MAX_LENGTH), device=device)  # (B, T)
            mask = torch.ones_like(ids)
        labels = ids.masked_fill(mask == 0, -100)
        with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
            loss = model(input_ids=ids, attention_mask=mask if data else None, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()
        if step + 1 == warmup:
            sync(device)
            started = time.perf_counter()
        elif step + 1 > warmup:
            tokens += int(mask.sum())
            rows_tokens += ids.numel()
    sync(device)
    seconds = time.perf_counter() - started
    return {
        "steps": steps - warmup,
        "tokens_per_second": tokens / seconds,
        "rows_tokens_per_second": rows_tokens / seconds,
        "peak_gib": peak_gib(device),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="optimizer steps per variant (default 40)")
    parser.add_argument("--warmup", type=int, default=5, help="steps left out of the timing (default 5)")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="0.44b", help="model shape (default 0.44b, the peer's)")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--out", type=Path, help="results file (default bench/results/train_throughput-<shape>-<device>.json)")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("train_throughput: no CUDA GPU here; pass --device cpu --shape small to check the bench itself", file=sys.stderr)
        return 2
    out = args.out or Path(f"bench/results/train_throughput-{args.shape}-{args.device}.json")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = build_model(root / "mirror", args.shape)
        data = root / "records.jsonl"
        write_records(data, count=args.steps * BATCH * 4, seed=0)
        resolver = ModelResolver(cache_dir=root / "cache", model_dir=root / "mirror")
        results = {
            "plain transformers + peft (padded batches)": plain_run(folder, args.device, data, args.steps, args.warmup),
            "tributary recipe, no packing": recipe_run(resolver, args.device, data, root / "w1", args.steps, args.warmup, packing=False),
            "tributary recipe, packing": recipe_run(resolver, args.device, data, root / "w2", args.steps, args.warmup, packing=True),
            "plain, full random 1024-token rows (peer's setup)": plain_run(folder, args.device, None, args.steps, args.warmup),
        }
    baseline = results["plain transformers + peft (padded batches)"]["tokens_per_second"]
    print(f"\n{'variant':50} {'real tok/s':>11} {'rows tok/s':>11} {'vs plain':>9} {'peak GiB':>9}")
    for name, r in results.items():
        rows = f"{r['rows_tokens_per_second']:,.0f}" if r["rows_tokens_per_second"] else "-"
        peak = f"{r['peak_gib']:.1f}" if r["peak_gib"] is not None else "-"
        print(f"{name:50} {r['tokens_per_second']:>11,.0f} {rows:>11} {r['tokens_per_second'] / baseline:>8.2f}x {peak:>9}")
    record = {
        "benchmark": "gpu-worker/bench/train_throughput.py",
        "machine": {
            "device": torch.cuda.get_device_name(0) if args.device == "cuda" else f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores",
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        "settings": {"shape": args.shape, "batch": BATCH, "max_length": MAX_LENGTH, "rank": RANK, "steps": args.steps, "warmup": args.warmup},
        "peer_reference": "ENVIRONMENT.md: plain transformers 5.17 + peft 0.21, full 1024-token rows, 47.7k tok/s, 20.1 GiB on an H100",
        "results": results,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
