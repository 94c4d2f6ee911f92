"""Which sentence-transformers folders the OpenVINO backend serves (the rest keep PyTorch)."""
import json

import pytest

from rag import embedding_openvino as ovb
from rag.embedding import resolve_backend
from rag.errors import ModelError


def st_folder(tmp_path, modules, pooling=None, weights=True, max_len=256):
    (tmp_path / "config.json").write_text("{}")
    if weights:
        (tmp_path / "model.safetensors").write_bytes(b"x")
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": max_len}))
    if pooling is not None:
        (tmp_path / "1_Pooling").mkdir()
        (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    return tmp_path


T = {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}
P = {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}
N = {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
D = {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}
MEAN = {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}
CLS = {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}


@pytest.mark.parametrize("modules, pooling, want", [
    ([T, P, N], MEAN, "mean"), ([T, P], CLS, "cls"),
    ([T, P, D], MEAN, None),  # a Dense head is not run here
    ([T, P], {"pooling_mode_max_tokens": True}, None),
    ([T, P], {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": True}, None),
])
def test_the_layouts_served(tmp_path, modules, pooling, want):
    layout = ovb.st_layout(st_folder(tmp_path, modules, pooling))
    assert (layout[1] if layout else None) == want
    if layout:
        assert layout[0] == tmp_path and layout[2] == 256


def test_a_folder_without_modules_or_weights_is_not_served(tmp_path):
    assert ovb.st_layout(tmp_path) is None
    assert ovb.st_layout(st_folder(tmp_path, [T, P, N], MEAN, weights=False)) is None
    assert not ovb.supports(tmp_path / "missing")


def test_auto_keeps_pytorch_for_a_model_openvino_does_not_serve(tmp_path):
    assert resolve_backend("auto", str(tmp_path)) == "torch"
    assert resolve_backend("torch", str(tmp_path)) == "torch"
    with pytest.raises(ModelError, match="'onnx'.*RAG_EMBED_BACKEND"):
        resolve_backend("onnx", str(tmp_path))


def test_asking_for_openvino_without_it_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(ovb, "available", lambda: False)
    assert resolve_backend("auto", str(st_folder(tmp_path, [T, P, N], MEAN))) == "torch"
    with pytest.raises(ModelError, match="pip install openvino.*RAG_EMBED_BACKEND=torch"):
        resolve_backend("openvino", str(tmp_path))


def test_the_converter_never_loads_its_telemetry():
    """OpenVINO's converter would report usage to Google Analytics; this project blocks the
    telemetry package, so the converter uses its no-op stub."""
    import sys

    from openvino.tools.ovc import convert_impl, telemetry_utils

    assert sys.modules.get("openvino_telemetry") is None
    assert convert_impl.tm.__name__ == telemetry_utils.tm.__name__ == "openvino.tools.ovc.telemetry_stub"
