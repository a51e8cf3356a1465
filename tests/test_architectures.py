"""Declared architecture paths work beyond Llama: tiny random GPT-2 (absolute positions, Conv1D MLP)
and Gemma-3 (logit soft-capping) models, saved to a folder and loaded by path, give sweep values
equal to the plain-hook reference; an undeclared family is a one-line error."""

from __future__ import annotations

import pytest

from nsmed.backends.registry import get_backend
from nsmed.data.pairs import Pair, encode_pairs, load_pairs
from nsmed.errors import ModelLoadError
from nsmed.mediation.readout import Readout
from nsmed.mediation.sweep import SweepSpec, run_chunk
from nsmed.metrics import RefusalMetric
from nsmed.models.loading import load_model
from nsmed.models.tiny import build_tiny_tokenizer
from nsmed.testing import reference_effects


def _gpt2(vocab):
    from transformers import GPT2Config, GPT2LMHeadModel

    return GPT2LMHeadModel(GPT2Config(vocab_size=vocab, n_positions=256, n_embd=64, n_layer=2, n_head=4))


def _gemma3(vocab):
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    cfg = Gemma3TextConfig(vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=2, head_dim=16, sliding_window=8,
                           final_logit_softcapping=0.5, max_position_embeddings=256)
    return Gemma3ForCausalLM(cfg)


def _saved(build, tmp_path, seed=0):
    import torch

    tok = build_tiny_tokenizer()
    torch.manual_seed(seed)
    model = build(len(tok))
    with torch.no_grad():
        model.get_output_embeddings().weight.mul_(20.0)  # random init: make the metric move
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    return load_model(str(tmp_path))


@pytest.mark.parametrize("build,family", [(_gpt2, "gpt2"), (_gemma3, "gemma3_text")])
def test_family_sweep_matches_hooks(build, family, tmp_path):
    lm = _saved(build, tmp_path)
    assert lm.hf.config.model_type == family and lm.n_layers == 2 and lm.d_model == 64
    metric = RefusalMetric.from_tokenizer(lm.tokenizer)
    pairs = load_pairs("default", limit=2) + [Pair("odd", "t", "Tell me how to hack a bank now.", "Write a poem.")]
    encoded = encode_pairs(lm.tokenizer, pairs)
    spec = SweepSpec([0, 1], ("attn", "mlp", "resid"), [-3, -1], "suffix")
    res = run_chunk(lm, get_backend("local"), Readout(lm, metric), encoded, spec)
    worst = 0.0
    for pi in range(len(encoded)):
        for layer, module, pos in [(0, "attn", -1), (1, "mlp", -3), (0, "resid", -3), (1, "attn", -1)]:
            ref = reference_effects(lm, metric, encoded[pi], layer, module, pos)
            cell = (pi, layer, spec.modules.index(module), spec.offsets.index(pos))
            worst = max(worst, abs(float(res.indirect_effect[cell]) - ref["indirect_effect"]),
                        abs(float(res.ablation_effect[cell]) - ref["ablation_effect"]),
                        abs(float(res.score_harmful[pi] - res.score_harmless[pi]) - ref["total_effect"]))
    assert worst < 1e-5, worst
    assert abs(res.indirect_effect).max() > 1e-3


def test_undeclared_family_is_a_one_line_error(tmp_path):
    from transformers import BertConfig, BertLMHeadModel

    tok = build_tiny_tokenizer()
    BertLMHeadModel(BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                               intermediate_size=64, is_decoder=True)).save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    with pytest.raises(ModelLoadError, match="family 'bert' is not declared"):
        load_model(str(tmp_path))
