"""What one answering check costs: the same questions answered with the check on and off,
interleaved in one process (off on, on off, ...), paired per question.

    python benchmarks/check_cost.py QUESTIONS.jsonl --index DIR --check attribution \
        [--type inference_query] [--n 24] [--rounds 2]

The checks are those of rag.pipeline.CHECKS; off means the pipeline runs every other check.
Prints, for each side, the median answer time and the median time to the answer's first words,
and the medians of the per-question ratios on / off. `paired` and `arguments` also serve
benchmarks/paraphrase_cost.py.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Callable

from rag.pipeline import CHECKS, get_pipeline


def arguments(doc: str, extra: Callable[[argparse.ArgumentParser], None] = lambda ap: None):
    """The benchmark's command line: the questions, the index, which type and how many."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("questions")
    ap.add_argument("--index", required=True)
    ap.add_argument("--type", default="inference_query", help="question type to take")
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--rounds", type=int, default=2)
    extra(ap)
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(a.questions, encoding="utf-8") if line.strip()]
    return a, [r["question"] for r in rows if r.get("type", a.type) == a.type][: a.n]


def paired(pipe, questions: list[str], rounds: int, use: Callable[[str], None]) -> dict[str, dict[str, list[float]]]:
    """Each question answered once per round with each variant ("on", "off"), the order
    alternating by round; `use(name)` switches the pipeline to a variant. Returns, per variant,
    the answer times ("total") and the times to the first words ("first"), in the same order."""
    pipe.answer(questions[0])  # loads the LLM, BM25 and the recogniser, untimed
    out = {v: {"total": [], "first": []} for v in ("on", "off")}
    for r in range(rounds):
        for q in questions:
            for name in ("off", "on") if r % 2 == 0 else ("on", "off"):
                use(name)
                t0 = time.perf_counter()
                ans = pipe.answer(q)
                out[name]["total"].append(time.perf_counter() - t0)
                out[name]["first"].append(ans.timings.ttft_s or out[name]["total"][-1])
    use("on")
    return out


def report(title: str, times: dict[str, dict[str, list[float]]]) -> None:
    med = statistics.median
    print(f"{title}, {len(times['on']['total'])} paired answers:")
    for label, key in (("answer time", "total"), ("first words", "first")):
        on, off = times["on"][key], times["off"][key]
        ratios = [x / y for x, y in zip(on, off) if y > 0]
        print(f"  {label}: median on {med(on):.3f} s, off {med(off):.3f} s, median ratio on/off {med(ratios):.2f}")


def main() -> None:
    a, qs = arguments(__doc__, lambda ap: ap.add_argument("--check", required=True, choices=CHECKS))
    pipe = get_pipeline(a.index)
    on = frozenset(pipe.checks) | {a.check}
    variants = {"on": on, "off": on - {a.check}}
    report(f"check {a.check!r} ({a.type})", paired(pipe, qs, a.rounds, lambda v: setattr(pipe, "checks", variants[v])))


if __name__ == "__main__":
    main()
