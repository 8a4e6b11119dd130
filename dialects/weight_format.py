"""The decode engine's weight formats: how a matrix lies in 512-bit words per channel.

Shared by the `hls-weight-streaming` pass, which records a weight bank's format,
row groups, interleave and loader FIFO depth on `hlsdf.weight_bank`, and the
engine's layout (`compiler/llm/engine/layout.py`), which writes the words: one
arithmetic, so the IR states what the engine builds.

Formats (lanes of one 512-bit word, SUB per row, ROWS rows per word): fp32 16x1,
fp16 32x1, int8 64x1 (+1 scale per row), int4 64x2 (nibbles, +scale and minimum
per group of 32 inputs).
"""

from __future__ import annotations

from dataclasses import dataclass

WORD_BYTES = 64
WORD_LANES = 16  # 32-bit lanes of a word
INTERLEAVE = 8  # fewest rounds per block (kInterleave in llmhls_engine.h): > fp32 add latency
MAX_INTERLEAVE = 16  # most rounds per block: each is a running sum per unit and row
FORMAT_CODES = {"fp32": 0, "fp16": 1, "int8": 2, "int4": 3}
# (lanes per row per word, rows per word, meta floats per row per group-or-row)
FORMAT_SHAPES = {"fp32": (16, 1), "fp16": (32, 1), "int8": (64, 1), "int4": (64, 2)}
INT4_GROUP = 32  # the engine's int4 unit applies one scale/minimum per 32 lanes


@dataclass(frozen=True)
class Phase:
    """One matrix the engine streams: its shape and format, as the C++ template takes them."""

    name: str
    fmt: str
    rows: int  # output rows
    inputs: int  # input length (unpadded)
    interleave: int = INTERLEAVE  # rounds per block (`choose_interleave`)

    @property
    def sub(self) -> int:
        return FORMAT_SHAPES[self.fmt][0]

    @property
    def rows_per_group(self) -> int:
        return FORMAT_SHAPES[self.fmt][1]

    @property
    def words(self) -> int:
        """Data words per row group (W)."""
        return -(-self.inputs // self.sub)

    @property
    def padded_inputs(self) -> int:
        return self.words * self.sub

    @property
    def row_groups(self) -> int:
        return -(-self.rows // self.rows_per_group)

    @property
    def meta_per_row(self) -> int:
        """Meta floats per row (PRF): int8 its scale, int4 a scale and a minimum per group."""
        if self.fmt == "int8":
            return 1
        if self.fmt == "int4":
            return 2 * (self.padded_inputs // INT4_GROUP)
        return 0

    def channel_rounds(self, channels: int, channel: int) -> int:
        rg = self.row_groups
        return -(-(rg - channel) // channels) if channel < rg else 0

    def block_sizes(self, channels: int, channel: int) -> list[int]:
        rounds = self.channel_rounds(channels, channel)
        il = self.interleave
        return [min(il, rounds - k) for k in range(0, rounds, il)]

    @property
    def meta_per_word(self) -> int:
        """Meta values a word holds: int4's fp16 scale/minimum pairs 32, int8's fp32 scales 16."""
        return 2 * WORD_LANES if self.fmt == "int4" else WORD_LANES

    def meta_words(self, rounds: int) -> int:
        return -(-rounds * self.rows_per_group * self.meta_per_row // self.meta_per_word)

    def channel_words(self, channels: int, channel: int) -> int:
        """Words channel `channel` streams for this matrix."""
        return sum(self.meta_words(b) + self.words * b for b in self.block_sizes(channels, channel))

    def model_bytes(self) -> int:
        """Bytes of the matrix at its format's density, without any padding."""
        elements = self.rows * self.inputs
        data = {"fp32": 4 * elements, "fp16": 2 * elements, "int8": elements}.get(
            self.fmt, elements // 2
        )
        if self.fmt == "int8":
            return data + 4 * self.rows  # a float32 scale a row
        if self.fmt == "int4":
            return data + 2 * self.rows * (2 * self.inputs // INT4_GROUP)  # fp16 pairs
        return data


def choose_interleave(rounds: int) -> int:
    """Rounds per block for a matrix whose busiest channel has `rounds`: the unit steps
    through whole blocks, so the last one's empty slots cost steps; the fewest wasted
    steps between INTERLEAVE and MAX_INTERLEAVE, then the smallest block (fewest sums)."""
    return min(range(INTERLEAVE, MAX_INTERLEAVE + 1), key=lambda il: (-(-rounds // il) * il, il))


# Words each channel's loader runs ahead of its unit (a URAM FIFO): the loaders keep
# streaming while the vector unit and attention work between matrix phases.
LOADER_FIFO_WORDS = 4096
