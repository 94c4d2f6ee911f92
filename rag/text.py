"""The project's text rules, each defined once: the fixed wording of its replies, what a sentence,
a citation marker, a decline, a stop word and a shown date are. The pipeline that writes replies
and the evaluation that scores them (which must not import the pipeline) both read them here.

Only the standard library is imported at module level (blingfire is imported on first use), so
importing this module stays cheap.
"""
from __future__ import annotations

import re
from datetime import date, datetime

# ---------------------------------------------------------------------- the fixed replies

ABSTAIN_TEXT = "The articles don't say."
NOT_ANSWERED_TEXT = "The articles don't say: no passage found gives what the question asks for."

# ---------------------------------------------------------------------- citation markers

# "[1]" or "[1, 3]": the passage numbers an answer cites.
_NUMBERS = r"\d+(?:\s*,\s*\d+)*"
MARKER_PATTERN = rf"\[{_NUMBERS}\]"  # for building other patterns (no group)
MARKER = re.compile(rf"\[({_NUMBERS})\]")  # group 1: the numbers, "1, 3"
MARKER_RUN = re.compile(rf"((?:{MARKER_PATTERN})+)")  # adjacent markers, "[1][2]", as one


def markers(text: str) -> list[int]:
    """The passage numbers cited in `text`, in order of first appearance."""
    seen: dict[int, None] = {}
    for m in MARKER.finditer(text):
        for n in m.group(1).split(","):
            seen.setdefault(int(n), None)
    return list(seen)


# ---------------------------------------------------------------------- verbs of saying

# A speaker is their subject ("Mr. Ryabkov said", "Russia warned", "said Alicia Moreno"): read by
# the quote finder of "What did X say?" (rag.answering) and the parser's speaker test (rag.entities).
SAYING_VERBS = frozenset(
    "say says said saying tell tells told warn warns warned add adds added announce announces announced "
    "state states stated explain explains explained note notes noted write writes wrote argue argues argued "
    "claim claims claimed insist insists insisted ask asks asked reply replies replied comment comments "
    "commented urge urges urged predict predicts predicted promise promises promised reiterate reiterates "
    "reiterated acknowledge acknowledges acknowledged confirm confirms confirmed suggest suggests suggested "
    "testify testifies testified".split())

# ---------------------------------------------------------------------- sentences

# Chat-template control strings of the common GGUF templates (any GGUF can be configured):
# ChatML <|im_start|>, Llama 3 <|start_header_id|>, Phi <|end|>, Llama 2 [INST] <<SYS>> <s>,
# Gemma <start_of_turn> <bos>, Mistral [SYSTEM_PROMPT] [TOOL_CALLS], DeepSeek <｜User｜>.
# In article text they are never prose: they end a sentence, and never reach a prompt or a quote.
CONTROL_TOKENS = re.compile(
    r"<\|[^|<>]{1,40}\|>|<｜[^｜<>]{1,40}｜>|</?s>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>|<(?:bos|eos|pad|unk)>"
    r"|\[/?(?:SYSTEM_PROMPT|AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS)\]",
    re.IGNORECASE,
)
_PARAGRAPH = re.compile(r"\n\s*\n")
_SURROGATE = re.compile("[\ud800-\udfff]")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Char spans (start, end) of the sentences of `text` (blingfire), never crossing a blank
    line or a chat-control string (CONTROL_TOKENS). The rule for article text: it knows abbreviations ("U.S.", "Mr.") and quotes."""
    from blingfire import text_to_sentences_and_offsets

    spans: list[tuple[int, int]] = []
    pos = 0
    for m in list(_PARAGRAPH.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        # A control string ends a sentence (it stays in it, to be stripped wherever text is used).
        cuts = [pos]
        for c in CONTROL_TOKENS.finditer(text, pos, end):
            if CONTROL_TOKENS.sub("", text[cuts[-1]:c.start()]).strip():  # a run of them is one cut
                cuts.append(c.end())
        cuts.append(end)
        for a, b in zip(cuts, cuts[1:]):
            para = text[a:b]
            if not para.strip():
                continue
            # blingfire takes UTF-8: a lone surrogate becomes U+FFFD for it (same length, same offsets)
            _, offsets = text_to_sentences_and_offsets(_SURROGATE.sub("\ufffd", para))
            # blingfire skips some characters (control characters, for one); the sentences are
            # made to tile the paragraph so that no character of the text is lost.
            bounds = [0] + [e for _, e in offsets[:-1]] + [len(para)] if offsets else [0, len(para)]
            for s, e in zip(bounds, bounds[1:]):
                s, e = _trim(para, s, e)
                if e > s:
                    spans.append((a + s, a + e))
        pos = m.end() if m else len(text)
    return spans


def quotable(text: str) -> str:
    """Article text fit to quote in an answer: no chat-control strings, spacing collapsed."""
    return " ".join(CONTROL_TOKENS.sub(" ", text).split())


def in_quotes(text: str) -> str:
    """`text` between “ and ”; quotation marks inside become single ones (‘ ’), so a sentence that
    itself quotes someone reads “‘It is dangerous,’ he said.” and not “‘“It is dangerous,” he said.”.
    A text that is already one quotation keeps its own marks."""
    text = text.strip()
    inner = text[1:-1] if len(text) > 1 and text[0] in "“\"" and text[-1] in "”\"" else None
    if inner is not None and not re.search(r"[“”\"]", inner):
        return f"“{inner}”"
    text = re.sub(r"“|(?<![\w.,!?])\"", "‘", text)
    text = re.sub(r"”|\"", "’", text)
    return f"“{text}”"


def sentences(text: str) -> list[str]:
    """The sentences of an article's text (see `split_sentences`)."""
    return [text[s:e] for s, e in split_sentences(text)]


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


# The end of a sentence of the model's reply: ".", "!" or "?", the reply's own marker after it if
# any ("... led it. [1]"), and the whitespace after it. This differs from `split_sentences` on
# purpose: the reply is split while it streams in, token by token, and a sentence is let out only
# once the whitespace after its end has arrived; blingfire needs the whole text, and would move a
# boundary already shown as more text arrives. A reply is short plain prose, so this rule is the
# one used for it everywhere, streamed or whole.
ANSWER_SENTENCE_END = re.compile(rf"[.!?](?:\s*{MARKER_PATTERN})?[.!?]?\s+")


def answer_sentences(text: str) -> list[str]:
    """The sentences of a model reply (or of an answer text), split by `ANSWER_SENTENCE_END`;
    each keeps its marker. Joined with single spaces they give back the stripped text."""
    out, rest = [], text.strip()
    while m := ANSWER_SENTENCE_END.search(rest):
        out.append(rest[: m.end()].strip())
        rest = rest[m.end():]
    return out + ([rest] if rest else [])


# ---------------------------------------------------------------------- declines
#
# Two detectors, on purpose: they answer different questions and must not be merged.

# The pipeline's: does the model's reply OPEN by declining ("The articles don't say ...", "I don't
# know", "It is not mentioned")? Anchored at the start (a reply that answers and then adds "the
# articles don't say when" still answered), and worded for what a small model writes.
_MODEL_DECLINE = re.compile(
    r"^\W*(the )?(articles?|passages?|texts?|context)( provided)? (do(es)? not|don'?t|doesn'?t) "
    r"(say|mention|contain|provide|specify|state|include)|^\W*(there is )?no information|"
    r"^\W*i (do not|don'?t) know|^\W*(i )?(cannot|can'?t) (answer|find|determine)|^\W*(it is )?not mentioned",
    re.IGNORECASE,
)


def opens_with_decline(text: str) -> bool:
    """The model's reply (or sentence) opens by declining: the pipeline then withholds it."""
    return bool(_MODEL_DECLINE.search(text))


# The evaluation's: does an answer read as a decline ANYWHERE in it, unless it commits to a yes/no
# verdict first? This is a copy of the independent scorer's rule (ABSTAIN_RE and COMMITTED_RE in
# the peer score.py that tests/unit/eval/test_crosscheck.py runs): it must keep agreeing with that
# scorer phrase for phrase, so it is not adapted to the pipeline's detector above.
_SCORED_DECLINE = re.compile("|".join([
    r"\bi\s+(?:do\s+not|don't|dont)\s+know\b",
    r"\b(?:i\s+)?(?:cannot|can\s*not|can't|am\s+unable\s+to|are\s+unable\s+to|unable\s+to|could\s+not"
    r"|couldn't)\s+(?:answer|determine|find|tell|say|provide|confirm|verify|identify|be\s+determined"
    r"|be\s+answered)\b",
    r"\b(?:insufficient|not\s+enough|no\s+(?:relevant\s+|specific\s+|such\s+)?)\s*(?:information|info|data"
    r"|context|evidence|details)\b",
    r"\b(?:don't|do\s+not|does\s+not|doesn't|did\s+not|didn't)\s+have\s+(?:enough|sufficient|any|the)\s+"
    r"(?:information|data|details|context)\b",
    r"\b(?:context|passages?|documents?|articles?|text|sources?|information)\s+(?:provided\s+)?"
    r"(?:does\s+not|doesn't|do\s+not|don't|did\s+not|didn't)\s+(?:provide|contain|mention|include"
    r"|specify|state|say|give|discuss|cover|address|answer)\b",
    r"\b(?:is|are|was|were)\s+not\s+(?:mentioned|provided|specified|stated|given|available|included"
    r"|discussed)\s+in\s+the\s+(?:context|passages?|documents?|articles?|text|sources?|information)\b",
    r"\bthere\s+is\s+no\s+(?:mention|information|indication|record|data)\b",
    r"\bnot\s+possible\s+to\s+(?:answer|determine|say|tell)\b",
    r"\b(?:answer|this)\s+is\s+(?:unknown|not\s+known)\b",
]), re.IGNORECASE)
# "No, the article does not provide ..." commits to an answer: it is not an abstention.
_COMMITTED = re.compile(r"^\W*(?:yes|no)\s*[,.;:!]", re.IGNORECASE)


def reads_as_decline(answer: str) -> bool:
    """The answer declines ("The articles don't say.", "I cannot determine ...") rather than
    committing to a yes/no verdict first: how the evaluation (and the peer scorer) reads it."""
    text = (answer or "").replace("\u2019", "'").replace("\u2018", "'")
    return not _COMMITTED.match(text) and bool(_SCORED_DECLINE.search(text))


# ---------------------------------------------------------------------- content words

_WORD = re.compile(r"[a-z0-9]+")
# Words too common to tell passages apart when answers, questions and passages are compared word
# by word (citations, declines, claims, entities). Hand-made, and kept so: NLTK's English list (as
# bm25s ships it) with said/says/say/also/could/would added changed one answer of the 60-question
# dev check (accuracy 0.733 -> 0.750, citation precision 0.756 -> 0.750), as it also drops words
# such as "before", "after", "only" and "same"; scikit-learn's list is not a dependency and drops
# news words ("fire", "bill", "first"). BM25 tokenises with bm25s's default English list (33
# words, rag/retrieval.py): a separate rule for ranking, left as it is.
STOP_WORDS = frozenset(
    "a an the of to in on for and or but is are was were be been it its this that these those with as at by "
    "from has have had he she they them his her their we you i not no do does did what who which when where "
    "how why will would can could said says say about into over than then there so if also more most".split()
)


def stem(word: str) -> str:
    """A crude stem, enough to match "voted" with "vote" and "populations" with "population"."""
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    """The lower-cased words of `text` that carry content: no stop word, no single character."""
    return {w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS and len(w) > 1}


# ---------------------------------------------------------------------- dates


def format_date(value: str | None, *, day_first: bool = False) -> str:
    """An ISO 8601 date or datetime as people write it: 'November 27, 2023' (how questions name
    dates; used in chunk headers and prompts) or, with `day_first`, '27 November 2023' (the page).
    "" for no date; text that is not an ISO date is returned as it is."""
    if not value:
        return ""
    try:
        d: date = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            d = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{d.day} {d:%B} {d.year}" if day_first else f"{d:%B} {d.day}, {d.year}"
