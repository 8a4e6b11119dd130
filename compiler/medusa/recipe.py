"""The whole Medusa head recipe behind `llmhls medusa train`: answer, train, calibrate, save.

Every number that shapes the heads (prompt counts, answer length, temperature, seeds,
steps) is recorded in the heads file's metadata beside the acceptance rates measured
on the calibration prompts, so the file says how to make it again.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch

from llmhls.compiler.llm.source import LoadedLlm, load_llm
from llmhls.compiler.medusa import data
from llmhls.compiler.medusa.decode import CausalLm
from llmhls.compiler.medusa.heads import MedusaHeads, save_heads
from llmhls.compiler.medusa.options import Recipe
from llmhls.compiler.medusa.train import acceptance_rates, train_heads
from llmhls.errors import OptionError


def _device(name: str) -> torch.device:
    if name not in ("cpu", "cuda"):
        raise OptionError(f"--device '{name}' is not cpu or cuda")
    if name == "cuda" and not torch.cuda.is_available():
        raise OptionError("--device cuda: PyTorch sees no CUDA GPU here")
    return torch.device(name)


def _answering_model(model: Path, device: str) -> tuple[LoadedLlm, CausalLm, torch.device]:
    """The model on `device`, with the tokenizer its prompts are built with."""
    target = _device(device)
    loaded = load_llm(model)
    if loaded.tokenizer is None:
        raise OptionError(f"model '{model}' has no tokenizer: its prompts cannot be built")
    return loaded, CausalLm(loaded.model.to(target)), target


def _answers(
    lm: CausalLm,
    tokenizer,
    split: str,
    count: int,
    recipe: Recipe,
    eos: int | None,
    temperature: float = 0.0,
    seed: int = 0,
) -> list[data.Sample]:
    """The model's answers to the first `count` prompts of `split` (greedy at temperature 0)."""
    ids = [data.prompt_ids(tokenizer, p) for p in data.prompts(split, count)]
    kwargs = {"temperature": temperature, "seed": seed, "batch_size": recipe.batch_size}
    return data.answer(lm, ids, recipe.max_new_tokens, eos_token_id=eos, **kwargs)


def make_heads(
    model: Path,
    output: Path,
    recipe: Recipe,
    device: str = "cpu",
    command: str = "",
    log: Callable[[str], None] = print,
) -> dict:
    """Train Medusa heads for `model` by self-distillation and write them to `output`.

    Returns the metadata written with them.
    """
    if recipe.heads < 1:
        raise OptionError(f"--heads must be at least 1, got {recipe.heads}")
    if recipe.prompts < 1 or recipe.calibration_prompts < 1 or recipe.max_new_tokens < 2:
        raise OptionError("--prompts and --calibration-prompts >= 1, --max-new-tokens >= 2")
    loaded, lm, target = _answering_model(model, device)
    eos = loaded.config.eos_token_id
    start = time.perf_counter()

    def ask(split: str, count: int, temperature: float, seed: int) -> list[data.Sample]:
        return _answers(lm, loaded.tokenizer, split, count, recipe, eos, temperature, seed)

    if target.type == "cuda":  # TF32 for the data and training passes only
        torch.backends.cuda.matmul.allow_tf32 = True
    samples = ask("train", recipe.prompts, 0.0, recipe.train.seed)
    samples += ask("train", recipe.prompts, recipe.temperature, recipe.train.seed)
    calibration = ask("calibration", recipe.calibration_prompts, 0.0, recipe.train.seed)
    data_s = time.perf_counter() - start
    tokens = sum(len(s.answer) for s in samples)
    log(f"self-distillation data: {len(samples)} answers, {tokens} answer tokens ({data_s:.0f} s)")

    heads = MedusaHeads(loaded.config.hidden_size, recipe.heads)
    start = time.perf_counter()
    losses, epochs = train_heads(lm, heads, samples, recipe.train, log=log)
    train_s = time.perf_counter() - start
    torch.backends.cuda.matmul.allow_tf32 = False
    rates = acceptance_rates(lm, heads, calibration, recipe.top_k)
    for k, row in enumerate(rates):
        log(f"head {k} acceptance top-1..{len(row)}: " + " ".join(f"{r:.3f}" for r in row))
    info = {
        "model": loaded.name,
        "lm_head": "shared, frozen (the model's own)",
        "acceptance_rates": rates,
        "acceptance_rates_note": (
            "rates[k][r]: fraction of answer positions where head k's rank-r token equals "
            f"the model's greedy token k+1 later, on {len(calibration)} greedy answers to "
            "calibration prompts"
        ),
        "command": command,
        "recipe": {**asdict(recipe), "train": recipe.train.to_dict()},
        "data": {
            "source": "docstrings of compiler/medusa/data.py MODULES (Python standard library)",
            "answers": len(samples),
            "answer_tokens": tokens,
            "calibration_answer_tokens": sum(len(s.answer) for s in calibration),
            "epochs": round(epochs, 2),
        },
        "final_loss": round(sum(losses[-20:]) / len(losses[-20:]), 4),
        "seconds": {"data": round(data_s, 1), "train": round(train_s, 1)},
        "device": torch.cuda.get_device_name(target) if target.type == "cuda" else "cpu",
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": sys.modules["transformers"].__version__,
        },
    }
    heads.info = info
    save_heads(heads, output)
    return info


def restrict_vocab(
    model: Path,
    heads_path: Path,
    output: Path,
    tokens: int,
    prompts: int,
    recipe: Recipe | None = None,
    device: str = "cpu",
    command: str = "",
    log: Callable[[str], None] = print,
) -> dict:
    """Give heads a guessing vocabulary: the `tokens` most frequent tokens of the model's
    greedy answers to the first `prompts` training prompts (fewer LM-head rows for the
    accelerator's guesses), with the acceptance rates measured with it on the
    calibration prompts. The heads' weights are unchanged. Returns the `vocab` metadata."""
    from llmhls.compiler.medusa.heads import load_heads
    from llmhls.compiler.medusa.train import token_ranking

    recipe = recipe or Recipe()
    loaded, lm, target = _answering_model(model, device)
    heads = load_heads(heads_path, loaded.config.hidden_size)
    vocab_size = loaded.config.vocab_size
    if not 1 <= tokens <= vocab_size or prompts < 1:
        raise OptionError(f"--tokens must be 1..{vocab_size} and --prompts >= 1")
    if recipe.calibration_prompts < 1 or recipe.max_new_tokens < 2:
        raise OptionError("--calibration-prompts >= 1, --max-new-tokens >= 2")
    eos = loaded.config.eos_token_id
    start = time.perf_counter()

    ranked = _answers(lm, loaded.tokenizer, "train", prompts, recipe, eos)
    vocab = torch.sort(token_ranking(ranked, vocab_size)[:tokens]).values
    calibration = _answers(
        lm, loaded.tokenizer, "calibration", recipe.calibration_prompts, recipe, eos
    )
    heads.to(target)
    rates = acceptance_rates(lm, heads, calibration, recipe.top_k, vocab)
    for k, row in enumerate(rates):
        log(
            f"head {k} acceptance top-1..{len(row)} in {tokens} tokens: "
            + " ".join(f"{r:.3f}" for r in row)
        )
    counted = sum(len(s.answer) for s in ranked)
    covered = sum(int(torch.isin(torch.tensor(s.answer), vocab).sum()) for s in calibration)
    info = {
        "tokens": tokens,
        "source": f"the most frequent tokens of the model's greedy answers to the first "
        f"{prompts} training prompts ({counted} answer tokens), equals by id",
        "acceptance_rates": rates,
        "calibration_coverage": round(covered / max(sum(len(s.answer) for s in calibration), 1), 4),
        "command": command,
        "seconds": round(time.perf_counter() - start, 1),
    }
    heads.to("cpu")
    heads.vocab = vocab
    heads.info = {**heads.info, "vocab": info}
    partial = output.with_name(output.name + ".partial")
    save_heads(heads, partial)
    partial.replace(output)
    return info
