"""``nsmed run``: parse options into a RunConfig, then prepare and execute (nsmed.pipeline)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from nsmed.cli.common import user_errors

Model = Annotated[str, typer.Option(help="default (Qwen2.5-Coder-0.5B-Instruct), smollm2, tiny (random, for tests), an HF hub id, or a local model folder.")]
Dataset = Annotated[str, typer.Option(help="default (embedded token-aligned pairs), or a .jsonl/.csv file with columns harmful, harmless[, id, category].")]
Limit = Annotated[Optional[int], typer.Option(help="Use only the first N pairs.")]
Granularity = Annotated[str, typer.Option(help="Comma list: layer (residual stream), module (attention and MLP outputs).")]
Positions = Annotated[str, typer.Option(help="last, all (token-aligned pairs only), or negative offsets from the end, e.g. -1,-2,-3.")]
Out = Annotated[Path, typer.Option(help="Where to write the zarr store.")]
Remote = Annotated[bool, typer.Option("--remote", help="Run on NDIF (not available yet).")]
Resume = Annotated[bool, typer.Option("--resume", help="Continue an interrupted run (not available yet).")]
ConfigFile = Annotated[Optional[Path], typer.Option("--config", help="TOML file with run options ([run] table); command-line options win.")]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing store at --out.")]
Backend = Annotated[str, typer.Option(help="local, or simulated (serialise each trace like NDIF, run it here).")]
Strategy = Annotated[str, typer.Option(help="auto (suffix recomputation when the backend allows), suffix, or full (rerun whole prompts).")]
Rows = Annotated[int, typer.Option(help="Patched runs per trace; 0 = choose from free memory.")]
Threads = Annotated[int, typer.Option(help="torch threads; 0 = torch's default.")]
Effects = Annotated[str, typer.Option(help="nie (denoising), ae (noising), or nie,ae.")]


def _config(model, dataset, limit, granularity, positions, out, remote, resume, config, overwrite, backend, strategy, rows, threads, effects):
    from nsmed.config import RunConfig
    from nsmed.errors import NsmedError

    if resume:
        raise NsmedError("--resume is not available in this version of nsmed yet")
    opts = dict(model=model, dataset=dataset, limit=limit, granularity=granularity, positions=positions,
                out=str(out), backend="remote" if remote else backend, strategy=strategy, rows_per_trace=rows,
                threads=threads, overwrite=overwrite, effects=effects)
    return RunConfig.from_toml(config, **opts) if config else RunConfig(**opts)


@user_errors
def run(
    model: Model = "default",
    dataset: Dataset = "default",
    limit: Limit = None,
    granularity: Granularity = "layer,module",
    positions: Positions = "last",
    out: Out = Path("results/run.zarr"),
    remote: Remote = False,
    resume: Resume = False,
    config: ConfigFile = None,
    overwrite: Overwrite = False,
    backend: Backend = "local",
    strategy: Strategy = "auto",
    rows: Rows = 0,
    threads: Threads = 0,
    effects: Effects = "nie,ae",
):
    """Measure total, indirect (denoising) and ablation (noising) effects of every layer x module x position."""
    from nsmed import pipeline
    from nsmed.cli.progress import sweep_progress
    from nsmed.store.zarr_store import check_writable

    cfg = _config(model, dataset, limit, granularity, positions, out, remote, resume, config, overwrite, backend, strategy, rows, threads, effects)
    check_writable(cfg.out, cfg.overwrite)
    prepared = _prepare_and_plan(cfg)
    with sweep_progress(prepared.total_patches) as advance:
        path = pipeline.execute(prepared, progress=advance)
    typer.echo(f"store: {path}")
    typer.echo(f"next: nsmed inspect {path}   |   nsmed plot {path} --out {Path(path).with_suffix('.png')}")


def _prepare_and_plan(cfg):
    """Load and check everything, then print the cost plan with a calibrated estimate (stderr)."""
    from nsmed import pipeline
    from nsmed.mediation.cost import calibrate, count

    typer.echo(f"loading model {cfg.model!r} …", err=True)
    prepared = pipeline.prepare(cfg)
    for note in prepared.notes:
        typer.secho(f"note: {note}", err=True, fg="yellow")
    typer.echo(f"backend {prepared.backend.name}; calibrating on the first pair …", err=True)
    for line in calibrate(prepared, count(prepared)).lines():
        typer.echo(line, err=True)
    return prepared


@user_errors
def plan(
    model: Model = "default",
    dataset: Dataset = "default",
    limit: Limit = None,
    granularity: Granularity = "layer,module",
    positions: Positions = "last",
    out: Out = Path("results/run.zarr"),
    remote: Remote = False,
    resume: Resume = False,
    config: ConfigFile = None,
    overwrite: Overwrite = False,
    backend: Backend = "local",
    strategy: Strategy = "auto",
    rows: Rows = 0,
    threads: Threads = 0,
    effects: Effects = "nie,ae",
):
    """Print what a run would cost before running it: sites, patched runs, forward-equivalents with and
    without suffix recomputation, and an estimated time from a short calibration. Writes nothing."""
    cfg = _config(model, dataset, limit, granularity, positions, out, remote, resume, config, overwrite, backend, strategy, rows, threads, effects)
    _prepare_and_plan(cfg)
