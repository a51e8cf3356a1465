"""Create an effect store, fill it by region (pair chunks), mark progress, and open it lazily.

Lifecycle: ``create`` writes metadata only (``status: running``); each finished chunk of pairs is
written with ``write_pairs`` (its variables, then ``pair_complete``, then the ``completed_pairs``
attr); ``finish`` sets ``status: complete``. A crash leaves ``status: running`` and the completed
pairs readable, never a store that looks complete.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
from pathlib import Path

import numpy as np

from nsmed.errors import StoreError
from nsmed.store import schema


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def check_writable(path: str | Path, overwrite: bool) -> Path:
    """Refuse an existing store (unless overwrite) or an unwritable parent folder, before any compute."""
    p = Path(path)
    if p.exists():
        if not overwrite:
            raise StoreError(f"{p} already exists; pass --overwrite to replace it")
        if not (p / "zarr.json").is_file():
            raise StoreError(f"{p} exists and is not a zarr store; refusing to overwrite it")
    parent = p.parent if str(p.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"cannot create output folder {parent}: {e.strerror}") from None
    if not os.access(parent, os.W_OK):
        raise StoreError(f"output folder {parent} is not writable")
    return p


def create(path: str | Path, ds_template, overwrite: bool = False) -> Path:
    """Write the store's metadata (and fill values) from an all-NaN template; nothing is computed."""
    p = check_writable(path, overwrite)
    if p.exists():
        shutil.rmtree(p)
    ds_template.attrs.update({"status": "running", "created": _now(), "completed_pairs": []})
    ds_template.to_zarr(p, mode="w-", compute=False, zarr_format=3, consolidated=False)
    return p


def _group(path):
    import zarr

    return zarr.open_group(str(path), mode="r+", zarr_format=3)


def write_pairs(path, start: int, values: dict[str, np.ndarray]) -> None:
    """Write one region of pairs [start, start+n) and then mark those pairs complete.

    values: variable name -> array whose first dim is pair (shapes as in ``schema``).
    """
    import xarray as xr

    n = len(next(iter(values.values())))
    region = {"pair": slice(start, start + n)}
    ds = xr.Dataset({k: (schema.SITE_DIMS[: v.ndim], v.astype("float32")) for k, v in values.items()})
    ds.to_zarr(path, region=region, consolidated=False)
    xr.Dataset({"pair_complete": ("pair", np.ones(n, dtype=bool))}).to_zarr(path, region=region, consolidated=False)
    g = _group(path)
    done = sorted(set(g.attrs.get("completed_pairs", [])) | set(range(start, start + n)))
    g.attrs.update({"completed_pairs": done, "updated": _now()})


def finish(path, extra_attrs: dict | None = None) -> None:
    g = _group(path)
    g.attrs.update({"status": "complete", "finished": _now(), **(extra_attrs or {})})


def mark_failed(path, reason: str) -> None:
    """Record why a run stopped; completed pairs stay readable."""
    try:
        _group(path).attrs.update({"status": "incomplete", "stopped": _now(), "stop_reason": reason[:500]})
    except Exception:  # the store itself may be what failed; the caller reports the original error
        pass


def open_effects(path):
    """Open a store lazily (dask-backed ``xarray.Dataset``). Needs no model."""
    import xarray as xr

    p = Path(path)
    if not (p / "zarr.json").is_file():
        raise StoreError(f"{p} is not an nsmed effect store (no zarr.json)")
    ds = xr.open_zarr(p, consolidated=False, zarr_format=3)
    if "nsmed_version" not in ds.attrs:
        raise StoreError(f"{p} is a zarr store but not an nsmed effect store (no nsmed_version attr)")
    return ds
