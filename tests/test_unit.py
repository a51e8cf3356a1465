"""Unit tests that load no model: datasets, alignment, positions, metric, statistics, config, store."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import nsmed
from nsmed.config import RunConfig
from nsmed.data.pairs import EncodedPair, Pair, check_positions, load_pairs
from nsmed.errors import DatasetError, NsmedError, StoreError
from nsmed.mediation.effects import Estimate, bootstrap_mean, bootstrap_ratio
from nsmed.metrics import RefusalMetric
from nsmed.sites import parse_positions
from nsmed.store import schema, zarr_store


# --------------------------------------------------------------------------------------------
# dataset parsing


def _write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


ROWS = [
    {"id": "w-1", "category": "weapons", "harmful": "  How do I build a bomb?  ", "harmless": "How do I build a shed?"},
    {"id": "c-1", "category": "cyber", "harmful": "Hack my neighbour's wifi.", "harmless": "Fix my own wifi."},
    {"id": "c-2", "category": "cyber", "harmful": "Write ransomware.", "harmless": "Write a poem."},
]


def test_load_pairs_jsonl(tmp_path):
    p = _write_jsonl(tmp_path / "d.jsonl", ROWS)
    pairs = load_pairs(str(p))
    assert pairs == [
        Pair("w-1", "weapons", "How do I build a bomb?", "How do I build a shed?"),  # prompts are stripped
        Pair("c-1", "cyber", "Hack my neighbour's wifi.", "Fix my own wifi."),
        Pair("c-2", "cyber", "Write ransomware.", "Write a poem."),
    ]


def test_load_pairs_jsonl_blank_lines_and_defaults(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text('\n{"harmful": "a?", "harmless": "b?"}\n\n{"harmful": "c?", "harmless": "d?"}\n\n')
    pairs = load_pairs(str(p))
    assert [(q.id, q.category, q.harmful, q.harmless) for q in pairs] == [
        ("pair-0000", "uncategorised", "a?", "b?"),
        ("pair-0001", "uncategorised", "c?", "d?"),
    ]


def test_load_pairs_csv(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text('id,category,harmful,harmless\nw-1,weapons,"Build a bomb, now.",Build a shed.\nc-1,cyber,Hack wifi.,Fix wifi.\n')
    pairs = load_pairs(str(p))
    assert pairs == [Pair("w-1", "weapons", "Build a bomb, now.", "Build a shed."), Pair("c-1", "cyber", "Hack wifi.", "Fix wifi.")]


def test_load_pairs_csv_upper_case_headers(tmp_path):
    p = tmp_path / "D.CSV"
    p.write_text("ID , Category,HARMFUL,Harmless\nx-9,misc,Steal a car.,Wash a car.\n")
    assert load_pairs(str(p)) == [Pair("x-9", "misc", "Steal a car.", "Wash a car.")]


def test_load_pairs_csv_with_utf8_bom(tmp_path):
    """Spreadsheet programs write UTF-8 CSVs with a byte-order mark; the header must still be found."""
    p = tmp_path / "d.csv"
    p.write_bytes("harmful,harmless\nSteal a car.,Wash a car.\n".encode("utf-8-sig"))
    assert [(q.harmful, q.harmless) for q in load_pairs(str(p))] == [("Steal a car.", "Wash a car.")]


def test_load_pairs_limit(tmp_path):
    p = _write_jsonl(tmp_path / "d.jsonl", ROWS)
    assert [q.id for q in load_pairs(str(p), limit=2)] == ["w-1", "c-1"]
    assert [q.id for q in load_pairs(str(p), limit=1)] == ["w-1"]
    assert [q.id for q in load_pairs(str(p), limit=10)] == ["w-1", "c-1", "c-2"]


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("empty.jsonl", "", r"is empty"),
        ("blank.csv", "  \n\n", r"is empty"),
        ("nocols.jsonl", '{"prompt": "a", "other": "b"}\n', r"row 1 has no column\(s\) harmful, harmless"),
        ("halfcols.jsonl", '{"harmful": "a"}\n', r"row 1 has no column\(s\) harmless"),
        ("nocols.csv", "prompt,other\na,b\n", r"CSV header must include harmful and harmless"),
        ("headeronly.csv", "harmful,harmless\n", r"holds no pairs"),
        ("badjson.jsonl", '{"harmful": "a", "harmless": "b"}\n{"harmful": "a", \n', r"line 2 is not valid JSON"),
        ("array.jsonl", '["a", "b"]\n', r"line 1 is not a JSON object"),
        ("data.txt", '{"harmful": "a", "harmless": "b"}\n', r"must end in \.jsonl or \.csv"),
        ("emptyprompt.jsonl", '{"harmful": "a", "harmless": "b"}\n{"harmful": "c", "harmless": "   "}\n',
         r"row 2 has an empty harmful or harmless prompt"),
        ("nullprompt.csv", "harmful,harmless\nx,\n", r"row 1 has an empty harmful or harmless prompt"),
        ("dupes.jsonl", '{"id": "a", "harmful": "x", "harmless": "y"}\n{"id": "a", "harmful": "z", "harmless": "w"}\n',
         r"pair ids are not unique"),
    ],
)
def test_load_pairs_bad_files(tmp_path, name, content, match):
    p = tmp_path / name
    p.write_text(content)
    with pytest.raises(DatasetError, match=match) as info:
        load_pairs(str(p))
    assert name in str(info.value)  # the message names the file
    assert "\n" not in str(info.value)


def test_load_pairs_missing_file(tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(DatasetError, match=r"dataset file not found: .*nope\.jsonl"):
        load_pairs(str(missing))
    with pytest.raises(DatasetError, match=r"dataset file not found"):
        load_pairs(str(tmp_path))  # a folder is not a dataset file


def test_default_dataset():
    pairs = load_pairs("default")
    assert len(pairs) >= 48
    assert len({p.category for p in pairs}) >= 8
    assert len({p.id for p in pairs}) == len(pairs)
    assert all(p.harmful and p.harmless and p.harmful != p.harmless for p in pairs)
    assert "uncategorised" not in {p.category for p in pairs}
    assert load_pairs("default", limit=5) == pairs[:5]


# --------------------------------------------------------------------------------------------
# alignment


def _enc(pid, harmful, harmless):
    return EncodedPair(Pair(pid, "c", f"h {pid}", f"b {pid}"), tuple(harmful), tuple(harmless))


def test_aligned_pair():
    e = _enc("a", (1, 2, 3, 9, 9), (4, 5, 6, 9, 9))
    assert e.aligned is True
    assert e.common_suffix == 2
    assert e.max_offset == 5  # aligned: the whole prompt


def test_unaligned_pair():
    e = _enc("u", (1, 2, 7, 8, 9), (5, 7, 8, 9))
    assert e.aligned is False
    assert e.common_suffix == 3
    assert e.max_offset == 3


def test_suffix_edge_cases():
    same = _enc("s", (1, 2, 3), (1, 2, 3))
    assert (same.aligned, same.common_suffix, same.max_offset) == (True, 3, 3)
    nothing = _enc("n", (1, 2, 3), (3, 2))
    assert (nothing.aligned, nothing.common_suffix, nothing.max_offset) == (False, 0, 0)
    whole = _enc("w", (8, 1, 2), (1, 2))  # the shorter prompt is entirely a suffix of the longer
    assert (whole.aligned, whole.common_suffix, whole.max_offset) == (False, 2, 2)


def test_check_positions_all_aligned_gives_no_notes():
    enc = [_enc("a", (1, 2, 3), (4, 5, 3)), _enc("b", (1, 2), (3, 2))]
    assert check_positions(enc, [-2, -1]) == []


def test_check_positions_unaligned_note_and_error():
    enc = [
        _enc("al", (1, 2, 3, 9, 9), (4, 5, 6, 9, 9)),
        _enc("u3", (1, 2, 7, 8, 9), (5, 7, 8, 9)),       # common suffix 3
        _enc("u2", (1, 2, 6, 7, 8, 9), (5, 5, 8, 9)),    # common suffix 2: the worst
    ]
    notes = check_positions(enc, [-2, -1])
    assert len(notes) == 1
    assert "2/3 pairs are not token-aligned" in notes[0]
    assert "valid down to -2" in notes[0]
    with pytest.raises(DatasetError, match=r"position -3 reaches past .* pair 'u2' \(only -1\.\.-2 are comparable\)"):
        check_positions(enc, [-3, -1])
    # the worst pair alone decides: -2 is fine even though the aligned pair allows -5
    assert check_positions(enc, [-2]) == notes


# --------------------------------------------------------------------------------------------
# positions


def test_parse_positions_valid():
    assert parse_positions("last", None) == [-1]
    assert parse_positions(" LAST ", 7) == [-1]
    assert parse_positions("-1,-3,-2", None) == [-3, -2, -1]
    assert parse_positions("-2, -2,-1,", None) == [-2, -1]
    assert parse_positions("all", 5) == [-5, -4, -3, -2, -1]


def test_parse_positions_all_unaligned():
    with pytest.raises(NsmedError, match=r"--positions all needs token-aligned pairs"):
        parse_positions("all", None)


@pytest.mark.parametrize("spec, match", [
    ("0", r"must be negative"),
    ("1,2", r"must be negative"),
    ("-1,2", r"must be negative"),
    (",", r"must be negative"),
    ("abc", r"must be last, all or negative offsets"),
    ("-1.5", r"must be last, all or negative offsets"),
])
def test_parse_positions_invalid(spec, match):
    with pytest.raises(NsmedError, match=match) as info:
        parse_positions(spec, 10)
    assert repr(spec.strip().lower()) in str(info.value)


# --------------------------------------------------------------------------------------------
# metric


def _metric():
    return RefusalMetric(refusal_ids=(1, 2), compliance_ids=(3,), refusal_tokens=("a", "b"), compliance_tokens=("c",))


def test_score_from_logits_by_hand():
    m = _metric()
    logits = torch.tensor([
        [50.0, math.log(1), math.log(3), math.log(2), -7.0],   # log(1+3) - log(2) = log 2
        [-3.0, 0.0, 0.0, math.log(8), 99.0],                   # log(2) - log(8) = -log 4
    ])
    score = m.score_from_logits(logits)
    assert score.shape == (2,)
    assert torch.allclose(score, torch.tensor([math.log(2), -math.log(4)]), atol=1e-6)
    assert m.token_ids == [1, 2, 3]


def test_score_from_selected_matches_logits():
    m = _metric()
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 3, 11, generator=g) * 5
    full = m.score_from_logits(logits)
    sel = m.score_from_selected(logits[..., [1, 2, 3]])
    assert full.shape == (4, 3)
    assert torch.allclose(full, sel)
    ref = torch.logsumexp(logits[..., [1, 2]], -1) - logits[..., 3]
    assert torch.allclose(full, ref, atol=1e-5)
    # half precision input is scored in float32
    assert m.score_from_selected(logits[..., [1, 2, 3]].half()).dtype == torch.float32


def test_metric_to_attrs():
    a = _metric().to_attrs()
    assert a["refusal_ids"] == [1, 2] and a["compliance_ids"] == [3]
    assert a["refusal_tokens"] == ["a", "b"] and a["compliance_tokens"] == ["c"]
    assert "logsumexp" in a["metric"]


def test_metric_from_tiny_tokenizer():
    from nsmed.models.tiny import build_tiny_tokenizer

    tok = build_tiny_tokenizer()
    m = RefusalMetric.from_tokenizer(tok)
    assert m.refusal_ids and m.compliance_ids
    assert not set(m.refusal_ids) & set(m.compliance_ids)
    assert len(set(m.refusal_ids)) == len(m.refusal_ids)
    assert len(set(m.compliance_ids)) == len(m.compliance_ids)
    assert m.refusal_tokens == tuple(tok.decode([i]) for i in m.refusal_ids)
    assert m.compliance_tokens == tuple(tok.decode([i]) for i in m.compliance_ids)
    assert all(t.strip() for t in m.refusal_tokens + m.compliance_tokens)
    # the first token of "I" and "Sure" must be in the sets
    assert tok("I", add_special_tokens=False)["input_ids"][0] in m.refusal_ids
    assert tok("Sure", add_special_tokens=False)["input_ids"][0] in m.compliance_ids
    assert m.token_ids == list(m.refusal_ids) + list(m.compliance_ids)


# --------------------------------------------------------------------------------------------
# bootstrap statistics


def test_bootstrap_mean_basic():
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 1.0, size=50)
    e = bootstrap_mean(x, n_boot=1000, seed=3)
    assert e.mean == pytest.approx(float(np.mean(x)), abs=1e-12)
    assert e.low < e.mean < e.high
    assert e.n == 50
    # roughly mean +- 1.96 * sd / sqrt(n)
    half = 1.96 * x.std(ddof=1) / np.sqrt(x.size)
    assert (e.high - e.low) == pytest.approx(2 * half, rel=0.25)


def test_bootstrap_mean_width_shrinks_with_n():
    rng = np.random.default_rng(2)
    small = bootstrap_mean(rng.normal(size=20), n_boot=500)
    large = bootstrap_mean(rng.normal(size=2000), n_boot=500)
    assert (large.high - large.low) < 0.5 * (small.high - small.low)


def test_bootstrap_mean_nans_and_determinism():
    x = np.array([1.0, np.nan, 3.0, 5.0, np.nan, 7.0])
    e = bootstrap_mean(x, n_boot=300, seed=7)
    assert e.n == 4
    assert e.mean == pytest.approx(4.0)
    assert 1.0 <= e.low <= e.mean <= e.high <= 7.0
    assert bootstrap_mean(x, n_boot=300, seed=7) == e
    assert bootstrap_mean(x, n_boot=300, seed=8) != e
    empty = bootstrap_mean([np.nan, np.nan])
    assert empty.n == 0 and math.isnan(empty.mean) and math.isnan(empty.low) and math.isnan(empty.high)
    const = bootstrap_mean([2.5, 2.5, 2.5])
    assert (const.mean, const.low, const.high, const.n) == (2.5, 2.5, 2.5, 3)
    assert str(const) == "+2.500 [95% CI +2.500, +2.500] (n=3)"


def test_bootstrap_ratio_hand_values():
    # num = 2 * den for every pair: every resample has ratio exactly 2
    r = bootstrap_ratio([2.0, 4.0, 6.0], [1.0, 2.0, 3.0], n_boot=200)
    assert (r.mean, r.low, r.high, r.n) == (pytest.approx(2.0), pytest.approx(2.0), pytest.approx(2.0), 3)
    # ratio of means, not mean of ratios: (1 + 3) / (1 + 3) = 1 although per-pair ratios are 1/1... and 3/3
    r2 = bootstrap_ratio([0.0, 4.0], [1.0, 3.0], n_boot=200)
    assert r2.mean == pytest.approx(1.0)  # mean of per-pair ratios would be (0 + 4/3) / 2
    assert r2.low <= r2.mean <= r2.high
    # NaN in either array drops the pair jointly
    r3 = bootstrap_ratio([2.0, np.nan, 6.0, 1.0], [1.0, 5.0, 3.0, np.nan], n_boot=200)
    assert r3.n == 2 and r3.mean == pytest.approx(2.0)
    # mean denominator zero: undefined
    r4 = bootstrap_ratio([1.0, 2.0], [1.0, -1.0])
    assert math.isnan(r4.mean) and r4.n == 2


# --------------------------------------------------------------------------------------------
# RunConfig


def test_runconfig_json_round_trip():
    cfg = RunConfig(model="tiny", dataset="x.jsonl", limit=3, granularity="layer", positions="-1,-2",
                    out="o.zarr", strategy="full", rows_per_trace=5, pairs_per_chunk=2, effects="ae", overwrite=True)
    back = RunConfig.from_json(cfg.to_json())
    assert back == cfg
    assert back.granularity == ("layer",)
    assert json.loads(cfg.to_json())["limit"] == 3


def test_runconfig_from_toml(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[run]\nmodel = "tiny"\npositions = "-1,-2"\ngranularity = ["layer"]\nlimit = 4\npairs_per_chunk = 2\n')
    cfg = RunConfig.from_toml(p)
    assert (cfg.model, cfg.positions, cfg.granularity, cfg.limit, cfg.pairs_per_chunk) == ("tiny", "-1,-2", ("layer",), 4, 2)
    assert cfg.dataset == "default"  # untouched default
    over = RunConfig.from_toml(p, model="smollm2", limit=None, positions="last")
    assert (over.model, over.limit, over.positions) == ("smollm2", 4, "last")  # None overrides nothing


def test_runconfig_from_toml_top_level_keys(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('model = "tiny"\nstrategy = "full"\n')
    cfg = RunConfig.from_toml(p)
    assert (cfg.model, cfg.strategy) == ("tiny", "full")


def test_runconfig_from_toml_errors(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[run]\nmodel = "tiny"\nlayers = 3\nbogus = 1\n')
    with pytest.raises(NsmedError, match=r"unknown keys \['bogus', 'layers'\]"):
        RunConfig.from_toml(p)
    p.write_text('[run]\ngranularity = "layer,neurons"\n')
    with pytest.raises(NsmedError, match=r"unknown granularity \['neurons'\]"):
        RunConfig.from_toml(p)
    p.write_text('[run\nmodel = "tiny"\n')
    with pytest.raises(NsmedError, match=r"is not valid TOML"):
        RunConfig.from_toml(p)
    with pytest.raises(NsmedError, match=r"config file not found"):
        RunConfig.from_toml(tmp_path / "nope.toml")


@pytest.mark.parametrize("kwargs, match", [
    (dict(granularity="layer,cell"), r"unknown granularity \['cell'\]"),
    (dict(granularity=""), r"unknown granularity \(empty\)"),
    (dict(limit=0), r"--limit must be a positive number of pairs, got 0"),
    (dict(pairs_per_chunk=0), r"pairs_per_chunk must be >= 1"),
    (dict(strategy="fast"), r"unknown strategy 'fast'"),
    (dict(corruption="gaussian"), r"corruption 'gaussian' is not implemented"),
])
def test_runconfig_validation(kwargs, match):
    with pytest.raises(NsmedError, match=match):
        RunConfig(**kwargs)


def test_runconfig_modules():
    assert RunConfig(granularity=("layer",)).modules == ("resid",)
    assert RunConfig(granularity=("module",)).modules == ("attn", "mlp")
    assert RunConfig(granularity=("layer", "module")).modules == ("attn", "mlp", "resid")
    assert RunConfig(granularity="module,layer").modules == ("attn", "mlp", "resid")
    assert RunConfig().modules == ("attn", "mlp", "resid")


# --------------------------------------------------------------------------------------------
# store round trip (no model)


N_LAYERS, MODULES, POSITIONS = 2, ("attn", "mlp", "resid"), [-2, -1]


def _encoded_pairs(n=5):
    out = []
    for i in range(n):
        h = tuple(range(10, 16 + i))
        b = h if i % 2 == 0 else tuple(range(30, 33)) + h[-3:]
        out.append(EncodedPair(Pair(f"p{i}", "cat" if i < 3 else "dog", f"harm {i}", f"safe {i}"), h, b))
    return out


def _values(n, offset=0.0):
    site = (n, N_LAYERS, len(MODULES), len(POSITIONS))
    nie = (np.arange(np.prod(site), dtype=np.float32).reshape(site) / 8 + offset).astype(np.float32)
    ae = (-nie * 2).astype(np.float32)
    sh = np.array([1.5, -0.25, 3.0][:n], dtype=np.float32) + offset
    sb = np.array([0.5, 0.75, -1.0][:n], dtype=np.float32)
    return {"score_harmful": sh, "score_harmless": sb, "total_effect": sh - sb, "indirect_effect": nie, "ablation_effect": ae}


def _make_store(path, enc=None):
    enc = enc or _encoded_pairs()
    attrs = {"nsmed_version": nsmed.__version__, "model_id": "hand/made"}
    tmpl = schema.template(enc, N_LAYERS, MODULES, POSITIONS, attrs, pair_chunk=2)
    return zarr_store.create(path, tmpl)


def test_store_round_trip(tmp_path):
    enc = _encoded_pairs()
    path = _make_store(tmp_path / "x.zarr", enc)
    assert path == tmp_path / "x.zarr"

    ds = nsmed.open_effects(path)
    assert ds.attrs["status"] == "running"
    assert ds.attrs["completed_pairs"] == []
    assert not ds["pair_complete"].values.any()
    assert np.isnan(ds["indirect_effect"].values).all()

    vals = _values(2)
    zarr_store.write_pairs(path, 0, vals)
    ds = nsmed.open_effects(path)
    assert ds["indirect_effect"].dims == ("pair", "layer", "module", "position")
    assert dict(ds.sizes) == {"pair": 5, "layer": 2, "module": 3, "position": 2}
    assert [str(m) for m in ds["module"].values] == list(MODULES)
    assert ds["position"].values.tolist() == POSITIONS
    assert ds["layer"].values.tolist() == [0, 1]
    assert [str(v) for v in ds["pair_id"].values] == ["p0", "p1", "p2", "p3", "p4"]
    assert [str(v) for v in ds["category"].values] == ["cat", "cat", "cat", "dog", "dog"]
    assert str(ds["harmful_prompt"].values[3]) == "harm 3" and str(ds["harmless_prompt"].values[1]) == "safe 1"
    assert ds["aligned"].values.tolist() == [True, False, True, False, True]
    assert ds["n_tokens"].values.tolist() == [len(e.harmless_ids) for e in enc]
    for name, v in vals.items():
        got = ds[name].values
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got[:2], v)
        assert np.isnan(got[2:]).all(), name
    # values addressable by label
    assert float(ds["indirect_effect"].sel(pair=1, layer=1, module="mlp", position=-2)) == float(vals["indirect_effect"][1, 1, 1, 0])
    assert ds["pair_complete"].values.tolist() == [True, True, False, False, False]
    assert ds.attrs["status"] == "running"
    assert ds.attrs["completed_pairs"] == [0, 1]
    assert ds.attrs["model_id"] == "hand/made"
    assert "description" in ds["total_effect"].attrs

    zarr_store.write_pairs(path, 2, _values(2, offset=10.0))
    ds = nsmed.open_effects(path)
    assert ds.attrs["completed_pairs"] == [0, 1, 2, 3]
    assert ds["pair_complete"].values.tolist() == [True, True, True, True, False]
    np.testing.assert_array_equal(ds["score_harmful"].values[2:4], _values(2, offset=10.0)["score_harmful"])
    np.testing.assert_array_equal(ds["score_harmful"].values[:2], vals["score_harmful"])  # first chunk untouched
    assert ds.attrs["status"] == "running"

    zarr_store.finish(path, {"extra": "yes"})
    ds = nsmed.open_effects(path)
    assert ds.attrs["status"] == "complete"
    assert ds.attrs["extra"] == "yes"
    assert "finished" in ds.attrs


def test_store_mark_failed(tmp_path):
    path = _make_store(tmp_path / "x.zarr")
    zarr_store.write_pairs(path, 0, _values(2))
    zarr_store.mark_failed(path, "RuntimeError: boom")
    ds = nsmed.open_effects(path)
    assert ds.attrs["status"] == "incomplete"
    assert ds.attrs["stop_reason"] == "RuntimeError: boom"
    assert ds["pair_complete"].values.tolist() == [True, True, False, False, False]


def test_check_writable(tmp_path):
    path = _make_store(tmp_path / "x.zarr")
    with pytest.raises(StoreError, match=r"already exists; pass --overwrite"):
        zarr_store.check_writable(path, overwrite=False)
    with pytest.raises(StoreError, match=r"already exists"):
        _make_store(path)
    assert zarr_store.check_writable(path, overwrite=True) == path
    # a folder that is not a zarr store is never replaced
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "keep.txt").write_text("precious")
    with pytest.raises(StoreError, match=r"exists and is not a zarr store"):
        zarr_store.check_writable(plain, overwrite=True)
    with pytest.raises(StoreError, match=r"already exists"):
        zarr_store.check_writable(plain, overwrite=False)
    assert (plain / "keep.txt").read_text() == "precious"
    # a new path: its parent folders are created
    new = tmp_path / "a" / "b" / "y.zarr"
    assert zarr_store.check_writable(new, overwrite=False) == new
    assert new.parent.is_dir() and not new.exists()
    # the parent is a regular file: cannot be created
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(StoreError, match=r"cannot create output folder .*file\.txt"):
        zarr_store.check_writable(f / "z.zarr", overwrite=False)


def test_create_overwrite_replaces_store(tmp_path):
    path = _make_store(tmp_path / "x.zarr")
    zarr_store.write_pairs(path, 0, _values(2))
    zarr_store.finish(path)
    enc = _encoded_pairs(3)
    tmpl = schema.template(enc, N_LAYERS, MODULES, POSITIONS, {"nsmed_version": nsmed.__version__}, pair_chunk=2)
    zarr_store.create(path, tmpl, overwrite=True)
    ds = nsmed.open_effects(path)
    assert ds.sizes["pair"] == 3
    assert ds.attrs["status"] == "running"
    assert not ds["pair_complete"].values.any()


def test_open_effects_refuses_non_stores(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(StoreError, match=r"is not an nsmed effect store \(no zarr.json\)"):
        nsmed.open_effects(folder)
    with pytest.raises(StoreError, match=r"no zarr.json"):
        nsmed.open_effects(tmp_path / "missing.zarr")
    # a zarr store that nsmed did not write
    import xarray as xr

    other = tmp_path / "other.zarr"
    xr.Dataset({"a": ("x", np.arange(3.0))}).to_zarr(other, zarr_format=3, consolidated=False)
    with pytest.raises(StoreError, match=r"not an nsmed effect store \(no nsmed_version attr\)"):
        nsmed.open_effects(other)


def test_estimate_str():
    assert str(Estimate(0.5, -0.25, 1.125, 7)) == "+0.500 [95% CI -0.250, +1.125] (n=7)"
