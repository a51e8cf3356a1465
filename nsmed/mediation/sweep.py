"""One generic sweep over sites: for each chunk of pairs, a clean pass and batched patched passes.

For every pair and site it measures, in the same traces,
  NIE (denoising) = y(x_b; site <- site(x_h)) - y(x_b)   base = harmless, source = harmful
  AE  (noising)   = y(x_h) - y(x_h; site <- site(x_b))   base = harmful,  source = harmless
Strategy ``suffix`` recomputes only the last k = -offset positions of a run patched at ``offset``,
on top of the base prompt's prefix KV cache (exact: earlier positions cannot see the patch); rows
are grouped by k. ``full`` reruns the whole prompt. One code path (k = full width for ``full``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch

from nsmed.mediation.inputs import left_pad, suffix_inputs
from nsmed.mediation.runner import clean_pass, lm_cache_arg, patched_pass
from nsmed.sites import Site, site_grid

DIRECTIONS = ("nie", "ae")


@dataclass
class SweepSpec:
    """What to sweep. offsets: negative positions; strategy: ``suffix`` or ``full``;
    rows_per_trace: patched runs per trace (0 = from a memory budget); directions: which of
    ``nie`` (denoising) and ``ae`` (noising) to measure."""

    layers: list[int]
    modules: tuple[str, ...]
    offsets: list[int]
    strategy: str = "suffix"
    rows_per_trace: int = 0
    memory_budget: int = 512 * 2**20
    directions: tuple[str, ...] = DIRECTIONS

    @property
    def sites(self) -> list[Site]:
        return site_grid(self.layers, self.modules, self.offsets)


@dataclass
class ChunkResult:
    """Per chunk of P pairs: scores [P]; effects [P, layers, modules, offsets] (NaN where skipped)."""

    score_harmful: np.ndarray
    score_harmless: np.ndarray
    indirect_effect: np.ndarray
    ablation_effect: np.ndarray

    def as_store_values(self) -> dict:
        return {
            "score_harmful": self.score_harmful,
            "score_harmless": self.score_harmless,
            "total_effect": self.score_harmful - self.score_harmless,
            "indirect_effect": self.indirect_effect,
            "ablation_effect": self.ablation_effect,
        }


def plan_rows(encoded, sites, directions=DIRECTIONS) -> list[tuple[int, str, Site]]:
    """Patched runs of a chunk: (pair index in chunk, direction, site), skipping sites a pair cannot
    take (offset beyond its comparable tokens)."""
    return [(i, d, s) for i, e in enumerate(encoded) for s in sites if -s.position <= e.max_offset for d in directions]


def rows_per_trace(spec: SweepSpec, lm, kv, width: int, k: int, n_rows: int) -> int:
    """Patched runs per trace: the option if set, else as many as ``spec.memory_budget`` allows.

    Per row: the prefix KV cache (twice: the cache update concatenates) plus ~k tokens of live
    activations (4 x d_mlp + 8 x d_model floats per token).
    """
    if spec.rows_per_trace > 0:
        return spec.rows_per_trace
    kv_bytes = 0 if kv is None else 2 * sum(2 * key[0].numel() * key.element_size() for key, _ in kv) * (width - k) // width
    act_bytes = k * 4 * (4 * lm.d_mlp + 8 * lm.d_model)
    return int(max(1, min(n_rows, spec.memory_budget // (kv_bytes + act_bytes))))


def _patches(rows, src_rows, clean, spec, k):
    """Group one trace's rows by (layer, module) into (rows, cols, values) patch tensors."""
    slot = {o: j for j, o in enumerate(spec.offsets)}
    groups: dict = {}
    for r, (_, _, site) in enumerate(rows):
        groups.setdefault((site.layer, site.module), []).append((r, site.position))
    patches = {}
    for key, items in groups.items():
        r_idx = torch.tensor([r for r, _ in items])
        pos = [p for _, p in items]
        values = clean.acts[key][src_rows[r_idx], torch.tensor([slot[p] for p in pos])]
        patches[key] = (r_idx, torch.tensor([k + p for p in pos]), values)
    return patches


def suffix_groups(rows, spec: SweepSpec, width: int) -> dict[int, list]:
    """Rows grouped by how many final positions they recompute: -offset with ``suffix`` (a patch at
    offset p cannot change positions before p), the whole width with ``full``."""
    groups: dict[int, list] = {}
    for row in rows:
        k = width if spec.strategy == "full" else -row[2].position
        groups.setdefault(k, []).append(row)
    return groups


def run_chunk(lm, backend, readout, encoded, spec: SweepSpec, progress: Callable[[int], None] | None = None) -> ChunkResult:
    """Sweep every site of ``spec`` over one chunk of encoded pairs."""
    n = len(encoded)
    pad = lm.tokenizer.pad_token_id if lm.tokenizer.pad_token_id is not None else 0
    batch = left_pad([e.harmful_ids for e in encoded] + [e.harmless_ids for e in encoded], pad)
    base = {"input_ids": batch.ids, "attention_mask": batch.mask, "position_ids": batch.position_ids}
    rows = plan_rows(encoded, spec.sites, spec.directions)
    groups = suffix_groups(rows, spec, batch.width)
    with torch.no_grad():
        keep_cache = any(k < batch.width for k in groups)
        clean = clean_pass(lm, backend, base, spec.layers, spec.modules, spec.offsets, keep_cache=keep_cache)
        scores = readout(clean.hidden).numpy()
        shape = (n, len(spec.layers), len(spec.modules), len(spec.offsets))
        out = {d: np.full(shape, np.nan, dtype=np.float32) for d in DIRECTIONS}
        for k, group in sorted(groups.items()):
            step = rows_per_trace(spec, lm, clean.kv, batch.width, k, len(group))
            for start in range(0, len(group), step):
                part = group[start:start + step]
                base_rows = torch.tensor([i + n if d == "nie" else i for i, d, _ in part])
                src_rows = torch.tensor([i if d == "nie" else i + n for i, d, _ in part])
                inputs = suffix_inputs(batch, base_rows, k, clean.kv, lm_cache_arg(lm))
                patched = readout(patched_pass(lm, backend, inputs, _patches(part, src_rows, clean, spec, k))).numpy()
                for (i, d, s), y in zip(part, patched):
                    cell = (i, spec.layers.index(s.layer), spec.modules.index(s.module), spec.offsets.index(s.position))
                    out[d][cell] = y - scores[n + i] if d == "nie" else scores[i] - y
                if progress:
                    progress(len(part))
    return ChunkResult(scores[:n], scores[n:], out["nie"], out["ae"])


def sweep(lm, backend, readout, encoded, spec: SweepSpec, chunk: int,
          progress: Callable[[int], None] | None = None) -> Iterator[tuple[int, ChunkResult]]:
    """Yield (start index, ChunkResult) for each chunk of ``chunk`` pairs, in order."""
    for start in range(0, len(encoded), chunk):
        yield start, run_chunk(lm, backend, readout, encoded[start:start + chunk], spec, progress)
