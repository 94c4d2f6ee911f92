"""The prompt: the question and the passages' evidence, within the model's context window.

The system line, then one user message from prompts/answer.txt holding the numbered passages
(prompts/passage.txt: number, title, outlet and day, the focused text) and the question. Every
piece of article text is stripped of chat-template tokens. When it does not fit the context
(minus the answer's tokens), the lowest-ranked passages go first; one passage alone too long is
cut to the longest prefix that fits, by the generator's own token count.
"""
from __future__ import annotations

from typing import Callable, Sequence

from .chunking import chunk_meta
from .prompts import render, strip_special_tokens
from .settings import Settings
from .text import ABSTAIN_TEXT
from .types import Hit

PROMPT_MARGIN = 32  # tokens kept free for the chat template's own markup


def prompt_tokens(count_tokens: Callable[[str], int], messages: list[dict[str, str]]) -> int:
    return sum(count_tokens(m["content"]) + 4 for m in messages)


def passage_meta(hit: Hit) -> str:
    """The passage's outlet and day for the prompt ("Nation World News, February 2, 2023")."""
    return ", ".join(chunk_meta(hit.chunk)) or "undated"


def build_messages(s: Settings, count_tokens: Callable[[str], int], question: str, hits: Sequence[Hit],
                   texts: Sequence[str] | None = None) -> tuple[list[dict[str, str]], list[Hit]]:
    """Chat messages within the token budget, and the hits they hold; evidence is trimmed first
    (lowest rank first). `texts` are what the model sees of each hit (focused evidence); default
    the whole chunk."""
    texts = list(texts) if texts is not None else [h.chunk.text for h in hits]
    system = render(s.prompts_dir, "system")
    question = strip_special_tokens(question)
    used = list(hits)
    budget = s.n_ctx - s.max_answer_tokens - PROMPT_MARGIN

    def build(texts_: Sequence[str], question_: str = question) -> list[dict[str, str]]:
        passages = "\n\n".join(
            render(s.prompts_dir, "passage", number=i, title=strip_special_tokens(h.chunk.title),
                   meta=passage_meta(h), text=strip_special_tokens(t))
            for i, (h, t) in enumerate(zip(used, texts_), start=1)
        )
        user = render(s.prompts_dir, "answer", passages=passages, question=question_, decline=ABSTAIN_TEXT)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def longest(words: list[str], fits) -> int:
        lo, hi = 0, len(words)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
        return lo

    while True:
        messages = build(texts)
        if prompt_tokens(count_tokens, messages) <= budget:
            return messages, used
        if len(used) > 1:
            used = used[:-1]
            continue
        if not used:
            return messages, used
        # One passage alone overflows: keep the longest prefix of its words that fits (by the
        # generator's own token count), so the answer always has its max_answer_tokens. A
        # question so long that not even an empty passage fits is itself cut in the prompt.
        words = texts[0].split()
        n = longest(words, lambda m: prompt_tokens(count_tokens, build([" ".join(words[:m]) + " ..."])) <= budget)
        text = " ".join(words[:n]) + " ..."
        messages = build([text])
        if prompt_tokens(count_tokens, messages) > budget:
            qw = question.split()
            m = longest(qw, lambda m: prompt_tokens(count_tokens, build([text], " ".join(qw[:m]) + " ...")) <= budget)
            messages = build([text], " ".join(qw[:m]) + " ...")
        return messages, used

