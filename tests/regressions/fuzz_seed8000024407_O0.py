"""llmhls fuzz reproducer (seed 8000024407, -O0): compile-error.

UnsupportedError: op 'affine.linearize_index' on index (from aten.cumsum in module '<top>') has
no row in llmhls's op table (passes/analysis/op_table.py): llmhls can neither print nor price it
"""

from llmhls.compiler.fuzz import build_model_from_spec

SEED = 8000024407
LEVEL = 0
FAILURE = "compile-error"
SPEC = {
    "inputs": [
        ["float32", [2, 4]],
    ],
    "nodes": [
        ["reshape", [0], [2, 4, 1]],
        ["linear", [1], [11]],
        ["cumsum", [2], [2]],
    ],
    "outputs": [3],
    "seed": 8000024407,
}


def build_model():
    return build_model_from_spec(SPEC)
