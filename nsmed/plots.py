"""Figures from a store (no model needed): layer x module heatmap of the mean NIE as a share of
mean TE, and a layer x position heatmap per module when several positions were run."""

from __future__ import annotations

from pathlib import Path


def heatmaps(ds, out: str | Path) -> Path:
    """Write the figure to ``out`` (PNG). Returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from nsmed.summary import normalised_mean

    share = normalised_mean(ds, "indirect_effect").load()  # [layer, module, position]
    modules = [str(m) for m in share["module"].values]
    multi = share.sizes["position"] > 1
    ncols = 1 + (len(modules) if multi else 0)
    fig, axes = plt.subplots(1, ncols, figsize=(4 + 4 * (ncols - 1), 0.25 * share.sizes["layer"] + 2.5), squeeze=False)
    vmax = float(np.nanmax(np.abs(share.values))) or 1.0
    kw = dict(cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto", origin="lower")
    ax = axes[0, 0]
    im = ax.imshow(share.sel(position=share["position"].max()).values, **kw)
    layers = [int(v) for v in share["layer"].values]
    ystep = max(1, len(layers) // 12)
    for a in axes.ravel():
        a.set_yticks(range(0, len(layers), ystep), labels=layers[::ystep])
    ax.set(xticks=range(len(modules)), xticklabels=modules, xlabel="module", ylabel="layer",
           title=f"NIE / TE at position {int(share['position'].max())}")
    for j, m in enumerate(modules if multi else []):
        a = axes[0, j + 1]
        a.imshow(share.sel(module=m).values, **kw)
        pos = [int(p) for p in share["position"].values]
        step = max(1, len(pos) // 12)
        a.set(xticks=range(0, len(pos), step), xticklabels=pos[::step], xlabel="position (from end)", title=f"{m}: NIE / TE")
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, label="mean NIE / mean TE")
    n = int(ds["pair_complete"].sum())
    fig.suptitle(f"{ds.attrs.get('model_id')}: {n} pairs, refusal score", fontsize=10, y=1.02)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return out
