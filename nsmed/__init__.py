"""nsmed: causal mediation analysis of refusal in chat models, with nnsight and labelled zarr stores.

Kept light: nothing heavy is imported here; ``open_effects`` imports xarray on first call.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "open_effects"]


def open_effects(path):
    """Open an effect store lazily as an ``xarray.Dataset`` (see ``nsmed.store.zarr_store``)."""
    from nsmed.store.zarr_store import open_effects as _open

    return _open(path)
