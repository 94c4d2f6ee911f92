"""Benchmark: entity candidates from the retrieved passages, without the LLM (and with it, to choose).

    python benchmarks/entity_candidates.py [--index DIR] [--questions FILE.jsonl] [--ks 4,6,8] [--llm]

For every question of type `inference_query` (gold: one entity), retrieves k passages with the
project's retrieval and reports:
- top-1 accuracy: the best candidate matches a gold answer (normalised containment either way:
  the gold in the candidate, as `rag eval` scores an answer, or the candidate in the gold);
  `strict` counts only the gold in the candidate (what an answer leading with it would score);
- top-3 recall: a gold among the three best;
- answer-type coverage: share of questions `answer_type` gives a type, and the types given;
- for the other question types, the share `answer_type` leaves at None (yes/no questions);
- with --llm: top-1 when the LLM chooses among the three best (grammar-limited), beside score alone.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.entities import answer_type, choose_with_llm, entity_candidates  # noqa: E402
from rag.eval.metrics import answer_correct  # noqa: E402


def matches(text: str, golds: list[str]) -> bool:
    return answer_correct(text, golds) or any(answer_correct(g, [text]) for g in golds)


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def retriever_for(index_dir: Path):
    from rag.embedding import SentenceTransformerEmbedder
    from rag.indexing import load_index
    from rag.retrieval import Retriever
    from rag.settings import Settings

    s = Settings.from_env(index_dir=index_dir)
    emb = SentenceTransformerEmbedder(s.embedder)
    idx = load_index(index_dir, emb.name)
    return Retriever(emb, idx, candidates=s.candidates, max_per_article=s.max_chunks_per_article,
                     mode=s.retrieval)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "index" / "eval-corpus")
    ap.add_argument("--questions", type=Path,
                    default=ROOT.parent / "shared" / "data" / "multihop_rag" / "questions_dev.jsonl")
    ap.add_argument("--ks", default="4,6,8")
    ap.add_argument("--llm", action="store_true", help="also let the LLM choose among the top 3 (k = first of --ks)")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--show", action="store_true", help="print each question's gold and top 3")
    args = ap.parse_args()
    qs = load(args.questions)
    inference = [q for q in qs if q["type"] == "inference_query"][: args.limit]
    ks = [int(k) for k in args.ks.split(",")]

    types = Counter(answer_type(q["question"]) for q in inference)
    print(f"answer-type coverage (inference): {sum(v for t, v in types.items() if t) / len(inference):.2f} "
          f"{dict(types)}")
    for kind in sorted({q["type"] for q in qs} - {"inference_query"}):
        group = [q for q in qs if q["type"] == kind]
        none = sum(answer_type(q["question"]) is None for q in group)
        print(f"answer_type None on {kind}: {none}/{len(group)}")

    retriever = retriever_for(args.index)
    vectors = {q["id"]: retriever.embedder.embed_query(q["question"]) for q in inference}  # one per question, every k
    generator = None
    for k in ks:
        top1 = strict = top3 = llm1 = 0
        t_ner, t_llm, rows = 0.0, 0.0, []
        for q in inference:
            hits = retriever.search_vector(vectors[q["id"]], k, q["question"])
            t0 = time.perf_counter()
            cands = entity_candidates(q["question"], hits, answer_type(q["question"]))
            t_ner += time.perf_counter() - t0
            best = cands[0].text if cands else ""
            top1 += matches(best, q["answers"])
            strict += answer_correct(best, q["answers"])
            top3 += any(matches(c.text, q["answers"]) for c in cands[:3])
            if args.llm and k == ks[0] and cands:
                if generator is None:
                    from rag.generation import LlamaCppGenerator

                    generator = LlamaCppGenerator()
                t0 = time.perf_counter()
                chosen = choose_with_llm(q["question"], cands[:3], generator)
                t_llm += time.perf_counter() - t0
                llm1 += matches(chosen.text, q["answers"])
                rows.append(chosen.text)
            if args.show and k == ks[0]:
                print(f"{q['answers']} | {answer_type(q['question'])} | "
                      + "; ".join(f"{c.text} ({c.label} {c.score:.2f})" for c in cands[:3])
                      + (f" | llm: {rows[-1]}" if rows else ""))
        n = len(inference)
        line = (f"k={k}: top-1 {top1 / n:.2f} (strict {strict / n:.2f}), top-3 {top3 / n:.2f}, "
                f"candidates {t_ner / n * 1000:.0f} ms/question")
        if args.llm and k == ks[0]:
            line += f"; LLM choice among top 3: top-1 {llm1 / n:.2f}, {t_llm / n:.2f} s/question"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
