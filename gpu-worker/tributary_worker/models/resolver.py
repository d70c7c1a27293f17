"""Catalog model id -> where to load it from, and loading it.

Four sources, tried in this order:
- `tiny-llama`: built on this machine (see tiny_llama.py) in the worker's cache.
- a mirror folder (`--model-dir DIR`, e.g. a synced copy of an S3 bucket): `DIR/<org>/<name>`
  holds a model saved with `save_pretrained`.
- the Hugging Face Hub: `from_pretrained("<org>/<name>")`, which uses the Hub's cache and honours
  HF_HUB_OFFLINE / HF_HOME / HF_TOKEN as usual. Only ids given with `--models` (the catalog itself
  lives on the server, server/finetune/catalog.ts).
- the server's blob store (S3 or its local folder): a job on a model this worker does not have
  carries the model's files as signed URLs (`baseModelFiles`, server/jobs/hosted-models.ts);
  `fetch_hosted` downloads them once into `<cache_dir>/models/hosted/<org>/<name>`.

Ids come from the server, so they are checked against a strict pattern before they are used as
a path below the mirror folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from tributary_worker.models.tiny_llama import TINY_LLAMA_ID, TinyLlamaSpec, ensure_tiny_llama
from tributary_worker.transfer import TransferError, download

MANIFEST = ".tributary-files.json"
"""Written last into a fetched hosted model's folder: the (name, size) list it holds."""

_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


class ModelNotAvailable(Exception):
    """The requested base model cannot be loaded on this worker (a job error, not retryable here)."""


def check_model_id(model_id: str) -> str:
    """Returns `model_id` if it is `tiny-llama` or an `<org>/<name>` Hub id; raises otherwise."""
    if model_id == TINY_LLAMA_ID:
        return model_id
    if not _HUB_ID.match(model_id) or ".." in model_id:
        raise ModelNotAvailable(
            f"model id {model_id!r} is not valid: use {TINY_LLAMA_ID!r} or a Hugging Face id such as "
            "'Qwen/Qwen2.5-0.5B-Instruct'"
        )
    return model_id


@dataclass(frozen=True)
class ModelSource:
    """Where one catalog model is loaded from."""

    model_id: str
    """The catalog id the server uses."""

    kind: Literal["built", "mirror", "hub", "hosted"]
    """built: tiny-llama made here; mirror: a folder under --model-dir; hub: Hugging Face Hub;
    hosted: downloaded from the server's blob store."""

    location: str
    """What is passed to `from_pretrained`: a local folder, or the Hub repo id."""


@dataclass
class ModelResolver:
    """Maps catalog ids to sources; one per worker process."""

    cache_dir: Path
    """Worker cache root; tiny-llama is built under `<cache_dir>/models`."""

    model_dir: Path | None = None
    """Mirror folder holding `<org>/<name>` model folders, or None."""

    extra_models: tuple[str, ...] = ()
    """Hub ids this worker offers besides mirrored ones (`--models`), loaded through the Hub."""

    tiny_spec: TinyLlamaSpec = field(default_factory=TinyLlamaSpec)
    """Which tiny-llama `tiny-llama` means (tests use the default too)."""

    hosted: dict[str, Path] = field(default_factory=dict)
    """Models fetched from the server's blob store in this process: id -> folder."""

    def __post_init__(self) -> None:
        self.extra_models = tuple(check_model_id(m) for m in self.extra_models)

    def fetch_hosted(self, model_id: str, files: list[dict[str, Any]], stop: threading.Event | None = None) -> Path:
        """Downloads a hosted model's files (`[{name, url, sizeBytes}]`) unless the cache already
        holds exactly these files; returns the folder. A download that fails leaves the cached
        copy as it was: files go to a scratch folder that replaces it only when complete."""
        check_model_id(model_id)
        manifest = json.dumps(sorted((f["name"], f["sizeBytes"]) for f in files))
        folder = self.cache_dir / "models" / "hosted" / model_id
        if (folder / MANIFEST).is_file() and (folder / MANIFEST).read_text() == manifest:
            self.hosted[model_id] = folder
            return folder
        scratch = folder.with_name(f".{folder.name}.{os.getpid()}.part")
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            for file in files:
                name = PurePosixPath(file["name"])
                if name.is_absolute() or ".." in name.parts or not name.parts:
                    raise ModelNotAvailable(f"hosted model {model_id!r}: file name {file['name']!r} is not a relative path")
                size = download(file["url"], scratch.joinpath(*name.parts), stop, max_bytes=file["sizeBytes"])
                if size != file["sizeBytes"]:
                    raise TransferError(f"hosted model {model_id!r}: {name} has {size} bytes, the server listed {file['sizeBytes']}", retryable=True)
            if not (scratch / "config.json").is_file():
                raise ModelNotAvailable(f"hosted model {model_id!r} has no config.json: host the folder saved with save_pretrained")
            (scratch / MANIFEST).write_text(manifest)
            shutil.rmtree(folder, ignore_errors=True)
            scratch.replace(folder)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        self.hosted[model_id] = folder
        return folder

    def mirrored(self) -> list[str]:
        """`<org>/<name>` ids that have a saved model (a config.json) under the mirror folder."""
        if self.model_dir is None or not self.model_dir.is_dir():
            return []
        found = [f"{c.parent.parent.name}/{c.parent.name}" for c in self.model_dir.glob("*/*/config.json")]
        return sorted(m for m in found if _HUB_ID.match(m))

    def available(self) -> list[str]:
        """Catalog ids this worker reports at registration: tiny-llama, mirrored, then --models."""
        ids = [TINY_LLAMA_ID, *self.mirrored(), *self.extra_models]
        return list(dict.fromkeys(ids))

    def resolve(self, model_id: str) -> ModelSource:
        check_model_id(model_id)
        if model_id == TINY_LLAMA_ID:
            path = ensure_tiny_llama(self.cache_dir / "models", self.tiny_spec)
            return ModelSource(model_id, "built", str(path))
        if self.model_dir is not None:
            folder = self.model_dir / model_id
            if (folder / "config.json").is_file():
                return ModelSource(model_id, "mirror", str(folder))
        # Only what this worker advertised: the server leases no other base model to it.
        if model_id in self.extra_models:
            return ModelSource(model_id, "hub", model_id)
        if model_id in self.hosted:
            return ModelSource(model_id, "hosted", str(self.hosted[model_id]))
        raise ModelNotAvailable(
            f"model {model_id!r} is not available on this worker: mirror it as "
            f"<--model-dir>/{model_id}, start the worker with --models {model_id}, or host it on the "
            f"server (npm run models:host -- {model_id} <folder>)"
        )


def load_tokenizer(source: ModelSource):  # -> transformers tokenizer
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source.location)
    if tokenizer.pad_token is None:
        # Llama 3 and Mistral ship without one; padding positions are masked out anyway.
        tokenizer.pad_token = tokenizer.eos_token
    if not tokenizer.chat_template:
        raise ModelNotAvailable(
            f"model {source.model_id!r} has no chat template: use an instruct/chat variant of it"
        )
    return tokenizer


def load_model(source: ModelSource, dtype, device: str):  # -> PreTrainedModel on `device`
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(source.location, dtype=dtype)
    return model.to(device)


def parse_models_arg(value: str | None) -> tuple[str, ...]:
    """`--models a/b,c/d` -> ("a/b", "c/d"), each checked."""
    if not value:
        return ()
    return tuple(check_model_id(m.strip()) for m in value.split(",") if m.strip())
