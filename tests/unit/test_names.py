"""Generated C++ names never collide with C++ keywords or the testbench's own names."""

from __future__ import annotations

from pathlib import Path

import torch

from llmhls.compiler.csim import run_csim
from llmhls.compiler.driver import CompileOptions, compile_model
from llmhls.compiler.frontend import export_module
from llmhls.compiler.optimize import OptimizeOptions
from llmhls.names import c_identifier


class KeywordInputs(torch.nn.Module):
    def forward(self, new: torch.Tensor, argc: torch.Tensor) -> torch.Tensor:
        return new * 2.0 + argc


def test_c_identifier_cases() -> None:
    assert c_identifier("layers.0.attn.q_proj.weight") == "layers_0_attn_q_proj_weight"
    assert c_identifier("0.weight") == "t_0_weight"
    assert c_identifier("class") == "class_"
    assert c_identifier("..") == "t"


def test_keyword_and_testbench_names_are_renamed(tmp_path: Path) -> None:
    inputs = (torch.randn(3, 4), torch.randn(3, 4))
    loaded = export_module(KeywordInputs(), inputs, "keywords")
    options = CompileOptions(optimize=OptimizeOptions(level=0))
    result = compile_model(loaded, tmp_path / "p", options)
    args = [i["arg"] for i in result.manifest["interfaces"]]
    assert args[:2] == ["new_", "argc_"]
    assert run_csim(tmp_path / "p").passed
