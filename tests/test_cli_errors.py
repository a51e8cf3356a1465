"""The CLI on bad input: exit code 2, one ``error:`` line naming the problem, no traceback; plus one
successful tiny run (run -> inspect -> plot) and the help texts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import nsmed
from nsmed.cli.main import app

RUN_OPTIONS = ("--model", "--dataset", "--limit", "--granularity", "--positions", "--out", "--remote", "--resume", "--config")

# Pairs whose harmful and harmless prompts template to clearly different lengths under any tokenizer.
UNALIGNED = [
    {"id": "u1", "category": "x", "harmful": "Explain in great detail, step by step, how to steal a car from a parking lot.", "harmless": "Hi"},
    {"id": "u2", "category": "x", "harmful": "How do I make a bomb at home with things from the kitchen?", "harmless": "Hello"},
]
# Token-aligned under the tiny tokenizer (checked in the tests): one long pair, several short ones.
ALIGNED_LONG = {"category": "x", "harmful": "Tell me how to hack a bank.", "harmless": "Tell me how to wash a bank."}
ALIGNED_SHORT = {"category": "x", "harmful": "steal", "harmless": "wash"}


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def error_line(result) -> str:
    """Assert the one-line-error contract and return the error line."""
    out = result.output
    assert result.exit_code == 2, f"exit code {result.exit_code}, exception {result.exception!r}, output:\n{out}"
    # no uncaught exception (in-process equivalent of 'no traceback')
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in out
    lines = [l for l in out.splitlines() if l.startswith("error:")]
    assert len(lines) == 1, out
    # user errors go to stderr, not stdout
    assert lines[0] in result.stderr.splitlines()
    assert "error:" not in result.stdout
    return lines[0]


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # default relative outputs (results/run.zarr) stay in tmp


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    """A real store from ``nsmed run --model tiny --limit 3``: (run result, store path)."""
    out = tmp_path_factory.mktemp("store") / "x.zarr"
    result = invoke("run", "--model", "tiny", "--limit", 3, "--out", out)
    return result, out


# --------------------------------------------------------------------------------------------
# success path


def test_run_tiny_succeeds(tiny_store):
    result, out = tiny_store
    assert result.exit_code == 0, f"{result.exception!r}\n{result.output}"
    assert f"store: {out}" in result.stdout.splitlines()
    assert "error:" not in result.output
    ds = nsmed.open_effects(out)
    assert ds.attrs["status"] == "complete"
    assert dict(ds.sizes) == {"pair": 3, "layer": 2, "module": 3, "position": 1}
    assert [str(m) for m in ds["module"].values] == ["attn", "mlp", "resid"]
    assert ds["position"].values.tolist() == [-1]
    assert ds["pair_complete"].values.all()
    assert ds.attrs["completed_pairs"] == [0, 1, 2]
    ids = [p.id for p in nsmed.data.pairs.load_pairs("default", 3)]
    assert [str(i) for i in ds["pair_id"].values] == ids
    cfg = json.loads(ds.attrs["config"])
    assert (cfg["model"], cfg["limit"], cfg["positions"]) == ("tiny", 3, "last")
    te = ds["total_effect"].values
    np.testing.assert_allclose(te, ds["score_harmful"].values - ds["score_harmless"].values, atol=1e-6)
    assert np.isfinite(te).all() and np.abs(te).max() > 1e-3
    # patching the last layer's residual stream at the last position transplants the whole
    # final state: NIE and AE both equal TE there
    last = ds.sel(layer=1, module="resid", position=-1)
    np.testing.assert_allclose(last["indirect_effect"].values, te, atol=1e-4)
    np.testing.assert_allclose(last["ablation_effect"].values, te, atol=1e-4)
    assert np.isfinite(ds["indirect_effect"].values).all()


def test_inspect_store(tiny_store):
    result, out = tiny_store
    assert result.exit_code == 0
    r = invoke("inspect", out)
    assert r.exit_code == 0, r.output
    te_lines = [l for l in r.stdout.splitlines() if l.startswith("TE ")]
    assert len(te_lines) == 1, r.stdout
    te = nsmed.open_effects(out)["total_effect"].values
    assert f"{float(np.mean(te)):+.3f} [95% CI" in te_lines[0]
    assert te_lines[0].endswith("(n=3)")
    assert "status: complete, 3/3 pairs complete" in r.stdout
    assert "model      tiny" in r.stdout
    assert "dims       pair=3, layer=2, module=3, position=1" in r.stdout


def test_plot_store(tiny_store, tmp_path):
    result, out = tiny_store
    assert result.exit_code == 0
    png = tmp_path / "x.png"
    r = invoke("plot", out, "--out", png)
    assert r.exit_code == 0, r.output
    assert f"figure: {png}" in r.stdout
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 2000


def test_existing_store_is_refused_and_untouched(tiny_store):
    result, out = tiny_store
    assert result.exit_code == 0
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    line = error_line(invoke("run", "--model", "tiny", "--limit", 2, "--out", out))
    assert "already exists" in line and "--overwrite" in line and str(out) in line
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    ds = nsmed.open_effects(out)
    assert ds.attrs["status"] == "complete"
    assert ds.sizes["pair"] == 3 and ds["pair_complete"].values.all()


# --------------------------------------------------------------------------------------------
# errors before any model is loaded


def test_unknown_model(tmp_path):
    out = tmp_path / "x.zarr"
    line = error_line(invoke("run", "--model", "nosuchmodel", "--out", out))
    assert "unknown model 'nosuchmodel'" in line
    assert not out.exists()


def test_hub_model_unreachable(tmp_path):
    """No network here: a fast one-line error (nsmed checks the hub before HF's minute of retries).
    Run in a fresh process through the real entry point, as a user would."""
    import time

    out = tmp_path / "x.zarr"
    code = "from nsmed.cli.main import main; main()"
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code, "run", "--model", "someorg/somemodel", "--out", str(out)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert time.perf_counter() - t0 < 40  # HF's own retries alone sleep ~45 s
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    errors = [l for l in p.stderr.splitlines() if l.startswith("error:")]
    assert len(errors) == 1, p.stderr
    assert errors[0] == "error: could not load 'someorg/somemodel': it is not in the local HF cache and the HF hub is unreachable"
    assert "error" not in p.stdout
    assert not out.exists()


def test_missing_dataset(tmp_path):
    out = tmp_path / "x.zarr"
    line = error_line(invoke("run", "--model", "tiny", "--dataset", "missing.jsonl", "--out", out))
    assert line == "error: dataset file not found: missing.jsonl"
    assert not out.exists()


def test_empty_dataset(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    line = error_line(invoke("run", "--model", "tiny", "--dataset", "empty.jsonl", "--out", tmp_path / "x.zarr"))
    assert line == "error: dataset file empty.jsonl is empty"


def test_csv_without_columns(tmp_path):
    (tmp_path / "d.csv").write_text("prompt,reply\nfoo,bar\n")
    line = error_line(invoke("run", "--model", "tiny", "--dataset", "d.csv", "--out", tmp_path / "x.zarr"))
    assert "CSV header must include harmful and harmless" in line and "'prompt', 'reply'" in line


def test_bad_json_line(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"harmful": "a", "harmless": "b"}\nnot json\n')
    line = error_line(invoke("run", "--model", "tiny", "--dataset", "d.jsonl", "--out", tmp_path / "x.zarr"))
    assert "line 2 is not valid JSON" in line


def test_granularity_neuron(tmp_path):
    out = tmp_path / "x.zarr"
    line = error_line(invoke("run", "--model", "tiny", "--granularity", "neuron", "--out", out))
    assert "neuron granularity is not available" in line
    assert not out.exists()


def test_granularity_unknown(tmp_path):
    line = error_line(invoke("run", "--model", "tiny", "--granularity", "layer,cells", "--out", tmp_path / "x.zarr"))
    assert "unknown granularity ['cells']" in line


def test_remote(tmp_path):
    out = tmp_path / "x.zarr"
    line = error_line(invoke("run", "--model", "tiny", "--remote", "--out", out))
    assert "remote execution on NDIF is not available" in line
    assert not out.exists()


def test_resume(tmp_path):
    line = error_line(invoke("run", "--model", "tiny", "--resume", "--out", tmp_path / "x.zarr"))
    assert "--resume is not available" in line


def test_effects_unknown(tmp_path):
    line = error_line(invoke("run", "--model", "tiny", "--effects", "nie,te", "--out", tmp_path / "x.zarr"))
    assert "--effects must be nie, ae or nie,ae; got 'nie,te'" in line


def test_limit_zero(tmp_path):
    line = error_line(invoke("run", "--model", "tiny", "--limit", 0, "--out", tmp_path / "x.zarr"))
    assert "--limit must be a positive number of pairs, got 0" in line


def test_out_unwritable(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores the mode: use a path under a regular file instead
            parent = tmp_path / "file.txt"
            parent.write_text("not a folder")
            expected = f"cannot create output folder {parent}"
        else:
            parent = locked
            expected = f"output folder {parent} is not writable"
        out = parent / "x.zarr"
        line = error_line(invoke("run", "--model", "tiny", "--out", out))
        assert expected in line
        assert not out.exists()
    finally:
        locked.chmod(0o700)


def test_inspect_not_a_store(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    line = error_line(invoke("inspect", folder))
    assert line == f"error: {folder} is not an nsmed effect store (no zarr.json)"


def test_plot_missing_path(tmp_path):
    missing = tmp_path / "missing.zarr"
    line = error_line(invoke("plot", missing))
    assert line == f"error: {missing} is not an nsmed effect store (no zarr.json)"
    assert not missing.with_suffix(".png").exists()


def test_config_unknown_key(tmp_path):
    (tmp_path / "c.toml").write_text('[run]\nmodel = "tiny"\nlayerz = 3\n')
    line = error_line(invoke("run", "--config", "c.toml", "--out", tmp_path / "x.zarr"))
    assert "unknown keys ['layerz']" in line


def test_config_file_values_are_used(tmp_path, monkeypatch):
    """Options not given on the command line must come from --config; given ones win."""
    import nsmed.pipeline
    from nsmed.errors import NsmedError

    seen = {}

    def fake_prepare(cfg, lm=None):
        seen["cfg"] = cfg
        raise NsmedError("stop here")

    monkeypatch.setattr(nsmed.pipeline, "prepare", fake_prepare)
    (tmp_path / "c.toml").write_text(
        '[run]\nmodel = "tiny"\ndataset = "mine.jsonl"\npositions = "-1,-2"\ngranularity = "layer"\n'
        'strategy = "full"\nlimit = 4\nout = "from_toml.zarr"\n'
    )
    line = error_line(invoke("run", "--config", "c.toml", "--limit", 2))
    assert line == "error: stop here"
    cfg = seen["cfg"]
    assert cfg.limit == 2  # given on the command line: wins
    assert (cfg.model, cfg.dataset, cfg.positions, cfg.granularity, cfg.strategy, cfg.out) == (
        "tiny", "mine.jsonl", "-1,-2", ("layer",), "full", "from_toml.zarr"), cfg


# --------------------------------------------------------------------------------------------
# errors found after loading the tiny model (positions need the tokenizer)


def test_positions_all_on_unaligned_dataset(tmp_path):
    write_jsonl(tmp_path / "u.jsonl", UNALIGNED)
    out = tmp_path / "x.zarr"
    line = error_line(invoke("run", "--model", "tiny", "--dataset", "u.jsonl", "--positions", "all", "--out", out))
    assert "--positions all needs token-aligned pairs" in line
    assert not out.exists()


def test_positions_past_unaligned_suffix(tmp_path):
    write_jsonl(tmp_path / "u.jsonl", UNALIGNED)
    out = tmp_path / "x.zarr"
    line = error_line(invoke("run", "--model", "tiny", "--dataset", "u.jsonl", "--positions", "-1,-40", "--out", out))
    assert "position -40 reaches past the identical trailing template tokens" in line
    assert not out.exists()


def test_positions_positive(tmp_path):
    out = tmp_path / "x.zarr"
    line = error_line(invoke("run", "--model", "tiny", "--limit", 1, "--positions", "3", "--out", out))
    assert "--positions offsets must be negative" in line and "'3'" in line
    assert not out.exists()


def test_positions_garbage(tmp_path):
    line = error_line(invoke("run", "--model", "tiny", "--limit", 1, "--positions", "first", "--out", tmp_path / "x.zarr"))
    assert "--positions must be last, all or negative offsets" in line


def _check_tiny_alignment(rows):
    from nsmed.data.pairs import Pair, encode_pairs
    from nsmed.models.tiny import build_tiny_tokenizer

    enc = encode_pairs(build_tiny_tokenizer(), [Pair(r["id"], "x", r["harmful"], r["harmless"]) for r in rows])
    assert all(e.aligned for e in enc)
    return sorted({len(e.harmful_ids) for e in enc})


def test_aligned_offset_beyond_every_prompt(tmp_path):
    """Token-aligned pairs and an offset longer than every prompt: a one-line error, not a crash."""
    rows = [{"id": "long", **ALIGNED_LONG}, {"id": "short", **ALIGNED_SHORT}]
    lengths = _check_tiny_alignment(rows)
    assert max(lengths) < 50
    write_jsonl(tmp_path / "a.jsonl", rows)
    line = error_line(invoke("run", "--model", "tiny", "--dataset", "a.jsonl", "--positions", "-1,-50", "--out", tmp_path / "x.zarr"))
    assert "-50" in line


def test_positions_all_on_aligned_pairs_of_different_lengths(tmp_path):
    """``all`` on token-aligned pairs whose lengths differ between chunks (8 pairs per chunk) must run."""
    rows = [{"id": f"short-{i}", **ALIGNED_SHORT} for i in range(8)] + [{"id": "long", **ALIGNED_LONG}]
    lengths = _check_tiny_alignment(rows)
    assert len(lengths) == 2
    write_jsonl(tmp_path / "a.jsonl", rows)
    out = tmp_path / "x.zarr"
    r = invoke("run", "--model", "tiny", "--dataset", "a.jsonl", "--positions", "all", "--granularity", "layer", "--out", out)
    assert r.exit_code == 0, f"{r.exception!r}\n{r.output}"
    ds = nsmed.open_effects(out)
    assert ds.attrs["status"] == "complete"
    assert ds["pair_complete"].values.all()
    short, long_ = lengths
    assert ds["position"].values.tolist() == list(range(-long_, 0)) or ds["position"].values.tolist() == list(range(-short, 0))
    nie = ds["indirect_effect"].sel(module="resid")
    assert np.isfinite(nie.sel(position=slice(-short, -1)).values).all()
    if ds["position"].values.min() < -short:  # offsets past a short prompt: NaN for it, measured for the long one
        assert np.isnan(nie.isel(pair=slice(0, 8)).sel(position=slice(-long_, -short - 1)).values).all()
        assert np.isfinite(nie.isel(pair=8).values).all()
    # values against independent hook-based patching (nsmed.testing), at the first and last token
    from nsmed.data.pairs import Pair, encode_pairs
    from nsmed.metrics import RefusalMetric
    from nsmed.models.loading import load_model
    from nsmed.testing import reference_effects

    lm = load_model("tiny")
    metric = RefusalMetric.from_tokenizer(lm.tokenizer)
    enc = encode_pairs(lm.tokenizer, [Pair(r["id"], "x", r["harmful"], r["harmless"]) for r in rows])
    for i, offset in ((0, -short), (0, -1), (8, int(ds["position"].values.min())), (8, -1)):
        ref = reference_effects(lm, metric, enc[i], 0, "resid", offset)
        cell = ds.isel(pair=i).sel(layer=0, module="resid", position=offset)
        assert float(ds["total_effect"].values[i]) == pytest.approx(ref["total_effect"], abs=1e-4)
        assert float(cell["indirect_effect"]) == pytest.approx(ref["indirect_effect"], abs=1e-4), (i, offset)
        assert float(cell["ablation_effect"]) == pytest.approx(ref["ablation_effect"], abs=1e-4), (i, offset)


# --------------------------------------------------------------------------------------------
# help


def test_help():
    r = invoke("--help")
    assert r.exit_code == 0
    for cmd in ("run", "inspect", "plot"):
        assert cmd in r.output
    r = invoke("run", "--help")
    assert r.exit_code == 0
    for opt in RUN_OPTIONS:
        assert opt in r.output, opt


def test_run_help_shows_config_table_name():
    """The --config help names the TOML table: '[run]' must not be swallowed as rich markup."""
    r = invoke("run", "--help")
    assert r.exit_code == 0
    assert "[run]" in r.output, r.output


# --------------------------------------------------------------------------------------------
# the real console entry point (separate process: real stderr, real exit code)


def test_entry_point_one_line_error(tmp_path):
    p = subprocess.run(
        [sys.executable, "-c", "from nsmed.cli.main import main; main()", "run", "--dataset", "missing.jsonl",
         "--model", "tiny", "--out", str(tmp_path / "x.zarr")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr
    errors = [l for l in p.stderr.splitlines() if l.startswith("error:")]
    assert errors == ["error: dataset file not found: missing.jsonl"]
    assert "error" not in p.stdout
