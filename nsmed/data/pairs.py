"""Harmful/harmless prompt pairs: read (embedded default, JSONL, CSV), template and check alignment.

A pair is *aligned* when both templated prompts have the same token length; then every position
can be patched. Otherwise only positions counted from the end within the identical trailing
template tokens are comparable (``EncodedPair.max_offset``).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from nsmed.errors import DatasetError


@dataclass(frozen=True)
class Pair:
    id: str
    category: str
    harmful: str
    harmless: str


@dataclass(frozen=True)
class EncodedPair:
    """A pair after chat templating: token ids of both prompts (no padding)."""

    pair: Pair
    harmful_ids: tuple[int, ...]
    harmless_ids: tuple[int, ...]

    @property
    def aligned(self) -> bool:
        return len(self.harmful_ids) == len(self.harmless_ids)

    @property
    def common_suffix(self) -> int:
        """Number of identical trailing tokens."""
        n = 0
        for a, b in zip(reversed(self.harmful_ids), reversed(self.harmless_ids)):
            if a != b:
                break
            n += 1
        return n

    @property
    def max_offset(self) -> int:
        """How far back from the end positions may be patched: the whole prompt if aligned."""
        return len(self.harmful_ids) if self.aligned else self.common_suffix


def _rows_to_pairs(rows, source: str) -> list[Pair]:
    pairs = []
    for i, row in enumerate(rows):
        row = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
        missing = [c for c in ("harmful", "harmless") if c not in row]
        if missing:
            raise DatasetError(f"{source}: row {i + 1} has no column(s) {', '.join(missing)} (need harmful, harmless)")
        h, b = str(row["harmful"] or "").strip(), str(row["harmless"] or "").strip()
        if not h or not b:
            raise DatasetError(f"{source}: row {i + 1} has an empty harmful or harmless prompt")
        pid = f"pair-{i:04d}" if row.get("id") in (None, "") else str(row["id"])
        pairs.append(Pair(pid, str(row.get("category") or "uncategorised"), h, b))
    if not pairs:
        raise DatasetError(f"{source} holds no pairs")
    ids = [p.id for p in pairs]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"{source}: pair ids are not unique")
    return pairs


def _read_jsonl(text: str, source: str) -> list[dict]:
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DatasetError(f"{source}: line {n} is not valid JSON ({e.msg})") from None
        if not isinstance(obj, dict):
            raise DatasetError(f"{source}: line {n} is not a JSON object")
        rows.append(obj)
    return rows


def load_pairs(spec: str = "default", limit: int | None = None) -> list[Pair]:
    """``default`` (embedded), or a path to a .jsonl/.csv file with columns harmful, harmless[, id, category]."""
    if spec == "default":
        text = resources.files("nsmed.data").joinpath("default_pairs.jsonl").read_text()
        rows, source = _read_jsonl(text, "embedded dataset"), "embedded dataset"
    else:
        p = Path(spec)
        if not p.is_file():
            raise DatasetError(f"dataset file not found: {p}")
        text, source = p.read_text(encoding="utf-8-sig"), str(p)
        if not text.strip():
            raise DatasetError(f"dataset file {p} is empty")
        if p.suffix.lower() == ".jsonl":
            rows = _read_jsonl(text, source)
        elif p.suffix.lower() == ".csv":
            reader = csv.DictReader(text.splitlines())
            if not reader.fieldnames or not {"harmful", "harmless"} <= {f.strip().lower() for f in reader.fieldnames}:
                raise DatasetError(f"{p}: CSV header must include harmful and harmless (got {reader.fieldnames})")
            rows = list(reader)
        else:
            raise DatasetError(f"dataset file {p} must end in .jsonl or .csv")
    pairs = _rows_to_pairs(rows, source)
    return pairs[:limit] if limit else pairs


def template_ids(tokenizer, text: str) -> tuple[int, ...]:
    """Token ids of ``text`` as the user turn of a chat, with the generation prompt appended."""
    s = tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True)
    return tuple(tokenizer(s, add_special_tokens=False)["input_ids"])


def encode_pairs(tokenizer, pairs: list[Pair]) -> list[EncodedPair]:
    return [EncodedPair(p, template_ids(tokenizer, p.harmful), template_ids(tokenizer, p.harmless)) for p in pairs]


def check_positions(encoded: list[EncodedPair], offsets: list[int]) -> list[str]:
    """Check requested offsets against every pair; return notes for the user.

    Raises DatasetError when an offset reaches past the identical trailing template tokens of an
    unaligned pair, or past the start of every prompt. Offsets that only some (aligned) prompts are
    too short for are noted: those cells stay NaN.
    """
    notes = []
    deepest = -min(offsets)
    unaligned = [e for e in encoded if not e.aligned]
    if unaligned:
        worst = min(unaligned, key=lambda e: e.common_suffix)
        notes.append(
            f"{len(unaligned)}/{len(encoded)} pairs are not token-aligned: only offsets from the end are patched "
            f"(valid down to -{worst.common_suffix} for all of them)"
        )
        if deepest > worst.common_suffix:
            raise DatasetError(
                f"position {min(offsets)} reaches past the identical trailing template tokens of unaligned pair "
                f"{worst.pair.id!r} (only -1..-{worst.common_suffix} are comparable)"
            )
    longest = max(e.max_offset for e in encoded)
    if deepest > longest:
        raise DatasetError(f"position {min(offsets)} is before the start of every prompt (longest: {longest} tokens)")
    short = [e for e in encoded if e.max_offset < deepest]
    if short:
        notes.append(f"{len(short)}/{len(encoded)} prompts are shorter than {deepest} tokens: their cells before the prompt start stay NaN")
    return notes
