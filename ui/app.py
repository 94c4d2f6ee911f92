"""The chat page: a thin Gradio layer over rag/ (no retrieval or prompt logic here).

    rag ui [--index DIR] [--host 127.0.0.1] [--port 7860]

Safe by default: it binds 127.0.0.1, makes no share link, sends no analytics, keeps no run
history, serves no local paths (no `allowed_paths`), caps uploads, and runs every event that
uses the models (questions, example clicks, uploads, removals) in ONE queue slot
(`concurrency_id="model"`, limit 1) of a bounded queue: a full queue answers "busy, try again"
rather than dropping anything, and `api_open=False` keeps direct HTTP calls from skipping it.
Empty or oversized questions are refused by a validator before they join the queue.
"""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402

from rag.articles import SUFFIXES, load_file  # noqa: E402
from rag.errors import RagError  # noqa: E402
from rag.followup import Turn  # noqa: E402
from rag.pipeline import Pipeline, check_question, get_pipeline  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.types import Answer, Rejection, Retrieved  # noqa: E402

from . import render  # noqa: E402
from .examples import example_questions  # noqa: E402
from .style import CSS  # noqa: E402

MODEL_SLOT = "model"  # the one concurrency group of everything that runs the embedder or the LLM
QUEUE_SIZE = 24  # events waiting for the model beyond this get the busy message (20 sessions fit)
MAX_UPLOAD = "10mb"
UPLOAD_TYPES = list(SUFFIXES)
MAX_K = 10  # the passages slider's top


class ChatPage:
    """The page's event handlers, over one Pipeline."""

    def __init__(self, pipe: Pipeline):
        self.pipe = pipe

    # ------------------------------------------------------------------ asking

    def validate(self, question: str, turns: list, k: float):
        """Runs when the event is submitted, before it joins the queue."""
        try:
            check_question(question, self.pipe.settings.max_question_chars)
            ok, msg = True, ""
        except RagError as e:
            ok, msg = False, str(e)
        return [gr.validate(ok, msg), gr.validate(True, ""), gr.validate(True, "")]

    def ask(self, question: str, turns: list | None, k: float):
        """Answer a question about the indexed articles (streamed). Returns the conversation, the
        sources panel (HTML) and the cleared question box."""
        try:
            q = check_question(question, self.pipe.settings.max_question_chars)
        except RagError as e:
            raise gr.Error(str(e)) from None
        k = min(max(int(k or self.pipe.settings.k), 1), MAX_K)  # a script may send anything
        turns = list(turns or [])
        history = [Turn(t["question"], t["answer"], t["search_query"]) for t in turns]
        current = {"question": q, "answer": "", "search_query": q, "searched_for": None,
                   "note": None, "streaming": True}
        yield chat_messages(turns + [current]), render.sources_html(None, pending=q), "", turns
        final: Answer | None = None
        text = ""
        try:
            for part in self.pipe.stream(q, k=k, history=history, events=True):
                if isinstance(part, Answer):
                    final = part
                elif isinstance(part, Retrieved):  # the passages, before the answer's first word
                    # a follow-up was searched for as the standalone question it stands for
                    current.update(search_query=part.query, searched_for=part.query if part.query != q else None)
                    yield chat_messages(turns + [current]), render.found_html(part), gr.skip(), gr.skip()
                else:
                    text += part
                    current["answer"] = text
                    yield chat_messages(turns + [current]), gr.skip(), gr.skip(), gr.skip()
        except RagError as e:
            raise gr.Error(str(e)) from None
        assert final is not None
        current.update(answer=final.text, note=render.timing_note(final), streaming=False)
        turns.append(current)
        yield chat_messages(turns), render.sources_html(final), "", turns

    def ask_example(self, turns: list | None, k: float, evt: gr.SelectData):
        yield from self.ask(evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value), turns, k)

    # ------------------------------------------------------------------ the index

    def refresh(self):
        """Index summary, the article list and example questions, from the index in service."""
        idx = self.pipe.index
        choices = [(render.article_label(a.title, a.source, a.published_at), a.id)
                   for a in sorted(idx.articles.values(), key=lambda a: (a.published_at or "", a.title), reverse=True)]
        examples = [{"text": q} for q in example_questions(idx)]
        return (render.index_summary(idx.manifest), gr.Dropdown(choices=choices, value=None),
                gr.Chatbot(examples=examples or None))

    def add_files(self, files: list[str] | None, progress=gr.Progress()):
        if not files:
            raise gr.Error(f"Choose one or more article files ({', '.join(UPLOAD_TYPES)}) to add.")
        articles, rejected = [], []
        progress(0, desc="Reading files")
        for f in files:
            if Path(f).suffix.lower() not in UPLOAD_TYPES:  # the browser's file_types is only a hint
                rejected.append(Rejection(Path(f).name, f"not an article file ({', '.join(UPLOAD_TYPES)})"))
                continue
            a, r = load_file(f, Path(f).name)
            articles += a
            rejected += r
        if not articles:
            lines = [f"Nothing added: {rej}" for rej in rejected] or ["Nothing added: no article found"]
            return (render.report_markdown(lines), *self.refresh(), None)

        def on_progress(done: int, total: int) -> None:
            progress((done, total), desc="Embedding passages", unit="passages")

        try:
            report = self.pipe.add_articles(articles, rejected=rejected, progress=on_progress)
        except RagError as e:
            raise gr.Error(str(e)) from None
        titles = {a.id: a.title for a in articles}
        titles.update({a.id: a.title for a in self.pipe.index.articles.values()})
        lines = [f"Added: {titles.get(i, i)}" for i in report.added]
        lines += [f"Updated: {titles.get(i, i)}" for i in report.replaced]
        lines += [f"Already indexed, unchanged: {titles.get(i, i)}" for i in report.unchanged]
        lines += [f"Skipped {a}: the same text as {titles.get(b, b)}" for a, b in report.duplicates]
        lines += [f"Rejected {r}" for r in report.rejected]
        lines.append(f"{report.chunks_added} passages embedded in {report.seconds:.1f} s; the index holds "
                     f"{report.articles_total} articles")
        return (render.report_markdown(lines), *self.refresh(), None)

    def remove(self, article_id: str | None):
        idx = self.pipe.index
        if not article_id or article_id not in idx.articles:
            raise gr.Error("Choose an article to remove.")
        if len(idx.articles) <= 1:
            raise gr.Error("That is the only article in the index: add another before removing it.")
        title = idx.articles[article_id].title
        try:
            self.pipe.remove_articles([article_id])
        except RagError as e:
            raise gr.Error(str(e)) from None
        return (render.report_markdown([f"Removed: {title}"]), *self.refresh())


def chat_messages(turns: list[dict]) -> list[dict]:
    """The chat, rebuilt from the session's own record of it (never from what a client sends)."""
    out = []
    for t in turns:
        out.append({"role": "user", "content": render.user_markdown(t["question"])})
        out.append({"role": "assistant", "content": render.answer_markdown(
            t["answer"], searched_for=t.get("searched_for"), note=t.get("note"), streaming=t.get("streaming", False))})
    return out


def clear():
    return [], render.sources_html(None), [], ""


def build_app(pipe: Pipeline, *, queue_size: int = QUEUE_SIZE) -> gr.Blocks:
    page = ChatPage(pipe)
    s = pipe.settings
    with gr.Blocks(title="newsqa: ask the news", analytics_enabled=False, fill_width=True) as demo:
        turns = gr.State([])
        with gr.Row(elem_id="top"):
            with gr.Column(scale=3, min_width=320):
                gr.Markdown("# newsqa\nAsk about the news articles in the index. Answers come only from them, "
                            "with numbered citations to the passages shown under **Sources**.", elem_id="intro")
            with gr.Column(scale=2, min_width=300):
                index_info = gr.Markdown(elem_id="index-info")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(
                    label="Conversation", show_label=False, elem_id="chat", height=520, layout="panel", autoscroll=True,
                    sanitize_html=True, allow_tags=False, latex_delimiters=[], render_markdown=True,
                    feedback_options=None, buttons=["copy"], allow_file_downloads=False,
                    placeholder="Ask a question, or pick an example:",
                )
                with gr.Row(elem_id="ask-row"):
                    question = gr.Textbox(
                        placeholder="Ask about the articles",
                        show_label=False, lines=1, max_lines=4, autofocus=True, scale=5, elem_id="question",
                        # no max_length: the browser would cut a long paste silently and ask the
                        # rest; the validator refuses it with the limit named, as the CLI does
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                with gr.Row():
                    clear_btn = gr.Button("Clear conversation", size="sm", elem_id="clear")
                    k = gr.Slider(1, MAX_K, value=min(s.k, MAX_K), step=1, label="Passages to read (k)", elem_id="k",
                                  info="More passages: more context, slower answers.")
            with gr.Column(scale=2, min_width=300):
                gr.Markdown("### Sources")
                sources = gr.HTML(render.sources_html(None), elem_id="sources", js_on_load=None,
                                  apply_default_css=True, padding=False)
                with gr.Accordion("Articles in the index", open=False, elem_id="articles"):
                    files = gr.File(label=f"Add articles ({', '.join(UPLOAD_TYPES)}; up to {MAX_UPLOAD.upper()} each)",
                                    file_count="multiple", file_types=UPLOAD_TYPES, type="filepath",
                                    elem_id="upload", height=140)
                    with gr.Row():
                        article = gr.Dropdown(label="Remove an article", choices=[], scale=4, elem_id="remove-choice")
                        remove_btn = gr.Button("Remove", variant="stop", scale=1, min_width=90, elem_id="remove")
                    report = gr.Markdown(elem_id="report")

        ask_io = dict(outputs=[chat, sources, question, turns], concurrency_limit=1, concurrency_id=MODEL_SLOT,
                      show_progress="minimal", show_progress_on=[sources])
        question.submit(page.ask, [question, turns, k], validator=page.validate, api_name="ask", **ask_io)
        send.click(page.ask, [question, turns, k], validator=page.validate, api_visibility="private", **ask_io)
        chat.example_select(page.ask_example, [turns, k], api_visibility="private", **ask_io)
        clear_btn.click(clear, None, [chat, sources, turns, question], queue=False, api_visibility="private")
        chat.clear(clear, None, [chat, sources, turns, question], queue=False, api_visibility="private")
        refreshed = [index_info, article, chat]
        demo.load(page.refresh, None, refreshed, queue=False, api_visibility="private")
        files.upload(page.add_files, [files], [report, *refreshed, files], concurrency_limit=1,
                     concurrency_id=MODEL_SLOT, api_visibility="private", show_progress="full")
        remove_btn.click(page.remove, [article], [report, *refreshed], concurrency_limit=1,
                         concurrency_id=MODEL_SLOT, api_visibility="private")
    demo.queue(default_concurrency_limit=1, max_size=queue_size, api_open=False)
    _one_join_at_a_time(demo)
    return demo


def _one_join_at_a_time(demo: gr.Blocks) -> None:
    """Gradio checks the queue's size, then awaits the validator, then appends the event: a burst
    of questions all pass the check before any is appended, and the queue grows past max_size
    (measured: 24 of 29 let in behind a queue of 16). Joining one at a time makes the bound exact;
    the validator only checks a string, so this costs microseconds."""
    import asyncio

    queue = demo._queue
    push = queue.push
    lock = asyncio.Lock()

    async def push_one_at_a_time(*args, **kwargs):
        async with lock:
            return await push(*args, **kwargs)

    queue.push = push_one_at_a_time


def serve(demo: gr.Blocks, *, host: str = "127.0.0.1", port: int = 7860, block: bool = True):
    """Launch `demo` with the safe settings and print its URL (the tests use block=False)."""
    demo.launch(
        server_name=host, server_port=port, share=False, inbrowser=False, show_error=True,
        max_file_size=MAX_UPLOAD, footer_links=[], run_history=False, enable_monitoring=False,
        mcp_server=False, pwa=False, ssr_mode=False, prevent_thread_lock=True, quiet=True,
        theme=gr.themes.Soft(primary_hue="blue"), css=CSS,
    )
    print(f"newsqa chat page: {demo.local_url.rstrip('/')}  (Ctrl+C to stop)", flush=True)
    if block:
        demo.block_thread()
    return demo


def launch(settings: Settings | None = None, host: str = "127.0.0.1", port: int = 7860,
           queue_size: int = QUEUE_SIZE) -> None:
    settings = settings or Settings.from_env()
    pipe = get_pipeline(settings=settings)
    pipe.load()  # both models now, so the first question doesn't wait for them
    if host not in {"127.0.0.1", "localhost", "::1"}:
        print(f"warning: binding {host}: the page is reachable from other machines, with no login")
    serve(build_app(pipe, queue_size=queue_size), host=host, port=port)
