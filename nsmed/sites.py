"""Sites: where an intervention happens. A site is (layer, module, position[, neuron]).

``module`` is one of MODULES: ``attn`` (attention block output), ``mlp`` (MLP block output),
``resid`` (the residual stream after the layer). ``position`` is a negative offset from the end
of the prompt (-1 = last prompt token, where the first reply token is predicted).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

MODULES = ("resid", "attn", "mlp")
# Execution order inside one decoder layer: attention, then MLP, then the layer's output.
EXECUTION_ORDER = {"attn": 0, "mlp": 1, "resid": 2}


@dataclass(frozen=True, order=True)
class Site:
    layer: int
    module: str
    position: int
    neuron: int | None = None

    def __post_init__(self):
        if self.module not in MODULES:
            raise ValueError(f"unknown module {self.module!r}; expected one of {MODULES}")
        if self.position >= 0:
            raise ValueError(f"positions are negative offsets from the end, got {self.position}")


def site_grid(layers, modules, positions) -> list[Site]:
    """All sites of layers x modules x positions, sorted in execution order (layer, module order)."""
    sites = [Site(l, m, p) for l, m, p in itertools.product(layers, modules, positions)]
    return sorted(sites, key=lambda s: (s.layer, EXECUTION_ORDER[s.module], s.position))


def parse_positions(spec: str, aligned_length: int | None) -> list[int]:
    """Turn ``last`` / ``all`` / ``-1,-2,...`` into a sorted list of negative offsets (most negative first).

    ``aligned_length``: the longest templated prompt length if every pair is token-aligned, else
    None (then ``all`` is refused: only offsets from the end are comparable across the pair).
    Shorter prompts simply have no value at offsets before their start.
    """
    from nsmed.errors import NsmedError

    spec = spec.strip().lower()
    if spec == "last":
        return [-1]
    if spec == "all":
        if aligned_length is None:
            raise NsmedError(
                "--positions all needs token-aligned pairs; this dataset has unaligned pairs, "
                "so use offsets from the end (e.g. --positions -1,-2,-3)"
            )
        return list(range(-aligned_length, 0))
    try:
        offs = sorted({int(tok) for tok in spec.split(",") if tok.strip()})
    except ValueError:
        raise NsmedError(f"--positions must be last, all or negative offsets like -1,-2; got {spec!r}") from None
    if not offs or any(o >= 0 for o in offs):
        raise NsmedError(f"--positions offsets must be negative (counted from the end), got {spec!r}")
    return offs
