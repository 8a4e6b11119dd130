"""The options of `llmhls compile`, each default defined here once.

The CLI builds its argparse flags from these dataclasses' defaults, so this
module imports no torch (`llmhls --help` stays fast); the compiler reads the
same dataclasses. The optimization-level options are `optimize.OptimizeOptions`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from llmhls.compiler.optimize import OptimizeOptions
from llmhls.errors import OptionError
from llmhls.project import DEFAULT_REL_TOLERANCE
from llmhls.targets import DEFAULT_TARGET

# LLM weight precisions in memory (dequantized in the kernel), and the int4 group.
WEIGHT_FORMATS = ("fp32", "fp16", "int8", "int4")
DEFAULT_GROUP_SIZE = 32
DEFAULT_MAX_CONTEXT = 256
ENGINES = ("stages", "stream")  # LLM kernel structure: per-layer stages, or the decode engine
KV_CACHE_FORMATS = ("fp32", "fp16", "int8")


@dataclass
class CompileOptions:
    """`llmhls compile` of one model into one kernel."""

    target: str = DEFAULT_TARGET
    clock_mhz: float | None = None  # None: the target's default clock
    force: bool = False
    cosim: bool = False
    dump_ir: bool = False
    tolerance: float = DEFAULT_REL_TOLERANCE
    optimize: OptimizeOptions = field(default_factory=OptimizeOptions)


@dataclass
class LlmCompileOptions:
    """`llmhls compile` of an LLM into prefill and decode kernels."""

    max_context: int | None = None  # None: DEFAULT_MAX_CONTEXT, capped at the model's positions
    prefill_chunk: int = 16  # rows per prefill step (capped at max_context)
    weights: str | None = None  # None: the source's own precision (see `resolved`)
    head_weights: str | None = None  # None: default_head_weights(weights)
    group_size: int = DEFAULT_GROUP_SIZE  # int4 group along the input dimension
    attention_tile: int = 32  # cache positions per burst into the on-chip tile
    target: str = DEFAULT_TARGET
    clock_mhz: float | None = None
    force: bool = False
    dump_ir: bool = False
    engine: str = "stages"  # "stream": the channel-parallel decode engine (partial, see --help)
    kv_cache: str | None = None  # None: fp16 for --engine stream, fp32 for stages
    medusa: str | None = None  # Medusa heads (safetensors) for the engine's tree mode
    tree: str = "auto"  # --medusa: verify-step tokens N, or "auto" (the estimate's best)
    optimize: OptimizeOptions = field(default_factory=OptimizeOptions)

    def resolved(
        self, max_positions: int, source_weights: str | None, source_precision: str
    ) -> LlmCompileOptions:
        """These options with the context length and formats decided and every value checked.

        Without --weights the weights keep the source's precision (`source_weights`,
        the format nearest `source_precision`): quantizing further is a choice, and
        widening a 4-bit GGUF to fp32 only multiplies the bytes each token reads.
        """
        options = self
        if self.max_context is None:
            options = dataclasses.replace(self, max_context=min(DEFAULT_MAX_CONTEXT, max_positions))
        if options.weights is None:
            if source_weights is None:
                raise OptionError(
                    f"no --weights format keeps the source's precision ({source_precision}); "
                    f"pass --weights {'|'.join(WEIGHT_FORMATS)}"
                )
            options = dataclasses.replace(options, weights=source_weights)
        if options.head_weights is None:
            options = dataclasses.replace(
                options, head_weights=default_head_weights(options.weights)
            )
        if options.kv_cache is None:
            kv = "fp16" if options.engine == "stream" else "fp32"
            options = dataclasses.replace(options, kv_cache=kv)
        options.validate(max_positions)
        return options

    def validate(self, max_positions: int) -> None:
        for flag, fmt in (("--weights", self.weights), ("--head-weights", self.head_weights)):
            if fmt not in WEIGHT_FORMATS:
                raise OptionError(f"{flag} {fmt} is not one of {', '.join(WEIGHT_FORMATS)}")
        if self.engine not in ENGINES:
            raise OptionError(f"--engine {self.engine} is not one of {', '.join(ENGINES)}")
        if self.kv_cache not in KV_CACHE_FORMATS:
            raise OptionError(
                f"--kv-cache {self.kv_cache} is not one of {', '.join(KV_CACHE_FORMATS)}"
            )
        if self.engine == "stages" and self.kv_cache != "fp32":
            raise OptionError(
                f"--kv-cache {self.kv_cache} needs --engine stream (stages keep fp32)"
            )
        if self.max_context < 1:
            raise OptionError(f"--max-context {self.max_context} must be at least 1")
        if self.max_context > max_positions:
            raise OptionError(
                f"--max-context {self.max_context} exceeds the model's {max_positions} positions"
            )
        if self.medusa is not None and self.engine != "stream":
            raise OptionError("--medusa needs --engine stream (the tree mode is the engine's)")
        if self.tree != "auto" and not (self.tree.isdigit() and 2 <= int(self.tree) <= 64):
            raise OptionError(f"--tree {self.tree} must be 'auto' or a size from 2 to 64")
        if self.prefill_chunk < 1:
            raise OptionError(f"--prefill-chunk {self.prefill_chunk} must be at least 1")
        if self.attention_tile < 1:
            raise OptionError(f"--attention-tile {self.attention_tile} must be at least 1")


def default_head_weights(weights: str) -> str:
    """The LM head's format when --head-weights is not given: --weights, but int8 under int4.

    The head (vocab x hidden) is the largest single matrix and the one whose error
    lands on the logits directly; 4-bit mixes (llama.cpp's among them) keep it wider.
    On SmolLM2-135M an int8 head under int4 layers costs 7% more bytes per token and
    cuts the largest logit error from 21% to 3.6% (top-1 agreement 91.7% -> 99.0%,
    `benchmarks/llm_precision.py`).
    """
    return "int8" if weights == "int4" else weights
