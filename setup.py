"""Packaging for llmhls: one package whose subpackages live in the top-level folders."""

from setuptools import setup

SUBPACKAGE_DIRS = {
    "llmhls": "llmhls",
    "llmhls.compiler": "compiler",
    "llmhls.compiler.emit": "compiler/emit",
    "llmhls.dialects": "dialects",
    "llmhls.passes": "passes",
    "llmhls.passes.legalize": "passes/legalize",
    "llmhls.runtime": "runtime",
    "llmhls.hls_templates": "hls_templates",
    "llmhls.tools": "tools",
}

setup(
    packages=list(SUBPACKAGE_DIRS),
    package_dir=SUBPACKAGE_DIRS,
    package_data={
        "llmhls": ["data/*.json"],
        "llmhls.hls_templates": ["*.h", "*.j2", "include/*.h"],
        "llmhls.dialects": ["*.mlir"],
    },
    include_package_data=True,
)
