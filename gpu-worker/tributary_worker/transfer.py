"""Moving blobs: GET inputs from the (presigned) URLs in a job's payload, PUT outputs to URLs
from upload-url, and packing checkpoints as tar files. Plain HTTP; no credentials of ours travel
with these requests, the URLs carry their own signature."""

from __future__ import annotations

import http.client
import shutil
import tarfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

from tributary_worker.protocol import USER_AGENT, Backoff

ATTEMPTS = 5
CHUNK = 1 << 20


class TransferError(Exception):
    """A download or upload failed after retries (or with an error retrying cannot fix)."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def _redact(url: str) -> str:
    """The URL without its query string, which holds the signature."""
    return url.split("?", 1)[0]


def _with_retries(what: str, url: str, action, stop: threading.Event | None) -> None:
    backoff = Backoff(base=1.0, cap=20.0)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            action()
            return
        except urllib.error.HTTPError as err:
            if err.code < 500 and err.code not in (408, 429):
                raise TransferError(f"{what} {_redact(url)} failed: HTTP {err.code} {err.reason}", retryable=err.code == 403) from None
            problem = f"HTTP {err.code} {err.reason}"
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
            problem = str(getattr(err, "reason", err))
        if attempt == ATTEMPTS:
            raise TransferError(f"{what} {_redact(url)} failed {ATTEMPTS} times, last: {problem}", retryable=True)
        delay = backoff.next_delay()
        if stop is not None and stop.wait(delay):
            raise TransferError(f"{what} {_redact(url)} interrupted by shutdown", retryable=True)
        if stop is None:
            time.sleep(delay)


def _copy_at_most(response, out, max_bytes: int, url: str) -> None:
    def too_big(size: str) -> TransferError:
        return TransferError(f"download of {_redact(url)} is {size}, over the limit of {max_bytes} bytes", retryable=False)

    length = response.headers.get("Content-Length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise too_big(f"{length} bytes")
    copied = 0
    while chunk := response.read(CHUNK):
        copied += len(chunk)
        if copied > max_bytes:
            raise too_big("larger")
        out.write(chunk)


def download(
    url: str, dest: Path, stop: threading.Event | None = None, timeout: float = 60.0, max_bytes: int | None = None
) -> int:
    """GETs `url` into `dest` (written whole or not at all); returns the size in bytes. Past
    `max_bytes` it stops with a TransferError that is not retryable."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")

    def fetch() -> None:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=timeout) as response, partial.open("wb") as out:
            if max_bytes is None:
                shutil.copyfileobj(response, out, CHUNK)
            else:
                _copy_at_most(response, out, max_bytes, url)
        partial.replace(dest)

    _with_retries("download of", url, fetch, stop)
    return dest.stat().st_size


def upload(url: str, source: Path, content_type: str | None, stop: threading.Event | None = None, timeout: float = 300.0) -> int:
    """PUTs the file at `source` to `url`; returns its size in bytes."""
    size = source.stat().st_size

    def put() -> None:
        headers = {"User-Agent": USER_AGENT, "Content-Length": str(size)}
        if content_type:
            headers["Content-Type"] = content_type
        with source.open("rb") as body:
            request = urllib.request.Request(url, data=body, method="PUT", headers=headers)
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()

    _with_retries("upload to", url, put, stop)
    return size


def pack_folder(folder: Path, archive: Path) -> Path:
    """Writes `folder`'s files (flat, no subfolders needed for checkpoints) into a tar file."""
    with tarfile.open(archive, "w") as tar:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=path.relative_to(folder).as_posix())
    return archive


def unpack_archive(archive: Path, folder: Path) -> Path:
    """Extracts a checkpoint tar; refuses links and paths that would leave `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r") as tar:
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts
            if not member.isfile() or member.name.startswith("/") or ".." in parts:
                raise TransferError(f"checkpoint archive entry {member.name!r} is not a plain relative file", retryable=False)
        tar.extractall(folder, filter="data")
    return folder
