"""The multi-adapter serving engine against transformers + peft, on tiny-llama (CPU, fp32):
batching, sampling, streaming and the adapter tiers. Adapter files the engine refuses and
out-of-memory faults are in test_serve_adapters.py; the GPU comparisons in test_serve_gpu.py.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import torch
from serve_helpers import ADAPTER_SPECS, GREEDY, NEW_TOKENS, PROMPTS, copier, encode, mixed_jobs, peft_reference, tokens_of, tokens_within

from tributary_worker.serve.sampling import TextStream, add_tokens
from tributary_worker.serve.types import (
    EngineOverloaded,
    GenerationRequest,
    PromptTooLong,
    SamplingParams,
    UnknownAdapter,
)


@pytest.mark.parametrize("mode", ["dense", "gather"])
def test_mixed_batch_matches_peft_token_for_token(make_engine, tiny_path, adapter_dirs, tokenizer, mode):
    jobs = mixed_jobs(tokenizer)
    reference = peft_reference(tiny_path, adapter_dirs, jobs, NEW_TOKENS)
    engine = make_engine()
    engine.model.lora_mode = lambda rows, steps: mode  # both torch ways of applying per-row adapters, whatever the sizes
    for name in ADAPTER_SPECS:
        engine.load_adapter(name).result()
    handles = [engine.submit(GenerationRequest(ids, adapter, GREEDY)) for ids, adapter in jobs]
    engine.start()  # everything was submitted before the scheduler ran: one batch, every adapter
    results = [tokens_of(h)[0] for h in handles]
    assert results == reference
    # The adapters matter: each one changes the base model's answer to the same prompt.
    by_prompt = {}
    for (ids, adapter), out in zip(jobs, results):
        by_prompt.setdefault(tuple(ids), {})[adapter] = out
    assert all(out != answers[None] for answers in by_prompt.values() for a, out in answers.items() if a and None in answers)
    stats = engine.stats()
    assert stats.requests == len(jobs) and stats.completion_tokens == sum(len(r) for r in results)
    assert stats.batch_size_sum / stats.decode_steps > 4  # requests for different adapters shared decode steps
    assert stats.cache["gpu"].misses == 3 and stats.cache["gpu"].hits == 6  # three loads, six requests with adapters


def test_lru_eviction_with_fewer_gpu_slots_than_adapters(make_engine, tiny_path, adapter_dirs, tokenizer):
    jobs = [(encode(tokenizer, PROMPTS[i % 3]), name) for i, name in enumerate([*ADAPTER_SPECS, *ADAPTER_SPECS, None])]
    reference = peft_reference(tiny_path, adapter_dirs, jobs, NEW_TOKENS)
    engine = make_engine(gpu_adapter_slots=1, cpu_adapter_slots=2)
    engine.start()
    handles = [engine.submit(GenerationRequest(ids, adapter, GREEDY)) for ids, adapter in jobs]
    assert [tokens_of(h)[0] for h in handles] == reference
    stats = engine.stats()
    assert stats.cache["gpu"].misses >= 3 and len(stats.adapters["gpu"]) == 1 and len(stats.adapters["cpu"]) == 2
    assert stats.cache["disk"].misses == 3  # each adapter fetched once, then found on disk or in CPU memory
    assert sorted(stats.adapters["disk"]) == sorted(ADAPTER_SPECS)
    assert stats.load_count >= 3 and stats.load_ms_sum > 0


def test_load_adapter_reports_the_tier_it_came_from(make_engine):
    engine = make_engine(gpu_adapter_slots=1, cpu_adapter_slots=1)
    a, b = list(ADAPTER_SPECS)[:2]
    assert engine.load_adapter(a).result().tier == "fetch"
    assert engine.load_adapter(a).result().tier == "gpu"
    assert engine.load_adapter(b).result().tier == "fetch"  # evicts a from the GPU and CPU tiers
    assert engine.load_adapter(a).result().tier == "disk"
    assert engine.stats().adapters["gpu"] == [a]
    engine.evict_adapter(a)
    assert engine.stats().adapters == {"gpu": [], "cpu": [], "disk": [b]}
    with pytest.raises(UnknownAdapter):
        engine.submit(GenerationRequest([1, 2, 3], a, GREEDY))


def test_seeded_sampling_is_reproducible(make_engine, tokenizer):
    engine = make_engine()
    engine.start()
    ids = encode(tokenizer, PROMPTS[0])

    def run(seed: int, adapter=None) -> list[int]:
        params = SamplingParams(max_tokens=24, temperature=0.9, top_p=0.9, seed=seed)
        return tokens_of(engine.submit(GenerationRequest(ids, adapter, params)))[0]

    first = run(7)
    # Same seed alone, and again in a batch with other requests: same tokens.
    others = [engine.submit(GenerationRequest(ids, "b-all-r8", SamplingParams(max_tokens=24, temperature=1.0))) for _ in range(3)]
    assert run(7) == first
    for h in others:
        tokens_of(h)
    assert run(8) != first
    assert run(7, "a-qv-r4") != first


def test_top_p_near_zero_is_greedy(make_engine, tokenizer):
    engine = make_engine()
    engine.start()
    ids = encode(tokenizer, PROMPTS[1])
    greedy = tokens_of(engine.submit(GenerationRequest(ids, None, GREEDY)))[0]
    nucleus = tokens_of(engine.submit(GenerationRequest(ids, None, SamplingParams(max_tokens=NEW_TOKENS, temperature=1.5, top_p=1e-6, seed=1))))[0]
    assert nucleus == greedy


def test_stop_string_ends_the_text_before_it(make_engine, tokenizer):
    engine = make_engine()
    engine.start()
    ids = encode(tokenizer, PROMPTS[2])
    full_ids, full_text, reason, _ = tokens_of(engine.submit(GenerationRequest(ids, "b-all-r8", GREEDY)))
    assert reason == "length" and full_text == tokenizer.decode(full_ids, skip_special_tokens=True)
    stop = full_text[len(full_text) // 2 : len(full_text) // 2 + 3]
    assert stop.strip(), f"pick a visible stop string from {full_text!r}"
    params = SamplingParams(max_tokens=NEW_TOKENS, temperature=0, stop=("never appears", stop))
    stop_ids, text, reason, count = tokens_of(engine.submit(GenerationRequest(ids, "b-all-r8", params)))
    assert reason == "stop"
    assert text == full_text[: full_text.find(stop)]
    assert stop_ids == full_ids[:count] and count < len(full_ids)
    # The token that completed the stop string is the last one: its text reaches the stop string.
    assert stop in tokenizer.decode(stop_ids, skip_special_tokens=True)
    assert stop not in tokenizer.decode(stop_ids[:-1], skip_special_tokens=True)


def test_requests_ending_early_leave_the_others_intact(make_engine, tiny_path, adapter_dirs, tokenizer):
    """Requests that end mid-batch (stop string, EOS-free short max_tokens, cancel) free their rows;
    the KV rows of the others are moved down and their answers stay those of peft."""
    jobs = mixed_jobs(tokenizer)[:6]
    reference = peft_reference(tiny_path, adapter_dirs, jobs, NEW_TOKENS)
    engine = make_engine()
    short = [engine.submit(GenerationRequest(ids, adapter, SamplingParams(max_tokens=3 + i, temperature=0))) for i, (ids, adapter) in enumerate(jobs[:3])]
    full = [engine.submit(GenerationRequest(ids, adapter, GREEDY)) for ids, adapter in jobs]
    early_text = tokenizer.decode(reference[1][:6], skip_special_tokens=True)
    stopped = engine.submit(GenerationRequest(jobs[1][0], jobs[1][1], SamplingParams(max_tokens=NEW_TOKENS, temperature=0, stop=(early_text[-2:],))))
    engine.start()
    assert [tokens_of(h)[0] for h in short] == [r[: 3 + i] for i, r in enumerate(reference[:3])]
    assert tokens_of(stopped)[2] == "stop"
    assert [tokens_of(h)[0] for h in full] == reference


def test_text_stream_holds_back_a_possible_stop_string(tokenizer):
    stream = TextStream(tokenizer, ("Paris.",))
    pieces = []
    for token in tokenizer("The capital is Paris. Yes", add_special_tokens=False)["input_ids"]:
        stopped = stream.add([token])
        pieces.append(stream.take(final=stopped))
        if stopped:
            break
    assert stopped and "".join(pieces) == "The capital is "
    assert all("Par" not in p for p in pieces)


def test_batched_detokenization_equals_one_stream_at_a_time(tokenizer):
    texts = ["Caf\u00e9 na\u00efve \U0001F642 done.", "The capital of Peru is Lima.", "\u00fc\u00f6\u00e4 \U0001F30A waves"]
    token_lists = [tokenizer(t, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id] for t in texts]
    single = [TextStream(tokenizer, ("Lima",)) for _ in texts]
    batched = [TextStream(tokenizer, ("Lima",)) for _ in texts]
    for step in range(max(map(len, token_lists))):
        live = [i for i, ids in enumerate(token_lists) if step < len(ids)]
        expected = [single[i].add([token_lists[i][step]]) for i in live]
        assert add_tokens(tokenizer, [batched[i] for i in live], [token_lists[i][step] for i in live]) == expected
        assert [single[i].take(False) for i in live] == [batched[i].take(False) for i in live]
    assert [s.take(True) for s in single] == [b.take(True) for b in batched]
    assert batched[0].text == texts[0] and batched[1].text == "The capital of Peru is "


def test_max_tokens_and_eos(make_engine, tokenizer):
    engine = make_engine(max_seq_len=64)
    engine.start()
    ids = encode(tokenizer, PROMPTS[0])
    deltas = list(engine.submit(GenerationRequest(ids, None, SamplingParams(max_tokens=5, temperature=0))))
    assert [d.completion_tokens for d in deltas] == [1, 2, 3, 4, 5]
    assert [d.finish_reason for d in deltas] == [None] * 4 + ["length"]
    assert all(d.prompt_tokens == len(ids) for d in deltas)
    # Context limit: prompt + completion never exceeds max_seq_len.
    long = tokens_of(engine.submit(GenerationRequest(ids, None, SamplingParams(max_tokens=500, temperature=0, ignore_eos=True))))
    assert long[2] == "length" and long[3] == 64 - len(ids)
    with pytest.raises(PromptTooLong, match="max_seq_len"):
        engine.submit(GenerationRequest([5] * 64, None, GREEDY))
    # EOS ends the request with "stop": make the EOS token the model's favourite.
    favourite = tokens_of(engine.submit(GenerationRequest(ids, None, SamplingParams(max_tokens=1, temperature=0))))[0][0]
    with torch.no_grad():
        engine.model.lm_head[tokenizer.eos_token_id] = engine.model.lm_head[favourite] * 10
    out = tokens_of(engine.submit(GenerationRequest(ids, None, GREEDY)))
    assert out[0] == [tokenizer.eos_token_id] and out[1] == "" and out[2] == "stop"


def test_requests_waiting_for_a_row_start_when_the_whole_batch_ends_at_once(make_engine, tokenizer):
    engine = make_engine(max_batch_size=2)
    ids = encode(tokenizer, PROMPTS[0])
    same = SamplingParams(max_tokens=8, temperature=0, ignore_eos=True)
    handles = [engine.submit(GenerationRequest(ids, None, same)) for _ in range(3)]
    engine.start()
    answers = [tokens_within(h) for h in handles]  # the first two end in the same step
    assert [len(a) for a in answers] == [8, 8, 8] and answers[2] == answers[0]


def test_cancel_frees_the_slot_and_others_go_on(make_engine, tokenizer):
    engine = make_engine(max_batch_size=2)
    engine.start()
    ids = encode(tokenizer, PROMPTS[0])
    long = SamplingParams(max_tokens=200, temperature=0, ignore_eos=True)
    first, second = (engine.submit(GenerationRequest(ids, None, long)) for _ in range(2))
    third = engine.submit(GenerationRequest(ids, "a-qv-r4", GREEDY))  # waits: the batch holds 2
    stream = iter(first)
    for _ in range(3):
        next(stream)
    first.cancel()
    second.cancel()
    assert all(d.finish_reason is None for d in stream)  # deltas queued before the cancel, then the end
    assert tokens_of(third)[2] in ("length", "stop")
    deadline = time.monotonic() + 10
    while engine.stats().running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.stats().running == 0 and engine.stats().waiting == 0


def test_unknown_adapter_and_full_queue(make_engine):
    engine = make_engine(max_waiting=2)
    with pytest.raises(UnknownAdapter):
        engine.submit(GenerationRequest([1, 2], "never-registered", GREEDY))
    with pytest.raises(UnknownAdapter):
        engine.load_adapter("never-registered")
    with pytest.raises(ValueError, match="adapter id"):
        engine.register_adapter("../etc", copier(Path("/nonexistent")))
    engine.submit(GenerationRequest([1, 2], None, GREEDY))
    engine.submit(GenerationRequest([1, 2], None, GREEDY))
    with pytest.raises(EngineOverloaded, match="max_waiting 2"):
        engine.submit(GenerationRequest([1, 2], None, GREEDY))



def test_async_iteration(make_engine, tokenizer):
    engine = make_engine()
    engine.start()
    ids = encode(tokenizer, PROMPTS[0])

    async def collect():
        return [d async for d in engine.submit(GenerationRequest(ids, "c-mlp-r16-rslora", GREEDY))]

    deltas = asyncio.run(collect())
    assert len(deltas) == NEW_TOKENS and deltas[-1].finish_reason == "length"
    assert [t for d in deltas for t in d.token_ids] == tokens_of(engine.submit(GenerationRequest(ids, "c-mlp-r16-rslora", GREEDY)))[0]

