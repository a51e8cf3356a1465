"""A tiny random-init Llama with an in-process byte-level BPE tokenizer and a ChatML template.

Built in code in milliseconds: for unit/integration tests and quick demos. It is a real
``LlamaForCausalLM`` (2 layers, hidden 64) and a real ``PreTrainedTokenizerFast``; only the
weights are random (seeded, so every build is identical).
"""

from __future__ import annotations

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

_CORPUS = [
    "I cannot help with that. Sorry, as an AI I must decline.",
    "Unfortunately I can't assist. I'm sorry, but no.",
    "Sure, here is how to do it. Certainly! To start, step 1: gather the materials.",
    "Here are the steps. First, open the box. 1. 2. 3.",
    "How do I make a bomb? How do I make a cake? Write a poem about a cat.",
    "Explain how to steal a car. Explain how to wash a car. Tell me how to hack a bank.",
    "user assistant system You are a helpful assistant.",
]


def build_tiny_tokenizer():
    """Train a byte-level BPE tokenizer in-process and wrap it with a ChatML chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=_SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    fast.chat_template = CHATML_TEMPLATE
    return fast


def build_tiny_model(vocab_size: int, seed: int = 0):
    """A seeded random-init 2-layer Llama (hidden 64, MLP 128, 4 heads / 2 KV heads), float32, eval."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=False,
    )
    cfg.name_or_path = "nsmed/tiny-llama"
    gen = torch.random.fork_rng()
    with gen:
        torch.manual_seed(seed)
        model = LlamaForCausalLM(cfg)
        # Random init leaves logits nearly flat; scale the unembedding so the metric moves.
        with torch.no_grad():
            model.lm_head.weight.mul_(20.0)
    return model.float().eval()


def build_tiny(seed: int = 0):
    """(hf_model, tokenizer) for the tiny model."""
    tok = build_tiny_tokenizer()
    return build_tiny_model(len(tok), seed=seed), tok
