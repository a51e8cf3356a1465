"""A rich progress bar for sweeps: patched runs done / total, rate and ETA (on stderr)."""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def sweep_progress(total: int):
    """Yield ``advance(n)``: call it after each trace with the number of patched runs it finished."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (TextColumn("site patches"), BarColumn(), MofNCompleteColumn(), TextColumn("elapsed"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("sweep", total=total)
        yield lambda n: bar.advance(task, n)
