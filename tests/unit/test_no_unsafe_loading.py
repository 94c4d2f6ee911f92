"""No unsafe deserialisation anywhere in rag/ and ui/: no pickle (or its relatives), no
`torch.load`, no `allow_pickle=True`, no `trust_remote_code=True`, no `yaml.load` without a safe
loader. The scan reads the code's syntax tree (a comment or docstring saying "never pickle" is
fine); it is itself checked against a sample that breaks every rule."""
import ast
from pathlib import Path

from ..conftest import ROOT

UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "shelve", "marshal", "jsonpickle"}
UNSAFE_CALLS = {("torch", "load"), ("yaml", "unsafe_load"), ("yaml", "full_load")}
UNSAFE_TRUE_KEYWORDS = {"allow_pickle", "trust_remote_code"}


def violations(source: str, name: str = "<sample>") -> list[str]:
    out = []
    for node in ast.walk(ast.parse(source, name)):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            out += [f"{where} imports {a.name}" for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNSAFE_MODULES:
            out.append(f"{where} imports from {node.module}")
        elif isinstance(node, ast.ImportFrom) and node.module == "torch" and any(a.name == "load" for a in node.names):
            out.append(f"{where} imports torch.load")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in UNSAFE_CALLS:
                out.append(f"{where} calls {f.value.id}.{f.attr}")
            if (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) == ("yaml", "load")
                    and not any("Safe" in ast.unparse(a) for a in list(node.args[1:]) + [k.value for k in node.keywords])):
                out.append(f"{where} calls yaml.load without SafeLoader")
            for k in node.keywords:
                if k.arg in UNSAFE_TRUE_KEYWORDS and not (isinstance(k.value, ast.Constant) and k.value.value is False):
                    out.append(f"{where} passes {k.arg}={ast.unparse(k.value)}")
    return out


def test_the_scan_catches_every_rule():
    sample = """
import pickle, numpy as np
from joblib import load
from torch import load as tload
import torch, yaml
torch.load("m.pt")
np.load("x.npy", allow_pickle=True)
AutoModel.from_pretrained("x", trust_remote_code=True)
AutoModel.from_pretrained("x", trust_remote_code=flag)
yaml.load(text)
yaml.unsafe_load(text)
yaml.load(text, Loader=yaml.SafeLoader)
AutoModel.from_pretrained("x", trust_remote_code=False)
"""
    found = violations(sample)
    assert len(found) == 9, found  # the last two lines are safe


def test_rag_and_ui_hold_no_unsafe_deserialisation():
    files = sorted((ROOT / "rag").rglob("*.py")) + sorted((ROOT / "ui").rglob("*.py"))
    assert len(files) > 20
    found = [v for f in files for v in violations(f.read_text(encoding="utf-8"), str(f.relative_to(ROOT)))]
    assert found == []


def test_the_embedder_weights_are_safetensors_not_pickles():
    from rag.embedding import DEFAULT, resolve_embedder

    folder = Path(resolve_embedder(DEFAULT)[0])
    assert (folder / "model.safetensors").exists()
    assert not [p.name for p in folder.rglob("*") if p.suffix in {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt"}]
