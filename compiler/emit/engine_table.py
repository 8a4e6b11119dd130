"""Print the decode engine's structure from the IR: the phase table and the KV-cache traffic.

hls-weight-streaming decides the weight phases (`hlsdf.weight_bank` with its
stream attributes) and hls-kv-cache-buffer the KV-cache traffic
(`hlsdf.kv_append`, `hlsdf.kv_window`); this emitter only prints them, as a
C++ header a Vitis user can read: a comment block that says what each phase
fuses and each KV op does, one `constexpr` row per phase (rows, inputs,
channels, row groups, interleave, FIFO depth, byte offset in channel 0's
stream) and the sizes and `llmhls_kv_attention.h` call of the cache update.
It decides nothing: every number is an attribute or a type of the IR.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from llmhls.dialects import hlsdf
from llmhls.errors import LlmhlsError
from llmhls.passes.analysis.ir_utils import (
    c_identifier,
    function_arg_attrs,
    symbol_name,
    top_function,
    walk_ops,
)

KV_APPEND = "hlsdf.kv_append"
KV_WINDOW = "hlsdf.kv_window"
WEIGHT_BANK = "hlsdf.weight_bank"


@dataclass(frozen=True)
class Phase:
    """One streamed weight bank as the table prints it."""

    name: str
    offset: int
    stream: hlsdf.WeightStream


def _dims(value: ir.Value) -> list[int]:
    return list(ir.MemRefType(value.type).shape)


def _brackets(dims: list[int]) -> str:
    return "".join(f"[{d}]" for d in dims)


def _cache_name(func: ir.Operation, value: ir.Value) -> str:
    if not isinstance(value.owner, ir.Block):
        return "cache"
    number = ir.BlockArgument(value).arg_number
    attrs = function_arg_attrs(func)
    entry = attrs[number] if number < len(attrs) else {}
    return c_identifier(entry.get("llmhls.arg") or entry.get("llmhls.name") or f"arg{number}")


def engine_phases_of(module: ir.Module) -> list[Phase]:
    """The streamed weight banks of the top function, in IR (execution) order."""
    with module.context:
        func = top_function(module)
        phases = []
        for op in walk_ops(func):
            if op.name != WEIGHT_BANK:
                continue
            try:
                stream = hlsdf.weight_stream(op)
            except ValueError as exc:
                raise LlmhlsError(str(exc)) from None
            if stream is None:
                continue
            name = ir.StringAttr(op.attributes["name"]).value
            offset = ir.IntegerAttr(op.attributes["offset"]).value
            phases.append(Phase(name, offset, stream))
        return phases


def _phase_lines(phases: list[Phase]) -> list[str]:
    lines = [
        "// Weight phases, in execution order. Each fuses the matrices that read one",
        "// activation into [rows, inputs], stored in its format; row group rg (the rows",
        "// one 512-bit word holds) is streamed by channel rg % channels, in blocks of",
        "// `interleave` rounds, through a FIFO of `depth` words.",
    ]
    for phase in phases:
        pairs = zip(phase.stream.weights, phase.stream.weight_rows, strict=True)
        fused = " + ".join(f"{w} ({r})" for w, r in pairs)
        lines.append(
            f"//   {phase.name}: {phase.stream.rows} x {phase.stream.inputs} = {fused}, "
            f"{phase.stream.format}, at byte {phase.offset} of channel 0"
        )
    return lines


def _kv_lines(func: ir.Operation, kv_ops: list[ir.Operation]) -> list[str]:
    lines = ["// KV cache traffic, in execution order (llmhls_kv_attention.h):"]
    appends = [op for op in kv_ops if op.name == KV_APPEND]
    for op in kv_ops:
        cache = _cache_name(func, op.operands[0])
        dims = _brackets(_dims(op.operands[0]))
        if op.name == KV_APPEND:
            rows = _dims(op.operands[1])
            lines.append(
                f"//   llmhls_kv_append({cache}, rows{_brackets(rows)}, pos);  "
                f"// {cache}{dims}: rows [pos, pos + {rows[1]}) written in place"
            )
        else:
            lines.append(
                f"//   llmhls_kv_window({cache}, 0, pos + {_window_rows(appends)});  "
                f"// {cache}{dims}: rows [0, pos + {_window_rows(appends)}) burst-read on chip"
            )
    return lines


def _window_rows(appends: list[ir.Operation]) -> int:
    return _dims(appends[0].operands[1])[1] if appends else 1


def emit_engine_table(module: ir.Module) -> str:
    """The engine's phase table and KV-cache traffic of `module` (after both passes) as C++."""
    with module.context:
        func = top_function(module)
        kv_ops = [op for op in walk_ops(func) if op.name in (KV_APPEND, KV_WINDOW)]
        phases = engine_phases_of(module)
        if not phases and not kv_ops:
            raise LlmhlsError(
                f"function '{symbol_name(func)}' has no streamed hlsdf.weight_bank and no KV-cache "
                "op: run hls-kv-cache-buffer and hls-weight-streaming first"
            )
        top = c_identifier(symbol_name(func))
        guard = f"LLMHLS_ENGINE_TABLE_{top.upper()}_H"
        lines = [
            f"// Decode-engine structure of '{symbol_name(func)}', printed by llmhls from the IR",
            "// after hls-kv-cache-buffer and hls-weight-streaming.",
            "//",
            *_phase_lines(phases),
            "//",
            *_kv_lines(func, kv_ops),
            f"#ifndef {guard}",
            f"#define {guard}",
            "",
            f"namespace {top}_engine {{",
            "",
            "struct PhaseInfo {",
            "  const char *name;",
            "  const char *format;  // fp32, fp16, int8 or int4",
            "  int rows;        // fused output rows",
            "  int inputs;      // input length",
            "  int channels;    // memory channels the rows are split over",
            "  int row_groups;  // row group rg goes to channel rg % channels",
            "  int interleave;  // rounds per block",
            "  int depth;       // loader FIFO depth (words)",
            "  long offset;     // byte offset of the phase in channel 0's stream",
            "};",
            "",
        ]
        channels = {phase.stream.channels for phase in phases}
        if len(channels) > 1:
            raise LlmhlsError(
                f"the weight banks are split over different channel counts {sorted(channels)}"
            )
        if phases:
            lines += [f"constexpr int kChannels = {channels.pop()};", ""]
            lines.append(f"constexpr int kPhaseCount = {len(phases)};")
            lines.append("constexpr PhaseInfo kPhases[kPhaseCount] = {")
            for phase in phases:
                s = phase.stream
                lines.append(
                    f'    {{"{phase.name}", "{s.format}", {s.rows}, {s.inputs}, kChannels, '
                    f"{s.row_groups}, {s.interleave}, {s.depth}, {phase.offset}}},"
                )
            lines += ["};", ""]
            for index, phase in enumerate(phases):
                lines.append(f"constexpr int kPhase_{c_identifier(phase.name)} = {index};")
            lines.append("")
        appends = [op for op in kv_ops if op.name == KV_APPEND]
        if appends:
            kv_heads, context, head_dim = _dims(appends[0].operands[0])
            rows = _dims(appends[0].operands[1])[1]
            lines += [
                f"constexpr int kKvHeads = {kv_heads};",
                f"constexpr int kContext = {context};",
                f"constexpr int kHeadDim = {head_dim};",
                f"constexpr int kRowsPerStep = {rows};",
                f"constexpr int kKvAppends = {len(appends)};",
                f"constexpr int kKvWindows = {len(kv_ops) - len(appends)};",
                "// Cache update of one step, as llmhls_kv_attention.h spells it:",
                "//   llmhls::kv_append<kKvHeads, kContext, kHeadDim, kRowsPerStep>(",
                "//       k_new, v_new, k_cache, v_cache, pos, n_valid);",
                "",
            ]
        lines += [f"}}  // namespace {top}_engine", "", f"#endif  // {guard}", ""]
        return "\n".join(lines)
