"""Tiny random Llama (GQA) and GPT-2 models saved as Hugging Face folders, for fast LLM tests.

`initializer_range` is raised from 0.02 to 0.3: with the default a random model
greedily repeats one token, and token-equality would prove nothing. Each folder
gets a small word-level tokenizer so `llmhls run --prompt` works offline.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

VOCAB = 96
WORDS = [f"w{i}" for i in range(VOCAB - 3)]


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
        rope_theta=10000.0,
        initializer_range=0.3,
        tie_word_embeddings=False,
        bos_token_id=1,
        eos_token_id=2,
    )
    LlamaForCausalLM(config).eval().to(dtype).save_pretrained(folder)
    _save_tokenizer(folder)
    return folder


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
