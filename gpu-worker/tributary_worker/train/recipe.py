"""LoRA fine-tuning on one device, in the shape of torchtune's recipes: `setup` loads the model
and data (and a checkpoint to resume from), `train` runs the steps, `save_checkpoint` writes a
resumable checkpoint, `finish` writes the adapter and the eval report, `cleanup` frees memory.

    recipe = LoRAFinetuneRecipe(config, resolver, device, work_dir, on_progress=...)
    recipe.setup([("v3.jsonl", path)], resume_from=None)
    stopped = recipe.train()          # None when all steps ran, else the stop reason
    result = recipe.finish()          # only when stopped is None
    recipe.cleanup()
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tributary_worker.device import Device
from tributary_worker.models.resolver import ModelResolver, load_model, load_tokenizer
from tributary_worker.train import checkpoint
from tributary_worker.train.config import FinetuneConfig
from tributary_worker.train.data import (
    TEMPLATE_ACCEPTS,
    DataError,
    Example,
    Record,
    batch_order,
    collate,
    pack,
    read_snapshot,
    split_eval,
    tokenize_records,
)
from tributary_worker.train.evaluate import eval_loss, eval_report


class TrainingDiverged(Exception):
    """The loss stopped being a finite number; retrying with the same settings will not help."""


@dataclass(frozen=True)
class Progress:
    """What the worker reports after each optimizer step."""

    step: int
    total_steps: int
    epoch: float
    """Fractional epoch, e.g. 1.5 halfway through the second."""
    loss: float
    learning_rate: float
    tokens_per_second: float
    """Training tokens (padding excluded) per second since this process started training."""
    eta_seconds: float


@dataclass(frozen=True)
class TrainResult:
    adapter_dir: Path
    """PEFT adapter: adapter_config.json + adapter_model.safetensors."""
    metrics: dict[str, Any]
    """Protocol message FinetuneResult.metrics."""
    eval_report: dict[str, Any]
    """Protocol message EvalReport."""


ProgressFn = Callable[[Progress], None]
CheckpointFn = Callable[[Path, int], None]
StopFn = Callable[[], str | None]
EventFn = Callable[[str, str], None]
EvalFn = Callable[[int, float], None]

# torch.compile's backend for the decoder layers: a backend's name, or a function (traced graph,
# example inputs) -> callable, as torch.compile takes it (the tests pass functions).
COMPILE_BACKEND: str | Callable[..., Callable[..., object]] = "inductor"

# Held-out rows scored at the start and after each epoch for the loss chart; the final eval
# report scores all of them. Bounded so a large eval split does not slow training down.
EVAL_ROWS_DURING_TRAINING = 256


def _fingerprint(config: FinetuneConfig, datasets: Sequence[tuple[str, Path]]) -> str:
    """Identifies the run: settings that change the result, and the exact data."""
    ignored = {"checkpoint_every_steps", "sample_count", "sample_max_tokens"}
    settings = {k: v for k, v in dataclasses.asdict(config).items() if k not in ignored}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for _, path in datasets:
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _compile_decoder_layers(base) -> bool:
    """torch.compile each decoder layer in place (state dict keys unchanged). All layers share
    one compiled graph, so compiling costs about one layer's time (~30 s on the first step)
    however deep the model. Fuses the norms, rotary, SwiGLU and LoRA's scale-and-add, which run
    as separate kernels otherwise. Returns False for a model whose layers it cannot find."""
    layers = getattr(getattr(base, "model", None), "layers", None)
    if layers is None:
        return False
    for layer in layers:
        layer.compile(backend=COMPILE_BACKEND)
    return True


def _is_compile_error(error: BaseException) -> bool:
    """Errors of torch.compile itself (tracing, Inductor, Triton), not of the training step."""
    from torch._dynamo.exc import TorchDynamoException

    return isinstance(error, TorchDynamoException)


class LoRAFinetuneRecipe:
    def __init__(
        self,
        config: FinetuneConfig,
        resolver: ModelResolver,
        device: Device,
        work_dir: Path,
        *,
        on_progress: ProgressFn | None = None,
        on_checkpoint: CheckpointFn | None = None,
        should_stop: StopFn | None = None,
        on_event: EventFn | None = None,
        on_eval: EvalFn | None = None,
        compile_layers: bool | None = None,
    ) -> None:
        """`compile_layers`: torch.compile each decoder layer for training (None: on CUDA only)."""
        config.check()
        self.config = config
        self.resolver = resolver
        self.device = device
        self.work_dir = work_dir
        self._on_progress = on_progress or (lambda p: None)
        self._on_checkpoint = on_checkpoint or (lambda d, s: None)
        self._should_stop = should_stop or (lambda: None)
        self._on_event = on_event or (lambda level, message: None)
        self._on_eval = on_eval or (lambda step, loss: None)
        self._compile = device.torch_device == "cuda" if compile_layers is None else compile_layers

    # ---- setup -------------------------------------------------------------------------------

    def setup(self, datasets: Sequence[tuple[str, Path]], resume_from: Path | None = None) -> None:
        """Loads data, base model (with fresh LoRA layers), optimizer and schedule; then the
        checkpoint, if any, so that the run continues exactly where it stopped."""
        import torch
        from peft import LoraConfig, get_peft_model
        from peft.tuners.tuners_utils import BaseTunerLayer
        from transformers import get_scheduler

        cfg = self.config
        self.truncated = 0
        records = self._read_records(datasets)
        source = self.resolver.resolve(cfg.base_model)
        self.tokenizer = load_tokenizer(source)
        train_records, self.eval_records = split_eval(records, cfg.eval_fraction, cfg.seed)
        self.train_rows = self._tokenize(train_records, "training")
        self.eval_rows = self._tokenize(self.eval_records, "held-out")
        self.train_record_count = len(self.train_rows)
        if not self.train_rows:
            raise DataError("no training records left after holding out the eval split; add records or lower evalFraction")
        if cfg.packing:
            self.train_rows = pack(self.train_rows, cfg.max_length)

        base = load_model(source, self.device.dtype(), self.device.torch_device)
        base.config.use_cache = False
        if cfg.gradient_checkpointing:
            # Renamed activation_checkpointing_enable in transformers 5.x; the old name warns.
            enable = getattr(base, "activation_checkpointing_enable", None)
            if enable is not None:
                enable(activation_checkpointing_kwargs={"use_reentrant": False})
            else:
                base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        lora = LoraConfig(
            task_type="CAUSAL_LM",
            r=cfg.lora_rank,
            lora_alpha=cfg.lora_alpha,
            lora_dropout=cfg.lora_dropout,
            target_modules=cfg.target_modules,
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)  # LoRA A's initialization
            self.model = get_peft_model(base, lora)
        if self.device.torch_device == "cuda":
            # Under bf16 autocast the LoRA matmuls cast for themselves; peft's own cast of each
            # LoRA input to the fp32 adapter weights' dtype copied every activation once per
            # adapted module and ran dropout in fp32 (about 30 ms of a 360 ms step, profiled with
            # bench/train_profile.py on an H100).
            for module in self.model.modules():
                if isinstance(module, BaseTunerLayer):
                    module.cast_input_dtype_enabled = False
        self._compile = self._compile and _compile_decoder_layers(base)
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        # fused: one kernel for all adapter tensors instead of a few per tensor (CUDA only).
        self.optimizer = torch.optim.AdamW(trainable, lr=cfg.learning_rate, weight_decay=0.0, fused=self.device.torch_device == "cuda")
        self.steps_per_epoch = math.ceil(len(self.train_rows) / cfg.batch_size)
        self.total_steps = self.steps_per_epoch * cfg.epochs
        self.scheduler = get_scheduler(
            cfg.lr_schedule,
            self.optimizer,
            num_warmup_steps=math.ceil(cfg.warmup_ratio * self.total_steps),
            num_training_steps=self.total_steps,
        )
        self.state = checkpoint.TrainerState(
            step=0, fingerprint=_fingerprint(cfg, datasets), losses=[], tokens=0, seconds=0.0
        )
        torch.manual_seed(cfg.seed)  # dropout
        if resume_from is not None:
            self.state = checkpoint.load(resume_from, self.model, self.optimizer, self.scheduler, self.state.fingerprint)
            self._on_event("info", f"resumed from the checkpoint at step {self.state.step} of {self.total_steps}")

    def _read_records(self, datasets: Sequence[tuple[str, Path]]) -> list[Record]:
        records: list[Record] = []
        for name, path in datasets:
            records += read_snapshot(path, name)
        accepted = TEMPLATE_ACCEPTS[self.config.task_template]
        wanted = [r for r in records if r.kind in accepted]
        if len(wanted) < len(records):
            self._on_event(
                "warn",
                f"skipped {len(records) - len(wanted)} of {len(records)} records that the "
                f"{self.config.task_template} template cannot train on (it takes {' and '.join(accepted)} records)",
            )
        if not wanted:
            raise DataError(f"the datasets hold no {' or '.join(accepted)} records to train on")
        return wanted

    def _tokenize(self, records: Sequence[Record], what: str) -> list[Example]:
        result = tokenize_records(self.tokenizer, records, self.config.max_length, self.config.task_template)
        self.truncated += result.truncated
        if result.truncated:
            self._on_event(
                "warn", f"{result.truncated} {what} records were longer than maxLength {self.config.max_length} and were truncated"
            )
        if result.dropped:
            self._on_event("warn", f"{result.dropped} {what} records had no answer tokens within maxLength and were skipped")
        return result.examples

    # ---- train -------------------------------------------------------------------------------

    def train(self) -> str | None:
        """Runs the remaining steps. Returns None when done, or the reason `should_stop` gave
        (checked after every step) when stopped early; the model is then at a step boundary."""
        cfg = self.config
        pad_id = self.tokenizer.pad_token_id
        self.model.train()
        started, start_step, start_tokens = time.monotonic(), self.state.step, self.state.tokens
        seconds_before = self.state.seconds
        if self.state.step == 0:
            self._eval_point()
        while self.state.step < self.total_steps:
            epoch, index = divmod(self.state.step, self.steps_per_epoch)
            indices = batch_order(len(self.train_rows), cfg.batch_size, cfg.seed, epoch)[index]
            rows = [self.train_rows[i] for i in indices]
            batch = {k: v.to(self.device.torch_device) for k, v in collate(rows, pad_id).items()}
            lr = self.scheduler.get_last_lr()[0]
            loss = self.train_step(batch)
            if not math.isfinite(loss):
                raise TrainingDiverged(
                    f"the training loss became {loss} at step {self.state.step + 1}: lower learningRate "
                    "(or raise warmupRatio) and start again"
                )
            self.state.step += 1
            self.state.losses.append(loss)
            self.state.tokens += sum(len(r.input_ids) for r in rows)

            elapsed = max(time.monotonic() - started, 1e-9)
            self.state.seconds = seconds_before + elapsed
            done_here = self.state.step - start_step
            self._on_progress(
                Progress(
                    step=self.state.step,
                    total_steps=self.total_steps,
                    epoch=self.state.step / self.steps_per_epoch,
                    loss=loss,
                    learning_rate=lr,
                    tokens_per_second=(self.state.tokens - start_tokens) / elapsed,
                    eta_seconds=(self.total_steps - self.state.step) * elapsed / done_here,
                )
            )
            if self.state.step % self.steps_per_epoch == 0:
                self._eval_point()
            every = cfg.checkpoint_every_steps
            if every and self.state.step % every == 0 and self.state.step < self.total_steps:
                folder = self.save_checkpoint()
                self._on_checkpoint(folder, self.state.step)
            reason = self._should_stop()
            if reason is not None and self.state.step < self.total_steps:
                return reason
        return None

    def _eval_point(self) -> None:
        """Held-out loss now, for the loss chart (no RNG is drawn: resumed runs stay identical)."""
        import torch

        rows = self.eval_rows[:EVAL_ROWS_DURING_TRAINING]
        with torch.compiler.set_stance("force_eager"):  # varied eval shapes would each compile anew
            loss = eval_loss(self.model, rows, self.tokenizer.pad_token_id, self.device, self.config.batch_size)
        if loss is not None:
            self._on_eval(self.state.step, loss)

    def train_step(self, batch: dict[str, Any]) -> float:
        """One optimizer step on a collated batch; returns its loss. If compiling the layers fails
        (e.g. no C compiler for Triton on this machine), the step runs again without compiling."""
        import torch

        if self._compile:
            try:
                with torch.compiler.set_stance("default"):
                    return self._step(batch)
            except Exception as error:
                if not _is_compile_error(error):
                    raise
                self._compile = False
                self.optimizer.zero_grad(set_to_none=True)
                cause = getattr(error, "inner_exception", None) or error.__cause__ or error
                reason = (str(cause).strip().splitlines() or [""])[0][:300]
                self._on_event("warn", f"torch.compile failed, training continues uncompiled (slower): {type(cause).__name__}: {reason}")
        with torch.compiler.set_stance("force_eager"):
            return self._step(batch)

    def _step(self, batch: dict[str, Any]) -> float:
        import torch

        with self.device.autocast():
            out = self.model(**batch)  # loss: mean cross-entropy over label tokens
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in self.model.parameters() if p.requires_grad], self.config.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(out.loss.item())

    def save_checkpoint(self) -> Path:
        """Writes a resumable checkpoint of the current step to `<work_dir>/checkpoints/step-N`."""
        folder = self.work_dir / "checkpoints" / f"step-{self.state.step:06d}"
        return checkpoint.save(folder, self.model, self.optimizer, self.scheduler, self.state)

    # ---- finish ------------------------------------------------------------------------------

    def finish(self) -> TrainResult:
        """Saves the adapter (PEFT format) and computes the eval report and training metrics."""
        import torch

        cfg = self.config
        adapter_dir = self.work_dir / "adapter"
        self.model.save_pretrained(str(adapter_dir))
        with torch.compiler.set_stance("force_eager"):
            report = eval_report(
                self.model, self.tokenizer, self.eval_rows, self.eval_records, self.device,
                batch_size=cfg.batch_size, sample_count=cfg.sample_count, sample_max_tokens=cfg.sample_max_tokens,
            )
        # The mean of the last tenth of the steps: one step's loss is too noisy to report.
        tail = self.state.losses[-max(1, len(self.state.losses) // 10) :]
        metrics = {
            "trainLoss": sum(tail) / len(tail) if tail else None,
            "steps": self.state.step,
            "epochs": self.state.step / self.steps_per_epoch,
            "trainExamples": self.train_record_count,
            "trainTokens": self.state.tokens,
            "trainSeconds": round(self.state.seconds, 3),
            "truncatedExamples": self.truncated,
        }
        return TrainResult(adapter_dir=adapter_dir, metrics=metrics, eval_report=report)

    def cleanup(self) -> None:
        """Drops the model and optimizer and returns cached GPU memory."""
        import gc

        import torch

        for name in ("model", "optimizer", "scheduler"):
            if hasattr(self, name):
                delattr(self, name)
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
