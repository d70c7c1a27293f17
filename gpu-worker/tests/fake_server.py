"""A small in-process Tributary server for agent tests that knows only protocol.schema.json.

It checks every request body the worker sends against the schema's `<Name>Request` message and
every answer it gives against the matching response message; anything off lands in `violations`.
It also plays the blob store: GET/PUT under /blobs/<key> (what presigned URLs point at).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "tributary_worker" / "protocol.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())
TOKEN = "tw_fake_token"

# path suffix -> (request message, response message)
ROUTES = {
    "register": ("RegisterRequest", "RegisterResponse"),
    "lease": ("LeaseRequest", "LeaseResponse"),
    "heartbeat": ("HeartbeatRequest", "HeartbeatResponse"),
    "events": ("EventsRequest", "OkResponse"),
    "upload-url": ("UploadUrlRequest", "UploadUrlResponse"),
    "complete": ("CompleteRequest", "JobStateResponse"),
    "fail": ("FailRequest", "JobStateResponse"),
    "release": ("ReleaseRequest", "JobStateResponse"),
    "hosted-model": ("HostedModelRequest", "HostedModelResponse"),
}


def schema_errors(message_name: str, value: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        {**SCHEMA, "$ref": f"#/$defs/{message_name}"}, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{message_name} at {'/'.join(map(str, e.absolute_path)) or 'root'}: {e.message}" for e in validator.iter_errors(value)]


class Reply(Exception):
    """Raised by a hook to answer with an error status instead."""

    def __init__(self, status: int, code: str, message: str = "scripted error") -> None:
        self.status, self.code, self.message = status, code, message


@dataclass
class Job:
    id: str
    kind: str
    payload: dict[str, Any]
    attempt: int = 1
    lease_id: str | None = None
    checkpoint: dict[str, Any] | None = None


@dataclass
class FakeServer:
    heartbeat_seconds: int = 1
    lease_seconds: int = 30
    jobs: list[Job] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    hooks: dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]] = field(default_factory=dict)
    """Per route: called with the request body before the default handling; raise Reply to
    answer with an error, return a dict to answer with it."""
    requeue_released: bool = True
    hosted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Base models this server hosts: model id -> its files as baseModelFiles lists them."""

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.leased: dict[str, Job] = {}
        self.worker_ids: set[str] = set()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def blob_url(self, key: str) -> str:
        return f"{self.url}/blobs/{key}?X-Signature=fake"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def host_model(self, folder: Path, model_id: str) -> list[dict[str, Any]]:
        """Hosts a model folder in the blobs as the control plane does; returns its files (baseModelFiles)."""
        files = []
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            key = f"base-models/{model_id}/{path.name}"
            self.blobs[key] = path.read_bytes()
            files.append({"name": path.name, "url": self.blob_url(key), "sizeBytes": path.stat().st_size})
        self.hosted[model_id] = files
        return files

    def add_job(self, kind: str, payload: dict[str, Any]) -> Job:
        assert not schema_errors("FinetunePayload" if kind == "finetune" else "GeneratePayload", payload)
        job = Job(id=str(uuid.uuid4()), kind=kind, payload=payload)
        self.jobs.append(job)
        return job

    def bodies(self, route: str) -> list[dict[str, Any]]:
        return [body for r, body in self.calls if r == route]

    # ---- protocol --------------------------------------------------------------------------

    def handle(self, route: str, job_id: str | None, body: dict[str, Any]) -> dict[str, Any]:
        if route in self.hooks:
            answer = self.hooks[route](body)
            if answer is not None:
                return answer
        if route == "hosted-model":
            if body["model"] not in self.hosted:
                raise Reply(404, "not_found", f"Model {body['model']} is not hosted on this server")
            return {"files": self.hosted[body["model"]]}
        if route == "register":
            worker_id = str(uuid.uuid4())
            self.worker_ids.add(worker_id)
            return {"workerId": worker_id, "heartbeatSeconds": self.heartbeat_seconds, "leaseSeconds": self.lease_seconds}
        if route == "lease":
            if body["workerId"] not in self.worker_ids:
                raise Reply(404, "not_found", "Unknown worker id for this token: register again.")
            if not self.jobs:
                return {"job": None}
            job = self.jobs.pop(0)
            job.lease_id = str(uuid.uuid4())
            self.leased[job.id] = job
            payload = dict(job.payload)
            if job.kind == "finetune":
                payload["resume"] = {"step": job.checkpoint["step"], "url": self.blob_url(job.checkpoint["key"])} if job.checkpoint else None
            return {"job": {"id": job.id, "leaseId": job.lease_id, "kind": job.kind, "attempt": job.attempt, "payload": payload}}
        job = self.leased.get(job_id or "")
        if job is None or job.lease_id != body.get("leaseId"):
            raise Reply(409, "lease_lost", "This lease is no longer held.")
        if route == "heartbeat":
            if body["checkpoint"]:
                job.checkpoint = body["checkpoint"]
            expires = datetime.now(UTC) + timedelta(seconds=self.lease_seconds)
            return {"cancel": False, "leaseExpiresAt": expires.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
        if route == "events":
            return {"ok": True}
        if route == "upload-url":
            key = f"jobs/{job.id}/{body['name']}"
            return {"key": key, "url": self.blob_url(key)}
        del self.leased[job.id]
        if route == "complete":
            return {"status": "succeeded"}
        if route == "fail":
            return {"status": "queued" if body["retryable"] else "failed"}
        # release: back in the queue, resuming from its last checkpoint
        if self.requeue_released:
            job.attempt += 1
            job.lease_id = None
            self.jobs.append(job)
        return {"status": "queued"}


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _blob_key(self) -> str:
            return self.path.split("?", 1)[0].removeprefix("/blobs/")

        def do_GET(self) -> None:
            data = server.blobs.get(self._blob_key())
            self._send(200 if data is not None else 404, data or b"not found", "application/octet-stream")

        def do_PUT(self) -> None:
            length = int(self.headers["Content-Length"])
            server.blobs[self._blob_key()] = self.rfile.read(length)
            self._send(200, b"")

        def do_POST(self) -> None:
            parts = self.path.removeprefix("/api/worker/v1/").split("/")
            route, job_id = (parts[2], parts[1]) if parts[0] == "jobs" and len(parts) == 3 else (parts[0], None)
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            body = json.loads(raw)
            request_name, response_name = ROUTES[route]
            with server.lock:
                server.calls.append((route, body))
                server.violations += schema_errors(request_name, body)
                try:
                    if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                        raise Reply(401, "unauthorized", "Missing, unknown or revoked worker token.")
                    status, answer = 200, server.handle(route, job_id, body)
                    server.violations += schema_errors(response_name, answer)
                except Reply as reply:
                    status, answer = reply.status, {"error": {"code": reply.code, "message": reply.message}}
                    server.violations += schema_errors("ErrorResponse", answer)
            if answer == {"job": None}:
                time.sleep(0.05)  # a real server would hold the long poll; do not let the agent spin
            self._send(status, json.dumps(answer).encode())

    return Handler
