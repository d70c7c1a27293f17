"""The serving worker's HTTP server (SERVING.md): OpenAI completions and chat completions on top
of the engine, adapter preload/evict for the control plane, /health and /metrics.

It runs its own asyncio loop on a thread, beside the job agent that keeps the main thread; the
engine does the GPU work on its own thread, so nothing here blocks on a forward pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import threading
import traceback
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web

from tributary_worker.device import Device
from tributary_worker.models.resolver import ModelNotAvailable, ModelResolver, ModelSource
from tributary_worker.protocol import Client, ProtocolError, ServerUnavailable, Unauthorized
from tributary_worker.serve.auth import AuthError, signing_key, verify
from tributary_worker.serve.downloads import ADAPTER_FILES, AdapterFile, AdapterFilesError, fetch_adapter
from tributary_worker.serve.openai_api import (
    ADAPTER_ID, SSE_DONE, Answer, ApiError, Kind, bad_field, decode_body, fit_max_tokens, parse_request,
    prompt_token_ids, sse,
)
from tributary_worker.serve.types import (
    AdapterError, Delta, EngineOverloaded, EngineStats, GenerationRequest, PromptTooLong, SamplingParams, TierCounters,
    UnknownAdapter, UnsupportedModel, is_out_of_memory,
)

if TYPE_CHECKING:
    from tributary_worker.cli import ServeArgs

MAX_BODY_BYTES = 8 << 20
"""Largest request body (a long chat is well under this)."""

RETRY_AFTER_SECONDS = 1
"""Retry-After of a 503 when the engine's waiting queue is full."""

TIERS = ("gpu", "cpu", "disk")


def error_of(err: BaseException) -> ApiError:
    """The OpenAI error answer for an exception out of the engine or the adapter download."""
    if isinstance(err, ApiError):
        return err
    if isinstance(err, UnknownAdapter):
        return ApiError(
            404, f"adapter '{err}' is not loaded on this worker: send PUT /adapters/{{id}} with its files, then retry",
            code="adapter_not_loaded", param="model",
        )
    if isinstance(err, AdapterFilesError):
        return ApiError(422, f"the adapter's files were refused: {err}", code="adapter_files_invalid")
    if isinstance(err, AdapterError):
        return ApiError(422, f"the engine refused the adapter: {err}", code="adapter_invalid")
    if isinstance(err, PromptTooLong):  # server checks first (fit_max_tokens); this is the engine's own guard
        return ApiError(400, f"prompt: {err}", param="prompt", code="context_length_exceeded")
    if isinstance(err, EngineOverloaded):
        return ApiError(
            503, f"the worker's waiting queue is full ({err}); retry after {RETRY_AFTER_SECONDS} s or on another worker",
            type="server_error", code="overloaded", headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if is_out_of_memory(err):
        return ApiError(503, "the worker ran out of GPU memory for this request; retry it, or on another worker", type="server_error", code="out_of_memory")
    return ApiError(500, f"worker error: {type(err).__name__}: {err}", type="server_error", code="internal_error")


def error_response(err: ApiError) -> web.Response:
    return web.json_response(err.body(), status=err.status, headers=err.headers)


class ServingServer:
    """One HTTP listener for one engine. `start()` returns once the port is bound."""

    def __init__(
        self, engine: Any, token: str, *, host: str = "127.0.0.1", port: int = 0, context: int,
        log: Callable[[str], None], shutdown_grace_seconds: float = 10.0,
    ) -> None:
        self.engine = engine
        self.host = host
        self.port = port
        self.context = context
        """Longest sequence (prompt + answer) the engine holds, in tokens."""
        self.log = log
        self._key = signing_key(token)
        self._grace = shutdown_grace_seconds
        self._http_counts: Counter[tuple[str, int]] = Counter()
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._start_error: BaseException | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[self._errors_and_counts])
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_put("/adapters/{id}", self._put_adapter)
        app.router.add_delete("/adapters/{id}", self._delete_adapter)
        app.router.add_post("/v1/completions", functools.partial(self._complete, kind="completion"))
        app.router.add_post("/v1/chat/completions", functools.partial(self._complete, kind="chat"))
        return app

    def start(self) -> ServingServer:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="serve-http", daemon=True)
        self._thread.start()
        ready.wait()
        if self._start_error is not None:
            raise self._start_error
        return self

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        # handler_cancellation: a client that hangs up cancels its handler, which cancels its request.
        self._runner = web.AppRunner(self.app(), access_log=None, handler_cancellation=True, shutdown_timeout=self._grace)
        try:
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, self.host, self.port)
            loop.run_until_complete(site.start())
            self.port = self._runner.addresses[0][1]  # port 0 asks the OS for a free one
        except BaseException as err:  # noqa: BLE001 (handed to start(), which raises it in the caller's thread)
            self._start_error = err
            loop.close()
            ready.set()
            return
        self._loop = loop
        ready.set()
        loop.run_forever()
        # Stops listening, then lets running requests finish for up to the grace time.
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    def stop(self) -> None:
        """Stops accepting connections and waits (up to the grace time) for running requests."""
        self._stopping.set()
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    # ---- plumbing ----------------------------------------------------------------------------

    @web.middleware
    async def _errors_and_counts(self, request: web.Request, handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        endpoint = resource.canonical if resource is not None else "other"
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except ApiError as err:
            status = err.status
            return error_response(err)
        except web.HTTPException as err:  # unknown path, wrong method, body too large
            status = err.status
            message = {
                404: f"no endpoint {request.path}", 405: f"{request.method} is not allowed on {request.path}",
                413: f"the request body is over the limit of {MAX_BODY_BYTES} bytes",
            }.get(err.status, err.text or err.reason)
            return error_response(ApiError(err.status, message, code=err.reason.lower().replace(" ", "_")))
        except (asyncio.CancelledError, ConnectionResetError):
            status = 499  # the client hung up (nginx's convention)
            raise
        except Exception as err:  # noqa: BLE001 (engine refusals map to their status; anything else is a logged 500)
            api_error = error_of(err)
            if api_error.status == 500:
                self.log(f"serve: {request.method} {request.path}: {traceback.format_exc()}")
            status = api_error.status
            return error_response(api_error)
        finally:
            self._http_counts[(endpoint, status)] += 1

    async def _signed_body(self, request: web.Request) -> bytes:
        body = await request.read()
        try:
            verify(self._key, request.headers.get("Authorization"), request.method, request.rel_url.raw_path, body)
        except AuthError as err:
            raise ApiError(401, str(err), type="authentication_error", code="invalid_signature") from None
        return body

    # ---- endpoints ---------------------------------------------------------------------------

    async def _health(self, request: web.Request) -> web.Response:
        stats: EngineStats = self.engine.stats()
        return web.json_response({
            "status": "ok", "baseModel": self.engine.base_model_id, "running": stats.running, "waiting": stats.waiting,
            "adapters": {tier: sorted(stats.adapters.get(tier, [])) for tier in TIERS},
        })

    async def _metrics(self, request: web.Request) -> web.Response:
        text = metrics_text(self.engine.stats(), self._http_counts)
        return web.Response(text=text, content_type="text/plain", charset="utf-8", headers={"X-Content-Type-Options": "nosniff"})

    def _adapter_id(self, request: web.Request) -> str:
        adapter_id = request.match_info["id"]
        if not ADAPTER_ID.match(adapter_id):
            raise bad_field("id", f"adapter ids are 1 to 200 letters, digits, '.', '_' or '-'; got {adapter_id!r}")
        return adapter_id

    async def _put_adapter(self, request: web.Request) -> web.Response:
        body = await self._signed_body(request)
        adapter_id = self._adapter_id(request)
        files = adapter_files(decode_body(body))
        self.engine.register_adapter(adapter_id, functools.partial(fetch_adapter, files, stop=self._stopping))
        try:
            info = await asyncio.wrap_future(self.engine.load_adapter(adapter_id))
        except (AdapterFilesError, AdapterError) as err:
            # Forget it: a completion naming it gets adapter_not_loaded, not the same failure again.
            with contextlib.suppress(UnknownAdapter):
                self.engine.evict_adapter(adapter_id)
            raise error_of(err) from None
        self.log(f"serve: adapter {adapter_id} loaded from {info.tier} in {info.ms:.1f} ms")
        return web.json_response({"id": adapter_id, "tier": info.tier, "loadMs": round(info.ms, 3)})

    async def _delete_adapter(self, request: web.Request) -> web.Response:
        await self._signed_body(request)
        adapter_id = self._adapter_id(request)
        try:
            self.engine.evict_adapter(adapter_id)
        except UnknownAdapter:
            return web.json_response({"id": adapter_id, "evicted": False})
        return web.json_response({"id": adapter_id, "evicted": True})

    async def _complete(self, request: web.Request, kind: Kind) -> web.StreamResponse:
        parsed = parse_request(kind, await self._signed_body(request))
        prompt_ids = prompt_token_ids(self.engine.tokenizer, parsed)
        sampling = SamplingParams(
            max_tokens=fit_max_tokens(parsed, len(prompt_ids), self.context), temperature=parsed.temperature,
            top_p=parsed.top_p, stop=parsed.stop, seed=parsed.seed,
        )
        # UnknownAdapter / EngineOverloaded (here or before the first token) become 404 / 503 in the middleware.
        handle = self.engine.submit(GenerationRequest(prompt_ids=prompt_ids, adapter_id=parsed.adapter_id, sampling=sampling))
        answer = Answer.of(parsed)
        deltas = aiter(handle)
        finished = False
        try:
            # The first delta before any byte is sent: a failure up to the first token is a plain
            # HTTP error, which the gateway may retry on another worker.
            first = await anext(deltas)
            if parsed.stream:
                response = await self._stream(request, answer, first, deltas)
            else:
                response = await self._whole(answer, first, deltas)
            finished = True
            return response
        finally:
            if not finished:
                handle.cancel()

    async def _whole(self, answer: Answer, first: Delta, deltas: AsyncIterator[Delta]) -> web.Response:
        texts, last = [first.text], first
        async for delta in deltas:
            texts.append(delta.text)
            last = delta
        return web.json_response(answer.whole("".join(texts), last.finish_reason or "stop", last.prompt_tokens, last.completion_tokens))

    async def _stream(self, request: web.Request, answer: Answer, first: Delta, deltas: AsyncIterator[Delta]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        last = first
        try:
            await self._send_delta(response, answer, first, first=True)
            async for delta in deltas:
                await self._send_delta(response, answer, delta, first=False)
                last = delta
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception as err:  # noqa: BLE001 (after the first token the status is sent: the error travels in the stream)
            self.log(f"serve: stream failed after the first token: {traceback.format_exc()}")
            await response.write(sse(error_of(err).body()))
            await response.write_eof()
            return response
        if answer.include_usage:
            await response.write(sse(answer.usage_chunk(last.prompt_tokens, last.completion_tokens)))
        await response.write(SSE_DONE)
        await response.write_eof()
        return response

    @staticmethod
    async def _send_delta(response: web.StreamResponse, answer: Answer, delta: Delta, *, first: bool) -> None:
        if delta.text or (first and answer.kind == "chat"):
            await response.write(sse(answer.chunk(delta.text, None, first=first)))
        if delta.finish_reason is not None:
            await response.write(sse(answer.chunk("", delta.finish_reason)))


def adapter_files(body: dict[str, Any]) -> tuple[AdapterFile, ...]:
    """The `files` of a PUT /adapters/{id} body: [{name, url}] with http(s) URLs."""
    files = body.get("files")
    if set(body) - {"files"}:
        raise bad_field(sorted(set(body) - {"files"})[0], "unrecognized field; the body is {\"files\": [{\"name\", \"url\"}]}")
    if not isinstance(files, list) or not files:
        raise bad_field("files", "must be a non-empty array of {name, url} objects")
    out = []
    for i, file in enumerate(files):
        if not isinstance(file, dict) or set(file) != {"name", "url"}:
            raise bad_field(f"files[{i}]", "must be an object with exactly name and url")
        if file["name"] not in ADAPTER_FILES:
            raise bad_field(f"files[{i}].name", f"must be one of {', '.join(ADAPTER_FILES)}; got {file['name']!r}")
        url = file["url"]
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise bad_field(f"files[{i}].url", "must be an http(s) URL")
        out.append(AdapterFile(file["name"], url))
    return tuple(out)


# ---- the serving worker -----------------------------------------------------------------------

class ServingError(Exception):
    """The serving side cannot start (model not available, port taken); the message says what to do."""


@dataclass
class Serving:
    """The engine and its HTTP server in a worker started with --serve."""

    engine: Any
    server: ServingServer
    url: str
    """What the control plane is told to call (--serve-url, or the bound address)."""

    def capability(self) -> dict[str, Any]:
        """`capabilities.serving` of the register call (protocol.schema.json, Serving)."""
        return {
            "url": self.url, "baseModel": self.engine.base_model_id, "maxBatchSize": self.engine.max_batch_size,
            "gpuAdapterSlots": self.engine.gpu_adapter_slots,
        }

    def stop(self) -> None:
        """Running requests finish (up to the server's grace time), then the engine stops."""
        self.server.stop()
        self.engine.stop()


def _base_model(model_id: str, resolver: ModelResolver, client: Client, log: Callable[[str], None]) -> ModelSource:
    """The base model from the worker's own sources, else downloaded (once, into the cache) from
    the control plane that hosts it. Raises ServingError saying what to do; Unauthorized as it is."""
    from tributary_worker.transfer import TransferError

    try:
        return resolver.resolve(model_id)
    except ModelNotAvailable as own:
        missing = own
    try:
        files = client.hosted_model_files(model_id)
    except Unauthorized:
        raise
    except ProtocolError as err:
        if err.status == 404:
            raise ServingError(f"--serve-model: {missing}") from None
        raise ServingError(f"--serve-model {model_id}: the server refused to list the hosted model's files: {err}") from None
    except ServerUnavailable as err:
        raise ServingError(f"--serve-model: {missing}; the server, which may host it, is unreachable: {err}") from None
    size = sum(f["sizeBytes"] for f in files)
    log(f"getting the hosted base model {model_id} ({len(files)} files, {size / 2**20:,.1f} MiB) from the server, unless the cache holds them")
    try:
        resolver.fetch_hosted(model_id, files)
    except (ModelNotAvailable, TransferError) as err:
        raise ServingError(f"--serve-model {model_id}: {err}") from None
    return resolver.resolve(model_id)


def start_serving(
    args: ServeArgs, token: str, resolver: ModelResolver, device: Device, folder: Path, log: Callable[[str], None], client: Client,
) -> Serving:
    """Loads the base model into an engine, starts it and the HTTP server; `folder` holds the
    adapters' disk tier. A base model the worker lacks is fetched from the server if it hosts it."""
    from tributary_worker.serve.engine import Engine

    source = _base_model(args.model, resolver, client, log)
    try:
        engine = Engine(
            source, device, disk_dir=folder / "adapters", max_batch_size=args.max_batch_size,
            gpu_adapter_slots=args.gpu_adapter_slots, cpu_adapter_slots=args.cpu_adapter_slots, cuda_graphs=device.kind == "cuda",
        )
    except (ModelNotAvailable, UnsupportedModel) as err:
        raise ServingError(f"--serve-model {args.model}: {err}") from None
    engine.start()
    server = ServingServer(engine, token, host=args.host, port=args.port, context=engine.max_seq_len, log=log)
    try:
        server.start()
    except OSError as err:
        engine.stop()
        raise ServingError(
            f"cannot listen on {args.host}:{args.port} ({err.strerror or err}): pick another --serve-port, or stop what uses it"
        ) from None
    url = args.url or server.url
    log(f"serving {args.model} on {args.host}:{server.port} (the server is told {url})")
    return Serving(engine, server, url)


# ---- /metrics ---------------------------------------------------------------------------------

def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else ""


def metrics_text(stats: EngineStats, http_counts: Counter[tuple[str, int]]) -> str:
    """Prometheus text exposition (format 0.0.4) of one engine snapshot and the HTTP counters."""
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(f"{name}{suffix} {json.dumps(value)}" for suffix, value in samples)

    metric("tributary_serve_running_requests", "gauge", "Requests in the running batch.", [("", stats.running)])
    metric("tributary_serve_waiting_requests", "gauge", "Requests queued, including those waiting for their adapter.", [("", stats.waiting)])
    metric("tributary_serve_adapters", "gauge", "Adapters held per cache tier.",
           [(_labels(tier=t), len(stats.adapters.get(t, []))) for t in TIERS])
    metric("tributary_serve_requests_total", "counter", "Generation requests accepted by the engine.", [("", stats.requests)])
    metric("tributary_serve_prompt_tokens_total", "counter", "Prompt tokens of accepted requests.", [("", stats.prompt_tokens)])
    metric("tributary_serve_completion_tokens_total", "counter", "Tokens generated.", [("", stats.completion_tokens)])
    metric("tributary_serve_decode_batch_size", "summary", "Running requests per decode step (sum over steps; count is the number of steps).",
           [("_sum", stats.batch_size_sum), ("_count", stats.decode_steps)])
    metric("tributary_serve_adapter_cache_hits_total", "counter", "Adapter lookups that found the adapter in the tier.",
           [(_labels(tier=t), stats.cache.get(t, TierCounters()).hits) for t in TIERS])
    metric("tributary_serve_adapter_cache_misses_total", "counter", "Adapter lookups that did not find the adapter in the tier.",
           [(_labels(tier=t), stats.cache.get(t, TierCounters()).misses) for t in TIERS])
    metric("tributary_serve_adapter_load_seconds", "summary", "Wall time of adapter loads toward the GPU that moved data.",
           [("_sum", stats.load_ms_sum / 1000), ("_count", stats.load_count)])
    metric("tributary_serve_http_requests_total", "counter", "HTTP requests answered, by endpoint and status (499: client hung up).",
           [(_labels(endpoint=e, status=str(s)), n) for (e, s), n in sorted(http_counts.items())])
    return "\n".join(lines) + "\n"
