"""Does the refusal score agree with what the model writes? Greedy replies to each pair's harmful
and harmless prompt, classified by refusal phrases, against the sign of y at the last position.

    python experiments/validate_metric.py [--model default] [--limit 60] [--out results/metric_validation.json]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from nsmed.behaviour import greedy_replies, is_refusal
from nsmed.data.pairs import encode_pairs, load_pairs
from nsmed.mediation.effects import bootstrap_mean
from nsmed.metrics import RefusalMetric
from nsmed.models.loading import load_model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="default")
    ap.add_argument("--limit", type=int, default=60)
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--out", default="results/metric_validation.json")
    args = ap.parse_args()
    lm = load_model(args.model)
    metric = RefusalMetric.from_tokenizer(lm.tokenizer)
    enc = encode_pairs(lm.tokenizer, load_pairs("default", args.limit))
    prompts = [e.harmful_ids for e in enc] + [e.harmless_ids for e in enc]
    replies = greedy_replies(lm, prompts, args.tokens)
    with torch.no_grad():
        scores = [float(metric.score_from_logits(lm.hf(torch.tensor([list(p)])).logits[0, -1])) for p in prompts]
    refused = np.array([is_refusal(r) for r in replies], dtype=float)
    y = np.array(scores)
    n = len(enc)
    report = {
        "model": lm.hub_id or lm.name, "pairs": n, "max_new_tokens": args.tokens,
        "refusal_rate_harmful": str(bootstrap_mean(refused[:n])), "refusal_rate_harmless": str(bootstrap_mean(refused[n:])),
        "agreement_sign_y_vs_refusal": float(((y > 0) == (refused > 0)).mean()),
        "mean_y_when_refused": float(y[refused > 0].mean()) if refused.any() else None,
        "mean_y_when_complied": float(y[refused == 0].mean()) if (refused == 0).any() else None,
        "examples": [{"id": e.pair.id, "harmful_reply": replies[i], "harmful_y": y[i], "harmless_reply": replies[n + i],
                      "harmless_y": y[n + i]} for i, e in enumerate(enc)],
    }
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps({k: v for k, v in report.items() if k != "examples"}, indent=1))


if __name__ == "__main__":
    main()
