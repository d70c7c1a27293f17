"""The serving forward pass of a Llama-family model with many LoRA adapters in one batch.

The HF model is loaded once; its weights are regrouped into four "sites" per layer (q/k/v fused,
o, gate/up fused, down) and run by our own forward, so that each row of a batch can use a
different adapter. Adapter weights live in GPU slot tensors (slot 0 = no adapter, all zeros),
ranks zero-padded to R = max_rank, the alpha/r scaling folded into B, untargeted modules zero:

- A of every slot is stacked under the site's base weight, W_ext = [W; A_0; ...; A_S]
  ((out + (S+1)*n*R, in) per layer), so one matmul gives the base output and every slot's x A^T;
- B of every slot is stacked as (L, (S+1)*n*R, out), block-diagonal over the site's n modules.

Three ways to apply each row's own adapter (all keep one slot index per row; `lora_mode` picks):
- "dense": mask x A^T to the row's slot columns and multiply by all of B (2 extra kernels a site,
  reads every slot's weights once): cheaper while slots are few compared to rows;
- "expand": dense, with the mask, B and the add in one Triton kernel that reads only each row's
  slot of B (lora_expand.py; decode steps on CUDA);
- "gather" (BGMV): gather each row's A and B and use batched matmuls: reads only the rows'
  adapters, but per row; used when there are many more slots than rows, and for prompts (whose
  many tokens per row would multiply dense's work over every slot).

The KV cache is a slab, one row per batch slot. Decode steps can be captured as CUDA graphs per
(batch, length) bucket; token ids, positions and slot indices live in static tensors, so a graph
stays valid when adapters change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tributary_worker.serve.types import UnsupportedModel

# Sites and the HF module names they fuse, in the order their outputs are concatenated.
SITES: dict[str, tuple[str, ...]] = {
    "qkv": ("q_proj", "k_proj", "v_proj"),
    "o": ("o_proj",),
    "gate_up": ("gate_proj", "up_proj"),
    "down": ("down_proj",),
}
MODULE_SITE = {m: (site, i) for site, mods in SITES.items() for i, m in enumerate(mods)}
SUPPORTED = {"LlamaForCausalLM": "llama", "MistralForCausalLM": "mistral", "Qwen2ForCausalLM": "qwen2"}


@dataclass(frozen=True)
class Shape:
    """What the forward and the adapter parser need to know about the base model."""

    num_layers: int
    hidden: int
    intermediate: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    vocab: int

    def module_dims(self, module: str) -> tuple[int, int]:
        """(in_features, out_features) of one projection."""
        q, kv = self.num_heads * self.head_dim, self.num_kv_heads * self.head_dim
        return {
            "q_proj": (self.hidden, q), "k_proj": (self.hidden, kv), "v_proj": (self.hidden, kv),
            "o_proj": (q, self.hidden), "gate_proj": (self.hidden, self.intermediate),
            "up_proj": (self.hidden, self.intermediate), "down_proj": (self.intermediate, self.hidden),
        }[module]

    def site_dims(self, site: str) -> tuple[int, list[int]]:
        """(in_features, out_features of each fused module) of a site."""
        dims = [self.module_dims(m) for m in SITES[site]]
        return dims[0][0], [d[1] for d in dims]


def check_architecture(hf_model, max_seq_len: int) -> None:
    """Raises UnsupportedModel, naming what is not supported, for models our forward would get wrong."""
    name = type(hf_model).__name__
    config = hf_model.config
    if name not in SUPPORTED:
        raise UnsupportedModel(
            f"the serving engine supports {', '.join(SUPPORTED)}; {config.name_or_path or 'this model'} is a {name}"
        )
    act = getattr(config, "hidden_act", "silu")
    if act != "silu":
        raise UnsupportedModel(f"{name} with hidden_act={act!r} is not supported (only 'silu')")
    rope = (getattr(config, "rope_parameters", None) or {}).get("rope_type", "default")
    if rope == "dynamic":
        # Dynamic NTK rescales the frequencies with the current length; our cos/sin table is fixed.
        raise UnsupportedModel(f"{name} with rope_type 'dynamic' is not supported (static rope types are)")
    window = getattr(config, "sliding_window", None)
    uses_window = getattr(config, "use_sliding_window", name == "MistralForCausalLM")
    if uses_window and window is not None and window < max_seq_len:
        raise UnsupportedModel(
            f"{name} uses a sliding window of {window} tokens; start the engine with max_seq_len <= {window}"
        )


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """HF's LlamaRMSNorm: normalize in fp32, cast back, then scale in the model dtype."""
    return weight * F.rms_norm(x.float(), (x.shape[-1],), eps=eps).to(x.dtype)


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary embedding as HF applies it (rotate_half); cos/sin broadcast over heads."""
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class LoraModel:
    """Base weights regrouped by site, adapter slot tensors, the KV slab and the forward passes."""

    def __init__(self, hf_model, *, max_batch_size: int, max_seq_len: int, gpu_adapter_slots: int, max_rank: int):
        check_architecture(hf_model, max_seq_len)
        config = hf_model.config
        inner = hf_model.model
        first = inner.layers[0]
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        self.shape = Shape(
            num_layers=config.num_hidden_layers, hidden=config.hidden_size, intermediate=config.intermediate_size,
            num_heads=config.num_attention_heads, num_kv_heads=config.num_key_value_heads, head_dim=head_dim,
            vocab=hf_model.lm_head.weight.shape[0],
        )
        assert first.self_attn.q_proj.weight.shape[0] == self.shape.num_heads * head_dim
        self.device = hf_model.lm_head.weight.device
        self.dtype = hf_model.lm_head.weight.dtype
        self.max_rank = max_rank
        self.max_seq_len = max_seq_len
        self.max_batch_size = max_batch_size
        self.num_slots = gpu_adapter_slots
        self.eps = config.rms_norm_eps

        with torch.no_grad():
            self.embed = inner.embed_tokens.weight
            self.lm_head = hf_model.lm_head.weight
            self.final_norm = inner.norm.weight
            self.layers = [self._fuse_layer(layer) for layer in inner.layers]
            # Each site's W_ext of all layers in one tensor (L, out + (S+1)*nR, in), so that a slot's A
            # across all layers is one strided view: loading an adapter is a few copies, not one per layer.
            self.w_ext = {}
            for site in SITES:
                self.w_ext[site] = torch.stack([layer[site] for layer in self.layers])
                for index, layer in enumerate(self.layers):
                    layer[site] = self.w_ext[site][index]
            # cos/sin for every position from the model's own rotary module (rope scaling included).
            positions = torch.arange(max_seq_len, device=self.device)[None]
            probe = torch.empty(1, dtype=self.dtype, device=self.device)
            cos, sin = inner.rotary_emb(probe, positions)
            self.cos, self.sin = cos[0].contiguous(), sin[0].contiguous()  # (max_seq, hd)

        s, L = self.shape, self.shape.num_layers
        self.lora_b = {}
        for site in SITES:
            _, outs = s.site_dims(site)
            self.lora_b[site] = torch.zeros(L, (gpu_adapter_slots + 1) * len(outs) * max_rank, sum(outs), dtype=self.dtype, device=self.device)
        # (L, 2, rows, kv_heads, max_seq, hd): one row per running request.
        self.kv = torch.zeros(L, 2, max_batch_size, s.num_kv_heads, max_seq_len, head_dim, dtype=self.dtype, device=self.device)

    def _fuse_layer(self, layer) -> dict:
        attn, mlp = layer.self_attn, layer.mlp
        modules = {
            "q_proj": attn.q_proj, "k_proj": attn.k_proj, "v_proj": attn.v_proj, "o_proj": attn.o_proj,
            "gate_proj": mlp.gate_proj, "up_proj": mlp.up_proj, "down_proj": mlp.down_proj,
        }
        fused = {"in_norm": layer.input_layernorm.weight, "post_norm": layer.post_attention_layernorm.weight}
        for site, names in SITES.items():
            linears = [modules[n] for n in names]
            fan_in = linears[0].weight.shape[1]
            lora_rows = (self.num_slots + 1) * len(names) * self.max_rank
            fused[site] = torch.cat([*(m.weight for m in linears), linears[0].weight.new_zeros(lora_rows, fan_in)])
            fused[site + "_out"] = sum(m.weight.shape[0] for m in linears)
            if any(m.bias is not None for m in linears):
                fused[site + "_bias"] = torch.cat(
                    [m.bias if m.bias is not None else torch.zeros(m.weight.shape[0], dtype=m.weight.dtype, device=m.weight.device) for m in linears]
                )
        return fused

    # Adapter slots

    def load_slot(self, slot: int, modules: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> None:
        """Puts one adapter into `slot`: per module name, A (L, r, in) and B (L, out, r) with the
        scaling folded in, on this device. Untargeted modules and padded ranks stay zero."""
        for site, names in SITES.items():
            width, out = len(names) * self.max_rank, self.layers[0][site + "_out"]
            self.w_ext[site][:, out + slot * width : out + (slot + 1) * width].zero_()
            self.lora_b[site][:, slot * width : (slot + 1) * width].zero_()
        for module, (a, b) in modules.items():
            site, i = MODULE_SITE[module]
            _, outs = self.shape.site_dims(site)
            rank, col = a.shape[1], sum(outs[:i])
            first = (slot * len(SITES[site]) + i) * self.max_rank
            start = self.layers[0][site + "_out"] + first
            self.w_ext[site][:, start : start + rank].copy_(a, non_blocking=True)
            self.lora_b[site][:, first : first + rank, col : col + outs[i]].copy_(b.transpose(1, 2), non_blocking=True)

    # Building blocks

    def lora_mode(self, rows: int, steps: int) -> str:
        """How `rows` rows of `steps` tokens apply their adapters.

        "gather" reads each row's A and B (three passes: gather, write, read) and multiplies only
        its own; "dense" multiplies every slot's A and B and masks (its extra work grows with
        slots x tokens; in decode it reads each slot's weights once, cheaper while slots are few
        compared to rows); "expand" is dense with the mask and B in one Triton kernel (CUDA)."""
        slots = self.num_slots + 1
        if steps > 1:
            return "dense" if slots <= 4 else "gather"
        if slots > 3 * rows:
            return "gather"
        return "expand" if self.device.type == "cuda" else "dense"

    def _lora(self, slots: torch.Tensor | None, steps: int):
        """What _linear needs to apply each row's adapter: (mode, per-site masks or slots)."""
        if slots is None:
            return None
        mode = self.lora_mode(slots.shape[0], steps)
        if mode != "dense":
            return (mode, slots)
        masks = {}
        for site, names in SITES.items():
            width = len(names) * self.max_rank
            if width not in masks:
                owner = torch.arange((self.num_slots + 1) * width, device=slots.device) // width  # slot of each column
                rows = slots if steps == 1 else slots.repeat_interleave(steps)  # (B*T,)
                masks[width] = (owner[None] == rows[:, None]).to(self.dtype)  # (B*T, (S+1)*nR)
        return ("dense", masks)

    def _linear(self, layer: dict, index: int, site: str, x: torch.Tensor, lora) -> torch.Tensor:
        """x (B, T, in) -> (B, T, out): base weight plus each row's adapter (`lora` from _lora, or None)."""
        weight, out = layer[site], layer[site + "_out"]
        batch, steps, fan_in = x.shape
        x2 = x.reshape(batch * steps, fan_in)
        width = len(SITES[site]) * self.max_rank
        if lora is None:
            y = x2 @ weight[:out].t()
        elif lora[0] == "expand":
            from tributary_worker.serve.lora_expand import lora_expand

            y = lora_expand(x2 @ weight.t(), self.lora_b[site][index], lora[1], self.shape.site_dims(site)[1], self.max_rank)
        elif lora[0] == "dense":
            both = x2 @ weight.t()  # (B*T, out + (S+1)*nR): base output and x A^T of every slot
            t = both[:, out:] * lora[1][width]  # only the row's own slot
            y = torch.addmm(both[:, :out], t, self.lora_b[site][index])
        else:
            slots = lora[1]
            a = weight[out:].view(-1, width, fan_in)[slots]  # (B, nR, in)
            b = self.lora_b[site][index].view(-1, width, out)[slots]  # (B, nR, out)
            delta = torch.bmm(torch.bmm(x, a.transpose(1, 2)), b)  # (B, T, out)
            y = torch.addmm(delta.reshape(batch * steps, out), x2, weight[:out].t())
        bias = layer.get(site + "_bias")
        if bias is not None:
            y = y + bias
        return y.view(batch, steps, -1)

    def _qkv(self, layer: dict, index: int, x: torch.Tensor, lora, cos, sin):
        """Projections and rotary embedding: q (B, T, H, hd), k and v (B, T, KV, hd)."""
        s = self.shape
        qkv = self._linear(layer, index, "qkv", rms_norm(x, layer["in_norm"], self.eps), lora)
        batch, steps, _ = qkv.shape
        qk_heads = s.num_heads + s.num_kv_heads
        qk = rotate(qkv[..., : qk_heads * s.head_dim].view(batch, steps, qk_heads, s.head_dim), cos[:, :, None], sin[:, :, None])
        v = qkv[..., qk_heads * s.head_dim :].view(batch, steps, s.num_kv_heads, s.head_dim)
        return qk[:, :, : s.num_heads], qk[:, :, s.num_heads :], v

    def _mlp(self, layer: dict, index: int, x: torch.Tensor, lora) -> torch.Tensor:
        gate_up = self._linear(layer, index, "gate_up", rms_norm(x, layer["post_norm"], self.eps), lora)
        gate, up = gate_up.split(self.shape.intermediate, dim=-1)
        return self._linear(layer, index, "down", F.silu(gate) * up, lora)

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        return (rms_norm(x, self.final_norm, self.eps) @ self.lm_head.t()).float()

    # Forward passes

    @torch.no_grad()
    def prefill(self, ids: torch.Tensor, lengths: torch.Tensor, first_row: int, slots: torch.Tensor | None) -> torch.Tensor:
        """Prompts ids (B, T) right-padded, true lengths (B,), written to KV rows first_row..first_row+B-1.
        Returns the logits of each prompt's last token (B, vocab) in fp32."""
        s = self.shape
        batch, steps = ids.shape
        group = s.num_heads // s.num_kv_heads
        x = self.embed[ids]  # (B, T, hidden)
        cos, sin = self.cos[:steps][None], self.sin[:steps][None]  # (1, T, hd)
        key_ok = torch.arange(steps, device=ids.device)[None] < lengths[:, None]  # (B, T)
        causal = torch.ones(steps, steps, dtype=torch.bool, device=ids.device).tril()
        # Query rows are (group, t) pairs of one KV head, so repeat the (T, T) mask per group.
        mask = (causal[None] & key_ok[:, None, :]).repeat(1, group, 1)[:, None]  # (B, 1, G*T, T)
        rows = slice(first_row, first_row + batch)
        lora = self._lora(slots, steps)
        for index, layer in enumerate(self.layers):
            q, k, v = self._qkv(layer, index, x, lora, cos, sin)
            k, v = k.transpose(1, 2), v.transpose(1, 2)  # (B, KV, T, hd)
            self.kv[index, 0, rows, :, :steps] = k
            self.kv[index, 1, rows, :, :steps] = v
            q = q.view(batch, steps, s.num_kv_heads, group, s.head_dim).permute(0, 2, 3, 1, 4)
            q = q.reshape(batch, s.num_kv_heads, group * steps, s.head_dim)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (B, KV, G*T, hd)
            out = out.view(batch, s.num_kv_heads, group, steps, s.head_dim).permute(0, 3, 1, 2, 4)
            x = x + self._linear(layer, index, "o", out.reshape(batch, steps, -1), lora)
            x = x + self._mlp(layer, index, x, lora)
        last = x[torch.arange(batch, device=ids.device), lengths - 1]  # (B, hidden)
        return self._logits(last)

    @torch.no_grad()
    def decode(self, ids: torch.Tensor, positions: torch.Tensor, slots: torch.Tensor | None, span: int) -> torch.Tensor:
        """One token for KV rows 0..B-1: ids, positions (B,); attends to the first `span` cache
        positions (a bucket >= max position + 1). Returns logits (B, vocab) in fp32."""
        s = self.shape
        batch = ids.shape[0]
        group = s.num_heads // s.num_kv_heads
        rows = torch.arange(batch, device=ids.device)
        x = self.embed[ids][:, None]  # (B, 1, hidden)
        cos, sin = self.cos[positions][:, None], self.sin[positions][:, None]  # (B, 1, hd)
        mask = (torch.arange(span, device=ids.device)[None] <= positions[:, None])[:, None, None]  # (B, 1, 1, span)
        lora = self._lora(slots, 1)
        for index, layer in enumerate(self.layers):
            q, k, v = self._qkv(layer, index, x, lora, cos, sin)
            self.kv[index, 0, rows, :, positions] = k[:, 0]
            self.kv[index, 1, rows, :, positions] = v[:, 0]
            keys = self.kv[index, 0, :batch, :, :span]  # (B, KV, span, hd)
            values = self.kv[index, 1, :batch, :, :span]
            q = q.view(batch, s.num_kv_heads, group, s.head_dim)
            out = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask)  # (B, KV, G, hd)
            x = x + self._linear(layer, index, "o", out.reshape(batch, 1, -1), lora)
            x = x + self._mlp(layer, index, x, lora)
        return self._logits(x[:, 0])

    def move_row(self, src: int, dst: int, length: int) -> None:
        """Copies a request's KV cache row (its first `length` positions) to another row."""
        self.kv[:, :, dst, :, :length] = self.kv[:, :, src, :, :length]


def span_bucket(length: int, max_seq_len: int) -> int:
    """Attention span for a decode step: the next power of two >= length (at least 64), capped."""
    return min(max_seq_len, max(64, 1 << math.ceil(math.log2(max(length, 1)))))


class DecodeGraphs:
    """CUDA graphs of `LoraModel.decode`, one per (batch bucket, span bucket, with/without LoRA).

    Inputs are copied into static tensors before a replay; graphs are captured on first use.
    While capturing, rows write their KV at the last cache position, which no live request
    reads before writing it itself, so capturing between steps never corrupts running requests.
    """

    def __init__(self, model: LoraModel):
        self.model = model
        size = model.max_batch_size
        device = model.device
        self.ids = torch.zeros(size, dtype=torch.long, device=device)
        self.positions = torch.zeros(size, dtype=torch.long, device=device)
        self.slots = torch.zeros(size, dtype=torch.long, device=device)
        self.graphs: dict[tuple[int, int, bool], tuple[torch.cuda.CUDAGraph, torch.Tensor]] = {}
        self.pool = None

    @staticmethod
    def batch_bucket(batch: int, max_batch: int) -> int:
        for b in (1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256):
            if b >= batch:
                return min(b, max_batch)
        return max_batch

    def run(self, ids: torch.Tensor, positions: torch.Tensor, slots: torch.Tensor | None, span: int) -> torch.Tensor:
        batch = ids.shape[0]
        bucket = self.batch_bucket(batch, self.model.max_batch_size)
        key = (bucket, span, slots is not None)
        if key not in self.graphs:
            self.graphs[key] = self._capture(*key)
        self.ids[:batch].copy_(ids, non_blocking=True)
        self.positions[:batch].copy_(positions, non_blocking=True)
        self.slots[:batch].copy_(slots if slots is not None else torch.zeros_like(ids), non_blocking=True)
        # Rows past the batch are scratch rows: slot 0, last cache position.
        self.ids[batch:bucket].zero_()
        self.positions[batch:bucket].fill_(self.model.max_seq_len - 1)
        self.slots[batch:bucket].zero_()
        graph, logits = self.graphs[key]
        graph.replay()
        return logits[:batch]

    def _capture(self, bucket: int, span: int, lora: bool):
        self.ids[:bucket].zero_()
        self.positions[:bucket].fill_(self.model.max_seq_len - 1)
        self.slots[:bucket].zero_()
        args = (self.ids[:bucket], self.positions[:bucket], self.slots[:bucket] if lora else None, span)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(2):
                self.model.decode(*args)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        # thread_local: the adapter loader thread may allocate and copy while we capture.
        with torch.cuda.graph(graph, pool=self.pool, capture_error_mode="thread_local"):
            logits = self.model.decode(*args)
        if self.pool is None:
            self.pool = graph.pool()
        return graph, logits
