"""Training Medusa-1 heads by self-distillation, and measuring their top-k acceptance rates.

The model stays frozen. One forward pass over a prompt and its (model-made) answer
gives the hidden state at every position and the model's own next-token distribution
there; head k at position t learns the distribution at t + k + 1, the token after the
next, with soft cross-entropy weighted 0.8^k as in Medusa. Only answer positions count.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import torch

from llmhls.compiler.medusa.data import Sample
from llmhls.compiler.medusa.decode import CausalLm
from llmhls.compiler.medusa.heads import MedusaHeads
from llmhls.compiler.medusa.options import TrainOptions
from llmhls.errors import OptionError

HEAD_DECAY = 0.8


def _batches(samples: list[Sample], batch_tokens: int, rng: random.Random) -> list[list[Sample]]:
    """Shuffled samples in batches of at most batch_tokens (padded) tokens, one epoch."""
    order = list(samples)
    rng.shuffle(order)
    batches: list[list[Sample]] = []
    current: list[Sample] = []
    for sample in order:
        width = max([len(s.ids) for s in current] + [len(sample.ids)])
        if current and width * (len(current) + 1) > batch_tokens:
            batches.append(current)
            current = []
        current.append(sample)
    if current:
        batches.append(current)
    return batches


@torch.no_grad()
def _teacher(lm: CausalLm, batch: list[Sample]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hidden states [B, T, d], the model's log-probabilities [B, T, V] and the answer mask [B, T].

    mask[b, t] is true where position t's next token belongs to the answer.
    """
    width = max(len(s.ids) for s in batch)
    ids = torch.zeros(len(batch), width, dtype=torch.int64)
    attention = torch.zeros(len(batch), width, dtype=torch.int64)
    answer = torch.zeros(len(batch), width, dtype=torch.bool)
    for row, sample in enumerate(batch):
        ids[row, : len(sample.ids)] = torch.tensor(sample.ids)
        attention[row, : len(sample.ids)] = 1
        answer[row, len(sample.prompt) - 1 : len(sample.ids) - 1] = True
    ids, attention = ids.to(lm.device), attention.to(lm.device)
    hidden = lm.body(input_ids=ids, attention_mask=attention, use_cache=False).last_hidden_state
    return hidden, torch.log_softmax(lm.lm_head(hidden).float(), dim=-1), answer.to(lm.device)


def _loss(
    heads: MedusaHeads, lm: CausalLm, batch: list[Sample]
) -> tuple[torch.Tensor, list[float]]:
    """Soft cross-entropy of every head against the model's distribution k + 1 tokens later."""
    hidden, teacher, answer = _teacher(lm, batch)
    total = torch.zeros((), device=lm.device)
    accuracy: list[float] = []
    for k in range(heads.count):
        shift = k + 1
        valid = answer[:, :-shift] & answer[:, shift:]
        if not bool(valid.any()):
            accuracy.append(0.0)
            continue
        states = hidden[:, :-shift][valid].float()
        target = teacher[:, shift:][valid]
        guess = lm.lm_head(heads.head(k, states))
        log_probs = torch.log_softmax(guess.float(), dim=-1)
        loss = -(target.exp() * log_probs).sum(-1).mean()
        total = total + HEAD_DECAY**k * loss
        accuracy.append(float((guess.argmax(-1) == target.argmax(-1)).float().mean()))
    return total, accuracy


def train_heads(
    lm: CausalLm,
    heads: MedusaHeads,
    samples: list[Sample],
    options: TrainOptions,
    log: Callable[[str], None] = print,
) -> tuple[list[float], float]:
    """Train the heads in place (AdamW, linear warm-up then cosine decay).

    Returns the loss of every step and the passes made over the samples (epochs).
    """
    if options.steps < 1:
        raise OptionError(f"--steps must be at least 1, got {options.steps}")
    if not samples:
        raise OptionError("no training samples: the model gave no answers")
    torch.manual_seed(options.seed)
    rng = random.Random(options.seed)
    heads.to(lm.device).train()
    for parameter in lm.model.parameters():
        parameter.requires_grad_(False)
    optimizer = torch.optim.AdamW(
        heads.parameters(), lr=options.lr, weight_decay=options.weight_decay
    )

    def schedule(step: int) -> float:
        if step < options.warmup:
            return (step + 1) / options.warmup
        progress = (step - options.warmup) / max(options.steps - options.warmup, 1)
        return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    losses: list[float] = []
    queue: list[list[Sample]] = []
    consumed = 0
    every = max(options.steps // 20, 1)
    for step in range(options.steps):
        if not queue:
            queue = _batches(samples, options.batch_tokens, rng)
        batch = queue.pop()
        consumed += len(batch)
        loss, accuracy = _loss(heads, lm, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(float(loss.detach()))
        if step % every == 0 or step == options.steps - 1:
            shown = " ".join(f"{a:.2f}" for a in accuracy)
            log(f"step {step + 1}/{options.steps} loss {float(loss):.3f} head top-1 {shown}")
    heads.eval()
    return losses, consumed / len(samples)


@torch.no_grad()
def token_ranking(samples: list[Sample], vocab_size: int) -> torch.Tensor:
    """Token ids by how often they occur in the samples' answers, the most frequent first
    (equals by id): the tokens a vocabulary-restricted head keeps first."""
    counts = torch.zeros(vocab_size, dtype=torch.int64)
    for sample in samples:
        counts += torch.bincount(
            torch.tensor(sample.answer, dtype=torch.int64), minlength=vocab_size
        )
    return torch.argsort(-counts, stable=True)


def acceptance_rates(
    lm: CausalLm,
    heads: MedusaHeads,
    samples: list[Sample],
    top_k: int = 10,
    vocab: torch.Tensor | None = None,
) -> list[list[float]]:
    """rates[k][r]: how often head k's rank-r guess is the model's greedy token k + 1 later.

    Measured at every answer position of `samples` (the model's greedy answers to
    calibration prompts, so the positions are those greedy decoding visits). With
    `vocab` (token ids) the heads guess among those tokens only.
    """
    hits = torch.zeros(heads.count, top_k)
    counts = torch.zeros(heads.count)
    for sample in samples:
        hidden, teacher, answer = _teacher(lm, [sample])
        greedy = teacher[0].argmax(-1)
        guesses = heads.guesses(hidden[0], lm.lm_head, top_k, vocab)  # [T, K, r]
        for k in range(heads.count):
            shift = k + 1
            valid = (answer[0, :-shift] & answer[0, shift:]).nonzero()[:, 0]
            if len(valid) == 0:
                continue
            right = guesses[valid, k] == greedy[valid + shift, None]
            hits[k] += right.float().sum(0).cpu()
            counts[k] += len(valid)
    return [
        [round(float(h / max(float(counts[k]), 1.0)), 4) for h in hits[k]]
        for k in range(heads.count)
    ]
