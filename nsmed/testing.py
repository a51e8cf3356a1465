"""Test helpers for nsmed and its users: an independent reference patch with plain PyTorch hooks.

``reference_patch_score`` runs the HF model twice with forward hooks (no nnsight, no KV cache, no
batching, no padding): once on the source prompt to read a site, once on the base prompt with the
site overwritten, and scores the full-vocabulary logits. The sweep's numbers must match it.
"""

from __future__ import annotations

import torch

from nsmed.models.architectures import get_path


def module_for(lm, layer: int, module: str):
    block = get_path(lm.hf, lm.arch.layers)[layer]
    return block if module == "resid" else get_path(block, getattr(lm.arch, module))


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def reference_logits(lm, ids, patch=None) -> torch.Tensor:
    """Last-position logits [vocab] of one unpadded prompt ``ids`` (list of int).

    patch: optional (layer, module, offset, value [d_model]) written into that module's output.
    """
    handle = None
    if patch is not None:
        layer, module, offset, value = patch

        def hook(_mod, _inp, out):
            _first(out)[0, len(ids) + offset] = value
            return out

        handle = module_for(lm, layer, module).register_forward_hook(hook)
    try:
        with torch.no_grad():
            return lm.hf(torch.tensor([list(ids)])).logits[0, -1]
    finally:
        if handle is not None:
            handle.remove()


def reference_activation(lm, ids, layer: int, module: str, offset: int) -> torch.Tensor:
    """The output of (layer, module) at ``offset`` for one unpadded prompt, [d_model]."""
    got = {}

    def hook(_mod, _inp, out):
        got["v"] = _first(out)[0, len(ids) + offset].clone()

    h = module_for(lm, layer, module).register_forward_hook(hook)
    try:
        with torch.no_grad():
            lm.hf(torch.tensor([list(ids)]))
    finally:
        h.remove()
    return got["v"]


def reference_effects(lm, metric, pair, layer: int, module: str, offset: int) -> dict:
    """Independent TE, NIE and AE of one site for one ``EncodedPair`` (floats)."""
    y = lambda ids, patch=None: float(metric.score_from_logits(reference_logits(lm, ids, patch)))  # noqa: E731
    h, b = pair.harmful_ids, pair.harmless_ids
    y_h, y_b = y(h), y(b)
    act_h = reference_activation(lm, h, layer, module, offset)
    act_b = reference_activation(lm, b, layer, module, offset)
    return {
        "total_effect": y_h - y_b,
        "indirect_effect": y(b, (layer, module, offset, act_h)) - y_b,
        "ablation_effect": y_h - y(h, (layer, module, offset, act_b)),
    }
