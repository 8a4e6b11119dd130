"""Medusa decoding on a tiny random Llama: the tree, exact greedy verification, the heads file."""

from __future__ import annotations

import pytest
import torch
from llm_models import tiny_gpt2, tiny_llama

from llmhls.compiler.llm.source import SMOLLM2_MISSING, smollm2_gguf
from llmhls.compiler.medusa.decode import (
    CausalLm,
    MedusaDecoder,
    greedy_generate,
    verify_tree,
)
from llmhls.compiler.medusa.heads import MedusaHeads, load_heads, save_heads, smollm2_heads
from llmhls.compiler.medusa.tree import MedusaTree, build_tree, chain_tree
from llmhls.errors import InputError, OptionError

RATES = [[0.6, 0.2, 0.1], [0.4, 0.15, 0.05], [0.3, 0.1], [0.2]]
PROMPTS = [[1, 5, 9, 13], [1, 40, 41, 42, 43, 44, 45], [7], [1, 90, 3, 3, 3, 60]]


@pytest.fixture(scope="module")
def lm(tmp_path_factory) -> CausalLm:
    from transformers import AutoModelForCausalLM

    folder = tiny_llama(tmp_path_factory.mktemp("medusa") / "model")
    model = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="sdpa")
    return CausalLm(model)


def test_greedy_tree_follows_expected_acceptance() -> None:
    tree = build_tree(RATES, 6)
    # 0.6, 0.6*0.4=0.24, 0.2, 0.24*0.3=0.072... then (1,0)=0.08, (0,1)=0.09.
    assert tree.paths == ((), (0,), (1,), (2,), (0, 0), (0, 1), (1, 0))
    assert tree.parents == [-1, 0, 0, 0, 1, 1, 2]
    assert tree.depths == [0, 1, 1, 1, 2, 2, 2]
    assert tree.position_ids(10).tolist() == [10, 11, 11, 11, 12, 12, 12]
    mask = tree.attention_mask()
    assert mask[4].tolist() == [True, True, False, False, True, False, False]
    assert mask[6].tolist() == [True, False, True, False, False, False, True]
    assert build_tree(RATES, 8).paths[-1] == (0, 0, 0)  # 0.072 beats (1, 1) = 0.03
    big = build_tree(RATES, 64)
    assert big.size == 1 + 3 + 9 + 18 + 18  # every path the rates allow, prefix-closed
    assert set(big.paths) >= {p[:-1] for p in big.paths[1:]}
    assert chain_tree(3).paths == ((), (0,), (0, 0), (0, 0, 0))


def test_tree_errors_name_the_fault() -> None:
    with pytest.raises(OptionError, match="at least one node"):
        build_tree(RATES, 0)
    with pytest.raises(OptionError, match=r"\[0, 1\]"):
        build_tree([[1.5]], 4)


def test_verify_accepts_longest_greedy_path() -> None:
    tree = MedusaTree(((), (0,), (1,), (0, 0), (1, 0), (1, 0, 0)))
    tokens = torch.tensor([5, 7, 8, 9, 10, 11])
    logits = torch.zeros(6, 16)
    # greedy: 8 after the root (node 2), 10 after node 2 (node 4), 3 after node 4 (no child).
    for node, best in ((0, 8), (1, 9), (2, 10), (4, 3)):
        logits[node, best] = 1.0
    assert verify_tree(tree, tokens, logits) == [0, 2, 4]
    logits[4, 11] = 2.0
    assert verify_tree(tree, tokens, logits) == [0, 2, 4, 5]
    logits[0, 12] = 3.0
    assert verify_tree(tree, tokens, logits) == [0]


def test_tree_forward_equals_sequential_logits(lm: CausalLm) -> None:
    """One masked tree pass gives each node the logits of its own path run token by token."""
    tree = build_tree(RATES, 10)
    prompt = torch.tensor(PROMPTS[1])
    _, _, cache = lm.forward(prompt, torch.arange(len(prompt)), None)
    tokens = torch.arange(20, 20 + tree.size)
    _, logits, _ = lm.forward(tokens, tree.position_ids(len(prompt)), cache, tree.attention_mask())
    parents = tree.parents
    for node in (3, 7, tree.size - 1):
        path = [node]
        while parents[path[-1]] >= 0:
            path.append(parents[path[-1]])
        sequence = torch.cat([prompt, tokens[path[::-1]]])
        _, plain, _ = lm.forward(sequence, torch.arange(len(sequence)), None)
        torch.testing.assert_close(logits[node], plain[-1], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("nodes", [None, 8, 30])
def test_zero_heads_decode_like_greedy(lm: CausalLm, nodes: int | None) -> None:
    heads = MedusaHeads(64, heads=4)
    tree = chain_tree(4) if nodes is None else build_tree(RATES, nodes)
    decoder = MedusaDecoder(lm, heads, tree)
    for prompt in PROMPTS:
        reference = greedy_generate(lm, prompt, 40).tokens
        result = decoder.generate(prompt, 40)
        assert result.tokens == reference
        assert len(result.accepted) <= 40


def test_heads_guess_among_their_vocabulary(lm: CausalLm) -> None:
    """Heads with a guessing vocabulary guess among those tokens only, each head's ranks in
    the order of their logits; `every_token` ignores it. The tokens stay greedy's."""
    torch.manual_seed(3)
    heads = MedusaHeads(64, heads=3)
    for block in heads.blocks:
        torch.nn.init.normal_(block.weight, std=0.3)
    heads.vocab = torch.tensor([5, 9, 17, 40, 41, 63, 80])
    tree = build_tree(RATES[:3], 10)
    hidden = torch.randn(64)
    logits = heads.logits(hidden, lm.lm_head)[:, heads.vocab]
    expected = heads.vocab[logits.sort(dim=-1, descending=True, stable=True).indices[:, :3]]
    assert MedusaDecoder(lm, heads, tree).propose(hidden, 0).tolist() == expected.tolist()
    everywhere = MedusaDecoder(lm, heads, tree, every_token=True).propose(hidden, 0)
    assert everywhere.tolist() == heads.logits(hidden, lm.lm_head).topk(3).indices.tolist()
    for prompt in PROMPTS[:2]:
        result = MedusaDecoder(lm, heads, tree).generate(prompt, 24)
        assert result.tokens == greedy_generate(lm, prompt, 24).tokens


class _Oracle(MedusaDecoder):
    """Guesses from the known greedy continuation, right at a rank that varies step to step."""

    def __init__(self, *args, future: list[int]) -> None:
        super().__init__(*args)
        self.future = future
        self.step = 0

    def propose(self, hidden: torch.Tensor, produced: int) -> torch.Tensor:
        guesses = torch.arange(self.ranks).repeat(self.heads.count, 1) + 70  # wrong guesses
        for head in range(self.heads.count):
            target = produced + head + 1  # head k guesses the token k + 1 after the root
            rank = (self.step + head) % (self.ranks + 1)  # rank == self.ranks: none right
            if target < len(self.future) and rank < self.ranks:
                guesses[head, rank] = self.future[target]
        self.step += 1
        return guesses


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory) -> CausalLm:
    from transformers import AutoModelForCausalLM

    folder = tiny_gpt2(tmp_path_factory.mktemp("medusa") / "gpt2")
    return CausalLm(AutoModelForCausalLM.from_pretrained(folder, attn_implementation="sdpa"))


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_accepted_paths_keep_greedy_tokens(arch: str, request) -> None:
    """Right guesses on varying branches: the accepted paths' K/V must be moved into place."""
    lm = request.getfixturevalue("lm" if arch == "llama" else "gpt2")
    tree = build_tree(RATES, 30)
    heads = MedusaHeads(lm.lm_head.in_features, heads=4)
    for prompt in PROMPTS:
        reference = greedy_generate(lm, prompt, 48).tokens
        result = _Oracle(lm, heads, tree, future=reference).generate(prompt, 48)
        assert result.tokens == reference
        assert max(result.accepted) >= 3
        assert result.tokens_per_step > 1.5


def test_heads_file_round_trip(tmp_path) -> None:
    torch.manual_seed(0)
    heads = MedusaHeads(64, heads=3)
    for block in heads.blocks:
        torch.nn.init.normal_(block.weight, std=0.1)
    heads.info = {"acceptance_rates": [[0.5, 0.1], [0.3, 0.1], [0.2, 0.05]]}
    save_heads(heads, tmp_path / "heads.safetensors", dtype=torch.float32)
    back = load_heads(tmp_path / "heads.safetensors", hidden_size=64)
    assert back.count == 3 and back.rates == heads.info["acceptance_rates"]
    hidden = torch.randn(5, 64)
    torch.testing.assert_close(back(hidden), heads(hidden))
    with pytest.raises(InputError, match="hidden size 64, the model has 32"):
        load_heads(tmp_path / "heads.safetensors", hidden_size=32)
    (tmp_path / "bad.safetensors").write_bytes(b"nonsense")
    with pytest.raises(InputError, match=r"bad\.safetensors"):
        load_heads(tmp_path / "bad.safetensors")


def test_shipped_smollm2_heads_hold_their_rates() -> None:
    heads = load_heads(smollm2_heads(), hidden_size=576)
    assert heads.count == 4
    rates = heads.rates
    assert len(rates) == 4 and all(len(row) == 10 for row in rates)
    assert all(0.0 <= r <= 1.0 for row in rates for r in row)
    assert [row[0] for row in rates] == sorted((row[0] for row in rates), reverse=True)
    assert heads.info["recipe"]["train"]["seed"] == 0 and heads.info["command"]
    assert build_tree(rates, 64).size == 65
    # the accelerator's guessing vocabulary: 4096 distinct token ids and the rates with it
    vocab = heads.vocab.tolist()
    assert len(vocab) == 4096 == len(set(vocab)) and min(vocab) >= 0 and max(vocab) < 49152
    assert "--tokens 4096" in heads.info["vocab"]["command"]
    assert [len(row) for row in heads.vocab_rates] == [10] * 4


def test_train_command_errors_are_one_line(tmp_path, capsys) -> None:
    from llmhls.cli import main

    model = tmp_path / "missing"
    assert main(["medusa", "train", str(model), "-o", str(tmp_path / "h.safetensors")]) == 2
    assert "missing" in capsys.readouterr().err
    folder = str(tiny_llama(tmp_path / "tiny"))
    out = str(tmp_path / "h.safetensors")
    assert main(["medusa", "train", folder, "-o", out, "--device", "tpu"]) == 2
    assert "--device 'tpu'" in capsys.readouterr().err
    assert main(["medusa", "train", folder, "-o", out, "--heads", "0"]) == 2
    assert "--heads must be at least 1" in capsys.readouterr().err


def test_vocab_command_keeps_the_most_frequent_tokens_and_their_rates(tmp_path, capsys) -> None:
    """`llmhls medusa vocab` on the tiny Llama: the heads' weights unchanged, a guessing
    vocabulary of the model's most frequent answer tokens, the rates measured with it
    (no higher than each head's best rate over every token), and one-line errors."""
    from llmhls.cli import main

    folder = str(tiny_llama(tmp_path / "tiny"))
    torch.manual_seed(0)
    heads = MedusaHeads(64, heads=2)
    for block in heads.blocks:
        torch.nn.init.normal_(block.weight, std=0.2)
    heads.info = {"acceptance_rates": [[0.5, 0.1], [0.3, 0.1]]}
    save_heads(heads, tmp_path / "h.safetensors")
    out = tmp_path / "hv.safetensors"
    words = ["medusa", "vocab", folder, str(tmp_path / "h.safetensors"), "-o", str(out)]
    small = ["--calibration-prompts", "4", "--max-new-tokens", "24"]
    assert main([*words, "--tokens", "24", "--prompts", "3", *small]) == 0
    assert "24 tokens" in capsys.readouterr().out
    back = load_heads(out, hidden_size=64)
    assert back.vocab.tolist() == sorted(set(back.vocab.tolist())) and len(back.vocab) == 24
    info = back.info["vocab"]
    assert info["tokens"] == 24 and "--tokens 24" in info["command"]
    assert 0.0 < info["calibration_coverage"] <= 1.0
    assert len(back.vocab_rates) == 2 and all(len(row) == 10 for row in back.vocab_rates)
    assert back.rates == heads.info["acceptance_rates"]  # the full-vocabulary rates stay
    for k in range(2):
        torch.testing.assert_close(back.blocks[k].weight, heads.blocks[k].weight.half().float())
    assert main([*words, "--tokens", "0"]) == 2
    assert "--tokens must be 1..96" in capsys.readouterr().err
    assert not (tmp_path / "hv.safetensors.partial").exists()


@pytest.mark.slow
def test_train_command_writes_heads_that_decode_like_greedy(tmp_path) -> None:
    """A small CPU run of `llmhls medusa train` on the tiny Llama, then exact decoding."""
    from transformers import AutoModelForCausalLM

    from llmhls.cli import main

    folder = tiny_llama(tmp_path / "tiny")
    out = tmp_path / "heads.safetensors"
    args = ["--prompts", "4", "--calibration-prompts", "2", "--max-new-tokens", "10"]
    assert main(["medusa", "train", str(folder), "-o", str(out), *args, "--steps", "8"]) == 0
    heads = load_heads(out, hidden_size=64)
    assert heads.count == 4 and len(heads.rates[0]) == 10
    assert heads.info["recipe"]["prompts"] == 4 and "--steps 8" in heads.info["command"]
    assert heads.info["data"]["epochs"] > 0
    assert any(float(b.weight.abs().max()) > 0 for b in heads.blocks)  # trained, not zeros
    lm = CausalLm(AutoModelForCausalLM.from_pretrained(folder))
    decoder = MedusaDecoder(lm, heads, build_tree(heads.rates, 16))
    for prompt in PROMPTS[:2]:
        assert decoder.generate(prompt, 24).tokens == greedy_generate(lm, prompt, 24).tokens


@pytest.mark.slow
@pytest.mark.skipif(smollm2_gguf() is None, reason=SMOLLM2_MISSING)
def test_smollm2_shipped_heads_decode_like_greedy() -> None:
    """SmolLM2 with the shipped heads: greedy's tokens on held-out prompts, several per step."""
    from llmhls.compiler.llm.source import load_llm
    from llmhls.compiler.medusa import data

    loaded = load_llm(smollm2_gguf())
    lm = CausalLm(loaded.model)
    heads = load_heads(smollm2_heads(), loaded.config.hidden_size)
    decoder = MedusaDecoder(lm, heads, build_tree(heads.rates, 32))
    steps = tokens = 0
    for text in data.prompts("evaluation", 3):
        prompt = data.prompt_ids(loaded.tokenizer, text)
        result = decoder.generate(prompt, 64)
        assert result.tokens == greedy_generate(lm, prompt, 64).tokens
        steps, tokens = steps + len(result.accepted), tokens + sum(result.accepted)
    assert tokens / steps > 1.6
