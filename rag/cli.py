"""The `rag` command: index | ask | chat | info | eval | ui | doctor. A thin layer over the library.

Every expected failure (RagError) is printed as one line and exits 1; tracebacks mean bugs.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .articles import SUFFIXES, load_paths
from .errors import RagError
from .terminal import stream_to_terminal

EXAMPLE = "Who led the US delegation at the Geneva talks?"


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except RagError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag", description="Ask questions about news articles, answered with citations.")
    sub = p.add_subparsers(metavar="COMMAND")

    def common(sp):
        sp.add_argument("--index", type=Path, help="index folder (default: index/default/, or RAG_INDEX_DIR)")
        sp.add_argument("--embedder", help="sentence-transformers model folder or name (default: all-MiniLM-L6-v2)")
        sp.add_argument("--llm", help="path of a GGUF model file (default: SmolLM2-135M-Instruct), "
                        "or the URL of an OpenAI-compatible server (http://host:port/v1)")

    sp = sub.add_parser("index", help=f"index article files and folders ({' '.join(SUFFIXES)})")
    sp.add_argument("paths", nargs="*", type=Path, help="files or folders (default: seeds/)")
    sp.add_argument("--rebuild", action="store_true", help="start a fresh index instead of updating")
    sp.add_argument("--remove", nargs="+", default=[], metavar="ARTICLE_ID", help="remove articles by id")
    sp.add_argument("--chunk-tokens", type=int)
    sp.add_argument("--chunk-overlap", type=int)
    common(sp)
    sp.set_defaults(func=cmd_index)

    sp = sub.add_parser("ask", help="answer one question")
    sp.add_argument("question")
    sp.add_argument("--k", type=int, help="passages given to the model")
    sp.add_argument("--json", action="store_true", help="print the whole Answer as JSON")
    common(sp)
    sp.set_defaults(func=cmd_ask)

    sp = sub.add_parser("chat", help="ask questions one per line in the terminal (`exit` to quit)")
    sp.add_argument("question", nargs="?", help="a first question")
    sp.add_argument("--k", type=int)
    common(sp)
    sp.set_defaults(func=cmd_chat)

    sp = sub.add_parser("info", help="what is indexed")
    sp.add_argument("--json", action="store_true")
    common(sp)
    sp.set_defaults(func=cmd_info)

    sp = sub.add_parser("eval", help="run a Q&A test set and score it")
    common(sp)
    try:
        from .eval.cli import add_arguments, run
    except ImportError:  # evaluation extras missing
        sp.set_defaults(func=lambda a: _missing("evaluation"))
    else:
        add_arguments(sp)
        sp.set_defaults(func=lambda a: run(a, _settings(a)))

    sp = sub.add_parser("doctor", help="check that this machine can answer: versions, llama.cpp build, CPU, models, index")
    sp.add_argument("--recheck", action="store_true", help="run the LLM self-check again instead of using its cached verdict")
    sp.add_argument("--json", action="store_true")
    common(sp)
    sp.set_defaults(func=cmd_doctor)

    sp = sub.add_parser("bench", help="time this project beside the LlamaIndex peer and two embedder precisions, "
                        "interleaved in one run (benchmarks/bench.py)")
    try:
        _bench_module().add_arguments(sp)
    except OSError:  # installed without the project folder
        sp.set_defaults(func=lambda a: _missing("benchmark (project folder's benchmarks/bench.py)"))
    else:
        sp.set_defaults(func=cmd_bench)

    sp = sub.add_parser("ui", help="open the chat page")
    sp.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    sp.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")))
    common(sp)
    sp.set_defaults(func=cmd_ui)
    return p


def _missing(what: str) -> int:
    raise RagError(f"the {what} extras are not installed: pip install -e '.[test]'")


def _settings(args):
    from .settings import Settings

    return Settings.from_env(
        index_dir=getattr(args, "index", None), embedder=getattr(args, "embedder", None),
        llm=getattr(args, "llm", None), k=getattr(args, "k", None),
        chunk_tokens=getattr(args, "chunk_tokens", None), chunk_overlap=getattr(args, "chunk_overlap", None),
    )


def cmd_index(args) -> int:
    from . import embedding
    from .indexing import update_index
    from .progress import ProgressBar

    s = _settings(args)
    paths = args.paths or ([] if args.remove else [s.seeds_dir])
    report = load_paths(paths)
    if paths and not report.articles and not args.remove:
        for r in report.rejected:
            print(f"rejected: {r}", file=sys.stderr)
        raise RagError(f"no article could be read from {', '.join(map(str, paths))}")
    # A rebuild starts a new index with what the settings choose for this machine; an update
    # embeds with the variant the index was built with.
    embedder = embedding.make_embedder(s) if args.rebuild else embedding.embedder_for_index(s)
    bar = ProgressBar("embedding", hide_below=200)
    try:
        result = update_index(s.index_dir, report.articles, embedder, s, rebuild=args.rebuild,
                              remove=args.remove, rejected=report.rejected, progress=bar,
                              on_wait=lambda: print(f"waiting for another build of {s.index_dir} to finish ...",
                                                    file=sys.stderr, flush=True))
    finally:
        bar.close()
    print(f"{result.summary()}\nindex: {s.index_dir}")
    return 0


def _pipeline(args):
    from .pipeline import get_pipeline

    return get_pipeline(settings=_settings(args))


def cmd_ask(args) -> int:
    from .pipeline import check_question

    s = _settings(args)
    check_question(args.question, s.max_question_chars)  # fail before loading models
    pipe = _pipeline(args)
    if args.json:
        print(json.dumps(pipe.answer(args.question, k=args.k).to_dict(), indent=2, ensure_ascii=False))
        return 0
    stream_to_terminal(pipe, args.question, args.k)
    return 0


def cmd_chat(args) -> int:
    from .followup import Turn

    pipe = _pipeline(args)
    history: list[Turn] = []
    print("Ask about the indexed articles; one question per line, `exit` to quit.")
    first = args.question
    while True:
        if first:
            q, first = first, None
            print(f"> {q}")
        else:
            try:
                q = input("> ")
            except EOFError:
                print()
                return 0
        if q.strip().lower() in {"exit", "quit", ":q"}:
            return 0
        if not q.strip():
            continue
        try:
            final = stream_to_terminal(pipe, q, args.k, history)
        except RagError as e:
            print(f"error: {e}")
            continue
        # the conversation: a follow-up ("what did he say?") is read against the earlier turns
        history.append(Turn(q, final.text, final.search_query))


def cmd_info(args) -> int:
    from .indexing import load_index

    s = _settings(args)
    idx = load_index(s.index_dir, verify=False)
    m = idx.manifest
    info = {
        "index": str(s.index_dir), "generation": idx.generation, "built": m["created_at"],
        "articles": m["counts"]["articles"], "chunks": m["counts"]["chunks"],
        "date_range": m["date_range"], "sources": m["sources"], "embedder": m["embedder"],
        "chunking": m["chunking"], "llm": s.llm,
    }
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    dr = info["date_range"]
    print(f"index:      {info['index']} ({info['generation']}, built {info['built']})")
    print(f"articles:   {info['articles']} from {len(info['sources'])} outlets"
          + (f" ({', '.join(info['sources'][:8])}{' ...' if len(info['sources']) > 8 else ''})" if info["sources"] else ""))
    print(f"chunks:     {info['chunks']} ({m['chunking']['chunk_tokens']} tokens, overlap {m['chunking']['chunk_overlap']})")
    print(f"dates:      {dr[0]} to {dr[1]}" if dr else "dates:      (none known)")
    print(f"embedder:   {m['embedder']['name']} (dim {m['embedder']['dim']})")
    print(f"llm:        {s.llm}")
    return 0


def cmd_doctor(args) -> int:
    from .doctor import diagnose

    report = diagnose(_settings(args), recheck=args.recheck)
    print(json.dumps(report.to_dict(), indent=2) if args.json else "\n".join(report.lines()))
    return 0 if report.ready else 1


def _bench_module():
    """benchmarks/bench.py, loaded from the project folder (it is not part of the installed package)."""
    import importlib.util

    from .settings import PROJECT_ROOT

    path = PROJECT_ROOT / "benchmarks" / "bench.py"
    spec = importlib.util.spec_from_file_location("newsqa_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cmd_bench(args) -> int:
    return _bench_module().run(args, command="rag " + " ".join(sys.argv[1:]))


def cmd_ui(args) -> int:
    try:
        from ui.app import launch
    except ImportError as e:
        raise RagError(f"the chat page cannot start ({e}): run `make run` from the project folder") from e
    launch(_settings(args), host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
