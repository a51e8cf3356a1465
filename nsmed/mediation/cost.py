"""Cost planning: how many forward-equivalents a sweep needs, with and without suffix
recomputation, and an estimated time from a short calibration on the first pair.

A forward-equivalent (FE) is one full forward of one prompt. Per pair, the clean pass costs 2 FE
(harmful + harmless). A patched run costs 1 FE with full forwards, and about k / T FE with suffix
recomputation (k = -offset recomputed positions, T = prompt length; attention over the cached
prefix is the small remainder).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CostPlan:
    """Sizes and costs of a sweep. Times are seconds; FE = forward-equivalents."""

    pairs: int
    sites: int
    patched_runs: int
    mean_tokens: float
    suffix_len: int
    fe_full: float
    fe_suffix: float
    strategy: str
    seconds_per_pair_clean: float | None = None
    seconds_per_patched_run: float | None = None

    @property
    def estimate_s(self) -> float | None:
        if self.seconds_per_patched_run is None:
            return None
        return self.pairs * self.seconds_per_pair_clean + self.patched_runs * self.seconds_per_patched_run

    def lines(self) -> list[str]:
        out = [
            f"pairs {self.pairs}, sites {self.sites}, patched runs {self.patched_runs} (mean prompt {self.mean_tokens:.1f} tokens)",
            f"forward-equivalents: full-forward patching {self.fe_full:,.0f}; suffix recomputation (k<={self.suffix_len}) "
            f"{self.fe_suffix:,.0f}  ({self.fe_full / max(self.fe_suffix, 1e-9):.1f}x fewer)",
            f"strategy {self.strategy}",
        ]
        if self.estimate_s is not None:
            out.append(f"estimated time {_hms(self.estimate_s)} (calibrated: {self.seconds_per_pair_clean:.2f} s per pair clean pass, "
                       f"{1000 * self.seconds_per_patched_run:.1f} ms per patched run)")
        return out


def _hms(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def count(prepared) -> CostPlan:
    """Sizes and forward-equivalents of a prepared run (no compute). A run patched at offset p
    recomputes -p of its pair's T positions with suffix recomputation."""
    from nsmed.mediation.sweep import plan_rows

    spec, enc = prepared.spec, prepared.encoded
    rows = plan_rows(enc, spec.sites, spec.directions)
    lengths = [len(e.harmless_ids) for e in enc]
    fe_suffix = 2 * len(enc) + sum(min(1.0, -site.position / lengths[i]) for i, _, site in rows)
    return CostPlan(len(enc), len(spec.sites), len(rows), float(np.mean(lengths)), -min(spec.offsets),
                    2 * len(enc) + len(rows), fe_suffix, spec.strategy)


def calibrate(prepared, plan: CostPlan) -> CostPlan:
    """Time the first pair's clean pass and its patched runs; extrapolate linearly to the run.

    Costs about one pair of sweep work (a run then sweeps that pair again).
    """
    import dataclasses

    from nsmed.mediation.readout import Readout
    from nsmed.mediation.sweep import plan_rows, run_chunk

    spec = prepared.spec
    first = prepared.encoded[:1]
    ro = Readout(prepared.lm, prepared.metric)
    runs = len(plan_rows(first, spec.sites, spec.directions))
    clean_only = dataclasses.replace(spec, layers=spec.layers[:1], modules=spec.modules[:1], offsets=spec.offsets[-1:],
                                     directions=())
    run_chunk(prepared.lm, prepared.backend, ro, first, clean_only)  # warm-up
    t0 = time.perf_counter()
    run_chunk(prepared.lm, prepared.backend, ro, first, clean_only)
    t_clean = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_chunk(prepared.lm, prepared.backend, ro, first, spec)
    t_all = time.perf_counter() - t0
    per_run = max(t_all - t_clean, 0.0) / max(runs, 1)
    return dataclasses.replace(plan, seconds_per_pair_clean=t_clean, seconds_per_patched_run=per_run)
