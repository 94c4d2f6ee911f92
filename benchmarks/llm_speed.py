"""How fast the LLM reads a prompt and decodes, per weight type, thread count and attention kernel.

    python benchmarks/llm_speed.py [--rounds 3] [--prompt-tokens 520] [--out runs/llm_speed.json]

The default GGUF (SmolLM2-135M Q4_1) is converted to Q8_0, F16 and Q4_0 in a temporary folder
(rag.requantize), then every variant is timed in turn within each round (A B C ... A B C ...):
reading the same prompt (the start of the seed article, `--prompt-tokens` tokens) and decoding
48 tokens greedily. Medians over rounds, and each variant's ratio to the shipped file read with
one thread, the median of the per-round ratios. The variants' first replies to one question are
printed, to see what a conversion does to the text.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.generation import load_llama, resolve_llm  # noqa: E402
from rag.requantize import convert  # noqa: E402

DECODE = 48


def variants(folder: Path) -> dict[str, tuple[Path, int, int, bool]]:
    """name -> (file, decoding threads, prompt threads, flash attention)."""
    src = resolve_llm("default")
    files = {"Q4_1": src}
    for t in ("q8_0", "f16"):
        files[t.upper()] = folder / f"model.{t}.gguf"
        convert(src, files[t.upper()], t)
    import llama_cpp

    q40 = folder / "model.q4_0.gguf"
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype, params.allow_requantize = 2, True  # LLAMA_FTYPE_MOSTLY_Q4_0
    llama_cpp.llama_model_quantize(str(src).encode(), str(q40).encode(), params)
    files["Q4_0"] = q40
    out = {}
    for name, f in files.items():
        out[f"{name} 1/1 thread"] = (f, 1, 1, False)
        out[f"{name} 1/2 threads"] = (f, 1, 2, False)
    out["Q8_0 1/2 threads + flash attention"] = (files["Q8_0"], 1, 2, True)
    out["Q4_1 1/2 threads + flash attention"] = (src, 1, 2, True)
    return out


def time_one(llm, tokens: list[int]) -> tuple[float, float]:
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(tokens)
    prompt_tps = len(tokens) / (time.perf_counter() - t0)
    t1 = time.perf_counter()
    for _ in range(DECODE):
        llm.eval([llm.sample(temp=0)])
    return prompt_tps, DECODE / (time.perf_counter() - t1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--prompt-tokens", type=int, default=520)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    text = next((ROOT / "seeds").iterdir()).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        specs = variants(Path(tmp))
        models = {n: load_llama(f, n_ctx=2048, n_threads=t, n_threads_batch=tb, flash_attn=fa)
                  for n, (f, t, tb, fa) in specs.items()}
        tokens = next(iter(models.values())).tokenize(text.encode())[: args.prompt_tokens]
        runs: dict[str, list[tuple[float, float]]] = {n: [] for n in models}
        for _ in range(args.rounds):
            for n, llm in models.items():
                runs[n].append(time_one(llm, tokens))
        question = [{"role": "user", "content": text[:1500] + "\n\nWho led the US delegation? One sentence."}]
        replies = {n: llm.create_chat_completion(question, temperature=0, max_tokens=40)["choices"][0]["message"]["content"]
                   for n, llm in models.items() if n.endswith("1/2 threads + flash attention") or n.endswith("1/1 thread")}
    base = runs["Q4_1 1/1 thread"]
    rows = []
    for n, rs in runs.items():
        rows.append({"variant": n, "prompt_tps": statistics.median(r[0] for r in rs),
                     "decode_tps": statistics.median(r[1] for r in rs),
                     "prompt_ratio": statistics.median(r[0] / b[0] for r, b in zip(rs, base)),
                     "decode_ratio": statistics.median(r[1] / b[1] for r, b in zip(rs, base))})
    print(f"{len(tokens)} prompt tokens, {DECODE} decoded, {args.rounds} rounds interleaved; medians, ratios to Q4_1 on 1 thread\n")
    print("| variant (decode/prompt threads) | prompt tokens/s | decode tokens/s | prompt ratio | decode ratio |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['variant']} | {r['prompt_tps']:.0f} | {r['decode_tps']:.0f} | **{r['prompt_ratio']:.2f}** | **{r['decode_ratio']:.2f}** |")
    print()
    for n, reply in replies.items():
        print(f"- {n}: {reply.strip()!r}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"rows": rows, "replies": replies, "prompt_tokens": len(tokens)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
