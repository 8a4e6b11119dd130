"""Tiny random Llama (GQA) and GPT-2 models saved as Hugging Face folders, for fast LLM tests.

`initializer_range` is raised from 0.02 to 0.3: with the default a random model
greedily repeats one token, and token-equality would prove nothing. Each folder
gets a small word-level tokenizer so `llmhls run --prompt` works offline.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

VOCAB = 96
WORDS = [f"w{i}" for i in range(VOCAB - 3)]
ROPE_THETA = 10000.0


def _save_tokenizer(folder: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2} | {w: i + 3 for i, w in enumerate(WORDS)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="<unk>", bos_token="<s>", eos_token="</s>"
    )
    tokenizer.save_pretrained(folder)


def tiny_llama(
    folder: Path, *, layers: int = 2, seed: int = 0, dtype: torch.dtype = torch.float32
) -> Path:
    """A 2-layer Llama with GQA (4 query heads, 2 KV heads), hidden 64, vocab 96, saved in dtype."""
    _tiny_llama_model(layers, seed).to(dtype).save_pretrained(folder)
    _save_tokenizer(folder)
    return folder


def _tiny_llama_model(layers: int, seed: int) -> torch.nn.Module:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        rope_theta=ROPE_THETA,
        initializer_range=0.3,
        tie_word_embeddings=False,
        bos_token_id=1,
        eos_token_id=2,
    )
    return LlamaForCausalLM(config).eval()


def tiny_gpt2(folder: Path, *, layers: int = 2, seed: int = 0) -> Path:
    """A 2-layer GPT-2, hidden 48, 3 heads, vocab 96."""
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=VOCAB,
        n_embd=48,
        n_layer=layers,
        n_head=3,
        n_positions=128,
        initializer_range=0.3,
        bos_token_id=1,
        eos_token_id=2,
    )
    GPT2LMHeadModel(config).eval().save_pretrained(folder)
    _save_tokenizer(folder)
    return folder


def _rope_permute(weight: np.ndarray, heads: int, inverse: bool = False) -> np.ndarray:
    """llama.cpp's Q/K row order (each head's rotary halves interleaved), or back from it."""
    rows = weight.shape[0] // heads // 2
    shape = (heads, rows, 2) if inverse else (heads, 2, rows)
    return weight.reshape(*shape, -1).swapaxes(1, 2).reshape(weight.shape)


def tiny_llama_gguf(path: Path, *, layers: int = 2, seed: int = 0) -> dict[str, np.ndarray]:
    """`tiny_llama`'s model written as a llama GGUF file, the way llama.cpp converts one.

    Embedding and norms are F32, attention and the LM head Q8_0, the MLP Q4_0; Q and K rows in
    llama.cpp's rotary order. The file holds a sentencepiece vocabulary of VOCAB pieces ("w<n>"
    words built from single characters). Returns the weights as stored, by transformers'
    parameter name: what loading the file must give (quantized ones dequantized).
    """
    import gguf

    model = _tiny_llama_model(layers, seed)
    cfg = model.config
    quant = gguf.GGMLQuantizationType
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-llama")
    writer.add_context_length(cfg.max_position_embeddings)
    writer.add_embedding_length(cfg.hidden_size)
    writer.add_block_count(cfg.num_hidden_layers)
    writer.add_feed_forward_length(cfg.intermediate_size)
    writer.add_head_count(cfg.num_attention_heads)
    writer.add_head_count_kv(cfg.num_key_value_heads)
    writer.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    writer.add_rope_freq_base(ROPE_THETA)
    writer.add_rope_dimension_count(cfg.hidden_size // cfg.num_attention_heads)
    pieces = ["\u2581", "w", *"0123456789", "\u2581w"]
    words = [f"\u2581w{i}" for i in range(VOCAB - 3 - len(pieces))]
    tokens = ["<unk>", "<s>", "</s>", *pieces, *words]
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0, 0.0, 0.0, *(-float(i) for i in range(len(tokens) - 3))])
    writer.add_token_types([2, 3, 3, *[1] * (len(tokens) - 3)])  # unknown, control, normal
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(cfg.bos_token_id)
    writer.add_eos_token_id(cfg.eos_token_id)

    weights = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    stored: dict[str, np.ndarray] = {}

    def put(gguf_name: str, hf_name: str, kind: gguf.GGMLQuantizationType, heads: int = 0) -> None:
        value = weights[hf_name]
        if heads:
            value = _rope_permute(value, heads)
        if kind == quant.F32:
            writer.add_tensor(gguf_name, value)
            kept = value
        else:
            packed = gguf.quants.quantize(value, kind)
            writer.add_tensor(gguf_name, packed, raw_dtype=kind)
            kept = gguf.quants.dequantize(packed, kind)
        stored[hf_name] = _rope_permute(kept, heads, inverse=True) if heads else kept

    put("token_embd.weight", "model.embed_tokens.weight", quant.F32)
    put("output_norm.weight", "model.norm.weight", quant.F32)
    put("output.weight", "lm_head.weight", quant.Q8_0)
    heads, kv_heads = cfg.num_attention_heads, cfg.num_key_value_heads
    for i in range(cfg.num_hidden_layers):
        hf = f"model.layers.{i}."
        put(f"blk.{i}.attn_norm.weight", hf + "input_layernorm.weight", quant.F32)
        put(f"blk.{i}.ffn_norm.weight", hf + "post_attention_layernorm.weight", quant.F32)
        put(f"blk.{i}.attn_q.weight", hf + "self_attn.q_proj.weight", quant.Q8_0, heads)
        put(f"blk.{i}.attn_k.weight", hf + "self_attn.k_proj.weight", quant.Q8_0, kv_heads)
        put(f"blk.{i}.attn_v.weight", hf + "self_attn.v_proj.weight", quant.Q8_0)
        put(f"blk.{i}.attn_output.weight", hf + "self_attn.o_proj.weight", quant.Q8_0)
        for name in ("gate", "up", "down"):
            put(f"blk.{i}.ffn_{name}.weight", hf + f"mlp.{name}_proj.weight", quant.Q4_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return stored
