"""The channel-parallel decode engine (`llmhls compile --engine stream`)."""

from llmhls.compiler.llm.engine.build import (
    ENGINE_FUNCTION,
    HLS_OPS,
    KV_CTYPES,
    engine_files,
    engine_tolerance,
    kernel_args,
    kernel_file_list,
    plan_engine,
)
from llmhls.compiler.llm.engine.performance import kv_row_bytes

__all__ = [
    "ENGINE_FUNCTION",
    "HLS_OPS",
    "KV_CTYPES",
    "engine_files",
    "engine_tolerance",
    "kernel_args",
    "kernel_file_list",
    "kv_row_bytes",
    "plan_engine",
]
