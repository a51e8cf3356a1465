"""The nnsight traces of a sweep: a clean pass that records site activations, and a patched pass.

Everything here is an nnsight trace executed through a ``Backend``; no torch hooks. Site values
are read/written on the component outputs declared in ``nsmed.models.architectures``:
``attn``/``mlp`` = the block's output (``[0]`` when the module returns a tuple), ``resid`` = the
decoder layer's output. Inside one trace, modules are visited in execution order.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nsmed.models.architectures import get_path
from nsmed.sites import EXECUTION_ORDER


def component(lm, block, module: str):
    """The nnsight output of ``module`` in decoder ``block`` (an Envoy), unwrapped from a tuple."""
    env = block if module == "resid" else get_path(block, getattr(lm.arch, module))
    out = env.output
    return out[0] if lm.tuple_outputs[module] else out


def _ordered(keys):
    return sorted(keys, key=lambda lm_: (lm_[0], EXECUTION_ORDER[lm_[1]]))


@dataclass
class CleanResult:
    """acts: (layer, module) -> [rows, n_offsets, d_model]; hidden: [rows, d_model] final-norm at the
    last position; kv: per-layer (keys, values) [rows, kv_heads, T, head_dim] or None."""

    acts: dict
    hidden: torch.Tensor
    kv: list | None


def clean_pass(lm, backend, inputs: dict, layers, modules, offsets, keep_cache: bool) -> CleanResult:
    """Run the unpatched prompts once, recording each (layer, module) at ``offsets`` (negative)."""
    from nsmed.mediation.inputs import cache_tensors

    # offsets before a shorter chunk's start read column 0; plan_rows never uses those cells
    cols = (torch.tensor(offsets) + inputs["input_ids"].shape[1]).clamp(min=0)
    blocks = get_path(lm.nn, lm.arch.layers)
    norm = get_path(lm.nn, lm.arch.final_norm)
    saved: dict = {}  # nnsight: containers must exist before the trace block
    inputs = {**inputs, "use_cache": keep_cache, **_last_logit_only(lm)}
    if keep_cache:
        # A config-less cache keeps every position of every layer (a config-aware one would trim
        # sliding-window layers), so suffix inputs can slice one uniform prefix from it.
        from transformers import DynamicCache

        inputs[lm_cache_arg(lm)] = DynamicCache()
    with backend.trace(lm.nn, inputs):
        for layer, module in _ordered([(l, m) for l in layers for m in modules]):
            saved[(layer, module)] = component(lm, blocks[layer], module)[:, cols].save()
        saved["hidden"] = norm.output[:, -1].save()
        if keep_cache:
            saved["cache"] = getattr(lm.nn.output, lm_cache_arg(lm)).save()
    acts = {k: v for k, v in saved.items() if isinstance(k, tuple)}
    kv = cache_tensors(saved["cache"]) if keep_cache else None
    return CleanResult(acts, saved["hidden"], kv)


def patched_pass(lm, backend, inputs: dict, patches: dict) -> torch.Tensor:
    """Run ``inputs`` with site values overwritten; return the final-norm hidden state at the last
    position, [rows, d_model]. The vocabulary projection is skipped (the trace stops after the norm).

    patches: (layer, module) -> (rows [n], cols [n], values [n, d_model]); cols index the input's
    sequence axis (so they are suffix-relative when ``inputs`` is a suffix).
    """
    blocks = get_path(lm.nn, lm.arch.layers)
    norm = get_path(lm.nn, lm.arch.final_norm)
    saved: dict = {}
    with backend.trace(lm.nn, inputs) as tracer:
        for layer, module in _ordered(patches):
            rows, cols, values = patches[(layer, module)]
            component(lm, blocks[layer], module)[rows, cols] = values
        saved["hidden"] = norm.output[:, -1].save()
        tracer.stop()
    return saved["hidden"]


def lm_cache_arg(lm) -> str:
    """The forward kwarg that takes a KV cache (``cache`` on newer transformers, else ``past_key_values``)."""
    import inspect

    params = inspect.signature(lm.hf.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def _last_logit_only(lm) -> dict:
    """Ask HF for last-position logits only, where the forward supports it."""
    import inspect

    return {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(lm.hf.forward).parameters else {}
