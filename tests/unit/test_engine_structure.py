"""The decode engine's structure comes from passes over the IR and is printed from it.

`engine_phases` runs hls-kv-cache-buffer and hls-weight-streaming on one
decoder layer of the tiny Llama and reads the weight banks back; every hlsdf
op the engine uses is created by a pass and printed by the engine emitter.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from llm_models import tiny_llama

from llmhls.compiler.context import read_module
from llmhls.compiler.emit.engine_table import emit_engine_table
from llmhls.compiler.llm.build import _layer_inputs
from llmhls.compiler.llm.engine.structure import PhaseSpec, engine_phases, engine_pipeline
from llmhls.compiler.llm.source import load_llm
from llmhls.compiler.llm.stages import build_stages, fp32_linear
from llmhls.errors import LlmhlsError, OptionError
from llmhls.passes.analysis.ir_utils import walk_ops
from llmhls.passes.dataflow.weight_streaming import bank_name
from llmhls.passes.pipeline import run_pipeline

LIT_ENGINE = Path(__file__).resolve().parents[1] / "lit" / "engine"
ENGINE_OPS = ("hlsdf.kv_append", "hlsdf.kv_window", "hlsdf.weight_bank")


@pytest.fixture(scope="module")
def llama_layer(tmp_path_factory: pytest.TempPathFactory) -> tuple[torch.nn.Module, tuple]:
    folder = tiny_llama(tmp_path_factory.mktemp("tiny_llama") / "model")
    llm = load_llm(folder)
    stages = build_stages(llm.config, llm.model, fp32_linear, fp32_linear)
    return stages.layer(0), _layer_inputs(llm.config, 1, 16)


def test_llama_layer_phases_are_qkv_out_gate_up_down(llama_layer) -> None:
    layer, inputs = llama_layer
    phases = engine_phases(layer, inputs, channels=4)
    state = layer.state_dict()
    assert [(p.name, p.weights) for p in phases] == [
        ("qkv", ("pre.q_proj.weight", "pre.k_proj.weight", "pre.v_proj.weight")),
        ("out", ("post.o_proj.weight",)),
        ("gate_up", ("post.gate_proj.weight", "post.up_proj.weight")),
        ("down", ("post.down_proj.weight",)),
    ]
    for phase in phases:
        shapes = [tuple(state[w].shape) for w in phase.weights]
        assert phase.weight_rows == tuple(rows for rows, _ in shapes)
        assert phase.rows == sum(phase.weight_rows)
        assert {inputs for _, inputs in shapes} == {phase.inputs}
        assert phase.channels == 4
    # Offsets: each phase follows the previous ones in channel 0's stream (fp32, 4 bytes).
    offset = 0
    for phase in phases:
        assert phase.offset == offset
        offset += -(-phase.rows // 4) * phase.inputs * 4
    again = engine_phases(layer, inputs, channels=4)
    assert again == phases, "the passes must decide the same structure every time"
    assert all(isinstance(p, PhaseSpec) for p in again)
    assert [p.channels for p in engine_phases(layer, inputs, channels=7)] == [7] * 4


def test_engine_needs_a_channel(llama_layer) -> None:
    layer, inputs = llama_layer
    with pytest.raises(OptionError, match="at least one channel, got 0"):
        engine_phases(layer, inputs, channels=0)


def test_every_engine_op_is_created_by_a_pass_and_printed() -> None:
    module = read_module(str(LIT_ENGINE / "Inputs" / "llama-layer.mlir"))
    before = {op.name for op in walk_ops(module.operation)}
    assert not before & set(ENGINE_OPS)
    run_pipeline(module, engine_pipeline(3))
    after = [op.name for op in walk_ops(module.operation)]
    assert {name: after.count(name) for name in ENGINE_OPS} == {
        "hlsdf.kv_append": 2,
        "hlsdf.kv_window": 2,
        "hlsdf.weight_bank": 4,
    }
    table = emit_engine_table(module)
    assert table.count("llmhls_kv_append(") == 2
    assert table.count("llmhls_kv_window(") == 2
    assert "constexpr int kChannels = 3;" in table
    for row in (
        # interleave: the engine's choice for the busiest channel's rounds (43 -> 11, 86 -> 8)
        '{"qkv", "fp32", 128, 64, kChannels, 128, 11, 4096, 0},',
        '{"out", "fp32", 64, 64, kChannels, 64, 11, 4096, 11008},',
        '{"gate_up", "fp32", 256, 64, kChannels, 256, 8, 4096, 16640},',
        '{"down", "fp32", 64, 128, kChannels, 64, 11, 4096, 38656},',
    ):
        assert row in table


def test_emitter_refuses_ir_without_engine_ops() -> None:
    module = read_module(str(LIT_ENGINE / "Inputs" / "llama-layer.mlir"))
    with pytest.raises(LlmhlsError, match="run hls-kv-cache-buffer and hls-weight-streaming"):
        emit_engine_table(module)


def test_bank_names() -> None:
    used: set[str] = set()
    assert bank_name(["pre.q_proj.weight", "pre.k_proj.weight", "pre.v_proj.weight"], used) == "qkv"
    assert bank_name(["post.o_proj.weight"], used) == "out"
    assert bank_name(["post.gate_proj.weight", "post.up_proj.weight"], used) == "gate_up"
    assert bank_name(["post.down_proj.weight"], used) == "down"
    assert bank_name(["h.down_proj.weight"], used) == "down_1"
    assert bank_name(["lm_head.weight"], used) == "lm_head"


def test_the_engine_builds_what_the_passes_decided(llama_layer, tmp_path) -> None:
    """hls-weight-streaming{weights=F} states each bank's format, row groups (rows a word),
    interleave and FIFO depth; the engine's layout of the same layer has exactly those,
    and a layout that differs is refused."""
    from llmhls.compiler.llm.engine.build import FIFO_DEPTH, _check_structure
    from llmhls.compiler.llm.engine.layout import Phase

    layer, inputs = llama_layer
    phases = engine_phases(layer, inputs, channels=3, weights="int4")
    assert {(p.format, p.depth) for p in phases} == {("int4", FIFO_DEPTH)}
    built = [Phase(p.name, "int4", p.rows, p.inputs, p.interleave) for p in phases]
    layout = SimpleNamespace(layer_phases=built)
    _check_structure(phases, layout)  # as decided: accepted
    other = [*built[:-1], Phase(built[-1].name, "int4", built[-1].rows, built[-1].inputs, 16)]
    with pytest.raises(LlmhlsError, match="hls-weight-streaming decided"):
        _check_structure(phases, SimpleNamespace(layer_phases=other))
    # int4 words hold two rows: half the row groups of fp32, so other offsets
    fp32 = engine_phases(layer, inputs, channels=3)
    assert [p.offset for p in phases] != [p.offset for p in fp32]
