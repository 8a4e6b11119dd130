"""Bad inputs, one test per class: each gives one `error:` line, a non-zero exit, no output.

The classes are issue 11's matrix: missing, empty, truncated and corrupt files of
each accepted format, pickles (never run without --trust, also inside a .pt2
archive), TorchScript, unsupported dtypes/ops/architectures, dynamic shapes,
bad option values, unusable output directories, an interrupted compile, bad
prompts and token ids, and a project edited by hand.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from llmhls.cli import main


class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x).relu()


@pytest.fixture(scope="module")
def tiny_pt2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("pt2") / "tiny.pt2"
    torch.export.save(torch.export.export(Tiny().eval(), (torch.randn(2, 4),)), path)
    return path


def fails_cleanly(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str, out: Path | None = None
) -> str:
    """Run the CLI; assert one `error:` line holding `expected`, exit != 0, no `out` left."""
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code != 0, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ") and expected in err, err
    if out is not None:
        assert not out.exists()
        assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    return err


# -- code inside a .pt2 archive never runs without --trust ----------------------------------


class Payload:
    """Unpickling this writes a marker file: what an attacker's pickle would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


Edit = Callable[[str, bytes], bytes]
Attack = tuple[Edit, dict[str, bytes]]  # (rewrite each member, members to add)


def rewrite_archive(src: Path, dst: Path, edit: Edit, extra: dict[str, bytes]) -> None:
    """Copy the zip `src` to `dst`, each member (named without the top folder) through `edit`."""
    with zipfile.ZipFile(src) as original, zipfile.ZipFile(dst, "w") as out:
        top = original.namelist()[0].split("/", 1)[0]
        for info in original.infolist():
            out.writestr(info, edit(info.filename.split("/", 1)[1], original.read(info)))
        for name, data in extra.items():
            with warnings.catch_warnings():  # a second copy of a member is the point
                warnings.simplefilter("ignore", UserWarning)
                out.writestr(f"{top}/{name}", data)


def _json_edit(member: str, change: Callable[[dict], None]) -> Edit:
    def edit(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        tree = json.loads(data)
        change(tree)
        return json.dumps(tree).encode()

    return edit


def _replace(member: str, payload: bytes, then: Edit = lambda name, data: data) -> Edit:
    return lambda name, data: payload if name == member else then(name, data)


def _pickled_sample_inputs(marker: Path) -> Attack:
    return _replace("data/sample_inputs/model.pt", pickle.dumps(Payload(marker))), {}


def _pickled_weight(marker: Path) -> Attack:
    def change(tree: dict) -> None:
        tree["config"]["fc.weight"]["use_pickle"] = True

    as_pickle = _json_edit("data/weights/model_weights_config.json", change)
    return _replace("data/weights/weight_0", pickle.dumps(Payload(marker)), as_pickle), {}


def _opaque_constant(marker: Path) -> Attack:
    def change(tree: dict) -> None:
        tree["config"]["evil"] = {"path_name": "opaque_obj_0", "is_param": False}

    edit = _json_edit("data/constants/model_constants_config.json", change)
    return edit, {"data/constants/opaque_obj_0": pickle.dumps(Payload(marker))}


def _shape_expression(marker: Path) -> Attack:
    code = f"open({str(marker)!r}, 'w').write('ran')"

    def change(tree: dict) -> None:
        sizes = tree["graph_module"]["graph"]["tensor_values"]["x"]["sizes"]
        sizes[0] = {"as_expr": {"expr_str": f"__import__('builtins').exec({code!r})"}}

    return _json_edit("models/model.json", change), {}


def _duplicate_member(marker: Path) -> Attack:
    """A second model.json: zipfile reads the last copy, torch's reader may read the first."""
    return (lambda name, data: data), {"models/model.json": b"{}"}


def _graph_target(marker: Path) -> Attack:
    def change(tree: dict) -> None:
        node = tree["graph_module"]["graph"]["nodes"][-1]
        node["target"] = "torch.save"
        tree["verifiers"] = []  # torch's ATen verifier would reject the target
        node["inputs"].append({"name": "f", "arg": {"as_string": str(marker)}, "kind": 1})

    return _json_edit("models/model.json", change), {}


@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        (_pickled_sample_inputs, "member 'data/sample_inputs/model.pt' is a pickle that holds"),
        (_pickled_weight, "member 'data/weights/weight_0' is a pickle that holds more than"),
        (_opaque_constant, "constant 'evil' (data/constants/opaque_obj_0) is a pickled Python"),
        (_shape_expression, "holds the shape expression '__import__("),
        (_graph_target, "is not an allowed operator type"),
        (_duplicate_member, "holds the member 'tiny/models/model.json' twice"),
    ],
    ids=["sample-inputs", "weight", "opaque-constant", "shape-expression", "graph-target", "twice"],
)
def test_archive_code_never_runs_without_trust(
    attack: Callable[[Path], Attack],
    expected: str,
    tiny_pt2: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    marker = tmp_path / "marker"
    evil = tmp_path / "evil.pt2"
    rewrite_archive(tiny_pt2, evil, *attack(marker))
    out = tmp_path / "out"
    fails_cleanly(capsys, ["compile", str(evil), "-o", str(out)], expected, out)
    assert not marker.exists()


# -- missing, empty, truncated and corrupt files of each accepted format --------------------


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _scramble(path: Path, start: int, length: int) -> None:
    """Overwrite bytes in place (same size): a damaged copy, not a shorter one."""
    data = bytearray(path.read_bytes())
    data[start : start + length] = b"\xff" * length
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def sources(tiny_pt2: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One good file of each accepted format, copied and damaged by each test."""
    from llm_models import tiny_llama, tiny_llama_gguf

    root = tmp_path_factory.mktemp("sources")
    (root / "model.py").write_text(
        "import torch\n\ndef build_model():\n"
        "    return torch.nn.Linear(4, 3), (torch.randn(2, 4),)\n"
    )
    hf = tiny_llama(root / "hf", layers=1)
    tiny_llama_gguf(root / "tiny.gguf", layers=1)
    safetensors = root / "weights.safetensors"
    safetensors.write_bytes((hf / "model.safetensors").read_bytes())
    return {
        "pt2": tiny_pt2,
        "py": root / "model.py",
        "hf": hf,
        "gguf": root / "tiny.gguf",
        "safetensors": safetensors,
    }


def _damage(kind: str, fmt: str, path: Path) -> None:
    """Turn a good copy at `path` into a `kind` (missing/empty/truncated/corrupt) one."""
    target = path / "model.safetensors" if fmt == "hf" and kind != "empty" else path
    if kind == "missing":
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    elif kind == "empty" and fmt == "hf":
        shutil.rmtree(path)
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        _truncate(target)
    elif fmt == "pt2":  # corrupt: inside a zip member, so only its CRC tells
        _scramble(target, target.stat().st_size // 3, 64)
    elif fmt == "py":
        target.write_bytes(b"\x97\xff\x00 not python")
    elif fmt == "gguf":
        _scramble(target, 8, 16)  # the tensor and key-value counts after the magic
    else:  # hf, safetensors: the header length
        _scramble(target, 0, 8)


MATRIX = {
    ("pt2", "missing"): "does not exist",
    ("pt2", "empty"): "is an empty file, not a PyTorch model file",
    ("pt2", "truncated"): "is not a PyTorch model file",
    ("pt2", "corrupt"): "is a damaged zip archive (BadZipFile: Bad CRC-32",
    ("py", "missing"): "does not exist",
    ("py", "empty"): "defines no build_model() function",
    ("py", "truncated"): "build_model() must return (module, example_inputs), got NoneType",
    ("py", "corrupt"): "running the file raised SyntaxError",
    ("hf", "missing"): "does not exist",
    ("hf", "empty"): "is a directory but not a Hugging Face model folder (it has no config.json)",
    ("hf", "truncated"): "cannot load the weights (SafetensorError",
    ("hf", "corrupt"): "cannot load the weights (SafetensorError",
    ("gguf", "missing"): "does not exist",
    ("gguf", "empty"): "is not a GGUF file (it does not start with the GGUF magic)",
    ("gguf", "truncated"): "is a damaged GGUF file",
    ("gguf", "corrupt"): "is a damaged GGUF file",
    ("safetensors", "missing"): "does not exist",
    ("safetensors", "empty"): "is an empty file",
    ("safetensors", "truncated"): "is a safetensors file that holds only weights",
    ("safetensors", "corrupt"): "is not a PyTorch model file",
}


@pytest.mark.parametrize(("fmt", "kind"), list(MATRIX), ids=[f"{f}-{k}" for f, k in MATRIX])
def test_damaged_model_file(
    fmt: str,
    kind: str,
    sources: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = sources[fmt]
    path = tmp_path / good.name
    (shutil.copytree if good.is_dir() else shutil.copy)(good, path)
    _damage(kind, fmt, path)
    trust = ["--trust"] if fmt == "py" else []
    out = tmp_path / "out"
    err = fails_cleanly(capsys, ["compile", str(path), "-o", str(out), *trust], MATRIX[fmt, kind])
    assert str(path) in err
    assert not out.exists()


# -- files that are not what llmhls compiles --------------------------------------------------


class Doubler(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2


class BesselI0(torch.nn.Module):
    """aten.i0 has no lowering to linalg in torch-mlir."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.special.i0(x)


def _save_export(module: torch.nn.Module, x: torch.Tensor, path: Path, **kwargs: object) -> None:
    torch.export.save(torch.export.export(module, (x,), **kwargs), path)


def _write_model(kind: str, path: Path) -> Path:
    """A model file of an unsupported `kind` at (about) `path`."""
    if kind == "pickle":
        path.write_bytes(pickle.dumps(Payload(path.with_name("marker"))))
    elif kind == "torchscript":
        torch.jit.save(torch.jit.script(Doubler()), path)
    elif kind == "dtype":
        _save_export(Doubler(), torch.randn(2, 3, dtype=torch.complex64), path)
    elif kind == "op":
        _save_export(BesselI0(), torch.randn(2, 5), path)
    elif kind == "dynamic":
        shapes = {"x": {0: torch.export.Dim("batch")}}
        _save_export(Doubler(), torch.randn(4, 3), path, dynamic_shapes=shapes)
    else:  # architecture: a Hugging Face folder of a model llmhls does not know
        path.mkdir()
        (path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    return path


UNSUPPORTED = {
    "pickle": ("evil.pt", "is a pickled builtins.exec object, not an ExportedProgram"),
    "torchscript": ("script.pt", "is a TorchScript archive, not an ExportedProgram"),
    "dtype": ("complex.pt2", "input 'x' has dtype torch.complex64, which llmhls does not support"),
    "op": ("i0.pt2", "unsupported op 'aten.i0'"),
    "dynamic": ("dyn.pt2", "model input 'x' has a dynamic shape (s"),
    "architecture": ("bert", "architecture 'bert' is not supported"),
}


@pytest.mark.parametrize("kind", list(UNSUPPORTED))
def test_unsupported_model(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name, expected = UNSUPPORTED[kind]
    path = _write_model(kind, tmp_path / name)
    out = tmp_path / "out"
    fails_cleanly(capsys, ["compile", str(path), "-o", str(out)], expected, out)
    assert not (tmp_path / "marker").exists()


def test_pickled_hf_weights_never_run(
    sources: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A HF folder's pytorch_model.bin is a pickle: transformers must read it weights-only."""
    folder = tmp_path / "hf"
    shutil.copytree(sources["hf"], folder)
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "marker"
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(Payload(marker)))
    out = tmp_path / "out"
    expected = "cannot load the weights (a pickled weights file holds more than tensors"
    fails_cleanly(capsys, ["compile", str(folder), "-o", str(out)], expected, out)
    assert not marker.exists()


# -- options and output directories -----------------------------------------------------------


OPTIONS = {
    "target": (["--target", "u9000"], "unknown target 'u9000'"),
    "level": (["-O", "7"], "unknown optimization level -O7"),
    "level-type": (["-O", "fast"], "argument -O: invalid int value: 'fast'"),
    "clock": (["--clock-mhz", "-1"], "--clock-mhz -1 is outside"),
    "budget": (["--max-dsp", "-5"], "--max-dsp must be >= 0, got -5"),
    "utilization": (["--utilization", "2"], "--utilization must be in (0, 1], got 2"),
    "tolerance": (["--tolerance", "0"], "--tolerance must be positive"),
    "unknown-flag": (["--bogus"], "unrecognized arguments: --bogus"),
    "llm-only": (["--max-context", "64"], "--max-context applies to LLMs"),
    "llm-choice": (["--weights", "int3"], "argument --weights: invalid choice: 'int3'"),
}


@pytest.mark.parametrize("case", list(OPTIONS))
def test_bad_option_value(
    case: str, tiny_pt2: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags, expected = OPTIONS[case]
    out = tmp_path / "out"
    with contextlib.suppress(SystemExit):  # argparse exits itself, after its one line
        fails_cleanly(capsys, ["compile", str(tiny_pt2), "-o", str(out), *flags], expected, out)
        return
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and expected in err, err
    assert not out.exists()


def _output_path(case: str, tmp_path: Path) -> Path:
    if case == "non-empty":
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "keep.txt").write_text("user data")
        return tmp_path / "out"
    (tmp_path / "file").write_text("user data")
    if case == "is-a-file":
        return tmp_path / "file"
    if case == "under-a-file":
        return tmp_path / "file" / "out"
    return Path("/proc/llmhls_out")  # unwritable, even for root


OUTPUTS = {
    "non-empty": "is not empty (use --force to replace it)",
    "is-a-file": "exists and is not a directory",
    "under-a-file": "is a file, not a directory",
    "unwritable": "cannot write the project '/proc/llmhls_out'",
}


@pytest.mark.parametrize("case", list(OUTPUTS))
def test_unusable_output_directory(
    case: str, tiny_pt2: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _output_path(case, tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    fails_cleanly(capsys, ["compile", str(tiny_pt2), "-o", str(out)], OUTPUTS[case])
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert not Path("/proc/llmhls_out").exists()


def test_interrupted_compile_leaves_nothing(tmp_path: Path) -> None:
    """SIGINT while the project is being written: no project, no staging folder, no parents."""
    model = tmp_path / "wide.pt2"
    _save_export(torch.nn.Linear(1024, 1024).eval(), torch.randn(1, 1024), model)
    out = tmp_path / "new" / "deeper" / "out"
    command = [sys.executable, "-m", "llmhls.cli", "compile", str(model), "-o", str(out), "-O0"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    sent = False
    while proc.poll() is None and not sent:
        if out.parent.is_dir() and any(out.parent.iterdir()):  # the staging folder appeared
            proc.send_signal(signal.SIGINT)
            sent = True
        time.sleep(0.001)
    _, err = proc.communicate(timeout=120)
    assert sent, f"compile ended before the project was staged: {err}"
    assert proc.returncode == 130, err
    assert err.strip() == "error: interrupted"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wide.pt2"]


# -- a project edited by hand -----------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel_project(tiny_pt2: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("project") / "tiny"
    assert main(["compile", str(tiny_pt2), "-o", str(out), "-O0"]) == 0
    return out


def _edit_project(case: str, root: Path) -> None:
    weight = root / "data/weights/fc_weight.bin"
    if case == "missing-weight":
        weight.unlink()
    elif case == "truncated-weight":
        _truncate(weight)
    elif case == "corrupt-weight":  # same size, one value changed
        _scramble(weight, 4, 4)
    elif case == "unlisted-weight":
        sums = root / "data/weights/SHA256SUMS"
        sums.write_text(
            "".join(x for x in sums.read_text().splitlines(True) if "fc_weight" not in x)
        )
    else:  # corrupt manifest
        (root / "manifest.json").write_text('{"model": ')


EDITS = {
    "missing-weight": "fc_weight.bin: missing weight file for 'fc.weight'",
    "truncated-weight": "fc_weight.bin: holds 24 bytes, expected 48 for 'fc.weight'",
    "corrupt-weight": "fc_weight.bin: contents differ from the SHA-256 in",
    "unlisted-weight": "fc_weight.bin: not listed in",
    "corrupt-manifest": "manifest.json: not valid JSON",
}


@pytest.mark.parametrize("case", list(EDITS))
def test_project_edited_by_hand(
    case: str, kernel_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "tiny"
    shutil.copytree(kernel_project, root)
    _edit_project(case, root)
    fails_cleanly(capsys, ["csim", str(root)], EDITS[case])
    assert not (root / "csim_build").exists()  # caught before the testbench is built


def test_project_program_is_loaded_without_running_code(
    kernel_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`csim --inputs` recomputes the golden outputs from the project's program.pt2."""
    root = tmp_path / "tiny"
    shutil.copytree(kernel_project, root)
    program = root / "program.pt2"
    marker = tmp_path / "marker"
    rewrite_archive(kernel_project / "program.pt2", program, *_pickled_sample_inputs(marker))
    inputs = tmp_path / "inputs.npz"
    np.savez(inputs, x=np.ones((2, 4), np.float32))
    expected = "member 'data/sample_inputs/model.pt' is a pickle that holds more than tensors"
    fails_cleanly(capsys, ["csim", str(root), "--inputs", str(inputs)], expected)
    assert not marker.exists()


# -- an LLM project: prompts, token ids, weights edited by hand (one LLM compile: slow) -------

LLM_CONTEXT = 16


@pytest.fixture(scope="module")
def llm_project(sources: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("llm") / "tiny"
    context = ["--max-context", str(LLM_CONTEXT), "--engine", "stream"]
    assert main(["compile", str(sources["hf"]), "-o", str(out), *context]) == 0
    return out


RUNS = {
    "prompt-too-long": (
        ["--prompt", " ".join(["w5"] * (LLM_CONTEXT + 1))],
        f"the prompt has {LLM_CONTEXT + 1} tokens, more than the project's --max-context",
    ),
    "ids-too-long": (
        ["--prompt-ids", ",".join(["5"] * (LLM_CONTEXT + 1))],
        f"the prompt has {LLM_CONTEXT + 1} tokens",
    ),
    "id-past-vocab": (["--prompt-ids", "1,96"], "prompt token id 96 is outside the vocabulary"),
    "negative-id": (["--prompt-ids", "-1"], "prompt token id -1 is outside the vocabulary"),
    "id-not-int": (["--prompt-ids", "1,x"], "--prompt-ids '1,x' is not a comma-separated list"),
    "missing-weight": (["--prompt-ids", "1"], "missing weight file"),
    "corrupt-weight": (["--prompt-ids", "1"], "contents differ from the SHA-256 in"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(RUNS))
def test_bad_run(
    case: str, llm_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "tiny"
    shutil.copytree(llm_project, root)
    weight = sorted((root / "data/weights").glob("*.bin"))[0]
    if case == "missing-weight":
        weight.unlink()
    elif case == "corrupt-weight":
        _scramble(weight, weight.stat().st_size // 2, 2)
    flags, expected = RUNS[case]
    fails_cleanly(capsys, ["run", str(root), *flags], expected)
    assert not (root / "csim_build").exists()  # caught before the kernels are built


# -- determinism: the same project, byte for byte, whatever PYTHONHASHSEED is -----------------


def _compile_with_hash_seed(seed: int, model: Path, out: Path, *flags: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    command = [sys.executable, "-m", "llmhls.cli", "compile", str(model), "-o", str(out), *flags]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _assert_identical(first: dict[str, bytes], second: dict[str, bytes]) -> None:
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_kernel_project_is_byte_identical_across_hash_seeds(tiny_pt2: Path, tmp_path: Path) -> None:
    flags = ("-O2", "--dump-ir")
    first = _compile_with_hash_seed(1, tiny_pt2, tmp_path / "a", *flags)
    second = _compile_with_hash_seed(2, tiny_pt2, tmp_path / "b", *flags)
    assert len(first) >= 10 and any(name.startswith("ir/") for name in first)
    _assert_identical(first, second)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["stages", "stream"])
def test_llm_project_is_byte_identical_across_hash_seeds(
    engine: str, sources: dict[str, Path], tmp_path: Path
) -> None:
    flags = ("--max-context", "16", "--prefill-chunk", "4", "--engine", engine)
    first = _compile_with_hash_seed(3, sources["gguf"], tmp_path / "a", *flags)
    second = _compile_with_hash_seed(11, sources["gguf"], tmp_path / "b", *flags)
    assert any(name.startswith("data/weights/") for name in first)
    _assert_identical(first, second)
