"""On-disk cache of GGUF-loaded models as safetensors (second load ~1 s instead of ~25 s).

Location: ``$NSMED_CACHE`` or ``~/.cache/nsmed``. One folder per source file hash; a folder
counts as complete only once ``nsmed_cache.json`` is written (last), so a crash mid-save never
leaves a cache that looks usable.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

MARKER = "nsmed_cache.json"


def cache_root() -> Path:
    return Path(os.environ.get("NSMED_CACHE", Path.home() / ".cache" / "nsmed"))


def sha256_of(paths, chunk: int = 1 << 24) -> str:
    """sha256 of the concatenation of ``paths`` (read in chunks)."""
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            while block := f.read(chunk):
                h.update(block)
    return h.hexdigest()


def cached_dir(key: str) -> Path | None:
    """The cache folder for ``key`` if it is complete, else None."""
    d = cache_root() / key
    return d if (d / MARKER).is_file() else None


def save_to_cache(key: str, hf_model, tokenizer, meta: dict) -> Path:
    """Save a (GGUF-dequantised) model and tokenizer as safetensors under the cache; returns the folder."""
    import torch
    from transformers import AutoModelForCausalLM

    final = cache_root() / key
    tmp = final.with_name(final.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    cfg = hf_model.config
    if hasattr(cfg, "quantization_config"):
        del cfg.quantization_config
    with torch.device("meta"):
        plain = AutoModelForCausalLM.from_config(cfg)
    plain.load_state_dict(hf_model.state_dict(), assign=True)
    plain.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / MARKER).write_text(json.dumps(meta, indent=1))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return final


def read_meta(d: Path) -> dict:
    return json.loads((d / MARKER).read_text())
