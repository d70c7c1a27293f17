"""Where a training step of Tributary's recipe spends its time on a CUDA GPU: the step's wall
time against the GPU's busy time (a large gap means the step waits on Python and kernel
launches), and the kernels that take the most GPU time. Same model, records and settings as
train.py (its var workload).

    python -m bench.train_profile            # from gpu-worker/, on a CUDA GPU
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from bench.train import BATCH, LINEAR, LR, MODEL_ID, RANK, ALPHA, VAR_MAX_LENGTH as MAX_LENGTH, build_model, write_records
from tributary_worker.device import pick_device
from tributary_worker.models.resolver import ModelResolver
from tributary_worker.train.config import FinetuneConfig
from tributary_worker.train.recipe import LoRAFinetuneRecipe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="profiled steps (after 5 warm-up steps)")
    parser.add_argument("--top", type=int, default=25, help="kernels to list")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("train_profile: needs a CUDA GPU", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = build_model(root / "mirror", "0.44b")
        data = root / "records.jsonl"
        write_records(data, folder, count=(args.steps + 5) * BATCH * 10, seed=0)
        config = FinetuneConfig(
            base_model=MODEL_ID, task_template="chat", epochs=1, learning_rate=LR, batch_size=BATCH,
            max_length=MAX_LENGTH, lora_rank=RANK, lora_alpha=ALPHA, lora_dropout=0.05, target_modules=LINEAR,
            eval_fraction=0.01, packing=True, seed=0, sample_count=0,
        )
        marks: list[float] = []
        prof = profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])

        def on_progress(p) -> None:
            torch.cuda.synchronize()
            marks.append(time.perf_counter())
            if p.step == 5:
                prof.start()

        recipe = LoRAFinetuneRecipe(
            config, ModelResolver(cache_dir=root / "cache", model_dir=root / "mirror"), pick_device("cuda"), root / "w",
            on_progress=on_progress, should_stop=lambda: "done" if len(marks) >= args.steps + 5 else None,
        )
        recipe.setup([("bench", data)])
        recipe.train()
        prof.stop()
    wall_ms = (marks[-1] - marks[4]) * 1000 / args.steps
    events = [e for e in prof.key_averages() if e.device_time_total > 0]
    busy_ms = sum(e.self_device_time_total for e in events) / 1000 / args.steps
    print(f"per step: wall {wall_ms:.1f} ms, GPU busy {busy_ms:.1f} ms ({busy_ms / wall_ms:.0%})")
    print(f"{'kernel / op':70} {'ms/step':>8} {'calls/step':>10}")
    for e in sorted(events, key=lambda e: -e.self_device_time_total)[: args.top]:
        print(f"{e.key[:70]:70} {e.self_device_time_total / 1000 / args.steps:>8.2f} {e.count / args.steps:>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
