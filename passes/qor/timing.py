"""Latencies, critical paths and recurrences of loop bodies.

Recurrences (which pairs are carried, at what distance, and their II: the shared model,
  `passes/analysis/initiation_interval.py`): path = compute latency from the load's result
  to the store, along this module's def-use graph.
  C_X = path of the distance-1 pairs (and iter_args: block argument -> yield) of X's body:
  what each further copy adds when unrolled copies chain.
"""

from __future__ import annotations

from collections.abc import Iterator

from llmhls.passes import directives
from llmhls.passes.analysis import costs, op_table
from llmhls.passes.analysis.initiation_interval import chain_ii, dependence
from llmhls.passes.analysis.loops import Access, Loop
from llmhls.passes.qor.state import _Frame
from llmhls.passes.qor.structure import _Block, _LoopInfo


class _TimingModel:
    """Trip counts, op latencies, critical paths, recurrence chains and their II."""

    # directives ---------------------------------------------------------------------
    def trips(self, info: _LoopInfo) -> int:
        if info.loop.trip_count is not None:
            return info.loop.trip_count
        tripcount = directives.get_tripcount(info.loop.op)
        if tripcount is not None:
            return tripcount.max
        if info.trip_bound is not None:
            return info.trip_bound
        self.warnings.append(f"{info.label}: unknown trip count, counted as 1")
        return 1

    @staticmethod
    def unroll(info: _LoopInfo, trips: int) -> int:
        factor = directives.get_unroll(info.loop.op)
        if factor is None:
            return 1
        return max(1, trips if factor == 0 else min(factor, trips))

    # latencies --------------------------------------------------------------------
    def op_latency(self, row: op_table.OpRow) -> int:
        """Cycles of an op-table row at this clock, cached per row."""
        found = self._op_latency.get(row)
        if found is None:
            found = row.cycles(self.clock)
            self._op_latency[row] = found
        return found

    def latencies(self, frame: _Frame, block: _Block) -> list[int]:
        result = []
        for node in block.nodes:
            access = node.access
            if access is not None:
                if access.is_store:
                    result.append(costs.BRAM_WRITE_LATENCY)
                else:
                    result.append(self.storage(frame, access.root).read_latency)
            elif node.stream is not None:
                result.append(costs.STREAM_LATENCY)
            else:
                result.append(self.op_latency(node.row))
        return result

    @staticmethod
    def critical_path(block: _Block, lat: list[int]) -> int:
        finish: list[int] = []
        for node, cycles in zip(block.nodes, lat, strict=True):
            start = max((finish[p] for p in node.preds), default=0)
            if node.mem_pred is not None:
                start = max(start, finish[node.mem_pred])
            finish.append(start + cycles)
        return max(finish, default=0)

    @staticmethod
    def path(
        block: _Block, lat: list[int], sources: tuple[int, ...], sink: int | None, from_load: bool
    ) -> int:
        """Compute latency from `sources` (a load's result, or users of an iter_arg) to `sink`.

        from_load: ends at the input of the store `sink`; else at the output of `sink`.
        """
        if sink is None or not sources:
            return 0
        first = min(sources)
        ready: dict[int, int] = {}
        source_set = set(sources)
        for position in range(first, sink + 1):
            node = block.nodes[position]
            inputs = [ready[p] for p in node.preds if p in ready]
            if position in source_set:
                ready[position] = 0 if from_load else max(inputs, default=0) + lat[position]
            elif inputs:
                if position == sink and from_load:
                    return max(inputs)
                ready[position] = max(inputs) + lat[position]
        return ready.get(sink, 0)

    # dependences --------------------------------------------------------------------
    def dependence(
        self, frame: _Frame, load: Access, store: Access, loop: _LoopInfo, unroll: int
    ) -> tuple[int, int] | None:
        """The shared model's (distance, chained copies) with this analysis' trip counts."""
        infos = frame.info.loop_of

        def trips(inner: Loop) -> int:
            return self.trips(infos[inner]) if inner in infos else 1

        return dependence(load, store, loop.loop, unroll, trips)

    def chain_cost(self, frame: _Frame, info: _LoopInfo, lat: list[int]) -> int:
        """C_X: what one more chained copy of the loop body adds (distance-1 recurrences)."""
        body = info.body
        worst = 0
        for load, store in body.pairs:
            dep = self.dependence(frame, body.nodes[load].access, body.nodes[store].access, info, 1)
            if dep is not None and dep[0] == 1:
                worst = max(worst, self.path(body, lat, (load,), store, True))
        for users, sink in body.iter_chains:
            worst = max(worst, self.path(body, lat, users, sink, False))
        return worst

    def _recurrence_pairs(
        self, frame: _Frame, info: _LoopInfo
    ) -> Iterator[tuple[_Block, list[int], int, int]]:
        """(body, its op latencies, load node, store node) of each recurrence pair in `info`."""
        for inner in info.walk():
            body = inner.body
            if not body.pairs:
                continue
            lat = self.latencies(frame, body)
            for load, store in body.pairs:
                yield body, lat, load, store

    def recurrence_ii(self, frame: _Frame, info: _LoopInfo, unroll: int) -> int:
        worst = 0
        for body, lat, load, store in self._recurrence_pairs(frame, info):
            dep = self.dependence(
                frame, body.nodes[load].access, body.nodes[store].access, info, unroll
            )
            if dep is None:
                continue
            distance, copies = dep
            path = self.path(body, lat, (load,), store, True)
            worst = max(worst, chain_ii(lat[load], copies, path, lat[store], distance))
        lat = self.latencies(frame, info.body)
        for users, sink in info.body.iter_chains:
            worst = max(worst, unroll * self.path(info.body, lat, users, sink, False))
        return worst

    def flattened_recurrence_ii(self, frame: _Frame, info: _LoopInfo, sweep: int) -> int:
        """II a flattened nest needs for values carried across its outer loops.

        hls-loop-flatten only flattens nests whose stored buffers are each accessed at
        one injective offset, so such a value is read again a whole sweep of the
        pipelined loop (`sweep` iterations) after it is written, or later.
        """
        worst = 0
        for body, lat, load, store in self._recurrence_pairs(frame, info):
            path = self.path(body, lat, (load,), store, True)
            worst = max(worst, chain_ii(lat[load], 1, path, lat[store], sweep))
        return worst
