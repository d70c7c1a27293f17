"""Client of the worker protocol (/api/worker/v1), mirroring server/jobs/protocol.ts.

Every call is a POST of JSON with the worker token; the messages are the `$defs` of
protocol.schema.json (the tests check what this module sends and parses against that file).
Errors come back as `{"error": {"code", "message"}}` and become the exceptions below. Only the
standard library is used, so the agent has no HTTP dependency to pin.
"""

from __future__ import annotations

import http.client
import json
import random
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Literal

from tributary_worker import __version__

API_PREFIX = "/api/worker/v1"
USER_AGENT = f"tributary-worker/{__version__}"


class ProtocolError(Exception):
    """The server refused a call (4xx); `code` is the protocol's error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{message} (HTTP {status} {code})")
        self.status = status
        self.code = code
        self.server_message = message


class Unauthorized(ProtocolError):
    """401: the token is missing, unknown or revoked. Retrying cannot help."""


class LeaseLost(ProtocolError):
    """409: this worker no longer holds the job's lease; drop the job without reporting."""


class ServerUnavailable(Exception):
    """The server could not be reached or answered 5xx: worth retrying after a pause."""


class Backoff:
    """Exponential backoff with jitter: 1, 2, 4 ... up to `cap` seconds, each scaled by a random
    factor in [0.5, 1) so that a fleet of workers does not reconnect in lockstep."""

    def __init__(self, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None) -> None:
        self.base, self.cap, self.attempt = base, cap, 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        delay = min(self.cap, self.base * 2**self.attempt) * (0.5 + self._rng.random() / 2)
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0


def _error_of(status: int, raw: bytes) -> Exception:
    try:
        error = json.loads(raw)["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "unknown", raw[:200].decode("utf-8", "replace") or http.client.responses.get(status, "")
    if status >= 500:
        return ServerUnavailable(f"the server answered HTTP {status}: {message}")
    if status == 401:
        return Unauthorized(status, code, message)
    if status == 409:
        return LeaseLost(status, code, message)
    return ProtocolError(status, code, message)


# ---- messages the server sends --------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    worker_id: str
    heartbeat_seconds: int
    lease_seconds: int


@dataclass(frozen=True)
class LeasedJob:
    id: str
    lease_id: str
    kind: Literal["finetune", "generate"]
    attempt: int
    payload: dict[str, Any]
    """FinetunePayload or GeneratePayload, as sent (camelCase keys)."""


@dataclass(frozen=True)
class HeartbeatAnswer:
    cancel: bool
    lease_expires_at: str


@dataclass(frozen=True)
class UploadTarget:
    key: str
    url: str


def _field(message: dict[str, Any], name: str, what: str) -> Any:
    if not isinstance(message, dict) or name not in message:
        raise ProtocolError(200, "bad_response", f"the server's {what} has no {name!r}; are server and worker versions compatible?")
    return message[name]


# ---- the client -----------------------------------------------------------------------------


class Client:
    """One worker's server and token. Holds no connection, so the heartbeat thread and the main
    thread can use it at once."""

    def __init__(self, base_url: str, token: str, timeout: float = 30.0) -> None:
        self.base = base_url.rstrip("/") + API_PREFIX
        self._token = token
        self.timeout = timeout

    def call(self, path: str, body: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """POSTs `body` to `<base>/api/worker/v1<path>` and returns the decoded answer."""
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            raise _error_of(err.code, err.read()) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
            reason = getattr(err, "reason", err)
            raise ServerUnavailable(f"cannot reach {self.base}: {reason}") from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise ServerUnavailable(f"{self.base}{path} answered with something that is not JSON") from None
        if not isinstance(answer, dict):
            raise ServerUnavailable(f"{self.base}{path} answered with JSON that is not an object")
        return answer

    def register(self, name: str, version: str, capabilities: dict[str, Any]) -> Registration:
        answer = self.call("/register", {"name": name, "version": version, "capabilities": capabilities})
        return Registration(
            worker_id=_field(answer, "workerId", "register answer"),
            heartbeat_seconds=int(_field(answer, "heartbeatSeconds", "register answer")),
            lease_seconds=int(_field(answer, "leaseSeconds", "register answer")),
        )

    def hosted_model_files(self, model_id: str) -> list[dict[str, Any]]:
        """`[{name, url, sizeBytes}]` of a base model the server hosts in its blob store (for a
        serving worker's `--serve-model`); ProtocolError 404 when it hosts none by that id."""
        return _field(self.call("/hosted-model", {"model": model_id}), "files", "hosted-model answer")

    def lease(self, worker_id: str, wait_seconds: int) -> LeasedJob | None:
        # The server may hold the request for wait_seconds: allow that much more time.
        answer = self.call("/lease", {"workerId": worker_id, "waitSeconds": wait_seconds}, timeout=self.timeout + wait_seconds)
        job = _field(answer, "job", "lease answer")
        if job is None:
            return None
        return LeasedJob(
            id=_field(job, "id", "leased job"),
            lease_id=_field(job, "leaseId", "leased job"),
            kind=_field(job, "kind", "leased job"),
            attempt=int(_field(job, "attempt", "leased job")),
            payload=_field(job, "payload", "leased job"),
        )

    def heartbeat(
        self, job: LeasedJob, progress: dict[str, Any], metrics: list[dict[str, Any]], checkpoint: dict[str, Any] | None
    ) -> HeartbeatAnswer:
        body = {"leaseId": job.lease_id, "progress": progress, "metrics": metrics, "checkpoint": checkpoint}
        answer = self.call(f"/jobs/{job.id}/heartbeat", body)
        return HeartbeatAnswer(
            cancel=bool(_field(answer, "cancel", "heartbeat answer")),
            lease_expires_at=_field(answer, "leaseExpiresAt", "heartbeat answer"),
        )

    def events(self, job: LeasedJob, events: list[dict[str, str]]) -> None:
        self.call(f"/jobs/{job.id}/events", {"leaseId": job.lease_id, "events": events})

    def upload_url(self, job: LeasedJob, name: str, content_type: str | None) -> UploadTarget:
        answer = self.call(f"/jobs/{job.id}/upload-url", {"leaseId": job.lease_id, "name": name, "contentType": content_type})
        return UploadTarget(key=_field(answer, "key", "upload-url answer"), url=_field(answer, "url", "upload-url answer"))

    def complete(self, job: LeasedJob, result: dict[str, Any]) -> str:
        return _field(self.call(f"/jobs/{job.id}/complete", {"leaseId": job.lease_id, "result": result}), "status", "complete answer")

    def fail(self, job: LeasedJob, message: str, retryable: bool) -> str:
        body = {"leaseId": job.lease_id, "message": message[:4000] or "failed", "retryable": retryable}
        return _field(self.call(f"/jobs/{job.id}/fail", body), "status", "fail answer")

    def release(self, job: LeasedJob, reason: str) -> str:
        body = {"leaseId": job.lease_id, "reason": reason[:500] or "released"}
        return _field(self.call(f"/jobs/{job.id}/release", body), "status", "release answer")
