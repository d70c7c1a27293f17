"""Multi-adapter serving throughput and latency: Tributary's engine against transformers + peft,
on the same model and GPU, in one run.

The model is ENVIRONMENT.md's peer shape (0.44B Llama, random weights, bf16; built by
bench.train.build_model), adapters are rank 16 on all seven projections, and each
request has a 128-token prompt of random ids and generates 128 tokens greedily (EOS ignored).
Our engine runs a closed loop of `--batch` concurrent clients over `--requests` requests:

    ours_base       base model only
    ours_mixed1     every request uses the same adapter
    ours_mixed32    32 adapters, every batch holds 32 different ones (32 GPU slots)
    ours_uniform32 / ours_zipf32     32 adapters, uniform / Zipf(1.1) popularity, 16 GPU slots
    ours_uniform256 / ours_zipf256   256 adapters, uniform / Zipf(1.1), 64 GPU slots, 128 in CPU
    peft_mixed32    peft, one batch of 32 with 32 adapters (`adapter_names=`)
    naive_swap      peft, one request at a time, `set_adapter` before each
    hf_static_base  transformers `generate(cache_implementation="static")`, base model

plus adapter cold loads (disk -> GPU and pinned CPU -> GPU, through load_adapter) and the time
of one decode step of the model alone (`steps`).

    python -m bench.serve                                     # from gpu-worker/, CUDA GPU, all variants
    python -m bench.serve --only ours,cold,hf_static_base      # a subset (peers take minutes)
    python -m bench.serve --device cpu --shape small           # a quick check of the bench itself
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import random
import shutil
import statistics
import tempfile
import time
import traceback
from pathlib import Path

import torch
from safetensors.torch import save_file

from bench.train import LINEAR, MODEL_ID, build_model
from tributary_worker.device import Device, pick_device
from tributary_worker.models.resolver import ModelResolver
from tributary_worker.serve.engine import Engine
from tributary_worker.serve.types import GenerationRequest, SamplingParams

RANK, ALPHA = 16, 32
OURS = ["ours_base", "ours_mixed1", "ours_mixed32", "ours_uniform32", "ours_zipf32", "ours_uniform256", "ours_zipf256"]
PEERS = ["peft_mixed32", "naive_swap", "hf_static_base"]
# variant -> (adapters, popularity, GPU slots, CPU slots)
MIXES = {
    "ours_base": (0, None, 2, 4),
    "ours_mixed1": (1, "same", 2, 4),
    "ours_mixed32": (32, "round", 32, 64),
    "ours_uniform32": (32, "uniform", 16, 64),
    "ours_zipf32": (32, "zipf", 16, 64),
    "ours_uniform256": (256, "uniform", 64, 128),
    "ours_zipf256": (256, "zipf", 64, 128),
}


def write_adapter_pool(folder: Path, model_dir: Path, count: int) -> list[Path]:
    """`count` PEFT-format LoRA adapters (fp32 files, as training saves them) with random weights."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(model_dir)
    dims = {
        "q_proj": ("self_attn", config.hidden_size, config.hidden_size),
        "k_proj": ("self_attn", config.hidden_size, config.num_key_value_heads * config.hidden_size // config.num_attention_heads),
        "v_proj": ("self_attn", config.hidden_size, config.num_key_value_heads * config.hidden_size // config.num_attention_heads),
        "o_proj": ("self_attn", config.hidden_size, config.hidden_size),
        "gate_proj": ("mlp", config.hidden_size, config.intermediate_size),
        "up_proj": ("mlp", config.hidden_size, config.intermediate_size),
        "down_proj": ("mlp", config.intermediate_size, config.hidden_size),
    }
    out = []
    generator = torch.Generator().manual_seed(0)
    for i in range(count):
        tensors = {}
        for layer in range(config.num_hidden_layers):
            for module, (parent, fan_in, fan_out) in dims.items():
                prefix = f"base_model.model.model.layers.{layer}.{parent}.{module}"
                tensors[f"{prefix}.lora_A.weight"] = torch.randn(RANK, fan_in, generator=generator) / fan_in**0.5
                tensors[f"{prefix}.lora_B.weight"] = torch.randn(fan_out, RANK, generator=generator) * 0.01
        path = folder / f"pool{i}"
        path.mkdir(parents=True)
        save_file(tensors, path / "adapter_model.safetensors")
        (path / "adapter_config.json").write_text(json.dumps({
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": RANK, "lora_alpha": ALPHA, "lora_dropout": 0.0,
            "target_modules": LINEAR, "base_model_name_or_path": MODEL_ID, "bias": "none", "use_rslora": False,
        }))
        out.append(path)
    return out


def fetcher(folder: Path):
    def fetch(target: Path) -> None:
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            shutil.copy(folder / name, target / name)

    return fetch


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def popularity(kind: str | None, adapters: int, requests: int, rng: random.Random) -> list[str | None]:
    if kind is None:
        return [None] * requests
    if kind == "same":
        return ["a0"] * requests
    if kind == "round":
        return [f"a{i % adapters}" for i in range(requests)]
    if kind == "uniform":
        return [f"a{rng.randrange(adapters)}" for _ in range(requests)]
    weights = [1 / (k + 1) ** 1.1 for k in range(adapters)]
    return [f"a{k}" for k in rng.choices(range(adapters), weights=weights, k=requests)]


async def closed_loop(engine: Engine, jobs: list[GenerationRequest], clients: int) -> dict:
    """`clients` concurrent clients work through `jobs`; returns throughput and latencies."""
    pending = list(reversed(jobs))
    ttft: list[float] = []
    itl: list[float] = []
    tokens = 0

    async def client() -> None:
        nonlocal tokens
        while pending:
            job = pending.pop()
            sent = last = time.perf_counter()
            first = True
            async for delta in engine.submit(job):
                now = time.perf_counter()
                (ttft if first else itl).append(now - (sent if first else last))
                first, last = False, now
                tokens += len(delta.token_ids)

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    seconds = time.perf_counter() - start
    ms = lambda v: None if v is None else round(v * 1000, 2)  # noqa: E731
    return {
        "requests": len(jobs), "tokens": tokens, "seconds": round(seconds, 3), "tok_s": round(tokens / seconds, 1),
        "ttft_p50_ms": ms(percentile(ttft, 0.5)), "ttft_p99_ms": ms(percentile(ttft, 0.99)),
        "itl_p50_ms": ms(percentile(itl, 0.5)), "itl_p99_ms": ms(percentile(itl, 0.99)),
    }


def counters(engine: Engine) -> dict:
    s = engine.stats()
    return {
        "decode_steps": s.decode_steps, "batch_size_sum": s.batch_size_sum,
        **{f"{tier}_{kind}": getattr(c, kind) for tier, c in s.cache.items() for kind in ("hits", "misses")},
        "loads": s.load_count, "load_ms_sum": s.load_ms_sum,
    }


def run_ours(args, source, device: Device, pool: list[Path], work: Path, variants: list[str], results: dict, save) -> None:
    rng = random.Random(0)
    vocab = 32000
    prompts = [[rng.randrange(3, vocab) for _ in range(args.prompt_len)] for _ in range(args.requests)]
    sampling = SamplingParams(max_tokens=args.new_tokens, temperature=0, ignore_eos=True)
    by_config: dict[tuple[int, int], list[str]] = {}
    for v in variants:
        by_config.setdefault(MIXES[v][2:], []).append(v)
    for (gpu_slots, cpu_slots), names in by_config.items():
        engine = Engine(
            source, device, disk_dir=work / f"disk-{gpu_slots}", max_batch_size=args.batch,
            max_seq_len=args.prompt_len + args.new_tokens + 64, gpu_adapter_slots=gpu_slots,
            cpu_adapter_slots=cpu_slots, max_rank=RANK, max_waiting=args.requests + 1,
        )
        for i in range(256):
            engine.register_adapter(f"a{i}", fetcher(pool[i % len(pool)]))
        engine.start()
        try:
            for name in names:
                adapters, kind, _, _ = MIXES[name]
                ids = popularity(kind, adapters, args.requests, random.Random(1))
                jobs = [GenerationRequest(p, a, sampling) for p, a in zip(prompts, ids)]
                if kind == "round":
                    for f in [engine.load_adapter(f"a{i}") for i in range(adapters)]:
                        f.result()
                # Warm-up: the same mix, shorter, so graphs are captured and files are on disk.
                warm = [GenerationRequest(j.prompt_ids, j.adapter_id, SamplingParams(max_tokens=8, temperature=0, ignore_eos=True)) for j in jobs[: 2 * args.batch]]
                asyncio.run(closed_loop(engine, warm, args.batch))
                asyncio.run(closed_loop(engine, jobs[: args.batch], args.batch))
                before = counters(engine)
                result = asyncio.run(closed_loop(engine, jobs, args.batch))
                after = counters(engine)
                delta = {k: after[k] - before[k] for k in after}
                result["mean_batch"] = round(delta.pop("batch_size_sum") / max(1, delta.pop("decode_steps")), 2)
                result.update(adapters=adapters, popularity=kind, gpu_slots=gpu_slots, cpu_slots=cpu_slots, cache=delta)
                results["variants"][name] = result
                print(name, json.dumps(result), flush=True)
                save()
        finally:
            engine.stop()
            del engine
            gc.collect()
            if device.kind == "cuda":
                torch.cuda.empty_cache()


def run_steps(args, source, device: Device, pool: list[Path], work: Path, results: dict) -> None:
    """Time of one decode step of the model alone (no scheduler): batch `--batch`, CUDA graphs when
    on a GPU, base model vs every row with a different adapter; the floor of the engine's ITL."""
    engine = Engine(source, device, disk_dir=work / "disk-steps", max_batch_size=args.batch, max_seq_len=args.prompt_len + args.new_tokens + 64, gpu_adapter_slots=args.batch, max_rank=RANK)
    try:
        for i in range(args.batch):
            engine.register_adapter(f"a{i}", fetcher(pool[i % len(pool)]))
            engine.load_adapter(f"a{i}").result()
        dev = engine.device
        ids = torch.randint(3, 32000, (args.batch,), device=dev)
        positions = torch.full((args.batch,), args.prompt_len + args.new_tokens // 2, device=dev)
        slots = torch.tensor([engine.store.gpu[f"a{i}"] for i in range(args.batch)], device=dev)
        span = args.prompt_len + args.new_tokens
        out = {}
        for label, run_slots in (("base", None), ("lora", slots)):
            for mode in ("graph", "eager") if engine.graphs is not None else ("eager",):
                step = (lambda: engine.graphs.run(ids, positions, run_slots, span)) if mode == "graph" else (lambda: engine.model.decode(ids, positions, run_slots, span))
                for _ in range(3):
                    step()
                if device.kind == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                for _ in range(20):
                    step()
                if device.kind == "cuda":
                    torch.cuda.synchronize()
                out[f"{label}_{mode}_ms"] = round((time.perf_counter() - start) / 20 * 1000, 3)
        results["decode_step"] = out
        print("decode_step", json.dumps(out), flush=True)
    finally:
        engine.stop()


def run_cold(source, device: Device, pool: list[Path], work: Path, results: dict) -> None:
    """load_adapter timings: 2 GPU slots and 4 CPU slots cycling through 10 adapters on disk."""
    engine = Engine(source, device, disk_dir=work / "disk-cold", max_batch_size=4, max_seq_len=256, gpu_adapter_slots=2, cpu_adapter_slots=4, max_rank=RANK)
    try:
        names = [f"c{i}" for i in range(10)]
        for i, name in enumerate(names):
            engine.register_adapter(name, fetcher(pool[i % len(pool)]))
        fetched = [engine.load_adapter(n).result() for n in names]
        disk = [engine.load_adapter(n).result() for n in names]  # the CPU tier holds only the last 4
        cpu = [engine.load_adapter(n).result() for n in names[6:] * 2]  # in CPU memory, 2 GPU slots
        tiers = {"fetch": fetched, "disk": disk, "cpu": cpu}
        for tier, infos in tiers.items():
            assert all(i.tier == tier for i in infos), (tier, [i.tier for i in infos])
        results["cold_load"] = {
            tier: {"median_ms": round(statistics.median(i.ms for i in infos), 2), "samples": [round(i.ms, 2) for i in infos]}
            for tier, infos in tiers.items()
        }
        print("cold_load", json.dumps(results["cold_load"]), flush=True)
    finally:
        engine.stop()


def peft_model_with(folder: Path, device: str, adapters: int):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).to(device)
    if adapters == 0:
        return model.eval()
    config = LoraConfig(task_type="CAUSAL_LM", r=RANK, lora_alpha=ALPHA, target_modules=LINEAR, init_lora_weights=False)
    model = get_peft_model(model, config, adapter_name="a0")
    for i in range(1, adapters):
        model.add_adapter(f"a{i}", config)
    return model.eval()


def run_peers(args, folder: Path, device: str, variants: list[str], results: dict, save) -> None:
    rng = random.Random(0)
    prompts = torch.tensor([[rng.randrange(3, 32000) for _ in range(args.prompt_len)] for _ in range(args.batch)], device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for name in variants:
        # The slow peers may generate fewer tokens (a rate per step barely depends on it); HF static is fast.
        new = args.new_tokens if name == "hf_static_base" else args.peer_new_tokens
        common = dict(do_sample=False, min_new_tokens=new, max_new_tokens=new, attention_mask=torch.ones_like(prompts))
        try:
            if name == "peft_mixed32":
                model = peft_model_with(folder, device, 32)
                names = [f"a{i % 32}" for i in range(args.batch)]
                model.generate(input_ids=prompts, adapter_names=names, **{**common, "min_new_tokens": 2, "max_new_tokens": 2})
                sync()
                start = time.perf_counter()
                model.generate(input_ids=prompts, adapter_names=names, **common)
                sync()
                tokens = args.batch * new
            elif name == "naive_swap":
                model = peft_model_with(folder, device, args.naive_requests)
                one = dict(common, attention_mask=torch.ones_like(prompts[:1]))
                model.generate(input_ids=prompts[:1], **{**one, "min_new_tokens": 2, "max_new_tokens": 2})
                sync()
                start = time.perf_counter()
                for i in range(args.naive_requests):
                    model.set_adapter(f"a{i}")
                    model.generate(input_ids=prompts[i % args.batch][None], **one)
                sync()
                tokens = args.naive_requests * new
            else:
                model = peft_model_with(folder, device, 0)
                static = dict(common, cache_implementation="static")
                warm_start = time.perf_counter()
                model.generate(input_ids=prompts, **static)  # compiles and captures graphs
                sync()
                results["hf_static_warmup_s"] = round(time.perf_counter() - warm_start, 1)
                start = time.perf_counter()
                model.generate(input_ids=prompts, **static)
                sync()
                tokens = args.batch * new
            seconds = time.perf_counter() - start
            results["variants"][name] = {"tokens": tokens, "seconds": round(seconds, 3), "tok_s": round(tokens / seconds, 1), "new_tokens": new}
            print(name, json.dumps(results["variants"][name]), flush=True)
        except Exception:  # noqa: BLE001 - one failing peer must not lose the other results
            results["variants"][name] = {"error": traceback.format_exc(limit=3)}
            print(name, "FAILED", traceback.format_exc(), flush=True)
        finally:
            save()
            model = None
            gc.collect()
            if device == "cuda":
                torch.cuda.empty_cache()


def summary(results: dict) -> dict:
    v = results["variants"]
    tok = lambda name: v.get(name, {}).get("tok_s")  # noqa: E731
    cold = results.get("cold_load", {})
    out = {
        "ours_base_tok_s": tok("ours_base"), "ours_mixed32_tok_s": tok("ours_mixed32"), "ours_zipf256_tok_s": tok("ours_zipf256"),
        "peft_mixed32_tok_s": tok("peft_mixed32"), "naive_swap_tok_s": tok("naive_swap"), "hf_static_base_tok_s": tok("hf_static_base"),
        "cold_load_disk_ms": cold.get("disk", {}).get("median_ms"), "cold_load_cpu_ms": cold.get("cpu", {}).get("median_ms"),
    }
    if out["ours_mixed32_tok_s"] and out["peft_mixed32_tok_s"]:
        out["mixed32_over_peft"] = round(out["ours_mixed32_tok_s"] / out["peft_mixed32_tok_s"], 1)
    if out["ours_mixed32_tok_s"] and out["ours_base_tok_s"]:
        out["mixed32_over_base"] = round(out["ours_mixed32_tok_s"] / out["ours_base_tok_s"], 3)
    return out


def print_table(results: dict) -> None:
    print(f"\n{'variant':<17}{'tok/s':>10}{'TTFT p50':>10}{'p99':>9}{'ITL p50':>9}{'p99':>8}{'batch':>7}  cache (hits/misses gpu, cpu, disk)")
    for name, r in results["variants"].items():
        if "error" in r:
            print(f"{name:<17}{'failed':>10}")
            continue
        f = lambda key: "" if r.get(key) is None else f"{r[key]:.1f}"  # noqa: E731
        c = r.get("cache")
        cache = f"{c['gpu_hits']}/{c['gpu_misses']}, {c['cpu_hits']}/{c['cpu_misses']}, {c['disk_hits']}/{c['disk_misses']}" if c else ""
        print(f"{name:<17}{r['tok_s']:>10.1f}{f('ttft_p50_ms'):>10}{f('ttft_p99_ms'):>9}{f('itl_p50_ms'):>9}{f('itl_p99_ms'):>8}{f('mean_batch'):>7}  {cache}")
    for key, value in results["summary"].items():
        print(f"{key}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--shape", default="0.44b", choices=["0.44b", "small"])
    parser.add_argument("--only", default="all", help="comma-separated variants, or the groups 'ours', 'peers', 'cold', 'all'")
    parser.add_argument("--requests", type=int, default=256, help="requests per variant of our engine")
    parser.add_argument("--batch", type=int, default=32, help="concurrent requests (our engine's max batch) / peer batch")
    parser.add_argument("--prompt-len", type=int, default=128)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--peer-new-tokens", type=int, default=128, help="new tokens for peft_mixed32 and naive_swap")
    parser.add_argument("--naive-requests", type=int, default=32, help="requests run one at a time by naive_swap")
    parser.add_argument("--out", type=Path, default=None, help="results file (default results/serve.json, or serve-<shape>-<device>.json off the reference setup)")
    args = parser.parse_args()

    wanted: list[str] = []
    for item in args.only.split(","):
        wanted += {"all": [*OURS, "steps", "cold", *PEERS], "ours": OURS, "peers": PEERS}.get(item, [item])
    unknown = set(wanted) - {*OURS, *PEERS, "steps", "cold"}
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {OURS + PEERS + ['steps', 'cold']}")
    device = pick_device(args.device)
    if args.device == "cuda" and device.kind != "cuda":
        parser.error("--device cuda, but torch sees no CUDA GPU")
    reference = args.shape == "0.44b" and device.kind == "cuda"
    out = args.out or Path(__file__).parent / "results" / ("serve.json" if reference else f"serve-{args.shape}-{device.kind}.json")

    results: dict = {
        "gpu": device.name, "machine": {"platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
        "cpu_count": __import__("os").cpu_count()},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}, "variants": {},
    }
    def save() -> None:
        """Writes what is measured so far (a run cut short keeps its finished variants)."""
        results["summary"] = summary(results)
        results.update(results["summary"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = build_model(work / "mirror", args.shape)
        source = ModelResolver(cache_dir=work / "cache", model_dir=work / "mirror").resolve(MODEL_ID)
        pool = write_adapter_pool(work / "pool", folder, 8)
        ours = [v for v in OURS if v in wanted]
        if ours:
            run_ours(args, source, device, pool, work, ours, results, save)
        if "cold" in wanted:
            run_cold(source, device, pool, work, results)
            save()
        if "steps" in wanted:
            run_steps(args, source, device, pool, work, results)
            save()
        peers = [v for v in PEERS if v in wanted]
        if peers:
            run_peers(args, folder, device.kind, peers, results, save)
    save()
    print_table(results)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
