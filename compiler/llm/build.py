"""Compile an LLM into a decoding accelerator project: stages, top kernel, weights, manifest.

Each stage (embed, layer_pre, layer_post, head; see `stages.py`) is exported
once per row count (1 for decode, the prefill chunk for prefill) and compiled
by the ordinary MLIR flow (`driver.build_kernel`). Every layer runs through the
same compiled layer stages, so compile time does not grow with the layer count.
`llm_top.cpp.j2` ties the stages together with the KV cache
(`llmhls_kv_attention.h`) into `llm_prefill` and `llm_decode`.

Weights are written one `.bin` per weight tensor (its own m_axi bundle and
memory bank), the layers of a layer weight stacked, so the top kernel reaches
layer l's slice at offset l * per-layer size.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from llmhls import __version__
from llmhls.compiler.driver import KernelBuild, build_kernel
from llmhls.compiler.frontend import export_module
from llmhls.compiler.importer import ROLE_INPUT, ROLE_OUTPUT, ROLE_WEIGHT
from llmhls.compiler.llm import engine
from llmhls.compiler.llm.engine.medusa import (
    medusa_files,
    medusa_manifest,
    medusa_report,
    tree_heads,
)
from llmhls.compiler.llm.engine.performance import engine_performance, render_engine_markdown
from llmhls.compiler.llm.kv_cache import AttentionSite, split_at_kv_cache
from llmhls.compiler.llm.link import BUILD_SCRIPT, xclbin_files
from llmhls.compiler.llm.performance import decode_performance
from llmhls.compiler.llm.ports import buffer_arg, interface_pragmas
from llmhls.compiler.llm.quantize import QuantLinear
from llmhls.compiler.llm.report import render_llm_markdown
from llmhls.compiler.llm.source import LoadedLlm
from llmhls.compiler.llm.stages import ROPE_BUFFER, LlmStages, build_stages, fp32_linear
from llmhls.compiler.llm.testbench import TESTBENCH, golden_data, render_llm_testbench
from llmhls.compiler.llm.xrt_host import render_xrt_host
from llmhls.compiler.optimize import OptimizeOptions
from llmhls.compiler.options import LlmCompileOptions
from llmhls.compiler.staging import staged_directory
from llmhls.compiler.tcl import render_run_hls_tcl
from llmhls.errors import UnsupportedError
from llmhls.hls_templates import TEMPLATES_DIR, render
from llmhls.passes.qor.report import render_markdown
from llmhls.project import (
    DEFAULT_FLOOR_TOLERANCE,
    DEFAULT_REL_TOLERANCE,
    DTYPES,
    LLM_KIND,
    MANIFEST_FILE,
    check_output_dir,
    manifest_text,
)
from llmhls.targets import Target, get_target

KV_HEADER = TEMPLATES_DIR / "include" / "llmhls_kv_attention.h"
STAGE_KINDS = ("embed", "pre", "post", "head")
STAGE_ONCHIP_KIB = 64  # LLM stages: interfaces up to this size get on-chip copies
BUDGET_FIELDS = ("max_dsp", "max_bram", "max_uram", "max_lut", "max_ff")
STAGE_FUNCTIONS = {"embed": "embed", "pre": "layer_pre", "post": "layer_post", "head": "head"}


@dataclass
class StageBuild:
    kind: str  # embed / pre / post / head
    rows: int
    build: KernelBuild
    inputs: list[str]  # top-kernel variables bound to the stage's inputs, in order
    outputs: list[str]

    @property
    def function(self) -> str:
        return self.build.kernel.top


@dataclass
class WeightArray:
    """One weight argument of the top kernel: a stacked per-layer array or a shared one."""

    name: str  # top-kernel argument name
    dtype: str
    per_layer: int  # elements per layer (0 for a shared array)
    value: np.ndarray  # flat, all layers
    file: str = ""  # relative path of its .bin
    bundle: str = ""


@dataclass
class LlmCompileResult:
    out_dir: Path
    timings: dict[str, float]
    manifest: dict[str, Any]
    report: dict[str, Any]
    reference: LlmStages | None = None  # the stages the kernels' numerics follow


def linear_factory(fmt: str, group_size: int) -> Callable:
    """The linear-layer builder of a weight format (fp32 plain, others dequantized in-kernel)."""
    if fmt == "fp32":
        return fp32_linear
    return lambda weight, bias: QuantLinear.from_weight(weight, bias, fmt, group_size)


def _layer_inputs(cfg, rows: int, context: int) -> tuple[torch.Tensor, ...]:
    """Example (hidden, positions, k_cache, v_cache) of one layer step over `rows` rows."""
    hidden = torch.randn(rows, cfg.hidden_size, generator=torch.Generator().manual_seed(rows))
    # Positions that do not start at 0, so the causal-window check sees a real window.
    positions = torch.arange(rows, dtype=torch.int64) + min(3, context - rows)
    cache = torch.zeros(cfg.num_kv_heads, context, cfg.head_dim)
    return hidden, positions, cache, cache.clone()


LAYER_INPUTS = ["hidden", "positions", "k_cache", "v_cache"]
EMBED_SHARE = 0.02  # of the resource budget, per embedding variant (a row copy needs little)


def _stage_shares(params: dict[str, int], rows_list: list[int]) -> dict:
    """Each stage kernel's share of the part's resource budget, keyed by (kind, rows).

    All stage kernels exist side by side on the device, so each -O2 search gets a
    slice of the budget, not all of it: the embeddings a fixed small share, the
    rest split between decode (1 row, plus the head) and prefill (when its chunk
    differs), and within each by the stage's weight reads per token, its share of
    the work.
    """
    groups = {1: ["pre", "post", "head"]}
    if len(rows_list) > 1:
        groups[rows_list[-1]] = ["pre", "post"]
    remaining = 1.0 - EMBED_SHARE * len(rows_list)
    shares = {("embed", rows): EMBED_SHARE for rows in rows_list}
    for rows, kinds in groups.items():
        total = sum(params[k] for k in kinds)
        for kind in kinds:
            shares[(kind, rows)] = remaining / len(groups) * params[kind] / total
    return shares


def _stage_budget(optimize: OptimizeOptions, share: float) -> OptimizeOptions:
    scaled = {key: int(getattr(optimize, key) * share) for key in BUDGET_FIELDS}
    return dataclasses.replace(
        optimize, utilization=max(optimize.utilization * share, 1e-3), **scaled
    )


@dataclass
class StageModule:
    """A module to compile as one stage, its example inputs, the top variables of its ports."""

    module: torch.nn.Module
    example: tuple[torch.Tensor, ...]
    inputs: list[str]  # top-kernel variables bound to the stage's inputs, in order
    outputs: list[str]


def _stage_modules(stages: LlmStages, rows: int, context: int) -> dict[str, StageModule]:
    """embed / pre / post / head for one row count; pre and post cut by the KV-cache pass."""
    cfg = stages.cfg
    example = _layer_inputs(cfg, rows, context)
    split = split_at_kv_cache(stages.layer(0), example, LAYER_INPUTS)
    expected = AttentionSite(
        cfg.num_heads, cfg.num_kv_heads, cfg.head_dim, context, 1.0 / math.sqrt(cfg.head_dim)
    )
    if dataclasses.replace(split.site, scale=expected.scale) != expected or not math.isclose(
        split.site.scale, expected.scale, rel_tol=1e-6
    ):
        raise UnsupportedError(f"the layer's attention {split.site} is not the config's {expected}")
    values = dict(zip(LAYER_INPUTS, example, strict=True))
    attention = torch.randn(rows, cfg.num_heads * cfg.head_dim)
    tokens = torch.arange(rows, dtype=torch.int64) % cfg.vocab_size
    embed_inputs = ["token_ids", "positions"] if stages.embed_takes_positions else ["token_ids"]
    return {
        "embed": StageModule(
            stages.embed,
            (tokens, values["positions"])[: len(embed_inputs)],
            embed_inputs,
            ["hidden"],
        ),
        "pre": StageModule(
            split.pre,
            tuple(values[name] for name in split.pre_inputs),
            list(split.pre_inputs),
            ["q", "k", "v"],
        ),
        "post": StageModule(
            split.post,
            (attention, *(values[name] for name in split.post_inputs)),
            ["attention", *split.post_inputs],
            ["hidden_next"],
        ),
        "head": StageModule(stages.head, (values["hidden"][:1],), ["last"], ["logits"]),
    }


def _compile_stages(
    stages: LlmStages, rows_list: list[int], context: int, target: Target, optimize
) -> list[StageBuild]:
    layer = stages.layer(0)
    params = {
        "embed": stages.embed,
        "pre": layer.pre,
        "post": layer.post,
        "head": stages.head,
    }
    # Work per token: the layer stages run once per layer, the others once.
    runs = {"embed": 1, "pre": stages.cfg.num_layers, "post": stages.cfg.num_layers, "head": 1}
    shares = _stage_shares(
        {k: runs[k] * sum(p.numel() for p in m.state_dict().values()) for k, m in params.items()},
        rows_list,
    )
    builds = []
    for rows in rows_list:
        modules = _stage_modules(stages, rows, context)
        for kind in STAGE_KINDS:
            if kind == "head" and rows != 1:
                continue
            stage = modules[kind]
            name = STAGE_FUNCTIONS[kind] if kind == "head" else f"{STAGE_FUNCTIONS[kind]}_c{rows}"
            loaded = export_module(stage.module, stage.example, name)
            share = shares[(kind, rows)]
            header = (
                f"llmhls {__version__}: LLM stage '{name}' ({rows} row(s)), called by llm_top; "
                f"-O2 budget: {share:.1%} of the part's share"
            )
            build = build_kernel(
                loaded,
                target,
                _stage_budget(optimize, share),
                header_comment=header,
                interface_pragmas=False,
            )
            builds.append(StageBuild(kind, rows, build, stage.inputs, stage.outputs))
    return builds


def _stored(value: np.ndarray, iface) -> np.ndarray:
    """A weight as its kernel reads it: in `iface.shape`, permuted by hls-weight-layout."""
    value = np.asarray(value).reshape(iface.shape)
    if iface.layout is not None:
        value = np.transpose(value, iface.layout)
    return np.ascontiguousarray(value).reshape(-1)


WeightKey = tuple[str, str, tuple[int, ...] | None]  # (stage kind, PyTorch name, layout)


def _weight_key(stage: StageBuild, iface) -> WeightKey:
    return (stage.kind, iface.name, iface.layout)


def _weight_arrays(stages: LlmStages, builds: list[StageBuild]) -> dict[WeightKey, WeightArray]:
    """Every weight argument with all layers' values, stored as the kernels read it.

    Decode and prefill stages share a weight array when they read it in the same
    layout; when hls-weight-layout chose different layouts for them, each gets
    its own copy (named after its row count).
    """
    arrays: dict[WeightKey, WeightArray] = {}
    layers = [stages.layer(i).state_dict() for i in range(stages.cfg.num_layers)]
    for stage in builds:
        for iface in stage.build.interfaces:
            key = _weight_key(stage, iface)
            if iface.role != ROLE_WEIGHT or key in arrays:
                continue
            name = f"{stage.kind}_{iface.arg}"
            if any(k[:2] == key[:2] for k in arrays):
                name = f"{name}_c{stage.rows}"
            if stage.kind in ("embed", "head") or iface.name.endswith(ROPE_BUFFER):
                value = _stored(iface.value, iface)
                arrays[key] = WeightArray(name, value.dtype.name, 0, value)
                continue
            per_layer = [_stored(state[iface.name].detach().numpy(), iface) for state in layers]
            value = np.concatenate(per_layer)
            arrays[key] = WeightArray(name, value.dtype.name, per_layer[0].size, value)
    for bank, array in enumerate(arrays.values()):
        array.file = f"data/weights/{array.name}.bin"
        array.bundle = f"gmem_w{bank}"
    return arrays


def _call(stage: StageBuild, arrays: dict[WeightKey, WeightArray]) -> str:
    """The C++ call of a stage from the top, arguments in the stage's signature order."""
    by_arg = {iface.arg: iface for iface in stage.build.interfaces}
    roles = [iface.role for iface in stage.build.interfaces]
    if roles.count(ROLE_INPUT) != len(stage.inputs) or roles.count(ROLE_OUTPUT) != len(
        stage.outputs
    ):
        raise AssertionError(f"stage '{stage.function}' has an unexpected signature: {roles}")
    args = []
    outputs = iter(stage.outputs)
    inputs = iter(stage.inputs)
    for info in stage.build.kernel.arguments:
        iface = by_arg[info["arg"]]
        if iface.role == ROLE_WEIGHT:
            array = arrays[_weight_key(stage, iface)]
            offset = f" + layer * k{array.name}_per_layer" if array.per_layer else ""
            args.append(f"{array.name}{offset}")
        elif iface.role == ROLE_INPUT:
            args.append(next(inputs))
        elif iface.role == ROLE_OUTPUT:
            args.append(next(outputs))
    return f"{stage.function}({', '.join(args)})"


def _kernel_args(kind: str, arrays: list[WeightArray], cfg, options: LlmCompileOptions) -> list:
    cache_elements = cfg.num_layers * cfg.num_kv_heads * options.max_context * cfg.head_dim
    if kind == "prefill":
        head = [
            buffer_arg("tokens", "int32_t", options.max_context, "in", "gmem_io"),
            {"name": "n_tokens", "kind": "scalar", "ctype": "int32_t"},
            {"name": "start_pos", "kind": "scalar", "ctype": "int32_t"},
        ]
    else:
        head = [
            {"name": "token", "kind": "scalar", "ctype": "int32_t"},
            {"name": "pos", "kind": "scalar", "ctype": "int32_t"},
        ]
    weights = [
        buffer_arg(a.name, DTYPES[a.dtype].ctype, a.value.size, "in", a.bundle) | {"file": a.file}
        for a in arrays
    ]
    state = [
        buffer_arg("k_cache", "float", cache_elements, "inout", "gmem_kv0") | {"state": "kv"},
        buffer_arg("v_cache", "float", cache_elements, "inout", "gmem_kv1") | {"state": "kv"},
        buffer_arg("logits", "float", cfg.vocab_size, "out", "gmem_io"),
    ]
    return head + weights + state


# 512-bit widening and long bursts: one bundle per weight streams at its bank's rate.
STAGE_M_AXI = "max_widen_bitwidth=512 max_read_burst_length=64"


def _render_top(
    stages: LlmStages,
    builds: list[StageBuild],
    arrays: dict[WeightKey, WeightArray],
    kernels: dict[str, dict],
    options: LlmCompileOptions,
    chunk: int,
) -> tuple[str, str]:
    cfg = stages.cfg
    weights = list(arrays.values())
    weight_params = ",\n    ".join(f"const {DTYPES[a.dtype].ctype} *{a.name}" for a in weights)
    steps = []
    for rows in sorted({1, chunk}):
        calls = {}
        for stage in builds:
            if stage.kind == "head" or stage.rows == rows:
                calls[f"{stage.kind}_call"] = _call(stage, arrays)
        steps.append({"rows": rows, **calls})
    comment = (
        f"// Generated by llmhls {__version__}: {cfg.arch} decoder, {cfg.num_layers} layers, "
        f"--max-context {options.max_context}, --weights {options.weights}, "
        f"--head-weights {options.head_weights}"
    )
    source = render(
        "llm_top.cpp.j2",
        header_comment=comment,
        stage_headers=sorted({f"{stage.function}.h" for stage in builds}),
        layers=cfg.num_layers,
        hidden=cfg.hidden_size,
        heads=cfg.num_heads,
        kv_heads=cfg.num_kv_heads,
        head_dim=cfg.head_dim,
        max_context=options.max_context,
        vocab=cfg.vocab_size,
        tile=min(options.attention_tile, options.max_context),
        chunk=chunk,
        scale=f"{1.0 / math.sqrt(cfg.head_dim):.9g}f",
        layer_weights=[(a.name, a.per_layer) for a in weights if a.per_layer],
        steps=steps,
        weight_params=weight_params,
        weight_args=", ".join(a.name for a in weights),
        prefill_pragmas=interface_pragmas(kernels["prefill"]["args"], STAGE_M_AXI),
        decode_pragmas=interface_pragmas(kernels["decode"]["args"], STAGE_M_AXI),
    )
    signature_tail = f"{weight_params},\n    float *k_cache, float *v_cache, float *logits)"
    header = (
        f"{comment}\n#ifndef LLMHLS_LLM_TOP_H\n#define LLMHLS_LLM_TOP_H\n\n#include <cstdint>\n\n"
        f"void llm_prefill(\n    const int32_t *tokens, int32_t n_tokens, int32_t start_pos,\n"
        f"    {signature_tail};\n\n"
        f"void llm_decode(\n    int32_t token, int32_t pos,\n    {signature_tail};\n\n"
        "#endif  // LLMHLS_LLM_TOP_H\n"
    )
    return source, header


def compile_llm(loaded: LoadedLlm, out_dir: Path, options: LlmCompileOptions) -> LlmCompileResult:
    """Compile a loaded LLM into a prefill + decode accelerator project at `out_dir`."""
    cfg = loaded.config
    options = options.resolved(
        cfg.max_positions, loaded.precision.weights, loaded.precision.description
    )
    target = get_target(options.target)
    clock = options.clock_mhz or target.clock_mhz
    out_dir = Path(out_dir)
    check_output_dir(out_dir, options.force)
    if options.engine == "stream":
        return _compile_engine(loaded, out_dir, options, target, clock)
    # Every weight of a stage gets its own m_axi bundle, as the top kernel gives it its own bank,
    # and only small tensors get on-chip copies: a layer's weights change with every call.
    optimize = dataclasses.replace(
        options.optimize,
        target=target.name,
        clock_mhz=clock,
        weight_banks=0,
        max_onchip_kib=min(options.optimize.max_onchip_kib, STAGE_ONCHIP_KIB),
    )
    chunk = min(options.prefill_chunk, options.max_context)
    timings: dict[str, float] = {}

    start = time.perf_counter()
    stages = build_stages(
        cfg,
        loaded.model,
        linear_factory(options.weights, options.group_size),
        linear_factory(options.head_weights, options.group_size),
    )
    builds = _compile_stages(stages, sorted({1, chunk}), options.max_context, target, optimize)
    timings["stages_s"] = time.perf_counter() - start

    start = time.perf_counter()
    arrays = _weight_arrays(stages, builds)
    timings["weights_s"] = time.perf_counter() - start
    weights = list(arrays.values())
    kernels = {
        kind: {"function": f"llm_{kind}", "args": _kernel_args(kind, weights, cfg, options)}
        for kind in ("prefill", "decode")
    }
    top_source, top_header = _render_top(stages, builds, arrays, kernels, options, chunk)
    decode_arrays = {
        stage.kind: [
            arrays[_weight_key(stage, i)] for i in stage.build.interfaces if i.role == ROLE_WEIGHT
        ]
        for stage in builds
        if stage.rows == 1
    }
    performance = decode_performance(
        cfg, builds, decode_arrays, kernels["decode"]["args"], options, target, clock
    )
    manifest = _manifest(loaded, options, target, clock, chunk, builds, kernels, weights)
    start = time.perf_counter()
    golden = golden_data(stages, options.max_context, chunk)
    timings["golden_s"] = time.perf_counter() - start
    report = {
        "model": loaded.name,
        "target": target.name,
        "clock_mhz": clock,
        "decode": performance,
        "stages": {
            stage.function: {
                "latency_cycles": stage.build.qor.latency_cycles,
                "resources": dict(stage.build.qor.resources),
            }
            for stage in builds
        },
        "weights": [
            {"name": a.name, "bundle": a.bundle, "dtype": a.dtype, "bytes": int(a.value.nbytes)}
            for a in weights
        ],
    }
    files: dict[str, str | np.ndarray] = {
        f"kernel/{stage.function}{suffix}": text
        for stage in builds
        for suffix, text in ((".cpp", stage.build.kernel.source), (".h", stage.build.kernel.header))
    }
    files["kernel/llm_top.cpp"] = top_source
    files["kernel/llm_top.h"] = top_header
    files[f"kernel/{KV_HEADER.name}"] = KV_HEADER.read_text()
    files.update(_xrt_files(loaded, manifest, target))
    files[TESTBENCH] = render_llm_testbench(manifest, golden)
    files["run_hls.tcl"] = _run_hls_tcl(loaded.name, manifest, target, clock)
    files[MANIFEST_FILE] = manifest_text(manifest)
    files["report.json"] = json.dumps(report, indent=2) + "\n"
    files["report.md"] = render_llm_markdown(report)
    for stage in builds:  # where each stage's cycles and resources go, loop by loop
        files[f"reports/{stage.function}.md"] = render_markdown(stage.build.qor.to_dict())
    files.update({array.file: array.value for array in weights})
    files.update({f"data/{name}.bin": value for name, value in golden.items()})
    if options.dump_ir:
        for stage in builds:
            for name, text in stage.build.dumps.items():
                files[f"ir/{stage.function}/{name}"] = text
    start = time.perf_counter()
    _write_project(out_dir, files, loaded.tokenizer, executable=(BUILD_SCRIPT,))
    timings["write_s"] = time.perf_counter() - start
    return LlmCompileResult(out_dir, timings, manifest, report)


def _compile_engine(
    loaded: LoadedLlm, out_dir: Path, options: LlmCompileOptions, target: Target, clock: float
) -> LlmCompileResult:
    """`--engine stream`: one channel-parallel kernel (compiler/llm/engine)."""
    cfg = loaded.config
    timings: dict[str, float] = {}
    start = time.perf_counter()
    head_linear = linear_factory(options.head_weights, options.group_size)
    layer_linear = linear_factory(options.weights, options.group_size)
    stages = build_stages(cfg, loaded.model, layer_linear, head_linear)
    float_layer = build_stages(cfg, loaded.model, fp32_linear, fp32_linear).layer(0)
    example = _layer_inputs(cfg, 1, options.max_context)
    heads = (
        None
        if options.medusa is None
        else tree_heads(options.medusa, cfg.hidden_size, cfg.vocab_size)
    )
    plan, reference = engine.plan_engine(
        stages, float_layer, example, options, target, head_linear, heads, layer_linear
    )
    timings["layout_s"] = time.perf_counter() - start
    args = engine.kernel_args(plan, cfg, options)
    kernels = {"prefill": {"function": engine.ENGINE_FUNCTION, "args": args}}
    performance = engine_performance(plan, cfg, options, target, clock)
    sources, headers = engine.kernel_file_list()
    manifest = _manifest(loaded, options, target, clock, 1, [], kernels, [])
    manifest["kernel_files"], manifest["kernel_headers"] = sources, headers
    manifest["llm"]["engine"] = "stream"
    manifest["tolerance"] = engine.engine_tolerance(options)
    manifest["llm"]["kv_cache"] |= {
        "dtype": {"fp16": "float16", "int8": "int8"}.get(options.kv_cache, "float32"),
        # K and V, every row with its scale (int8)
        "bytes": 2
        * engine.kv_row_bytes(engine.KV_CTYPES[options.kv_cache], cfg.head_dim)
        * int(np.prod(manifest["llm"]["kv_cache"]["shape"][:3])),
    }
    report = {
        "model": loaded.name,
        "target": target.name,
        "clock_mhz": clock,
        "engine": performance,
    }
    files: dict[str, str | np.ndarray] = engine.engine_files(plan, cfg, options, args)
    if engine.HLS_OPS in files:
        manifest["hls_ops"] = engine.HLS_OPS
    if plan.tree is not None:
        manifest["llm"]["medusa"] = medusa_manifest(plan, heads)
        report["medusa"] = medusa_report(plan, clock)
        files.update(medusa_files(options.medusa))
    files.update(_xrt_files(loaded, manifest, target))
    golden = golden_data(reference, options.max_context, plan.rows)
    files.update({f"data/{name}.bin": value for name, value in golden.items()})
    files[TESTBENCH] = render_llm_testbench(manifest, golden)
    files["run_hls.tcl"] = _run_hls_tcl(
        loaded.name, manifest, target, clock, engine.ENGINE_FUNCTION
    )
    files[MANIFEST_FILE] = manifest_text(manifest)
    files["report.json"] = json.dumps(report, indent=2) + "\n"
    files["report.md"] = render_engine_markdown(report)
    start = time.perf_counter()
    _write_project(out_dir, files, loaded.tokenizer, executable=(BUILD_SCRIPT,))
    timings["write_s"] = time.perf_counter() - start
    result = LlmCompileResult(out_dir, timings, manifest, report)
    result.reference = reference
    return result


def _xrt_files(loaded: LoadedLlm, manifest: dict[str, Any], target: Target) -> dict[str, str]:
    """link.cfg, build_xclbin.sh and the XRT host/; places each buffer on its bank in `manifest`."""
    header = f"llmhls {__version__}: xclbin build of '{loaded.name}'"
    return xclbin_files(manifest, target, header) | render_xrt_host(manifest)


def _manifest(loaded, options, target, clock, chunk, builds, kernels, weights) -> dict[str, Any]:
    cfg = loaded.config
    files = [f"kernel/{stage.function}.cpp" for stage in builds] + ["kernel/llm_top.cpp"]
    cache_shape = [cfg.num_layers, cfg.num_kv_heads, options.max_context, cfg.head_dim]
    return {
        "llmhls_version": __version__,
        "kind": LLM_KIND,
        "model": loaded.name,
        "source": Path(loaded.source).name,
        "target": target.name,
        "part": target.part,
        "platform": target.platform,
        "clock_mhz": clock,
        "kernel_files": files,
        "kernel_headers": [f.replace(".cpp", ".h") for f in files] + [f"kernel/{KV_HEADER.name}"],
        # tb_llm's verdict on the prefill logits, element-wise as a kernel project's testbench.
        "tolerance": {"rel": DEFAULT_REL_TOLERANCE, "floor": DEFAULT_FLOOR_TOLERANCE},
        "llm": {
            **{k: v for k, v in cfg.to_dict().items() if k != "num_layers"},
            "num_layers": cfg.num_layers,
            "max_context": options.max_context,
            "prefill_chunk": chunk,
            "attention_tile": min(options.attention_tile, options.max_context),
            "weights": options.weights,
            "source_precision": loaded.precision.description,
            "head_weights": options.head_weights,
            "group_size": options.group_size
            if "int4" in (options.weights, options.head_weights)
            else None,
            "tokenizer": "tokenizer" if loaded.tokenizer is not None else None,
            "kv_cache": {
                "layout": "[layer][kv_head][position][head_dim]",
                "dtype": "float32",
                "shape": cache_shape,
                "bytes": 2 * 4 * int(np.prod(cache_shape)),
            },
            "kernels": kernels,
        },
    }


def _run_hls_tcl(
    name: str, manifest: dict[str, Any], target: Target, clock: float, top: str = "llm_decode"
) -> str:
    """run_hls.tcl: csim with tb_llm, then synthesis of `top`."""
    note = (
        f"(top {top}; set the top to llm_prefill for the prefill kernel)"
        if top == "llm_decode"
        else f"(top {top})"
    )
    return render_run_hls_tcl(
        project_name=f"{top}_hls",
        top=top,
        kernel_files=manifest["kernel_files"],
        testbench_files=[TESTBENCH],
        part=target.part,
        clock_mhz=clock,
        cosim=False,
        include_dirs=["kernel"],
        header_comment=f"llmhls {__version__}: Vitis HLS script for '{name}' {note}",
        solution_scripts=[manifest["hls_ops"]] if "hls_ops" in manifest else [],
    )


def _write_project(
    out_dir: Path,
    files: dict[str, str | np.ndarray],
    tokenizer: Any,
    executable: tuple[str, ...] = (),
) -> None:
    """Write every file into a staging folder, then move it into place in one rename.

    The `executable` paths (scripts the user runs as ./name) get mode 755.
    """
    with staged_directory(out_dir) as staging:
        for relative, content in sorted(files.items()):
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, np.ndarray):
                np.ascontiguousarray(content).tofile(path)
            else:
                path.write_text(content)
            if relative in executable:
                path.chmod(0o755)
        if tokenizer is not None:
            tokenizer.save_pretrained(staging / "tokenizer")
