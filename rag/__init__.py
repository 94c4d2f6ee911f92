"""newsqa: offline question answering over news articles, with citations."""
from .errors import RagError
from .pipeline import ABSTAIN_TEXT, Pipeline, answer, get_pipeline
from .settings import Settings
from .types import Answer, Article, Chunk, Citation, ClaimVerdict, Hit, Rejection, Retrieved, Timings

__all__ = [
    "ABSTAIN_TEXT", "Answer", "Article", "Chunk", "Citation", "ClaimVerdict", "Hit", "Pipeline", "RagError",
    "Rejection", "Retrieved", "Settings", "Timings", "answer", "get_pipeline",
]
