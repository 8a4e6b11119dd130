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
