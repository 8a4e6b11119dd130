"""llmhls fuzz reproducer (seed 11000033, -O2): csim-error.

CSimError: WORK/O2/csim_build/tb_fuzz: crashed with SIGSEGV
"""

from llmhls.compiler.fuzz import build_model_from_spec

SEED = 11000033
LEVEL = 2
FAILURE = "csim-error"
SPEC = {
    "inputs": [
        ["float32", [1, 1]],
        ["bool", [1, 1]],
        ["float32", [1]],
    ],
    "nodes": [
        ["where", [1, 0, 2], []],
    ],
    "outputs": [3],
    "seed": 11000033,
}


def build_model():
    return build_model_from_spec(SPEC)
