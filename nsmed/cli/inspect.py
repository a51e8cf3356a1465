"""``nsmed inspect STORE``: what a store holds and what it found (no model needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nsmed.cli.common import user_errors


def _site_lines(by_module: dict) -> list[str]:
    return [f"  {r['module']:<5} layer {r['layer']:>3} pos {r['position']:>3}: {r['mean']}   share of TE {r['share_of_te'].mean:+.2f}"
            f" [{r['share_of_te'].low:+.2f}, {r['share_of_te'].high:+.2f}]" for rows in by_module.values() for r in rows]


@user_errors
def inspect(store: Annotated[Path, typer.Argument(help="An effect store written by nsmed run.")],
            top: Annotated[int, typer.Option(help="How many sites to list per module and effect.")] = 3):
    """Print the store's dims, model, metric, TE with its 95% CI, and the strongest layers and modules."""
    import nsmed
    from nsmed.summary import summarise

    ds = nsmed.open_effects(store)
    s = summarise(ds, top)
    lines = [
        f"store      {store}  (status: {s['status']}, {s['pairs_complete']}/{s['pairs']} pairs complete)",
        f"model      {s['model']}  revision {s['revision']}",
        f"dims       " + ", ".join(f"{k}={v}" for k, v in ds.sizes.items()),
        f"modules    {', '.join(s['modules'])}   positions {s['positions']}   strategy {s['strategy']}",
        f"metric     refusal score = logsumexp(R) - logsumexp(C); R={ds.attrs.get('refusal_tokens')} C={ds.attrs.get('compliance_tokens')}",
        f"y(harmful) {s['score_harmful']}",
        f"y(harmless){s['score_harmless']}",
        f"TE         {s['total_effect']}",
        f"strongest sites per module by mean NIE (denoising: harmful value into the harmless run):",
        *_site_lines(s["top_indirect"]),
        f"strongest sites per module by mean AE (noising: harmless value into the harmful run):",
        *_site_lines(s["top_ablation"]),
        "largest mean NIE share of TE per module: " + ", ".join(f"{m} {v:+.2f}" for m, v in s["best_share_by_module"].items()),
    ]
    typer.echo("\n".join(lines))
