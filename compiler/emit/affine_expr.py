"""Print MLIR affine expressions as C integer expressions.

Index arithmetic in llmhls kernels is non-negative (loop counters and array
offsets), so `floordiv`/`mod` map onto C's `/` and `%` directly.
"""

from __future__ import annotations

from torch_mlir import ir

# Precedence levels of the printed text: sums bind loosest, atoms tightest.
_SUM, _PRODUCT, _ATOM = 0, 1, 2


def affine_expr_to_c(expr: ir.AffineExpr, dims: list[str], symbols: list[str]) -> str:
    """`d0 * 16 + d1` with dims ['i0', 'i1'] → `i0*16 + i1`."""
    return _print(expr, dims, symbols)[0]


def _wrap(printed: tuple[str, int], level: int) -> str:
    text, prec = printed
    return f"({text})" if prec < level else text


def _print(expr: ir.AffineExpr, dims: list[str], symbols: list[str]) -> tuple[str, int]:
    expr = expr.maybe_downcast()
    if isinstance(expr, ir.AffineConstantExpr):
        value = expr.value
        return (str(value), _ATOM if value >= 0 else _SUM)
    if isinstance(expr, ir.AffineDimExpr):
        return (dims[expr.position], _ATOM)
    if isinstance(expr, ir.AffineSymbolExpr):
        return (symbols[expr.position], _ATOM)
    if isinstance(expr, ir.AffineAddExpr):
        lhs = _print(expr.lhs, dims, symbols)[0]
        rhs = expr.rhs
        if isinstance(rhs, ir.AffineConstantExpr) and rhs.value < 0:
            return (f"{lhs} - {-rhs.value}", _SUM)
        if (
            isinstance(rhs, ir.AffineMulExpr)
            and isinstance(rhs.rhs, ir.AffineConstantExpr)
            and rhs.rhs.value < 0
        ):
            magnitude = -rhs.rhs.value
            term = _wrap(_print(rhs.lhs, dims, symbols), _PRODUCT)
            term = term if magnitude == 1 else f"{term}*{magnitude}"
            return (f"{lhs} - {term}", _SUM)
        return (f"{lhs} + {_print(rhs, dims, symbols)[0]}", _SUM)
    if isinstance(expr, ir.AffineMulExpr):
        rhs_expr = expr.rhs.maybe_downcast()
        if isinstance(rhs_expr, ir.AffineConstantExpr) and rhs_expr.value == -1:
            return (f"-{_wrap(_print(expr.lhs, dims, symbols), _ATOM)}", _PRODUCT)
        lhs = _wrap(_print(expr.lhs, dims, symbols), _PRODUCT)
        rhs = _wrap(_print(expr.rhs, dims, symbols), _ATOM)
        return (f"{lhs}*{rhs}", _PRODUCT)
    if isinstance(expr, ir.AffineFloorDivExpr):
        lhs = _wrap(_print(expr.lhs, dims, symbols), _PRODUCT)
        return (f"{lhs} / {_wrap(_print(expr.rhs, dims, symbols), _ATOM)}", _PRODUCT)
    if isinstance(expr, ir.AffineCeilDivExpr):
        lhs = _print(expr.lhs, dims, symbols)[0]
        rhs = _wrap(_print(expr.rhs, dims, symbols), _ATOM)
        return (f"({lhs} + {rhs} - 1) / {rhs}", _PRODUCT)
    if isinstance(expr, ir.AffineModExpr):
        lhs = _wrap(_print(expr.lhs, dims, symbols), _PRODUCT)
        return (f"{lhs} % {_wrap(_print(expr.rhs, dims, symbols), _ATOM)}", _PRODUCT)
    raise TypeError(f"unknown affine expression {expr}")


def linearize(
    results: list[ir.AffineExpr],
    strides: list[int],
    offset: int,
    num_dims: int,
    num_symbols: int,
) -> ir.AffineExpr:
    """The flat element offset `offset + Σ result_k * stride_k` as one simplified expression."""
    linear = ir.AffineConstantExpr.get(offset)
    for result, stride in zip(results, strides, strict=True):
        linear = linear + result * stride
    return ir.AffineExpr.simplify_affine_expr(linear, num_dims, num_symbols)
