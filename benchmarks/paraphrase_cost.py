"""What the paraphrase check costs per answer: the same questions answered with it on and off,
interleaved in one process (off on, on off, ...), paired per question.

    python benchmarks/paraphrase_cost.py QUESTIONS.jsonl --index DIR [--type inference_query] [--n 24] [--rounds 2]

Off means each model sentence is kept as the grounding check left it (rag.paraphrase not run).
Prints the median answer time of each side and the median of the per-question ratios on / off.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import rag.model_answer as model_answer
from rag.pipeline import get_pipeline


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("questions")
    ap.add_argument("--index", required=True)
    ap.add_argument("--type", default="inference_query", help="question type to take (answered by the model)")
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(a.questions, encoding="utf-8") if line.strip()]
    qs = [r["question"] for r in rows if r.get("type", a.type) == a.type][: a.n]
    pipe = get_pipeline(a.index)
    variants = {"on": model_answer.check_paraphrase,
                "off": lambda sentence, grounded, bank, question, quoted: grounded}
    pipe.answer(qs[0])  # loads the LLM, BM25 and the recogniser, untimed
    times: dict[str, list[float]] = {"on": [], "off": []}
    for r in range(a.rounds):
        for q in qs:
            for name in ("off", "on") if r % 2 == 0 else ("on", "off"):
                model_answer.check_paraphrase = variants[name]
                t0 = time.perf_counter()
                pipe.answer(q)
                times[name].append(time.perf_counter() - t0)
    model_answer.check_paraphrase = variants["on"]
    ratios = [x / y for x, y in zip(times["on"], times["off"])]
    print(f"{len(ratios)} paired answers: median on {statistics.median(times['on']):.3f} s, "
          f"off {statistics.median(times['off']):.3f} s, median ratio on/off {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
