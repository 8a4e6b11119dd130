"""The channel-parallel decode engine (`llmhls compile --engine stream`)."""

from llmhls.compiler.llm.engine.build import (
    ENGINE_FUNCTION,
    KV_BYTES,
    KV_CTYPES,
    engine_files,
    engine_tolerance,
    kernel_args,
    kernel_file_list,
    plan_engine,
)

__all__ = [
    "ENGINE_FUNCTION",
    "KV_BYTES",
    "KV_CTYPES",
    "engine_files",
    "engine_tolerance",
    "kernel_args",
    "kernel_file_list",
    "plan_engine",
]
