"""The op table: one row per op x dtype x implementation, read by the emitter, the cost model
and `hls-verify-synthesizable`.

A row holds the C++ form the emitter prints, the latency per clock band, DSP/LUT/FF of one
instance and the source of those figures. An op whose (op, dtype) has no row is not
synthesizable by llmhls: the verifier rejects it, nothing costs it 0.

Latency bands: `latency` is a list of (max_mhz, cycles) in ascending clock order; a clock
takes the first band whose max_mhz it does not exceed (a clock between two measured clocks
takes the faster band, i.e. the one with more cycles). A clock above the last band is an
error: there is no figure to extrapolate from.

dtype: the element type of the op's result (of its first operand for compares and casts,
whose result type says nothing about the hardware), spelled as MLIR prints it (`f32`, `i32`,
`index`). A row may also name a class: `int` matches every integer and `index` type, `any`
every type (control and wiring ops). Lookup prefers the exact dtype, then `int`, then `any`;
among rows of one (op, dtype) the first listed is the implementation Vitis picks by default
(impl `default` where Vitis picks different cores at different clocks).

Figures are for UltraScale+ parts (the Alveo targets); they come from committed Vitis HLS
reports named in each row's source. A core name such as `fadd_32ns_32ns_32_7_full_dsp`
counts pipeline stages (7), one more than its latency (the report's LATENCY 6).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from torch_mlir import ir

from llmhls.errors import OptionError, UnsupportedError
from llmhls.passes.analysis.ir_utils import describe_location

PARTS_NOTE = "op figures come from UltraScale+ reports; Versal and Zynq targets use the same rows"

# Kinds of C++ form. `binary`: `a <text> b`; `call`: `<text>(args...)`; `cast`: a C cast to
# the result type; `method`: printed by the emitter's `_op_<dialect>_<name>` method; `none`:
# prints nothing (terminators, deallocation).
BINARY, CALL, CAST, METHOD, NONE = "binary", "call", "cast", "method", "none"

ANY_CLOCK = math.inf
COMBINATIONAL = ((ANY_CLOCK, 0),)

# Public csynth reports the rows cite (repository + path).
_U280_ADD = (
    "ZTTTX/scalehls_vitis_test _x.hw.xilinx_u280_gen3x16_xdma_1_202211_1/cemit_replaced/"
    "cemit_replaced/cemit_replaced/solution/syn/report/adds_csynth.rpt "
    "(Vitis 2022.2, xcu280-fsvh2892-2L-e, 3.33 ns)"
)
_U280_MUL = (
    "ZTTTX/scalehls_vitis_test _x.hw.xilinx_u280_gen3x16_xdma_1_202211_1/cemit_replaced/"
    "cemit_replaced/cemit_replaced/solution/syn/report/muls_Pipeline_VITIS_LOOP_101_2_csynth.rpt "
    "(Vitis 2022.2, xcu280-fsvh2892-2L-e, 3.33 ns)"
)
_KV260 = (
    "jichengzh/fpt_LLM prj/baseline/kernel_hls/activation_accelerator/baseline6/.autopilot/db/"
    "autopilot.rtl.models.tcl (Vitis 2022.2, xck26-sfvc784-2LV-c, 10 ns per "
    "syn/report/float_layer_norm3_csynth.rpt of the same folder)"
)
_SDIV = (
    "sdiv_32ns_32ns_32_36_seq_1 (LATENCY 35) in Stepaka/Xilinx_lab "
    "KP_502_7_v3/kp_502_7/sol2/.autopilot/db/autopilot.rtl.models.tcl"
)
_CVT = (
    "Crazy-James26/HeteroCL_Transformer bert_layer_dct_int8.prj/out.prj/solution1/.autopilot/db/"
    "autopilot.rtl.models.tcl (Vitis 2022.1, xc7z020, 10 ns: a 7-series part, the only "
    "report found)"
)
_FPEXT = (
    "fptrunc_64ns_32_2_no_dsp (LATENCY 1) and fpext_32ns_64_1_no_dsp (LATENCY 0) in "
    "rezaAdinepour/ViT Codes/Cpp/HLS/Project_Files/Weight_quantization/solution1/.autopilot/db/"
    "autopilot.rtl.models.tcl; fpext_32ns_64_2_no_dsp (LATENCY 1) in Crazy-James26/"
    "HeteroCL_Transformer bert_layer_dct_int8.prj/out.prj/solution1/syn/report/"
    "generic_tanh_float_s_csynth.rpt: one cycle, the larger; LUT/FF llmhls estimate"
)
_NO_REPORT = (
    "no committed UltraScale+ report found: llmhls estimate; UG1399 bind_op/config_op lists "
    "the op as a multi-stage floating-point core whose latency Vitis picks per clock"
)
_WIRING = "wiring: no operator in the datapath"
_CONTROL = (
    "control/memory: no datapath operator; loop control, memory ports and streams are priced "
    "by the memory constants (`llmhls costs` lists them)"
)


@dataclass(frozen=True)
class OpRow:
    """One op on one dtype in one implementation, with where its figures come from."""

    op: str
    dtype: str
    impl: str
    form: str  # BINARY, CALL, CAST, METHOD or NONE
    cpp: str  # the operator or function of BINARY/CALL forms, else ""
    latency: tuple[tuple[float, int], ...]
    dsp: int
    lut: int
    ff: int
    source: str

    def cycles(self, clock_mhz: float) -> int:
        """Latency at `clock_mhz`: the first band whose max_mhz the clock does not exceed."""
        for max_mhz, cycles in self.latency:
            if clock_mhz <= max_mhz:
                return cycles
        raise OptionError(
            f"{self.op} on {self.dtype} ({self.impl}) has latency figures up to "
            f"{self.latency[-1][0]:g} MHz only, not {clock_mhz:g} MHz"
        )


def _row(
    op: str,
    dtype: str,
    impl: str,
    form: tuple[str, str],
    latency: tuple[tuple[float, int], ...],
    source: str,
    dsp: int = 0,
    lut: int = 0,
    ff: int = 0,
) -> OpRow:
    return OpRow(op, dtype, impl, form[0], form[1], latency, dsp, lut, ff, source)


def _op(text: str) -> tuple[str, str]:
    return (BINARY, text)


def _call(name: str) -> tuple[str, str]:
    return (CALL, name)


_CAST = (CAST, "")
_METHOD = (METHOD, "")
_NONE = (NONE, "")

_U250_DOT = (
    "A-Duc/LLama2_110M-Inference_Architecture_on_FPGA Reference_Code/Demo/matmul_simple_hls/"
    "solution1/syn/report/kernel_matmul_Pipeline_VITIS_LOOP_26_3_csynth.rpt "
    "(Vitis 2025.1, xcu250-figd2104-2L-e, 10 ns)"
)
_KV260_SLOW = "a -2LV part, slower than the -2L Alveo parts"
_FADD_DEFAULT = dict(
    latency=((100, 1), (200, 4), (300, 6)),
    dsp=2,
    lut=198,
    ff=318,
    source=(
        f"the core Vitis picks by default: <=100 MHz fadd_32ns_32ns_32_2_no_dsp_1 (1 cycle; "
        f"0 DSP, 128 FF, 346 LUT) in {_U250_DOT}; <=200 MHz: 4 cycles (DESIGN.md cost-model "
        "facts; no committed 5 ns UltraScale+ report found); <=300 MHz "
        f"fadd_32ns_32ns_32_7_full_dsp_1 (6 cycles; 2 DSP, 318 FF, 198 LUT) in {_U280_ADD}; "
        "resources: the 300 MHz core"
    ),
)
_FADD_FULLDSP = dict(
    latency=((100, 3), (200, 4), (300, 6)),
    dsp=2,
    lut=198,
    ff=318,
    source=(
        f"<=100 MHz: faddfsub_32ns_32ns_32_4_full_dsp (LATENCY 3) in {_KV260} ({_KV260_SLOW}); "
        "<=200 MHz: 4 cycles (DESIGN.md cost-model facts); <=300 MHz: "
        f"fadd_32ns_32ns_32_7_full_dsp_1 (6 cycles; 2 DSP, 318 FF, 198 LUT) in {_U280_ADD}"
    ),
)
_FADD_FABRIC = dict(
    latency=((100, 1), (300, 4)),
    lut=338,
    ff=243,
    source=(
        f"<=100 MHz: fadd_32ns_32ns_32_2_no_dsp_1 (1 cycle) in {_U250_DOT}; <=300 MHz: "
        f"fadd_32ns_32ns_32_5_no_dsp_1 (4 cycles; 0 DSP, 243 FF, 338 LUT) in {_U280_ADD}"
    ),
)
_FMUL = dict(
    latency=((100, 1), (300, 3)),
    dsp=3,
    lut=78,
    ff=143,
    source=(
        f"<=100 MHz: fmul_32ns_32ns_32_2_max_dsp_1 (1 cycle; 3 DSP, 128 FF, 77 LUT) in "
        f"{_U250_DOT}; <=300 MHz: fmul_32ns_32ns_32_4_max_dsp_1 (3 cycles; 3 DSP, 143 FF, "
        f"78 LUT) in {_U280_MUL}"
    ),
)
_FCMP = dict(
    latency=((300, 1),),
    lut=70,
    ff=40,
    source=(
        f"fcmp_32ns_32ns_1_2_no_dsp (LATENCY 1) in {_KV260}; LUT/FF (compare + select) "
        "llmhls estimate (Vitis lists fcmp with 0 LUT)"
    ),
)
_FEXP = dict(
    latency=((100, 7), (300, 8)),
    dsp=7,
    lut=700,
    ff=900,
    source=(
        f"<=100 MHz: fexp_32ns_32ns_32_8_full_dsp (LATENCY 7) in {_KV260} ({_KV260_SLOW}); "
        "<=300 MHz and "
        f"resources: {_NO_REPORT}"
    ),
)
_FLOG = dict(latency=((300, 12),), dsp=14, lut=900, ff=1200, source=_NO_REPORT)
_TRANSCENDENTAL = dict(latency=((300, 20),), dsp=10, lut=1500, ff=1800, source=_NO_REPORT)
_FROUND = dict(latency=((300, 2),), lut=150, ff=100, source=_NO_REPORT)
_FPOW = dict(latency=((300, 24),), dsp=21, lut=1800, ff=2400, source=_NO_REPORT)
_SIGN = dict(latency=COMBINATIONAL, lut=2, source="sign-bit operation: " + _WIRING)
_IDIV = dict(
    latency=((300, 35),),
    lut=1200,
    ff=1500,
    source=f"{_SDIV} (a sequential divider, clock-independent); LUT/FF llmhls estimate",
)
_IBITWISE = dict(
    latency=COMBINATIONAL,
    lut=32,
    source=(
        f"one LUT per bit, combinational (and/or/xor rows of the Expression table in {_U280_ADD})"
    ),
)
_IMINMAX = dict(
    latency=COMBINATIONAL,
    lut=52,
    source=(
        f"icmp (20 LUT) + 32-bit select (32 LUT), both combinational in the Expression tables "
        f"of {_U280_ADD}"
    ),
)


def _rows_for(ops: tuple[str, ...], dtype: str, impl: str, forms: tuple, figures: dict) -> list:
    return [_row(op, dtype, impl, form, **figures) for op, form in zip(ops, forms, strict=True)]


def _fma_row() -> OpRow:
    """math.fma: the fmul core feeding the fadd core (Vitis maps `a*b+c` on f32 so)."""
    mul, add = _FMUL, _FADD_DEFAULT
    clocks = sorted({mhz for mhz, _ in (*mul["latency"], *add["latency"])})
    bands = tuple((mhz, _band(mul["latency"], mhz) + _band(add["latency"], mhz)) for mhz in clocks)
    return _row(
        "math.fma", "f32", "fmul+fadd", _call("hls::fma"), bands,
        "the default fmul row feeding the default fadd row",
        dsp=mul["dsp"] + add["dsp"], lut=mul["lut"] + add["lut"], ff=mul["ff"] + add["ff"],
    )  # fmt: skip


def _band(bands: tuple[tuple[float, int], ...], clock_mhz: float) -> int:
    return next(cycles for mhz, cycles in bands if clock_mhz <= mhz)


def _table() -> tuple[OpRow, ...]:
    f32 = "f32"
    rows: list[OpRow] = [
        # fp32 arithmetic.
        _row("arith.addf", f32, "default", _op("+"), **_FADD_DEFAULT),
        _row("arith.addf", f32, "fulldsp", _op("+"), **_FADD_FULLDSP),
        _row("arith.addf", f32, "fabric", _op("+"), **_FADD_FABRIC),
        _row("arith.subf", f32, "default", _op("-"), **_FADD_DEFAULT),
        _row("arith.subf", f32, "fulldsp", _op("-"), **_FADD_FULLDSP),
        _row("arith.subf", f32, "fabric", _op("-"), **_FADD_FABRIC),
        _row("arith.mulf", f32, "maxdsp", _op("*"), **_FMUL),
        _row(
            "arith.divf",
            f32,
            "fabric",
            _op("/"),
            ((100, 8), (300, 12)),
            f"<=100 MHz: fdiv_32ns_32ns_32_9_no_dsp (LATENCY 8) in {_KV260} ({_KV260_SLOW}); "
            "<=300 MHz and "
            f"resources: {_NO_REPORT}",
            lut=800,
            ff=1400,
        ),
        _row(
            "arith.remf",
            f32,
            "library",
            _call("hls::fmod"),
            ((300, 16),),
            "hls::fmod is a math-library routine, not one core: " + _NO_REPORT,
            lut=900,
            ff=1500,
        ),
        _row("arith.negf", f32, "wire", _METHOD, **_SIGN),
        *_rows_for(
            ("arith.maximumf", "arith.maxnumf", "arith.minimumf", "arith.minnumf"),
            f32,
            "fabric",
            (_call("hls::fmax"), _call("hls::fmax"), _call("hls::fmin"), _call("hls::fmin")),
            _FCMP,
        ),
        _row("arith.cmpf", f32, "fabric", _METHOD, **_FCMP),
        _fma_row(),
        # fp32 math library (hls_math.h names).
        _row("math.exp", f32, "fulldsp", _call("hls::exp"), **_FEXP),
        _row("math.exp2", f32, "fulldsp", _call("hls::exp2"), **_FEXP),
        _row("math.expm1", f32, "fulldsp", _call("hls::expm1"), **_FEXP),
        _row("math.log", f32, "fulldsp", _call("hls::log"), **_FLOG),
        _row("math.log2", f32, "fulldsp", _call("hls::log2"), **_FLOG),
        _row("math.log10", f32, "fulldsp", _call("hls::log10"), **_FLOG),
        _row("math.log1p", f32, "fulldsp", _call("hls::log1p"), **_FLOG),
        _row(
            "math.sqrt",
            f32,
            "fabric",
            _call("hls::sqrt"),
            ((100, 7), (300, 12)),
            f"<=100 MHz: fsqrt_32ns_32ns_32_8_no_dsp (LATENCY 7) in {_KV260} ({_KV260_SLOW}); "
            "<=300 MHz and "
            f"resources: {_NO_REPORT}",
            lut=500,
            ff=700,
        ),
        _row(
            "math.rsqrt",
            f32,
            "fulldsp",
            _call("hls::rsqrt"),
            ((300, 14),),
            _NO_REPORT,
            dsp=3,
            lut=700,
            ff=900,
        ),
        _row("math.tanh", f32, "library", _call("hls::tanh"), **_TRANSCENDENTAL),
        _row("math.erf", f32, "library", _call("hls::erf"), **_TRANSCENDENTAL),
        _row("math.sin", f32, "library", _call("hls::sin"), **_TRANSCENDENTAL),
        _row("math.cos", f32, "library", _call("hls::cos"), **_TRANSCENDENTAL),
        _row("math.atan", f32, "library", _call("hls::atan"), **_TRANSCENDENTAL),
        _row("math.atan2", f32, "library", _call("hls::atan2"), **_TRANSCENDENTAL),
        _row("math.powf", f32, "library", _call("hls::pow"), **_FPOW),
        _row("math.fpowi", f32, "library", _METHOD, **_FPOW),
        _row("math.absf", f32, "wire", _call("hls::fabs"), **_SIGN),
        _row("math.copysign", f32, "wire", _call("hls::copysign"), **_SIGN),
        _row("math.floor", f32, "fabric", _call("hls::floor"), **_FROUND),
        _row("math.ceil", f32, "fabric", _call("hls::ceil"), **_FROUND),
        _row("math.round", f32, "fabric", _call("hls::round"), **_FROUND),
        _row("math.roundeven", f32, "fabric", _call("hls::rint"), **_FROUND),
        # Conversions (dtype: the source type).
        _row(
            "arith.sitofp",
            "int",
            "fabric",
            _CAST,
            ((300, 5),),
            f"sitofp_32s_32_6_no_dsp (LATENCY 5) in {_CVT}; LUT/FF llmhls estimate",
            lut=250,
            ff=300,
        ),
        _row(
            "arith.uitofp",
            "int",
            "fabric",
            _CAST,
            ((300, 5),),
            f"priced as arith.sitofp: sitofp_32s_32_6_no_dsp (LATENCY 5) in {_CVT}",
            lut=250,
            ff=300,
        ),
        _row("arith.fptosi", f32, "fabric", _CAST, ((300, 3),), _NO_REPORT, lut=250, ff=200),
        _row("arith.fptoui", f32, "fabric", _CAST, ((300, 3),), _NO_REPORT, lut=250, ff=200),
        _row("arith.extf", "any", "fabric", _CAST, ((300, 1),), _FPEXT, lut=60, ff=60),
        _row("arith.truncf", "any", "fabric", _CAST, ((300, 1),), _FPEXT, lut=60, ff=60),
        # Integer and index arithmetic.
        _row(
            "arith.addi",
            "int",
            "fabric",
            _op("+"),
            COMBINATIONAL,
            f"`+` in the Expression table (32-bit: 39 LUT, combinational) of {_U280_MUL}",
            lut=39,
        ),
        _row(
            "arith.subi",
            "int",
            "fabric",
            _op("-"),
            COMBINATIONAL,
            f"priced as arith.addi (`+`, 32-bit: 39 LUT, combinational in {_U280_MUL})",
            lut=39,
        ),
        _row(
            "arith.muli",
            "int",
            "dsp",
            _op("*"),
            ((300, 3),),
            "UG1399 bind_op (mul on dsp: latency 0-4); 3 DSP48E2 (27x18) for 32x32 and the "
            "3 cycles are llmhls estimates, no report found",
            dsp=3,
            lut=20,
            ff=60,
        ),
        _row(
            "arith.muli",
            "i8",
            "dsp",
            _op("*"),
            ((300, 3),),
            "one DSP48E2 per int8 multiply(-add) (DESIGN.md cost-model facts); 3 cycles: "
            f"mac_muladd_8s_4s_22s_22_4_1 (LATENCY 3, impl dsp48) in {_CVT}",
            dsp=1,
        ),
        *_rows_for(
            ("arith.divsi", "arith.divui", "arith.remsi", "arith.remui"),
            "int",
            "fabric_seq",
            (_op("/"), _op("/"), _op("%"), _op("%")),
            _IDIV,
        ),
        *_rows_for(
            ("arith.andi", "arith.ori", "arith.xori"),
            "int",
            "fabric",
            (_op("&"), _op("|"), _op("^")),
            _IBITWISE,
        ),
        *_rows_for(
            ("arith.shli", "arith.shrsi", "arith.shrui"),
            "int",
            "wire",
            (_op("<<"), _op(">>"), _op(">>")),
            dict(
                latency=COMBINATIONAL,
                source="a shift by a constant (the index math llmhls emits) is "
                + _WIRING
                + "; a variable shift (a barrel shifter) is not priced",
            ),
        ),
        _row(
            "arith.cmpi",
            "int",
            "fabric",
            _METHOD,
            COMBINATIONAL,
            f"icmp in the Expression tables (10-bit: 11 LUT, 22-bit: 15 LUT, combinational) of "
            f"{_U280_ADD} and {_U280_MUL}; 20 LUT at 32 bits is llmhls's extrapolation",
            lut=20,
        ),
        *_rows_for(
            ("arith.maxsi", "arith.minsi", "arith.maxui", "arith.minui"),
            "int",
            "fabric",
            (_call("std::max"), _call("std::min"), _call("std::max"), _call("std::min")),
            _IMINMAX,
        ),
        _row("math.absi", "int", "fabric", _METHOD, **_IMINMAX),
        _row(
            "arith.select",
            "any",
            "fabric",
            _METHOD,
            COMBINATIONAL,
            f"select (32-bit: 32 LUT, combinational) in the Expression table of {_U280_ADD}",
            lut=32,
        ),
        *_rows_for(
            (
                "arith.extsi",
                "arith.extui",
                "arith.trunci",
                "arith.index_cast",
                "arith.index_castui",
            ),
            "int",
            "wire",
            (_CAST,) * 5,
            dict(latency=COMBINATIONAL, source="integer width change: " + _WIRING),
        ),
    ]
    # Structure, control and memory: printed by emitter methods, no operator of their own.
    structural = (
        "arith.constant", "affine.for", "affine.if", "affine.apply", "affine.min",
        "affine.max", "affine.delinearize_index", "affine.linearize_index", "affine.load",
        "affine.store", "scf.for", "scf.if", "memref.alloc", "memref.alloca", "memref.load",
        "memref.store",
        "memref.get_global", "memref.subview", "memref.expand_shape", "memref.collapse_shape",
        "memref.cast", "memref.reinterpret_cast", "func.call", "func.return",
        "hlsdf.stream_create", "hlsdf.stream_read", "hlsdf.stream_write",
    )  # fmt: skip
    silent = ("affine.yield", "scf.yield", "memref.dealloc", "memref.assume_alignment")
    rows += [_row(op, "any", "control", _METHOD, COMBINATIONAL, _CONTROL) for op in structural]
    rows += [_row(op, "any", "control", _NONE, COMBINATIONAL, _CONTROL) for op in silent]
    return tuple(rows)


OP_TABLE: tuple[OpRow, ...] = _table()

_BY_OP: dict[str, list[OpRow]] = {}
for _entry in OP_TABLE:
    _BY_OP.setdefault(_entry.op, []).append(_entry)


def dtype_name(type_: ir.Type) -> str:
    """The table's dtype of a value type: the element type of a shaped type, as MLIR prints it."""
    element = getattr(type_, "element_type", None)
    return str(element if element is not None else type_)


# Compares and conversions are keyed by their operand type (the result is i1 / the target).
_OPERAND_KEYED = ("arith.cmpf", "arith.cmpi", "arith.sitofp", "arith.uitofp", "arith.fptosi",
                  "arith.fptoui", "arith.extf", "arith.truncf", "arith.extsi", "arith.extui",
                  "arith.trunci", "arith.index_cast", "arith.index_castui")  # fmt: skip


def op_dtype(op: ir.Operation) -> str:
    """The dtype an op is looked up under (see the module docstring); `none` for no values."""
    values = (
        list(op.operands) if op.name in _OPERAND_KEYED or not len(op.results) else list(op.results)
    )
    return dtype_name(values[0].type) if values else "none"


def _is_int(dtype: str) -> bool:
    return dtype == "index" or (
        dtype.startswith(("i", "si", "ui")) and dtype.lstrip("isu").isdigit()
    )


def find(name: str, dtype: str) -> OpRow | None:
    """The default row of `name` on `dtype` (exact dtype, then `int`, then `any`), or None."""
    rows = _BY_OP.get(name, ())
    for wanted in (dtype, "int" if _is_int(dtype) else None, "any"):
        for row in rows:
            if row.dtype == wanted:
                return row
    return None


def row_for(op: ir.Operation) -> OpRow:
    """The row of `op` on its own dtype; one-line error naming op, dtype and origin if none."""
    dtype = op_dtype(op)
    row = find(op.name, dtype)
    if row is None:
        raise UnsupportedError(
            f"op '{op.name}' on {dtype} (from {describe_location(op)}) has no row in llmhls's op "
            "table (passes/analysis/op_table.py): llmhls can neither print nor price it"
        )
    return row


def implementation(name: str, impl: str) -> OpRow:
    """The row of `name` in implementation `impl` (its natural dtype), for a template that
    binds the op's core with `bind_op ... impl=`."""
    for row in _BY_OP.get(name, ()):
        if row.impl == impl:
            return row
    raise UnsupportedError(f"op '{name}' has no '{impl}' row in llmhls's op table")


def default_row(name: str) -> OpRow:
    """The row of `name` on its natural dtype (the first listed), for name-only callers."""
    rows = _BY_OP.get(name)
    if not rows:
        raise UnsupportedError(
            f"op '{name}' has no row in llmhls's op table (passes/analysis/op_table.py)"
        )
    return rows[0]


def op_names() -> Iterator[str]:
    """Every op name the table knows, in table order."""
    return iter(_BY_OP)
