"""Weight layout per memory channel for the decode engine (`llmhls_engine.h`).

Decode reads every weight once per token, so the engine reads all channels at
once, each as one sequential stream. This module writes those streams
offline, in exactly the order the engine's processing units consume them:

- each decoder layer's matrices in execution order, fused where they share an
  input (llama: q|k|v, o, gate|up, down), then the LM head; layers
  concatenated, so one channel's file is one burst per token;
- the rows of every matrix split over the N channels: row group rg (ROWS rows)
  goes to channel rg % N as its round rg // N;
- per channel and matrix, blocks of up to 8 rounds: the block's meta words
  (int8 row scales, int4 group scale/minimum pairs, float32, 16 per word),
  then its data words, word w of round r at w * b + r, so the unit can keep 8
  row sums in flight (`gemv_unit` in the header);
- the token embedding is the LM head's rows when the model ties them (stored
  once), otherwise its own matrix after the head, in the head's format.

Formats (lanes of one 512-bit word, SUB per row, ROWS rows per word):
fp32 16x1, fp16 32x1, int8 64x1 (+1 scale per row), int4 64x2 (nibbles,
+scale and minimum per group of 32 inputs). Inputs are zero-padded to a whole
word; the padding is reported (`padding_bytes`), never hidden.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import torch

from llmhls.compiler.llm.quantize import QuantLinear, unpack_int4
from llmhls.dialects.weight_format import (  # noqa: F401 - the layout's vocabulary
    FORMAT_CODES,
    FORMAT_SHAPES,
    INT4_GROUP,
    INTERLEAVE,
    MAX_INTERLEAVE,
    WORD_BYTES,
    WORD_LANES,
    Phase,
    choose_interleave,
)
from llmhls.errors import UnsupportedError


@dataclass
class EncodedMatrix:
    """A matrix in the engine's word form: data words [RG_pad, W, 16] and meta floats."""

    phase: Phase
    data: np.ndarray  # uint32 [row_groups, W, 16]
    meta: np.ndarray  # float32 [row_groups, ROWS * PRF] (empty for fp formats)


def _stored(module: torch.nn.Module) -> tuple[str, dict[str, np.ndarray]]:
    """The format of a linear layer and its stored arrays in [out, in] order."""
    if not isinstance(module, QuantLinear):
        return "fp32", {"weight": module.weight.detach().to(torch.float32).numpy()}
    buffers = dict(module.named_buffers())
    if module.fmt == "fp32":
        return "fp32", {"weight": buffers["weight"].numpy()}
    if module.fmt == "fp16":
        return "fp16", {"bits": buffers["weight_fp16"].numpy().view(np.uint16)}
    if module.fmt == "int8":
        return "int8", {"q": buffers["weight_q"].numpy(), "scale": buffers["weight_scale"].numpy()}
    if module.group_size != INT4_GROUP:
        raise UnsupportedError(
            f"the decode engine's int4 unit takes groups of {INT4_GROUP} inputs, "
            f"not --group-size {module.group_size}"
        )
    q = unpack_int4(buffers["weight_packed"].t().contiguous()).numpy()
    return "int4", {
        "q": q,
        "scale": buffers["weight_scale"].t().contiguous().numpy(),
        "min": buffers["weight_min"].t().contiguous().numpy(),
    }


def has_bias(module: torch.nn.Module) -> bool:
    return getattr(module, "bias", None) is not None


def encode(
    name: str, modules: list[torch.nn.Module], rows: np.ndarray | None = None
) -> EncodedMatrix:
    """Fuse `modules` (same input, same format) row-wise and encode them as engine words;
    with `rows`, only those rows of the fused matrix, in that order (every format stores
    each row with its own scales, so a row keeps its exact codes)."""
    stored = [_stored(m) for m in modules]
    if rows is not None:
        stored = [(fmt, {k: v[rows] for k, v in arrays.items()}) for fmt, arrays in stored]
    formats = {fmt for fmt, _ in stored}
    if len(formats) != 1:
        raise UnsupportedError(f"matrix '{name}' mixes weight formats {sorted(formats)}")
    fmt = formats.pop()
    arrays = {key: np.concatenate([s[key] for _, s in stored]) for key in stored[0][1]}
    first = next(iter(arrays.values()))
    rows, inputs = first.shape
    phase = Phase(name, fmt, rows, inputs)
    rg, rows_pad, width = (
        phase.row_groups,
        phase.row_groups * phase.rows_per_group,
        phase.padded_inputs,
    )

    def padded(values: np.ndarray, dtype) -> np.ndarray:
        out = np.zeros((rows_pad, width), dtype=dtype)
        out[:rows, :inputs] = values
        return out

    meta = np.zeros((rg, 0), dtype=np.float32)
    if fmt == "fp32":
        lanes = padded(arrays["weight"], np.float32).view(np.uint32)
        data = lanes.reshape(rg, phase.words, 16)
    elif fmt == "fp16":
        halves = padded(arrays["bits"], np.uint16).reshape(rg, phase.words, 32)
        data = halves.view(np.uint32)
    elif fmt == "int8":
        data = padded(arrays["q"], np.int8).reshape(rg, phase.words, 64).view(np.uint32)
        scale = np.zeros(rows_pad, dtype=np.float32)
        scale[:rows] = arrays["scale"]
        meta = scale.reshape(rg, 1)
    else:
        q = padded(arrays["q"], np.uint8).reshape(rg, 2, phase.words, 64)
        nibbles = q.transpose(0, 2, 1, 3).reshape(rg, phase.words, 128)
        data = (nibbles[..., 0::2] | (nibbles[..., 1::2] << 4)).astype(np.uint8).view(np.uint32)
        groups = width // INT4_GROUP
        pairs = np.zeros((rows_pad, groups, 2), dtype=np.float32)
        pairs[:rows, : arrays["scale"].shape[1], 0] = arrays["scale"]
        pairs[:rows, : arrays["min"].shape[1], 1] = arrays["min"]
        meta = pairs.reshape(rg, 2 * 2 * groups)
    return EncodedMatrix(phase, np.ascontiguousarray(data), np.ascontiguousarray(meta))


def channel_stream(matrix: EncodedMatrix, channels: int, channel: int) -> np.ndarray:
    """Channel `channel`'s words of `matrix`, uint32 [words, 16], in consumption order."""
    phase = matrix.phase
    words = []
    own = np.arange(channel, phase.row_groups, channels)
    for k, b in enumerate(phase.block_sizes(channels, channel)):
        block = own[k * phase.interleave : k * phase.interleave + b]
        meta_words = phase.meta_words(b)
        if meta_words:
            # int4's pairs as halves (the quantizer rounds them to fp16 values: exact)
            dtype = np.float16 if phase.fmt == "int4" else np.float32
            values = np.zeros(meta_words * phase.meta_per_word, dtype=dtype)
            flat = matrix.meta[block].reshape(-1)
            values[: flat.size] = flat
            words.append(values.view(np.uint32).reshape(meta_words, 16))
        # word w of round r at w * b + r
        words.append(matrix.data[block].transpose(1, 0, 2).reshape(-1, 16))
    if not words:
        return np.zeros((0, 16), dtype=np.uint32)
    return np.concatenate(words)


@dataclass
class ChannelLayout:
    """Every channel's words, and where each region starts (in words)."""

    channels: int
    layer_phases: list[Phase]
    head: Phase
    lookup: Phase  # the embedding's matrix: the head when tied
    medusa: Phase | None = None  # one Medusa head's block (--medusa, proposals on chip)
    proposals: Phase | None = None  # the LM head's rows of the heads' guessing vocabulary
    streams: list[np.ndarray] = field(default_factory=list)  # uint32 [words, 16] per channel
    layer_words: list[int] = field(default_factory=list)  # per channel, one layer
    head_words: list[int] = field(default_factory=list)
    lookup_base: list[int] = field(default_factory=list)
    medusa_base: list[int] = field(default_factory=list)  # per channel: every head's block
    medusa_words: list[int] = field(default_factory=list)
    padding_bytes: int = 0

    @property
    def channel_bytes(self) -> list[int]:
        return [int(s.shape[0]) * WORD_BYTES for s in self.streams]


def blocked_phase(phase: Phase, channels: int) -> Phase:
    """`phase` in blocks of the interleave its busiest channel's rounds ask for."""
    return dataclasses.replace(
        phase, interleave=choose_interleave(phase.channel_rounds(channels, 0))
    )


def build_layout(
    layers: list[list[EncodedMatrix]],
    head: EncodedMatrix,
    embed: EncodedMatrix | None,
    channels: int,
    medusa: tuple[EncodedMatrix, ...] = (),
    proposals: EncodedMatrix | None = None,
) -> ChannelLayout:
    """Per channel: layer 0..L-1 (each in phase order), the head, the Medusa heads' blocks
    (one after another, each like a layer's matrix) and their guessing vocabulary's LM-head
    rows, then the untied embedding."""

    def blocked(matrix: EncodedMatrix) -> EncodedMatrix:
        return dataclasses.replace(matrix, phase=blocked_phase(matrix.phase, channels))

    layers = [[blocked(m) for m in layer] for layer in layers]
    head = blocked(head)
    embed = None if embed is None else blocked(embed)
    medusa = [blocked(m) for m in medusa]
    proposals = None if proposals is None else blocked(proposals)
    lookup = embed if embed is not None else head
    layout = ChannelLayout(
        channels,
        [m.phase for m in layers[0]],
        head.phase,
        lookup.phase,
        medusa[0].phase if medusa else None,
        None if proposals is None else proposals.phase,
    )
    region = [*medusa, *([proposals] if proposals else [])]  # the Medusa heads' words
    for channel in range(channels):
        parts = [channel_stream(m, channels, channel) for layer in layers for m in layer]
        layer_words = sum(p.shape[0] for p in parts) // len(layers)
        head_part = channel_stream(head, channels, channel)
        parts.append(head_part)
        lookup_base = sum(p.shape[0] for p in parts) - (head_part.shape[0] if embed is None else 0)
        medusa_base = sum(p.shape[0] for p in parts)
        parts += [channel_stream(m, channels, channel) for m in region]
        medusa_words = sum(p.shape[0] for p in parts) - medusa_base
        if embed is not None:
            lookup_base += medusa_words
            parts.append(channel_stream(embed, channels, channel))
        layout.streams.append(np.concatenate(parts) if parts else np.zeros((0, 16), np.uint32))
        layout.layer_words.append(int(layer_words))
        layout.head_words.append(int(head_part.shape[0]))
        layout.lookup_base.append(int(lookup_base))
        layout.medusa_base.append(int(medusa_base))
        layout.medusa_words.append(int(medusa_words))
    matrices = [m for layer in layers for m in layer] + [head, *region] + ([embed] if embed else [])
    stored = sum(layout.channel_bytes)
    layout.padding_bytes = stored - sum(m.phase.model_bytes() for m in matrices)
    return layout
