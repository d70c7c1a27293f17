"""Datanet snapshot records -> token ids and labels the model trains on.

A snapshot line is what server/datanets/versions.ts writes:
`{"id", "contentHash", "contributorId", "contributorWallet", "content"}`, where `content` is
one of (server/datanets/records.ts):
- chat: `{"messages": [{"role": "system"|"user"|"assistant", "content": "..."}]}`
- instruction: `{"instruction": "...", "input"?: "...", "output": "..."}`
- text: `{"text": "..."}`

Chat and instruction records go through the tokenizer's chat template and only the assistant's
answers (closing end-of-turn token included, so the model learns to stop) carry labels; every
other position is IGNORE. Plain text trains on every token.
"""

from __future__ import annotations

import bisect
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

IGNORE = -100  # label of positions without loss (PyTorch cross-entropy's ignore_index)

TaskTemplate = Literal["chat", "instruction", "text"]

# Record kinds each task template trains on, as the control plane allows them
# (server/finetune/fine-tunes.ts): chat and instruction records are both conversations; the
# text template continues any text, with conversations rendered through the chat template.
TEMPLATE_ACCEPTS: dict[str, tuple[str, ...]] = {
    "chat": ("chat", "instruction"),
    "instruction": ("instruction", "chat"),
    "text": ("text", "chat", "instruction"),
}


class DataError(Exception):
    """The training data cannot be used; the message names the file, line and field."""


@dataclass(frozen=True)
class Record:
    """One snapshot record."""

    id: str
    kind: TaskTemplate
    content: dict[str, Any]


@dataclass
class Example:
    """One tokenized record."""

    record_id: str
    input_ids: list[int]
    labels: list[int]
    """Same length as input_ids; IGNORE where there is no loss."""


def _kind_of(content: Any) -> TaskTemplate | None:
    if not isinstance(content, dict):
        return None
    if isinstance(content.get("messages"), list):
        return "chat"
    if isinstance(content.get("instruction"), str) and isinstance(content.get("output"), str):
        return "instruction"
    if isinstance(content.get("text"), str):
        return "text"
    return None


def _check_messages(messages: list[Any], where: str) -> None:
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("content"), str):
            raise DataError(f"{where}: content.messages[{i}] needs a string 'content'")
        if m.get("role") not in ("system", "user", "assistant"):
            raise DataError(f"{where}: content.messages[{i}].role is {m.get('role')!r}; use system, user or assistant")


def read_snapshot(path: Path, name: str | None = None) -> list[Record]:
    """Reads one snapshot JSONL file; `name` is how errors refer to it (default: the path)."""
    label = name or str(path)
    records: list[Record] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{label}, line {number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{where}: not valid JSON ({err.msg} at column {err.colno})") from None
            content = row.get("content") if isinstance(row, dict) else None
            kind = _kind_of(content)
            if kind is None:
                raise DataError(
                    f"{where}: 'content' must be {{messages}}, {{instruction, output}} or {{text}}; "
                    "download the snapshot again or republish the Datanet version"
                )
            if kind == "chat":
                _check_messages(content["messages"], where)
            records.append(Record(id=str(row.get("id", f"{label}:{number}")), kind=kind, content=content))
    return records


def to_messages(record: Record) -> list[dict[str, str]]:
    """Chat messages of a chat or instruction record (as the server's training view builds them)."""
    if record.kind == "chat":
        return [{"role": m["role"], "content": m["content"]} for m in record.content["messages"]]
    if record.kind == "instruction":
        extra = record.content.get("input")
        prompt = f"{record.content['instruction']}\n\n{extra}" if extra else record.content["instruction"]
        return [{"role": "user", "content": prompt}, {"role": "assistant", "content": record.content["output"]}]
    raise ValueError("text records have no messages")


def _turn_span(tokenizer, messages: list[dict[str, str]], i: int, text: str) -> tuple[int, int] | None:
    """Character span of assistant turn `i` in `text`, or None when the template does not render
    the conversation up to that turn as a prefix of the whole."""
    before = tokenizer.apply_chat_template(messages[:i], tokenize=False, add_generation_prompt=True) if i else ""
    through = tokenizer.apply_chat_template(messages[: i + 1], tokenize=False)
    if not text.startswith(through) or not through.startswith(before):
        return None
    return len(before), len(through)


def _answer_spans(tokenizer, messages: list[dict[str, str]]) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans of its assistant turns.

    Relies on the template rendering the beginning of a conversation as a prefix of the whole,
    which holds for the catalog's models. Some templates break it for earlier turns (Mistral's
    puts the system prompt into the last user turn): then only the final answer is trained on.
    """
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    turns = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
    spans = [_turn_span(tokenizer, messages, i, text) for i in turns]
    if all(span is not None for span in spans):
        return text, [span for span in spans if span is not None]
    if spans[-1] is None:
        raise DataError(
            "this model's chat template does not render a conversation's beginning as a prefix of "
            "the whole, so the answer tokens cannot be found: use another base model"
        )
    return text, [spans[-1]]


def tokenize_record(tokenizer, record: Record, template: TaskTemplate | None = None) -> Example:
    """Token ids and labels of one record, not yet truncated. Under the text template every
    token is learned; otherwise only the answers of a conversation are."""
    if template == "text" and record.kind != "text":
        ids = tokenizer.apply_chat_template(to_messages(record), tokenize=True, return_dict=True)["input_ids"]
        return Example(record.id, list(ids), list(ids))
    if record.kind == "text":
        ids = tokenizer(record.content["text"], add_special_tokens=False)["input_ids"]
        if tokenizer.bos_token_id is not None:
            ids = [tokenizer.bos_token_id, *ids]
        ids.append(tokenizer.eos_token_id)
        return Example(record.id, ids, list(ids))
    text, spans = _answer_spans(tokenizer, to_messages(record))
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = encoded["input_ids"]
    labels = [IGNORE] * len(ids)
    for t, (start, _end) in enumerate(encoded["offset_mapping"]):
        if any(a <= start < b for a, b in spans):
            labels[t] = ids[t]
    return Example(record.id, ids, labels)


@dataclass
class Tokenized:
    examples: list[Example]
    truncated: int
    """How many records were cut to max_length."""
    dropped: int
    """How many records had no answer token left after truncation (not trained on)."""


def tokenize_records(tokenizer, records: Iterable[Record], max_length: int, template: TaskTemplate | None = None) -> Tokenized:
    examples: list[Example] = []
    truncated = dropped = 0
    for record in records:
        example = tokenize_record(tokenizer, record, template)
        if len(example.input_ids) > max_length:
            truncated += 1
            example.input_ids = example.input_ids[:max_length]
            example.labels = example.labels[:max_length]
        # A label only produces loss at positions after the first (the model predicts token t
        # from tokens < t), so position 0 alone does not count.
        if all(label == IGNORE for label in example.labels[1:]):
            dropped += 1
            continue
        examples.append(example)
    return Tokenized(examples, truncated, dropped)


def split_eval(records: Sequence[Record], eval_fraction: float, seed: int) -> tuple[list[Record], list[Record]]:
    """(train, eval): a fixed fraction held out, chosen by `seed` alone (same on every retry)."""
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    n_eval = round(len(records) * eval_fraction)
    if eval_fraction > 0 and len(records) >= 2:
        n_eval = min(max(n_eval, 1), len(records) - 1)
    held = set(order[:n_eval])
    train = [r for i, r in enumerate(records) if i not in held]
    return train, [records[i] for i in sorted(held)]


def pack(examples: Sequence[Example], max_length: int) -> list[Example]:
    """Concatenates whole examples into rows of at most `max_length` tokens, best fit decreasing:
    longest first, each into the row it fills most tightly (a new row when none has room).

    Examples are never split, so every answer keeps its prompt. Within a row a later example can
    attend to earlier ones (as with Hugging Face's `group_texts`); that costs a little isolation
    and saves the padding that short records would otherwise need. Rows come out nearly full,
    where filling them in file order left a fifth of each row as padding.
    """
    rows: list[Example] = []
    free: list[tuple[int, int]] = []  # (room left, row index), sorted
    for i in sorted(range(len(examples)), key=lambda i: (-len(examples[i].input_ids), i)):
        ex = examples[i]
        need = len(ex.input_ids)
        at = bisect.bisect_left(free, (need, -1))
        if at < len(free):
            room, row_index = free.pop(at)
            row = rows[row_index]
            row.input_ids += ex.input_ids
            row.labels += ex.labels
            row.record_id += f"+{ex.record_id}"
        else:
            room, row_index = max_length, len(rows)
            rows.append(Example(ex.record_id, list(ex.input_ids), list(ex.labels)))
        bisect.insort(free, (room - need, row_index))
    return rows


def batch_order(n_rows: int, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Row indices of each batch of one epoch: a shuffle fixed by (seed, epoch), so a resumed
    run sees exactly the batches the interrupted one would have."""
    order = list(range(n_rows))
    random.Random(f"{seed}:{epoch}").shuffle(order)
    return [order[i : i + batch_size] for i in range(0, n_rows, batch_size)]


def collate(rows: Sequence[Example], pad_id: int):  # -> dict of (B, T) tensors
    """Right-pads rows to the longest one: input_ids and labels, each (B, T).

    No attention mask: under causal attention a real token only sees the tokens before it, which
    are all real when padding is on the right, and pads carry no labels, so the loss is the same
    with or without one. Without it the model stays on SDPA's fused causal kernel instead of
    building a (B, 1, T, T) mask.
    """
    import torch

    width = max(len(r.input_ids) for r in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)  # (B, T)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)  # (B, T)
    for i, r in enumerate(rows):
        input_ids[i, : len(r.input_ids)] = torch.tensor(r.input_ids)
        labels[i, : len(r.labels)] = torch.tensor(r.labels)
    return {"input_ids": input_ids, "labels": labels}
