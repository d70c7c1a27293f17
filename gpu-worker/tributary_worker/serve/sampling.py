"""Token choice for a whole batch at once, and incremental detokenization with stop strings.

Sampling draws its randomness from a counter-based hash of (request seed, token index, vocab
index) instead of a stateful generator per request: the batch is sampled in a few kernels, and a
request's tokens depend only on its seed and its logits, not on which requests share its batch.
"""

from __future__ import annotations

import torch

_MASK64 = (1 << 64) - 1


def _signed(value: int) -> int:
    """A 64-bit constant as torch's int64 holds it."""
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


_GOLDEN, _MIX1, _MIX2 = _signed(0x9E3779B97F4A7C15), _signed(0xBF58476D1CE4E5B9), _signed(0x94D049BB133111EB)


def _shift(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Logical right shift of int64 (torch's >> is arithmetic)."""
    return (x >> bits) & ((1 << (64 - bits)) - 1)


def uniform(seeds: torch.Tensor, counters: torch.Tensor, vocab: int) -> torch.Tensor:
    """(B, vocab) floats in (0, 1), a splitmix64 hash of (seed, counter, column); int64 math wraps."""
    x = seeds[:, None] * _GOLDEN + (counters[:, None] + 1) * _MIX2
    x = x + torch.arange(vocab, device=seeds.device)[None] * _GOLDEN
    x = (x ^ _shift(x, 30)) * _MIX1
    x = (x ^ _shift(x, 27)) * _MIX2
    x = x ^ _shift(x, 31)
    return (_shift(x, 40).float() + 0.5) / float(1 << 24)


def sample(logits: torch.Tensor, temperature: torch.Tensor, top_p: torch.Tensor, seeds: torch.Tensor, counters: torch.Tensor) -> torch.Tensor:
    """logits (B, V) fp32; per row temperature (0 = greedy), top_p, seed and token index (B,).
    Returns the chosen token ids (B,)."""
    greedy = logits.argmax(dim=-1)
    sampled_rows = temperature > 0
    if not bool(sampled_rows.any()):
        return greedy
    scaled = logits / temperature.clamp_min(1e-5)[:, None]
    probs, order = scaled.softmax(dim=-1).sort(dim=-1, descending=True)  # (B, V)
    # Keep the smallest prefix whose mass reaches top_p (always the most likely token).
    drop = (probs.cumsum(dim=-1) - probs) >= top_p[:, None]
    probs = probs.masked_fill(drop, 0.0)
    # Exponential race: argmax p_i / E_i with E_i ~ Exp(1) picks i with probability p_i / sum(p).
    noise = -torch.log(uniform(seeds, counters, logits.shape[-1]))
    choice = (probs / noise).argmax(dim=-1)
    sampled = order.gather(1, choice[:, None])[:, 0]
    return torch.where(sampled_rows, sampled, greedy)


class TextStream:
    """Turns a request's token ids into text pieces: decoded incrementally (a multi-byte character
    split over tokens is held until complete), stop strings removed, and text that could be the
    start of a stop string held back until it is known not to be."""

    def __init__(self, tokenizer, stop: tuple[str, ...]):
        self.tokenizer = tokenizer
        self.stop = tuple(s for s in stop if s)
        self.ids: list[int] = []
        self.prefix = 0  # ids[prefix:read] were decoded last time, as context for the next piece
        self.read = 0
        self.text = ""  # all text decoded so far (cut at a stop string once one is found)
        self.sent = 0  # characters of text already handed out
        self.stopped = False

    def _decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def add(self, token_ids: list[int]) -> bool:
        """Adds tokens; returns True when a stop string now appears (the text is cut before it)."""
        self.ids.extend(token_ids)
        return self._advance(self._decode(self.ids[self.prefix : self.read]), self._decode(self.ids[self.prefix :]))

    def _advance(self, before: str, after: str) -> bool:
        """`before`, `after`: ids[prefix:read] and ids[prefix:] decoded."""
        if self.stopped:
            return True
        if len(after) > len(before) and not after.endswith("\ufffd"):
            searched_from = max(0, len(self.text) - max((len(s) for s in self.stop), default=0) + 1)
            self.text += after[len(before) :]
            self.prefix, self.read = self.read, len(self.ids)
            hits = [i for i in (self.text.find(s, searched_from) for s in self.stop) if i >= 0]
            if hits:
                self.text = self.text[: min(hits)]
                self.stopped = True
                return True
        return False

    def take(self, final: bool) -> str:
        """Text not handed out yet; unless final, without a tail that could begin a stop string."""
        if final and not self.stopped and self.read < len(self.ids):
            # The last tokens end inside a character: hand out what they decode to (U+FFFD).
            before = self._decode(self.ids[self.prefix : self.read])
            self.text += self._decode(self.ids[self.prefix :])[len(before) :]
            self.read = len(self.ids)
        end = len(self.text)
        if not final:
            for s in self.stop:
                for k in range(min(len(s) - 1, end - self.sent), 0, -1):
                    if self.text.endswith(s[:k]):
                        end = min(end, len(self.text) - k)
                        break
        piece = self.text[self.sent : end]
        self.sent = end
        return piece


def add_tokens(tokenizer, streams: list[TextStream], tokens: list[int]) -> list[bool]:
    """TextStream.add of one token to each of many streams, with two tokenizer calls in all
    (the Rust tokenizer decodes the whole batch at once) instead of two per stream."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None or getattr(tokenizer, "clean_up_tokenization_spaces", False):
        return [stream.add([token]) for stream, token in zip(streams, tokens)]
    for stream, token in zip(streams, tokens):
        stream.ids.append(token)
    befores = backend.decode_batch([s.ids[s.prefix : s.read] for s in streams], skip_special_tokens=True)
    afters = backend.decode_batch([s.ids[s.prefix :] for s in streams], skip_special_tokens=True)
    return [stream._advance(before, after) for stream, before, after in zip(streams, befores, afters)]
