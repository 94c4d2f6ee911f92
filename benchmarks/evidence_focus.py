"""Benchmark: focused evidence (the question's nearest sentences of each passage) against whole
passages, in one run, interleaved so machine noise hits both alike.

    python benchmarks/evidence_focus.py [--index DIR] [--questions FILE.jsonl] [--n 12] [--rounds 2]

Reports per variant the median prompt tokens, time to first token and total answer time, and
the ratios focused / whole. Both variants use the same retrieved passages.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.pipeline import get_pipeline  # noqa: E402
from rag.settings import Settings  # noqa: E402

SEED_QUESTIONS = [
    "Who led the US delegation at the Geneva talks?",
    "How many Russian troops were near the border?",
    "What did Ryabkov say about NATO?",
    "What did Sherman say about NATO's open-door policy?",
    "Which country did Russia and its allies send troops to?",
    "What sanctions did the US threaten?",
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path)
    ap.add_argument("--questions", type=Path, help="JSONL with a 'question' field (default: seed questions)")
    ap.add_argument("--n", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    qs = SEED_QUESTIONS
    if args.questions:
        qs = [json.loads(line)["question"] for line in args.questions.read_text().splitlines() if line.strip()]
    qs = qs[: args.n]
    base = Settings.from_env(index_dir=args.index)
    pipe = get_pipeline(settings=base)
    pipe.answer(qs[0])  # warm up: models loaded, caches built
    runs = {"focused": [], "whole": []}
    for _ in range(args.rounds):
        for q in qs:
            for name, ev in (("focused", base.evidence_sentences or 3), ("whole", 0)):
                pipe.settings = base.replace(evidence_sentences=ev)
                a = pipe.answer(q)
                if not a.abstained:
                    runs[name].append(a.timings)
    pipe.settings = base
    med = {n: {"prompt_tokens": statistics.median(t.prompt_tokens for t in ts),
               "ttft_s": statistics.median(t.ttft_s for t in ts),
               "total_s": statistics.median(t.total_s for t in ts), "answers": len(ts)}
           for n, ts in runs.items()}
    print(f"{'variant':10} {'answers':>7} {'prompt tok':>10} {'ttft s':>8} {'total s':>8}")
    for n, m in med.items():
        print(f"{n:10} {m['answers']:7d} {m['prompt_tokens']:10.0f} {m['ttft_s']:8.2f} {m['total_s']:8.2f}")
    f, w = med["focused"], med["whole"]
    print(f"ratios focused/whole: prompt tokens {f['prompt_tokens'] / w['prompt_tokens']:.2f}, "
          f"ttft {f['ttft_s'] / w['ttft_s']:.2f}, total {f['total_s'] / w['total_s']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
