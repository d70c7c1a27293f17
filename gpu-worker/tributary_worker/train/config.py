"""Settings of one LoRA fine-tune, with the limits they are checked against up front."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tributary_worker.train.data import TaskTemplate


class ConfigError(ValueError):
    """A setting is out of range; the message names the setting and the limit."""


@dataclass
class FinetuneConfig:
    """What to train and how. Defaults suit a small chat model on a single GPU."""

    base_model: str
    """Catalog id of the base model, e.g. `tiny-llama` or `Qwen/Qwen2.5-0.5B-Instruct`."""

    task_template: TaskTemplate = "chat"
    """Record format the job expects; records of another format are skipped with a warning."""

    epochs: int = 1
    """Passes over the training split."""

    learning_rate: float = 2e-4
    """Peak learning rate of AdamW, reached after warmup."""

    batch_size: int = 8
    """Rows (records, or packed rows) per optimizer step."""

    max_length: int = 1024
    """Tokens per row; longer records are truncated (and counted in a warning)."""

    lora_rank: int = 16
    """Rank r of the LoRA update B·A."""

    lora_alpha: int = 32
    """LoRA scaling numerator: the update is scaled by alpha / r."""

    lora_dropout: float = 0.05
    """Dropout on the LoRA branch's input."""

    target_modules: list[str] | Literal["all-linear"] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"]
    )
    """Module names that get adapters, or "all-linear" for every linear layer but the output head."""

    warmup_ratio: float = 0.03
    """Fraction of the steps over which the learning rate ramps up from 0."""

    lr_schedule: Literal["linear", "cosine"] = "cosine"
    """Decay after warmup: linear to 0, or cosine to 0."""

    eval_fraction: float = 0.1
    """Fraction of records held out for the eval report (chosen by `seed`)."""

    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass: less memory, about a third slower."""

    packing: bool = False
    """Pack several short records into one row of up to `max_length` tokens."""

    seed: int = 42
    """Seeds the eval split, the batch order, LoRA initialization and dropout."""

    checkpoint_every_steps: int = 0
    """Save a resumable checkpoint every this many steps (0: only when stopping early)."""

    max_grad_norm: float = 1.0
    """Gradients are clipped to this global norm."""

    sample_count: int = 5
    """Held-out prompts answered by the base and the tuned model in the eval report."""

    sample_max_tokens: int = 64
    """New tokens per sample answer (greedy decoding)."""

    def check(self) -> None:
        """Raises ConfigError naming the first setting outside its limits."""
        limits: list[tuple[str, bool, str]] = [
            ("epochs", 1 <= self.epochs <= 100, "between 1 and 100"),
            ("learning_rate", 0 < self.learning_rate <= 1, "in (0, 1]"),
            ("batch_size", 1 <= self.batch_size <= 1024, "between 1 and 1024"),
            ("max_length", 16 <= self.max_length <= 131072, "between 16 and 131072"),
            ("lora_rank", 1 <= self.lora_rank <= 512, "between 1 and 512"),
            ("lora_alpha", self.lora_alpha > 0, "positive"),
            ("lora_dropout", 0 <= self.lora_dropout < 1, "in [0, 1)"),
            ("warmup_ratio", 0 <= self.warmup_ratio < 1, "in [0, 1)"),
            ("eval_fraction", 0 <= self.eval_fraction <= 0.5, "in [0, 0.5]"),
            ("checkpoint_every_steps", self.checkpoint_every_steps >= 0, "0 or more"),
            ("sample_count", 0 <= self.sample_count <= 20, "between 0 and 20"),
            ("target_modules", self.target_modules == "all-linear" or len(self.target_modules) > 0,
             'a non-empty list of module names or "all-linear"'),
        ]
        for name, ok, rule in limits:
            if not ok:
                raise ConfigError(f"{name} is {getattr(self, name)!r}; it must be {rule}")
        if self.task_template not in ("chat", "instruction", "text"):
            raise ConfigError(f"task_template is {self.task_template!r}; use chat, instruction or text")
        if self.lr_schedule not in ("linear", "cosine"):
            raise ConfigError(f"lr_schedule is {self.lr_schedule!r}; use linear or cosine")
