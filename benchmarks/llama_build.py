"""Portable vs native llama.cpp builds: prompt reading and decoding speed, in one run.

    python benchmarks/llama_build.py --wheel portable=PATH.whl --wheel native=PATH.whl \
        [--rounds 5] [--out docs/llama_build.json]

Each wheel is unpacked into its own folder and imported from there by a child process, so the
builds never mix in one process. Every round runs each variant once (A B C A B C ...), with
llama.cpp's extra buffer types on and off, and the table gives per-variant medians and the ratio
to the first variant. Wheels come from `NEWSQA_WHEEL_INSTALL=0 scripts/llama_wheel.sh PIP
VERSION "FLAGS"`, which builds (once) and prints the wheel's path without installing it.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROMPT = ("The city council met on Tuesday to discuss the new bridge over the river, which the mayor "
          "said would cost 340 million dollars and take four years to build. ") * 24  # ~600 tokens

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import llama_cpp
from rag.generation import load_llama
model, extra, threads, prompt = sys.argv[2], sys.argv[3] == "on", int(sys.argv[4]), sys.argv[5]
llm = load_llama(model, n_ctx=2048, n_threads=threads, extra_buffers=extra)
assert llama_cpp.__file__.startswith(sys.argv[1]), llama_cpp.__file__
tokens = llm.tokenize(prompt.encode())
pp = []
for _ in range(3):
    llm.reset()
    t0 = time.perf_counter(); llm.eval(tokens); pp.append(len(tokens) / (time.perf_counter() - t0))
llm.reset()
llm.eval(tokens[:64])
t0 = time.perf_counter(); n = 0
for tok in llm.generate(tokens[:64], temp=0.0, top_k=1, reset=False):
    n += 1
    if n == 64:
        break
decode = n / (time.perf_counter() - t0)
print(json.dumps({"prompt_tokens": len(tokens), "pp_tok_s": max(pp), "decode_tok_s": decode,
                  "system_info": llama_cpp.llama_print_system_info().decode()}))
"""


def unpack(wheel: Path, into: Path) -> Path:
    with zipfile.ZipFile(wheel) as z:
        z.extractall(into)
    return into


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--wheel", action="append", required=True, metavar="NAME=PATH")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    from rag.generation import resolve_llm

    model = str(resolve_llm("default"))
    tmp = Path(tempfile.mkdtemp(prefix="llama-builds-"))
    builds = {}
    for spec in args.wheel:
        name, path = spec.split("=", 1)
        builds[name] = unpack(Path(path), tmp / name)
    variants = [(name, extra) for name in builds for extra in ("on", "off")]
    runs: dict[str, list[dict]] = {f"{n} (extra buffers {e})": [] for n, e in variants}
    for r in range(args.rounds):
        for name, extra in variants:
            out = subprocess.run([sys.executable, "-c", CHILD, str(builds[name]), model, extra, str(args.threads),
                                  PROMPT], capture_output=True, text=True, cwd=ROOT)
            key = f"{name} (extra buffers {extra})"
            if out.returncode != 0:
                runs[key].append({"error": f"exit {out.returncode}: {out.stderr.strip().splitlines()[-1:]}"})
            else:
                runs[key].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"round {r + 1} {key}: {runs[key][-1].get('pp_tok_s', 0):.0f} pp tok/s, "
                  f"{runs[key][-1].get('decode_tok_s', 0):.0f} decode tok/s", file=sys.stderr)
    rows = []
    base = None
    for key, rs in runs.items():
        good = [x for x in rs if "error" not in x]
        if not good:
            rows.append({"variant": key, "error": rs[0]["error"]})
            continue
        pp = statistics.median(x["pp_tok_s"] for x in good)
        dec = statistics.median(x["decode_tok_s"] for x in good)
        base = base or (pp, dec)
        rows.append({"variant": key, "runs": len(good), "pp_tok_s": round(pp, 1), "decode_tok_s": round(dec, 1),
                     "pp_ratio": round(pp / base[0], 3), "decode_ratio": round(dec / base[1], 3),
                     "system_info": good[0]["system_info"]})
    print("| build | runs | prompt tok/s (median) | × first | decode tok/s (median) | × first |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        if "error" in row:
            print(f"| {row['variant']} | 0 | {row['error']} | | | |")
        else:
            print(f"| {row['variant']} | {row['runs']} | {row['pp_tok_s']} | {row['pp_ratio']:.2f} | "
                  f"{row['decode_tok_s']} | {row['decode_ratio']:.2f} |")
    if args.out:
        args.out.write_text(json.dumps({"rounds": args.rounds, "threads": args.threads, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
