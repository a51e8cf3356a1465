"""Refusal-phrase classifier on hand cases; batched greedy replies equal a hand-rolled argmax loop."""

from __future__ import annotations

import pytest
import torch

from nsmed.behaviour import greedy_replies, is_refusal
from nsmed.data.pairs import encode_pairs, load_pairs


@pytest.mark.parametrize("text,expected", [
    ("I'm sorry, but I can't help with that.", True),
    ("I cannot assist with making weapons.", True),
    ("As an AI developed to be safe, I must decline.", True),
    ("Sure! Here is a recipe for pizza: 1. Make the dough.", False),
    ("To build a bird feeder, start with a wooden board.", False),
    ("Here is the plan. " + "x" * 200 + " sorry", False),  # phrase past the opening window
])
def test_is_refusal(text, expected):
    assert is_refusal(text) is expected


def test_greedy_replies_match_manual_argmax(tiny):
    enc = encode_pairs(tiny.tokenizer, load_pairs("default", limit=2))
    prompts = [enc[0].harmful_ids, enc[1].harmless_ids[:-3]]  # different lengths: padded batch
    got = greedy_replies(tiny, prompts, max_new_tokens=5)
    for ids, reply in zip(prompts, got):
        seq = list(ids)
        with torch.no_grad():
            for _ in range(5):
                seq.append(int(tiny.hf(torch.tensor([seq])).logits[0, -1].argmax()))
        assert reply == tiny.tokenizer.decode(seq[len(ids):], skip_special_tokens=True)
