"""LoRA training throughput on one GPU: Tributary's recipe against plain transformers + peft (what
its Trainer does: batches padded to their longest row), same model, rank, data and GPU, one run.

The model has the shape of ENVIRONMENT.md's peer baseline (a 0.44B Llama: hidden 1024, 24
layers, 16 heads / 8 KV heads, MLP 4096, vocab 32000, random weights, bf16, SDPA; LoRA rank 16
on all seven linear projections, AdamW, batch 8). Two workloads:

    fixed   rows of 1,024 random tokens, batch 8, loss on every token: both sides get the very
            same batches, and the first 20 losses of both are compared (`loss_match`)
    var     chat records whose lengths follow a realistic spread (log-normal, median ~250
            tokens, 30-2,000), max length 2,048, batch 8: plain peft pads each batch of 8 to
            its longest record; the recipe packs records into rows (its default)

Throughput counts real (non-padding) tokens per second, from step `--warmup` on.

    python -m bench.train                                        # from gpu-worker/, CUDA GPU
    python -m bench.train --shape small --device cpu --steps 6 --warmup 2   # checks the bench
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import statistics
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
from tributary_worker.train.data import Example, collate
from tributary_worker.train.recipe import LoRAFinetuneRecipe

MODEL_ID = "bench/llama"
# The peer baseline's model, and a small one of the same family for checking the bench on a CPU.
SHAPES = {
    "0.44b": dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16, num_key_value_heads=8),
    "small": dict(hidden_size=256, intermediate_size=1024, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2),
}
LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
BATCH, RANK, ALPHA, LR = 8, 16, 32, 2e-4
FIXED_LENGTH, VAR_MAX_LENGTH = 1024, 2048
LOSSES_COMPARED = 20
# bf16 activations: the same step computed two ways differs by ~1e-2 relative at most.
LOSS_TOLERANCE = 2e-2


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


def write_records(path: Path, folder: Path, count: int, seed: int) -> dict:
    """Chat records (a question, then an answer 2-8x as long) whose token lengths are log-normal
    around a median of 250, clipped to 30-2,000; returns the spread of their lengths in tokens."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    rng = random.Random(seed)
    words = CORPUS.split()
    sample = " ".join(rng.choices(words, k=2000))
    tokens_per_word = len(tokenizer(sample, add_special_tokens=False)["input_ids"]) / 2000
    lengths = []
    with path.open("w") as f:
        for i in range(count):
            target = min(2000, max(30, round(rng.lognormvariate(math.log(250), 0.9))))
            n_words = max(4, round(target / tokens_per_word))
            n_question = max(2, round(n_words / rng.uniform(3, 9)))
            messages = [
                {"role": "user", "content": " ".join(rng.choices(words, k=n_question))},
                {"role": "assistant", "content": " ".join(rng.choices(words, k=n_words - n_question))},
            ]
            lengths.append(len(tokenizer(tokenizer.apply_chat_template(messages, tokenize=False), add_special_tokens=False)["input_ids"]))
            f.write(json.dumps({"id": f"r{i}", "contentHash": f"{i:064x}", "contributorId": None, "contributorWallet": None, "content": {"messages": messages}}) + "\n")
    lengths.sort()
    return {"records": count, "min": lengths[0], "median": int(statistics.median(lengths)), "p90": lengths[int(0.9 * (count - 1))], "max": lengths[-1]}


def fixed_batches(steps: int, vocab: int) -> list[torch.Tensor]:
    """`steps` batches of BATCH x FIXED_LENGTH random token ids (the same for both sides)."""
    generator = torch.Generator().manual_seed(1)
    return [torch.randint(3, vocab, (BATCH, FIXED_LENGTH), generator=generator) for _ in range(steps)]


def peak_gib(device: str) -> float | None:
    return round(torch.cuda.max_memory_allocated() / 2**30, 2) if device == "cuda" else None


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def reset_peak(device: str) -> None:
    """Frees what the previous variant left and starts counting peak memory anew."""
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


class Timer:
    """Real tokens per second from step `warmup` on; the losses of every step."""

    def __init__(self, device: str, warmup: int) -> None:
        self.device, self.warmup = device, warmup
        self.steps, self.tokens, self.started = 0, 0, 0.0
        self.losses: list[float] = []

    def step_done(self, loss: float, real_tokens: int) -> None:
        self.steps += 1
        self.losses.append(loss)
        if self.steps == self.warmup:
            sync(self.device)
            self.started = time.perf_counter()
        elif self.steps > self.warmup:
            self.tokens += real_tokens

    def finish(self) -> dict:
        """Called right after the variant's last step: its rate and peak memory."""
        sync(self.device)
        seconds = time.perf_counter() - self.started
        self.result = {"timed_steps": self.steps - self.warmup, "tok_s": round(self.tokens / seconds, 1), "peak_gib": peak_gib(self.device)}
        return self.result


def recipe_config(max_length: int, dropout: float, packing: bool) -> FinetuneConfig:
    return FinetuneConfig(
        base_model=MODEL_ID, task_template="chat", epochs=1, learning_rate=LR, batch_size=BATCH,
        max_length=max_length, lora_rank=RANK, lora_alpha=ALPHA, lora_dropout=dropout, target_modules=LINEAR,
        eval_fraction=0.01, packing=packing, seed=0, sample_count=0,
    )


def print_event(level: str, message: str) -> None:
    """The recipe's events (e.g. torch.compile falling back to eager), which change what is measured."""
    print(f"recipe {level}: {message}", file=sys.stderr, flush=True)


def ours_fixed(resolver: ModelResolver, device: str, data: Path, work: Path, batches: list[torch.Tensor], warmup: int) -> tuple[Timer, dict]:
    """The recipe's model, optimizer, schedule and training step, fed the fixed batches; also
    the recipe's learning-rate schedule, which the peft side then follows."""
    recipe = LoRAFinetuneRecipe(recipe_config(FIXED_LENGTH, 0.0, packing=False), resolver, pick_device(device), work, on_event=print_event)
    recipe.setup([("bench", data)])
    timer = Timer(device, warmup)
    reset_peak(device)
    for ids in batches:
        rows = [Example("fixed", row.tolist(), row.tolist()) for row in ids]
        batch = {k: v.to(device) for k, v in collate(rows, recipe.tokenizer.pad_token_id).items()}
        timer.step_done(recipe.train_step(batch), ids.numel())
    timer.finish()
    schedule = {"total_steps": recipe.total_steps, "warmup_ratio": recipe.config.warmup_ratio, "name": recipe.config.lr_schedule}
    recipe.cleanup()
    return timer, schedule


def ours_var(resolver: ModelResolver, device: str, data: Path, work: Path, steps: int, warmup: int) -> Timer:
    """The recipe end to end on the chat records (packing on, its default), stopped after `steps`."""
    timer = Timer(device, warmup)
    tokens_before = [0]

    def progress(p) -> None:
        timer.step_done(p.loss, recipe.state.tokens - tokens_before[0])
        tokens_before[0] = recipe.state.tokens

    recipe = LoRAFinetuneRecipe(
        recipe_config(VAR_MAX_LENGTH, 0.05, packing=True), resolver, pick_device(device), work,
        on_progress=progress, should_stop=lambda: "bench done" if timer.steps >= steps else None, on_event=print_event,
    )
    recipe.setup([("bench", data)])
    reset_peak(device)
    recipe.train()
    timer.finish()
    recipe.cleanup()
    return timer


def plain_model(folder: Path, device: str, dropout: float):
    """transformers + peft as their docs show it: bf16 weights and autocast on a GPU, AdamW."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).to(device)
    model.config.use_cache = False
    torch.manual_seed(0)  # LoRA A's initialization, as the recipe seeds it
    model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", r=RANK, lora_alpha=ALPHA, lora_dropout=dropout, target_modules=LINEAR))
    model.train()
    return model


def plain_step(model, optimizer, scheduler, device: str, ids: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return float(loss.item())


def plain_optimizer(model, schedule: dict | None):
    """AdamW (weight decay 0, as the recipe) and the recipe's schedule when comparing losses."""
    from transformers import get_scheduler

    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LR, weight_decay=0.0)
    if schedule is None:
        return optimizer, get_scheduler("constant", optimizer)
    warmup = math.ceil(schedule["warmup_ratio"] * schedule["total_steps"])
    return optimizer, get_scheduler(schedule["name"], optimizer, num_warmup_steps=warmup, num_training_steps=schedule["total_steps"])


def peft_fixed(folder: Path, device: str, batches: list[torch.Tensor], warmup: int, schedule: dict) -> Timer:
    model = plain_model(folder, device, 0.0)
    optimizer, scheduler = plain_optimizer(model, schedule)
    timer = Timer(device, warmup)
    reset_peak(device)
    for ids in batches:
        ids = ids.to(device)
        timer.step_done(plain_step(model, optimizer, scheduler, device, ids, torch.ones_like(ids), ids), ids.numel())
    timer.finish()
    return timer


def peft_var(folder: Path, device: str, data: Path, steps: int, warmup: int) -> Timer:
    """Batches of 8 records in file order, chat template, padded to the longest, every real token a label."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    records = [json.loads(line)["content"]["messages"] for line in data.read_text().splitlines()]
    model = plain_model(folder, device, 0.05)
    optimizer, scheduler = plain_optimizer(model, None)
    timer = Timer(device, warmup)
    reset_peak(device)
    for step in range(steps):
        batch = records[step * BATCH : (step + 1) * BATCH]
        enc = tokenizer.apply_chat_template(batch, tokenize=True, padding=True, truncation=True, max_length=VAR_MAX_LENGTH, return_tensors="pt", return_dict=True)
        ids, mask = enc["input_ids"].to(device), enc["attention_mask"].to(device)  # (B, T)
        timer.step_done(plain_step(model, optimizer, scheduler, device, ids, mask, ids.masked_fill(mask == 0, -100)), int(mask.sum()))
    timer.finish()
    return timer


def compare_losses(ours: list[float], peft: list[float]) -> dict:
    """The first LOSSES_COMPARED losses (fewer in a short check run, which then cannot match)."""
    pairs = list(zip(ours[:LOSSES_COMPARED], peft[:LOSSES_COMPARED]))
    worst = max(abs(a - b) / abs(b) for a, b in pairs)
    return {"match": len(pairs) == LOSSES_COMPARED and worst <= LOSS_TOLERANCE, "compared": len(pairs), "max_rel_diff": round(worst, 5), "tolerance": LOSS_TOLERANCE,
            "ours": [round(x, 4) for x in ours[:LOSSES_COMPARED]], "peft": [round(x, 4) for x in peft[:LOSSES_COMPARED]]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help=f"optimizer steps per variant (default 30; loss_match needs {LOSSES_COMPARED})")
    parser.add_argument("--warmup", type=int, default=5, help="steps left out of the timing (default 5)")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="0.44b", help="model shape (default 0.44b, the peer's)")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--out", type=Path, help="results file (default bench/results/train.json on a GPU with the 0.44b shape, else train-<shape>-<device>.json)")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("bench.train: no CUDA GPU here; pass --device cpu --shape small to check the bench itself", file=sys.stderr)
        return 2
    if args.warmup >= args.steps:
        parser.error("--steps must be more than --warmup")
    reference = args.shape == "0.44b" and args.device == "cuda"
    out = args.out or Path(__file__).parent / "results" / ("train.json" if reference else f"train-{args.shape}-{args.device}.json")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = build_model(root / "mirror", args.shape)
        data = root / "records.jsonl"
        # Enough records that packing fills `steps` batches of 2,048-token rows.
        spread = write_records(data, folder, count=args.steps * BATCH * 10, seed=0)
        resolver = ModelResolver(cache_dir=root / "cache", model_dir=root / "mirror")
        batches = fixed_batches(args.steps, 32000)
        fixed_ours, schedule = ours_fixed(resolver, args.device, data, root / "w1", batches, args.warmup)
        fixed_peft = peft_fixed(folder, args.device, batches, args.warmup, schedule)
        var_ours = ours_var(resolver, args.device, data, root / "w2", args.steps, args.warmup)
        var_peft = peft_var(folder, args.device, data, args.steps, args.warmup)
    losses = compare_losses(fixed_ours.losses, fixed_peft.losses)
    r = {name: t.result for name, t in (("fixed_ours", fixed_ours), ("fixed_peft", fixed_peft), ("var_ours", var_ours), ("var_peft", var_peft))}
    record = {
        "gpu": torch.cuda.get_device_name(0) if args.device == "cuda" else None,
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version()},
        "fixed_ours_tok_s": r["fixed_ours"]["tok_s"], "fixed_peft_tok_s": r["fixed_peft"]["tok_s"],
        "var_ours_tok_s": r["var_ours"]["tok_s"], "var_peft_tok_s": r["var_peft"]["tok_s"],
        "ours_peak_gib": r["fixed_ours"]["peak_gib"], "peft_peak_gib": r["fixed_peft"]["peak_gib"],
        "loss_match": losses["match"],
        "fixed_speedup": round(r["fixed_ours"]["tok_s"] / r["fixed_peft"]["tok_s"], 2),
        "var_speedup": round(r["var_ours"]["tok_s"] / r["var_peft"]["tok_s"], 2),
        "settings": {"shape": args.shape, "batch": BATCH, "rank": RANK, "fixed_length": FIXED_LENGTH, "var_max_length": VAR_MAX_LENGTH, "steps": args.steps, "warmup": args.warmup},
        "var_record_tokens": spread,
        "variants": r,
        "losses": losses,
        "peer_reference": "ENVIRONMENT.md: plain transformers 5.17 + peft 0.21, fixed 1024-token rows, batch 8: 47.7k tok/s at 20.1 GiB on an H100",
    }
    print(f"\n{'variant':12} {'real tok/s':>11} {'vs peft':>8} {'peak GiB':>9}")
    for name, v in r.items():
        base = r[name.split("_")[0] + "_peft"]["tok_s"]
        peak = "-" if v["peak_gib"] is None else f"{v['peak_gib']:.1f}"
        print(f"{name:12} {v['tok_s']:>11,.0f} {v['tok_s'] / base:>7.2f}x {peak:>9}")
    print(f"loss_match: {losses['match']} (first {losses['compared']} losses, max relative difference {losses['max_rel_diff']}, tolerance {LOSS_TOLERANCE})")
    print(f"var records, tokens: {spread}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
