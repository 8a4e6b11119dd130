"""Packaging for llmhls: one package whose subpackages live in the top-level folders."""

from pathlib import Path

from setuptools import setup

# Top-level folder → the llmhls subpackage it holds; nested packages follow.
TOP_LEVEL = {
    "llmhls": "llmhls",
    "llmhls.compiler": "compiler",
    "llmhls.dialects": "dialects",
    "llmhls.passes": "passes",
    "llmhls.runtime": "runtime",
    "llmhls.hls_templates": "hls_templates",
    "llmhls.tools": "tools",
}


def package_dirs() -> dict[str, str]:
    """Every package under the mapped folders (any folder with an __init__.py)."""
    dirs: dict[str, str] = {}
    for package, folder in TOP_LEVEL.items():
        for init in sorted(Path(folder).rglob("__init__.py")):
            relative = init.parent.relative_to(folder)
            name = ".".join([package, *relative.parts]) if relative.parts else package
            dirs[name] = init.parent.as_posix()
    return dirs


PACKAGE_DIRS = package_dirs()

setup(
    packages=list(PACKAGE_DIRS),
    package_dir=PACKAGE_DIRS,
    package_data={
        "llmhls": ["data/*.json", "data/medusa/*.safetensors", "data/medusa/*.json"],
        "llmhls.hls_templates": ["*.h", "*.j2", "include/*.h", "host/*.j2"],
        "llmhls.dialects": ["*.mlir"],
    },
    include_package_data=True,
)
