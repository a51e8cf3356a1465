"""Local backends: in-process execution, and nnsight's remote simulation (serialise, then run here)."""

from __future__ import annotations

from nsmed.backends.base import Backend


class LocalBackend(Backend):
    """Runs traces in this process."""

    name = "local"
    supports_kv_cache = True

    def trace(self, nn_model, inputs: dict, **kwargs):
        return nn_model.trace(inputs, **kwargs)


class SimulatedRemoteBackend(Backend):
    """Serialises each trace exactly as a remote (NDIF) request, then runs it locally.

    Used in tests to prove the sweep survives nnsight's remote serialisation without a network.
    """

    name = "simulated"
    supports_kv_cache = True

    def trace(self, nn_model, inputs: dict, **kwargs):
        return nn_model.trace(inputs, remote="local", **kwargs)
