"""A run from config to store: prepare (model, pairs, sites, backend), then sweep chunk by chunk,
writing each chunk's region as soon as it is done. The CLI and experiment scripts call this.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from typing import Callable

from nsmed.config import RunConfig
from nsmed.errors import NsmedError


@dataclass
class Prepared:
    """Everything a sweep needs, resolved and checked before any compute."""

    cfg: RunConfig
    lm: object
    metric: object
    encoded: list
    spec: object
    backend: object
    notes: list[str] = field(default_factory=list)


def resolve_strategy(cfg: RunConfig, backend) -> tuple[str, list[str]]:
    """``suffix`` where the backend can take a KV cache, else ``full``, with a note when falling back."""
    if cfg.strategy == "full":
        return "full", []
    if backend.supports_kv_cache:
        return "suffix", []
    if cfg.strategy == "suffix":
        raise NsmedError(f"backend {backend.name!r} cannot take a KV cache; use --strategy full or auto")
    return "full", [f"backend {backend.name!r} cannot take a KV cache: using full-forward patching"]


def prepare(cfg: RunConfig, lm=None) -> Prepared:
    """Load (or reuse ``lm``), read and template the pairs, resolve positions, sites and strategy."""
    from nsmed.backends.registry import get_backend
    from nsmed.data.pairs import check_positions, encode_pairs, load_pairs
    from nsmed.mediation.sweep import SweepSpec
    from nsmed.metrics import RefusalMetric
    from nsmed.models.loading import load_model
    from nsmed.sites import parse_positions

    if cfg.threads:
        import torch

        torch.set_num_threads(cfg.threads)
    if "neuron" in cfg.granularity:
        raise NsmedError("neuron granularity is not available in this version of nsmed yet; use layer,module")
    backend = get_backend(cfg.backend)
    pairs = load_pairs(cfg.dataset, cfg.limit)
    lm = lm if lm is not None else load_model(cfg.model)
    encoded = encode_pairs(lm.tokenizer, pairs)
    aligned_len = max(len(e.harmful_ids) for e in encoded) if all(e.aligned for e in encoded) else None
    offsets = parse_positions(cfg.positions, aligned_len)
    notes = check_positions(encoded, offsets)
    strategy, more = resolve_strategy(cfg, backend)
    spec = SweepSpec(list(range(lm.n_layers)), cfg.modules, offsets, strategy, cfg.rows_per_trace,
                     memory_budget(), cfg.directions)
    return Prepared(cfg, lm, RefusalMetric.from_tokenizer(lm.tokenizer), encoded, spec, backend, notes + more)


def memory_budget(cap: int = 512 * 2**20, share: float = 0.25) -> int:
    """Bytes the patched rows of one trace may use: ``share`` of available RAM, at most ``cap``."""
    import os

    try:
        avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return cap
    return int(max(32 * 2**20, min(cap, share * avail)))


def store_attrs(p: Prepared) -> dict:
    """Self-describing attrs of the run's store."""
    import nnsight
    import torch
    import transformers

    import nsmed

    return {
        "nsmed_version": nsmed.__version__,
        **p.lm.provenance(),
        **p.metric.to_attrs(),
        "corruption": "counterfactual: each pair's harmless prompt is the base/corrupt run of its harmful prompt",
        "effect_direction": "positive = more refusal; NIE patches harmful-run values into the harmless run, "
                            "AE patches harmless-run values into the harmful run",
        "positions": json.dumps(p.spec.offsets),
        "strategy": p.spec.strategy,
        **p.backend.describe(),
        "config": p.cfg.to_json(),
        "notes": json.dumps(p.notes),
        "environment": json.dumps({"python": platform.python_version(), "torch": torch.__version__,
                                   "transformers": transformers.__version__, "nnsight": nnsight.__version__}),
    }


def execute(p: Prepared, progress: Callable[[int], None] | None = None) -> str:
    """Create the store, sweep, write each chunk by region, mark complete. Returns the store path."""
    from nsmed.mediation.readout import Readout
    from nsmed.mediation.sweep import sweep
    from nsmed.store import schema, zarr_store

    chunk = p.cfg.pairs_per_chunk
    tmpl = schema.template(p.encoded, p.lm.n_layers, p.spec.modules, p.spec.offsets, store_attrs(p), chunk)
    path = zarr_store.create(p.cfg.out, tmpl, overwrite=p.cfg.overwrite)
    try:
        for start, result in sweep(p.lm, p.backend, Readout(p.lm, p.metric), p.encoded, p.spec, chunk, progress=progress):
            zarr_store.write_pairs(path, start, result.as_store_values())
    except BaseException as e:
        zarr_store.mark_failed(path, f"{type(e).__name__}: {e}")
        raise
    zarr_store.finish(path)
    return str(path)
