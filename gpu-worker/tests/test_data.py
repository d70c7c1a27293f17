from __future__ import annotations

from pathlib import Path

import pytest

from helpers import capital_chats
from tributary_worker.train.data import (
    IGNORE,
    DataError,
    Example,
    Record,
    batch_order,
    collate,
    pack,
    read_snapshot,
    split_eval,
    tokenize_record,
    tokenize_records,
)


def labelled_text(tokenizer, example: Example) -> str:
    return tokenizer.decode([t for t in example.labels if t != IGNORE])


def test_snapshot_lines_become_records(write_snapshot) -> None:
    path = write_snapshot([
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]},
        {"instruction": "Add", "input": "1 + 1", "output": "2"},
        {"text": "Plain words."},
    ])
    records = read_snapshot(path)
    assert [(r.id, r.kind) for r in records] == [("r0", "chat"), ("r1", "instruction"), ("r2", "text")]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        ('{"id": "x", "content": {"foo": 1}}', "line 2: 'content' must be"),
        ('{"id": "x", "content": {"messages": [{"role": "bot", "content": "x"}]}}', "line 2: content.messages[0].role is 'bot'"),
    ],
)
def test_bad_snapshot_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "v1.jsonl"
    path.write_text('{"id": "a", "content": {"text": "ok"}}\n' + line + "\n")
    with pytest.raises(DataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_snapshot(path, "v1.jsonl")


def test_only_assistant_turns_carry_labels(tokenizer) -> None:
    record = Record("r", "chat", {"messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "And Italy?"},
        {"role": "assistant", "content": "Rome."},
    ]})
    example = tokenize_record(tokenizer, record)
    assert len(example.labels) == len(example.input_ids)
    # Each answer and its end-of-turn token (so the model learns to stop); nothing else.
    assert labelled_text(tokenizer, example) == "Paris.<|end|>\nRome.<|end|>\n"
    text = tokenizer.decode(example.input_ids)
    assert text.startswith("<|begin|><|system|>\nBe brief.")


def test_instruction_records_join_input_and_label_the_output(tokenizer) -> None:
    example = tokenize_record(tokenizer, Record("r", "instruction", {"instruction": "Add", "input": "1 + 1", "output": "2"}))
    assert "<|user|>\nAdd\n\n1 + 1<|end|>" in tokenizer.decode(example.input_ids)
    assert labelled_text(tokenizer, example) == "2<|end|>\n"


def test_text_template_learns_every_token_of_a_conversation(tokenizer) -> None:
    record = Record("r", "chat", {"messages": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]})
    example = tokenize_record(tokenizer, record, "text")
    assert example.labels == example.input_ids
    assert tokenizer.decode(example.input_ids).startswith("<|begin|><|user|>\nHi?<|end|>")


def test_plain_text_trains_on_every_token(tokenizer) -> None:
    example = tokenize_record(tokenizer, Record("r", "text", {"text": "The river flows."}))
    assert example.labels == example.input_ids
    assert tokenizer.decode(example.input_ids) == "<|begin|>The river flows.<|end|>"


def test_truncation_is_counted_and_answerless_records_dropped(tokenizer) -> None:
    long_answer = Record("a", "chat", {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "word " * 50}]})
    long_prompt = Record("b", "chat", {"messages": [{"role": "user", "content": "word " * 50}, {"role": "assistant", "content": "ok"}]})
    result = tokenize_records(tokenizer, [long_answer, long_prompt], max_length=20)
    assert (result.truncated, result.dropped) == (2, 1)
    assert [e.record_id for e in result.examples] == ["a"]
    assert len(result.examples[0].input_ids) == 20


def test_eval_split_is_fixed_by_the_seed() -> None:
    records = [Record(f"r{i}", "text", {"text": str(i)}) for i in range(20)]
    train, held = split_eval(records, 0.2, seed=7)
    assert len(held) == 4 and len(train) == 16
    assert {r.id for r in train}.isdisjoint(r.id for r in held)
    assert split_eval(records, 0.2, seed=7) == (train, held)
    assert split_eval(records, 0.2, seed=8)[1] != held
    assert len(split_eval(records[:3], 0.01, seed=1)[1]) == 1  # at least one when asked for any
    assert split_eval(records, 0.0, seed=1) == (records, [])


def test_packing_keeps_examples_whole_and_fills_rows(tokenizer) -> None:
    records = [Record(f"r{i}", "chat", c) for i, c in enumerate(capital_chats(40))]
    examples = tokenize_records(tokenizer, records, max_length=64).examples
    by_id = {e.record_id: e for e in examples}
    rows = pack(examples, max_length=64)
    assert all(len(r.input_ids) <= 64 and len(r.labels) == len(r.input_ids) for r in rows)
    # Each row is its examples, whole, one after another; each example is in exactly one row.
    named = [row.record_id.split("+") for row in rows]
    assert sorted(i for ids in named for i in ids) == sorted(by_id)
    for row, ids in zip(rows, named, strict=True):
        assert row.input_ids == sum((by_id[i].input_ids for i in ids), [])
        assert row.labels == sum((by_id[i].labels for i in ids), [])
    # As few rows as possible: a row holds at most one example longer than half of it, and each
    # shorter one here fits beside a longer one; with wider rows, the token count decides.
    assert len(rows) == sum(len(e.input_ids) > 32 for e in examples) < len(examples)
    total = sum(len(e.input_ids) for e in examples)
    assert len(pack(examples, max_length=256)) == -(-total // 256)
    assert pack(examples, max_length=64) == rows  # deterministic


def test_batches_cover_each_row_once_per_epoch() -> None:
    epoch0 = batch_order(10, 3, seed=1, epoch=0)
    assert [len(b) for b in epoch0] == [3, 3, 3, 1]
    assert sorted(i for b in epoch0 for i in b) == list(range(10))
    assert batch_order(10, 3, seed=1, epoch=0) == epoch0
    assert batch_order(10, 3, seed=1, epoch=1) != epoch0


def test_collate_pads_right() -> None:
    batch = collate([Example("a", [5, 6, 7], [IGNORE, 6, 7]), Example("b", [8], [8])], pad_id=0)
    assert set(batch) == {"input_ids", "labels"}
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]  # (B, T)
    assert batch["labels"].tolist() == [[IGNORE, 6, 7], [8, IGNORE, IGNORE]]


def test_right_padding_needs_no_attention_mask(tokenizer, tiny_path) -> None:
    """The loss of a right-padded batch is the same with the padding mask as without it."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_path, dtype=torch.float32).eval()
    records = [Record(f"r{i}", "chat", c) for i, c in enumerate(capital_chats(4))]
    examples = tokenize_records(tokenizer, records, max_length=64).examples
    batch = collate(examples, tokenizer.pad_token_id)
    assert (batch["input_ids"] == tokenizer.pad_token_id).any()  # some rows are padded
    mask = torch.zeros_like(batch["input_ids"])  # (B, T)
    for i, e in enumerate(examples):
        mask[i, : len(e.input_ids)] = 1
    with torch.no_grad():
        plain = model(**batch).loss
        masked = model(**batch, attention_mask=mask).loss
    assert torch.allclose(plain, masked, rtol=1e-5, atol=1e-6)


def test_template_that_moves_the_system_prompt_trains_on_the_last_answer(tokenizer) -> None:
    """Like Mistral's template: the system prompt goes into the last user turn."""
    from transformers import AutoTokenizer

    mistral_like = AutoTokenizer.from_pretrained(tokenizer.name_or_path)
    mistral_like.chat_template = (
        "{% set system = messages[0]['content'] if messages[0]['role'] == 'system' else '' %}"
        "{% set turns = messages[1:] if system else messages %}"
        "{% for m in turns %}{% if m['role'] == 'user' %}[INST] {% if loop.last or loop.revindex == 2 and not add_generation_prompt %}"
        "{{ system }} {% endif %}{{ m['content'] }} [/INST]{% else %}{{ m['content'] }}<|end|>{% endif %}{% endfor %}"
    )
    record = Record("r", "chat", {"messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "One?"}, {"role": "assistant", "content": "1"},
        {"role": "user", "content": "Two?"}, {"role": "assistant", "content": "2"},
    ]})
    example = tokenize_record(mistral_like, record)
    assert labelled_text(mistral_like, example) == "2<|end|>"
