"""``nsmed run --model tiny`` writes a store whose values equal an independent hook recomputation;
the embedded dataset is token-aligned under the default model; a small default run gives TE > 0."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import nsmed
from nsmed.cli.main import app
from nsmed.data.pairs import encode_pairs, load_pairs
from nsmed.metrics import RefusalMetric
from nsmed.testing import reference_effects


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "tiny.zarr"
    res = CliRunner().invoke(app, ["run", "--model", "tiny", "--limit", "5", "--positions", "-1,-3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_store_schema(tiny_store):
    ds = nsmed.open_effects(tiny_store)
    assert dict(ds.sizes) == {"pair": 5, "layer": 2, "module": 3, "position": 2}
    for var, dims in {"total_effect": ("pair",), "score_harmful": ("pair",), "score_harmless": ("pair",),
                      "indirect_effect": ("pair", "layer", "module", "position"),
                      "ablation_effect": ("pair", "layer", "module", "position")}.items():
        assert ds[var].dims == dims
    assert list(ds["position"].values) == [-3, -1]
    assert ds.attrs["status"] == "complete" and ds.attrs["completed_pairs"] == [0, 1, 2, 3, 4]
    cfg = json.loads(ds.attrs["config"])
    assert cfg["model"] == "tiny" and cfg["limit"] == 5
    assert ds.attrs["refusal_tokens"] and len(ds.attrs["refusal_ids"]) == len(ds.attrs["refusal_tokens"])
    pairs = load_pairs("default", limit=5)
    assert list(ds["pair_id"].values) == [p.id for p in pairs]
    assert list(ds["harmful_prompt"].values) == [p.harmful for p in pairs]
    np.testing.assert_allclose(ds["total_effect"], ds["score_harmful"] - ds["score_harmless"], atol=1e-6)


def test_store_values_equal_hook_recomputation(tiny_store, tiny):
    ds = nsmed.open_effects(tiny_store)
    metric = RefusalMetric.from_tokenizer(tiny.tokenizer)
    assert list(metric.refusal_ids) == ds.attrs["refusal_ids"]
    encoded = encode_pairs(tiny.tokenizer, load_pairs("default", limit=5))
    for pi in (0, 3):
        for layer, module, pos in [(0, "attn", -1), (1, "mlp", -3), (1, "resid", -1), (0, "mlp", -1)]:
            ref = reference_effects(tiny, metric, encoded[pi], layer, module, pos)
            cell = dict(pair=pi, layer=layer, module=module, position=pos)
            assert abs(float(ds["indirect_effect"].sel(**cell)) - ref["indirect_effect"]) < 1e-5
            assert abs(float(ds["ablation_effect"].sel(**cell)) - ref["ablation_effect"]) < 1e-5
            assert abs(float(ds["total_effect"].sel(pair=pi)) - ref["total_effect"]) < 1e-5


def test_inspect_reports_te(tiny_store):
    res = CliRunner().invoke(app, ["inspect", str(tiny_store)])
    assert res.exit_code == 0, res.output
    te = nsmed.open_effects(tiny_store)["total_effect"].values.mean()
    line = next(l for l in res.output.splitlines() if l.startswith("TE"))
    assert f"{te:+.3f}" in line and "95% CI" in line


@pytest.mark.default_model
def test_embedded_pairs_token_aligned_under_default(default_model):
    encoded = encode_pairs(default_model.tokenizer, load_pairs("default"))
    assert len(encoded) >= 48
    for e in encoded:
        assert e.aligned, e.pair.id
        diff = [i for i, (a, b) in enumerate(zip(e.harmful_ids, e.harmless_ids)) if a != b]
        assert diff, e.pair.id  # a real minimal edit
        assert e.common_suffix >= 5  # the template tail (<|im_end|>, assistant turn) is shared


@pytest.mark.default_model
def test_default_run_positive_te(default_model, tmp_path):
    from nsmed import pipeline
    from nsmed.config import RunConfig

    cfg = RunConfig(model="default", limit=4, out=str(tmp_path / "d.zarr"), granularity=("layer",))
    path = pipeline.execute(pipeline.prepare(cfg, lm=default_model))
    ds = nsmed.open_effects(path)
    assert float(ds["total_effect"].mean()) > 0  # harmful prompts are refused more
    # the last layer's residual stream carries the whole effect at the last position (NIE = TE)
    last = ds["indirect_effect"].sel(layer=default_model.n_layers - 1, module="resid", position=-1)
    np.testing.assert_allclose(last, ds["total_effect"], atol=1e-3)
