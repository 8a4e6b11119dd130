# lit configuration for llmhls: each .mlir file runs llmhls-opt / llmhls-translate
# and checks the output with FileCheck (the Python `filecheck` port).
import os
import sys

import lit.formats

config.name = "llmhls"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.excludes = ["Inputs", "lit.cfg.py", "test_lit.py"]

# Tools come from the Python environment running lit (the project's venv).
bin_dir = os.path.dirname(sys.executable)
config.environment["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
config.substitutions.append(("%PYTHON", sys.executable))
config.substitutions.append(("FileCheck", "filecheck"))
