"""A `finetune` job: download the Datanet snapshots (and the checkpoint to resume from), train,
upload checkpoints on the way and the PEFT adapter at the end, then complete with the metrics and
eval report. Cancellation, a lost lease and shutdown all stop it between two steps."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tributary_worker.jobs.context import JobContext, Outcome, payload_field, retrying
from tributary_worker.protocol import LeaseLost, ProtocolError, ServerUnavailable
from tributary_worker.train.checkpoint import CheckpointError
from tributary_worker.train.config import FinetuneConfig
from tributary_worker.train.recipe import LoRAFinetuneRecipe, Progress
from tributary_worker.transfer import TransferError, download, pack_folder, unpack_archive

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def finetune_config(payload: dict[str, Any]) -> FinetuneConfig:
    """FinetunePayload -> FinetuneConfig (the wire names are camelCase)."""
    h = payload_field(payload, "hyperparameters")
    field = lambda name: payload_field(h, name)  # noqa: E731 (a short local alias)
    return FinetuneConfig(
        base_model=payload_field(payload, "baseModel"),
        task_template=payload_field(payload, "taskTemplate"),
        epochs=field("epochs"),
        learning_rate=field("learningRate"),
        batch_size=field("batchSize"),
        max_length=field("maxLength"),
        lora_rank=field("loraRank"),
        lora_alpha=field("loraAlpha"),
        lora_dropout=field("loraDropout"),
        target_modules=list(field("targetModules")),
        warmup_ratio=field("warmupRatio"),
        eval_fraction=field("evalFraction"),
        gradient_checkpointing=field("gradientCheckpointing"),
        packing=field("packing"),
        seed=field("seed"),
        checkpoint_every_steps=payload_field(payload, "checkpointEverySteps"),
    )


def progress_message(p: Progress) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Progress -> (HeartbeatRequest.progress, its metric points)."""
    progress = {
        "step": p.step,
        "totalSteps": p.total_steps,
        "epoch": p.epoch,
        "loss": p.loss,
        "learningRate": p.learning_rate,
        "tokensPerSecond": p.tokens_per_second,
        "etaSeconds": p.eta_seconds,
    }
    metrics = [
        {"step": p.step, "name": "train_loss", "value": p.loss},
        {"step": p.step, "name": "learning_rate", "value": p.learning_rate},
        {"step": p.step, "name": "tokens_per_second", "value": p.tokens_per_second},
    ]
    return progress, metrics


def _fetch_inputs(ctx: JobContext, payload: dict[str, Any]) -> tuple[list[tuple[str, Path]], Path | None]:
    datasets = []
    for dataset in payload_field(payload, "datasets"):
        version = dataset["versionId"]
        path = ctx.work_dir / "datasets" / f"{version}.jsonl"
        download(dataset["url"], path, ctx.shutdown)
        datasets.append((f"Datanet version {version}", path))
    resume = payload_field(payload, "resume")
    if resume is None:
        return datasets, None
    try:
        archive = ctx.work_dir / "resume.tar"
        download(resume["url"], archive, ctx.shutdown)
        return datasets, unpack_archive(archive, ctx.work_dir / "resume")
    except TransferError as err:
        ctx.event("warn", f"could not fetch the checkpoint of step {resume['step']} ({err}); training from the start")
        return datasets, None


def _upload_checkpoint(ctx: JobContext, folder: Path, step: int) -> bool:
    """Uploads a checkpoint as a tar and queues its key for the next heartbeat."""
    archive = pack_folder(folder, folder.with_suffix(".tar"))
    try:
        artifact = ctx.upload_file(archive, f"checkpoints/step-{step:06d}.tar", "application/x-tar")
    except (TransferError, ServerUnavailable, ProtocolError) as err:
        if isinstance(err, LeaseLost):
            raise
        ctx.event("warn", f"could not upload the checkpoint of step {step}: {err}")
        return False
    finally:
        archive.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)  # only the latest checkpoint matters, and it is uploaded
    ctx.session.set_checkpoint(artifact["key"], step)
    return True


def run_finetune(ctx: JobContext) -> Outcome:
    payload = ctx.job.payload
    config = finetune_config(payload)
    ctx.fetch_base_model()
    datasets, resume_dir = _fetch_inputs(ctx, payload)
    if (reason := ctx.should_stop()) is not None:
        return _stopped_before_training(ctx, reason)

    def on_progress(p: Progress) -> None:
        ctx.session.update(*progress_message(p))

    recipe = LoRAFinetuneRecipe(
        config, ctx.resolver, ctx.device, ctx.work_dir / "run",
        on_progress=on_progress,
        on_checkpoint=lambda folder, step: _upload_checkpoint(ctx, folder, step),
        should_stop=ctx.should_stop,
        on_event=ctx.event,
        on_eval=lambda step, loss: ctx.session.add_metrics([{"step": step, "name": "eval_loss", "value": loss}]),
    )
    try:
        try:
            recipe.setup(datasets, resume_dir)
        except CheckpointError as err:
            ctx.event("warn", f"cannot resume from the checkpoint ({err}); training from the start")
            recipe.cleanup()
            recipe.setup(datasets, None)
        ctx.event(
            "info",
            f"training {config.base_model} on {ctx.device.kind}"
            f"{f' ({ctx.device.name})' if ctx.device.name else ''}: {recipe.train_record_count} examples, "
            f"{len(recipe.eval_records)} held out, {recipe.total_steps} steps",
        )
        stopped = recipe.train()
        if stopped == "lease_lost":
            return "lost"
        if stopped == "cancel":
            return "cancelled"
        if stopped == "shutdown":
            step = recipe.state.step
            saved = _upload_checkpoint(ctx, recipe.save_checkpoint(), step)
            ctx.session.beat()  # delivers the checkpoint key before the lease goes
            reason = f"worker shutting down at step {step}" + ("; checkpoint saved" if saved else "")
            retrying(ctx, lambda: ctx.client.release(ctx.job, reason))
            return "released"
        result = recipe.finish()
        adapter = [
            retrying(ctx, lambda name=name: ctx.upload_file(result.adapter_dir / name, f"adapter/{name}", None))
            for name in ADAPTER_FILES
        ]
        ctx.session.beat()  # last progress and metrics before the job closes
        result_message = {"kind": "finetune", "adapter": adapter, "metrics": result.metrics, "evalReport": result.eval_report}
        retrying(ctx, lambda: ctx.client.complete(ctx.job, result_message))
        return "completed"
    finally:
        recipe.cleanup()


def _stopped_before_training(ctx: JobContext, reason: str) -> Outcome:
    if reason == "lease_lost":
        return "lost"
    if reason == "cancel":
        return "cancelled"
    retrying(ctx, lambda: ctx.client.release(ctx.job, "worker shutting down before training started"))
    return "released"
