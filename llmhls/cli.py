"""`llmhls` command line: compile a PyTorch model to a Vitis HLS project, C-simulate it.

Every failure the user can fix prints one `error: ...` line and exits
non-zero; `--debug` shows the Python traceback as well.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from llmhls import __version__
from llmhls.errors import LlmhlsError

EXIT_INTERNAL = 70

DESCRIPTION = """\
llmhls compiles PyTorch models into Vitis HLS C++ through MLIR
(torch-mlir FX importer -> linalg -> affine -> HLS C++) and checks the
result numerically against PyTorch with C-simulation.

  llmhls compile block.pt2 -o out/ --target u280
  llmhls csim out/

LLMs (a Hugging Face folder or a GGUF file) compile into a decoding
accelerator (llm_prefill + llm_decode over a persistent KV cache) that
`llmhls run` drives:

  llmhls compile SmolLM2.gguf -o smol/ --max-context 256 --weights int8
  llmhls run smol/ --prompt "What is an FPGA?" --max-new-tokens 32
"""

COMPILE_EPILOG = """\
MODEL may be:
  *.pt2 / *.pt   a torch.export ExportedProgram saved with torch.export.save
  *.py           (only with --trust: the file is executed) a Python file defining
                 build_model() -> (module, example_inputs)
  DIR            a Hugging Face model folder (config.json + safetensors) of a
                 Llama-family (GQA included) or GPT-2 model
  *.gguf         a GGUF file of such a model (its weights are dequantized on load)
For an LLM, compile builds the stages of one decoder layer once (every layer
reuses them with its own weights), the prefill and decode top functions in
kernel/llm_top.cpp, one .bin per weight (own m_axi bundle), the tokenizer,
and report.json with bytes per token and the estimated decode rate against
the part's memory roofline. LLM options: --max-context, --prefill-chunk,
--weights, --head-weights, --group-size, --attention-tile.
Example inputs come from the program when it holds them, else they are drawn
from the input signature with --seed.

The output directory holds kernel/<top>.cpp|.h (the HLS kernel), tb/tb_<top>.cpp
(testbench), run_hls.tcl (vitis_hls -f run_hls.tcl), manifest.json (every
interface: name, shape, dtype, .bin file), data/ (inputs, weights, PyTorch
golden outputs) and program.pt2 (for csim with new inputs).

compile also writes report.json/report.md: the estimated latency, interval and
resources of the design (llmhls's analytical model; see `llmhls report DIR`).

Partial today: dataflow channels become FIFO streams only between in-order
producer/consumer pairs (others are ping-pong buffers); the -O2 search explores
unroll factors and the partitions they need, not tile sizes; large weights stay
on m_axi and are read from .bin files; shapes must be static; operator latencies
are known up to 300 MHz (`llmhls costs` shows the table and its sources), so a
faster --clock-mhz is refused; the model caps each m_axi bundle at one memory
channel's measured bandwidth. LLM projects also get link.cfg (v++ --config:
every buffer argument of every kernel on an HBM/DDR bank, at most 15 ports and
one bank's capacity each) and build_xclbin.sh [hw_emu|hw] (v++ -c per kernel,
then v++ -l into build/llm.xclbin; needs Vitis and the target's platform).
LLMs: Llama family and GPT-2 only, layers unrolled in time only (one layer
pipeline reused), the KV cache is float32, a GGUF's quantized weights are
dequantized and requantized by --weights (by default into the source's own
precision) rather than kept block for block, and each weight matrix streams
through one m_axi port (one HBM channel), so the estimated decode rate
is compute- or channel-bound, far under the HBM roofline that report.md shows
next to it.
"""


class OneLineParser(argparse.ArgumentParser):
    """argparse whose usage errors are one `error:` line, like every other llmhls failure."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _add_debug(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")


def build_parser() -> argparse.ArgumentParser:
    # Defaults come from the option dataclasses (torch-free modules, so --help stays fast).
    from llmhls.compiler.optimize import OptimizeOptions
    from llmhls.compiler.options import CompileOptions
    from llmhls.targets import target_names

    defaults = CompileOptions()
    optimize = OptimizeOptions()
    parser = OneLineParser(
        prog="llmhls", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"llmhls {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    compile_cmd = commands.add_parser(
        "compile",
        help="compile a PyTorch model into a Vitis HLS project",
        description="Compile a PyTorch model into a Vitis HLS project.",
        epilog=COMPILE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compile_cmd.add_argument(
        "model",
        metavar="MODEL",
        help="model file (.pt2/.pt, .py with --trust), Hugging Face folder or .gguf file",
    )
    compile_cmd.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="project directory to write"
    )
    compile_cmd.add_argument(
        "--target",
        default=defaults.target,
        help=f"FPGA part to build for: {', '.join(target_names())} (default: {defaults.target})",
    )
    compile_cmd.add_argument(
        "--clock-mhz", type=float, default=None, help="target clock in MHz (default: the target's)"
    )
    compile_cmd.add_argument(
        "--trust",
        action="store_true",
        help="allow executing a .py model file and unpickling any object in a .pt2 archive",
    )
    compile_cmd.add_argument(
        "--force", action="store_true", help="replace a non-empty output directory"
    )
    compile_cmd.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed for generated example inputs of a .pt2/.py model (default: 0)",
    )
    compile_cmd.add_argument(
        "--cosim",
        action="store_true",
        help="enable C/RTL co-simulation in run_hls.tcl (kernel projects; an LLM "
        "project's testbench runs in csim only)",
    )
    compile_cmd.add_argument(
        "--dump-ir", action="store_true", help="write the IR after each stage to DIR/ir/"
    )
    compile_cmd.add_argument(
        "--tolerance",
        type=float,
        default=None,
        help=(
            "csim tolerance of each float element relative to itself, plus 1e-6 of the "
            f"output's scale (default: {defaults.tolerance:g})"
        ),
    )
    compile_cmd.add_argument(
        "-O",
        dest="opt_level",
        type=int,
        default=optimize.level,
        metavar="LEVEL",
        help="optimization level: -O0 no directives; -O1 on-chip interface buffers, "
        "pipelined inner loops, matching partitions; -O2 adds loop permutation, "
        "an unroll/partition search under the resource budget, dataflow tasks and streams "
        f"(default: -O{optimize.level})",
    )
    compile_cmd.add_argument(
        "--max-onchip-kib",
        type=int,
        default=optimize.max_onchip_kib,
        help="interfaces up to this size are copied on chip at -O1/-O2 "
        f"(default: {optimize.max_onchip_kib})",
    )
    for key, what in (
        ("dsp", "DSP slices"),
        ("bram", "BRAM18K blocks"),
        ("uram", "URAM blocks"),
        ("lut", "LUTs"),
        ("ff", "flip-flops"),
    ):
        compile_cmd.add_argument(
            f"--max-{key}",
            type=int,
            default=getattr(optimize, f"max_{key}"),
            metavar="N",
            help=f"-O2 budget: at most N {what} (default: --utilization of the part)",
        )
    compile_cmd.add_argument(
        "--utilization",
        type=float,
        default=optimize.utilization,
        help="-O2 budget: share of the part's resources the search may use "
        f"(default: {optimize.utilization:g})",
    )
    compile_cmd.add_argument(
        "--max-unroll",
        type=int,
        default=optimize.max_unroll,
        help=f"-O2: largest unroll factor tried (default: {optimize.max_unroll})",
    )
    compile_cmd.add_argument(
        "--weight-banks",
        type=int,
        default=optimize.weight_banks,
        metavar="N",
        help="-O1/-O2: spread the weights over N m_axi bundles gmem_w0..gmem_w<N-1> (largest "
        "first, each to the least-filled bundle; 0: one bundle per weight) so they stream in "
        "parallel (default: all weights share one bundle gmem_w)",
    )
    compile_cmd.add_argument(
        "--print-pipeline", action="store_true", help="print the pass pipelines and exit"
    )
    _add_llm_compile_options(compile_cmd)
    _add_debug(compile_cmd)
    compile_cmd.set_defaults(handler=_cmd_compile)

    csim_cmd = commands.add_parser(
        "csim",
        help="C-simulate a compiled project with g++ and compare with PyTorch",
        description=(
            "Build the project's testbench and kernel with g++ -std=c++14 -O2, run it and "
            "compare with the golden outputs PyTorch computed. Prints one JSON line; exits 1 "
            "on a mismatch."
        ),
    )
    csim_cmd.add_argument("project", metavar="DIR", help="directory written by llmhls compile")
    csim_cmd.add_argument(
        "--inputs", type=Path, help=".npz of inputs keyed by manifest input names"
    )
    csim_cmd.add_argument("--outputs", type=Path, help="save the kernel's outputs to this .npz")
    _add_debug(csim_cmd)
    csim_cmd.set_defaults(handler=_cmd_csim)

    debug_cmd = commands.add_parser(
        "debug",
        help="find the first dataflow task whose arrays diverge from PyTorch",
        description=(
            "Build the project's kernel with the arrays and streams every dataflow task "
            "writes dumped (without tasks, at -O0/-O1: every top-level loop nest) "
            "(-DLLMHLS_DUMP, in DIR/debug_build; the project's sources are unchanged), run its "
            "testbench, and compare each array in execution order with the PyTorch value it "
            "should hold. Names the first task, loop and array that diverge, with the PyTorch "
            "node and its source line. Exits 1 on a divergence, 0 if none."
        ),
    )
    debug_cmd.add_argument("project", metavar="DIR", help="directory written by llmhls compile")
    debug_cmd.add_argument(
        "--json", action="store_true", help="print one JSON line (task, array, node, ...)"
    )
    _add_debug(debug_cmd)
    debug_cmd.set_defaults(handler=_cmd_debug)

    report_cmd = commands.add_parser(
        "report",
        help="print a compiled project's QoR estimate and draw its roofline and task graph",
        description=(
            "Print the QoR estimate that compile wrote to DIR/report.json (latency, interval, "
            "resources against the target, slowest loop nests) and write DIR/roofline.png and "
            "DIR/task_graph.png. Figures come from llmhls's analytical model, not from Vitis."
        ),
    )
    report_cmd.add_argument("project", metavar="DIR", help="directory written by llmhls compile")
    report_cmd.add_argument("--json", action="store_true", help="print report.json instead")
    _add_debug(report_cmd)
    report_cmd.set_defaults(handler=_cmd_report)

    _add_run_command(commands)
    _add_fuzz_command(commands)
    _add_medusa_command(commands)

    targets_cmd = commands.add_parser("targets", help="list the FPGA parts llmhls knows")
    _add_debug(targets_cmd)
    targets_cmd.set_defaults(handler=_cmd_targets)

    costs_cmd = commands.add_parser(
        "costs",
        help="print the op cost table a compile uses at a target and clock",
        description=(
            "Print llmhls's op table (latency at the clock, DSP/LUT/FF and the source of each "
            "figure) and the memory constants of the cost model, as a compile for TARGET at "
            "the clock uses them."
        ),
    )
    costs_cmd.add_argument(
        "--target",
        required=True,
        help=f"FPGA part: {', '.join(target_names())}",
    )
    costs_cmd.add_argument(
        "--clock-mhz", type=float, default=None, help="clock in MHz (default: the target's)"
    )
    costs_cmd.add_argument("--json", action="store_true", help="print one JSON object")
    _add_debug(costs_cmd)
    costs_cmd.set_defaults(handler=_cmd_costs)
    return parser


def _cmd_compile(args: argparse.Namespace) -> int:
    from llmhls.compiler.driver import compile_model, pipelines
    from llmhls.compiler.optimize import OptimizeOptions, optimization_pipeline
    from llmhls.compiler.options import CompileOptions
    from llmhls.targets import get_target

    optimize = OptimizeOptions(
        level=args.opt_level,
        target=args.target,
        clock_mhz=args.clock_mhz or get_target(args.target).clock_mhz,
        max_onchip_kib=args.max_onchip_kib,
        utilization=args.utilization,
        max_dsp=args.max_dsp,
        max_bram=args.max_bram,
        max_uram=args.max_uram,
        max_lut=args.max_lut,
        max_ff=args.max_ff,
        max_unroll=args.max_unroll,
        weight_banks=args.weight_banks,
    )
    optimization_pipeline(optimize)  # validates the level and budget options
    if args.print_pipeline:
        for stage, pipeline in pipelines(optimize).items():
            print(f"# {stage}\n{pipeline}")
        return 0
    from llmhls.compiler.frontend import load_model
    from llmhls.compiler.llm.source import is_llm_source
    from llmhls.errors import OptionError

    if is_llm_source(Path(args.model)):
        kernel_only = {"--cosim": args.cosim, "--tolerance": args.tolerance is not None}
        kernel_only |= {"--seed": args.seed is not None, "--trust": args.trust}
        for flag, given_flag in kernel_only.items():
            if given_flag:
                raise OptionError(
                    f"{flag} applies to .pt2/.py models only: an LLM project's testbench "
                    "checks prefill logits and greedy tokens in csim, with its own inputs"
                )
        return _compile_llm(args, optimize)
    given = [f"--{o.replace('_', '-')}" for o in LLM_OPTIONS if getattr(args, o) is not None]
    if given:
        raise OptionError(f"{given[0]} applies to LLMs (a Hugging Face folder or .gguf file) only")
    tolerance = CompileOptions().tolerance if args.tolerance is None else args.tolerance
    if tolerance <= 0:
        raise OptionError(f"--tolerance must be positive, got {tolerance:g}")
    loaded = load_model(args.model, trust=args.trust, seed=args.seed or 0)
    options = CompileOptions(
        target=args.target,
        clock_mhz=args.clock_mhz,
        force=args.force,
        cosim=args.cosim,
        dump_ir=args.dump_ir,
        tolerance=tolerance,
        optimize=optimize,
    )
    result = compile_model(loaded, Path(args.output), options)
    total = sum(result.timings.values())
    report = result.report
    print(
        f"llmhls: wrote {result.out_dir} (top '{result.top}', -O{args.opt_level}, {total:.1f} s): "
        f"estimated latency {report['latency_cycles']:,} cycles ({report['latency_us']:.4g} us), "
        f"DSP {report['resources']['dsp']:,}, BRAM {report['resources']['bram']:,}"
        + ("" if report["fits"] else " -- does NOT fit the target")
    )
    return 0


# LlmCompileOptions fields with a flag; each flag defaults to None so a given one is seen.
LLM_OPTIONS = (
    "medusa",
    "tree",
    "max_context",
    "prefill_chunk",
    "weights",
    "head_weights",
    "group_size",
    "attention_tile",
    "engine",
    "kv_cache",
)


def _add_llm_compile_options(parser: argparse.ArgumentParser) -> None:
    from llmhls.compiler.options import (
        DEFAULT_MAX_CONTEXT,
        ENGINES,
        KV_CACHE_FORMATS,
        WEIGHT_FORMATS,
        LlmCompileOptions,
    )

    llm = LlmCompileOptions()
    parser.add_argument(
        "--engine",
        default=None,
        choices=ENGINES,
        help="LLM: kernel structure. stages: per-layer stage kernels compiled by the MLIR "
        "flow (llm_prefill + llm_decode). stream: one channel-parallel decode engine "
        "(llm_engine: a loader per HBM/DDR channel, weights laid out per channel, the "
        "weight phases decided by hls-weight-streaming), llama-family and GPT-2; a prompt "
        "runs in steps of --prefill-chunk tokens, each weight word serving every token of "
        "a step, the units as wide (row lanes) and their float adds where (DSPs, or LUTs "
        "through hls_ops.tcl) the part's budget allows; tb/ and run_hls.tcl check it against "
        "PyTorch in Vitis csim; with --medusa "
        "it verifies a Medusa tree in one step. Partial: its report is llmhls's loop model, "
        "not a synthesis result "
        f"(default: {llm.engine})",
    )
    parser.add_argument(
        "--medusa",
        default=None,
        metavar="HEADS",
        help="LLM --engine stream: Medusa heads (a safetensors file from `llmhls medusa "
        "train`, with its acceptance rates) to verify a candidate tree in one pass: "
        "llm_engine gains a tree mode (the tree's mask and positions built in, every node's "
        "argmax on chip, the longest greedy path accepted and its K/V kept). The kernel "
        "makes the next tree's guesses too: the heads' blocks on the layers' units, then the "
        "LM head over the heads' rows, keeping each head's best tokens (as many ranks as "
        "the tree takes)",
    )
    parser.add_argument(
        "--tree",
        default=None,
        metavar="N",
        help="LLM --medusa: tokens a verify step feeds the engine (the root and N - 1 guesses, "
        "Medusa's greedy tree from the heads' acceptance rates), or 'auto': the size with "
        "the most estimated tokens/s on the target "
        f"(default: {llm.tree})",
    )
    parser.add_argument(
        "--kv-cache",
        default=None,
        choices=KV_CACHE_FORMATS,
        help="LLM: KV-cache precision in memory: fp32, fp16, or int8 (a scale per kv head "
        "and position in k_scale/v_scale, half fp16's bytes; --engine stream) (default: fp16 "
        "with --engine stream, fp32 with stages, which only support fp32)",
    )
    parser.add_argument(
        "--max-context",
        type=int,
        default=None,
        metavar="N",
        help="LLM: KV-cache positions, the longest prompt + generation "
        f"(default: {DEFAULT_MAX_CONTEXT}, or the model's limit if lower)",
    )
    parser.add_argument(
        "--prefill-chunk",
        type=int,
        default=None,
        metavar="N",
        help="LLM: prompt rows the prefill kernel processes per step; with --engine "
        "stream, the tokens a step of llm_engine serves from one pass over the weights "
        f"(default: {llm.prefill_chunk})",
    )
    parser.add_argument(
        "--weights",
        default=None,
        choices=WEIGHT_FORMATS,
        help="LLM: weight precision in memory, dequantized in the kernel: fp32, "
        "fp16, int8 (per output channel scales), int4 (group-wise scales, two per byte) "
        "(default: the source's own precision: a GGUF by the type of most of its weights, "
        "Q4_x -> int4 (LM head int8), Q5_x/Q6_K/Q8_0 -> int8, F16/BF16 -> fp16, F32 -> fp32; "
        "a HF folder by config.json's dtype, float16/bfloat16 -> fp16, float32 -> fp32)",
    )
    parser.add_argument(
        "--head-weights",
        default=None,
        choices=WEIGHT_FORMATS,
        help="LLM: precision of the LM head (vocab x hidden, the largest matrix and the one "
        "nearest the logits); default: as --weights, but int8 under --weights int4",
    )
    parser.add_argument(
        "--group-size",
        type=int,
        default=None,
        metavar="N",
        help=f"LLM --weights int4: input columns per scale (default: {llm.group_size})",
    )
    parser.add_argument(
        "--attention-tile",
        type=int,
        default=None,
        metavar="N",
        help="LLM: cache positions per burst into the on-chip attention tile "
        f"(default: {llm.attention_tile})",
    )


def _compile_llm(args: argparse.Namespace, optimize) -> int:
    from llmhls.compiler.llm.build import compile_llm
    from llmhls.compiler.llm.report import format_llm_report
    from llmhls.compiler.llm.source import load_llm
    from llmhls.compiler.options import LlmCompileOptions

    defaults = LlmCompileOptions()
    options = LlmCompileOptions(
        **{
            o: getattr(args, o) if getattr(args, o) is not None else getattr(defaults, o)
            for o in LLM_OPTIONS
        },
        target=args.target,
        clock_mhz=args.clock_mhz,
        force=args.force,
        dump_ir=args.dump_ir,
        optimize=optimize,
    )
    start = time.perf_counter()
    loaded = load_llm(args.model)
    load_s = time.perf_counter() - start
    result = compile_llm(loaded, Path(args.output), options)
    total = sum(result.timings.values())
    cfg = loaded.config
    print(
        f"llmhls: wrote {result.out_dir} ({cfg.arch}, {cfg.num_layers} layers, "
        f"--weights {result.manifest['llm']['weights']}, "
        f"--head-weights {result.manifest['llm']['head_weights']} "
        f"(source: {loaded.precision.description}); "
        f"load {load_s:.1f} s, compile {total:.1f} s)"
    )
    print(format_llm_report(result.report))
    return 0


def _add_run_command(commands) -> None:
    run_cmd = commands.add_parser(
        "run",
        help="generate text with a compiled LLM project (C-simulation or an FPGA through XRT)",
        description=(
            "Tokenize the prompt, prefill it, decode token by token and print the text as it "
            "is produced, then the decode rate. --backend csim runs the emitted C++ (built "
            "with g++ into a shared library); --backend xrt runs the built xclbin on a board "
            "through pyxrt. Greedy by default; --temperature > 0 samples (seeded)."
        ),
    )
    run_cmd.add_argument("project", metavar="DIR", help="directory written by llmhls compile")
    prompt = run_cmd.add_mutually_exclusive_group(required=True)
    prompt.add_argument("--prompt", help="prompt text (needs the project's tokenizer)")
    prompt.add_argument(
        "--prompt-ids", metavar="IDS", help="prompt as comma-separated token ids, e.g. 1,2,3"
    )
    run_cmd.add_argument("--max-new-tokens", type=int, default=32, help="default: 32")
    run_cmd.add_argument("--backend", default="csim", help="csim (default) or xrt")
    run_cmd.add_argument("--xclbin", type=Path, help="xrt: the .xclbin (default: DIR/build/)")
    run_cmd.add_argument(
        "--temperature", type=float, default=0.0, help="0 (default) is greedy decoding"
    )
    run_cmd.add_argument("--top-k", type=int, default=0, help="keep the k best tokens (0: off)")
    run_cmd.add_argument(
        "--top-p", type=float, default=1.0, help="nucleus sampling mass (1.0: off)"
    )
    run_cmd.add_argument("--seed", type=int, default=0, help="sampling seed (default: 0)")
    run_cmd.add_argument(
        "--chat", action="store_true", help="wrap --prompt in the tokenizer's chat template"
    )
    run_cmd.add_argument(
        "--ignore-eos", action="store_true", help="keep generating after the EOS token"
    )
    run_cmd.add_argument(
        "--medusa",
        action="store_true",
        help="greedy decoding with the project's Medusa tree (compiled with --medusa): each "
        "engine call verifies the heads' guesses and keeps the longest greedy path, so the "
        "text is plain greedy decoding's in fewer calls; prints the average accepted length "
        "(--json adds accepted_per_step). The kernel makes the heads' guesses itself, at "
        "the end of each call",
    )
    run_cmd.add_argument(
        "--json", action="store_true", help="end with one JSON line (prompt_tokens, tokens, ...)"
    )
    _add_debug(run_cmd)
    run_cmd.set_defaults(handler=_cmd_run)


def _add_fuzz_command(commands) -> None:
    fuzz_cmd = commands.add_parser(
        "fuzz",
        help="compile random PyTorch graphs and C-simulate them against PyTorch",
        description=(
            "Draw COUNT random valid graphs from SEED over the ops llmhls supports, compile each "
            "at every -O level given and C-simulate it against PyTorch. A crash, a compile "
            "error or a mismatch is shrunk and saved as a reproducer (fuzz_seed<S>_O<L>.py, "
            "with build_model()) in DIR. Exits 1 if any graph failed."
        ),
    )
    fuzz_cmd.add_argument("--seed", type=int, default=0, help="run seed (default: 0)")
    fuzz_cmd.add_argument("--count", type=int, default=10, help="graphs (default: 10)")
    fuzz_cmd.add_argument(
        "-O",
        dest="levels",
        type=int,
        action="append",
        metavar="LEVEL",
        help="optimization level to check, repeatable (default: -O0 -O1 -O2)",
    )
    fuzz_cmd.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("tests/regressions"),
        metavar="DIR",
        help="where reproducers go (default: tests/regressions)",
    )
    fuzz_cmd.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="check graphs in N processes; same results and order as one (default: 1)",
    )
    fuzz_cmd.add_argument(
        "--json", action="store_true", help="end with one JSON line (graphs, failures, ...)"
    )
    _add_debug(fuzz_cmd)
    fuzz_cmd.set_defaults(handler=_cmd_fuzz)


def _cmd_fuzz(args: argparse.Namespace) -> int:
    from llmhls.compiler.fuzz import run_fuzz
    from llmhls.errors import OptionError

    levels = tuple(args.levels or (0, 1, 2))
    if args.count < 1:
        raise OptionError(f"--count must be at least 1, got {args.count}")
    if args.jobs < 1:
        raise OptionError(f"--jobs must be at least 1, got {args.jobs}")
    bad = [level for level in levels if level not in (0, 1, 2)]
    if bad:
        raise OptionError(f"unknown optimization level -O{bad[0]} (use -O0, -O1 or -O2)")
    summary = run_fuzz(
        args.seed,
        args.count,
        levels,
        args.output,
        lambda line: print(line, file=sys.stderr),
        jobs=args.jobs,
    )
    print(
        f"llmhls fuzz: {summary.graphs} graphs x {len(levels)} levels, "
        f"{summary.failures} failures {summary.failures_by_class or ''} in {summary.seconds} s"
    )
    if args.json:
        print(summary.to_json())
    return 1 if summary.failures else 0


def _add_medusa_command(commands) -> None:
    from llmhls.compiler.medusa.options import Recipe, TrainOptions

    recipe, train = Recipe(), TrainOptions()
    medusa_cmd = commands.add_parser("medusa", help="Medusa heads for faster greedy decoding")
    medusa_commands = medusa_cmd.add_subparsers(dest="medusa_command", metavar="COMMAND")
    medusa_commands.required = True
    train_cmd = medusa_commands.add_parser(
        "train",
        help="train Medusa-1 heads on a model by self-distillation",
        description=(
            "Train K Medusa-1 heads (a zero-initialized residual block each, before the "
            "model's own LM head, shared and frozen) on the frozen model. The data is the "
            "model's own answers, greedy and sampled, to prompts built from Python "
            "standard-library docstrings (nothing is downloaded); head k learns the model's "
            "next-token distribution k+1 tokens ahead. The heads' top-k acceptance rates, "
            "measured on held-out calibration prompts, and the recipe are stored in the "
            "safetensors file's metadata."
        ),
    )
    train_cmd.add_argument("model", metavar="MODEL", help="Hugging Face folder or GGUF file")
    train_cmd.add_argument("-o", "--output", required=True, type=Path, help="heads .safetensors")
    train_cmd.add_argument("--heads", type=int, default=recipe.heads, help="default: %(default)s")
    train_cmd.add_argument("--steps", type=int, default=train.steps, help="default: %(default)s")
    train_cmd.add_argument(
        "--prompts",
        type=int,
        default=recipe.prompts,
        help="training prompts (default: %(default)s)",
    )
    _add_answer_options(train_cmd, recipe)
    train_cmd.add_argument(
        "--batch-tokens",
        type=int,
        default=train.batch_tokens,
        help="padded tokens per training batch (default: %(default)s)",
    )
    train_cmd.add_argument("--lr", type=float, default=train.lr, help="default: %(default)s")
    train_cmd.add_argument("--seed", type=int, default=train.seed, help="default: %(default)s")
    _add_debug(train_cmd)
    train_cmd.set_defaults(handler=_cmd_medusa_train)
    vocab_cmd = medusa_commands.add_parser(
        "vocab",
        help="give Medusa heads a guessing vocabulary (the accelerator's LM-head pass shrinks)",
        description=(
            "Rank tokens by how often they occur in the model's greedy answers to the "
            "training prompts, keep the --tokens most frequent as the heads' guessing "
            "vocabulary, and measure the heads' acceptance rates with it on the calibration "
            "prompts. An engine built with these heads runs its guesses' LM-head pass over "
            "those rows only, and builds its tree from the rates measured with them. The "
            "heads' weights are not changed."
        ),
    )
    vocab_cmd.add_argument("model", metavar="MODEL", help="Hugging Face folder or GGUF file")
    vocab_cmd.add_argument("heads", metavar="HEADS", type=Path, help="heads .safetensors")
    vocab_cmd.add_argument("-o", "--output", required=True, type=Path, help="heads .safetensors")
    vocab_cmd.add_argument(
        "--tokens", type=int, default=4096, help="vocabulary size (default: %(default)s)"
    )
    vocab_cmd.add_argument(
        "--prompts",
        type=int,
        default=256,
        help="training prompts whose greedy answers rank the tokens (default: %(default)s)",
    )
    _add_answer_options(vocab_cmd, recipe)
    _add_debug(vocab_cmd)
    vocab_cmd.set_defaults(handler=_cmd_medusa_vocab)


def _add_answer_options(command, recipe) -> None:
    """The options of how the model answers the prompts, shared by `medusa train/vocab`."""
    command.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    command.add_argument(
        "--calibration-prompts",
        type=int,
        default=recipe.calibration_prompts,
        help="prompts the acceptance rates are measured on (default: %(default)s)",
    )
    command.add_argument(
        "--max-new-tokens",
        type=int,
        default=recipe.max_new_tokens,
        help="longest answer (default: %(default)s)",
    )


def _cmd_medusa_train(args: argparse.Namespace) -> int:
    import shlex

    from llmhls.compiler.medusa.options import Recipe, TrainOptions
    from llmhls.compiler.medusa.recipe import make_heads

    train = TrainOptions(
        steps=args.steps, lr=args.lr, batch_tokens=args.batch_tokens, seed=args.seed
    )
    recipe = Recipe(
        heads=args.heads,
        prompts=args.prompts,
        calibration_prompts=args.calibration_prompts,
        max_new_tokens=args.max_new_tokens,
        train=train,
    )
    options = {
        "--heads": args.heads,
        "--steps": args.steps,
        "--device": args.device,
        "--prompts": args.prompts,
        "--calibration-prompts": args.calibration_prompts,
        "--max-new-tokens": args.max_new_tokens,
        "--batch-tokens": args.batch_tokens,
        "--lr": args.lr,
        "--seed": args.seed,
    }
    words = ["llmhls", "medusa", "train", args.model, "-o", str(args.output)]
    command = shlex.join(words + [str(w) for item in options.items() for w in item])
    info = make_heads(Path(args.model), args.output, recipe, args.device, command)
    top1 = " ".join(f"{row[0]:.3f}" for row in info["acceptance_rates"])
    print(f"llmhls: wrote {args.output} ({args.heads} heads; top-1 acceptance per head: {top1})")
    return 0


def _cmd_medusa_vocab(args: argparse.Namespace) -> int:
    import shlex

    from llmhls.compiler.medusa.options import Recipe
    from llmhls.compiler.medusa.recipe import restrict_vocab

    words = ["llmhls", "medusa", "vocab", args.model, str(args.heads), "-o", str(args.output)]
    words += ["--tokens", str(args.tokens), "--prompts", str(args.prompts)]
    words += ["--calibration-prompts", str(args.calibration_prompts)]
    words += ["--max-new-tokens", str(args.max_new_tokens), "--device", args.device]
    recipe = Recipe(
        calibration_prompts=args.calibration_prompts, max_new_tokens=args.max_new_tokens
    )
    info = restrict_vocab(
        Path(args.model),
        args.heads,
        args.output,
        args.tokens,
        args.prompts,
        recipe,
        device=args.device,
        command=shlex.join(words),
    )
    top1 = " ".join(f"{row[0]:.3f}" for row in info["acceptance_rates"])
    print(
        f"llmhls: wrote {args.output} ({args.tokens} tokens, "
        f"{info['calibration_coverage']:.1%} of the calibration answers; top-1 acceptance "
        f"per head: {top1})"
    )
    return 0


def _parse_ids(text: str) -> list[int]:
    from llmhls.errors import OptionError

    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        message = f"--prompt-ids '{text}' is not a comma-separated list of integers"
        raise OptionError(message) from None


def _cmd_run(args: argparse.Namespace) -> int:
    from llmhls.project import load_llm_manifest
    from llmhls.runtime.generate import (
        TextStream,
        check_prompt,
        generate,
        load_tokenizer,
        open_backend,
    )
    from llmhls.runtime.sampling import SamplingOptions

    sampling = SamplingOptions(args.temperature, args.top_k, args.top_p, args.seed)
    sampling.validate()
    manifest = load_llm_manifest(Path(args.project))
    llm = manifest.llm
    tokenizer = None
    if args.prompt is not None:
        tokenizer = load_tokenizer(manifest)
        text = args.prompt
        if args.chat:
            text = tokenizer.apply_chat_template(
                [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True
            )
        prompt_ids = list(tokenizer(text, add_special_tokens=not args.chat)["input_ids"])
        if not args.prompt.strip():
            prompt_ids = []
    else:
        prompt_ids = _parse_ids(args.prompt_ids)
    check_prompt(prompt_ids, args.max_new_tokens, llm)

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    stream = TextStream(tokenizer, write) if tokenizer is not None else None
    on_token = stream if stream is not None else (lambda token: write(f"{token} "))
    if args.medusa:
        from llmhls.errors import OptionError
        from llmhls.runtime.medusa import medusa_generate, medusa_section

        medusa_section(manifest)  # before the backend builds: a project without a tree fails
        if sampling.temperature:
            raise OptionError("--medusa decodes greedily: leave out --temperature")
    backend = open_backend(args.backend, manifest, args.xclbin)
    if args.medusa:
        result = medusa_generate(
            backend,
            manifest,
            prompt_ids,
            args.max_new_tokens,
            stop_at_eos=not args.ignore_eos,
            on_token=on_token,
        )
    else:
        result = generate(
            backend,
            llm,
            prompt_ids,
            args.max_new_tokens,
            sampling,
            stop_at_eos=not args.ignore_eos,
            on_token=on_token,
        )
    if tokenizer is not None:
        result.text = tokenizer.decode(result.tokens, skip_special_tokens=True)
    write("\n")
    medusa_line = f", {result.accepted_per_step:.2f} tokens a verify step" if args.medusa else ""
    print(
        f"[{args.backend}] {len(prompt_ids)} prompt tokens, {len(result.tokens)} new tokens "
        f"({result.stopped_by}); prefill {result.prefill_s:.3f} s, "
        f"decode {result.tokens_per_s:.2f} tokens/s{medusa_line}",
        file=sys.stderr,
    )
    if args.json:
        print(json.dumps(result.to_json(args.backend), sort_keys=True))
    return 0


def _cmd_csim(args: argparse.Namespace) -> int:
    from llmhls.compiler.csim import run_csim
    from llmhls.project import load_manifest

    manifest = load_manifest(Path(args.project))
    if manifest.is_llm:
        from llmhls.compiler.llm.testbench import csim_json, run_llm_csim

        llm_result = run_llm_csim(manifest)
        print(csim_json(llm_result))
        return 0 if llm_result["passed"] else 1
    result = run_csim(Path(args.project), inputs_npz=args.inputs, outputs_npz=args.outputs)
    print(result.to_json())
    return 0 if result.passed else 1


def _cmd_debug(args: argparse.Namespace) -> int:
    from llmhls.compiler.debug import debug_project
    from llmhls.errors import UnsupportedError
    from llmhls.project import load_manifest

    if load_manifest(Path(args.project)).is_llm:
        raise UnsupportedError(
            f"{args.project}: llmhls debug handles kernel projects, not LLM projects"
        )
    result = debug_project(Path(args.project))
    print(result.to_json() if args.json else result.summary())
    return 0 if result.divergence is None else 1


def _cmd_report(args: argparse.Namespace) -> int:
    from llmhls.errors import InputError
    from llmhls.passes.qor.report import print_report_table, write_plots
    from llmhls.project import load_manifest

    manifest = load_manifest(Path(args.project))
    path = Path(args.project) / "report.json"
    if not path.is_file():
        raise InputError(f"'{path}' does not exist: compile the project with llmhls compile first")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"'{path}' is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if args.json:
        print(json.dumps(data, indent=2, sort_keys=True))
        return 0
    if manifest.is_llm:  # decode figures per token, stage by stage
        from llmhls.compiler.llm.report import format_llm_report, plot_decode_stages

        print(format_llm_report(data))
        print(f"wrote {plot_decode_stages(Path(args.project), data)}")
        return 0
    print(print_report_table(data))
    for plot in write_plots(Path(args.project), data):
        print(f"wrote {plot}")
    return 0


def _cmd_targets(args: argparse.Namespace) -> int:
    from llmhls.targets import get_target, target_names

    for name in target_names():
        target = get_target(name)
        print(json.dumps({"name": target.name, "part": target.part}))
    return 0


def _cmd_costs(args: argparse.Namespace) -> int:
    from llmhls.errors import OptionError
    from llmhls.passes.analysis.costs import MEMORY_FACTS
    from llmhls.passes.analysis.op_table import OP_TABLE, PARTS_NOTE
    from llmhls.targets import get_target

    target = get_target(args.target)
    clock = target.clock_mhz if args.clock_mhz is None else args.clock_mhz
    if not clock > 0:
        raise OptionError(f"--clock-mhz must be > 0, got {clock:g}")
    ops = [
        {
            "op": row.op,
            "dtype": row.dtype,
            "impl": row.impl,
            "form": row.form,
            "cpp": row.cpp,
            "latency": row.cycles(clock),
            "latency_bands": [[None if mhz == float("inf") else mhz, c] for mhz, c in row.latency],
            "dsp": row.dsp,
            "lut": row.lut,
            "ff": row.ff,
            "source": row.source,
        }
        for row in OP_TABLE
    ]
    memory = [
        {
            "name": fact.name,
            "value": dataclasses.asdict(fact.value)
            if dataclasses.is_dataclass(fact.value)
            else fact.value,
            "source": fact.source,
        }
        for fact in MEMORY_FACTS
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "target": target.name,
                    "part": target.part,
                    "family": target.family,
                    "clock_mhz": clock,
                    "note": PARTS_NOTE,
                    "ops": ops,
                    "memory": memory,
                }
            )
        )
        return 0
    print(f"# {target.name} ({target.part}) at {clock:g} MHz: cycles at this clock; {PARTS_NOTE}")
    print(
        f"{'op':26} {'dtype':6} {'impl':10} {'cycles':>6} {'DSP':>4} {'LUT':>5} {'FF':>5}  source"
    )
    for row in ops:
        print(
            f"{row['op']:26} {row['dtype']:6} {row['impl']:10} {row['latency']:>6} "
            f"{row['dsp']:>4} {row['lut']:>5} {row['ff']:>5}  {row['source']}"
        )
    print("\n# memory and fixed-overhead constants")
    for fact in memory:
        print(f"{fact['name']:24} {fact['value']!s:48}  {fact['source']}")
    return 0


def write_output(text: str, destination: str) -> None:
    """Write a tool's result to a file, or to stdout for '-'."""
    if destination == "-":
        sys.stdout.write(text)
    else:
        Path(destination).write_text(text)


def run_cli(
    argv: Sequence[str] | None, parser_factory: Callable[[], argparse.ArgumentParser]
) -> int:
    """Parse, dispatch, and turn every error into one line (traceback only with --debug)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bars from model loading
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if not debug:
        warnings.filterwarnings("ignore")
    try:
        args = parser_factory().parse_args(argv)
        return int(args.handler(args))
    except LlmhlsError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in llmhls: say so in one line unless --debug
        if debug:
            traceback.print_exc()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(
            f"internal error: {type(exc).__name__}: {first} (rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(argv, build_parser)


if __name__ == "__main__":
    sys.exit(main())
