"""Command line entry point of the GPU worker (`tributary-worker`, or `python -m tributary_worker`).

Checks the settings (server URL, worker token, models, device), then runs the agent loop until
SIGTERM/SIGINT (or after one job with --once). With --serve it first starts the serving engine
and its HTTP server (serve/server.py), which stop after the agent.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from tributary_worker import __version__
from tributary_worker.device import DeviceChoice

URL_ENV = "TRIBUTARY_URL"
TOKEN_ENV = "TRIBUTARY_WORKER_TOKEN"
URL_EXAMPLE = "https://tributary.example.com"

EXIT_UNAUTHORIZED = 3
"""The server refused the token: restarting will not help until the token is fixed."""
EXIT_REFUSED = 4
"""The server refused a protocol call in a way the worker cannot recover from (e.g. a 400)."""


@dataclass(frozen=True)
class ServeArgs:
    """Settings of the serving HTTP server and engine (--serve); see SERVING.md."""

    host: str = "127.0.0.1"
    """Interface to listen on (0.0.0.0: every interface)."""

    port: int = 8100
    """TCP port to listen on; 0 picks a free one."""

    url: str | None = None
    """Base URL the control plane's gateway reaches this worker at (default: http://127.0.0.1:<port>)."""

    model: str = "tiny-llama"
    """Catalog id of the one base model the engine loads."""

    max_batch_size: int = 32
    """Requests decoded together in one forward pass."""

    gpu_adapter_slots: int = 8
    """Adapters held on the GPU at once."""

    cpu_adapter_slots: int = 64
    """Adapters held in pinned CPU memory at once."""


@dataclass(frozen=True)
class WorkerArgs:
    """Validated command line settings of one worker process."""

    url: str
    """Base URL of the Tributary web server; the worker protocol lives under `/api/worker/v1`."""

    token: str
    """Worker token issued by that server, sent with every worker protocol request."""

    name: str = ""
    """Worker name shown on the server (default: this machine's host name)."""

    models: tuple[str, ...] = ()
    """Hugging Face ids offered besides tiny-llama and mirrored models (loaded through the Hub)."""

    model_dir: Path | None = None
    """Mirror folder with models saved as `<dir>/<org>/<name>`."""

    work_dir: Path | None = None
    """Scratch folder for job files (default: <cache>/work)."""

    device: DeviceChoice = "auto"
    """auto (CUDA if present, else Apple MPS, else CPU), cpu or cuda."""

    once: bool = False
    """Exit after one job."""

    serve: ServeArgs | None = None
    """Serve completions over HTTP too (--serve); None: jobs only."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tributary-worker",
        description="Tributary GPU worker: pulls fine-tune and generate jobs from a Tributary server.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--url", metavar="URL", help=f"base URL of the Tributary server, e.g. {URL_EXAMPLE} (default: ${URL_ENV})")
    parser.add_argument(
        "--token",
        metavar="TOKEN",
        help=(
            f"worker token issued by the Tributary server (default: ${TOKEN_ENV}; prefer the "
            "variable, since command lines are visible to other users of the machine)"
        ),
    )
    parser.add_argument("--name", metavar="NAME", help="worker name shown on the server (default: the host name)")
    parser.add_argument(
        "--models",
        metavar="IDS",
        help="comma-separated Hugging Face ids to offer besides tiny-llama and mirrored models, "
        "e.g. Qwen/Qwen2.5-0.5B-Instruct (loaded from the Hub or its cache; HF_HUB_OFFLINE=1 keeps it offline)",
    )
    parser.add_argument("--model-dir", metavar="DIR", help="mirror folder holding saved models as DIR/<org>/<name>")
    parser.add_argument("--work-dir", metavar="DIR", help="scratch folder for job files (default: <cache>/work)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="where to train (default: auto)")
    parser.add_argument("--once", action="store_true", help="exit after one job")
    serve = parser.add_argument_group("serving (see SERVING.md)")
    serve.add_argument("--serve", action="store_true", help="also serve OpenAI-compatible completions of one base model and its adapters over HTTP")
    serve.add_argument("--serve-host", metavar="HOST", help=f"interface to listen on (default: {ServeArgs.host}; 0.0.0.0 for every interface)")
    serve.add_argument("--serve-port", metavar="PORT", type=int, help=f"port to listen on (default: {ServeArgs.port}; 0 picks a free one)")
    serve.add_argument("--serve-url", metavar="URL", help="base URL the Tributary server reaches this worker at (default: http://127.0.0.1:<port>)")
    serve.add_argument("--serve-model", metavar="ID", help=f"catalog id of the base model to serve (default: {ServeArgs.model})")
    serve.add_argument("--max-batch-size", metavar="N", type=int, help=f"requests decoded together (default: {ServeArgs.max_batch_size})")
    serve.add_argument("--gpu-adapter-slots", metavar="N", type=int, help=f"adapters held on the GPU at once (default: {ServeArgs.gpu_adapter_slots})")
    serve.add_argument("--cpu-adapter-slots", metavar="N", type=int, help=f"adapters held in pinned CPU memory (default: {ServeArgs.cpu_adapter_slots})")
    return parser


_SERVE_OPTIONS = {
    "serve_host": "--serve-host", "serve_port": "--serve-port", "serve_url": "--serve-url", "serve_model": "--serve-model",
    "max_batch_size": "--max-batch-size", "gpu_adapter_slots": "--gpu-adapter-slots", "cpu_adapter_slots": "--cpu-adapter-slots",
}


def _serve_args(parser: argparse.ArgumentParser, ns: argparse.Namespace) -> ServeArgs | None:
    """The --serve settings, checked against the limits of the protocol's `Serving` message."""
    from tributary_worker.models.resolver import ModelNotAvailable, check_model_id

    if not ns.serve:
        given = [flag for attr, flag in _SERVE_OPTIONS.items() if getattr(ns, attr) is not None]
        if given:
            parser.error(f"{given[0]} only applies to a serving worker: add --serve")
        return None
    values = {attr: getattr(ns, attr) for attr in _SERVE_OPTIONS if getattr(ns, attr) is not None}
    limits = {"serve_port": (0, 65535), "max_batch_size": (1, 4096), "gpu_adapter_slots": (1, 100_000), "cpu_adapter_slots": (1, 1_000_000)}
    for attr, (low, high) in limits.items():
        if attr in values and not low <= values[attr] <= high:
            parser.error(f"{_SERVE_OPTIONS[attr]} {values[attr]} is out of range: use {low} to {high}")
    args = ServeArgs(
        host=values.get("serve_host", ServeArgs.host), port=values.get("serve_port", ServeArgs.port), url=values.get("serve_url"),
        model=values.get("serve_model", ServeArgs.model), max_batch_size=values.get("max_batch_size", ServeArgs.max_batch_size),
        gpu_adapter_slots=values.get("gpu_adapter_slots", ServeArgs.gpu_adapter_slots),
        cpu_adapter_slots=values.get("cpu_adapter_slots", ServeArgs.cpu_adapter_slots),
    )
    if args.cpu_adapter_slots < args.gpu_adapter_slots:
        parser.error(
            f"--cpu-adapter-slots {args.cpu_adapter_slots} is below --gpu-adapter-slots {args.gpu_adapter_slots}: "
            "every GPU adapter also keeps a pinned CPU copy"
        )
    if args.url is not None and (problem := _url_problem(args.url)) is not None:
        parser.error(f"--serve-url {args.url!r} {problem}: give the URL the Tributary server reaches this worker at, e.g. http://10.0.0.5:{args.port}")
    try:
        check_model_id(args.model)
    except ModelNotAvailable as err:
        parser.error(f"--serve-model: {err}")
    return args


def _url_problem(url: str) -> str | None:
    """Says what is wrong with `url` as a server base URL, or None when it is usable."""
    try:
        parts = urlsplit(url)
        parts.port  # reading .port is what checks it: a bad port raises ValueError
    except ValueError as err:
        return f"cannot be parsed ({err})"
    if parts.scheme not in ("http", "https"):
        found = f"scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        return f"must start with http:// or https:// (found {found})"
    if not parts.hostname:
        return "has no host name"
    return None


def parse_args(argv: Sequence[str] | None = None) -> WorkerArgs:
    """Parses and validates the command line, falling back to the environment.

    Exits with status 2 and a message naming the argument (or variable) on bad input.
    """
    from tributary_worker.models.resolver import ModelNotAvailable, parse_models_arg

    parser = build_parser()
    ns = parser.parse_args(argv)

    # An empty variable counts as unset, as it does for most shells' `${VAR:-default}`.
    url, url_source = (ns.url, "--url") if ns.url is not None else (os.environ.get(URL_ENV) or None, URL_ENV)
    if url is None:
        parser.error(
            f"--url is required: pass the Tributary server's base URL, e.g. --url {URL_EXAMPLE}, "
            f"or set {URL_ENV}"
        )
    problem = _url_problem(url)
    if problem is not None:
        parser.error(
            f"{url_source} {url!r} {problem}: give the Tributary server's base URL, e.g. {URL_EXAMPLE}"
        )

    token, token_source = (
        (ns.token, "--token") if ns.token is not None else (os.environ.get(TOKEN_ENV) or None, TOKEN_ENV)
    )
    if token is None:
        parser.error(
            f"a worker token is required: set {TOKEN_ENV} (or pass --token) to a worker token "
            "issued by your Tributary server"
        )
    if not token.strip():
        parser.error(f"{token_source} is empty: set it to a worker token issued by your Tributary server")

    try:
        models = parse_models_arg(ns.models)
    except ModelNotAvailable as err:
        parser.error(f"--models: {err}")
    model_dir = Path(ns.model_dir) if ns.model_dir else None
    if model_dir is not None and not model_dir.is_dir():
        parser.error(f"--model-dir {ns.model_dir!r} is not a folder: give the folder holding <org>/<name> model folders")
    name = (ns.name or socket.gethostname() or "worker").strip()[:100]

    return WorkerArgs(
        url=url, token=token.strip(), name=name, models=models, model_dir=model_dir,
        work_dir=Path(ns.work_dir) if ns.work_dir else None, device=cast(DeviceChoice, ns.device), once=ns.once,
        serve=_serve_args(parser, ns),
    )


def _quiet_libraries() -> None:
    """Progress bars and advice from transformers/huggingface_hub would flood a worker's log."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    from transformers.utils import logging

    logging.disable_progress_bar()
    logging.set_verbosity_error()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    _quiet_libraries()

    from tributary_worker.agent import Agent, AgentSettings, stderr_log
    from tributary_worker.cache import cache_root
    from tributary_worker.device import DeviceError, pick_device
    from tributary_worker.models.resolver import ModelResolver
    from tributary_worker.protocol import Client, ProtocolError, Unauthorized

    try:
        device = pick_device(args.device)
    except DeviceError as err:
        print(f"tributary-worker: {err}", file=sys.stderr)
        return 2
    resolver = ModelResolver(cache_dir=cache_root(), model_dir=args.model_dir, extra_models=args.models)
    work_dir = args.work_dir or cache_root() / "work"
    client = Client(args.url, args.token)
    serving = None
    try:
        if args.serve is not None:
            from tributary_worker.serve.server import ServingError, start_serving

            try:
                serving = start_serving(args.serve, args.token, resolver, device, work_dir / "serve", stderr_log, client)
            except ServingError as err:
                print(f"tributary-worker: {err}", file=sys.stderr)
                return 2
        settings = AgentSettings(
            name=args.name, work_dir=work_dir, once=args.once, serving=serving.capability() if serving is not None else None,
        )
        agent = Agent(client, resolver, device, settings)
        agent.install_signal_handlers()
        return agent.run()
    except Unauthorized as err:
        print(
            f"tributary-worker: {args.url} refused the worker token ({err.server_message}). Create a worker "
            f"token on the server's Workers page and pass it with {TOKEN_ENV} or --token.",
            file=sys.stderr,
        )
        return EXIT_UNAUTHORIZED
    except ProtocolError as err:
        print(f"tributary-worker: {args.url} refused a request: {err}. Check that server and worker versions match.", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        if serving is not None:
            serving.stop()


if __name__ == "__main__":
    sys.exit(main())
