"""``nsmed run`` and ``nsmed plan``: the same options, parsed into a RunConfig; ``run`` executes the
sweep into a store (nsmed.pipeline), ``plan`` only prints its cost.

Options left unset are None, so values from ``--config FILE.toml`` apply unless the command line
sets them; defaults come from ``nsmed.config.RunConfig``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from nsmed.cli.common import user_errors

Model = Annotated[Optional[str], typer.Option(help="default (Qwen2.5-Coder-0.5B-Instruct), smollm2, tiny (random, for tests), an HF hub id, or a local model folder. \\[default: default]")]
Dataset = Annotated[Optional[str], typer.Option(help="default (embedded token-aligned pairs), or a .jsonl/.csv file with columns harmful, harmless (+ id, category). \\[default: default]")]
Limit = Annotated[Optional[int], typer.Option(help="Use only the first N pairs.")]
Granularity = Annotated[Optional[str], typer.Option(help="Comma list: layer (residual stream), module (attention and MLP outputs). \\[default: layer,module]")]
Positions = Annotated[Optional[str], typer.Option(help="last, all (token-aligned pairs only), or negative offsets from the end, e.g. -1,-2,-3. \\[default: last]")]
Out = Annotated[Optional[Path], typer.Option(help="Where to write the zarr store. \\[default: results/run.zarr]")]
Remote = Annotated[bool, typer.Option("--remote", help="Run on NDIF (not available yet).")]
Resume = Annotated[bool, typer.Option("--resume", help="Continue an interrupted run (not available yet).")]
ConfigFile = Annotated[Optional[Path], typer.Option("--config", help="TOML file with run options (a \\[run] table, keys as in nsmed.config.RunConfig); command-line options win.")]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing store at --out.")]
Backend = Annotated[Optional[str], typer.Option(help="local, or simulated (serialise each trace like NDIF, run it here). \\[default: local]")]
Strategy = Annotated[Optional[str], typer.Option(help="auto (suffix recomputation when the backend allows), suffix, or full (rerun whole prompts). \\[default: auto]")]
Rows = Annotated[Optional[int], typer.Option(help="Patched runs per trace; 0 = choose from free memory. \\[default: 0]")]
Threads = Annotated[Optional[int], typer.Option(help="torch threads; 0 = torch's default. \\[default: 0]")]
Effects = Annotated[Optional[str], typer.Option(help="nie (denoising), ae (noising), or nie,ae. \\[default: nie,ae]")]


def _command(action: Callable, doc: str):
    """A typer command with the run options that builds a RunConfig and hands it to ``action``."""

    @user_errors
    def command(model: Model = None, dataset: Dataset = None, limit: Limit = None, granularity: Granularity = None,
                positions: Positions = None, out: Out = None, remote: Remote = False, resume: Resume = False,
                config: ConfigFile = None, overwrite: Overwrite = False, backend: Backend = None,
                strategy: Strategy = None, rows: Rows = None, threads: Threads = None, effects: Effects = None):
        from nsmed.config import RunConfig
        from nsmed.errors import NsmedError

        if resume:
            raise NsmedError("--resume is not available in this version of nsmed yet")
        opts = dict(model=model, dataset=dataset, limit=limit, granularity=granularity, positions=positions,
                    out=None if out is None else str(out), backend="remote" if remote else backend, strategy=strategy,
                    rows_per_trace=rows, threads=threads, overwrite=overwrite or None, effects=effects)
        opts = {k: v for k, v in opts.items() if v is not None}
        action(RunConfig.from_toml(config, **opts) if config else RunConfig(**opts))

    command.__doc__ = doc
    return command


def _prepare_and_plan(cfg):
    """Load and check everything, then print the cost plan with a calibrated estimate (stderr).
    Returns (prepared run, CostPlan)."""
    from nsmed import pipeline
    from nsmed.mediation.cost import calibrate, count

    typer.echo(f"loading model {cfg.model!r} …", err=True)
    prepared = pipeline.prepare(cfg)
    for note in prepared.notes:
        typer.secho(f"note: {note}", err=True, fg="yellow")
    typer.echo(f"backend {prepared.backend.name}; calibrating on the first pair …", err=True)
    plan = calibrate(prepared, count(prepared))
    for line in plan.lines():
        typer.echo(line, err=True)
    return prepared, plan


def _run(cfg) -> None:
    from nsmed import pipeline
    from nsmed.cli.progress import sweep_progress
    from nsmed.store.zarr_store import check_writable

    check_writable(cfg.out, cfg.overwrite)
    prepared, cost = _prepare_and_plan(cfg)
    with sweep_progress(cost.patched_runs) as advance:
        path = pipeline.execute(prepared, progress=advance)
    typer.echo(f"store: {path}")
    typer.echo(f"next: nsmed inspect {path}   |   nsmed plot {path} --out {Path(path).with_suffix('.png')}")


run = _command(_run, "Measure total, indirect (denoising) and ablation (noising) effects of every layer x module x position, into a zarr store.")
plan = _command(_prepare_and_plan, "Print what a run would cost before running it: sites, patched runs, forward-equivalents with and "
                "without suffix recomputation, and an estimated time from a short calibration. Writes nothing.")
