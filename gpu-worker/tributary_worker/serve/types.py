"""The serving engine's public objects: what the HTTP server submits and what it gets back.

The engine (engine.py) and the worker's HTTP server (server.py) meet only here, so both can be
written and tested on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Tier = Literal["gpu", "cpu", "disk", "fetch"]


@dataclass(frozen=True)
class SamplingParams:
    """How one request's tokens are chosen and when it ends."""

    max_tokens: int = 256
    """Most tokens to generate; reaching it ends the request with finish_reason "length"."""

    temperature: float = 1.0
    """Softmax temperature; 0 means greedy (argmax)."""

    top_p: float = 1.0
    """Nucleus sampling: sample only among the most likely tokens whose probabilities sum to top_p."""

    stop: tuple[str, ...] = ()
    """Stop strings; the first one found ends the request ("stop") and is not part of the text."""

    seed: int | None = None
    """Seed of the request's own generator: same seed + same request -> same tokens."""

    ignore_eos: bool = False
    """Keep generating after an end-of-sequence token (benchmarks that need exactly max_tokens)."""


@dataclass(frozen=True)
class GenerationRequest:
    """One completion to run: prompt tokens, which adapter, how to sample."""

    prompt_ids: list[int]
    """Prompt token ids (chat template already applied by the caller)."""

    adapter_id: str | None
    """A registered adapter id, or None for the base model."""

    sampling: SamplingParams = field(default_factory=SamplingParams)
    """Sampling settings."""


@dataclass(frozen=True)
class Delta:
    """One streamed piece of a request's output."""

    text: str
    """New text since the last delta (decoded incrementally; text that might start a stop string
    is held back until it is known not to, and stop strings are removed)."""

    token_ids: list[int]
    """Token ids generated since the last delta."""

    finish_reason: str | None
    """None while running; "stop" (EOS or a stop string) or "length" on the last delta."""

    prompt_tokens: int
    """Number of prompt tokens."""

    completion_tokens: int
    """Exact number of tokens generated so far (a token that completed a stop string counts)."""


@dataclass(frozen=True)
class LoadInfo:
    """Where an adapter was found when it was loaded toward the GPU tier, and how long it took."""

    tier: Tier
    """Tier it came from: "gpu" (already there), "cpu" (pinned memory), "disk", "fetch" (blob)."""

    ms: float
    """Wall time of the load, in milliseconds."""


@dataclass(frozen=True)
class TierCounters:
    """Cache lookups of one tier."""

    hits: int = 0
    misses: int = 0


@dataclass(frozen=True)
class EngineStats:
    """A snapshot of the engine for /health and /metrics; counters only ever grow."""

    running: int
    """Requests in the running batch."""

    waiting: int
    """Requests queued (including those waiting for their adapter)."""

    adapters: dict[str, list[str]]
    """Adapter ids per tier: {"gpu": [...], "cpu": [...], "disk": [...]} (a GPU adapter also has a
    pinned CPU copy and a disk copy, and is listed in every tier that holds it)."""

    requests: int
    """Requests submitted and accepted."""

    prompt_tokens: int
    completion_tokens: int

    decode_steps: int
    """Forward passes that decoded (one token per running request)."""

    batch_size_sum: int
    """Sum of the batch sizes of those steps (mean batch size = batch_size_sum / decode_steps)."""

    cache: dict[str, TierCounters]
    """Hits and misses per tier ("gpu", "cpu", "disk")."""

    load_count: int
    """Adapter loads toward the GPU that moved data (not counting GPU hits)."""

    load_ms_sum: float
    """Summed wall time of those loads, in milliseconds."""


class UnknownAdapter(Exception):
    """The adapter id was never registered (or was evicted with evict_adapter)."""


class AdapterError(Exception):
    """The adapter's files are not a LoRA adapter for this base model; the message says why."""


class EngineOverloaded(Exception):
    """The waiting queue is full; retry later."""


class PromptTooLong(ValueError):
    """The prompt does not fit the engine's max_seq_len (the message names the limit)."""


class UnsupportedModel(Exception):
    """The base model's architecture is not one the engine's forward implements."""


def is_out_of_memory(err: BaseException) -> bool:
    """GPU memory (torch.OutOfMemoryError) or pinned host memory, whose failed allocation torch
    reports as a RuntimeError "CUDA error: out of memory": both may pass once memory is freed."""
    import torch

    return isinstance(err, torch.OutOfMemoryError) or (isinstance(err, RuntimeError) and "out of memory" in str(err).lower())
