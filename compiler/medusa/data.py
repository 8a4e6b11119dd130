"""Self-distillation data for Medusa heads: prompts from Python docstrings, answered by the model.

Nothing is downloaded: the prompt texts are the docstrings of a fixed list of Python
standard-library modules (so they change only with the Python version), split by a
hash of each name into training, calibration and evaluation sets that never overlap.
The model answers each prompt itself, greedily and sampled, and those answers are what
the heads learn to guess ahead.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import zlib
from dataclasses import dataclass
from typing import Any

import torch

from llmhls.compiler.medusa.decode import CausalLm
from llmhls.errors import OptionError

# Pure-Python modules that import without side effects (no GUI, no network, no output).
_MODULE_NAMES = (
    "abc argparse ast asyncio base64 bisect calendar cmd codecs collections colorsys "
    "configparser contextlib copy csv dataclasses datetime decimal difflib dis doctest "
    "email.message enum filecmp fnmatch fractions functools getopt gettext glob graphlib "
    "gzip hashlib heapq hmac html html.parser http.client http.cookies inspect io ipaddress "
    "itertools json json.decoder logging lzma mailbox mimetypes numbers operator optparse "
    "pathlib pickle pkgutil platform plistlib pprint queue quopri random re reprlib sched "
    "secrets selectors shelve shlex shutil smtplib socket socketserver sqlite3 statistics "
    "string struct subprocess tarfile tempfile textwrap threading timeit tokenize trace "
    "traceback types typing unittest unittest.mock urllib.parse urllib.request uuid "
    "warnings wave weakref xml.dom.minidom xml.etree.ElementTree zipfile zoneinfo"
)
MODULES = tuple(_MODULE_NAMES.split())
SPLITS = ("train", "calibration", "evaluation")
TEMPLATES = (
    "Explain what `{name}` does in Python, with a short example.\n\n{doc}",
    "Summarize this Python documentation in plain words:\n\n{doc}",
    "Here is the documentation of `{name}`:\n\n{doc}\n\nWhen would a programmer use it?",
    "Write a small Python function that uses `{name}`. Its documentation says:\n\n{doc}",
    "{doc}\n\nRewrite the text above as a short list of key points.",
    "As a Python teacher, explain `{name}` to a beginner.",
)
MIN_DOC, MAX_DOC = 40, 600


@dataclass(frozen=True)
class DocItem:
    """One documented object: its qualified name and its docstring's first paragraphs."""

    name: str
    doc: str

    @property
    def split(self) -> str:
        """'evaluation' for 1 name in 20, 'calibration' for 1 in 20, else 'train' (stable hash)."""
        bucket = zlib.crc32(self.name.encode()) % 20
        return SPLITS[2] if bucket == 0 else SPLITS[1] if bucket == 1 else SPLITS[0]


def _shorten(doc: str) -> str:
    """The leading paragraphs that fit in MAX_DOC characters (at least the first one)."""
    kept: list[str] = []
    for paragraph in doc.strip().split("\n\n"):
        if kept and len("\n\n".join([*kept, paragraph])) > MAX_DOC:
            break
        kept.append(paragraph.strip())
    return "\n\n".join(kept)[: MAX_DOC * 2]


def _members(module: Any) -> list[tuple[str, Any]]:
    """The module, its public classes and functions defined there, and their public methods."""
    found: list[tuple[str, Any]] = [(module.__name__, module)]
    for name, value in sorted(vars(module).items()):
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(value) or inspect.isfunction(value):
            found.append((f"{module.__name__}.{name}", value))
        if inspect.isclass(value):
            for attribute, member in sorted(vars(value).items()):
                if not attribute.startswith("_") and inspect.isfunction(member):
                    found.append((f"{module.__name__}.{name}.{attribute}", member))
    return found


@functools.cache
def doc_items() -> tuple[DocItem, ...]:
    """Every usable docstring of MODULES, in a fixed order (modules missing here are skipped)."""
    items: list[DocItem] = []
    seen: set[str] = set()
    for module_name in MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name, value in _members(module):
            doc = inspect.getdoc(value)
            if not doc:
                continue
            text = _shorten(doc)
            if len(text) >= MIN_DOC and text not in seen:
                seen.add(text)
                items.append(DocItem(name, text))
    return tuple(items)


def prompts(split: str, count: int) -> list[str]:
    """The first `count` prompts of a split, each docstring in one of TEMPLATES (in turn)."""
    if split not in SPLITS:
        raise OptionError(f"prompt split '{split}' is not one of {', '.join(SPLITS)}")
    items = [item for item in doc_items() if item.split == split]
    if count > len(items):
        raise OptionError(f"{count} {split} prompts asked for, the docstrings give {len(items)}")
    return [
        TEMPLATES[i % len(TEMPLATES)].format(name=item.name, doc=item.doc)
        for i, item in enumerate(items[:count])
    ]


def prompt_ids(tokenizer: Any, text: str) -> list[int]:
    """The prompt's token ids, in the tokenizer's chat template when it has one."""
    template = getattr(tokenizer, "chat_template", None)
    if template:
        messages = [{"role": "user", "content": text}]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])
    return list(tokenizer(text)["input_ids"])


@dataclass(frozen=True)
class Sample:
    """A prompt and the model's answer to it, as token ids."""

    prompt: list[int]
    answer: list[int]

    @property
    def ids(self) -> list[int]:
        return self.prompt + self.answer


@torch.no_grad()
def answer(
    lm: CausalLm,
    prompts_ids: list[list[int]],
    max_new_tokens: int,
    *,
    temperature: float = 0.0,
    seed: int = 0,
    batch_size: int = 64,
    eos_token_id: int | None = None,
) -> list[Sample]:
    """The model's own answers (greedy at temperature 0, else sampled), batched, left-padded.

    An answer ends after its first end-of-sequence token or at max_new_tokens.
    """
    generator = torch.Generator(device=lm.device).manual_seed(seed)
    samples: list[Sample] = []
    for start in range(0, len(prompts_ids), batch_size):
        batch = prompts_ids[start : start + batch_size]
        width = max(len(p) for p in batch)
        ids = torch.zeros(len(batch), width, dtype=torch.int64)
        mask = torch.zeros(len(batch), width, dtype=torch.int64)
        for row, prompt in enumerate(batch):
            ids[row, width - len(prompt) :] = torch.tensor(prompt)
            mask[row, width - len(prompt) :] = 1
        ids, mask = ids.to(lm.device), mask.to(lm.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        out = lm.model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True)
        cache, logits = out.past_key_values, out.logits[:, -1]
        answers = torch.zeros(len(batch), 0, dtype=torch.int64, device=lm.device)
        finished = torch.zeros(len(batch), dtype=torch.bool, device=lm.device)
        for _ in range(max_new_tokens):
            if temperature > 0:
                probs = torch.softmax(logits.float() / temperature, dim=-1)
                token = torch.multinomial(probs, 1, generator=generator)[:, 0]
            else:
                token = logits.argmax(dim=-1)
            answers = torch.cat([answers, token[:, None]], dim=1)
            if eos_token_id is not None:
                finished |= token == eos_token_id
            if bool(finished.all()):
                break
            mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
            positions = positions[:, -1:] + 1
            out = lm.model(
                input_ids=token[:, None],
                attention_mask=mask,
                position_ids=positions,
                past_key_values=cache,
                use_cache=True,
            )
            cache, logits = out.past_key_values, out.logits[:, -1]
        for row, prompt in enumerate(batch):
            tokens = answers[row].tolist()
            if eos_token_id is not None and eos_token_id in tokens:
                tokens = tokens[: tokens.index(eos_token_id) + 1]
            samples.append(Sample(prompt, tokens))
    return samples
