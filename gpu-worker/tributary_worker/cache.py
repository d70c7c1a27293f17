"""Where the worker keeps what it builds or downloads, shared with scripts/worker-venv.mjs.

`${TRIBUTARY_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/tributary}`: the built tiny-llama lives in
`models/` below it, job scratch files in `work/` (unless --work-dir says otherwise) and the
shared venvs in `worker-venv/`. Hugging Face downloads stay in the Hub's own cache (`HF_HOME`).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    if os.environ.get("TRIBUTARY_CACHE_DIR"):
        return Path(os.environ["TRIBUTARY_CACHE_DIR"])
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "tributary"
