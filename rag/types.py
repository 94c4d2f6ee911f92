"""Frozen result types shared by every stage of the pipeline.

Results are typed objects, never loose tuples or dicts; `to_dict()` gives the JSON shape that
scripts and evaluators depend on (`rag ask --json`, `rag eval`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    source: str | None = None
    published_at: str | None = None  # ISO 8601 date or datetime
    url: str | None = None
    caption: str | None = None
    path: str | None = None  # the file it came from, when it came from a file


@dataclass(frozen=True)
class Chunk:
    """A slice of an article's text; `start`/`end` are char offsets into `Article.text`.

    The article's title, outlet, date and URL travel with the chunk so a hit can be cited
    without another lookup.
    """

    id: str
    article_id: str
    position: int
    text: str
    start: int
    end: int
    title: str = ""
    source: str | None = None
    published_at: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    # The dense (cosine) similarity of the question to the chunk, what `min_score` is compared
    # with. It need not fall as `rank` rises: the order comes from fusing the dense and BM25
    # rankings (hybrid mode) and from the selection that gives each outlet or date the question
    # names its best chunk and spreads the passages over articles (rag/retrieval.py). A chunk the
    # dense search did not reach (found by BM25 alone) or found outside retrieval (a passage
    # quoting the speaker a question asks about) has 0.0.
    score: float
    rank: int  # 1-based, the order the passages are given to the model

    @property
    def article_id(self) -> str:
        """The id of the article the chunk comes from (as in `Answer.to_dict()["hits"]`)."""
        return self.chunk.article_id


@dataclass(frozen=True)
class Citation:
    number: int  # the [n] marker in the answer text
    chunk_id: str
    article_id: str
    title: str
    published_at: str | None
    quote: str  # the cited passage
    highlight: str = ""  # the sentence of the passage that best supports the answer
    source: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Timings:
    # Embedding the question and searching; the models and the keyword index load before the
    # first question when the pipeline comes from `get_pipeline` or `Pipeline.load()`.
    retrieval_s: float = 0.0
    # From the start of the call to the answer's first words as streamed to the reader (an entity
    # lead comes before the model runs; held sentences come later than the model's first token).
    ttft_s: float | None = None
    generation_s: float = 0.0
    total_s: float = 0.0
    prompt_tokens: int = 0
    tokens: int = 0  # generated tokens
    tokens_per_s: float = 0.0  # decoding: tokens after the model's first / the time after it
    model_first_token_s: float | None = None  # from the start of the call (prompt read + 1 token)


@dataclass(frozen=True)
class ClaimVerdict:
    claim: str
    verdict: str  # "supported" | "contradicted" | "not_found"
    publication: str | None = None  # outlet of the article the claim was checked against
    article_id: str | None = None
    title: str = ""
    published_at: str | None = None
    sentence: str = ""  # the article's sentence closest to the claim
    similarity: float = 0.0
    coverage: float = 0.0
    hit: Hit | None = None  # the passage holding `sentence` (cited in the answer)
    citation: int | None = None  # its [n] in the answer

    def to_dict(self) -> dict:
        return {"claim": self.claim, "verdict": self.verdict, "publication": self.publication,
                "article_id": self.article_id, "title": self.title, "published_at": self.published_at,
                "sentence": self.sentence, "similarity": round(self.similarity, 4),
                "coverage": round(self.coverage, 4), "citation": self.citation}


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    timings: Timings = field(default_factory=Timings)
    search_query: str = ""  # what was actually searched for (differs for rewritten follow-ups)
    # Why it declined, machine-readable ("unknown_publication", "no_article_on_date",
    # "unknown_entity", "no_evidence", "claims_not_supported"); None when it answered.
    reason: str | None = None
    claims: tuple[ClaimVerdict, ...] = ()  # yes/no questions: each claim's verdict

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "search_query": self.search_query or self.question,
            "text": self.text,
            "abstained": self.abstained,
            "reason": self.reason,
            "claims": [c.to_dict() for c in self.claims],
            "citations": [asdict(c) for c in self.citations],
            "hits": [
                {
                    "rank": h.rank,
                    "score": round(h.score, 6),
                    "article_id": h.article_id,
                    "chunk_id": h.chunk.id,
                    "title": h.chunk.title,
                    "source": h.chunk.source,
                    "published_at": h.chunk.published_at,
                    "text": h.chunk.text,
                }
                for h in self.hits
            ],
            "timings": asdict(self.timings),
        }


@dataclass(frozen=True)
class Retrieved:
    """Streamed before any answer text when asked for (`Pipeline.stream(..., events=True)`): the
    passages found, so a page can show them while the answer is being written. The final
    `Answer` may order them differently (the passages it cites first)."""
    hits: tuple[Hit, ...]
    query: str
    retrieval_s: float


@dataclass(frozen=True)
class Rejection:
    """An input file or record that was not indexed, and why."""

    file: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"
