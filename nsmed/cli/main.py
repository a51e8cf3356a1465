"""``nsmed``: the typer app. Each command lives in its own file; this joins them."""

from __future__ import annotations

import typer

from nsmed.cli import inspect as inspect_cmd
from nsmed.cli import plot as plot_cmd
from nsmed.cli import run as run_cmd

app = typer.Typer(
    help="Causal mediation analysis of refusal: which layers and modules (attention vs MLP) carry the "
    "harmful/harmless difference that decides whether a chat model refuses. Results go to a labelled zarr store.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("run")(run_cmd.run)
app.command("plan")(run_cmd.plan)
app.command("inspect")(inspect_cmd.inspect)
app.command("plot")(plot_cmd.plot)


def main() -> None:
    app()
