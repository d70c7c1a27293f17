"""Command line entry point of the GPU worker (`tributary-worker`, or `python -m tributary_worker`).

Checks the settings (server URL, worker token, models, device), then runs the agent loop until
SIGTERM/SIGINT (or after one job with --once).
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
    return parser


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

    from tributary_worker.agent import Agent, AgentSettings
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
    settings = AgentSettings(name=args.name, work_dir=args.work_dir or cache_root() / "work", once=args.once)
    agent = Agent(Client(args.url, args.token), resolver, device, settings)
    agent.install_signal_handlers()
    try:
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


if __name__ == "__main__":
    sys.exit(main())
