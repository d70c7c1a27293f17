"""Fetching one adapter's files from the signed URLs the control plane gave with
`PUT /adapters/{id}`, into the folder the engine names, whole or not at all.

The files land in a temporary sibling folder and are renamed into place only when both are
complete: a failed or oversized download leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from tributary_worker.serve.adapters import CONFIG_FILE, WEIGHTS_FILE
from tributary_worker.transfer import TransferError, download

ADAPTER_FILES = (CONFIG_FILE, WEIGHTS_FILE)

MAX_CONFIG_BYTES = 1 << 20
MAX_WEIGHTS_BYTES = 4 << 30
"""4 GiB: a rank-64 adapter on every linear layer of a 70B model in fp32 is about 3.3 GB."""


class AdapterFilesError(Exception):
    """The adapter's files could not be downloaded; the message says which file and why."""


@dataclass(frozen=True)
class AdapterFile:
    name: str
    """One of ADAPTER_FILES; the control plane names files, it never chooses where they go."""

    url: str
    """Signed URL to GET it from."""


def fetch_adapter(
    files: tuple[AdapterFile, ...], folder: Path, stop: threading.Event | None = None, max_weights_bytes: int = MAX_WEIGHTS_BYTES,
) -> None:
    """Downloads `files` and puts them in `folder` (replacing what was there); raises
    AdapterFilesError when a file fails, leaving `folder` as it was, or absent if it was an
    empty folder made for this fetch. Whether the files are a LoRA adapter that fits the base
    model is the engine's check (AdapterError), made when it reads them."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".download", dir=folder.parent))
    try:
        names = sorted(f.name for f in files)
        if names != sorted(ADAPTER_FILES):
            raise AdapterFilesError(f"an adapter is exactly the files {', '.join(ADAPTER_FILES)}; got {', '.join(names) or 'none'}")
        for file in files:
            limit = MAX_CONFIG_BYTES if file.name == CONFIG_FILE else max_weights_bytes
            try:
                download(file.url, staging / file.name, stop, max_bytes=limit)
            except TransferError as err:
                raise AdapterFilesError(f"{file.name}: {err}") from None
        if folder.exists() and any(folder.iterdir()):
            shutil.rmtree(folder)
        os.replace(staging, folder)  # also replaces an empty folder the engine made for this fetch
    except BaseException:
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty: nothing of a failed fetch stays on disk
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
