"""Shared test assets: one tiny-llama built per session, snapshot files written in the test.

Nothing here may touch the network: the Hub is forced offline before anything imports it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"

import pytest  # noqa: E402  (after the environment above, which huggingface_hub reads on import)

from helpers import snapshot_line  # noqa: E402
from tributary_worker.models.resolver import ModelResolver  # noqa: E402
from tributary_worker.models.tiny_llama import TinyLlamaSpec, ensure_tiny_llama  # noqa: E402

@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keeps tests from writing to the developer's ~/.cache/tributary."""
    monkeypatch.setenv("TRIBUTARY_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "tributary-cache"))


@pytest.fixture(scope="session")
def worker_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A worker cache folder in which tiny-llama is already built (built once per session)."""
    cache = tmp_path_factory.mktemp("worker-cache")
    ensure_tiny_llama(cache / "models", TinyLlamaSpec())
    return cache


@pytest.fixture(scope="session")
def tiny_path(worker_cache: Path) -> Path:
    return ensure_tiny_llama(worker_cache / "models", TinyLlamaSpec())


@pytest.fixture
def resolver(worker_cache: Path) -> ModelResolver:
    return ModelResolver(cache_dir=worker_cache)


@pytest.fixture(scope="session")
def tokenizer(tiny_path: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_path)


@pytest.fixture
def write_snapshot(tmp_path: Path) -> Callable[[Iterable[dict], str], Path]:
    def write(contents: Iterable[dict], name: str = "snapshot.jsonl") -> Path:
        path = tmp_path / name
        path.write_text("".join(snapshot_line(f"r{i}", c) for i, c in enumerate(contents)))
        return path

    return write
