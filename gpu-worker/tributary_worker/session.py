"""One leased job's link to the server while it runs: a background thread heartbeats every
`heartbeatSeconds` with the latest progress, the metric points gathered since the last beat and a
newly uploaded checkpoint, and turns the answers into flags the training loop checks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tributary_worker.protocol import Client, LeasedJob, LeaseLost, ProtocolError, ServerUnavailable, Unauthorized

MAX_METRICS_PER_BEAT = 1000  # HeartbeatRequest.metrics maxItems


class JobSession:
    def __init__(self, client: Client, job: LeasedJob, interval: float, log: Callable[[str], None]) -> None:
        self.client = client
        self.job = job
        self.interval = interval
        self.log = log
        self.cancelled = threading.Event()
        """The server answered cancel: stop, upload nothing more, do not complete."""
        self.lost = threading.Event()
        """The lease is gone (409, or the server refused us): abandon the job silently."""
        self._lock = threading.Lock()  # guards the queued progress, metrics and checkpoint
        self._beat_lock = threading.Lock()  # one heartbeat at a time (thread and final flush)
        self._progress: dict[str, Any] = {
            "step": 0, "totalSteps": 0, "epoch": 0, "loss": None, "learningRate": None,
            "tokensPerSecond": None, "etaSeconds": None,
        }
        self._metrics: list[dict[str, Any]] = []
        self._checkpoint: dict[str, Any] | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job.id[:8]}", daemon=True)

    def __enter__(self) -> JobSession:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=self.client.timeout + 5)

    def update(self, progress: dict[str, Any], metrics: list[dict[str, Any]]) -> None:
        with self._lock:
            self._progress = progress
            self._metrics.extend(metrics)

    def add_metrics(self, metrics: list[dict[str, Any]]) -> None:
        with self._lock:
            self._metrics.extend(metrics)

    def set_checkpoint(self, key: str, step: int) -> None:
        with self._lock:
            self._checkpoint = {"key": key, "step": step}

    def pending_metrics(self) -> int:
        with self._lock:
            return len(self._metrics)

    def beat(self) -> bool:
        """Sends one heartbeat now; True when the server took it. What was not sent (metrics, a
        checkpoint) stays queued for the next one."""
        with self._beat_lock:
            return self._beat()

    def _beat(self) -> bool:
        with self._lock:
            progress, metrics, checkpoint = dict(self._progress), self._metrics[:MAX_METRICS_PER_BEAT], self._checkpoint
        try:
            answer = self.client.heartbeat(self.job, progress, metrics, checkpoint)
        except LeaseLost as err:
            self.log(f"job {self.job.id}: lease lost ({err.server_message}); abandoning it")
            self.lost.set()
            return False
        except Unauthorized as err:
            self.log(f"job {self.job.id}: the server no longer accepts this worker's token ({err.server_message})")
            self.lost.set()
            return False
        except (ServerUnavailable, ProtocolError) as err:
            self.log(f"job {self.job.id}: heartbeat failed, will retry: {err}")
            return False
        with self._lock:
            del self._metrics[: len(metrics)]
            if self._checkpoint is checkpoint:
                self._checkpoint = None
        if answer.cancel and not self.cancelled.is_set():
            self.log(f"job {self.job.id}: cancelled by the server")
            self.cancelled.set()
        return True

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            # Fast steps can outrun one beat's metric limit: then send the rest at once.
            while self.beat() and self.pending_metrics() >= MAX_METRICS_PER_BEAT and not self._done.is_set():
                pass
