"""The one place that turns a backend name into a Backend."""

from __future__ import annotations

from nsmed.backends.base import Backend
from nsmed.errors import NsmedError

BACKENDS = ("local", "simulated")


def get_backend(name: str) -> Backend:
    from nsmed.backends.local import LocalBackend, SimulatedRemoteBackend

    if name == "local":
        return LocalBackend()
    if name == "simulated":
        return SimulatedRemoteBackend()
    if name == "remote":
        raise NsmedError("remote execution on NDIF is not available in this version of nsmed yet; run locally")
    raise NsmedError(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}")
