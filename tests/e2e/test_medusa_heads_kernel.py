"""A Medusa heads kernel at -O2: one parallel task per head (hls-medusa-heads), csim = PyTorch."""

from __future__ import annotations

import re
from pathlib import Path

import torch
from canonical_cpp import slow_forms

from llmhls.compiler.csim import run_csim
from llmhls.compiler.driver import compile_model
from llmhls.compiler.frontend import export_module
from llmhls.compiler.medusa.heads import MedusaHeads
from llmhls.compiler.optimize import OptimizeOptions
from llmhls.compiler.options import CompileOptions


class HeadLogits(torch.nn.Module):
    """K trained-looking heads on one hidden state, through one shared LM head."""

    def __init__(self, hidden: int, heads: int, vocab: int) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(3)
        self.medusa = MedusaHeads(hidden, heads)  # weights named medusa.blocks.{k}.*
        for block in self.medusa.blocks:
            block.weight.data = torch.randn(hidden, hidden, generator=generator) * 0.3
            block.bias.data = torch.randn(hidden, generator=generator) * 0.1
        self.lm_head = torch.nn.Linear(hidden, vocab, bias=False)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.medusa.logits(hidden, self.lm_head)


def test_heads_run_as_parallel_tasks_and_match_pytorch(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = HeadLogits(hidden=8, heads=3, vocab=16).eval()
    loaded = export_module(model, (torch.randn(1, 8),), "medusa_heads")
    out = tmp_path / "heads"
    compile_model(loaded, out, CompileOptions(force=True, optimize=OptimizeOptions(level=2)))
    cpp = (out / "kernel" / "medusa_heads.cpp").read_text()
    assert slow_forms(cpp, "medusa_heads") == []
    top = cpp[cpp.index("#pragma HLS dataflow") :]
    calls = re.findall(r"^  (medusa_heads_task\d+\w*)\((.*)\);$", top, re.M)
    heads = [(name, args) for name, args in calls if "_medusa_head_" in name and "addmm" in name]
    assert [name.split("_medusa_head_")[1][0] for name, _ in heads] == ["0", "1", "2"]
    # One task loads the hidden state and writes one copy a head; each head reads its own.
    (loader,) = [args for name, args in calls if name.endswith("_hidden_load")]
    copies = [a for a in loader.split(", ") if a.startswith("hidden_buffer")]
    assert len(copies) == 3
    assert sorted(
        next(a for a in args.split(", ") if a.startswith("hidden_buffer")) for _, args in heads
    ) == sorted(copies)
    result = run_csim(out)
    assert result.passed, result.note
    assert result.max_rel_err < 1e-5


def _lm_head_task(cpp: str) -> str:
    """The body of the task that multiplies by the LM head."""
    definition = r"^static void \w+_lm_head_mm\((?:\n  [^\n;]+)+\n\) \{\n(.*?)^\}"
    found = re.search(definition, cpp, re.S | re.M)
    assert found is not None, "no LM-head task in the kernel"
    return found.group(1)


def test_lm_head_reads_each_weight_once_for_every_head(tmp_path: Path, monkeypatch) -> None:
    """With the LM head on the interface (nothing buffered on chip), hls-loop-permute puts
    the heads' rows innermost and unrolled: each weight element is read once for all K
    heads, K - 1 fewer weight passes off chip than a row at a time, with the same results."""
    from llmhls.passes.loop import permute

    torch.manual_seed(0)
    hidden, heads, vocab = 8, 3, 16
    model = HeadLogits(hidden=hidden, heads=heads, vocab=vocab).eval()
    loaded = export_module(model, (torch.randn(1, hidden),), "medusa_heads")
    optimize = OptimizeOptions(level=2, max_onchip_kib=0)
    shared = compile_model(loaded, tmp_path / "shared", CompileOptions(optimize=optimize))
    cpp = (tmp_path / "shared" / "kernel" / "medusa_heads.cpp").read_text()
    assert slow_forms(cpp, "medusa_heads") == []
    task = _lm_head_task(cpp)
    weight_read = task.index("= lm_head_weight[")
    rows_loop = re.search(
        rf"for \(int i\d = 0; i\d < {heads}; \+\+i\d\) \{{\n\s+#pragma HLS unroll\n", task
    )
    assert rows_loop is not None and weight_read < rows_loop.start(), task
    result = run_csim(tmp_path / "shared")
    assert result.passed and result.max_rel_err < 1e-5, result.note
    monkeypatch.setattr(permute, "REUSE_MAX_TRIPS", 1)  # the same kernel, a row at a time
    per_row = compile_model(loaded, tmp_path / "per_row", CompileOptions(optimize=optimize))
    weight_bytes = vocab * hidden * 4
    saved = per_row.report["offchip_bytes"] - shared.report["offchip_bytes"]
    assert saved == (heads - 1) * weight_bytes
