"""Summaries of a store for people: TE with CI, strongest layers/modules, status. Reads only the store."""

from __future__ import annotations

import json

import numpy as np

from nsmed.mediation.effects import bootstrap_mean, bootstrap_ratio


def completed(ds):
    """The store restricted to pairs whose region is complete."""
    return ds.isel(pair=np.flatnonzero(ds["pair_complete"].values))


def normalised_mean(ds, var: str = "indirect_effect"):
    """mean(var) / mean(TE) over completed pairs: a DataArray over the remaining dims (ratio of means)."""
    done = completed(ds)
    return done[var].mean("pair") / done["total_effect"].mean("pair")


def top_sites(ds, var: str = "indirect_effect", k: int = 5, module: str | None = None) -> list[dict]:
    """The k (layer, module, position) cells with the largest mean effect over completed pairs
    (optionally of one module), each with its share of mean TE and a bootstrap CI of the mean."""
    done = completed(ds)
    mean = done[var].mean("pair").load()
    if module is not None:
        mean = mean.sel(module=[module])
    flat = mean.stack(site=("layer", "module", "position")).dropna("site")
    order = np.argsort(-flat.values)[:k]
    te = done["total_effect"].values
    rows = []
    for i in order:
        layer, module, position = flat["site"].values[i]
        vals = done[var].sel(layer=layer, module=module, position=position).values
        rows.append({"layer": int(layer), "module": str(module), "position": int(position),
                     "mean": bootstrap_mean(vals), "share_of_te": bootstrap_ratio(vals, te)})
    return rows


def module_totals(ds, var: str = "indirect_effect") -> dict[str, float]:
    """Per module: the largest mean effect over layers and positions, as a share of mean TE."""
    share = normalised_mean(ds, var)
    return {str(m): float(share.sel(module=m).max()) for m in share["module"].values}


def summarise(ds, top: int = 5) -> dict:
    """A JSON-friendly summary of a store (what ``nsmed inspect`` prints)."""
    done = completed(ds)
    cfg = json.loads(ds.attrs.get("config", "{}"))
    return {
        "model": ds.attrs.get("model_id"), "revision": ds.attrs.get("model_revision"),
        "status": ds.attrs.get("status"), "pairs_complete": int(done.sizes["pair"]), "pairs": int(ds.sizes["pair"]),
        "layers": int(ds.sizes["layer"]), "modules": [str(m) for m in ds["module"].values],
        "positions": [int(p) for p in ds["position"].values], "strategy": ds.attrs.get("strategy"),
        "dataset": cfg.get("dataset"),
        "score_harmful": bootstrap_mean(done["score_harmful"].values),
        "score_harmless": bootstrap_mean(done["score_harmless"].values),
        "total_effect": bootstrap_mean(done["total_effect"].values),
        "top_indirect": {str(m): top_sites(ds, "indirect_effect", top, m) for m in ds["module"].values},
        "top_ablation": {str(m): top_sites(ds, "ablation_effect", top, m) for m in ds["module"].values},
        "best_share_by_module": module_totals(ds),
    }
