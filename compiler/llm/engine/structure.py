"""The decode engine's structure, decided by passes over the IR of one decoder layer.

Which matrices the engine fuses into one weight phase, in which order it
streams them and how their rows split over the memory channels is decided by
`hls-weight-streaming`, and the KV-cache traffic by `hls-kv-cache-buffer`,
on the bufferized linalg IR of one layer; this module runs them and reads the
`hlsdf.weight_bank` ops back into plain dataclasses for the engine build. The
same IR can be printed (`lower_layer_for_engine`) and rerun with `llmhls-opt
--pass-pipeline=<engine_pipeline(channels)>`, and `llmhls-translate
--emit-engine-table` prints it as C++.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch_mlir import ir

from llmhls.compiler.emit.engine_table import engine_phases_of
from llmhls.compiler.frontend import export_module
from llmhls.compiler.importer import import_program
from llmhls.compiler.lowering import BUFFERIZE_PASSES
from llmhls.errors import OptionError
from llmhls.passes.pipeline import run_pipeline

LAYER_FUNCTION = "decoder_layer"


@dataclass(frozen=True)
class PhaseSpec:
    """One weight phase of the engine: fused weights (state_dict names), in row order."""

    name: str  # "qkv", "out", "gate_up", "down"
    weights: tuple[str, ...]  # the layer's state_dict keys, e.g. ("pre.q_proj.weight", ...)
    rows: int  # sum of the fused weights' output rows
    inputs: int  # the shared input length
    weight_rows: tuple[int, ...]  # rows of each fused weight, in `weights` order
    channels: int
    offset: int  # byte offset of the phase in channel 0's stream of one layer
    format: str = "fp32"  # the bank's storage format
    interleave: int = 8  # rounds per block
    depth: int = 4096  # the loader FIFO's words


def engine_pipeline(channels: int, weights: str = "fp32") -> str:
    """linalg-on-tensors -> the engine's structure, as `llmhls-opt --pass-pipeline` takes it."""
    return (
        f"builtin.module({BUFFERIZE_PASSES}, hls-kv-cache-buffer, "
        f"hls-weight-streaming{{channels={channels} weights={weights}}})"
    )


def lower_layer_for_engine(
    layer_module: torch.nn.Module,
    example_inputs: tuple[torch.Tensor, ...],
    channels: int,
    weights: str = "fp32",
) -> ir.Module:
    """Export and import one layer, bufferize it and run the engine's structure passes."""
    if channels < 1:
        raise OptionError(f"the decode engine needs at least one channel, got {channels}")
    loaded = export_module(layer_module.eval(), tuple(example_inputs), LAYER_FUNCTION)
    imported = import_program(loaded.program, func_name=LAYER_FUNCTION)
    run_pipeline(imported.module, engine_pipeline(channels, weights))
    return imported.module


def phases_of(module: ir.Module) -> list[PhaseSpec]:
    """The streamed weight banks of `module`, in execution order."""
    return [
        PhaseSpec(
            name=phase.name,
            weights=phase.stream.weights,
            rows=phase.stream.rows,
            inputs=phase.stream.inputs,
            weight_rows=phase.stream.weight_rows,
            channels=phase.stream.channels,
            offset=phase.offset,
            format=phase.stream.format,
            interleave=phase.stream.interleave,
            depth=phase.stream.depth,
        )
        for phase in engine_phases_of(module)
    ]


def engine_phases(
    layer_module: torch.nn.Module,
    example_inputs: tuple[torch.Tensor, ...],
    channels: int,
    weights: str = "fp32",
) -> list[PhaseSpec]:
    """The weight phases of one decoder layer (llama: qkv, out, gate_up, down), in `weights`."""
    return phases_of(lower_layer_for_engine(layer_module, example_inputs, channels, weights))
