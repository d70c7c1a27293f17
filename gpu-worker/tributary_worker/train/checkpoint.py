"""Resumable training checkpoints: the adapter in PEFT format plus everything else a retried job
needs to continue exactly where this one stopped (optimizer, scheduler, RNG, step, loss history).

Layout of a checkpoint folder:
    adapter_config.json, adapter_model.safetensors   the LoRA weights (PEFT format)
    trainer_state.pt                                 torch.save of the dict built below
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_FILE = "trainer_state.pt"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
FORMAT = 1


class CheckpointError(Exception):
    """A checkpoint cannot be used to resume this job; the message says why."""


@dataclass
class TrainerState:
    step: int
    """Optimizer steps done."""

    fingerprint: str
    """What the run was (settings, data, model): a checkpoint only resumes the same run."""

    losses: list[float]
    """Training loss of every step so far."""

    tokens: int
    """Tokens (non-padding) trained on so far."""

    seconds: float
    """Time spent in training steps so far, over all attempts."""


def save(folder: Path, model, optimizer, scheduler, state: TrainerState) -> Path:
    """Writes a checkpoint into `folder` (created if needed) and returns it."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder))
    torch.save(
        {
            "format": FORMAT,
            "step": state.step,
            "fingerprint": state.fingerprint,
            "losses": state.losses,
            "tokens": state.tokens,
            "seconds": state.seconds,
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        },
        folder / STATE_FILE,
    )
    return folder


def load(folder: Path, model, optimizer, scheduler, fingerprint: str) -> TrainerState:
    """Restores a checkpoint into the model, optimizer, scheduler and torch RNG."""
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    if not (folder / STATE_FILE).is_file() or not (folder / ADAPTER_WEIGHTS).is_file():
        raise CheckpointError(f"{folder} is not a training checkpoint ({STATE_FILE} or {ADAPTER_WEIGHTS} missing)")
    # weights_only: the file came over the network, so it must not be able to run code.
    saved: dict[str, Any] = torch.load(folder / STATE_FILE, map_location="cpu", weights_only=True)
    if saved.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint format {saved.get('format')!r} is not {FORMAT}: start the job afresh")
    if saved["fingerprint"] != fingerprint:
        raise CheckpointError(
            "the checkpoint belongs to a run with other settings, data or base model; start the job afresh"
        )
    result = set_peft_model_state_dict(model, load_file(str(folder / ADAPTER_WEIGHTS)))
    if getattr(result, "unexpected_keys", None):
        raise CheckpointError(f"the checkpoint's adapter has weights this model lacks: {result.unexpected_keys[:3]}")
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["rng_cpu"])
    if saved["rng_cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(saved["rng_cuda"])
    return TrainerState(
        step=saved["step"], fingerprint=fingerprint, losses=list(saved["losses"]), tokens=saved["tokens"],
        seconds=saved["seconds"],
    )
