"""Tests for the model frontend: loading .pt2/.py models and one-line errors for the rest."""

from __future__ import annotations

import io
import os
import pickle
import random
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from llmhls.compiler.frontend import (
    DEFAULT_INT_BOUND,
    LoadedModel,
    export_module,
    generate_example_inputs,
    load_model,
    sanitize_name,
)
from llmhls.errors import InputError

# --------------------------------------------------------------------------- tiny models


class TinyLinear(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.fc(x))


class TinyEmbedding(torch.nn.Module):
    """Token ids reach the embedding through a view, like flattened input_ids."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = torch.nn.Embedding(5, 8)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.emb(ids.view(-1))


class MixedInputs(torch.nn.Module):
    """A float, a bool mask, an integer that indexes nothing, and index_select indices."""

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor, flag: torch.Tensor, idx: torch.Tensor
    ) -> torch.Tensor:
        return torch.where(mask, x, x * flag).index_select(0, idx)


class KwargInput(torch.nn.Module):
    def forward(self, x: torch.Tensor, *, y: torch.Tensor) -> torch.Tensor:
        return x * 2 + y


class ListInput(torch.nn.Module):
    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return xs[0] - xs[1]


class IntArg(torch.nn.Module):
    def forward(self, x: torch.Tensor, n: int) -> torch.Tensor:
        return x * n


class NoneOutput(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        return x + 1, None


class DataDependent(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return x + 1
        return x - 1


class Holder:
    """A non-module object whose unpickling would create a directory (must never run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.mkdir, (str(self.marker),))


def _save_program(
    module: torch.nn.Module,
    args: tuple,
    path: Path,
    kwargs: dict | None = None,
    keep_inputs: bool = True,
    **export_kwargs: object,
) -> Path:
    """torch.export + torch.export.save, via a buffer so any file name works."""
    program = torch.export.export(module.eval(), args, kwargs, **export_kwargs)
    if not keep_inputs:
        program.example_inputs = None
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    path.write_bytes(buffer.getvalue())
    return path


def _error(call: Callable[[], object]) -> str:
    """Run `call`, expecting a one-line InputError; return its message."""
    with pytest.raises(InputError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message, message
    return message


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Exported archives shared by the tests (exporting is the slow part)."""
    folder = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    return {
        "linear": _save_program(TinyLinear(), (torch.randn(2, 4),), folder / "linear.pt2"),
        "linear_pt": _save_program(TinyLinear(), (torch.randn(2, 4),), folder / "weird.pt"),
        "embedding": _save_program(
            TinyEmbedding(),
            (torch.zeros(4, 64, dtype=torch.int64),),
            folder / "embed.pt2",
            keep_inputs=False,
        ),
        "mixed": _save_program(
            MixedInputs(),
            (
                torch.randn(7, 3),
                torch.ones(7, 3, dtype=torch.bool),
                torch.ones(7, 3, dtype=torch.int64),
                torch.zeros(64, dtype=torch.int64),
            ),
            folder / "mixed.pt2",
            keep_inputs=False,
        ),
    }


# --------------------------------------------------------------------------- loading programs


def test_load_pt2_keeps_stored_inputs_and_runs(files: dict[str, Path]) -> None:
    loaded = load_model(files["linear"])
    assert isinstance(loaded, LoadedModel)
    assert loaded.name == "linear"
    assert loaded.source == files["linear"]
    assert loaded.input_names == ["x"]
    stored_args, _ = loaded.program.example_inputs
    assert len(loaded.example_inputs) == 1
    assert torch.equal(loaded.example_inputs[0], stored_args[0])
    out = loaded.program.module()(*loaded.example_inputs)
    assert out.shape == (2, 3)
    assert torch.equal(loaded.run()[0], out)
    # Not decomposed: the exported linear op is still there.
    targets = {str(n.target) for n in loaded.program.graph.nodes if n.op == "call_function"}
    assert "aten.linear.default" in targets


def test_load_archive_with_other_extension(files: dict[str, Path]) -> None:
    loaded = load_model(files["linear_pt"])
    assert loaded.name == "weird"
    assert loaded.example_inputs[0].shape == (2, 4)


def test_embedding_input_bounded_by_num_embeddings(files: dict[str, Path]) -> None:
    loaded = load_model(files["embedding"])
    (ids,) = loaded.example_inputs
    assert ids.dtype == torch.int64 and ids.shape == (4, 64)
    # 256 draws from [0, 5): all five ids appear, and none beyond the table.
    assert sorted(ids.unique().tolist()) == [0, 1, 2, 3, 4]
    assert loaded.program.module()(*loaded.example_inputs).shape == (256, 8)


def test_generated_inputs_per_dtype(files: dict[str, Path]) -> None:
    loaded = load_model(files["mixed"])
    assert loaded.input_names == ["x", "mask", "flag", "idx"]
    x, mask, flag, idx = loaded.example_inputs
    assert x.dtype == torch.float32 and x.shape == (7, 3)
    assert x.std() > 0.3
    assert mask.dtype == torch.bool and set(mask.flatten().tolist()) == {False, True}
    assert flag.dtype == torch.int64
    assert set(flag.flatten().tolist()) == set(range(DEFAULT_INT_BOUND))
    assert int(idx.min()) >= 0 and int(idx.max()) == 6  # bound = x.shape[0] = 7
    assert loaded.run()[0].shape == (64, 3)


def test_generated_inputs_are_deterministic(files: dict[str, Path]) -> None:
    program = load_model(files["mixed"]).program
    first = generate_example_inputs(program, seed=0)
    again = generate_example_inputs(program, seed=0)
    other = generate_example_inputs(program, seed=1)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not torch.equal(first[0], other[0])
    seeded = load_model(files["mixed"], seed=1).example_inputs
    assert all(torch.equal(a, b) for a, b in zip(seeded, other, strict=True))


def test_keyword_inputs_flattened_in_signature_order(tmp_path: Path) -> None:
    x, y = torch.randn(3), torch.randn(3)
    path = _save_program(KwargInput(), (x,), tmp_path / "kw.pt2", kwargs={"y": y})
    loaded = load_model(path)
    assert loaded.input_names == ["x", "y"]
    assert torch.equal(loaded.example_inputs[0], x)
    assert torch.equal(loaded.example_inputs[1], y)
    args, kwargs = loaded.call_args()
    assert len(args) == 1 and set(kwargs) == {"y"}
    torch.testing.assert_close(loaded.run()[0], x * 2 + y)


def test_nested_list_input_runs_from_flat_inputs(tmp_path: Path) -> None:
    a, b = torch.randn(2), torch.randn(2)
    loaded = load_model(_save_program(ListInput(), ([a, b],), tmp_path / "lst.pt2"))
    assert loaded.input_names == ["xs_0", "xs_1"]
    torch.testing.assert_close(loaded.run()[0], a - b)
    msg = _error(lambda: loaded.call_args((a,)))
    assert "takes 2 inputs" in msg


def test_dynamic_shapes_rejected(tmp_path: Path) -> None:
    path = _save_program(
        TinyLinear(),
        (torch.randn(4, 4),),
        tmp_path / "dyn.pt2",
        dynamic_shapes={"x": {0: torch.export.Dim("batch")}},
    )
    msg = _error(lambda: load_model(path))
    assert "'x'" in msg and "static shapes" in msg and "dynamic_shapes" in msg


def test_non_tensor_input_rejected(tmp_path: Path) -> None:
    path = _save_program(IntArg(), (torch.randn(2), 3), tmp_path / "intarg.pt2")
    msg = _error(lambda: load_model(path))
    assert "'n'" in msg and "not a tensor" in msg and "intarg.pt2" in msg


def test_non_tensor_output_rejected(tmp_path: Path) -> None:
    path = _save_program(NoneOutput(), (torch.randn(2),), tmp_path / "noneout.pt2")
    msg = _error(lambda: load_model(path))
    assert "output #1" in msg and "None" in msg
    msg = _error(lambda: export_module(NoneOutput(), (torch.randn(2),), "noneout"))
    assert msg.startswith("model 'noneout': model output #1 is not a tensor")


def test_name_is_sanitized(files: dict[str, Path], tmp_path: Path) -> None:
    odd = tmp_path / "my-model.v2.pt2"
    odd.write_bytes(files["linear"].read_bytes())
    assert load_model(odd).name == "my_model_v2"
    assert sanitize_name("2layer") == "model_2layer"
    assert sanitize_name("int") == "int_model"
    assert sanitize_name("") == "model_"
    assert sanitize_name("gpt_2") == "gpt_2"


# --------------------------------------------------------------------------- export_module


def test_export_module_single_tensor_and_runs() -> None:
    torch.manual_seed(0)
    module = TinyLinear()
    x = torch.randn(2, 4)
    loaded = export_module(module, x, "tiny net")
    assert loaded.name == "tiny_net"
    assert loaded.input_names == ["x"]
    assert torch.equal(loaded.example_inputs[0], x)
    torch.testing.assert_close(loaded.run()[0], module(x))
    assert not module.training


def test_export_module_failure_is_one_line(capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    msg = _error(lambda: export_module(DataDependent(), (torch.randn(3),), "branchy"))
    assert msg.startswith("model 'branchy': torch.export failed: ")
    assert "data-dependent" in msg
    captured = capfd.readouterr()
    assert "def forward" not in captured.err and "Unable to find" not in captured.err


def test_export_module_bad_arguments() -> None:
    msg = _error(lambda: export_module(lambda x: x, (torch.randn(1),), "fn"))  # type: ignore[arg-type]
    assert "expected a torch.nn.Module, got function" in msg
    msg = _error(lambda: export_module(TinyLinear(), ([1.0, 2.0],), "lin"))
    assert msg == (
        "model 'lin': example input #0 is a list, not a tensor (llmhls compiles tensor inputs only)"
    )
    msg = _error(lambda: export_module(TinyLinear(), {"x": torch.ones(4)}, "lin"))  # type: ignore[arg-type]
    assert msg == "model 'lin': example inputs must be a tensor or a tuple of tensors, got dict"


# --------------------------------------------------------------------------- trusted .py files


def _write_py(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


_PY_HEADER = "import torch\n\n"


def test_python_file_needs_trust(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = _write_py(tmp_path, "m.py", f"open({str(marker)!r}, 'w').close()\n")
    msg = _error(lambda: load_model(path))
    assert "Python code" in msg and "--trust" in msg
    assert not marker.exists()


def test_python_file_with_trust(tmp_path: Path) -> None:
    path = _write_py(
        tmp_path,
        "py-model.py",
        _PY_HEADER + "def build_model():\n"
        "    torch.manual_seed(0)\n"
        "    return torch.nn.Linear(4, 2), (torch.ones(3, 4),)\n",
    )
    loaded = load_model(path, trust=True)
    assert loaded.name == "py_model"
    assert loaded.source == path
    assert torch.equal(loaded.example_inputs[0], torch.ones(3, 4))
    assert loaded.program.module()(*loaded.example_inputs).shape == (3, 2)


def test_python_file_single_tensor_and_sibling_import(tmp_path: Path) -> None:
    (tmp_path / "llmhls_test_sibling_layers.py").write_text(
        _PY_HEADER + "def make():\n    return torch.nn.Tanh()\n"
    )
    path = _write_py(
        tmp_path,
        "single.py",
        _PY_HEADER + "import llmhls_test_sibling_layers as layers\n\n"
        "def build_model():\n"
        "    return layers.make(), torch.zeros(5)\n",
    )
    loaded = load_model(path, trust=True)
    assert len(loaded.example_inputs) == 1
    assert loaded.run()[0].shape == (5,)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "def build_model():\n    raise ValueError('boom')\n",
            "build_model() raised ValueError: boom",
        ),
        ("raise RuntimeError('at import')\n", "running the file raised RuntimeError: at import"),
        (
            "x = 1\n",
            "defines no build_model() function returning (module, example_inputs)",
        ),
        (
            "def build_model():\n    return 3\n",
            "build_model() must return (module, example_inputs), got int",
        ),
        (
            "def build_model():\n    return torch.nn.ReLU(), ('a',)\n",
            "example input #0 is a str, not a tensor (llmhls compiles tensor inputs only)",
        ),
    ],
)
def test_python_file_errors(tmp_path: Path, body: str, expected: str) -> None:
    path = _write_py(tmp_path, "bad.py", _PY_HEADER + body)
    msg = _error(lambda: load_model(path, trust=True))
    assert msg in (f"'{path}': {expected}", f"'{path}' {expected}")


def test_python_file_export_failure(tmp_path: Path) -> None:
    path = _write_py(
        tmp_path,
        "branchy.py",
        _PY_HEADER + "class M(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x + 1 if x.sum() > 0 else x - 1\n\n"
        "def build_model():\n"
        "    return M(), (torch.randn(3),)\n",
    )
    msg = _error(lambda: load_model(path, trust=True))
    assert msg.startswith(f"'{path}': torch.export failed: ")


# --------------------------------------------------------------------------- other files


def test_missing_file(tmp_path: Path) -> None:
    msg = _error(lambda: load_model(tmp_path / "x.pt2"))
    assert msg == f"model file '{tmp_path / 'x.pt2'}' does not exist"


def test_directory(tmp_path: Path) -> None:
    msg = _error(lambda: load_model(tmp_path))
    assert "is a directory but not a Hugging Face model folder" in msg and "config.json" in msg


@pytest.mark.parametrize(
    "save",
    [
        lambda m, p: torch.save(m, p),
        lambda m, p: torch.save(m, p, pickle_protocol=4),
        lambda m, p: torch.save(m, p, _use_new_zipfile_serialization=False),
        lambda m, p: p.write_bytes(pickle.dumps(m)),
    ],
    ids=["zip", "protocol4", "legacy", "plain_pickle"],
)
def test_pickled_module(tmp_path: Path, save: Callable[[object, Path], object]) -> None:
    path = tmp_path / "m.pt"
    save(TinyLinear(), path)
    msg = _error(lambda: load_model(path))
    assert msg == (
        f"'{path}' is a pickled nn.Module (TinyLinear), not an ExportedProgram: export it with "
        "torch.export.save(torch.export.export(model, example_inputs), 'model.pt2')"
    )


class Wrapper(torch.nn.Module):
    """Its submodule attribute is named like the legacy format's 'module' marker."""

    def __init__(self) -> None:
        super().__init__()
        self.module = TinyLinear()


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_pickled_wrapper_names_outer_class(tmp_path: Path, zip_format: bool) -> None:
    path = tmp_path / "wrap.pt"
    torch.save(Wrapper(), path, _use_new_zipfile_serialization=zip_format)
    assert "is a pickled nn.Module (Wrapper)," in _error(lambda: load_model(path))


def test_pickled_torch_module_class(tmp_path: Path) -> None:
    path = tmp_path / "lin.pt"
    torch.save(torch.nn.Linear(2, 2), path)
    assert "pickled nn.Module (Linear)" in _error(lambda: load_model(path))


def test_dict_holding_module(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.pt"
    torch.save({"model": TinyLinear(), "epoch": 3}, path)
    msg = _error(lambda: load_model(path))
    assert "pickled dict holding an nn.Module (TinyLinear)" in msg


@pytest.mark.parametrize(
    ("obj", "count"),
    [
        (TinyLinear().state_dict(), "2 tensors"),
        ({"state": TinyLinear().state_dict(), "epoch": 3, "extra": torch.zeros(1)}, "3 tensors"),
        (torch.zeros(3), "1 tensor)"),
    ],
    ids=["state_dict", "checkpoint", "tensor"],
)
def test_weights_only(tmp_path: Path, obj: object, count: str) -> None:
    path = tmp_path / "w.pt"
    torch.save(obj, path)
    msg = _error(lambda: load_model(path))
    assert "holds only weights" in msg and count in msg and "torch.export" in msg


def test_pickle_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "was_unpickled"
    path = tmp_path / "evil.pt"
    torch.save(Holder(marker), path)
    msg = _error(lambda: load_model(path))
    assert "is a pickled" in msg and "mkdir" in msg
    assert not marker.exists()


def test_other_pickle(tmp_path: Path) -> None:
    path = tmp_path / "cfg.pkl"
    path.write_bytes(pickle.dumps({"hidden": 4}))
    assert "is a pickled dict object, not an ExportedProgram" in _error(lambda: load_model(path))


def test_torchscript(tmp_path: Path) -> None:
    path = tmp_path / "ts.pt"
    torch.jit.script(torch.nn.Linear(2, 2)).save(str(path))
    msg = _error(lambda: load_model(path))
    assert "TorchScript" in msg and "torch.export.save(" in msg


def _not_a_model(path: Path) -> None:
    msg = _error(lambda: load_model(path))
    assert "not a PyTorch model file (expected a torch.export .pt2 archive)" in msg
    assert str(path) in msg


def test_random_text_empty_and_zip(tmp_path: Path) -> None:
    rng = random.Random(0)
    (tmp_path / "f.bin").write_bytes(rng.randbytes(512))
    (tmp_path / "p.bin").write_bytes(b"\x80\x02" + rng.randbytes(64))  # looks like a pickle
    (tmp_path / "notes.txt").write_text("not a model\n")
    (tmp_path / "empty.pt2").write_bytes(b"")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")
    for name in ["f.bin", "p.bin", "notes.txt", "empty.pt2", "other.zip"]:
        _not_a_model(tmp_path / name)
    assert _error(lambda: load_model(tmp_path / "f.bin")) == (
        f"'{tmp_path / 'f.bin'}' is not a PyTorch model file (expected a torch.export .pt2 archive)"
    )


def test_weight_formats(tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + struct.pack("<I", 3) + bytes(64))
    assert "GGUF" in _error(lambda: load_model(gguf))
    header = b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
    safetensors = tmp_path / "model.safetensors"
    safetensors.write_bytes(struct.pack("<Q", len(header)) + header + bytes(4))
    msg = _error(lambda: load_model(safetensors))
    assert "safetensors" in msg and "only weights" in msg


def test_pt2_archive_without_program(tmp_path: Path) -> None:
    path = tmp_path / "aoti.pt2"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("aoti/archive_format", "pt2")
        archive.writestr("aoti/data/aotinductor/model/model.so", b"\0")
    assert "PT2 archive without an ExportedProgram" in _error(lambda: load_model(path))


def test_corrupt_pt2(files: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "broken.pt2"
    with (
        zipfile.ZipFile(files["linear"]) as source,
        zipfile.ZipFile(path, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("models/model.json"):
                data = b"{not json"
            target.writestr(item, data)
    msg = _error(lambda: load_model(path))
    assert "torch.export archive" in msg and "cannot load" in msg


def test_pt2_missing_weights_reports_cause_quietly(
    files: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "noweights.pt2"
    with (
        zipfile.ZipFile(files["linear"]) as source,
        zipfile.ZipFile(path, "w") as target,
    ):
        for item in source.infolist():
            if "data/weights/weight_" not in item.filename:
                target.writestr(item, source.read(item))
    capfd.readouterr()
    msg = _error(lambda: load_model(path))
    assert "cannot load (RuntimeError: " in msg and "weight_0" in msg
    assert "warnings above" not in msg
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out
