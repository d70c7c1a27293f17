"""The multi-adapter serving engine: continuous batching over one base model and many LoRA adapters.

A scheduler thread owns the model. Each iteration it drops cancelled requests, admits waiting
requests whose adapter is in a GPU slot (others wait while the adapter store loads theirs in the
background), prefills the admitted prompts in one padded batch, then runs one decode step for
every running request, whatever adapter each one uses. Deltas go back through RequestHandles.
"""

from __future__ import annotations

import asyncio
import queue
import random
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import torch

from tributary_worker.device import Device
from tributary_worker.models.resolver import ModelSource, load_model, load_tokenizer
from tributary_worker.serve.adapters import AdapterStore
from tributary_worker.serve.model import DecodeGraphs, LoraModel, span_bucket
from tributary_worker.serve.sampling import TextStream, add_tokens, sample
from tributary_worker.serve.types import (
    Delta,
    EngineOverloaded,
    EngineStats,
    GenerationRequest,
    LoadInfo,
    PromptTooLong,
    UnknownAdapter,
)

_END = object()  # ends a handle's stream without a final delta (cancel)


class RequestHandle:
    """The caller's side of one request: iterate it (threads) or async-iterate it (asyncio) for
    Deltas; the last one has a finish_reason. Iteration raises AdapterError / UnknownAdapter when
    the request's adapter could not be loaded (or the error that failed its load or forward, e.g.
    torch.OutOfMemoryError), and ends without a final delta after cancel()."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async_queue: asyncio.Queue | None = None
        self.cancelled = False

    def _push(self, item, outbox: dict | None = None) -> None:
        """Hands an item to the consumer. With an `outbox`, items for asyncio consumers are
        collected per event loop and delivered with one call_soon_threadsafe each (see _deliver)."""
        with self._lock:
            if self._loop is None:
                self._queue.put(item)
            elif outbox is not None:
                outbox.setdefault(self._loop, []).append((self._async_queue, item))
            else:
                _deliver({self._loop: [(self._async_queue, item)]})

    @staticmethod
    def _done(item) -> bool:
        if item is _END:
            return True
        if isinstance(item, BaseException):
            raise item
        return False

    def __iter__(self) -> Iterator[Delta]:
        while True:
            item = self._queue.get()
            if self._done(item):
                return
            yield item
            if item.finish_reason is not None:
                return

    def __aiter__(self) -> AsyncIterator[Delta]:
        return self._async_iter()

    async def _async_iter(self) -> AsyncIterator[Delta]:
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._async_queue = asyncio.Queue()
            while not self._queue.empty():
                self._async_queue.put_nowait(self._queue.get())
        while True:
            item = await self._async_queue.get()
            if self._done(item):
                return
            yield item
            if item.finish_reason is not None:
                return

    def cancel(self) -> None:
        """Stops generating; the request's batch slot is freed at the next step."""
        self.cancelled = True
        self._engine._wake()


def _deliver(outbox: dict) -> None:
    """Wakes each consumer event loop once for all the items collected for it."""
    for loop, items in outbox.items():
        try:
            loop.call_soon_threadsafe(lambda items=items: [q.put_nowait(item) for q, item in items])
        except RuntimeError:
            pass  # the consumer's event loop is closed: nobody is listening any more


@dataclass
class _Request:
    request: GenerationRequest
    handle: RequestHandle
    stream: TextStream
    seed: int
    limit: int
    """Tokens to generate at most: max_tokens, capped by what fits max_seq_len."""
    slot: int = 0
    row: int = -1
    tried: bool = False
    done: bool = False
    launched: int = 0
    """Decode steps launched for it (its next input token sits at position prompt_len + launched)."""
    generated: list[int] = field(default_factory=list)

    @property
    def prompt_len(self) -> int:
        return len(self.request.prompt_ids)


@dataclass
class _Step:
    """A launched step whose tokens have not been handed out yet."""

    batch: list[_Request]
    """The requests of its rows, in row order at launch."""
    tokens: torch.Tensor
    """Chosen tokens (B,) on the device."""
    host: torch.Tensor
    """Their copy in (pinned) host memory, valid once `ready` has passed."""
    ready: torch.cuda.Event | None


@dataclass
class _Counters:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    decode_steps: int = 0
    batch_size_sum: int = 0


class Engine:
    """One base model, many adapters, continuous batching; see the module docstring."""

    def __init__(
        self,
        source: ModelSource,
        device: Device,
        *,
        disk_dir: Path,
        max_batch_size: int = 32,
        max_seq_len: int = 2048,
        gpu_adapter_slots: int = 8,
        cpu_adapter_slots: int = 64,
        max_rank: int = 64,
        max_waiting: int = 1024,
        cuda_graphs: bool = True,
        prefill_tokens: int = 8192,
    ):
        self.base_model_id = source.model_id
        self.max_batch_size = max_batch_size
        self.gpu_adapter_slots = gpu_adapter_slots
        self.max_seq_len = max_seq_len
        self.max_waiting = max_waiting
        self.prefill_tokens = max(prefill_tokens, max_seq_len)
        self.tokenizer = load_tokenizer(source)
        hf_model = load_model(source, device.dtype(), device.torch_device)
        self.model = LoraModel(
            hf_model, max_batch_size=max_batch_size, max_seq_len=max_seq_len,
            gpu_adapter_slots=gpu_adapter_slots, max_rank=max_rank,
        )
        eos = hf_model.generation_config.eos_token_id
        eos = eos if isinstance(eos, list) else [eos]
        self.eos_ids = {i for i in [*eos, self.tokenizer.eos_token_id] if i is not None}
        del hf_model
        self.device = self.model.device
        self.graphs = DecodeGraphs(self.model) if cuda_graphs and self.device.type == "cuda" else None
        self.store = AdapterStore(self.model, disk_dir, cpu_adapter_slots, on_loaded=self._wake, base_model=(source.model_id, source.location))
        self._cond = threading.Condition()
        self._dirty = False
        self._stopping = False
        self._waiting: deque[_Request] = deque()
        self._running: list[_Request] = []  # index = KV cache row
        self._inflight: _Step | None = None
        self._counters = _Counters()
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="serve-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
        for req in [*self._waiting, *self._running]:
            req.handle._push(RuntimeError("the serving engine stopped"))
        self._waiting.clear()
        self._running.clear()
        self.store.close()

    # Adapters

    def register_adapter(self, adapter_id: str, fetch: Callable[[Path], None]) -> None:
        self.store.register(adapter_id, fetch)

    def load_adapter(self, adapter_id: str) -> Future[LoadInfo]:
        return self.store.load(adapter_id)

    def evict_adapter(self, adapter_id: str) -> None:
        self.store.evict(adapter_id)
        self._wake()

    # Requests

    def submit(self, request: GenerationRequest) -> RequestHandle:
        prompt, sampling = request.prompt_ids, request.sampling
        if not prompt:
            raise ValueError("the prompt is empty: give at least one token")
        if len(prompt) >= self.max_seq_len:
            raise PromptTooLong(
                f"the prompt has {len(prompt)} tokens; this engine's context (max_seq_len) is {self.max_seq_len} "
                "tokens, prompt and completion together"
            )
        vocab = self.model.shape.vocab
        if min(prompt) < 0 or max(prompt) >= vocab:
            raise ValueError(f"prompt token ids must be in [0, {vocab})")
        if sampling.max_tokens < 1 or sampling.temperature < 0 or not 0 < sampling.top_p <= 1:
            raise ValueError("sampling needs max_tokens >= 1, temperature >= 0 and 0 < top_p <= 1")
        if request.adapter_id is not None and not self.store.is_registered(request.adapter_id):
            raise UnknownAdapter(request.adapter_id)
        handle = RequestHandle(self)
        seed = sampling.seed if sampling.seed is not None else random.getrandbits(62)
        limit = min(sampling.max_tokens, self.max_seq_len - len(prompt))
        req = _Request(request, handle, TextStream(self.tokenizer, sampling.stop), seed, limit)
        with self._cond:
            if len(self._waiting) >= self.max_waiting:
                raise EngineOverloaded(f"{len(self._waiting)} requests are waiting (max_waiting {self.max_waiting})")
            self._waiting.append(req)
            self._counters.requests += 1
            self._counters.prompt_tokens += len(prompt)
            self._dirty = True
            self._cond.notify_all()
        return handle

    def stats(self) -> EngineStats:
        with self._cond:
            c = self._counters
            running, waiting = len(self._running), len(self._waiting)
            counts = (c.requests, c.prompt_tokens, c.completion_tokens, c.decode_steps, c.batch_size_sum)
        return EngineStats(
            running, waiting, self.store.tiers(), *counts, cache=self.store.counts(),
            load_count=self.store.load_count, load_ms_sum=self.store.load_ms_sum,
        )

    def _wake(self) -> None:
        with self._cond:
            self._dirty = True
            self._cond.notify_all()

    # The scheduler thread

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._dirty and not self._needs_step():
                    if self._inflight is None:
                        self._cond.wait()
                    else:
                        break  # hand out the last step's tokens before sleeping
                if self._stopping:
                    return
                self._dirty = False
                new = self._admit()
            if new:
                self._guarded(list(self._running), lambda: self._drain())
                self._guarded(new, lambda: self._prefill(new))
            if self._needs_step():
                self._guarded(list(self._running), self._step)
            else:
                self._guarded(list(self._running), self._drain)

    def _needs_step(self) -> bool:
        """Whether some running request still needs a token that no launched step will produce."""
        return any(not r.done and 1 + r.launched < r.limit for r in self._running)

    def _guarded(self, requests: list[_Request], step: Callable[[], None]) -> None:
        """Runs a step; if it fails (e.g. out of memory), its requests fail and the engine goes on."""
        try:
            step()
        except Exception as error:  # noqa: BLE001 - reported to each request's consumer
            self._inflight = None
            for req in requests:
                if not req.done:
                    req.handle._push(error)
            with self._cond:
                self._finish([r for r in requests if r in self._running])
            for req in requests:
                if req.row < 0 and req.slot and not req.done:
                    req.done = True
                    self.store.release(req.slot)

    def _admit(self) -> list[_Request]:
        """Moves waiting requests whose adapter is in a GPU slot to the batch (called with the lock)."""
        self._finish([r for r in self._running if r.handle.cancelled and not r.done], cancelled=True)
        new: list[_Request] = []
        longest = 0
        for req in list(self._waiting):
            if req.handle.cancelled:
                self._waiting.remove(req)
                req.handle._push(_END)
                continue
            if len(self._running) + len(new) >= self.max_batch_size:
                break
            if new and (len(new) + 1) * max(longest, req.prompt_len) > self.prefill_tokens:
                break
            if req.request.adapter_id is not None:
                try:
                    slot = self.store.acquire(req.request.adapter_id, first=not req.tried)
                except Exception as error:  # noqa: BLE001 - UnknownAdapter / AdapterError / fetch errors go to the consumer
                    self._waiting.remove(req)
                    req.handle._push(error)
                    continue
                req.tried = True
                if slot is None:
                    continue
                req.slot = slot
            self._waiting.remove(req)
            new.append(req)
            longest = max(longest, req.prompt_len)
        return new

    def _prefill(self, new: list[_Request]) -> None:
        width = max(r.prompt_len for r in new)
        ids = torch.zeros(len(new), width, dtype=torch.long)
        for i, req in enumerate(new):
            ids[i, : req.prompt_len] = torch.tensor(req.request.prompt_ids)
        lengths = torch.tensor([r.prompt_len for r in new])
        first_row = len(self._running)
        logits = self.model.prefill(
            ids.to(self.device, non_blocking=True), lengths.to(self.device, non_blocking=True), first_row, self._slots(new)
        )
        for i, req in enumerate(new):
            req.row = first_row + i
        with self._cond:
            self._running.extend(new)
        self._process(self._record(new, self._choose(new, logits, [0] * len(new))))

    def _step(self) -> None:
        """Launches one decode step for every running row, then hands out the previous step's
        tokens while the GPU works. The new step's input tokens come from the previous step on
        the device, so the CPU never waits for a step before launching the next; a request that
        turns out to have ended in the previous step costs one wasted row."""
        batch = list(self._running)
        previous = self._inflight
        if previous is not None:
            where = {id(r): i for i, r in enumerate(previous.batch)}
            ids = previous.tokens[torch.tensor([where[id(r)] for r in batch]).to(self.device, non_blocking=True)]
        else:
            ids = torch.tensor([r.generated[-1] for r in batch]).to(self.device, non_blocking=True)
        positions = [r.prompt_len + r.launched for r in batch]
        span = span_bucket(max(positions) + 1, self.max_seq_len)
        positions = torch.tensor(positions).to(self.device, non_blocking=True)
        slots = self._slots(batch)
        if self.graphs is not None:
            logits = self.graphs.run(ids, positions, slots, span)
        else:
            logits = self.model.decode(ids, positions, slots, span)
        tokens = self._choose(batch, logits, [r.launched + 1 for r in batch])
        live = sum(1 for r in batch if not r.done and 1 + r.launched < r.limit)
        for req in batch:
            req.launched += 1
        self._inflight = self._record(batch, tokens)
        with self._cond:
            self._counters.decode_steps += 1
            self._counters.batch_size_sum += live
        if previous is not None:
            self._process(previous)

    def _drain(self) -> None:
        """Hands out the tokens of the step in flight, if any."""
        step, self._inflight = self._inflight, None
        if step is not None:
            self._process(step)

    def _slots(self, batch: list[_Request]) -> torch.Tensor | None:
        if all(r.slot == 0 for r in batch):
            return None
        return torch.tensor([r.slot for r in batch]).to(self.device, non_blocking=True)

    def _choose(self, batch: list[_Request], logits: torch.Tensor, counters: list[int]) -> torch.Tensor:
        """Next token of each row (B,) on the device; `counters`: index of the token being chosen."""
        params = [r.request.sampling for r in batch]
        if all(p.temperature == 0 for p in params):
            return logits.argmax(dim=-1)
        as_tensor = lambda values, dtype: torch.tensor(values, dtype=dtype).to(self.device, non_blocking=True)  # noqa: E731
        return sample(
            logits, as_tensor([p.temperature for p in params], torch.float32), as_tensor([p.top_p for p in params], torch.float32),
            as_tensor([r.seed for r in batch], torch.long), as_tensor(counters, torch.long),
        )

    def _record(self, batch: list[_Request], tokens: torch.Tensor) -> _Step:
        """Starts copying a step's tokens to the host without waiting for them."""
        if self.device.type != "cuda":
            return _Step(batch, tokens, tokens, None)
        host = torch.empty(tokens.shape, dtype=tokens.dtype, pin_memory=True)
        host.copy_(tokens, non_blocking=True)
        ready = torch.cuda.Event()
        ready.record()
        return _Step(batch, tokens, host, ready)

    def _process(self, step: _Step) -> None:
        """Hands out one step's tokens as deltas, and retires the requests that ended."""
        if step.ready is not None:
            step.ready.synchronize()
        rows = [(req, token) for req, token in zip(step.batch, step.host.tolist()) if not req.done]
        # A row whose request ended in an earlier step was computed in vain: skipped above.
        stops = add_tokens(self.tokenizer, [req.stream for req, _ in rows], [token for _, token in rows])
        finished = []
        outbox: dict = {}
        for (req, token), stopped in zip(rows, stops):
            req.generated.append(token)
            reason = None
            if stopped or (token in self.eos_ids and not req.request.sampling.ignore_eos):
                reason = "stop"
            elif len(req.generated) >= req.limit:
                reason = "length"
            delta = Delta(req.stream.take(final=reason is not None), [token], reason, req.prompt_len, len(req.generated))
            req.handle._push(delta, outbox)
            if reason is not None:
                finished.append(req)
        _deliver(outbox)
        emitted = len(rows)
        with self._cond:
            self._counters.completion_tokens += emitted
            self._finish(finished)

    def _finish(self, done: list[_Request], cancelled: bool = False) -> None:
        """Removes requests from the batch, frees their slots and compacts the KV rows (called with
        the lock). A step in flight keeps its own list of rows; the moves queue up behind it."""
        if not done:
            return
        gone = set(map(id, done))
        if self._waiting:
            self._dirty = True  # rows free up: when the whole batch ends at once, nothing else would admit the waiting
        for req in done:
            req.done = True
            if req.slot:
                self.store.release(req.slot)
            if cancelled:
                req.handle._push(_END)
        self._running = [r for r in self._running if id(r) not in gone]
        for row, req in enumerate(self._running):
            if req.row != row:
                self.model.move_row(req.row, row, req.prompt_len + req.launched)
                req.row = row
