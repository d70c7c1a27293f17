"""The LoRA "expand" of one decode step as one Triton kernel (BGMV style).

LoraModel's dense path computes `both = x @ W_ext^T`: the base output (N, out) followed by every
slot's x A^T (N, (S+1)*n*R). Each row then needs only its own slot's R columns per module times
that slot's B. In plain torch that is a mask multiply and a matmul over all slots' B (two kernels,
reading every slot's B); this kernel does it in one pass that reads, per row, only its slot's
rows of B, and adds the base output:

    y[i, c] = both[i, c] + sum_k both[i, out + (slot_i*n + m(c))*R + k] * B[(slot_i*n + m(c))*R + k, c]

where m(c) is the module (of the site's n fused modules) that column c belongs to: B is
block-diagonal, so only that module's R rows are non-zero in column c. Accumulates in fp32.
CUDA only; LoraModel keeps its torch path for CPUs.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

BLOCK_N = 128


@triton.jit
def _expand_kernel(
    both_ptr, b_ptr, slots_ptr, y_ptr,
    out, both_stride, b_stride, y_stride,
    second_start, third_start,  # first column of the site's second and third module (out when absent)
    modules: tl.constexpr, rank: tl.constexpr, rank_pow2: tl.constexpr, block_n: tl.constexpr,
):
    row = tl.program_id(0)
    cols = tl.program_id(1) * block_n + tl.arange(0, block_n)
    col_ok = cols < out
    slot = tl.load(slots_ptr + row)
    module = (cols >= second_start).to(tl.int64) + (cols >= third_start).to(tl.int64)  # (block_n,)
    k = tl.arange(0, rank_pow2)
    lora_row = (slot * modules + module[None, :]) * rank + k[:, None]  # (rank_pow2, block_n)
    ok = (k[:, None] < rank) & col_ok[None, :]
    t = tl.load(both_ptr + row * both_stride + out + lora_row, mask=ok, other=0.0).to(tl.float32)
    b = tl.load(b_ptr + lora_row * b_stride + cols[None, :], mask=ok, other=0.0).to(tl.float32)
    base = tl.load(both_ptr + row * both_stride + cols, mask=col_ok, other=0.0).to(tl.float32)
    y = base + tl.sum(t * b, axis=0)
    tl.store(y_ptr + row * y_stride + cols, y.to(y_ptr.dtype.element_ty), mask=col_ok)


def lora_expand(both: torch.Tensor, lora_b: torch.Tensor, slots: torch.Tensor, outs: list[int], rank: int) -> torch.Tensor:
    """both (N, out + (S+1)*n*rank), lora_b ((S+1)*n*rank, out) block-diagonal over the n modules
    whose output widths are `outs`, slots (N,) -> y (N, out) in both's dtype."""
    rows, out = both.shape[0], sum(outs)
    y = torch.empty(rows, out, dtype=both.dtype, device=both.device)
    grid = (rows, triton.cdiv(out, BLOCK_N))
    _expand_kernel[grid](
        both, lora_b, slots, y, out, both.stride(0), lora_b.stride(0), y.stride(0), sum(outs[:1]), sum(outs[:2]),
        modules=len(outs), rank=rank, rank_pow2=triton.next_power_of_2(rank), block_n=BLOCK_N,
    )
    return y
