"""A second, test-only implementation of llmhls's weight formats (compiler/llm/quantize.py's
docstring is the specification), written without the product's quantizer or decoder.

`fake_quantize` rounds a float weight to the format's grid and gives it back as float32:
the weight a correct quantized kernel multiplies by, for ordinary float math in PyTorch.
`decode_stored` reads a layer's stored arrays by the documented byte layout.

- fp16: IEEE half, round to nearest even (PyTorch's own cast).
- int8: per output row, scale = max|w| / 127 (float32), q = round(w / scale), w ~ q * scale.
- int4: per output row and group of `group` consecutive inputs, min = min w, scale =
  (max w - min w) / 15 (both rounded to fp16 values), q = round((w - min) / scale) in [0, 15],
  w ~ q * scale + min; stored as bytes [in / 2, out], byte [j, o] = q[o, 2j] | q[o, 2j+1] << 4.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from llmhls.project import load_llm_manifest
from llmhls.runtime.csim_backend import CsimBackend
from llmhls.runtime.precision import (
    PrecisionFigures,
    compare_logits,
    reference_continuation,
    teacher_forced_logits,
)

# Kernel against the fake-quantized reference: both multiply by the same float32 weights, so
# they differ by float32 rounding only (unit roundoff u = 6e-8): summation order in k-term dot
# products (worst case k u of sum |x w|: 8e-6 for the tiny models' k = 128, typically sqrt(k) u),
# the in-kernel decode's order (int4 adds scale * sum x q and min * sum x per group; fp16's
# 2^25 scaling is exact), and hls_math's exp / tanh / rsqrt against libm's. Measured on the
# tiny models: 2e-6 to 6e-6. 1e-4 is the csim testbench's own tolerance (REL_TOLERANCE in
# compiler/llm/testbench.py), while a weight one grid step off (a scale off by 1/127, a
# swapped nibble) moves the logits by 1e-3 or more.
FAKE_QUANT_REL_ERROR = 1e-4


def fake_quantize(weight: Tensor, fmt: str, group: int | None = 32) -> Tensor:
    """`weight` [out, in] rounded to `fmt`'s grid, as float32 [out, in]."""
    w = weight.detach().to(torch.float32)
    if fmt == "fp32":
        return w.clone()
    if fmt == "fp16":
        return w.to(torch.float16).to(torch.float32)
    if fmt == "int8":
        q, scale = _int8_grid(w)
        return q * scale[:, None]
    if fmt == "int4":
        q, scale, low = _int4_grid(w, group)
        rows, cols = w.shape
        return (q * scale[..., None] + low[..., None]).reshape(rows, cols).to(torch.float32)
    raise ValueError(fmt)


def _int8_grid(w: Tensor) -> tuple[Tensor, Tensor]:
    """(q as float32, scale float32 [out]); a zero row has scale 0 and q 0."""
    scale = w.abs().amax(dim=1) / 127.0
    exact = w.to(torch.float64) / torch.where(scale > 0, scale, 1.0).to(torch.float64)[:, None]
    return torch.round(exact).to(torch.float32), scale


def _int4_grid(w: Tensor, group: int) -> tuple[Tensor, Tensor, Tensor]:
    """(q as float32 [out, groups, group], scale and min float32 [out, groups])."""
    rows, cols = w.shape
    grouped = w.reshape(rows, cols // group, group)
    low = grouped.amin(dim=-1).half().float()
    scale = (grouped.amax(dim=-1) - grouped.amin(dim=-1).to(torch.float64)).div(15.0).half().float()
    offset = grouped.to(torch.float64) - low.to(torch.float64)[..., None]
    q = torch.round(offset / torch.where(scale > 0, scale, 1.0).to(torch.float64)[..., None])
    q = q.clamp(0.0, 15.0)
    return q.to(torch.float32), scale, low


def decode_stored(buffers: dict[str, Tensor], fmt: str, group: int = 32) -> Tensor:
    """The float32 [out, in] weight that a layer's stored arrays hold, read byte by byte."""
    if fmt == "fp32":
        return buffers["weight"].clone()
    if fmt == "fp16":
        bits = buffers["weight_fp16"].numpy().astype("<i2").tobytes()
        half = np.frombuffer(bits, dtype="<f2").reshape(buffers["weight_fp16"].shape)
        return torch.from_numpy(half.astype(np.float32))
    if fmt == "int8":
        return buffers["weight_q"].to(torch.float32) * buffers["weight_scale"][:, None]
    raw = buffers["weight_packed"].numpy().view(np.uint8)  # [in / 2, out]
    halves, out = raw.shape
    q = np.empty((out, 2 * halves), dtype=np.float32)
    q[:, 0::2] = (raw % 16).T  # low nibble: even input
    q[:, 1::2] = (raw // 16).T  # high nibble: odd input
    scale = buffers["weight_scale"].numpy().T.repeat(group, axis=1)  # [out, in]
    low = buffers["weight_min"].numpy().T.repeat(group, axis=1)
    return torch.from_numpy(q * scale + low)


def fake_quantized_model(model: nn.Module, weights: str, head: str, group: int | None) -> nn.Module:
    """A transformers Llama / GPT-2 causal LM with its linear weights on llmhls's grids.

    Every decoder-layer projection goes to `weights`, the LM head to `head` (untied from the
    embedding, which stays float32, as llmhls stores it); the rest is untouched.
    """
    with torch.no_grad():
        for name, module in model.named_modules():
            if ".layers." not in name and ".h." not in name:
                continue  # outside the decoder layers
            if isinstance(module, nn.Linear):
                module.weight.copy_(fake_quantize(module.weight, weights, group))
            elif type(module).__name__ == "Conv1D":  # GPT-2: W stored [in, out]
                module.weight.copy_(fake_quantize(module.weight.t(), weights, group).t())
        model.lm_head.weight = nn.Parameter(
            fake_quantize(model.lm_head.weight, head, group), requires_grad=False
        )
    return model


def check_against_fake_quantized(
    loaded: Any,
    out: Path,
    manifest: dict,
    prompt: list[int],
    new_tokens: int,
    record: Callable[[str, object], None],
    tolerance: float = FAKE_QUANT_REL_ERROR,
) -> PrecisionFigures:
    """Kernel logits, teacher-forced along the float32 model's greedy continuation, against
    the fake-quantized model (tight) and the float32 model (the figures returned).

    `loaded` is the project's `LoadedLlm`, `manifest` its manifest["llm"] (weight formats
    and group size), `record` pytest's record_property.
    """
    sequence, float_logits = reference_continuation(loaded.model, prompt, new_tokens)
    logits = teacher_forced_logits(CsimBackend(load_llm_manifest(out)), prompt, sequence)
    model = fake_quantized_model(
        copy.deepcopy(loaded.model),
        manifest["weights"],
        manifest["head_weights"],
        manifest["group_size"],
    )
    with torch.no_grad():
        reference = model(torch.tensor([sequence])).logits[0].float().numpy()
    reference = reference[len(prompt) - 1 : len(sequence) - 1]
    tight = compare_logits(logits, reference)
    record("fake_quant_max_rel_logit_error", tight.max_rel_logit_error)
    assert tight.max_rel_logit_error <= tolerance, tight
    # Same top-1 token wherever the reference's two best logits are further apart than the
    # error allowed on both sides (a closer pair is a tie that rounding may break).
    top2 = np.sort(reference, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 2 * tolerance * np.abs(reference).max(axis=1)
    assert (logits.argmax(axis=1) == reference.argmax(axis=1))[clear].all(), tight
    figures = compare_logits(logits, float_logits)
    record("float_max_rel_logit_error", figures.max_rel_logit_error)
    record("float_top1_agreement", figures.top1_agreement)
    print(f"{out.name}: vs fake-quantized {tight}; vs float32 {figures}")
    return figures
