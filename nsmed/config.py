"""Run configuration: one dataclass, saved as JSON into every store (``attrs['config']``)."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from nsmed.errors import NsmedError

GRANULARITIES = ("layer", "module", "neuron")


@dataclass
class RunConfig:
    """Everything that determines a run's numbers (plus where they go).

    positions: "last", "all", or comma-separated negative offsets from the end ("-1,-2").
    granularity: subset of GRANULARITIES; "layer" -> module ``resid``, "module" -> ``attn``, ``mlp``.
    rows_per_trace: patched rows per nnsight trace; 0 = choose from free memory.
    pairs_per_chunk: pairs written to the store per region (also the store's pair chunk).
    strategy: "auto" (suffix recomputation where the backend allows it), "suffix" or "full".
    effects: which patched effects to measure: "nie" (denoising), "ae" (noising), or both.
    """

    model: str = "default"
    dataset: str = "default"
    limit: int | None = None
    granularity: tuple[str, ...] = ("layer", "module")
    positions: str = "last"
    out: str = "results/run.zarr"
    backend: str = "local"
    strategy: str = "auto"
    rows_per_trace: int = 0
    pairs_per_chunk: int = 8
    effects: str = "nie,ae"
    corruption: str = "counterfactual"
    threads: int = 0
    overwrite: bool = False
    resume: bool = False

    def __post_init__(self):
        if isinstance(self.granularity, str):
            self.granularity = tuple(g.strip() for g in self.granularity.split(",") if g.strip())
        self.granularity = tuple(self.granularity)
        bad = [g for g in self.granularity if g not in GRANULARITIES]
        if bad or not self.granularity:
            raise NsmedError(f"unknown granularity {bad or '(empty)'}; choose from {','.join(GRANULARITIES)}")
        if self.limit is not None and self.limit < 1:
            raise NsmedError(f"--limit must be a positive number of pairs, got {self.limit}")
        if self.pairs_per_chunk < 1:
            raise NsmedError("pairs_per_chunk must be >= 1")
        if self.strategy not in ("auto", "suffix", "full"):
            raise NsmedError(f"unknown strategy {self.strategy!r}; choose auto, suffix or full")
        if not self.directions or any(d.strip() not in ("nie", "ae") for d in self.effects.split(",") if d.strip()):
            raise NsmedError(f"--effects must be nie, ae or nie,ae; got {self.effects!r}")
        if self.corruption != "counterfactual":
            raise NsmedError(f"corruption {self.corruption!r} is not implemented; use counterfactual")

    @property
    def modules(self) -> tuple[str, ...]:
        """Module names swept, in execution order within a layer."""
        mods = []
        if "module" in self.granularity:
            mods += ["attn", "mlp"]
        if "layer" in self.granularity:
            mods.append("resid")
        return tuple(mods)

    @property
    def directions(self) -> tuple[str, ...]:
        """Effect directions in sweep order (``nie`` before ``ae``)."""
        wanted = {d.strip() for d in self.effects.split(",") if d.strip()}
        return tuple(d for d in ("nie", "ae") if d in wanted)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "RunConfig":
        return cls(**json.loads(text))

    @classmethod
    def from_toml(cls, path: str | Path, **overrides) -> "RunConfig":
        """Read ``[run]`` (or top-level keys) from a TOML file; ``overrides`` that are not None win."""
        p = Path(path)
        if not p.is_file():
            raise NsmedError(f"config file not found: {p}")
        try:
            data = tomllib.loads(p.read_text())
        except tomllib.TOMLDecodeError as e:
            raise NsmedError(f"config file {p} is not valid TOML: {e}") from None
        data = data.get("run", data)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise NsmedError(f"config file {p}: unknown keys {unknown}")
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**data)


__all__ = ["RunConfig", "GRANULARITIES"]
