"""The worker's main loop: register, lease (long poll), run the job while a thread heartbeats,
then complete, fail or release it; again until told to stop.

- The server unreachable or answering 5xx: wait with exponential backoff and jitter, try again.
- 401: the token is wrong or revoked; `Unauthorized` leaves `run` (the CLI exits with a message).
- 409 on a job call: the lease is gone (expired, or the job was reassigned); the job is dropped.
- SIGTERM/SIGINT: a running job stops after its current step, uploads a checkpoint and releases
  its lease; an idle worker stops polling at once. Then `run` returns 0. A second signal quits
  immediately.
"""

from __future__ import annotations

import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tributary_worker import __version__
from tributary_worker.device import Device
from tributary_worker.generate import Generator
from tributary_worker.jobs.context import JobContext, JobFailure, retrying
from tributary_worker.jobs.finetune import run_finetune
from tributary_worker.jobs.generate import run_generate
from tributary_worker.models.resolver import ModelNotAvailable, ModelResolver
from tributary_worker.protocol import Backoff, Client, LeasedJob, LeaseLost, ProtocolError, Registration, ServerUnavailable, Unauthorized
from tributary_worker.session import JobSession
from tributary_worker.train.checkpoint import CheckpointError
from tributary_worker.train.config import ConfigError
from tributary_worker.train.data import DataError
from tributary_worker.train.recipe import TrainingDiverged
from tributary_worker.transfer import TransferError

JOB_KINDS = ["finetune", "generate"]


def stderr_log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}", file=sys.stderr, flush=True)


class _Interrupted(Exception):
    """Raised by the signal handler to leave an idle long poll at once."""


@dataclass(frozen=True)
class AgentSettings:
    name: str
    """Worker name shown on the server's Workers page."""

    work_dir: Path
    """Scratch folder; each job gets `jobs/<job id>` below it, deleted when the job ends."""

    once: bool = False
    """Exit after one job (tests, one-shot runs)."""

    wait_seconds: int = 20
    """Long-poll time of each lease request (the protocol allows up to 25)."""

    serving: dict[str, Any] | None = None
    """`capabilities.serving` ({url, baseModel, maxBatchSize, gpuAdapterSlots}) of a worker
    started with --serve; None for a worker that only runs jobs."""


def failure_of(err: BaseException, device: Device) -> tuple[str, bool]:
    """(message, retryable) for the fail call: retryable only when another attempt may succeed."""
    import torch

    if isinstance(err, (JobFailure, TransferError)):
        return str(err), err.retryable
    if isinstance(err, (DataError, ConfigError, ModelNotAvailable, TrainingDiverged, CheckpointError)):
        return str(err), False
    if isinstance(err, torch.cuda.OutOfMemoryError):
        return (
            f"out of GPU memory on {device.name} ({device.memory_gb} GiB): lower batchSize or maxLength, "
            "or turn on gradientCheckpointing",
            False,
        )
    return f"worker error: {type(err).__name__}: {err}", True


class Agent:
    def __init__(
        self, client: Client, resolver: ModelResolver, device: Device, settings: AgentSettings,
        log: Callable[[str], None] = stderr_log,
    ) -> None:
        self.client = client
        self.resolver = resolver
        self.device = device
        self.settings = settings
        self.log = log
        self.shutdown = threading.Event()
        self.generator = Generator(resolver, device)
        self._idle = False

    def capabilities(self) -> dict[str, Any]:
        capabilities = {
            "device": self.device.kind,
            "gpuName": self.device.name,
            "gpuMemoryGb": self.device.memory_gb,
            "models": self.resolver.available(),
            "kinds": JOB_KINDS,
            "hostedModels": True,  # jobs may bring their base model's files (ModelResolver.fetch_hosted)
        }
        if self.settings.serving is not None:
            capabilities["serving"] = self.settings.serving
        return capabilities

    # ---- signals ---------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT -> graceful stop; a second one quits at once. Main thread only."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if self.shutdown.is_set():
            self.log(f"{name} again: quitting now; a running job's lease will expire and it will be retried")
            raise SystemExit(128 + signum)
        self.shutdown.set()
        if self._idle:
            raise _Interrupted
        self.log(f"{name}: finishing the current step, then checkpointing and releasing the job (again to quit now)")

    # ---- main loop -------------------------------------------------------------------------

    def _register(self) -> Registration | None:
        backoff = Backoff()
        while not self.shutdown.is_set():
            try:
                registration = self.client.register(self.settings.name, __version__, self.capabilities())
            except ServerUnavailable as err:
                delay = backoff.next_delay()
                self.log(f"{err}; retrying in {delay:.0f} s")
                self.shutdown.wait(delay)
                continue
            models = ", ".join(self.capabilities()["models"])
            serving = self.settings.serving
            serves = f"; serving {serving['baseModel']} at {serving['url']}" if serving else ""
            self.log(f"registered as {self.settings.name} ({registration.worker_id}) on {self.device.kind}; models: {models}{serves}")
            return registration
        return None

    def run(self) -> int:
        """Serves jobs until shutdown (or one job with `once`); returns the exit code."""
        try:
            registration = self._register()
            backoff = Backoff()
            while registration is not None and not self.shutdown.is_set():
                try:
                    self._idle = True
                    job = self.client.lease(registration.worker_id, self.settings.wait_seconds)
                    self._idle = False
                except ServerUnavailable as err:
                    self._idle = False
                    delay = backoff.next_delay()
                    self.log(f"{err}; retrying in {delay:.0f} s")
                    self.shutdown.wait(delay)
                    continue
                except ProtocolError as err:
                    self._idle = False
                    if err.code != "not_found":
                        raise
                    self.log("the server does not know this worker any more; registering again")
                    registration = self._register()
                    continue
                backoff.reset()
                if job is None:
                    continue
                self._run_job(job, registration)
                if self.settings.once:
                    break
        except _Interrupted:
            self._idle = False
        self.log("stopped")
        return 0

    def _run_job(self, job: LeasedJob, registration: Registration) -> None:
        self.log(f"job {job.id}: {job.kind}, attempt {job.attempt}")
        job_dir = self.settings.work_dir / "jobs" / job.id
        shutil.rmtree(job_dir, ignore_errors=True)
        job_dir.mkdir(parents=True)
        session = JobSession(self.client, job, registration.heartbeat_seconds, self.log)
        ctx = JobContext(
            client=self.client, job=job, session=session, resolver=self.resolver, device=self.device,
            generator=self.generator, work_dir=job_dir, shutdown=self.shutdown, log=self.log,
            lease_seconds=registration.lease_seconds,
        )
        try:
            with session:
                outcome = self._outcome(ctx)
            self.log(f"job {job.id}: {outcome}")
        finally:
            shutil.rmtree(job_dir, ignore_errors=True)

    def _outcome(self, ctx: JobContext) -> str:
        try:
            return run_finetune(ctx) if ctx.job.kind == "finetune" else run_generate(ctx)
        except LeaseLost as err:
            self.log(f"job {ctx.job.id}: lease lost ({err.server_message})")
            return "lost"
        except Unauthorized:
            raise
        except Exception as err:  # noqa: BLE001 (every other error is reported to the server as the job's failure)
            message, retryable = failure_of(err, self.device)
            if retryable:
                self.log(f"job {ctx.job.id}: {traceback.format_exc()}")
            try:
                retrying(ctx, lambda: self.client.fail(ctx.job, message, retryable))
            except LeaseLost:
                return "lost"
            return f"failed ({'retryable' if retryable else 'final'}): {message}"
