"""HMAC authentication of the serving API (SERVING.md, "Authentication"): the control plane signs
each call with the sha256 of the worker token, which is all it stores; the worker verifies.

    Authorization: Tributary-HMAC ts=<unix seconds>,sig=<hex>
    sig = HMAC-SHA256(key = utf8(hex sha256(token)), msg = "<ts>\\n<METHOD>\\n<path>\\n<hex sha256(body)>")
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

SCHEME = "Tributary-HMAC"
MAX_SKEW_SECONDS = 300
"""A signature whose `ts` is further than this from the worker's clock is refused (replays)."""

_HEADER = re.compile(rf"^{SCHEME} ts=(?P<ts>-?\d{{1,15}}),sig=(?P<sig>[0-9a-fA-F]{{64}})$")


class AuthError(Exception):
    """The request is not signed by the control plane; the message says what is wrong."""


def signing_key(token: str) -> bytes:
    """The HMAC key both sides derive: the hex sha256 of the worker token, as UTF-8 bytes."""
    return hashlib.sha256(token.encode()).hexdigest().encode()


def signature(key: bytes, ts: int, method: str, path: str, body: bytes) -> str:
    """Hex HMAC-SHA256 over `ts`, the upper-case method, the path (no query string) and the body's
    sha256."""
    message = f"{ts}\n{method.upper()}\n{path}\n{hashlib.sha256(body).hexdigest()}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def authorization(key: bytes, method: str, path: str, body: bytes, now: float | None = None) -> str:
    """The Authorization header value for one request (what the control plane's gateway sends)."""
    ts = int(time.time() if now is None else now)
    return f"{SCHEME} ts={ts},sig={signature(key, ts, method, path.split('?', 1)[0], body)}"


def verify(key: bytes, header: str | None, method: str, path: str, body: bytes, now: float | None = None) -> None:
    """Returns when `header` is a valid, fresh signature of this request; raises AuthError."""
    if not header:
        raise AuthError(f"missing Authorization header: sign the request with '{SCHEME} ts=<unix seconds>,sig=<hex>'")
    match = _HEADER.match(header.strip())
    if match is None:
        raise AuthError(f"the Authorization header is not '{SCHEME} ts=<unix seconds>,sig=<64 hex digits>'")
    ts = int(match["ts"])
    clock = time.time() if now is None else now
    if abs(clock - ts) > MAX_SKEW_SECONDS:
        raise AuthError(
            f"the signature's ts ({ts}) is {abs(clock - ts):.0f} s away from the worker's clock, more than "
            f"{MAX_SKEW_SECONDS} s: check both machines' clocks (NTP)"
        )
    expected = signature(key, ts, method, path, body)
    if not hmac.compare_digest(expected, match["sig"].lower()):
        raise AuthError("the request signature does not match: is the worker token the one the control plane issued?")
