"""A `generate` job (the playground): answer one conversation with each variant, the base model
and/or tuned adapters, and complete with the texts and token counts."""

from __future__ import annotations

import time
from pathlib import Path, PurePosixPath
from typing import Any

from tributary_worker.generate import Sampling
from tributary_worker.jobs.context import JobContext, JobFailure, Outcome, payload_field, retrying
from tributary_worker.transfer import download


def _adapter_folder(ctx: JobContext, index: int, files: list[dict[str, Any]]) -> Path:
    """Downloads one variant's adapter files into a folder of their own. Only the last part of each
    name is used: the server names files, it never chooses where they go on this machine."""
    folder = ctx.work_dir / "adapters" / str(index)
    for file in files:
        name = PurePosixPath(file["name"]).name
        if name in ("", ".", ".."):
            raise JobFailure(f"adapter file name {file['name']!r} is not a file name", retryable=False)
        download(file["url"], folder / name, ctx.shutdown)
    if not (folder / "adapter_config.json").is_file():
        raise JobFailure("the adapter has no adapter_config.json (PEFT format expected)", retryable=False)
    return folder


def run_generate(ctx: JobContext) -> Outcome:
    payload = ctx.job.payload
    sampling = Sampling(
        max_tokens=payload_field(payload, "maxTokens"),
        temperature=payload_field(payload, "temperature"),
        top_p=payload_field(payload, "topP"),
        seed=payload_field(payload, "seed"),
    )
    messages = [{"role": m["role"], "content": m["content"]} for m in payload_field(payload, "messages")]
    base_model = payload_field(payload, "baseModel")
    ctx.fetch_base_model()
    outputs = []
    for index, variant in enumerate(payload_field(payload, "variants")):
        adapter = variant["adapter"]
        folder = _adapter_folder(ctx, index, adapter["files"]) if adapter else None
        started = time.monotonic()
        answer = ctx.generator.generate(base_model, folder, [messages], sampling)[0]
        outputs.append(
            {
                "variant": variant["name"],
                "text": answer.text,
                "promptTokens": answer.prompt_tokens,
                "completionTokens": answer.completion_tokens,
                "seconds": round(time.monotonic() - started, 3),
            }
        )
        if ctx.session.lost.is_set():
            return "lost"
        if ctx.session.cancelled.is_set():
            return "cancelled"
    retrying(ctx, lambda: ctx.client.complete(ctx.job, {"kind": "generate", "outputs": outputs}))
    return "completed"
