"""The OpenAI side of the serving API: request bodies of `/v1/completions` and
`/v1/chat/completions` checked field by field (a 400 names the field), the answer objects
(`text_completion`, `chat.completion`, `chat.completion.chunk`), SSE framing and error objects.

Nothing here touches the engine; server.py turns a parsed request into a GenerationRequest.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

BASE_MODEL = "base"
"""The `model` name of the base model without an adapter."""

ADAPTER_ID = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
"""Adapter ids are names, never paths (SERVING.md)."""

DEFAULT_MAX_TOKENS = 256
MAX_TOKENS_LIMIT = 4096
MAX_STOP_SEQUENCES = 4
MAX_STOP_LENGTH = 200
SEED_LIMIT = 2**63

Kind = Literal["completion", "chat"]
Json = dict[str, Any]


class ApiError(Exception):
    """An answer in OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`."""

    def __init__(
        self, status: int, message: str, *, type: str = "invalid_request_error", param: str | None = None,
        code: str | None = None, headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> Json:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def bad_field(param: str, message: str) -> ApiError:
    return ApiError(400, f"{param}: {message}", param=param, code="invalid_value")


@dataclass(frozen=True)
class ParsedRequest:
    """One completion or chat completion request, checked."""

    kind: Kind
    model: str
    """`base`, or the id of an adapter registered with PUT /adapters/{id}."""

    prompt: str | None
    """Completions: the text to continue (BOS + text)."""

    messages: list[dict[str, str]] | None
    """Chat: the conversation, contents flattened to strings, rendered with the chat template."""

    max_tokens: int | None
    """New tokens at most; None: DEFAULT_MAX_TOKENS, shortened to what fits in the context."""

    temperature: float
    top_p: float
    stop: tuple[str, ...]
    seed: int | None
    stream: bool
    include_usage: bool

    @property
    def adapter_id(self) -> str | None:
        return None if self.model == BASE_MODEL else self.model


# ---- parsing ---------------------------------------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# Fields OpenAI defines that this worker cannot honour: accepted only at their default value,
# so a client that relies on them gets a 400 instead of a silently different answer.
_UNSUPPORTED: dict[str, Callable[[Any], bool]] = {
    "n": lambda v: v is None or v == 1,
    "best_of": lambda v: v is None or v == 1,
    "echo": lambda v: v is None or v is False,
    "logprobs": lambda v: v is None or v is False,
    "top_logprobs": lambda v: v is None or v == 0,
    "presence_penalty": lambda v: v is None or v == 0,
    "frequency_penalty": lambda v: v is None or v == 0,
    "logit_bias": lambda v: v is None or v == {},
    "suffix": lambda v: v is None or v == "",
    "tools": lambda v: v is None or v == [],
    "tool_choice": lambda v: v is None or v == "none",
    "response_format": lambda v: v is None or v == {"type": "text"},
}
_IGNORED = {"user"}
"""Accepted and ignored: they do not change the answer."""

_COMMON = {"model", "max_tokens", "temperature", "top_p", "stop", "seed", "stream", "stream_options"}
_FIELDS: dict[Kind, set[str]] = {
    "completion": _COMMON | {"prompt"},
    "chat": _COMMON | {"messages", "max_completion_tokens"},
}


def decode_body(raw: bytes) -> Json:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, f"the request body is not valid JSON: {err}", code="invalid_json") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"the request body must be a JSON object, got {type(body).__name__}", code="invalid_json")
    return body


def parse_request(kind: Kind, raw: bytes) -> ParsedRequest:
    """Checks a request body; raises ApiError(400) naming the first field that is wrong."""
    body = decode_body(raw)
    for name, value in body.items():
        if name in _FIELDS[kind] or name in _IGNORED:
            continue
        if name in _UNSUPPORTED:
            if not _UNSUPPORTED[name](value):
                raise ApiError(400, f"{name}: not supported by this worker; leave it out", param=name, code="unsupported_parameter")
            continue
        known = ", ".join(sorted(_FIELDS[kind]))
        raise ApiError(400, f"{name}: unrecognized request argument (this endpoint takes {known})", param=name, code="unknown_parameter")

    model = body.get("model")
    if not isinstance(model, str) or not ADAPTER_ID.match(model):
        raise bad_field("model", f"must be {BASE_MODEL!r} or an adapter id of 1 to 200 letters, digits, '.', '_' or '-', got {model!r}")

    prompt = _prompt(body) if kind == "completion" else None
    messages = _messages(body) if kind == "chat" else None
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise bad_field("stream", f"must be true or false, got {stream!r}")
    return ParsedRequest(
        kind=kind, model=model, prompt=prompt, messages=messages, max_tokens=_max_tokens(kind, body),
        temperature=_number(body, "temperature", 1.0, 0.0, 2.0, low_open=False),
        top_p=_number(body, "top_p", 1.0, 0.0, 1.0, low_open=True),
        stop=_stop(body.get("stop")), seed=_seed(body.get("seed")),
        stream=bool(stream), include_usage=_include_usage(body, bool(stream)),
    )


def _prompt(body: Json) -> str:
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise bad_field("prompt", "must be a string (one prompt per request)")
    return prompt


_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


def _messages(body: Json) -> list[dict[str, str]]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_field("messages", "must be a non-empty array of {role, content} objects")
    out = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise bad_field(where, "must be an object with role and content")
        role = message.get("role")
        if role not in _ROLES:
            raise bad_field(f"{where}.role", f"must be one of system, developer, user, assistant; got {role!r}")
        out.append({"role": _ROLES[role], "content": _content(message.get("content"), f"{where}.content")})
    return out


def _content(content: Any, where: str) -> str:
    """A string, or an array of text parts (joined); other part types (images, audio) are refused."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for j, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise bad_field(f"{where}[{j}]", "only text parts ({\"type\": \"text\", \"text\": ...}) are supported")
            texts.append(part["text"])
        return "".join(texts)
    raise bad_field(where, "must be a string or an array of text parts")


def _max_tokens(kind: Kind, body: Json) -> int | None:
    name = "max_tokens"
    value = body.get("max_tokens")
    if kind == "chat" and body.get("max_completion_tokens") is not None:
        if value is not None:
            raise bad_field("max_completion_tokens", "give max_completion_tokens or max_tokens, not both")
        name, value = "max_completion_tokens", body["max_completion_tokens"]
    if value is None:
        return None
    if not _is_int(value) or not 1 <= value <= MAX_TOKENS_LIMIT:
        raise bad_field(name, f"must be an integer from 1 to {MAX_TOKENS_LIMIT}, got {value!r}")
    return value


def _number(body: Json, name: str, default: float, low: float, high: float, *, low_open: bool) -> float:
    value = body.get(name)
    if value is None:
        return default
    in_range = _is_number(value) and (low < value if low_open else low <= value) and value <= high
    if not in_range:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise bad_field(name, f"must be a number in {interval}, got {value!r}")
    return float(value)


def _stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not 1 <= len(stops) <= MAX_STOP_SEQUENCES:
        raise bad_field("stop", f"must be a string or an array of 1 to {MAX_STOP_SEQUENCES} strings")
    for s in stops:
        if not isinstance(s, str) or not 1 <= len(s) <= MAX_STOP_LENGTH:
            raise bad_field("stop", f"each stop sequence must be a string of 1 to {MAX_STOP_LENGTH} characters, got {s!r}")
    return tuple(stops)


def _seed(value: Any) -> int | None:
    if value is None:
        return None
    if not _is_int(value) or not 0 <= value < SEED_LIMIT:
        raise bad_field("seed", f"must be an integer from 0 to 2^63-1, got {value!r}")
    return value


def _include_usage(body: Json, stream: bool) -> bool:
    options = body.get("stream_options")
    if options is None:
        return False
    if not stream:
        raise bad_field("stream_options", "is only allowed when stream is true")
    if not isinstance(options, dict) or set(options) - {"include_usage"}:
        raise bad_field("stream_options", "must be an object with only include_usage")
    include = options.get("include_usage", False)
    if not isinstance(include, bool):
        raise bad_field("stream_options.include_usage", f"must be true or false, got {include!r}")
    return include


# ---- prompts ---------------------------------------------------------------------------------

def prompt_token_ids(tokenizer, request: ParsedRequest) -> list[int]:
    """Completions: BOS + the prompt's tokens. Chat: the chat template with the assistant's turn
    opened. The same encoding as the playground's (tributary_worker.generate.encode_prompt)."""
    from tributary_worker.generate import encode_prompt

    try:
        ids = encode_prompt(tokenizer, request.messages if request.kind == "chat" else request.prompt or "")
    except Exception as err:  # noqa: BLE001 (the template's own check, e.g. roles out of order, is the message)
        if request.kind != "chat":
            raise
        raise bad_field("messages", f"the base model's chat template refused them: {err}") from None
    if not ids:
        raise bad_field("prompt", "is empty, and this base model has no BOS token to start from: give some text")
    return ids


def fit_max_tokens(request: ParsedRequest, prompt_tokens: int, context: int) -> int:
    """New tokens this request may make in a context of `context` tokens. An explicit max_tokens
    that does not fit is a 400 naming the limit; the default shrinks to what fits."""
    param = "messages" if request.kind == "chat" else "prompt"
    room = context - prompt_tokens
    if room < 1:
        raise ApiError(
            400,
            f"{param}: the prompt is {prompt_tokens} tokens; this model's context is {context} tokens, "
            "which leaves no room for an answer: shorten the prompt",
            param=param, code="context_length_exceeded",
        )
    if request.max_tokens is None:
        return min(DEFAULT_MAX_TOKENS, room)
    if request.max_tokens > room:
        raise ApiError(
            400,
            f"max_tokens: the prompt is {prompt_tokens} tokens and max_tokens is {request.max_tokens}, more than "
            f"this model's context of {context} tokens: lower max_tokens to at most {room} or shorten the prompt",
            param="max_tokens", code="context_length_exceeded",
        )
    return request.max_tokens


# ---- answers ---------------------------------------------------------------------------------

def usage(prompt_tokens: int, completion_tokens: int) -> Json:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens}


@dataclass(frozen=True)
class Answer:
    """The fixed parts of one request's answer objects (streamed or not)."""

    kind: Kind
    model: str
    include_usage: bool = False
    id: str = ""
    created: int = 0

    @staticmethod
    def of(request: ParsedRequest) -> Answer:
        prefix = "chatcmpl" if request.kind == "chat" else "cmpl"
        return Answer(request.kind, request.model, request.include_usage, f"{prefix}-{uuid.uuid4().hex}", int(time.time()))

    def _head(self, object_name: str) -> Json:
        return {"id": self.id, "object": object_name, "created": self.created, "model": self.model}

    def whole(self, text: str, finish_reason: str, prompt_tokens: int, completion_tokens: int) -> Json:
        """The non-streaming answer."""
        if self.kind == "chat":
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "logprobs": None, "finish_reason": finish_reason}
            return {**self._head("chat.completion"), "choices": [choice], "usage": usage(prompt_tokens, completion_tokens)}
        choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason}
        return {**self._head("text_completion"), "choices": [choice], "usage": usage(prompt_tokens, completion_tokens)}

    def chunk(self, text: str, finish_reason: str | None, *, first: bool = False) -> Json:
        """One streamed piece; a chat stream's first chunk names the assistant role."""
        if self.kind == "chat":
            delta: Json = {"role": "assistant", "content": text} if first else ({"content": text} if text else {})
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            out = {**self._head("chat.completion.chunk"), "choices": [choice]}
        else:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason}
            out = {**self._head("text_completion"), "choices": [choice]}
        # With include_usage, OpenAI sends usage: null on every chunk but the last, extra one.
        return {**out, "usage": None} if self.include_usage else out

    def usage_chunk(self, prompt_tokens: int, completion_tokens: int) -> Json:
        name = "chat.completion.chunk" if self.kind == "chat" else "text_completion"
        return {**self._head(name), "choices": [], "usage": usage(prompt_tokens, completion_tokens)}


def sse(message: Json) -> bytes:
    """One server-sent event carrying a JSON object."""
    return b"data: " + json.dumps(message, separators=(",", ":")).encode() + b"\n\n"


SSE_DONE = b"data: [DONE]\n\n"
