"""Benchmark: nsmed's exact sweep vs a naive hook loop vs the suffix-recomputation floor.

One process, one model load, repetitions interleaved (a, b, c, a, b, c, ...); medians reported.
  (a) naive: one full HF forward per site (plain PyTorch forward hooks), full-vocabulary logits;
  (b) nsmed: the exact sweep (nnsight traces, suffix recomputation, batched rows, R∪C readout);
  (c) floor: what suffix recomputation theoretically needs, without nnsight or patching: the same
      clean forwards and the same number of single-position rows over the prefix KV cache, batched
      the same way, through the plain HF base model (no vocabulary projection).
All three measure the denoising NIE of every layer x {resid, attn, mlp} at the last position.

    python benchmarks/bench_sweep.py [--model default] [--pairs 16] [--reps 3] [--out results/bench.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import threading
import time

import numpy as np
import torch

from nsmed.backends.registry import get_backend
from nsmed.data.pairs import encode_pairs, load_pairs
from nsmed.mediation.inputs import left_pad, suffix_inputs
from nsmed.mediation.readout import Readout
from nsmed.mediation.sweep import SweepSpec, plan_rows, rows_per_trace, sweep
from nsmed.metrics import RefusalMetric
from nsmed.models.loading import load_model
from nsmed.pipeline import memory_budget
from nsmed.testing import module_for

MODULES = ("attn", "mlp", "resid")
CHUNK = 8


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRSS:
    """Samples this process's RSS every 5 ms while active; ``peak`` in bytes."""

    def __enter__(self):
        self.peak, self._stop = rss_bytes(), threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, rss_bytes())


def naive(lm, metric, encoded) -> np.ndarray:
    """NIE [pairs, layers, modules] with one full forward per site and plain hooks."""
    out = np.full((len(encoded), lm.n_layers, len(MODULES)), np.nan)
    sites = [(l, m) for l in range(lm.n_layers) for m in MODULES]
    with torch.no_grad():
        for pi, e in enumerate(encoded):
            acts, handles = {}, []
            for l, m in sites:
                def grab(_mod, _inp, o, key=(l, m)):
                    acts[key] = (o[0] if isinstance(o, tuple) else o)[0, -1].clone()
                handles.append(module_for(lm, l, m).register_forward_hook(grab))
            lm.hf(torch.tensor([list(e.harmful_ids)]))
            for h in handles:
                h.remove()
            base = torch.tensor([list(e.harmless_ids)])
            y_b = float(metric.score_from_logits(lm.hf(base).logits[0, -1]))
            for l, m in sites:
                def put(_mod, _inp, o, v=acts[(l, m)]):
                    (o[0] if isinstance(o, tuple) else o)[0, -1] = v
                    return o
                h = module_for(lm, l, m).register_forward_hook(put)
                out[pi, l, MODULES.index(m)] = float(metric.score_from_logits(lm.hf(base).logits[0, -1])) - y_b
                h.remove()
    return out


def nsmed_sweep(lm, readout, encoded, spec) -> np.ndarray:
    res = np.full((len(encoded), lm.n_layers, len(MODULES)), np.nan)
    for start, r in sweep(lm, get_backend("local"), readout, encoded, spec, CHUNK):
        res[start:start + len(r.score_harmful)] = r.indirect_effect[..., 0]
    return res


def floor(lm, encoded, spec) -> None:
    """The same clean forwards and number of single-position rows, plain HF, no patching."""
    from nsmed.mediation.inputs import cache_tensors
    from nsmed.mediation.runner import lm_cache_arg

    base_model, cache_arg = lm.hf.get_decoder(), lm_cache_arg(lm)
    with torch.no_grad():
        for start in range(0, len(encoded), CHUNK):
            enc = encoded[start:start + CHUNK]
            n = len(enc)
            batch = left_pad([e.harmful_ids for e in enc] + [e.harmless_ids for e in enc], lm.tokenizer.pad_token_id or 0)
            out = base_model(input_ids=batch.ids, attention_mask=batch.mask, position_ids=batch.position_ids, use_cache=True)
            kv = cache_tensors(out.past_key_values if hasattr(out, "past_key_values") else out.cache)
            rows = plan_rows(enc, spec.sites, spec.directions)
            step = rows_per_trace(spec, lm, kv, batch.width, 1, len(rows))
            for s in range(0, len(rows), step):
                base_rows = torch.tensor([i + n for i, _, _ in rows[s:s + step]])
                base_model(**suffix_inputs(batch, base_rows, 1, kv, cache_arg))


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="default")
    ap.add_argument("--pairs", type=int, default=16)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default="results/bench.json")
    args = ap.parse_args()

    lm = load_model(args.model)
    metric = RefusalMetric.from_tokenizer(lm.tokenizer)
    readout = Readout(lm, metric)
    encoded = encode_pairs(lm.tokenizer, load_pairs("default", limit=args.pairs))
    spec = SweepSpec(list(range(lm.n_layers)), MODULES, [-1], "suffix", 0, memory_budget(), ("nie",))
    weights = sum(p.numel() * p.element_size() for p in lm.hf.parameters())
    times = {"a": [], "b": [], "c": []}
    peak_b, max_diff = 0, 0.0
    nsmed_sweep(lm, readout, encoded[:1], spec)  # warm-up (lazy init), not timed
    for rep in range(args.reps):
        t, res_a = timed(naive, lm, metric, encoded)
        times["a"].append(t)
        with PeakRSS() as peak:
            t, res_b = timed(nsmed_sweep, lm, readout, encoded, spec)
        times["b"].append(t)
        peak_b = max(peak_b, peak.peak)
        max_diff = max(max_diff, float(np.nanmax(np.abs(res_a - res_b))))
        t, _ = timed(floor, lm, encoded, spec)
        times["c"].append(t)
        print(f"rep {rep}: a {times['a'][-1]:.1f}s  b {times['b'][-1]:.2f}s  c {times['c'][-1]:.2f}s  max|a-b| {max_diff:.2e}", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    report = {
        "model": lm.hub_id or lm.name, "pairs": len(encoded), "sites_per_pair": len(spec.sites), "effect": "NIE (denoising)",
        "positions": spec.offsets, "reps": args.reps, "times_s": times, "median_s": med,
        "ratio_a_over_b": med["a"] / med["b"], "ratio_b_over_c": med["b"] / med["c"], "max_abs_diff_a_b": max_diff,
        "peak_rss_b_bytes": peak_b, "weights_fp32_bytes": weights, "peak_rss_b_over_weights": peak_b / weights,
        "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(), "python": platform.python_version(),
        "torch": torch.__version__,
    }
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps({k: v for k, v in report.items() if k != "times_s"}, indent=1))


if __name__ == "__main__":
    main()
