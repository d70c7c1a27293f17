"""The Triton LoRA expand kernel against the dense torch path it replaces, run by Triton's
interpreter on the CPU (the GPU tests run it compiled, inside the engine's CUDA graphs)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHECK = """
import torch
from tributary_worker.serve.lora_expand import lora_expand

torch.manual_seed(int.from_bytes(__import__("os").urandom(4), "little"))
# Sites of a Llama with GQA: q/k/v, o, gate/up (widths not multiples of the kernel's block), rank 16 and 5.
for outs, rank in (([96, 32, 32], 16), ([200, 200], 5), ([80], 16)):
    slots_n, rows, fan_in = 6, 9, 48
    n, out = len(outs), sum(outs)
    width = (slots_n + 1) * n * rank
    both = torch.randn(rows, out + width)
    b = torch.zeros(width, out)  # block-diagonal over the site's modules, as LoraModel keeps it
    for s in range(slots_n + 1):
        for i in range(n):
            start = sum(outs[:i])
            b[(s * n + i) * rank : (s * n + i + 1) * rank, start : start + outs[i]] = torch.randn(rank, outs[i])
    slots = torch.randint(0, slots_n + 1, (rows,))
    mask = (torch.arange(width)[None] // (n * rank) == slots[:, None]).float()
    reference = both[:, :out] + (both[:, out:] * mask) @ b
    y = lora_expand(both, b, slots, outs, rank)
    err = ((y - reference).norm() / reference.norm()).item()
    assert y.shape == reference.shape and err < 1e-6, (outs, rank, err)
print("ok")
"""


def test_expand_kernel_matches_the_dense_torch_path() -> None:
    pytest.importorskip("triton")
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    done = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
