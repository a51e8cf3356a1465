"""Where each family keeps its layers, attention, MLP and MLP neurons: declarative, keyed by
``config.model_type`` (the architecture family), never by a model's name.

Paths are attribute paths from the HF ``*ForCausalLM`` root. Per layer, relative to the layer:
``attn`` (its output, or output[0] when the module returns a tuple), ``mlp`` (its output),
``neuron`` (the module whose *input* is the MLP's hidden activation, i.e. after act/gating).
The residual stream after layer l is the layer module's own output. Whether an output is a tuple
is found by a probe when the model loads (``nsmed.models.loading``), not declared.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Architecture:
    """Module paths of one transformer family.

    layers: path to the ModuleList of decoder blocks.
    attn, mlp, neuron: paths relative to one block.
    final_norm: path to the norm before the unembedding; unembed: the vocabulary projection.
    logit_softcap: name of the config attribute holding a final tanh soft-cap (None if the family has none).
    Widths (d_model, d_mlp) are read off the model by the load-time probe, not declared.
    """

    layers: str
    attn: str
    mlp: str
    neuron: str
    final_norm: str
    unembed: str
    logit_softcap: str | None = None


_LLAMA_LIKE = Architecture(
    layers="model.layers",
    attn="self_attn",
    mlp="mlp",
    neuron="mlp.down_proj",
    final_norm="model.norm",
    unembed="lm_head",
)

ARCHITECTURES: dict[str, Architecture] = {
    "llama": _LLAMA_LIKE,
    "qwen2": _LLAMA_LIKE,
    "qwen3": _LLAMA_LIKE,
    "mistral": _LLAMA_LIKE,
    "gemma3_text": replace(_LLAMA_LIKE, logit_softcap="final_logit_softcapping"),
    "gpt2": Architecture(
        layers="transformer.h",
        attn="attn",
        mlp="mlp",
        neuron="mlp.c_proj",
        final_norm="transformer.ln_f",
        unembed="lm_head",
    ),
}


def get_path(root, path: str):
    """Follow a dotted attribute path (integers index ModuleLists)."""
    obj = root
    for part in path.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def architecture_for(config) -> Architecture:
    """The declared Architecture for an HF config, or a one-line error naming the family."""
    from nsmed.errors import ModelLoadError

    family = getattr(config, "model_type", None)
    if family not in ARCHITECTURES:
        raise ModelLoadError(
            f"architecture family {family!r} is not declared in nsmed.models.architectures "
            f"(known: {', '.join(sorted(ARCHITECTURES))})"
        )
    return ARCHITECTURES[family]


def check_paths(hf_model, arch: Architecture) -> None:
    """Resolve every declared path on a loaded model; raise ModelLoadError naming any that is missing."""
    from nsmed.errors import ModelLoadError

    try:
        layers = get_path(hf_model, arch.layers)
        n = len(layers)
        for rel in (arch.attn, arch.mlp, arch.neuron):
            for i in (0, n - 1):
                get_path(layers[i], rel)
        get_path(hf_model, arch.final_norm)
        get_path(hf_model, arch.unembed).weight
    except (AttributeError, IndexError, TypeError) as e:
        raise ModelLoadError(f"model does not match the declared {type(hf_model).__name__} layout: {e}") from None
