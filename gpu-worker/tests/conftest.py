"""Shared test assets: one tiny-llama built per session, snapshot files written in the test.

Nothing here may touch the network: the Hub is forced offline before anything imports it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"

import pytest  # noqa: E402  (after the environment above, which huggingface_hub reads on import)

from helpers import snapshot_line  # noqa: E402
from serve_helpers import ADAPTER_SPECS, copier, make_adapter  # noqa: E402
from tributary_worker.device import Device, pick_device  # noqa: E402
from tributary_worker.models.resolver import ModelResolver, ModelSource  # noqa: E402
from tributary_worker.models.tiny_llama import TinyLlamaSpec, ensure_tiny_llama  # noqa: E402

if TYPE_CHECKING:  # the HTTP fixtures' packages, imported where used: the GPU machine lacks them
    import httpx2
    from openai import OpenAI

    from fake_server import FakeServer
    from tributary_worker.serve.engine import Engine
    from tributary_worker.serve.server import ServingServer

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


@pytest.fixture(scope="module")
def adapter_dirs(tmp_path_factory: pytest.TempPathFactory, tiny_path: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("adapters")
    return {name: make_adapter(tiny_path, root / name, seed, **spec) for seed, (name, spec) in enumerate(ADAPTER_SPECS.items())}


@pytest.fixture
def make_engine(tmp_path: Path, tiny_path: Path, adapter_dirs: dict[str, Path]):
    """Serving engines on tiny-llama with the test adapters registered (CPU unless a device is given)."""
    from tributary_worker.serve.engine import Engine

    engines: list[Engine] = []

    def make(device: Device | None = None, **kwargs) -> Engine:
        kwargs = {"max_seq_len": 256, "max_rank": 16, **kwargs}
        engine = Engine(ModelSource("tiny-llama", "built", str(tiny_path)), device or Device("cpu", None, 0.0), disk_dir=tmp_path / f"disk{len(engines)}", **kwargs)
        for name, folder in adapter_dirs.items():
            engine.register_adapter(name, copier(folder))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.stop()


# ---- the serving worker's HTTP API (one engine and server per test module) -------------------

@pytest.fixture(scope="module")
def adapter_files(tmp_path_factory: pytest.TempPathFactory, tiny_path: Path) -> dict[str, bytes]:
    """A real (random, strong) LoRA adapter for tiny-llama saved by peft: file name -> bytes."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(3)
    folder = tmp_path_factory.mktemp("adapter")
    config = LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj", "o_proj"], init_lora_weights=False)
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_path), config).save_pretrained(str(folder))
    return {name: (folder / name).read_bytes() for name in ("adapter_config.json", "adapter_model.safetensors")}


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The engine's disk tier."""
    return tmp_path_factory.mktemp("serve-disk")


@pytest.fixture(scope="module")
def engine(disk: Path, worker_cache: Path) -> Iterator[Engine]:
    from serve_http_helpers import MAX_RANK

    from tributary_worker.serve.engine import Engine

    source = ModelResolver(cache_dir=worker_cache).resolve("tiny-llama")
    engine = Engine(source, pick_device("cpu"), disk_dir=disk, max_batch_size=4, gpu_adapter_slots=2, cpu_adapter_slots=4, max_rank=MAX_RANK, cuda_graphs=False)
    engine.start()
    yield engine
    engine.stop()


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[ServingServer]:
    from fake_server import TOKEN
    from tributary_worker.serve.server import ServingServer

    logs: list[str] = []
    server = ServingServer(engine, TOKEN, port=0, context=engine.max_seq_len, log=logs.append).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(server: ServingServer) -> Iterator[OpenAI]:
    import httpx2
    from openai import OpenAI
    from serve_http_helpers import HmacAuth

    from fake_server import TOKEN

    with httpx2.Client(auth=HmacAuth(TOKEN), timeout=60) as http:
        yield OpenAI(base_url=f"{server.url}/v1", api_key="not-used", http_client=http, max_retries=0)


@pytest.fixture(scope="module")
def signed(server: ServingServer) -> Iterator[httpx2.Client]:
    """A plain HTTP client signed like the gateway (for the adapter endpoints and raw bodies)."""
    import httpx2
    from serve_http_helpers import HmacAuth

    from fake_server import TOKEN

    with httpx2.Client(base_url=server.url, auth=HmacAuth(TOKEN), timeout=60) as http:
        yield http


@pytest.fixture(scope="module")
def blobs(adapter_files: dict[str, bytes]) -> Iterator[FakeServer]:
    """A local blob store with the adapter's files (what the signed URLs point at)."""
    from fake_server import FakeServer

    with FakeServer() as store:
        for name, data in adapter_files.items():
            store.blobs[f"adapters/a1/{name}"] = data
        yield store
