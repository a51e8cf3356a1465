"""``nsmed plot STORE``: heatmaps of mean normalised indirect effects (no model needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from nsmed.cli.common import user_errors


@user_errors
def plot(store: Annotated[Path, typer.Argument(help="An effect store written by nsmed run.")],
         out: Annotated[Optional[Path], typer.Option(help="PNG to write (default: next to the store).")] = None):
    """Draw a layer x module heatmap of mean NIE / mean TE (and layer x position per module when several positions were run)."""
    import nsmed
    from nsmed.errors import StoreError
    from nsmed.plots import heatmaps

    ds = nsmed.open_effects(store)
    if not bool(ds["pair_complete"].any()):
        raise StoreError(f"{store} has no completed pairs to plot")
    path = heatmaps(ds, out or Path(store).with_suffix(".png"))
    typer.echo(f"figure: {path}")
