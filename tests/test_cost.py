"""The cost planner counts sites, patched runs and forward-equivalents correctly (hand-computed),
and ``nsmed plan`` prints them without writing anything."""

from __future__ import annotations

from typer.testing import CliRunner

from nsmed import pipeline
from nsmed.cli.main import app
from nsmed.config import RunConfig
from nsmed.mediation.cost import calibrate, count


def test_count_by_hand(tiny, tmp_path):
    cfg = RunConfig(model="tiny", limit=3, positions="-1,-2", out=str(tmp_path / "x.zarr"))
    p = pipeline.prepare(cfg, lm=tiny)
    plan = count(p)
    sites = 2 * 3 * 2  # layers x modules x positions
    assert (plan.pairs, plan.sites, plan.patched_runs) == (3, sites, 3 * sites * 2)
    lengths = [len(e.harmless_ids) for e in p.encoded]
    assert plan.fe_full == 2 * 3 + 3 * sites * 2
    # per pair: half the sites sit at offset -1 (1 position), half at -2 (2 positions); x2 directions
    expected = 2 * 3 + sum(2 * (sites // 2) * (1 + 2) / t for t in lengths)
    assert abs(plan.fe_suffix - expected) < 1e-9
    timed = calibrate(p, plan)
    assert timed.seconds_per_pair_clean > 0 and timed.seconds_per_patched_run >= 0 and timed.estimate_s > 0


def test_count_ae_only_halves_runs(tiny, tmp_path):
    both = count(pipeline.prepare(RunConfig(model="tiny", limit=2, out=str(tmp_path / "a.zarr")), lm=tiny))
    one = count(pipeline.prepare(RunConfig(model="tiny", limit=2, effects="ae", out=str(tmp_path / "b.zarr")), lm=tiny))
    assert one.patched_runs * 2 == both.patched_runs


def test_plan_cli_prints_and_writes_nothing(tmp_path):
    out = tmp_path / "never.zarr"
    res = CliRunner().invoke(app, ["plan", "--model", "tiny", "--limit", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "patched runs 24" in res.output  # 2 pairs x 6 sites x 2 directions
    assert "forward-equivalents" in res.output and "estimated time" in res.output
    assert not out.exists()
