"""Weight precision for LLM linear layers: weights stored narrow, dequantized in the kernel.

Every linear layer's weight is a kernel argument read from memory at run time,
so storing it in fewer bits cuts the bytes each decode step reads. `QuantLinear`
holds the stored form as buffers and its `forward` dequantizes with ops that
torch.export, the torch-mlir lowering and the HLS C++ emitter all handle, so the
kernel reads the narrow arrays and decodes them on chip.

Stored forms (buffers of `QuantLinear`, out x in = the nn.Linear weight shape):

- fp32: `weight` float32 [out, in].
- fp16: `weight_fp16` int16 [out, in], the raw IEEE half bits (little-endian
  `.bin` identical to a uint16/float16 array). The flow has no f16 type and no
  bitcast, so the kernel decodes the bits with integer ops (see `_decode_fp16`).
  Weights beyond the half range (|w| > 65504) are refused, so no inf/NaN bits.
- int8: `weight_q` int8 [out, in] in [-127, 127] and `weight_scale` float32
  [out]: symmetric per output channel, scale = max|w| / 127, w ~ q * scale.
- int4: `weight_packed` int8 [in / 2, out], `weight_scale` and `weight_min`
  float32 [in / group_size, out]: asymmetric per group of `group_size`
  consecutive inputs (GGUF's Q4_1 form), scale = (max w - min w) / 15 and
  min = min w, both rounded to fp16 values (as Q4_1 stores them, and as the
  decode engine streams them: half the meta bytes), q = round((w - min) /
  scale) in [0, 15] with the rounded values, w ~ q * scale + min.
  Byte [j, o] holds input 2j of output o in its low nibble and input 2j + 1
  in its high nibble: byte = q[o, 2j] | q[o, 2j+1] << 4 (`pack_int4`, then
  transposed). Stored input-major, so the kernel decodes a group as a plain
  view of the argument and no transposed or decoded copy is materialized.
  A group whose weights sit on a 4-bit grid that uses both its end points (a
  Q4_1 GGUF's weights) comes back exactly, up to float32 rounding.
  The bytes are kept in an int8 tensor because a uint8 kernel argument is
  emitted as `int8_t*` (torch-mlir makes ui8 signless) while the testbench and
  manifest would declare `uint8_t`; the bytes on disk are the same either way.

All formats take an optional `bias` float32 [out]. Every decode is exact (the
kernel's weight is `dequantized_weight(module)` up to float32 rounding of a
product), and the forward reads the transposed stored weight so that no
transposed copy is materialized (hls-fold-transposes folds it into the loads).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from llmhls.compiler.options import DEFAULT_GROUP_SIZE, WEIGHT_FORMATS
from llmhls.errors import InputError, OptionError

__all__ = [
    "DEFAULT_GROUP_SIZE",
    "FP16_MAX",
    "WEIGHT_FORMATS",
    "QuantLinear",
    "dequantized_weight",
    "pack_int4",
    "unpack_int4",
]

FP16_MAX = 65504.0  # largest finite half
INT8_MAX = 127
INT4_LEVELS = 15  # nibbles 0..15

# The fp16 decode computes |w| * 2^25 (see _decode_fp16); the matmul result is scaled back.
_FP16_UNSCALE = 2.0**-25


def pack_int4(q: Tensor) -> Tensor:
    """Nibbles q in [0, 15], [out, in] → int8 bytes [out, in / 2].

    Byte j of a row: low nibble = q[2j], high nibble = q[2j + 1].
    """
    if q.dim() != 2 or q.shape[1] % 2:
        raise InputError(f"int4 packing needs a 2-D [out, in] tensor with even in, got {q.shape}")
    if bool((q < 0).any()) or bool((q > INT4_LEVELS).any()):
        raise InputError("int4 values must lie in [0, 15]")
    nibbles = q.to(torch.int32)
    packed = nibbles[:, 0::2] | (nibbles[:, 1::2] << 4)
    return packed.to(torch.uint8).view(torch.int8)


def unpack_int4(packed: Tensor) -> Tensor:
    """The inverse of `pack_int4`: int8 [out, in / 2] bytes → int8 nibbles [out, in] in [0, 15]."""
    raw = packed.view(torch.uint8).to(torch.int32)
    q = torch.stack((raw & 0xF, raw >> 4), dim=-1).reshape(packed.shape[0], -1)
    return q.to(torch.int8)


def _check_format(fmt: str, group_size: int, in_features: int) -> None:
    """OptionError unless `fmt` (and for int4 `group_size`) suit a layer with `in_features`."""
    if fmt not in WEIGHT_FORMATS:
        raise OptionError(f"unknown weight format {fmt!r} (use one of {', '.join(WEIGHT_FORMATS)})")
    if fmt != "int4":
        return
    if isinstance(group_size, bool) or not isinstance(group_size, int) or group_size <= 0:
        raise OptionError(f"int4 --group-size must be a positive integer, got {group_size!r}")
    if group_size % 2:
        raise OptionError(
            f"int4 --group-size must be even (two weights share a byte), got {group_size}"
        )
    if in_features % group_size:
        raise OptionError(
            f"int4 --group-size {group_size} does not divide the layer's {in_features} inputs"
        )


def _check_weight(weight: Tensor, bias: Tensor | None) -> None:
    """InputError unless weight is a finite float [out, in] and bias a finite float [out]."""
    if not isinstance(weight, Tensor) or weight.dim() != 2 or not weight.is_floating_point():
        shape = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise InputError(f"linear weight must be a float [out, in] tensor, got {shape}")
    if weight.shape[0] == 0 or weight.shape[1] == 0:
        raise InputError(f"linear weight {tuple(weight.shape)} is empty")
    if not bool(torch.isfinite(weight).all()):
        raise InputError(f"linear weight {tuple(weight.shape)} holds NaN or inf values")
    if bias is None:
        return
    if not isinstance(bias, Tensor) or tuple(bias.shape) != (weight.shape[0],):
        shape = tuple(bias.shape) if isinstance(bias, Tensor) else type(bias).__name__
        raise InputError(f"linear bias must have shape ({weight.shape[0]},), got {shape}")
    if not bias.is_floating_point() or not bool(torch.isfinite(bias).all()):
        raise InputError("linear bias must be a finite float tensor")


def _symmetric(weight: Tensor, levels: int) -> tuple[Tensor, Tensor]:
    """Round `weight` [..., n] to q * scale per row of its last dim, |q| <= levels.

    scale = max|w| / levels (float32); q = round(w / scale) in float64, so
    |w - q * scale| <= scale / 2. All-zero rows get scale 0 and q 0.
    """
    wide = weight.detach().to(torch.float64)
    scale = (wide.abs().amax(dim=-1) / levels).to(torch.float32)
    divisor = scale.to(torch.float64).unsqueeze(-1)
    safe = torch.where(divisor > 0, divisor, torch.ones_like(divisor))
    q = torch.round(wide / safe).clamp(-levels - 1, levels)
    q = torch.where(divisor > 0, q, torch.zeros_like(q))
    return q.to(torch.int8), scale


def _fp16_values(values: Tensor, what: str) -> Tensor:
    """`values` rounded to the nearest fp16 value (kept as float32); OptionError beyond
    the half range."""
    if bool((values.abs() > FP16_MAX).any()):
        raise OptionError(f"an int4 {what} exceeds the fp16 range (|x| > {FP16_MAX:g})")
    return values.to(torch.float32).to(torch.float16).to(torch.float32)


def _asymmetric(weight: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Round `weight` [..., n] to q * scale + min per row of its last dim, q in [0, 15].

    scale = (max - min) / 15 and min, each rounded to an fp16 value; q = round((w -
    min) / scale) in float64 from the rounded values, clamped to [0, 15], so |w - (q *
    scale + min)| <= scale / 2 plus the fp16 rounding of scale and min. Constant rows
    get scale 0, q 0 and min = their value (fp16-rounded).
    """
    wide = weight.detach().to(torch.float64)
    minimum = wide.amin(dim=-1)
    scale = _fp16_values((wide.amax(dim=-1) - minimum) / INT4_LEVELS, "scale")
    minimum = _fp16_values(minimum, "minimum")
    divisor = scale.to(torch.float64).unsqueeze(-1)
    safe = torch.where(divisor > 0, divisor, torch.ones_like(divisor))
    q = torch.round((wide - minimum.to(torch.float64).unsqueeze(-1)) / safe).clamp(0, INT4_LEVELS)
    q = torch.where(divisor > 0, q, torch.zeros_like(q))
    return q.to(torch.int8), scale, minimum


def _fp16_bits(weight: Tensor) -> Tensor:
    """IEEE half bits of `weight` as int16; OptionError where the half range is exceeded."""
    half = weight.detach().to(torch.float32).to(torch.float16)
    if not bool(torch.isfinite(half).all()):
        peak = float(weight.detach().abs().max())
        raise OptionError(
            f"weight format fp16 cannot hold this weight (max |w| = {peak:g} > {FP16_MAX:g}); "
            "use fp32 or int8"
        )
    return half.view(torch.int16).contiguous()


class QuantLinear(nn.Module):
    """y = x W^T + b with W stored as fp32, fp16 bits, int8 or packed int4 (module docstring)."""

    def __init__(
        self,
        fmt: str,
        in_features: int,
        out_features: int,
        buffers: dict[str, Tensor],
        group_size: int | None = None,
    ) -> None:
        super().__init__()
        self.fmt = fmt
        self.in_features = in_features
        self.out_features = out_features
        self.group_size = group_size
        for name, value in buffers.items():
            self.register_buffer(name, value.detach().contiguous().clone())
        self.has_bias = "bias" in buffers

    @classmethod
    def from_weight(
        cls,
        weight: Tensor,
        bias: Tensor | None,
        fmt: str,
        group_size: int = DEFAULT_GROUP_SIZE,
    ) -> QuantLinear:
        """Quantize an nn.Linear-layout weight [out, in] (and optional bias [out]).

        `group_size` is used by int4 only (it must be even and divide in).
        """
        _check_weight(weight, bias)
        out_features, in_features = (int(d) for d in weight.shape)
        _check_format(fmt, group_size, in_features)
        buffers: dict[str, Tensor] = {}
        if fmt == "fp32":
            buffers["weight"] = weight.detach().to(torch.float32)
        elif fmt == "fp16":
            buffers["weight_fp16"] = _fp16_bits(weight)
        elif fmt == "int8":
            buffers["weight_q"], buffers["weight_scale"] = _symmetric(weight, INT8_MAX)
        else:
            groups = in_features // group_size
            q, scale, minimum = _asymmetric(weight.reshape(out_features, groups, group_size))
            packed = pack_int4(q.reshape(out_features, in_features))
            buffers["weight_packed"] = packed.t().contiguous()
            buffers["weight_scale"] = scale.t().contiguous()
            buffers["weight_min"] = minimum.t().contiguous()
        if bias is not None:
            buffers["bias"] = bias.detach().to(torch.float32)
        return cls(fmt, in_features, out_features, buffers, group_size if fmt == "int4" else None)

    def extra_repr(self) -> str:
        group = f", group_size={self.group_size}" if self.group_size else ""
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"fmt={self.fmt}{group}, bias={self.has_bias}"
        )

    def weight_bytes(self) -> int:
        """Bytes the kernel reads per call for this layer: weight, scales and bias arrays."""
        return sum(t.numel() * t.element_size() for t in self.buffers())

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.in_features:
            raise InputError(
                f"QuantLinear takes {self.in_features} input features, got shape {tuple(x.shape)}"
            )
        rows = x.reshape(-1, self.in_features)
        if self.fmt == "fp32":
            y = rows @ self.weight.t()
        elif self.fmt == "fp16":
            y = (rows @ _decode_fp16(self.weight_fp16.t())) * _FP16_UNSCALE
        elif self.fmt == "int8":
            y = (rows @ self.weight_q.t().to(torch.float32)) * self.weight_scale
        else:
            y = self._int4_matmul(rows)
        if self.has_bias:
            y = y + self.bias
        return y.reshape(*x.shape[:-1], self.out_features)

    def _int4_matmul(self, rows: Tensor) -> Tensor:
        """x W^T for W = q * scale + min; even inputs meet the low nibbles, odd the high.

        The nibbles are decoded where the matmul reads them (hls-fold-transposes
        folds the decode into the loads), so no float copy of the weight is
        stored. The form depends on the rows of the call:
        - one row (the decode GEMV): group by group, y[o] = sum_g (scale[g, o] *
          sum_k x[g, k] q[g, k, o] + min[g, o] * sum_k x[g, k]): scale and min apply
          once per group and output, over [groups, out] partial sums;
        - several rows (prefill): q * scale + min per weight read, since the
          per-group partial sums would be [groups, rows, out], too large for on-chip
          memory at real sizes (SmolLM2's MLP: 442k floats each).
        """
        groups = self.in_features // self.group_size
        half = self.group_size // 2
        shape = (groups, half, self.out_features)
        packed = self.weight_packed.view(shape)
        if rows.shape[0] == 1:
            pairs = rows.reshape(-1, groups, half, 2).transpose(0, 1)  # [groups, 1, half, 2]
            dots = torch.bmm(pairs[..., 0], (packed & 0xF).to(torch.float32))  # [groups, 1, out]
            dots = dots + torch.bmm(pairs[..., 1], ((packed >> 4) & 0xF).to(torch.float32))
            sums = pairs.sum(dim=(-1, -2)).unsqueeze(-1)  # [groups, 1, 1]
            scale = self.weight_scale.view(groups, 1, self.out_features)
            minimum = self.weight_min.view(groups, 1, self.out_features)
            return (dots * scale + sums * minimum).sum(0)
        scale = self.weight_scale.view(groups, 1, self.out_features).expand(shape)
        minimum = self.weight_min.view(groups, 1, self.out_features).expand(shape)
        low = ((packed & 0xF).to(torch.float32) * scale + minimum).reshape(-1, self.out_features)
        high = ((packed >> 4) & 0xF).to(torch.float32) * scale + minimum
        return rows[:, 0::2] @ low + rows[:, 1::2] @ high.reshape(-1, self.out_features)


def _decode_fp16(bits: Tensor) -> Tensor:
    """Half bits (int16, any shape) → float32 values times 2^25, exactly, with integer ops.

    A half is sign s, exponent e (5 bits), mantissa m (10 bits); its value is
    (-1)^s (m + 1024·[e > 0]) · 2^(max(e, 1) - 25) for e < 31 (normals and
    subnormals alike). With E = max(e, 1):
      mantissa = ((min(bits & 0x7C00, 1024) | bits) & 0x7FF)  = m + 1024·[e > 0]
        (bit 10 of bits is e's lowest bit, 0 when e = 0, so the OR is exact);
      power    = 1 << E  (int32, at most 2^30);
      sign     = (bits >> 15) | 1  = ±1.
    mantissa · power · sign is exact in float32 (11 significant bits). Each line
    is one elementwise op over the weight; the chains are ordered so the lowering
    allocates one int16, one int32 and one float32 buffer of the weight's size.
    `| 1` and `1 << t` take 0-d tensors: torch-mlir lowers no scalar-operand form.
    """
    one16 = torch.ones((), dtype=torch.int16)
    one32 = torch.ones((), dtype=torch.int32)
    mantissa = torch.clamp_max(bits & 0x7C00, 1024)
    mantissa = (mantissa | bits) & 0x7FF
    power = torch.clamp_min(bits.to(torch.int32) & 0x7C00, 1024) >> 10
    power = torch.bitwise_left_shift(one32, power)
    value = mantissa.to(torch.float32) * power
    return value * ((bits >> 15) | one16)


def dequantized_weight(module: QuantLinear) -> Tensor:
    """The float32 [out, in] weight the kernel effectively multiplies by (error analysis)."""
    if module.fmt == "fp32":
        return module.weight.detach().clone()
    if module.fmt == "fp16":
        return module.weight_fp16.view(torch.float16).to(torch.float32)
    if module.fmt == "int8":
        return module.weight_q.to(torch.float32) * module.weight_scale.unsqueeze(1)
    q = unpack_int4(module.weight_packed.t()).to(torch.float32)
    groups = module.in_features // module.group_size
    grouped = q.reshape(module.out_features, groups, module.group_size)
    scale, minimum = module.weight_scale.t(), module.weight_min.t()
    weight = grouped * scale.unsqueeze(-1) + minimum.unsqueeze(-1)
    return weight.reshape(module.out_features, module.in_features)
