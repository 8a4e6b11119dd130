"""The compile flow, top to bottom: load → import → lower → legalize → emit → write project.

Each stage is one call with the artifacts it needs; the project directory is
assembled in a temporary folder next to the destination and moved into place
only when everything succeeded, so a failure never leaves half a project.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch_mlir import ir

from llmhls import __version__
from llmhls.compiler.emit.hlscpp import EmittedKernel, emit_hlscpp
from llmhls.compiler.frontend import LoadedModel
from llmhls.compiler.importer import (
    ROLE_INPUT,
    ROLE_OUTPUT,
    Interface,
    find_function,
    import_program,
)
from llmhls.compiler.legalize import HLS_LEGALIZE_PIPELINE
from llmhls.compiler.lowering import AFFINE_LOWERING_PIPELINE, lower_to_affine
from llmhls.compiler.optimize import OptimizeOptions, optimization_pipeline
from llmhls.compiler.options import CompileOptions
from llmhls.compiler.staging import staged_directory
from llmhls.compiler.tcl import render_run_hls_tcl
from llmhls.compiler.testbench import render_testbench
from llmhls.errors import OptionError
from llmhls.passes.dataflow.weight_layout import weight_layouts
from llmhls.passes.pipeline import run_pipeline
from llmhls.passes.qor.estimator import QorReport, estimate
from llmhls.passes.qor.report import write_report
from llmhls.project import (
    DEFAULT_FLOOR_TOLERANCE,
    DTYPES,
    MANIFEST_FILE,
    ROLE_DIRS,
    check_output_dir,
    manifest_text,
)
from llmhls.targets import Target, get_target


@dataclass
class CompileResult:
    out_dir: Path
    top: str
    timings: dict[str, float] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)


def pipelines(optimize: OptimizeOptions | None = None) -> dict[str, str]:
    """The pass pipelines compile runs, in order, as `llmhls-opt` accepts them."""
    stages = {"lower": AFFINE_LOWERING_PIPELINE, "legalize": HLS_LEGALIZE_PIPELINE}
    optimization = optimization_pipeline(optimize or OptimizeOptions())
    if optimization:
        stages["optimize"] = optimization
    return stages


def compile_model(loaded: LoadedModel, out_dir: Path, options: CompileOptions) -> CompileResult:
    """Compile a loaded model into a Vitis HLS project at `out_dir`."""
    target = get_target(options.target)
    clock_mhz = options.clock_mhz or target.clock_mhz
    if not 10.0 <= clock_mhz <= 1000.0:
        raise OptionError(f"--clock-mhz {clock_mhz:g} is outside 10..1000 MHz")
    out_dir = Path(out_dir)
    check_output_dir(out_dir, options.force)
    # The optimization passes budget against the resolved part and clock.
    options = dataclasses.replace(
        options,
        optimize=dataclasses.replace(options.optimize, target=target.name, clock_mhz=clock_mhz),
    )

    build = build_kernel(
        loaded,
        target,
        options.optimize,
        header_comment=_header_comment(loaded, target, clock_mhz, options.optimize),
    )
    timings, dumps, qor, kernel = build.timings, build.dumps, build.qor, build.kernel

    start = time.perf_counter()
    golden = _golden_outputs(loaded)
    timings["golden_s"] = time.perf_counter() - start

    interfaces = _finalize_interfaces(build.interfaces, loaded, golden)
    manifest = _manifest(loaded, kernel, interfaces, target, clock_mhz, options)
    start = time.perf_counter()
    _write_project(
        out_dir, loaded, kernel, interfaces, manifest, target, clock_mhz, options, dumps, qor
    )
    timings["write_s"] = time.perf_counter() - start
    return CompileResult(out_dir, kernel.top, timings, manifest, qor.to_dict())


@dataclass
class KernelBuild:
    """One model compiled to a kernel, before any project file is written."""

    kernel: EmittedKernel
    # As imported (weights carry their PyTorch values, inputs/outputs none), plus each
    # weight's layout: its .bin must hold np.transpose(value, layout).
    interfaces: list[Interface]
    qor: QorReport
    timings: dict[str, float]
    dumps: dict[str, str]  # IR after each stage, by dump file name


def build_kernel(
    loaded: LoadedModel,
    target: Target,
    optimize: OptimizeOptions,
    *,
    header_comment: str = "",
    interface_pragmas: bool = True,
) -> KernelBuild:
    """Import, lower, legalize, optimize, estimate and emit one exported program.

    `optimize` must already carry the resolved target and clock.
    """
    timings: dict[str, float] = {}
    dumps: dict[str, str] = {}
    start = time.perf_counter()
    imported = import_program(loaded.program, func_name=loaded.name)
    timings.update(imported.timings)
    timings["import_total_s"] = time.perf_counter() - start
    dumps["01-linalg.mlir"] = _asm(imported.module)

    start = time.perf_counter()
    lower_to_affine(imported.module)
    dumps["02-affine.mlir"] = _asm(imported.module)
    run_pipeline(imported.module, HLS_LEGALIZE_PIPELINE)
    dumps["03-hls-legal.mlir"] = _asm(imported.module)
    timings["lowering_s"] = time.perf_counter() - start

    start = time.perf_counter()
    optimization = optimization_pipeline(optimize)
    if optimization:
        run_pipeline(imported.module, optimization)
        dumps["04-optimized.mlir"] = _asm(imported.module)
    timings["optimize_s"] = time.perf_counter() - start
    interfaces = _with_layouts(imported.module, loaded.name, imported.interfaces)

    start = time.perf_counter()
    qor = estimate(imported.module, target, optimize.clock_mhz, top=loaded.name)
    timings["estimate_s"] = time.perf_counter() - start

    start = time.perf_counter()
    kernel = emit_hlscpp(
        imported.module,
        header_comment=header_comment,
        top=loaded.name,
        interface_pragmas=interface_pragmas,
    )
    timings["emit_s"] = time.perf_counter() - start
    return KernelBuild(kernel, interfaces, qor, timings, dumps)


def _with_layouts(module: ir.Module, top: str, interfaces: list[Interface]) -> list[Interface]:
    """The interfaces with the weight layouts hls-weight-layout recorded on the top function."""
    with module.context:
        layouts = weight_layouts(find_function(module, top))
    return [dataclasses.replace(iface, layout=layouts.get(iface.arg)) for iface in interfaces]


def _asm(module) -> str:
    return module.operation.get_asm(large_elements_limit=16)


def _header_comment(
    loaded: LoadedModel, target: Target, clock_mhz: float, optimize: OptimizeOptions
) -> str:
    lines = [
        f"Generated by llmhls {__version__} -- Vitis HLS C++ for model '{loaded.name}'",
        f"source: {Path(loaded.source).name}",
        f"target: {target.name} ({target.part}) at {clock_mhz:g} MHz, -O{optimize.level}",
    ]
    lines += [f"{stage}: {pipeline}" for stage, pipeline in pipelines(optimize).items()]
    return "\n".join(lines)


def _golden_outputs(loaded: LoadedModel) -> list[np.ndarray]:
    with torch.no_grad():
        outputs = loaded.run()
    return [t.detach().contiguous().cpu().numpy() for t in outputs]


def stored_value(iface: Interface) -> np.ndarray:
    """The array as the kernel reads it: a permuted weight is written transposed."""
    value = np.asarray(iface.value)
    return value if iface.layout is None else np.transpose(value, iface.layout)


def _storage_dtype(dtype: str) -> str:
    """Arrays are stored as the kernel computes them: f64 was narrowed to f32."""
    return "float32" if dtype == "float64" else dtype


def _finalize_interfaces(
    interfaces: list[Interface], loaded: LoadedModel, golden: list[np.ndarray]
) -> list[Interface]:
    inputs = iter(loaded.example_inputs)
    outputs = iter(golden)
    final = []
    for iface in interfaces:
        dtype = _storage_dtype(iface.dtype)
        if iface.role == ROLE_INPUT:
            value = next(inputs).detach().contiguous().cpu().numpy()
        elif iface.role == ROLE_OUTPUT:
            value = next(outputs)
        else:
            value = iface.value
        if dtype not in DTYPES:
            raise OptionError(f"{iface.role} '{iface.name}' has dtype {iface.dtype}, not supported")
        final.append(
            Interface(
                iface.name,
                iface.arg,
                iface.role,
                iface.shape,
                dtype,
                np.asarray(value).astype(dtype),
                iface.layout,
            )
        )
    return final


def _manifest(
    loaded: LoadedModel,
    kernel: EmittedKernel,
    interfaces: list[Interface],
    target: Target,
    clock_mhz: float,
    options: CompileOptions,
) -> dict:
    return {
        "llmhls_version": __version__,
        "model": loaded.name,
        "top": kernel.top,
        "target": target.name,
        "part": target.part,
        "clock_mhz": clock_mhz,
        "kernel_files": [f"kernel/{kernel.top}.cpp"],
        "kernel_headers": [f"kernel/{kernel.top}.h"],
        "testbench": f"tb/tb_{kernel.top}.cpp",
        "tolerance": {"rel": options.tolerance, "floor": DEFAULT_FLOOR_TOLERANCE},
        "opt_level": options.optimize.level,
        "pipelines": pipelines(options.optimize),
        "interfaces": [_manifest_interface(iface) for iface in interfaces],
    }


def _manifest_interface(iface: Interface) -> dict:
    """One manifest entry; `shape` is what the .bin holds (the stored, possibly permuted, shape)."""
    entry = {
        "name": iface.name,
        "arg": iface.arg,
        "role": iface.role,
        "shape": list(iface.stored_shape),
        "dtype": iface.dtype,
        "ctype": DTYPES[iface.dtype].ctype,
        "file": f"{ROLE_DIRS[iface.role]}/{iface.arg}.bin",
        "bytes": int(iface.value.nbytes) if iface.value is not None else 0,
    }
    if iface.layout is not None:
        entry["layout"] = list(iface.layout)
        entry["original_shape"] = list(iface.shape)
    return entry


def _write_project(
    out_dir: Path,
    loaded: LoadedModel,
    kernel: EmittedKernel,
    interfaces: list[Interface],
    manifest: dict,
    target: Target,
    clock_mhz: float,
    options: CompileOptions,
    dumps: dict[str, str],
    qor: QorReport,
) -> None:
    with staged_directory(out_dir) as staging:
        (staging / "kernel").mkdir()
        (staging / "tb").mkdir()
        (staging / f"kernel/{kernel.top}.cpp").write_text(kernel.source)
        (staging / f"kernel/{kernel.top}.h").write_text(kernel.header)
        (staging / manifest["testbench"]).write_text(render_testbench(manifest))
        (staging / "run_hls.tcl").write_text(
            render_run_hls_tcl(
                project_name=f"{kernel.top}_hls",
                top=kernel.top,
                kernel_files=manifest["kernel_files"],
                testbench_files=[manifest["testbench"]],
                part=target.part,
                clock_mhz=clock_mhz,
                cosim=options.cosim,
                include_dirs=["kernel"],
                header_comment=f"llmhls {__version__}: Vitis HLS script for '{kernel.top}'",
            )
        )
        for iface, entry in zip(interfaces, manifest["interfaces"], strict=True):
            path = staging / entry["file"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(np.ascontiguousarray(stored_value(iface)).tobytes())
        (staging / MANIFEST_FILE).write_text(manifest_text(manifest))
        write_report(staging, qor)
        torch.export.save(loaded.program, staging / "program.pt2")
        if options.dump_ir:
            (staging / "ir").mkdir()
            for name, text in dumps.items():
                (staging / "ir" / name).write_text(text)
