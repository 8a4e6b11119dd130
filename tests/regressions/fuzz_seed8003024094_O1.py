"""llmhls fuzz reproducer (seed 8003024094, -O1): compile-error.

UnsupportedError: op 'affine.linearize_index' on index (from aten.cumsum in module '<top>') has
no row in llmhls's op table (passes/analysis/op_table.py): llmhls can neither print nor price it
"""

from llmhls.compiler.fuzz import build_model_from_spec

SEED = 8003024094
LEVEL = 1
FAILURE = "compile-error"
SPEC = {
    "inputs": [
        ["float32", [3, 2, 1]],
    ],
    "nodes": [
        ["linear", [0], [8]],
        ["cumsum", [1], [0]],
    ],
    "outputs": [2],
    "seed": 8003024094,
}


def build_model():
    return build_model_from_spec(SPEC)
