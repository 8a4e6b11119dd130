"""`--medusa`: llm_engine's tree mode, C-simulated: the same tokens as plain greedy decoding.

The kernel verifies a built-in tree in one call (tree mask and positions, every node's
argmax on chip, the longest greedy path accepted and its K/V kept), so whatever the
heads guess the text must be plain greedy decoding's; oracle heads that guess the true
continuation show that accepted paths longer than the root keep the cache right.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from llm_models import tiny_llama
from transformers import AutoModelForCausalLM
from xrt_doubles import check_xrt_generates_csim_tokens, device_kernel_run, fake_pyxrt

from llmhls.cli import main
from llmhls.compiler.medusa.heads import MedusaHeads, load_heads, save_heads
from llmhls.project import load_llm_manifest
from llmhls.runtime.csim_backend import CsimBackend
from llmhls.runtime.generate import generate
from llmhls.runtime.medusa import medusa_generate
from llmhls.runtime.sampling import SamplingOptions

os.environ.setdefault("HF_HUB_OFFLINE", "1")

PROMPT = [1, 5, 9, 3]
NEW_TOKENS = 24
RATES = [[0.6, 0.2, 0.1], [0.4, 0.15, 0.05], [0.3, 0.1, 0.05]]


VOCAB = list(range(3, 96, 2))  # a guessing vocabulary: 47 of the tiny Llama's 96 tokens


def _heads(path: Path, *, rates=RATES, hidden: int = 64, trained: bool = False, vocab=None) -> Path:
    heads = MedusaHeads(hidden, 3)  # zero blocks: untrained
    if trained:
        torch.manual_seed(1)
        for block in heads.blocks:
            torch.nn.init.normal_(block.weight, std=0.2)
    heads.info = {} if rates is None else {"acceptance_rates": rates}
    if vocab is not None:
        heads.vocab = torch.tensor(vocab)
        heads.info["vocab"] = {"tokens": len(vocab), "acceptance_rates": rates}
    save_heads(heads, path)
    return path


@pytest.fixture(scope="module")
def llama(tmp_path_factory) -> Path:
    return tiny_llama(tmp_path_factory.mktemp("medusa") / "llama")


def _compile(
    llama: Path, out: Path, heads: Path, weights: str, tree: str = "6", target: str = "u280"
) -> Path:
    args = ["compile", str(llama), "--engine", "stream", "--weights", weights, "--max-context"]
    args += ["64", "--medusa", str(heads), "--tree", tree, "--target", target, "-o", str(out)]
    assert main(args) == 0
    return out


def _head_lanes(project: Path) -> int:
    """Rows the LM head's own units take a cycle in the kernel (1 without such units)."""
    found = re.search(
        r"constexpr int kHeadLanes = (\d+);", (project / "kernel/llm_engine.cpp").read_text()
    )
    return 1 if found is None else int(found.group(1))


class Oracle:
    """Guesses the true continuation: head k's token at `produced` + 1 + k, at rank 0, or
    for head 0 on odd steps at rank 1 (so paths through other ranks are accepted too)."""

    def __init__(self, truth: list[int], vocab: int) -> None:
        self.truth, self.vocab = truth, vocab

    def propose(self, state, heads: int, ranks: int, produced: int = 0) -> np.ndarray:
        guesses = np.zeros((heads, ranks), dtype=np.int64)
        for k in range(heads):
            want = self.truth[min(produced + 1 + k, len(self.truth) - 1)]
            others = [t for t in range(self.vocab) if t != want][:ranks]
            row = others[: ranks - 1]
            rank = 1 if k == 0 and produced % 2 and ranks > 1 else 0
            row.insert(rank, want)
            guesses[k] = row[:ranks]
        return guesses


@pytest.mark.parametrize(
    ("weights", "target"), [("fp32", "u280"), ("int4", "u280"), ("int4", "u250")]
)  # the head on the layers' units / its own (on u250's 4 channels, several rows a cycle)
def test_tree_mode_decodes_like_greedy(llama, tmp_path, weights, target) -> None:
    heads = _heads(tmp_path / "h.safetensors")
    project = _compile(llama, tmp_path / "p", heads, weights, target=target)
    report = json.loads((project / "report.json").read_text())["medusa"]
    assert _head_lanes(project) == report["head_lanes"]
    assert (report["head_lanes"] > 1) == (target == "u250")  # within the part's budget there
    section = json.loads((project / "manifest.json").read_text())["llm"]["medusa"]
    # the 6-node tree from RATES takes heads 0 and 1, ranks 0..2: the kernel keeps them all
    assert section["proposals"] == "chip" and section["proposal_ranks"] == 3
    assert section["proposal_heads"] == 2
    manifest = load_llm_manifest(project)
    backend = CsimBackend(manifest)
    plain = generate(
        backend, manifest.llm, PROMPT, NEW_TOKENS, SamplingOptions(), stop_at_eos=False
    )
    untrained = medusa_generate(backend, manifest, PROMPT, NEW_TOKENS, stop_at_eos=False)
    assert untrained.tokens == plain.tokens
    assert len(untrained.accepted) <= NEW_TOKENS
    truth = plain.tokens + [0] * 8
    oracle = medusa_generate(
        backend,
        manifest,
        PROMPT,
        NEW_TOKENS,
        stop_at_eos=False,
        proposals=Oracle(truth, manifest.llm.vocab_size),
    )
    assert oracle.tokens == plain.tokens
    # the 6-node tree holds (0), (1), (2), (0, 0), (0, 1): two or more tokens a step
    assert oracle.accepted_per_step >= 2.0, oracle.accepted
    assert max(oracle.accepted) >= 3


class Recording:
    """A backend that keeps the state and `result` of every call that makes guesses."""

    def __init__(self, backend) -> None:
        self.backend, self.calls = backend, []

    def __getattr__(self, name: str):
        return getattr(self.backend, name)

    def _keep(self) -> None:
        self.calls.append((self.backend.state(), self.backend.result()))

    def prefill(self, tokens, start_pos: int, propose: bool = False):
        logits = self.backend.prefill(tokens, start_pos, propose)
        if propose:
            self._keep()
        return logits

    def verify(self, tokens, start_pos: int):
        out = self.backend.verify(tokens, start_pos)
        self._keep()
        return out


CHAIN = [[], [0], [0, 0]]  # --tree 3 from RATES
TREE = [[], [0], [1], [2], [0, 0], [0, 1]]  # --tree 6 from RATES: heads' 3 best


@pytest.mark.parametrize(
    ("weights", "vocab", "target", "paths"),
    [
        ("fp32", None, "u280", TREE),
        ("int4", None, "u280", CHAIN),
        ("fp32", VOCAB, "u280", TREE),
        ("int4", VOCAB, "u280", CHAIN),
        ("int4", VOCAB, "u250", TREE),
    ],  # the head on the layers' units / its own (u250: several rows a cycle); guessing
)  # among every token / a vocabulary; each head's argmax / its 3 best
def test_tree_guesses_come_from_the_kernel(llama, tmp_path, weights, vocab, target, paths) -> None:
    """A tree's guesses are made on chip: each head's block on the kept row's state, then
    its best tokens through the LM head (the rows of the heads' guessing vocabulary when
    they have one), as many ranks as the tree takes. The text is plain greedy decoding's,
    and (fp32) the kernel's guesses, rank by rank, are PyTorch's."""
    heads_file = _heads(tmp_path / "h.safetensors", trained=True, vocab=vocab)
    project = _compile(llama, tmp_path / "p", heads_file, weights, str(len(paths)), target)
    assert (_head_lanes(project) > 1) == (target == "u250")
    section = json.loads((project / "manifest.json").read_text())["llm"]["medusa"]
    assert section["tree_paths"] == paths
    depth, ranks = max(map(len, paths)), 1 + max(p[-1] for p in paths[1:])
    assert section["proposals"] == "chip"
    assert (section["proposal_heads"], section["proposal_ranks"]) == (depth, ranks)
    kernel = (project / "kernel" / "llm_engine.cpp").read_text()
    assert f"constexpr int kProposalHeads = {depth};" in kernel
    assert f"constexpr int kProposalRanks = {ranks};" in kernel
    assert ("kProposalVocab[kProposalsRows]" in kernel) == (vocab is not None)
    manifest = load_llm_manifest(project)
    backend = Recording(CsimBackend(manifest))
    plain = generate(
        backend, manifest.llm, PROMPT, NEW_TOKENS, SamplingOptions(), stop_at_eos=False
    )
    medusa = medusa_generate(backend, manifest, PROMPT, NEW_TOKENS, stop_at_eos=False)
    assert medusa.tokens == plain.tokens
    assert len(backend.calls) == 1 + len(medusa.accepted)  # the prompt's call, then the trees'
    heads = load_heads(heads_file)
    lm_head = AutoModelForCausalLM.from_pretrained(llama).lm_head.weight.detach()
    first = 2 + len(paths)
    for state, result in backend.calls:
        guesses = result[first : first + depth * ranks].reshape(depth, ranks)
        assert ((guesses >= 0) & (guesses < manifest.llm.vocab_size)).all()
        if vocab is not None:
            assert set(guesses.reshape(-1).tolist()) <= set(vocab)
        if weights == "fp32":
            hidden = torch.from_numpy(state)
            rows = torch.stack([heads.head(k, hidden) for k in range(depth)])
            kept = torch.arange(lm_head.shape[0]) if vocab is None else torch.tensor(vocab)
            best = kept[(rows @ lm_head[kept].T).topk(ranks, dim=-1).indices]
            assert guesses.tolist() == best.tolist()


def test_project_records_the_tree_and_its_estimate(llama, tmp_path) -> None:
    heads = _heads(tmp_path / "h.safetensors", trained=True)
    project = _compile(llama, tmp_path / "p", heads, "fp32", tree="auto")
    report = json.loads((project / "report.json").read_text())["medusa"]
    sizes = [c["tree_tokens"] for c in report["candidates"]]
    assert sizes == list(range(2, 17))  # up to the step's rows (--prefill-chunk 16)
    best = max(report["candidates"], key=lambda c: c["estimated_speedup"])
    assert report["tree_tokens"] == best["tree_tokens"] and "auto" in report["chosen_by"]
    assert report["verify_bound"] in (
        "the units' MACs (row lanes)",
        "weight streaming (bandwidth)",
        "the vector unit, row by row",
    )
    gains = report["estimated_speedup"] > 1.0
    assert ("gains" in report["verdict"]) == gains, report["verdict"]
    # heads that are always right: depth + 1 tokens a step over the same step's cycles
    ceiling = (report["tree_depth"] + 1) * report["decode_step_cycles"]
    ceiling /= report["verify_step_cycles"]
    assert report["speedup_if_every_guess_accepted"] == pytest.approx(ceiling, abs=2e-3)
    assert report["speedup_if_every_guess_accepted"] >= report["estimated_speedup"]
    assert "heads that were always right" in (project / "report.md").read_text()
    # Bound by the MACs, the report says what wider units would make of the same tree.
    wider = report["wider_units"]
    if report["verify_bound"] != "the units' MACs (row lanes)":
        assert wider is None
    elif wider is not None:
        lanes = json.loads((project / "report.json").read_text())["engine"]["row_lanes"]
        assert 16 % wider["row_lanes"] == 0 and wider["row_lanes"] > lanes
        assert wider["verify_step_cycles"] < report["verify_step_cycles"]
        assert "row lanes (the layers' units" in (project / "report.md").read_text()
    manifest = json.loads((project / "manifest.json").read_text())["llm"]
    tree = manifest["medusa"]["tree_paths"]
    assert len(tree) == report["tree_tokens"] and tree[0] == []
    kernel = (project / "kernel" / "llm_engine.cpp").read_text()
    assert f"constexpr int kTreeRows = {len(tree)};" in kernel
    assert "int32_t tree, int32_t* result, float* state" in kernel
    link = (project / "link.cfg").read_text()
    for name in ("result", "state", "logits", "tokens"):
        assert f".{name}:" in link
    assert "## Medusa verify step" in (project / "report.md").read_text()
    with pytest.raises(SystemExit):
        main(["run", str(project), "--medusa", "--help"])


def test_medusa_errors_are_one_line(llama, tmp_path, capsys) -> None:
    heads = _heads(tmp_path / "h.safetensors")
    base = ["compile", str(llama), "--max-context", "64", "-o", str(tmp_path / "x")]
    assert main([*base, "--medusa", str(heads)]) == 2  # the stage kernels have no tree mode
    assert "--medusa needs --engine stream" in capsys.readouterr().err
    no_rates = _heads(tmp_path / "bare.safetensors", rates=None)
    assert main([*base, "--engine", "stream", "--medusa", str(no_rates)]) != 0
    assert "record no acceptance rates" in capsys.readouterr().err
    wide = _heads(tmp_path / "wide.safetensors", hidden=32)
    assert main([*base, "--engine", "stream", "--medusa", str(wide)]) != 0
    assert "hidden size 32" in capsys.readouterr().err
    assert main([*base, "--engine", "stream", "--medusa", str(heads), "--tree", "1"]) == 2
    assert "--tree 1" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    plain = tmp_path / "plain"
    assert main([*base[:-1], str(plain), "--engine", "stream", "--weights", "fp32"]) == 0
    capsys.readouterr()
    assert main(["run", str(plain), "--prompt-ids", "1,2", "--medusa"]) == 2
    assert "compiled without --medusa" in capsys.readouterr().err


@pytest.mark.parametrize("tree", ["6", "3"])  # head 0's 3 best / a chain
def test_xrt_backend_and_host_run_the_tree_kernel(
    llama,
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    tree: str,
) -> None:
    """On the stand-in XRT (tests/xrt_doubles.py) `llmhls run --backend xrt --medusa` makes
    tree calls and generates the csim tokens; the emitted host/ decodes plainly (tree = 0).
    The prompt's call asks for the heads' guesses (tree = 2), and the emitted host's
    `--medusa` decodes with the tree too: the same tokens in the Python runtime's calls."""
    heads = _heads(tmp_path / "h.safetensors", trained=True)
    project = _compile(llama, tmp_path / "p", heads, "int4", tree=tree)
    run_args = ("--prompt-ids", ",".join(map(str, PROMPT)), "--max-new-tokens", "12")
    tokens, _, _ = check_xrt_generates_csim_tokens(
        project, tmp_path / "work", monkeypatch, capsys, run_args
    )
    xrt = tmp_path / "work" / "xrt"
    module, log, _ = fake_pyxrt(device_kernel_run(xrt / "lib/libxrt_coreutil.so"))
    monkeypatch.setitem(sys.modules, "pyxrt", module)
    xclbin = str(tmp_path / "work" / "llm.xclbin")
    args = ["run", str(project), "--backend", "xrt", "--xclbin", xclbin, *run_args, "--medusa"]
    assert main([*args, "--json"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["tokens"] == tokens and line["verify_steps"] >= 1
    tree_flags = [call[-3] for call in log if call[0] == "llm_engine"]
    assert tree_flags[0] == 2 and set(tree_flags[1:]) == {1}  # the prompt, the trees
    host = [str(tmp_path / "work" / "build" / "llm_host"), "--project", str(project)]
    host += ["--xclbin", xclbin, *run_args, "--medusa"]
    ran = subprocess.run(host, capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0] == "new token ids: " + ",".join(map(str, tokens))
    calls = len(tree_flags) - 1
    per_call = line["accepted_per_step"]
    expected = f"medusa: {calls} calls, {per_call:.4f} tokens a call (a tree of {tree} tokens)"
    assert lines[-1] == expected


def test_medusa_project_is_byte_identical_across_hash_seeds(llama, tmp_path) -> None:
    heads = _heads(tmp_path / "h.safetensors", trained=True)
    trees = []
    for seed in (5, 17):
        out = tmp_path / f"p{seed}"
        command = [sys.executable, "-m", "llmhls.cli", "compile", str(llama), "-o", str(out)]
        command += ["--engine", "stream", "--max-context", "64", "--medusa", str(heads)]
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        trees.append(
            {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        )
    first, second = trees
    assert "data/medusa/heads.safetensors" in first and sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("proposal_ranks", 2, "proposal_heads/proposal_ranks must be 2/3"),
        ("proposal_ranks", None, "llm.medusa has no 'proposal_ranks'"),
        ("tree_paths", [[], ["0"]], "tree_paths is not a tree"),
    ],
)
def test_run_medusa_refuses_a_damaged_manifest(llama, tmp_path, capsys, key, value, message):
    project = _compile(llama, tmp_path / "p", _heads(tmp_path / "h.safetensors"), "fp32")
    path = project / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["llm"]["medusa"][key] = value
    path.write_text(json.dumps(manifest))
    capsys.readouterr()
    run = ["run", str(project), "--prompt-ids", "1,2", "--max-new-tokens", "4", "--medusa"]
    assert main(run) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
