"""Pass pipelines that mix upstream MLIR passes and llmhls passes.

A pipeline is the textual MLIR form, `builtin.module(canonicalize,
hls-legalize-dtypes{...}, func.func(cse))`, or the same list without the
`builtin.module(...)` wrapper. Top-level items whose name is a registered
llmhls pass run in Python; runs of other items go to one upstream
PassManager each, so upstream passes keep their own option syntax.
"""

from __future__ import annotations

import re

from torch_mlir import ir
from torch_mlir.passmanager import PassManager

from llmhls.errors import LlmhlsError, OptionError
from llmhls.passes.analysis.ir_utils import describe_label, location_label_text
from llmhls.passes.registry import get_pass, is_registered

_ITEM_NAME = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(\{(.*)\})?\s*$", re.S)


def split_top_level(text: str) -> list[str]:
    """Splits `a, b{x=1,y=2}, c(d, e)` at commas outside braces and parentheses."""
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in "({[":
            depth += 1
        elif char in ")}]":
            depth -= 1
            if depth < 0:
                raise OptionError(f"unbalanced ')' or '}}' in pass pipeline '{text}'")
        if char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise OptionError(f"unbalanced '(' or '{{' in pass pipeline '{text}'")
    tail = "".join(current).strip()
    if tail:
        items.append(tail)
    return [item for item in items if item]


def _unwrap_module(text: str) -> str:
    text = text.strip()
    if text.startswith("builtin.module(") and text.endswith(")"):
        return text[len("builtin.module(") : -1]
    return text


def parse_options(text: str) -> dict[str, str]:
    """`a=1 b=foo` (space or comma separated) into a dict; a bare flag means true."""
    options: dict[str, str] = {}
    for token in re.split(r"[\s,]+", text.strip()):
        if not token:
            continue
        key, _, value = token.partition("=")
        options[key] = value if "=" in token else "true"
    return options


def pipeline_items(pipeline: str) -> list[str]:
    return split_top_level(_unwrap_module(pipeline))


def run_pipeline(module: ir.Module, pipeline: str) -> None:
    """Runs `pipeline` on `module` in place."""
    upstream: list[str] = []

    def flush() -> None:
        if not upstream:
            return
        text = "builtin.module(" + ", ".join(upstream) + ")"
        upstream.clear()
        run_upstream(module, text)

    for item in pipeline_items(pipeline):
        match = _ITEM_NAME.match(item)
        if match and is_registered(match.group(1)):
            flush()
            pass_cls = get_pass(match.group(1))
            pass_cls.from_options(parse_options(match.group(3) or "")).run(module)
        else:
            upstream.append(item)
    flush()


def run_upstream(module: ir.Module, pipeline: str) -> None:
    """Runs an upstream pipeline string, turning MLIR's failures into one-line errors."""
    with module.context:
        try:
            manager = PassManager.parse(pipeline)
        except ValueError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
            raise OptionError(f"bad pass pipeline '{pipeline}': {first}") from None
        with DiagnosticCollector(module.context) as diagnostics:
            try:
                manager.run(module.operation)
            except ir.MLIRError as exc:
                raise LlmhlsError(_pipeline_failure(pipeline, diagnostics, exc)) from None


def _pipeline_failure(pipeline: str, diagnostics: DiagnosticCollector, exc: Exception) -> str:
    """One line: which op failed, where it came from in the model, and MLIR's reason."""
    first = diagnostics.first()
    if first is None:
        errors = getattr(exc, "error_diagnostics", None) or []
        first = (str(errors[0].location), str(errors[0].message)) if errors else ("", str(exc))
    location, message = first
    label = location_label_text(location)
    where = f" at {describe_label(label)}" if label else ""
    passes = ", ".join(pipeline_items(pipeline))
    if len(passes) > 80:
        passes = passes[:77] + "..."
    return f"pass pipeline failed{where}: {message.splitlines()[0]} (pipeline: {passes})"


class DiagnosticCollector:
    """Collects MLIR diagnostics instead of letting MLIR print them to stderr.

    Used around every pass pipeline so a failure becomes one error line that
    names the op and the PyTorch code it came from.
    """

    def __init__(self, context: ir.Context) -> None:
        self.context = context
        self.messages: list[tuple[str, str]] = []  # (location, message)
        self._handler = None

    def __enter__(self) -> DiagnosticCollector:
        def record(diagnostic: ir.Diagnostic) -> bool:
            if diagnostic.severity == ir.DiagnosticSeverity.ERROR:
                self.messages.append((str(diagnostic.location), str(diagnostic.message)))
            return True

        self._handler = self.context.attach_diagnostic_handler(record)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handler is not None:
            self._handler.detach()
            self._handler = None

    def first(self) -> tuple[str, str] | None:
        return self.messages[0] if self.messages else None
