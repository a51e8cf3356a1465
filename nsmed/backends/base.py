"""The execution seam: every nnsight trace nsmed runs goes through a Backend.

A backend turns (model, inputs) into an nnsight tracing context. The analysis code never branches
on where it runs; it asks the backend what it supports (``supports_kv_cache``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Backend(ABC):
    """Executes nnsight traces.

    name: shown to users and stored in the run's attrs.
    supports_kv_cache: whether a trace may take a prefix KV cache as input (suffix recomputation).
    """

    name: str = "abstract"
    supports_kv_cache: bool = False

    @abstractmethod
    def trace(self, nn_model, inputs: dict, **kwargs):
        """Return the tracing context for ``nn_model`` on ``inputs`` (a dict of model kwargs)."""

    def describe(self) -> dict:
        return {"backend": self.name, "backend_supports_kv_cache": self.supports_kv_cache}
