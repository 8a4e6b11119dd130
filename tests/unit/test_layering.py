"""The import layering of llmhls, read from the source with `ast` (nothing is imported).

The rule (STYLE.md, "Layers that only look down"):

    cli / tools  ->  compiler  ->  passes  ->  passes.analysis, dialects  ->  base
                     runtime   ->  base

- base: the modules directly in `llmhls` other than `cli` (errors, names, targets,
  project, toolchain) plus `hls_templates`; everyone may import them and they import
  no other layer. `llmhls.project` (the manifest.json schema) and `llmhls.toolchain`
  (g++ builds for C-simulation) live here because the compiler writes and the runtime
  reads the same project: that is how the two stay apart.
- runtime sits beside compiler: neither imports the other.
- passes never import compiler, runtime, cli or tools.
- passes.analysis and dialects hold what many passes share; they import no other
  part of passes except `llmhls.passes.directives` (the directive attributes they read,
  a module that imports nothing from passes).
- A pass module (one that registers a pass) is imported by no other module of passes:
  a helper that two passes need moves to passes.analysis. Module folders of passes
  (dataflow, legalize, loop, qor) reach across only into analysis and the cost model
  (passes.qor), which budgeted passes consult.

`ALLOWED` lists each exception with its reason; an exception that no longer occurs
fails the test too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# (importer, imported module) -> why the edge is allowed.
ALLOWED: dict[tuple[str, str], str] = {
    ("llmhls.passes.dse", "llmhls.passes.loop.array_partition"): (
        "hls-dse re-runs hls-array-partition after each unroll step, as a pipeline would"
    ),
    ("llmhls.passes.dse", "llmhls.passes.loop.bind_storage"): (
        "hls-dse re-runs hls-bind-storage after each unroll step, as a pipeline would"
    ),
}

# Folder of each top-level package, as setup.py maps them.
BASE = "base"
LAYER_OF_PACKAGE = {
    "llmhls.cli": "cli",
    "llmhls.tools": "tools",
    "llmhls.compiler": "compiler",
    "llmhls.runtime": "runtime",
    "llmhls.passes": "passes",
    "llmhls.dialects": "dialects",
    "llmhls.hls_templates": BASE,
    "llmhls": BASE,
}
# Layers each layer must not import.
FORBIDDEN = {
    "cli": set(),
    "tools": set(),
    "compiler": {"cli", "tools", "runtime"},
    "runtime": {"cli", "tools", "compiler", "passes"},
    "passes": {"cli", "tools", "compiler", "runtime"},
    "dialects": {"cli", "tools", "compiler", "runtime", "passes"},
    BASE: {"cli", "tools", "compiler", "runtime", "passes", "dialects"},
}
SHARED_PASS_MODULES = ("llmhls.passes.analysis", "llmhls.passes.qor")


def package_folders() -> dict[str, Path]:
    """setup.py's TOP_LEVEL mapping (package -> folder), read without running setup()."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "TOP_LEVEL" for t in node.targets
        ):
            mapping = ast.literal_eval(node.value)
            return {package: ROOT / folder for package, folder in mapping.items()}
    raise AssertionError("setup.py has no TOP_LEVEL mapping")


@cache
def modules() -> dict[str, Path]:
    """Every module of the llmhls package, by dotted name."""
    found: dict[str, Path] = {}
    for package, folder in package_folders().items():
        for path in sorted(folder.rglob("*.py")):
            if not (path.parent / "__init__.py").is_file():
                continue  # not inside a package (scripts, C++ test folders)
            parts = path.relative_to(folder).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            found[".".join([package, *parts])] = path
    return found


@cache
def syntax(path: Path) -> ast.Module:
    return ast.parse(path.read_text())


def imported_modules(name: str, path: Path) -> set[str]:
    """The llmhls modules `name` imports anywhere in its body (lazy imports included)."""
    known = modules()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    result: set[str] = set()
    for node in ast.walk(syntax(path)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from llmhls.passes import directives` imports the submodule.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        result.update(t for t in targets if t == "llmhls" or t.startswith("llmhls."))
    return result


def layer(module: str) -> str:
    best = max((p for p in LAYER_OF_PACKAGE if module == p or module.startswith(p + ".")), key=len)
    return LAYER_OF_PACKAGE[best]


def is_pass_module(path: Path) -> bool:
    """Whether the module registers a pass (a class decorated with @register_pass)."""
    return any(
        isinstance(node, ast.ClassDef)
        and any(isinstance(d, ast.Name) and d.id == "register_pass" for d in node.decorator_list)
        for node in ast.walk(syntax(path))
    )


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violation(importer: str, imported: str) -> str | None:
    """Why `importer` may not import `imported`, or None when the rule allows it."""
    if layer(imported) in FORBIDDEN[layer(importer)]:
        return f"{layer(importer)} imports {layer(imported)}"
    if not within(importer, "llmhls.passes") or not within(imported, "llmhls.passes"):
        return None
    if within(importer, "llmhls.passes.analysis") and not (
        within(imported, "llmhls.passes.analysis") or imported == "llmhls.passes.directives"
    ):
        return "passes.analysis imports a pass-level module"
    if is_pass_module(modules()[imported]) and imported != importer:
        return "imports another pass's module (move the helper to passes/analysis)"
    group = importer.split(".")[2] if importer.count(".") >= 3 else None
    imported_group = imported.split(".")[2] if imported.count(".") >= 3 else None
    if (
        group is not None
        and imported_group is not None
        and group != imported_group
        and not any(within(imported, shared) for shared in SHARED_PASS_MODULES)
    ):
        return f"passes/{group} reaches into passes/{imported_group}"
    return None


def edges() -> set[tuple[str, str]]:
    return {
        (name, imported)
        for name, path in modules().items()
        for imported in imported_modules(name, path)
        if imported != name
    }


def test_modules_are_found() -> None:
    found = modules()
    for name in (
        "llmhls.cli",
        "llmhls.project",
        "llmhls.compiler.driver",
        "llmhls.passes.analysis.storage",
        "llmhls.runtime.generate",
        "llmhls.dialects.hlsdf",
    ):
        assert name in found, name
    assert is_pass_module(found["llmhls.passes.loop.bind_storage"])
    assert not is_pass_module(found["llmhls.passes.analysis.storage"])
    assert "llmhls.passes.directives" in imported_modules(
        "llmhls.passes.analysis.initiation_interval",
        found["llmhls.passes.analysis.initiation_interval"],
    )


def test_the_rule_catches_what_it_forbids() -> None:
    assert violation("llmhls.runtime.csim_backend", "llmhls.compiler.csim")
    assert violation("llmhls.passes.pipeline", "llmhls.compiler.context")
    assert violation("llmhls.compiler.driver", "llmhls.cli")
    assert violation("llmhls.project", "llmhls.compiler.testbench")
    assert violation("llmhls.passes.analysis.nest", "llmhls.passes.loop.tile")
    assert violation("llmhls.passes.loop.unroll", "llmhls.passes.loop.bind_storage")
    assert violation("llmhls.passes.loop.unroll", "llmhls.passes.dataflow.task_graph")
    assert violation("llmhls.compiler.driver", "llmhls.passes.pipeline") is None
    assert violation("llmhls.passes.dataflow.create_tasks", "llmhls.passes.qor.estimator") is None
    assert violation("llmhls.runtime.generate", "llmhls.project") is None


def test_imports_follow_the_layering() -> None:
    found = {(a, b): violation(a, b) for a, b in edges()}
    bad = sorted(
        f"{a} -> {b}: {why}" for (a, b), why in found.items() if why and (a, b) not in ALLOWED
    )
    assert not bad, "\n".join(bad)


def test_every_allowed_exception_still_occurs() -> None:
    current = edges()
    stale = sorted(f"{a} -> {b}" for a, b in ALLOWED if (a, b) not in current)
    assert not stale, "remove from ALLOWED: " + ", ".join(stale)
    unneeded = sorted(f"{a} -> {b}" for a, b in ALLOWED if violation(a, b) is None)
    assert not unneeded, "allowed by the rule anyway: " + ", ".join(unneeded)
