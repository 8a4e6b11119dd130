"""HLS directives as IR attributes: the one place their names and shapes are defined.

Passes decide and write these; the emitter only prints them as pragmas; the
QoR estimator reads them. All arrays are emitted flat (one dimension), so an
array directive always applies to dim 1 of the printed array.

attribute (on)                           pragma
hlsdf.pipeline = {ii} (for)              #pragma HLS pipeline II=<ii> (the II Vitis reaches
                                         is a QoR estimate, never stored here)
hlsdf.unroll = {factor} (for; 0 = full)  #pragma HLS unroll [factor=<f>]
hlsdf.tripcount = {min, max, avg} (for)  #pragma HLS loop_tripcount min= max= avg=
hlsdf.flatten = {levels} (pipelined for) #pragma HLS loop_flatten (the `levels` loops above join it)
hlsdf.partition = {kind, factor} (alloc)  #pragma HLS array_partition variable= <kind> factor= dim=1
hlsdf.bind_storage = {type, impl} (alloc) #pragma HLS bind_storage variable= type= impl=
hlsdf.dataflow (func)                    #pragma HLS dataflow
hlsdf.task (func)                        a dataflow task; `#pragma HLS inline off`
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

PIPELINE = "hlsdf.pipeline"
UNROLL = "hlsdf.unroll"
TRIPCOUNT = "hlsdf.tripcount"
FLATTEN = "hlsdf.flatten"
PARTITION = "hlsdf.partition"
BIND_STORAGE = "hlsdf.bind_storage"
DATAFLOW = "hlsdf.dataflow"
TASK = "hlsdf.task"

PARTITION_KINDS = ("cyclic", "block", "complete")
STORAGE_IMPLS = ("bram", "uram", "lutram")


@dataclass(frozen=True)
class Pipeline:
    ii: int  # the target; the achieved II is the QoR estimator's output


@dataclass(frozen=True)
class Partition:
    kind: str
    factor: int  # ignored for "complete"


@dataclass(frozen=True)
class BindStorage:
    impl: str
    type: str = "ram_2p"


@dataclass(frozen=True)
class TripCount:
    min: int
    max: int
    avg: int


def _dict(op: ir.Operation, name: str) -> dict[str, ir.Attribute] | None:
    if name not in op.attributes:
        return None
    return {entry.name: entry.attr for entry in ir.DictAttr(op.attributes[name])}


def _int(entries: dict[str, ir.Attribute], key: str, default: int | None = None) -> int | None:
    return ir.IntegerAttr(entries[key]).value if key in entries else default


def _i64(value: int) -> ir.Attribute:
    return ir.IntegerAttr.get(ir.IntegerType.get_signless(64), value)


def _str(entries: dict[str, ir.Attribute], key: str, default: str) -> str:
    return ir.StringAttr(entries[key]).value if key in entries else default


# -- loops ----------------------------------------------------------------
def get_pipeline(loop: ir.Operation) -> Pipeline | None:
    entries = _dict(loop, PIPELINE)
    if entries is None:
        return None
    return Pipeline(_int(entries, "ii", 1) or 1)


def set_pipeline(loop: ir.Operation, pipeline: Pipeline) -> None:
    with loop.context:
        loop.attributes[PIPELINE] = ir.DictAttr.get({"ii": _i64(pipeline.ii)})


def get_unroll(loop: ir.Operation) -> int | None:
    """The unroll factor (0 = full unroll), None when the loop is not unrolled."""
    entries = _dict(loop, UNROLL)
    return None if entries is None else _int(entries, "factor", 0)


def set_unroll(loop: ir.Operation, factor: int) -> None:
    with loop.context:
        loop.attributes[UNROLL] = ir.DictAttr.get({"factor": _i64(factor)})


def get_flatten(loop: ir.Operation) -> int | None:
    """How many enclosing loops flatten into this pipelined loop; None when not flattened."""
    entries = _dict(loop, FLATTEN)
    return None if entries is None else _int(entries, "levels", 1)


def set_flatten(loop: ir.Operation, levels: int) -> None:
    with loop.context:
        loop.attributes[FLATTEN] = ir.DictAttr.get({"levels": _i64(levels)})


def get_tripcount(loop: ir.Operation) -> TripCount | None:
    entries = _dict(loop, TRIPCOUNT)
    if entries is None:
        return None
    maximum = _int(entries, "max", 1) or 1
    return TripCount(
        _int(entries, "min", maximum) or 0, maximum, _int(entries, "avg", maximum) or 0
    )


def set_tripcount(loop: ir.Operation, tripcount: TripCount) -> None:
    with loop.context:
        loop.attributes[TRIPCOUNT] = ir.DictAttr.get(
            {"min": _i64(tripcount.min), "max": _i64(tripcount.max), "avg": _i64(tripcount.avg)}
        )


# -- arrays (on memref.alloc ops; function arguments carry them in arg_attrs) --
def get_partition(alloc: ir.Operation) -> Partition | None:
    entries = _dict(alloc, PARTITION)
    if entries is None:
        return None
    return Partition(_str(entries, "kind", "cyclic"), _int(entries, "factor", 1) or 1)


def set_partition(alloc: ir.Operation, partition: Partition) -> None:
    if partition.kind not in PARTITION_KINDS:
        raise ValueError(f"partition kind {partition.kind!r} not in {PARTITION_KINDS}")
    with alloc.context:
        alloc.attributes[PARTITION] = ir.DictAttr.get(
            {"kind": ir.StringAttr.get(partition.kind), "factor": _i64(partition.factor)}
        )


def get_bind_storage(alloc: ir.Operation) -> BindStorage | None:
    entries = _dict(alloc, BIND_STORAGE)
    if entries is None:
        return None
    return BindStorage(_str(entries, "impl", "bram"), _str(entries, "type", "ram_2p"))


def set_bind_storage(alloc: ir.Operation, storage: BindStorage) -> None:
    if storage.impl not in STORAGE_IMPLS:
        raise ValueError(f"storage impl {storage.impl!r} not in {STORAGE_IMPLS}")
    with alloc.context:
        alloc.attributes[BIND_STORAGE] = ir.DictAttr.get(
            {"impl": ir.StringAttr.get(storage.impl), "type": ir.StringAttr.get(storage.type)}
        )


# -- functions --------------------------------------------------------------
def is_dataflow(func: ir.Operation) -> bool:
    return DATAFLOW in func.attributes


def set_dataflow(func: ir.Operation) -> None:
    with func.context:
        func.attributes[DATAFLOW] = ir.UnitAttr.get()


def is_task(func: ir.Operation) -> bool:
    return TASK in func.attributes


def set_task(func: ir.Operation) -> None:
    with func.context:
        func.attributes[TASK] = ir.UnitAttr.get()
