"""Test data helpers shared by several test files."""

from __future__ import annotations

import json

CAPITALS = [
    ("France", "Paris"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Germany", "Berlin"),
    ("Japan", "Tokyo"), ("Egypt", "Cairo"), ("Peru", "Lima"), ("Kenya", "Nairobi"),
]


def snapshot_line(record_id: str, content: dict) -> str:
    """A line as server/datanets/versions.ts writes it."""
    row = {"id": record_id, "contentHash": "0" * 64, "contributorId": "c1", "contributorWallet": None, "content": content}
    return json.dumps(row) + "\n"


def capital_chats(n: int) -> list[dict]:
    """n chat records, question about a capital and its answer."""
    out = []
    for i in range(n):
        country, city = CAPITALS[i % len(CAPITALS)]
        out.append({"messages": [
            {"role": "user", "content": f"What is the capital of {country}?"},
            {"role": "assistant", "content": f"The capital of {country} is {city}."},
        ]})
    return out
