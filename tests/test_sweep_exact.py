"""The sweep's effects equal an independent recomputation with plain PyTorch hooks (no nnsight).

Checked for both strategies (suffix recomputation over a KV cache, and full forwards), for the
local backend and for nnsight's remote serialisation (``remote="local"``), on mixed-length pairs
(left padding) and at several positions.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nsmed.backends.registry import get_backend
from nsmed.data.pairs import Pair, encode_pairs, load_pairs
from nsmed.mediation.readout import Readout
from nsmed.mediation.sweep import SweepSpec, run_chunk
from nsmed.metrics import RefusalMetric
from nsmed.testing import reference_effects

OFFSETS = [-4, -2, -1]


def _pairs(tok, n=3):
    pairs = load_pairs("default", limit=n) + [Pair("odd", "test", "Tell me how to hack a bank now.", "Write a poem about a cat.")]
    return encode_pairs(tok, pairs)


def _check_against_reference(lm, result, encoded, spec, metric, sites, tol):
    worst = 0.0
    for pi in range(len(encoded)):
        te = result.score_harmful[pi] - result.score_harmless[pi]
        for layer, module, offset in sites:
            ref = reference_effects(lm, metric, encoded[pi], layer, module, offset)
            cell = (pi, spec.layers.index(layer), spec.modules.index(module), spec.offsets.index(offset))
            got = {"total_effect": te, "indirect_effect": result.indirect_effect[cell], "ablation_effect": result.ablation_effect[cell]}
            for k in ref:
                worst = max(worst, abs(float(got[k]) - ref[k]))
    assert worst <= tol, worst


@pytest.mark.parametrize("strategy", ["suffix", "full"])
@pytest.mark.parametrize("backend", ["local", "simulated"])
def test_tiny_sweep_matches_hooks(tiny, strategy, backend):
    metric = RefusalMetric.from_tokenizer(tiny.tokenizer)
    encoded = _pairs(tiny.tokenizer)
    assert not encoded[-1].aligned  # the mixed-length pair exercises left padding
    spec = SweepSpec([0, 1], ("attn", "mlp", "resid"), OFFSETS, strategy, rows_per_trace=7)
    # the unaligned pair only allows offsets inside its identical template tail
    assert encoded[-1].max_offset >= 4
    result = run_chunk(tiny, get_backend(backend), Readout(tiny, metric), encoded, spec)
    sites = [(0, "attn", -1), (0, "mlp", -2), (1, "resid", -4), (1, "mlp", -1), (1, "attn", -2)]
    _check_against_reference(tiny, result, encoded, spec, metric, sites, tol=1e-5)
    # effects are not trivially zero: the check above compares real numbers
    assert np.nanmax(np.abs(result.indirect_effect)) > 1e-2


def test_suffix_equals_full_on_every_site(tiny):
    """Suffix recomputation equals full-forward patching on every cell of a sweep (to 1e-5)."""
    metric = RefusalMetric.from_tokenizer(tiny.tokenizer)
    encoded = _pairs(tiny.tokenizer)
    ro, be = Readout(tiny, metric), get_backend("local")
    res = {s: run_chunk(tiny, be, ro, encoded, SweepSpec([0, 1], ("attn", "mlp", "resid"), OFFSETS, s)) for s in ("suffix", "full")}
    for var in ("indirect_effect", "ablation_effect"):
        a, b = getattr(res["suffix"], var), getattr(res["full"], var)
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)


def test_rows_per_trace_does_not_change_numbers(tiny):
    metric = RefusalMetric.from_tokenizer(tiny.tokenizer)
    encoded = _pairs(tiny.tokenizer, 2)
    ro, be = Readout(tiny, metric), get_backend("local")
    one = run_chunk(tiny, be, ro, encoded, SweepSpec([0, 1], ("attn", "mlp", "resid"), [-1], "suffix", rows_per_trace=1))
    many = run_chunk(tiny, be, ro, encoded, SweepSpec([0, 1], ("attn", "mlp", "resid"), [-1], "suffix", rows_per_trace=0))
    np.testing.assert_allclose(one.indirect_effect, many.indirect_effect, atol=1e-5, rtol=0)


def test_readout_equals_full_vocabulary_score(tiny):
    """Scoring from the final norm with only R∪C rows equals scoring the model's full logits."""
    metric = RefusalMetric.from_tokenizer(tiny.tokenizer)
    ids = torch.tensor([list(_pairs(tiny.tokenizer, 1)[0].harmful_ids)])
    with torch.no_grad():
        out = tiny.hf(ids, output_hidden_states=True)
    full = metric.score_from_logits(out.logits[:, -1])
    # hidden_states[-1] is the final-norm output in HF Llama
    assert torch.allclose(Readout(tiny, metric)(out.hidden_states[-1][:, -1]), full, atol=1e-5)


@pytest.mark.smollm2
def test_smollm2_suffix_equals_full(smollm2):
    metric = RefusalMetric.from_tokenizer(smollm2.tokenizer)
    encoded = encode_pairs(smollm2.tokenizer, load_pairs("default", limit=2))
    ro, be = Readout(smollm2, metric), get_backend("local")
    layers = [0, smollm2.n_layers // 2, smollm2.n_layers - 1]
    res = {s: run_chunk(smollm2, be, ro, encoded, SweepSpec(layers, ("attn", "mlp", "resid"), [-2, -1], s)) for s in ("suffix", "full")}
    np.testing.assert_allclose(res["suffix"].indirect_effect, res["full"].indirect_effect, atol=1e-4, rtol=0)
    np.testing.assert_allclose(res["suffix"].ablation_effect, res["full"].ablation_effect, atol=1e-4, rtol=0)
    spec = SweepSpec(layers, ("attn", "mlp", "resid"), [-2, -1], "suffix")
    _check_against_reference(smollm2, res["suffix"], encoded, spec, metric, [(layers[-1], "mlp", -1), (layers[1], "resid", -2)], tol=1e-4)
