"""Effect statistics over pairs: means with percentile-bootstrap 95% CIs, and TE-normalised shares.

Normalisation is the ratio of means, mean(NIE) / mean(TE), which stays finite when single pairs
have TE near zero (a per-pair ratio would not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Estimate:
    """Mean over pairs with a 95% bootstrap CI; n = pairs used (NaNs dropped)."""

    mean: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.mean:+.3f} [95% CI {self.low:+.3f}, {self.high:+.3f}] (n={self.n})"


def bootstrap_mean(values, n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> Estimate:
    """values: [pairs] -> mean with a percentile-bootstrap CI (resampling pairs)."""
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    a = (1 - level) / 2
    return Estimate(float(x.mean()), float(np.quantile(means, a)), float(np.quantile(means, 1 - a)), int(x.size))


def bootstrap_ratio(num, den, n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> Estimate:
    """mean(num) / mean(den) over pairs, CI by resampling pairs jointly. num, den: [pairs]."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    ok = ~(np.isnan(num) | np.isnan(den))
    num, den = num[ok], den[ok]
    if num.size == 0 or den.mean() == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), int(num.size))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, num.size, size=(n_boot, num.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = num[idx].mean(axis=1) / den[idx].mean(axis=1)
    a = (1 - level) / 2
    return Estimate(float(num.mean() / den.mean()), float(np.nanquantile(ratios, a)),
                    float(np.nanquantile(ratios, 1 - a)), int(num.size))
