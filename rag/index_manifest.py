"""What a generation's manifest.json records (format, embedder, chunking, counts, dates, outlets,
package versions), and the checks that an index may be read or updated with the current settings.

Vectors from another embedder, or chunks cut another way, would silently mix two incompatible
indexes: every such mismatch is refused with the command that fixes it.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from .chunking import HEADER_TOKEN_ALLOWANCE
from .embedding import Embedder
from .errors import IndexMismatchError, SettingsError
from .generations import rebuild_hint
from .settings import Settings

FORMAT = 1
SPLITTER = "blingfire-sentences/v1"
HEADER = "title|source|date/v1"


def chunking_settings(settings: Settings, embedder: Embedder) -> dict:
    """The chunking an index records (an update must use the same); a chunk size that leaves no
    room for the header within the embedder's limit is refused."""
    if settings.chunk_tokens + HEADER_TOKEN_ALLOWANCE > embedder.max_tokens:
        raise SettingsError(
            f"chunk_tokens={settings.chunk_tokens} plus a {HEADER_TOKEN_ALLOWANCE}-token header exceeds "
            f"the embedder's max_seq_length {embedder.max_tokens}: lower RAG_CHUNK_TOKENS"
        )
    return {"chunk_tokens": settings.chunk_tokens, "chunk_overlap": settings.chunk_overlap,
            "splitter": SPLITTER, "header": HEADER}


def check_readable(manifest: dict, index_dir: Path, embedder_name: str | None) -> None:
    """This version reads the index's format, and (when named) the index was built with this embedder."""
    if manifest.get("format") != FORMAT:
        raise IndexMismatchError(
            f"{index_dir} has index format {manifest.get('format')}, this version reads {FORMAT}: "
            f"{rebuild_hint(index_dir)}"
        )
    if embedder_name is not None and manifest["embedder"]["name"] != embedder_name:
        raise IndexMismatchError(_embedder_mismatch(index_dir, manifest["embedder"], embedder_name))


def check_compatible(manifest: dict, embedder: Embedder, chunking: dict, index_dir: Path) -> None:
    """An update adds vectors to the old ones: same embedder (and dimension), same chunking."""
    if manifest["embedder"]["name"] != embedder.name or manifest["embedder"]["dim"] != embedder.dim:
        raise IndexMismatchError(_embedder_mismatch(index_dir, manifest["embedder"], embedder.name))
    if manifest["chunking"] != chunking:
        raise IndexMismatchError(
            f"index {index_dir} was built with chunking {manifest['chunking']}, settings ask for {chunking}: "
            f"{rebuild_hint(index_dir)}"
        )


def _embedder_mismatch(index_dir: Path, built: dict, asked: str) -> str:
    """The message for an index whose vectors came from another embedder, or the same model run
    another way (backend or precision: its name carries `@bf16`, `@openvino-bf16`, rag/embedding.py)."""
    from .embedding import variant_of

    model, backend, precision = variant_of(built["name"])
    asked_model, asked_backend, asked_precision = variant_of(asked)
    precision = built.get("precision") or precision
    if model == asked_model and backend == asked_backend and precision != asked_precision:
        return (f"index {index_dir} was built with embedder precision {precision}, settings ask for "
                f"{asked_precision}: set RAG_EMBED_PRECISION={precision} (or auto) or {rebuild_hint(index_dir)}")
    if model == asked_model:
        return (f"index {index_dir} was built with the embedder on {backend} {precision}, settings ask for "
                f"{asked_backend} {asked_precision}: set RAG_EMBED_BACKEND={backend} and "
                f"RAG_EMBED_PRECISION={precision} (or both auto) or {rebuild_hint(index_dir)}")
    return (f"index {index_dir} was built with embedder {built['name']!r}, settings ask for {asked!r}: "
            f"{rebuild_hint(index_dir)} or set RAG_EMBEDDER to match")


def build_manifest(embedder: Embedder, chunking: dict, articles: list, chunks: list) -> dict:
    """The manifest of a new generation (the generation store adds its name, store and checksums)."""
    dates = sorted(a.published_at[:10] for a in articles if a.published_at)
    return {
        "format": FORMAT,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "embedder": {"name": embedder.name, "dim": embedder.dim, "max_tokens": embedder.max_tokens,
                     "precision": getattr(embedder, "precision", "fp32")},
        "chunking": chunking,
        "counts": {"articles": len(articles), "chunks": len(chunks)},
        "date_range": [dates[0], dates[-1]] if dates else None,
        "sources": sorted({a.source for a in articles if a.source}),
        "versions": _versions(),
    }


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("newsqa", "faiss-cpu", "sentence-transformers", "blingfire"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out
