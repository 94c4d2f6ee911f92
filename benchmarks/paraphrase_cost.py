"""What the paraphrase check costs per answer: the same questions answered with it on and off,
interleaved in one process (off on, on off, ...), paired per question.

    python benchmarks/paraphrase_cost.py QUESTIONS.jsonl --index DIR [--type inference_query] [--n 24] [--rounds 2]

Off means each model sentence is kept as the grounding check left it (rag.paraphrase not run).
Prints the median answer time of each side and the median of the per-question ratios on / off
(benchmarks/check_cost.py does the same for the checks that can be switched by name).
"""
from __future__ import annotations

import rag.model_answer as model_answer
from check_cost import arguments, paired, report
from rag.pipeline import get_pipeline


def main() -> None:
    a, qs = arguments(__doc__)
    pipe = get_pipeline(a.index)
    variants = {"on": model_answer.check_paraphrase,
                "off": lambda sentence, grounded, bank, question, quoted: grounded}
    report(f"paraphrase check ({a.type})",
           paired(pipe, qs, a.rounds, lambda v: setattr(model_answer, "check_paraphrase", variants[v])))


if __name__ == "__main__":
    main()
