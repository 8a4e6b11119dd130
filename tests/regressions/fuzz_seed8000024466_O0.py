"""llmhls fuzz reproducer (seed 8000024466, -O0): crash.

AttributeError: 'NoneType' object has no attribute 'name'
"""

from llmhls.compiler.fuzz import build_model_from_spec

SEED = 8000024466
LEVEL = 0
FAILURE = "crash"
SPEC = {
    "inputs": [
        ["int64", [1, 1]],
    ],
    "nodes": [
        ["embedding", [0], [5, 3]],
    ],
    "outputs": [1, 1],
    "seed": 8000024466,
}


def build_model():
    return build_model_from_spec(SPEC)
