"""KV-cache buffering: find the cache update in a decoder layer's graph and cut the layer there.

A decoder layer written the PyTorch way takes its KV cache as inputs, writes
this step's rows with `index_copy` (a functional update that returns a whole
new cache) and attends over the result with `scaled_dot_product_attention`:

    k_cache = k_cache.index_copy(1, positions, k)     # cache [kv_heads, T, head_dim]
    v_cache = v_cache.index_copy(1, positions, v)
    out = F.scaled_dot_product_attention(q, k_cache, v_cache, attn_mask=mask, enable_gqa=True)

Compiled as it stands, every step would copy the whole cache and attend over
all T positions. This pass recognizes that pattern in the exported ATen graph
and splits the layer into two graphs around it:

- `pre`: everything the update and the attention consume, returning
  q [C, heads, head_dim] and the new rows k, v [C, kv_heads, head_dim];
- `post`: everything after the attention, taking its output [C, heads·head_dim].

Between them the top kernel appends k, v in place to the persistent off-chip
cache ([layer][kv_head][position][head_dim]) and attends over positions
[0, pos] only, reading the cache in bursts (`llmhls_kv_attention.h`); K/V of a
GQA group are shared by its query heads, never repeated.

What is checked before cutting (each failure is one UnsupportedError line):
both caches are layer inputs [kv_heads, T, head_dim] updated along dim 1 at
the `positions` input; the attention reads exactly the two updated caches (no
repeat of K/V: GQA must use `enable_gqa`); its mask, evaluated on the example,
is the causal window `j <= positions[c]`; and nothing else crosses the cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import fx

from llmhls.errors import UnsupportedError

_ATEN = torch.ops.aten
_INDEX_COPY = _ATEN.index_copy.default
_SDPA = _ATEN.scaled_dot_product_attention.default


@dataclass(frozen=True)
class AttentionSite:
    """What the top kernel's append + attention must do in place of the cut."""

    num_heads: int
    num_kv_heads: int
    head_dim: int
    max_context: int
    scale: float


@dataclass
class SplitLayer:
    """A decoder layer cut at its KV cache."""

    pre: fx.GraphModule  # (pre_inputs...) -> (q [C,H,Dh], k [C,KVH,Dh], v [C,KVH,Dh])
    post: fx.GraphModule  # (attention [C, H*Dh], post_inputs...) -> layer outputs without caches
    pre_inputs: list[str]  # layer input names, in the order `pre` takes them
    post_inputs: list[str]  # layer input names after `attention`, in the order `post` takes them
    site: AttentionSite


def _placeholders(graph: fx.Graph) -> list[fx.Node]:
    return [n for n in graph.nodes if n.op == "placeholder"]


def _ancestors(roots: list[fx.Node], stop: set[fx.Node]) -> set[fx.Node]:
    """Nodes `roots` depend on (roots included), not walking through `stop`."""
    seen: set[fx.Node] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node in stop:
            continue
        stack.extend(node.all_input_nodes)
    return seen


def _find_site(gm: fx.GraphModule, layer_name: str) -> tuple[fx.Node, fx.Node, fx.Node]:
    """(sdpa, k index_copy, v index_copy) of the layer, checked."""
    inputs = set(_placeholders(gm.graph))
    updates = [n for n in gm.graph.nodes if n.target == _INDEX_COPY and n.args[0] in inputs]
    attentions = [n for n in gm.graph.nodes if n.target == _SDPA]
    if len(updates) != 2 or len(attentions) != 1:
        raise UnsupportedError(
            f"layer '{layer_name}': no KV-cache update found (expected two index_copy into "
            f"cache inputs feeding one scaled_dot_product_attention; found {len(updates)} "
            f"updates and {len(attentions)} attentions)"
        )
    sdpa = attentions[0]
    query, key, value = sdpa.args[:3]
    if key not in updates or value not in updates or key is value:
        raise UnsupportedError(
            f"layer '{layer_name}': the attention does not read the updated caches directly "
            "(K/V must not be repeated or reshaped: use enable_gqa=True for grouped queries)"
        )
    for update in (key, value):
        cache, dim, index, _ = update.args
        shape = cache.meta["val"].shape
        if len(shape) != 3 or dim != 1 or index.op != "placeholder":
            raise UnsupportedError(
                f"layer '{layer_name}': cache '{cache.name}' must be [kv_heads, positions, "
                "head_dim] updated along dim 1 at a positions input"
            )
    if key.args[2] is not value.args[2]:
        raise UnsupportedError(f"layer '{layer_name}': K and V are written at different positions")
    if sdpa.kwargs.get("is_causal") or sdpa.kwargs.get("dropout_p", 0.0):
        raise UnsupportedError(
            f"layer '{layer_name}': the attention must use an explicit mask, no is_causal/dropout"
        )
    if query.meta["val"].dim() != 3:
        raise UnsupportedError(f"layer '{layer_name}': the attention query must be [heads, C, Dh]")
    return sdpa, key, value


def _check_causal_mask(
    gm: fx.GraphModule,
    sdpa: fx.Node,
    example_inputs: tuple[torch.Tensor, ...],
    positions: torch.Tensor,
    layer_name: str,
) -> None:
    """The mask, evaluated on the example, must be the window j <= positions[c]."""
    mask_node = sdpa.args[3] if len(sdpa.args) > 3 else sdpa.kwargs.get("attn_mask")
    if mask_node is None:
        raise UnsupportedError(f"layer '{layer_name}': the attention has no mask")
    captured: dict[str, torch.Tensor] = {}

    class Capture(fx.Interpreter):
        def run_node(self, n: fx.Node):
            value = super().run_node(n)
            if n is mask_node:
                captured["mask"] = value
            return value

    Capture(gm).run(*example_inputs)
    mask = captured["mask"]
    length = mask.shape[-1]
    expected = positions[:, None] >= torch.arange(length)[None, :]
    if mask.dtype == torch.bool:
        ok = torch.equal(mask, expected)
    else:
        ok = bool(torch.all(torch.isneginf(mask) == ~expected)) and bool(
            torch.all(mask[expected] == 0)
        )
    if not ok:
        raise UnsupportedError(
            f"layer '{layer_name}': the attention mask is not the causal window "
            "positions[c] >= j that the KV-cache attention implements"
        )


def _copy_nodes(
    source: fx.GraphModule, graph: fx.Graph, keep: set[fx.Node], env: dict[fx.Node, fx.Node]
) -> None:
    for node in source.graph.nodes:
        if node in keep and node not in env and node.op not in ("placeholder", "output"):
            if node.op == "call_module":
                continue  # export's guard function: checked once, when exporting the part
            env[node] = graph.node_copy(node, lambda n: env[n])


def split_at_kv_cache(
    layer: torch.nn.Module, example_inputs: tuple[torch.Tensor, ...], names: list[str]
) -> SplitLayer:
    """Cut `layer` (inputs `names`, caches among them) at its KV-cache update."""
    layer_name = type(layer).__name__
    program = torch.export.export(layer, example_inputs)
    gm = program.module()
    sdpa, k_update, v_update = _find_site(gm, layer_name)
    placeholders = dict(zip(names, _placeholders(gm.graph), strict=True))
    positions = example_inputs[list(placeholders.values()).index(k_update.args[2])]
    _check_causal_mask(gm, sdpa, example_inputs, positions, layer_name)
    caches = {k_update.args[0], v_update.args[0]}
    query = sdpa.args[0]
    heads, rows, head_dim = query.meta["val"].shape
    kv_heads, context, _ = k_update.args[0].meta["val"].shape
    scale = sdpa.kwargs.get("scale") or 1.0 / math.sqrt(head_dim)
    site = AttentionSite(heads, kv_heads, head_dim, context, float(scale))

    # pre: q and the new rows, from the layer inputs (never the caches).
    new_k, new_v = k_update.args[3], v_update.args[3]
    pre_keep = _ancestors([query, new_k, new_v], stop=set())
    if pre_keep & caches:
        raise UnsupportedError(f"layer '{layer_name}': q or the new K/V rows read the cache")
    pre_graph = fx.Graph()
    env: dict[fx.Node, fx.Node] = {}
    pre_inputs = [name for name, node in placeholders.items() if node in pre_keep]
    for name in pre_inputs:
        env[placeholders[name]] = pre_graph.placeholder(name)
    _copy_nodes(gm, pre_graph, pre_keep, env)
    transpose = _ATEN.transpose.int
    q_rows = pre_graph.call_function(transpose, (env[query], 0, 1))  # [C, H, Dh]
    k_rows = pre_graph.call_function(transpose, (env[new_k], 0, 1))  # [C, KVH, Dh]
    v_rows = pre_graph.call_function(transpose, (env[new_v], 0, 1))
    pre_graph.output((q_rows, k_rows, v_rows))

    # post: everything after the attention, which becomes an input.
    output_node = next(n for n in gm.graph.nodes if n.op == "output")
    results = [r for r in output_node.args[0] if r not in (k_update, v_update)]
    post_keep = _ancestors(results, stop={sdpa})
    crossing = [
        n
        for n in post_keep
        if n is not sdpa and n.op == "call_function" and n in pre_keep and n not in caches
    ]
    if crossing or post_keep & {k_update, v_update} - {sdpa}:
        raise UnsupportedError(
            f"layer '{layer_name}': values cross the KV-cache cut "
            f"({', '.join(n.name for n in crossing[:3]) or 'the caches'}); only layer inputs "
            "may be shared by the parts before and after the attention"
        )
    post_graph = fx.Graph()
    env = {}
    attention = post_graph.placeholder("attention")
    post_inputs = [name for name, node in placeholders.items() if node in post_keep]
    for name in post_inputs:
        env[placeholders[name]] = post_graph.placeholder(name)
    per_head = post_graph.call_function(_ATEN.view.default, (attention, [rows, heads, head_dim]))
    env[sdpa] = post_graph.call_function(transpose, (per_head, 0, 1))  # [H, C, Dh]
    _copy_nodes(gm, post_graph, post_keep, env)
    post_graph.output(tuple(env[r] for r in results) if len(results) > 1 else env[results[0]])
    pre = fx.GraphModule(gm, pre_graph, f"{layer_name}_pre")
    post = fx.GraphModule(gm, post_graph, f"{layer_name}_post")
    return SplitLayer(pre, post, pre_inputs, post_inputs, site)
