"""Model inputs for the sweep: left-padded prompt batches and suffix inputs over a prefix KV cache.

Positions are counted from the right (left padding), so offset p of every row is column T + p.
``position_ids`` are explicit (cumsum of the mask), so padding never shifts absolute positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class PromptBatch:
    """ids, mask, position_ids: [rows, T] (left-padded); lengths: unpadded length per row."""

    ids: torch.Tensor
    mask: torch.Tensor
    position_ids: torch.Tensor
    lengths: list[int]

    @property
    def width(self) -> int:
        return self.ids.shape[1]


def left_pad(seqs, pad_id: int) -> PromptBatch:
    """Left-pad token-id sequences into a PromptBatch."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, width - len(s):] = torch.tensor(s, dtype=torch.long)
        mask[i, width - len(s):] = 1
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    return PromptBatch(ids, mask, pos, [len(s) for s in seqs])


def cache_tensors(cache) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per layer (keys, values), each [rows, kv_heads, T, head_dim], from an HF cache object."""
    return [(layer.keys, layer.values) for layer in cache.layers]


def suffix_inputs(batch: PromptBatch, rows: torch.Tensor, k: int, kv, cache_arg: str) -> dict:
    """Model kwargs that recompute only the last ``k`` positions of ``rows`` of ``batch``.

    rows: [n] indices into the batch (a row may repeat); kv: ``cache_tensors`` of the batch's clean
    run, or None when k covers the whole width (a plain full forward). Returns a dict of kwargs.
    """
    from transformers import DynamicCache

    width = batch.width
    inputs = {
        "input_ids": batch.ids[rows, width - k:],
        "attention_mask": batch.mask[rows],
        "position_ids": batch.position_ids[rows, width - k:],
    }
    if k < width:
        cache = DynamicCache()
        for layer, (key, val) in enumerate(kv):
            cache.update(key[rows, :, : width - k], val[rows, :, : width - k], layer)
        inputs[cache_arg] = cache
        inputs["use_cache"] = True
    else:
        inputs["use_cache"] = False
    return inputs
