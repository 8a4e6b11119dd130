"""Bad inputs, one test per class: each gives one `error:` line, a non-zero exit, no output.

The classes are issue 11's matrix: missing, empty, truncated and corrupt files of
each accepted format, pickles (never run without --trust, also inside a .pt2
archive), TorchScript, unsupported dtypes/ops/architectures, dynamic shapes,
bad option values, unusable output directories, an interrupted compile, bad
prompts and token ids, and a project edited by hand.
"""

from __future__ import annotations

import json
import pickle
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

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
    ],
    ids=["sample-inputs", "weight", "opaque-constant", "shape-expression", "graph-target"],
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
