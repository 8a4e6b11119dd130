"""The op decompositions llmhls applies before import: torch-mlir's table plus our own.

torch-mlir decomposes `aten.gelu(approximate='tanh')` itself, with sqrt(2/pi) written
as 0.7977240352 (the true value is 0.7978845608) and x^3 as a `pow`: the emitted kernel
was off by 1.8e-5 of its output scale and paid for a pow core per element. Decomposing
GELU here, with the exact constants and x*x*x, gives the kernel PyTorch's own formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch_mlir.extras.fx_decomp_util import get_decomposition_table

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_SQRT_HALF = math.sqrt(0.5)
_GELU_CUBIC = 0.044715  # the tanh approximation's cubic coefficient (Hendrycks & Gimpel)


def gelu(x: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    """GELU as PyTorch defines it: 0.5 x (1 + erf(x / sqrt 2)), or its tanh approximation."""
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + _GELU_CUBIC * (x * x * x))
        return 0.5 * x * (1.0 + torch.tanh(inner))
    return 0.5 * x * (1.0 + torch.erf(x * _SQRT_HALF))


def decomposition_table() -> dict[Any, Callable]:
    """torch-mlir's decomposition table with llmhls's replacements."""
    table = dict(get_decomposition_table())
    table[torch.ops.aten.gelu.default] = gelu
    return table
