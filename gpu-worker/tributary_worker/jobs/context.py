"""What a running job needs from the agent, and the helpers every job kind shares."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from tributary_worker.device import Device
from tributary_worker.generate import Generator
from tributary_worker.models.resolver import ModelResolver
from tributary_worker.protocol import Backoff, Client, LeasedJob, LeaseLost, ServerUnavailable
from tributary_worker.session import JobSession
from tributary_worker.transfer import upload

Outcome = Literal["completed", "cancelled", "lost", "released"]
"""completed: result sent; cancelled: the server cancelled it; lost: the lease went away;
released: handed back because the worker is shutting down."""


class JobFailure(Exception):
    """The job cannot succeed here; reported with `fail` and the given retryability."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class JobContext:
    client: Client
    job: LeasedJob
    session: JobSession
    resolver: ModelResolver
    device: Device
    generator: Generator
    work_dir: Path
    """Empty folder for this job's files; deleted afterwards."""
    shutdown: threading.Event
    """Set on SIGTERM/SIGINT: stop at the next step boundary, checkpoint, release."""
    log: Callable[[str], None]
    lease_seconds: float
    """How long the server keeps a lease without a heartbeat."""

    def event(self, level: Literal["info", "warn", "error"], message: str) -> None:
        """Adds a line to the job's log on the server; a failure to send it never fails the job."""
        self.log(f"job {self.job.id}: [{level}] {message}")
        try:
            self.client.events(self.job, [{"level": level, "message": message[:2000]}])
        except LeaseLost:
            self.session.lost.set()
        except (ServerUnavailable, OSError) as err:
            self.log(f"job {self.job.id}: could not send the event ({err})")

    def should_stop(self) -> str | None:
        if self.session.lost.is_set():
            return "lease_lost"
        if self.session.cancelled.is_set():
            return "cancel"
        if self.shutdown.is_set():
            return "shutdown"
        return None

    def fetch_base_model(self) -> None:
        """Downloads the job's base model when the server sent its files (a model it hosts that
        this worker does not have); the resolver then loads it from the worker's cache."""
        files = self.job.payload.get("baseModelFiles")
        if files:
            model_id = payload_field(self.job.payload, "baseModel")
            size = sum(f["sizeBytes"] for f in files) / 2**20
            self.event("info", f"base model {model_id}: {len(files)} files ({size:,.0f} MiB) from the server's blob store, unless cached")
            self.resolver.fetch_hosted(model_id, files, self.shutdown)

    def upload_file(self, path: Path, name: str, content_type: str | None) -> dict[str, Any]:
        """Uploads a file under the job's blob prefix; returns the Artifact message."""
        target = self.client.upload_url(self.job, name, content_type)
        size = upload(target.url, path, content_type)
        return {"name": PurePosixPath(name).name, "key": target.key, "sizeBytes": size}


def payload_field(payload: dict[str, Any], *path: str) -> Any:
    """payload[a][b]..., or a non-retryable failure naming the missing field."""
    value: Any = payload
    for i, key in enumerate(path):
        if not isinstance(value, dict) or key not in value:
            raise JobFailure(
                f"the job payload has no {'.'.join(path[: i + 1])}: the server speaks another protocol version "
                "than this worker; update the worker",
                retryable=False,
            )
        value = value[key]
    return value


def retrying(ctx: JobContext, call: Callable[[], Any]) -> Any:
    """Runs a call that closes the job (complete, release) until the server takes it: a result
    computed for an hour must not be lost to one failed request. Gives up after the lease time,
    when the server will have requeued the job anyway."""
    backoff = Backoff(base=1.0, cap=15.0)
    deadline = time.monotonic() + ctx.lease_seconds
    while True:
        try:
            return call()
        except ServerUnavailable as err:
            delay = backoff.next_delay()
            if time.monotonic() + delay > deadline:
                raise
            ctx.log(f"job {ctx.job.id}: {err}; retrying in {delay:.0f} s")
            time.sleep(delay)
