"""The tiered adapter cache: GPU slots <-> pinned CPU memory <-> local disk <-> blob (fetch).

Adapters are named by id; their files come only from the `fetch` callable registered for the id.
Loads run on one background thread (and, on CUDA, a side stream with non_blocking copies from
pinned memory), so the scheduler keeps decoding while an adapter is on its way. Each tier is an
LRU; a GPU slot in use by running requests (pinned) is never evicted.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import torch

from tributary_worker.serve.model import MODULE_SITE, LoraModel, Shape
from tributary_worker.serve.types import AdapterError, LoadInfo, TierCounters, UnknownAdapter, is_out_of_memory

ADAPTER_ID = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
CONFIG_FILE, WEIGHTS_FILE = "adapter_config.json", "adapter_model.safetensors"
_KEY = re.compile(r"(?:^|\.)layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.lora_([AB])\.weight$")
# Config switches that change what the adapter computes in ways the slot tensors cannot hold.
_UNSUPPORTED = {
    "use_dora": "DoRA adapters (use_dora) are not supported",
    "lora_bias": "LoRA B biases (lora_bias) are not supported",
    "modules_to_save": "adapters with fully trained modules (modules_to_save) are not supported",
    "rank_pattern": "per-module ranks (rank_pattern) are not supported",
    "alpha_pattern": "per-module alphas (alpha_pattern) are not supported",
    "target_parameters": "LoRA on parameters (target_parameters) is not supported",
}


def check_adapter_id(adapter_id: str) -> str:
    if not ADAPTER_ID.match(adapter_id) or adapter_id in (".", ".."):
        raise ValueError(f"adapter id {adapter_id!r} is not valid: use 1-200 of A-Z a-z 0-9 . _ -")
    return adapter_id


@dataclass
class HostAdapter:
    """One adapter in CPU memory, ready for a slot: a flat (pinned on CUDA) buffer and its layout."""

    flat: torch.Tensor
    """All A and B tensors back to back, in the model dtype."""

    layout: list[tuple[str, int, tuple[int, ...], tuple[int, ...]]]
    """Per module: (name, offset of A in flat, A shape (L, r, in), B shape (L, out, r)); B follows A."""

    def views(self, flat: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        out = {}
        for module, offset, a_shape, b_shape in self.layout:
            a_size = math.prod(a_shape)
            a = flat[offset : offset + a_size].view(a_shape)
            b = flat[offset + a_size : offset + a_size + math.prod(b_shape)].view(b_shape)
            out[module] = (a, b)
        return out


def _tail(name_or_path: str) -> str:
    """The part of a Hub id or folder path that names a model: its last two parts. Training saves
    the folder it loaded the base model from (`<mirror>/<org>/<name>`, `.../hosted/<org>/<name>`,
    `.../models/tiny-llama-v1-s0-...`), whose parents differ from machine to machine."""
    return "/".join([part for part in name_or_path.replace("\\", "/").split("/") if part][-2:])


def _trained_on(config: dict, base_model: tuple[str, str]) -> str:
    """Refuses an adapter whose config names another base model than this engine's; returns the
    words that say which base model the shape checks' messages compare with."""
    model_id, location = base_model
    served = model_id if _tail(location) == model_id else f"{model_id} ({_tail(location)})"
    named = config.get("base_model_name_or_path")
    if not isinstance(named, str) or not named.strip():
        return f"was the adapter trained on another base model than {served}?"
    if _tail(named).lower() not in {_tail(model_id).lower(), _tail(location).lower()}:
        raise AdapterError(
            f"{CONFIG_FILE}: the adapter was trained on base model {named!r}; this worker serves {served}: "
            f"deploy a version trained on {model_id}"
        )
    return f"its {CONFIG_FILE} names {named!r}, this worker serves {served}"


@dataclass(frozen=True)
class _Entry:
    """One tensor of a safetensors file: its dtype and shape, and where its bytes are in the data."""

    dtype: torch.dtype
    shape: tuple[int, ...]
    start: int
    end: int


_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def _safetensors_header(path: Path) -> tuple[int, dict[str, _Entry]]:
    """(offset of the data, entry per tensor name) from a safetensors file's header; reads no data."""
    size = path.stat().st_size
    with path.open("rb") as f:
        prefix = f.read(8)
        length = int.from_bytes(prefix, "little") if len(prefix) == 8 else -1
        if not 2 <= length <= min(size - 8, 100 << 20):
            raise AdapterError(f"{WEIGHTS_FILE} is not a readable safetensors file: no valid header")
        try:
            header = json.loads(f.read(length))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise AdapterError(f"{WEIGHTS_FILE} is not a readable safetensors file: its header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise AdapterError(f"{WEIGHTS_FILE} is not a readable safetensors file: its header is not a JSON object")
    data_size, entries = size - 8 - length, {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            dtype, shape, (start, end) = info["dtype"], tuple(int(d) for d in info["shape"]), info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise AdapterError(f"{WEIGHTS_FILE} is not a readable safetensors file: bad header entry for {key!r}") from None
        if dtype not in _DTYPES:
            raise AdapterError(f"{WEIGHTS_FILE}: tensor {key!r} has dtype {dtype}; LoRA weights must be F32, F16 or BF16")
        item = _DTYPES[dtype].itemsize
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= data_size and end - start == math.prod(shape) * item):
            raise AdapterError(f"{WEIGHTS_FILE} is not a readable safetensors file: tensor {key!r} lies outside the file or has the wrong size")
        entries[key] = _Entry(_DTYPES[dtype], shape, start, end)
    return 8 + length, entries


@dataclass(frozen=True)
class AdapterFile:
    """A checked PEFT LoRA adapter on disk, not read yet: `read` moves its bytes, `convert` turns
    them into the flat layout of HostAdapter (on whatever device the bytes are, e.g. the GPU)."""

    path: Path
    data_start: int
    data_size: int
    modules: dict[str, dict[int, tuple[_Entry, _Entry]]]
    """Per module name: per layer, the (A, B) tensors."""
    scaling: float
    layout: list[tuple[str, int, tuple[int, ...], tuple[int, ...]]]

    def read(self, into: torch.Tensor) -> torch.Tensor:
        """Reads the data section into the start of a uint8 CPU tensor (pinned or not); returns that part."""
        part = into[: self.data_size]
        with self.path.open("rb") as f:
            f.seek(self.data_start)
            if f.readinto(memoryview(part.numpy())) != self.data_size:
                raise AdapterError(f"{WEIGHTS_FILE} is not a readable safetensors file: it ends early")
        return part

    def convert(self, raw: torch.Tensor, dtype: torch.dtype, out: torch.Tensor | None = None) -> torch.Tensor:
        """raw: the data section (uint8) on any device -> the flat buffer in `dtype` on that device
        (or `out`), with B scaled by alpha/r in fp32 before rounding to `dtype`."""
        total = self.layout[-1][1] + math.prod(self.layout[-1][2]) + math.prod(self.layout[-1][3])
        flat = out if out is not None else torch.empty(total, dtype=dtype, device=raw.device)
        host = HostAdapter(flat, self.layout)
        for module, (a, b) in host.views(flat).items():
            layers = self.modules[module]
            order = sorted(layers)
            a_part = torch.stack([_tensor(raw, layers[i][0]) for i in order])
            b_part = torch.stack([_tensor(raw, layers[i][1]) for i in order]).float() * self.scaling
            if len(order) == a.shape[0]:
                a.copy_(a_part)
                b.copy_(b_part)
            else:  # layers_to_transform: the others stay zero
                a.zero_()
                b.zero_()
                a[order] = a_part.to(dtype)
                b[order] = b_part.to(dtype)
        return flat


def _tensor(raw: torch.Tensor, entry: _Entry) -> torch.Tensor:
    part = raw[entry.start : entry.end]
    if entry.start % entry.dtype.itemsize:  # views need aligned offsets; safetensors writers align, others may not
        part = part.clone()
    return part.view(entry.dtype).view(entry.shape)


def read_adapter(folder: Path, shape: Shape, max_rank: int, base_model: tuple[str, str]) -> AdapterFile:
    """Checks a PEFT LoRA adapter folder against the base model (config and the weights' header,
    without reading the weights); raises AdapterError. `base_model`: its catalog id and what it was
    loaded from (folder or Hub id)."""
    config_path, weights_path = folder / CONFIG_FILE, folder / WEIGHTS_FILE
    if not config_path.is_file() or not weights_path.is_file():
        raise AdapterError(f"the adapter needs {CONFIG_FILE} and {WEIGHTS_FILE}; found {sorted(p.name for p in folder.iterdir())}")
    try:
        config = json.loads(config_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise AdapterError(f"{CONFIG_FILE} is not valid JSON: {e}") from None
    if not isinstance(config, dict) or config.get("peft_type") != "LORA":
        found = config.get("peft_type") if isinstance(config, dict) else type(config).__name__
        raise AdapterError(f"{CONFIG_FILE}: peft_type is {found!r}; only LoRA adapters ('LORA') can be served")
    for key, message in _UNSUPPORTED.items():
        if config.get(key):
            raise AdapterError(f"{CONFIG_FILE}: {message}")
    trained_on = _trained_on(config, base_model)
    rank, alpha = config.get("r"), config.get("lora_alpha")
    if not isinstance(rank, int) or rank < 1 or not isinstance(alpha, (int, float)):
        raise AdapterError(f"{CONFIG_FILE}: r must be a positive integer and lora_alpha a number (got r={rank!r}, lora_alpha={alpha!r})")
    if rank > max_rank:
        raise AdapterError(f"LoRA rank {rank} is greater than max_rank {max_rank} of this engine")
    scaling = alpha / (math.sqrt(rank) if config.get("use_rslora") else rank)
    data_start, entries = _safetensors_header(weights_path)

    found: dict[str, dict[int, dict[str, _Entry]]] = {}
    for key, entry in entries.items():
        match = _KEY.search(key)
        if match is None or match.group(2) not in MODULE_SITE:
            raise AdapterError(
                f"{WEIGHTS_FILE}: tensor {key!r} is not a LoRA weight of a supported projection "
                f"({', '.join(MODULE_SITE)})"
            )
        layer, module, which = int(match.group(1)), match.group(2), match.group(3)
        if layer >= shape.num_layers:
            raise AdapterError(
                f"{WEIGHTS_FILE}: tensor {key!r} is for layer {layer}; the base model has {shape.num_layers} layers ({trained_on})"
            )
        fan_in, fan_out = shape.module_dims(module)
        expected = (rank, fan_in) if which == "A" else (fan_out, rank)
        if entry.shape != expected:
            raise AdapterError(
                f"{WEIGHTS_FILE}: tensor {key!r} has shape {entry.shape}; this base model's {module} "
                f"with r={rank} needs {expected} ({trained_on})"
            )
        found.setdefault(module, {}).setdefault(layer, {})[which] = entry
    if not found:
        raise AdapterError(f"{WEIGHTS_FILE} holds no LoRA weights")
    # Without layers_to_transform every layer has weights: fewer means a base model with fewer layers.
    chosen = config.get("layers_to_transform")
    if chosen is None:
        wanted = set(range(shape.num_layers))
    elif isinstance(chosen, int) or (isinstance(chosen, list) and all(isinstance(i, int) for i in chosen)):
        wanted = {chosen} if isinstance(chosen, int) else set(chosen)
    else:
        raise AdapterError(f"{CONFIG_FILE}: layers_to_transform must be a layer index or a list of them (got {chosen!r})")
    for module, layers in found.items():
        if set(layers) != wanted:
            raise AdapterError(
                f"{WEIGHTS_FILE}: {module} has LoRA weights for layers {sorted(layers)}; this base model needs them for "
                f"layers {sorted(wanted)} of its {shape.num_layers} ({trained_on})"
            )
        for layer, pair in layers.items():
            if set(pair) != {"A", "B"}:
                raise AdapterError(f"{WEIGHTS_FILE}: layer {layer} {module} has lora_{''.join(pair)} but not both A and B")

    layout, offset = [], 0
    for module in found:
        fan_in, fan_out = shape.module_dims(module)
        a_shape, b_shape = (shape.num_layers, rank, fan_in), (shape.num_layers, fan_out, rank)
        layout.append((module, offset, a_shape, b_shape))
        offset += math.prod(a_shape) + math.prod(b_shape)
    modules = {m: {layer: (pair["A"], pair["B"]) for layer, pair in layers.items()} for m, layers in found.items()}
    data_size = weights_path.stat().st_size - data_start
    return AdapterFile(weights_path, data_start, data_size, modules, scaling, layout)


class AdapterStore:
    """Registered adapters and where each one is: GPU slot, CPU memory, disk; loads in the background."""

    def __init__(self, model: LoraModel, disk_dir: Path, cpu_slots: int, on_loaded: Callable[[], None], base_model: tuple[str, str]):
        self.model = model
        self.base_model = base_model
        """The base model's catalog id and what it was loaded from: an adapter naming another is refused."""
        self.disk_dir = disk_dir
        self.cpu_slots = cpu_slots
        self.on_loaded = on_loaded
        self.cuda = model.device.type == "cuda"
        self.lock = threading.Condition()
        self.fetchers: dict[str, Callable[[Path], None]] = {}
        self.gpu: OrderedDict[str, int] = OrderedDict()  # id -> slot, least recently used first
        self.slot_owner: dict[int, str] = {}
        self.pins: dict[int, int] = {}  # slot -> running requests using it
        self.free_slots = list(range(model.num_slots, 0, -1))
        self.cpu: OrderedDict[str, HostAdapter] = OrderedDict()
        self.loads: dict[str, Future[LoadInfo]] = {}
        self.failed: dict[str, BaseException] = {}  # last load error per id, until re-registered
        self.counters = {tier: [0, 0] for tier in ("gpu", "cpu", "disk")}
        self.load_count, self.load_ms_sum = 0, 0.0
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="adapter-loader")
        self.stream = torch.cuda.Stream(device=model.device) if self.cuda else None
        self.staging: torch.Tensor | None = None  # pinned bytes of the adapter file being read (CUDA)
        disk_dir.mkdir(parents=True, exist_ok=True)

    # Registration

    def register(self, adapter_id: str, fetch: Callable[[Path], None]) -> None:
        check_adapter_id(adapter_id)
        with self.lock:
            self.fetchers[adapter_id] = fetch
            self.failed.pop(adapter_id, None)

    def is_registered(self, adapter_id: str) -> bool:
        with self.lock:
            return adapter_id in self.fetchers

    def evict(self, adapter_id: str) -> None:
        """Forgets the id in every tier; running requests using its slot finish first."""
        with self.lock:
            self.fetchers.pop(adapter_id, None)
            self.cpu.pop(adapter_id, None)
            self.failed.pop(adapter_id, None)
            slot = self.gpu.pop(adapter_id, None)
            if slot is not None:
                del self.slot_owner[slot]
                if not self.pins.get(slot):
                    self.free_slots.append(slot)
                    self.lock.notify_all()
            shutil.rmtree(self.disk_dir / adapter_id, ignore_errors=True)

    # What the scheduler calls

    def acquire(self, adapter_id: str, first: bool) -> int | None:
        """Pins and returns the adapter's GPU slot, or starts loading it and returns None.
        Raises UnknownAdapter when unregistered, or the load's error when it failed (out of memory:
        only to requests that waited on that load). `first`: the request's first try (only that one
        counts as a GPU hit; a miss is counted by the load)."""
        with self.lock:
            if adapter_id not in self.fetchers:
                raise UnknownAdapter(adapter_id)
            error = self.failed.get(adapter_id)
            if error is not None:
                if not (first and is_out_of_memory(error)):
                    raise error
                # Memory may be free again: the requests that waited on that load failed with it; a later one loads anew.
                del self.failed[adapter_id]
            slot = self.gpu.get(adapter_id)
            if slot is not None:
                self.gpu.move_to_end(adapter_id)
                self.pins[slot] = self.pins.get(slot, 0) + 1
                if first:
                    self.counters["gpu"][0] += 1
                return slot
        self.load(adapter_id)
        return None

    def release(self, slot: int) -> None:
        with self.lock:
            self.pins[slot] -= 1
            if self.pins[slot] == 0 and slot not in self.slot_owner:
                self.free_slots.append(slot)  # its adapter was evicted while in use
            self.lock.notify_all()

    def load(self, adapter_id: str) -> Future[LoadInfo]:
        """Starts (or joins) loading an adapter toward the GPU tier."""
        with self.lock:
            if adapter_id not in self.fetchers:
                raise UnknownAdapter(adapter_id)
            if adapter_id in self.loads:
                return self.loads[adapter_id]
            if adapter_id in self.gpu:
                self.counters["gpu"][0] += 1
                self.gpu.move_to_end(adapter_id)
                done: Future[LoadInfo] = Future()
                done.set_result(LoadInfo("gpu", 0.0))
                return done
            self.counters["gpu"][1] += 1
            future = self.executor.submit(self._load, adapter_id)
            self.loads[adapter_id] = future
            return future

    def tiers(self) -> dict[str, list[str]]:
        with self.lock:
            disk = sorted(p.name for p in self.disk_dir.iterdir() if p.name in self.fetchers and (p / WEIGHTS_FILE).is_file())
            return {"gpu": list(self.gpu), "cpu": list(self.cpu), "disk": disk}

    def counts(self) -> dict[str, TierCounters]:
        with self.lock:
            return {tier: TierCounters(h, m) for tier, (h, m) in self.counters.items()}

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    # The loader thread

    def _load(self, adapter_id: str) -> LoadInfo:
        start = time.perf_counter()
        try:
            host, tier, staged = self._host_copy(adapter_id)
            slot = self._claim_slot(adapter_id)
            try:
                self._copy_to_slot(slot, host, staged)
            except BaseException:
                self._free(slot)  # half written: nothing reads it until the next load overwrites it
                raise
            with self.lock:
                if adapter_id not in self.fetchers:  # evicted while it loaded
                    self._free(slot)
                    raise UnknownAdapter(adapter_id)
                self.slot_owner[slot] = adapter_id
                self.gpu[adapter_id] = slot
                self.failed.pop(adapter_id, None)
                ms = (time.perf_counter() - start) * 1000
                self.load_count += 1
                self.load_ms_sum += ms
            return LoadInfo(tier, ms)
        except BaseException as error:
            with self.lock:
                if adapter_id in self.fetchers:
                    self.failed[adapter_id] = error
            raise
        finally:
            with self.lock:
                self.loads.pop(adapter_id, None)
            self.on_loaded()

    def _copy_to_slot(self, slot: int, host: HostAdapter, staged: torch.Tensor | None) -> None:
        """`staged`: the adapter's flat buffer already on the GPU (loads from disk), else None."""
        if not self.cuda:
            self.model.load_slot(slot, host.views(host.flat))
            return
        # The slot's previous adapter may still be read by work queued on the main stream.
        self.stream.wait_stream(torch.cuda.current_stream(self.model.device))
        with torch.cuda.stream(self.stream):
            if staged is None:
                staged = host.flat.to(self.model.device, non_blocking=True)
            self.model.load_slot(slot, host.views(staged))
        self.stream.synchronize()

    def _read(self, adapter: AdapterFile) -> tuple[HostAdapter, torch.Tensor | None]:
        """The adapter's CPU-tier copy, and on CUDA its flat buffer on the GPU as well. On CUDA the
        file's bytes go to the GPU as they are (one read into reused pinned memory, one copy), the
        GPU converts them (dtype, scaling, layout), and the CPU tier gets a copy of the result."""
        if not self.cuda:
            raw = adapter.read(torch.empty(adapter.data_size, dtype=torch.uint8))
            return HostAdapter(adapter.convert(raw, self.model.dtype), adapter.layout), None
        self.stream.synchronize()  # the last load's copy out of the staging buffer is done
        if self.staging is None or self.staging.numel() < adapter.data_size:
            self.staging = torch.empty(adapter.data_size, dtype=torch.uint8, pin_memory=True)
        raw = adapter.read(self.staging)
        with torch.cuda.stream(self.stream):
            staged = adapter.convert(raw.to(self.model.device, non_blocking=True), self.model.dtype)
            host = HostAdapter(torch.empty(staged.numel(), dtype=self.model.dtype, pin_memory=True), adapter.layout)
            host.flat.copy_(staged, non_blocking=True)
        return host, staged

    def _free(self, slot: int) -> None:
        with self.lock:
            self.free_slots.append(slot)
            self.lock.notify_all()

    def _host_copy(self, adapter_id: str) -> tuple[HostAdapter, str, torch.Tensor | None]:
        """The adapter in CPU memory, the tier it came from, and its GPU copy when it was read now (see _read)."""
        with self.lock:
            host = self.cpu.get(adapter_id)
            if host is not None:
                self.cpu.move_to_end(adapter_id)
                self.counters["cpu"][0] += 1
                return host, "cpu", None
            self.counters["cpu"][1] += 1
            fetch = self.fetchers[adapter_id]
        folder = self.disk_dir / adapter_id
        tier = "disk"
        if (folder / CONFIG_FILE).is_file() and (folder / WEIGHTS_FILE).is_file():
            with self.lock:
                self.counters["disk"][0] += 1
        else:
            with self.lock:
                self.counters["disk"][1] += 1
            tier = "fetch"
            partial = self.disk_dir / f".{adapter_id}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            fetch(partial)
            shutil.rmtree(folder, ignore_errors=True)
            partial.rename(folder)
        try:
            host, staged = self._read(read_adapter(folder, self.model.shape, self.model.max_rank, self.base_model))
        except AdapterError:
            shutil.rmtree(folder, ignore_errors=True)  # so a corrected registration fetches again
            raise
        with self.lock:
            if adapter_id not in self.fetchers:
                raise UnknownAdapter(adapter_id)
            self.cpu[adapter_id] = host
            while len(self.cpu) > self.cpu_slots:
                self.cpu.popitem(last=False)
        return host, tier, staged

    def _claim_slot(self, adapter_id: str) -> int:
        """A free slot, else the least recently used one no running request pins; waits for one."""
        with self.lock:
            while True:
                if adapter_id not in self.fetchers:
                    raise UnknownAdapter(adapter_id)
                if self.free_slots:
                    return self.free_slots.pop()
                for victim, slot in self.gpu.items():
                    if not self.pins.get(slot):
                        del self.gpu[victim]
                        del self.slot_owner[slot]
                        return slot
                self.lock.wait(timeout=0.5)
