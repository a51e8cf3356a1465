"""Score the refusal metric from the final-norm hidden state, projecting only the token rows it needs.

The full vocabulary projection is never computed: y needs logits of R ∪ C only.
"""

from __future__ import annotations

import torch

from nsmed.metrics import RefusalMetric
from nsmed.models.architectures import get_path


class Readout:
    """h [rows, d_model] (final-norm output at the last position) -> refusal score [rows]."""

    def __init__(self, lm, metric: RefusalMetric):
        unembed = get_path(lm.hf, lm.arch.unembed)
        ids = torch.tensor(metric.token_ids)
        self.weight = unembed.weight.detach()[ids].float()  # [|R|+|C|, d_model]
        bias = getattr(unembed, "bias", None)
        self.bias = None if bias is None else bias.detach()[ids].float()
        cap_name = lm.arch.logit_softcap
        self.softcap = getattr(lm.hf.config, cap_name, None) if cap_name else None
        self.metric = metric

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """h: [rows, d_model] -> logits of the metric's tokens [rows, |R|+|C|]."""
        out = h.float() @ self.weight.T
        if self.bias is not None:
            out = out + self.bias
        if self.softcap:
            out = torch.tanh(out / self.softcap) * self.softcap
        return out

    def __call__(self, h: torch.Tensor) -> torch.Tensor:
        return self.metric.score_from_selected(self.logits(h))
