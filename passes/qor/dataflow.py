"""Functions, calls and dataflow processes.

Functions: latency = crit(top-level ops) + sum latency(loops, calls); interval = latency.
  hlsdf.dataflow: its calls and top-level loops are processes; latency = sum of process
  latencies (first invocation), interval = max process interval.
"""

from __future__ import annotations

from torch_mlir import ir

from llmhls.passes import directives
from llmhls.passes.analysis.initiation_interval import Storage
from llmhls.passes.analysis.loops import root_buffer
from llmhls.passes.qor.report_types import TaskReport
from llmhls.passes.qor.state import _Cost, _Frame, _Run
from llmhls.passes.qor.structure import _Call, _FuncInfo, _LoopInfo


class _DataflowModel:
    """Functions and calls; the processes of a dataflow region and the buffers between."""

    # functions ------------------------------------------------------------------------
    def run_call(self, frame: _Frame, call: _Call, shared: bool) -> _Run:
        if not self.analysis.has_function(call.callee):
            self.warnings.append(f"call to '@{call.callee}' without a body counts 0 cycles")
            return _Run(0, 0, _Cost(), 0, 0)
        callee = self.analysis.function(call.callee)
        bindings: dict[ir.Value, Storage] = {}
        for arg, operand in zip(callee.args, call.operands, strict=False):
            if isinstance(operand.type, ir.MemRefType):
                bindings[arg] = self.storage(frame, root_buffer(operand))
            elif frame.bindings.get(operand) is not None:  # a stream passed through
                bindings[arg] = frame.bindings[operand]
            elif operand in frame.info.names and not isinstance(operand.owner, ir.Block):
                bindings[arg] = self.stream(frame, operand)
        run = self.run_function(callee, bindings)
        if shared:
            self.shared.setdefault(call.callee, run.cost)
            return _Run(run.latency, run.interval, _Cost(), run.flops, run.offchip, bound=run.bound)
        return run

    def run_function(self, info: _FuncInfo, bindings: dict[ir.Value, Storage]) -> _Run:
        key = (info.name, tuple(id(bindings.get(a)) for a in info.args))
        found = self._memo.get(key)
        if found is not None:
            return found
        frame = _Frame(info, bindings)
        self.frames.append(frame)
        first = info.name not in self._reported
        self._reported.add(info.name)
        body = info.body
        lat = self.latencies(frame, body)
        latency = self.critical_path(body, lat)
        cost = _Cost()
        cost.add(body.cost)
        flops, offchip = body.flops, self.offchip(frame, body)
        dataflow = directives.is_dataflow(info.op)
        intervals = []
        slowest = (0, "compute")  # the item that takes longest and what limits it
        for item in body.items:
            if isinstance(item, _LoopInfo):
                run = self.run_loop(frame, item, 1, 1)
                if first:
                    self.reports.append(run.report)
            else:
                run = self.run_call(frame, item, shared=not dataflow)
            frame.runs.append(run)
            latency += run.latency
            intervals.append(run.interval)
            slowest = max(slowest, (run.interval if dataflow else run.latency, run.bound))
            cost.add(run.cost)
            flops += run.flops
            offchip += run.offchip
        latency, bound = self.traffic_bound(latency, offchip)
        interval, interval_bound = self.traffic_bound(max(intervals, default=latency), offchip)
        if dataflow:
            bound = interval_bound
        if bound == "compute":
            bound = slowest[1]
        interval = max(1, interval) if dataflow else latency
        run = _Run(latency, interval, cost, flops, offchip, bound=bound)
        self._memo[key] = run
        return run

    def processes(
        self, frame: _Frame
    ) -> tuple[list[TaskReport], list[tuple[str, str, str]], set[Storage]]:
        """Dataflow processes of the top function, the buffers between them, and the PIPOs."""
        info = frame.info
        dataflow = directives.is_dataflow(info.op)
        if not dataflow:
            return [], [], set()
        tasks: list[TaskReport] = []
        touched: list[tuple[set[Storage], set[Storage]]] = []
        used: dict[str, int] = {}
        for item, run in zip(info.body.items, frame.runs, strict=True):
            reads: set[Storage] = set()
            writes: set[Storage] = set()
            if isinstance(item, _LoopInfo):
                base, kind = item.label, "loop"
                for access in item.subtree:
                    (writes if access.is_store else reads).add(self.storage(frame, access.root))
            else:
                base, kind = item.callee, "task"
                callee = (
                    self.analysis.function(item.callee)
                    if self.analysis.has_function(item.callee)
                    else None
                )
                for i, operand in enumerate(item.operands):
                    if callee is None:
                        continue
                    if isinstance(operand.type, ir.MemRefType):
                        storage = self.storage(frame, root_buffer(operand))
                    elif operand in info.names:
                        storage = self.stream(frame, operand)
                    else:
                        continue
                    if i in callee.arg_reads:
                        reads.add(storage)
                    if i in callee.arg_writes:
                        writes.add(storage)
            count = used.get(base, 0)
            used[base] = count + 1
            name = base if count == 0 else f"{base}_{count}"
            tasks.append(
                TaskReport(
                    name,
                    kind,
                    run.latency,
                    run.interval,
                    run.cost.dsp,
                    run.cost.lut,
                    run.cost.ff,
                    sorted(s.name for s in reads),
                    sorted(s.name for s in writes),
                )
            )
            touched.append((reads, writes))
        edges: list[tuple[str, str, str]] = []
        last_writer: dict[Storage, int] = {}
        users: dict[Storage, set[int]] = {}
        for index, (reads, writes) in enumerate(touched):
            for storage in sorted(reads, key=lambda s: s.name):
                writer = last_writer.get(storage)
                if writer is not None and writer != index:
                    edges.append((tasks[writer].name, tasks[index].name, storage.name))
            for storage in reads | writes:
                users.setdefault(storage, set()).add(index)
            for storage in writes:
                last_writer[storage] = index
        pipo = {s for s, who in users.items() if len(who) > 1 and s.kind in ("ram", "reg")}
        return tasks, edges, pipo
