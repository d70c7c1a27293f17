"""Command line entry point of the GPU worker (`tributary-worker`).

It checks where the Tributary server is and which worker token to use; the agent loop
(register, lease, train, serve) that runs afterwards arrives with the fine-tune issue.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from tributary_worker import __version__

URL_ENV = "TRIBUTARY_URL"
TOKEN_ENV = "TRIBUTARY_WORKER_TOKEN"
URL_EXAMPLE = "https://tributary.example.com"

# Not 0: a supervisor or script must never mistake this stub for a worker that did its job.
EXIT_AGENT_NOT_IMPLEMENTED = 2


@dataclass(frozen=True)
class WorkerArgs:
    """Validated command line settings of one worker process."""

    url: str
    """Base URL of the Tributary web server; the worker protocol lives under `/api/worker/v1`."""

    token: str
    """Worker token issued by that server, sent with every worker protocol request."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tributary-worker",
        description="Tributary GPU worker: pulls fine-tune and serving work from a Tributary server.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--url",
        metavar="URL",
        help=f"base URL of the Tributary server, e.g. {URL_EXAMPLE} (default: ${URL_ENV})",
    )
    parser.add_argument(
        "--token",
        metavar="TOKEN",
        help=(
            f"worker token issued by the Tributary server (default: ${TOKEN_ENV}; prefer the "
            "variable, since command lines are visible to other users of the machine)"
        ),
    )
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

    return WorkerArgs(url=url, token=token.strip())


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"tributary-worker {__version__}: arguments OK (server {args.url}, token set).\n"
        "The agent loop (register, lease, train, serve) is not implemented yet: it arrives with "
        f"the fine-tune issue. Exiting with code {EXIT_AGENT_NOT_IMPLEMENTED}.",
        file=sys.stderr,
    )
    return EXIT_AGENT_NOT_IMPLEMENTED


if __name__ == "__main__":
    sys.exit(main())
