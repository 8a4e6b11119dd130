"""llmhls fuzz reproducer (seed 8001024096, -O2): compile-error.

UnsupportedError: op 'affine.linearize_index' on index (from aten.cumsum in module '<top>') has
no row in llmhls's op table (passes/analysis/op_table.py): llmhls can neither print nor price it
"""

from llmhls.compiler.fuzz import build_model_from_spec

SEED = 8001024096
LEVEL = 2
FAILURE = "compile-error"
SPEC = {
    "inputs": [
        ["int64", [2, 2, 1]],
    ],
    "nodes": [
        ["to_float", [0], []],
        ["linear", [1], [5]],
        ["cumsum", [2], [0]],
    ],
    "outputs": [3],
    "seed": 8001024096,
}


def build_model():
    return build_model_from_spec(SPEC)
