"""Latency, II and operators of sequential, pipelined and flattened loops.

Pipelined loop L (hlsdf.pipeline ii = II_t)
  depth(X) = crit(X body) + sum_M [depth(M) + (T_M - 1)*C_M] + sum calls latency
  D        = depth(L) + (U - 1)*C_L
  II_rec   = max ceil(chain / g) over pairs carried across L, g = max(1, d div U);
             k = U * prod T_M of the loops inside L the address ignores (d = 1),
             ceil(U/d) when d < U, else 1; iter_args: U*path (calibrated: a
             1-cycle fadd sum runs at II 1 in a published xcu250 report, test_calibration)
  II       = max(II_t, II_rec, P_L, accesses per iteration of one hlsdf stream): the
             achieved II, an output of this model (never read from the IR)
  latency  = (ceil(N/U) - 1)*II + D
Flattened nest (hlsdf.flatten = {levels = k} on L: the k loops above it, a perfect nest of
  O = prod of their trip counts, run as one pipeline with L)
  II       = max(II of L, ceil(chain / ceil(N/U)) over L's load/store pairs): a stored
             element comes back a whole sweep of L later or more (hls-loop-flatten's rule)
  latency  = (O * ceil(N/U) - 1)*II + D, reported on every loop of the nest
Sequential loop X
  D        = crit(X body) + sum latency(inner loops) + sum latency(calls)
  G        = D + max(0, (U - 1)*C_X, P_X - 1)     (P over X's own accesses, U copies)
  latency  = ceil(N/U)*(G + 1) + 1                (+1/iteration: counter; +1: exit)
Any loop, and any function (`dataflow`): latency >= offchip bytes per entry / the bytes all
  channels of the main memory sustain per cycle (`sustained_total_gbps`). The bound of a
  loop: "total" when that raises it, "channel" when its II is set by a bundle's channel
  bandwidth (see `channel_cycles`), else "compute".
Resources
  Operators (op_cost): an op of a pipelined loop counts U * prod T (loops inside); of a
  sequential loop U times; times the copies of enclosing unrolled loops. Loops not fully
  unrolled add LOOP_CONTROL; pipelined ones PIPELINE_CONTROL + PIPELINE_FF_PER_STAGE*D FF.
  Callees outside a dataflow region are shared (counted once); dataflow tasks per call.
"""

from __future__ import annotations

import math

from torch_mlir import ir

from llmhls.passes import directives
from llmhls.passes.analysis import costs
from llmhls.passes.analysis.initiation_interval import pipelined_expansion
from llmhls.passes.analysis.loops import Loop
from llmhls.passes.qor.report_types import LoopReport
from llmhls.passes.qor.state import _Cost, _Flat, _Frame, _Run
from llmhls.passes.qor.structure import _Call, _LoopInfo


class _LoopModel:
    """run_loop and its cases: sequential, pipelined, flattened, unrolled in a pipeline."""

    # loops ------------------------------------------------------------------------------
    def run_loop(self, frame: _Frame, info: _LoopInfo, entries: int, instances: int) -> _Run:
        trips = self.trips(info)
        unroll = self.unroll(info, trips)
        pipeline = directives.get_pipeline(info.loop.op)
        if pipeline is not None:
            return self._pipelined(frame, info, trips, unroll, pipeline, entries, instances)
        nest = _flattened_nest(info)
        if nest is not None:
            return self._flattened(frame, nest, entries, instances)
        body = info.body
        lat = self.latencies(frame, body)
        depth = self.critical_path(body, lat)
        cost = _Cost()
        cost.add(body.cost)
        flops, offchip = body.flops, self.offchip(frame, body)
        children = []
        for item in body.items:
            if isinstance(item, _LoopInfo):
                run = self.run_loop(frame, item, entries * trips, instances * unroll)
                children.append(run.report)
            else:
                run = self.run_call(frame, item, shared=True)
            depth += run.latency
            cost.add(run.cost)
            flops += run.flops
            offchip += run.offchip
        chain = self.chain_cost(frame, info, lat) if unroll > 1 else 0
        items = [
            (a, [(info.loop.iv, unroll, info.loop.step)] if unroll > 1 else []) for a in info.direct
        ]
        ports = self.port_ii(frame, items, None, unroll).cycles
        group = depth + max(0, (unroll - 1) * chain, ports - 1)
        latency, bound = self.traffic_bound(-(-trips // unroll) * (group + 1) + 1, offchip * trips)
        total = _Cost()
        total.add(cost, unroll)
        if unroll < trips:
            total.add(costs.LOOP_CONTROL)
        report = self._report(
            frame,
            info,
            trips=trips,
            unroll=unroll,
            depth=group,
            latency=latency,
            entries=entries,
            cost=total,
            instances=instances,
            flops=flops * trips,
            offchip=offchip * trips,
            children=children,
            bound=bound,
        )
        return _Run(latency, latency, total, flops * trips, offchip * trips, report, bound)

    def _pipelined(
        self,
        frame: _Frame,
        info: _LoopInfo,
        trips: int,
        unroll: int,
        pipeline: directives.Pipeline,
        entries: int,
        instances: int,
        outer: int = 1,
    ) -> _Run:
        """A pipelined loop; `outer` > 1: the trips of the loops flattened into it."""
        flat = self.flatten(frame, info, entries * outer * trips, instances * unroll)
        depth = flat.depth
        if unroll > 1:
            depth += (unroll - 1) * self.chain_cost(frame, info, self.latencies(frame, info.body))
        ii_target = max(1, pipeline.ii)
        ii_rec = self.recurrence_ii(frame, info, unroll)
        sweep = -(-trips // unroll)
        ii_outer = self.flattened_recurrence_ii(frame, info, sweep) if outer > 1 else 0
        infos = frame.info.loop_of

        def inner_trips(inner: Loop) -> int:
            return self.trips(infos[inner]) if inner in infos else 1

        items = [
            (access, pipelined_expansion(access, info.loop, unroll, inner_trips))
            for access in info.subtree
        ]
        ports = self.port_ii(frame, items, info, unroll)
        ii_mem, memory = ports.cycles, ports.limit
        ii_stream = max((count * unroll for count in flat.streams.values()), default=0)
        ii = max(ii_target, ii_rec, ii_mem, ii_stream)
        if ii == ii_target:
            limit = "target"
        elif ii == ii_rec:
            limit = "recurrence"
        elif ii == ii_mem:
            limit = memory
        else:
            limit = "stream"
        if ii_outer > ii:
            ii, limit = ii_outer, "recurrence (flattened)"
        flops, offchip = flat.flops * trips * outer, flat.offchip * trips * outer
        latency, bound = self.traffic_bound((sweep * outer - 1) * ii + depth, offchip)
        if bound == "compute" and limit.startswith("channel:"):
            bound = "channel"
        total = _Cost()
        total.add(flat.cost, unroll)
        total.add(costs.LOOP_CONTROL)
        total.add(costs.PIPELINE_CONTROL)
        total.ff += costs.PIPELINE_FF_PER_STAGE * depth
        report = self._report(
            frame,
            info,
            trips=trips,
            unroll=unroll,
            depth=depth,
            latency=latency,
            entries=entries,
            cost=total,
            instances=instances,
            flops=flops,
            offchip=offchip,
            children=flat.reports,
            pipelined=True,
            ii_target=ii_target,
            ii=ii,
            limit=limit,
            bound=bound,
        )
        return _Run(latency, latency, total, flops, offchip, report, bound)

    def _flattened(
        self, frame: _Frame, nest: list[_LoopInfo], entries: int, instances: int
    ) -> _Run:
        """A perfect nest flattened into its pipelined innermost loop (hlsdf.flatten).

        One pipeline runs through every iteration of the nest, so its depth is paid
        once. Each loop of the nest reports that pipeline's whole latency, entered as
        often as the nest's outermost loop.
        """
        inner = nest[-1]
        pipeline = directives.get_pipeline(inner.loop.op)
        assert pipeline is not None
        outer_trips = [self.trips(loop) for loop in nest[:-1]]
        outer = math.prod(outer_trips)
        trips = self.trips(inner)
        run = self._pipelined(
            frame, inner, trips, self.unroll(inner, trips), pipeline, entries, instances, outer
        )
        report = run.report
        for loop, loop_trips in reversed(list(zip(nest[:-1], outer_trips, strict=True))):
            report = self._report(
                frame,
                loop,
                trips=loop_trips,
                unroll=1,
                depth=report.depth,
                latency=run.latency,
                entries=entries,
                cost=_Cost(),
                instances=instances,
                flops=run.flops,
                offchip=run.offchip,
                children=[report],
                limit="flattened",
                bound=run.report.bound,
            )
        return _Run(run.latency, run.interval, run.cost, run.flops, run.offchip, report, run.bound)

    def flatten(self, frame: _Frame, info: _LoopInfo, entries: int, instances: int) -> _Flat:
        """One iteration of `info` with every loop inside it fully unrolled."""
        body = info.body
        lat = self.latencies(frame, body)
        depth = self.critical_path(body, lat)
        cost = _Cost()
        cost.add(body.cost)
        flops, offchip = body.flops, self.offchip(frame, body)
        streams: dict[ir.Value, int] = {}
        for node in body.nodes:
            if node.stream is not None:
                streams[node.stream] = streams.get(node.stream, 0) + 1
        reports = []
        for item in body.items:
            if isinstance(item, _Call):
                run = self.run_call(frame, item, shared=True)
                depth += run.latency
                cost.add(run.cost)
                flops += run.flops
                offchip += run.offchip
                continue
            trips = self.trips(item)
            if directives.get_pipeline(item.loop.op) is not None:
                self.warnings.append(
                    f"{item.label}: pipeline directive inside pipelined {info.label} is ignored "
                    "(the loop is fully unrolled)"
                )
            inner = self.flatten(frame, item, entries * trips, instances * trips)
            inner_lat = self.latencies(frame, item.body)
            chained = inner.depth + (trips - 1) * self.chain_cost(frame, item, inner_lat)
            depth += chained
            cost.add(inner.cost, trips)
            flops += inner.flops * trips
            offchip += inner.offchip * trips
            for stream, count in inner.streams.items():
                streams[stream] = streams.get(stream, 0) + count * trips
            sub = _Cost()
            sub.add(inner.cost, trips)
            report = self._report(
                frame,
                item,
                trips=trips,
                unroll=trips,
                depth=inner.depth,
                latency=chained,
                entries=entries,
                cost=sub,
                instances=instances,
                flops=inner.flops * trips * entries,
                offchip=inner.offchip * trips * entries,
                children=inner.reports,
                unrolled=True,
            )
            reports.append(report)
        return _Flat(depth, cost, flops, offchip, streams, reports)

    def _report(
        self,
        frame: _Frame,
        info: _LoopInfo,
        *,
        trips: int,
        unroll: int,
        depth: int,
        latency: int,
        entries: int,
        cost: _Cost,
        instances: int,
        flops: int,
        offchip: int,
        children: list[LoopReport],
        pipelined: bool = False,
        ii_target: int | None = None,
        ii: int | None = None,
        limit: str = "",
        bound: str = "compute",
        unrolled: bool = False,
    ) -> LoopReport:
        per_run = 1 if unrolled else entries
        return LoopReport(
            name=info.label,
            function=frame.info.name,
            trip_count=trips,
            unroll=unroll,
            pipelined=pipelined,
            ii_target=ii_target,
            ii_achieved=ii,
            ii_limit=limit,
            bound=bound,
            depth=depth,
            latency=latency,
            entries=entries,
            dsp=cost.dsp * instances,
            lut=cost.lut * instances,
            ff=cost.ff * instances,
            flops=flops * per_run,
            offchip_bytes=offchip * per_run,
            unrolled_in_pipeline=unrolled,
            loops=children,
        )


def _flattened_nest(info: _LoopInfo) -> list[_LoopInfo] | None:
    """[info, ..., pipelined loop] when `info` is the outermost loop flattened into it."""
    nest = [info]
    while len(nest[-1].body.loops) == 1 and not nest[-1].body.calls:
        nest.append(nest[-1].body.loops[0])
        if directives.get_pipeline(nest[-1].loop.op) is not None:
            levels = directives.get_flatten(nest[-1].loop.op)
            return nest if levels == len(nest) - 1 else None
    return None
