"""The page's stylesheet: readable source cards, a visible highlight, and a layout that stacks
on narrow screens."""

CSS = """
#intro h1 { margin-bottom: 0.2rem; }
#index-info { text-align: right; opacity: 0.85; padding-top: 2.6rem; }
#index-info p { margin: 0; }
#ask-row { align-items: stretch; }
.sources { display: flex; flex-direction: column; gap: 0.75rem; font-size: 0.95rem; }
.src-list { display: flex; flex-direction: column; gap: 0.75rem; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 0.7rem 0.9rem;
            background: var(--background-fill-secondary); }
.src-card header { line-height: 1.35; }
.src-num { font-weight: 700; color: var(--color-accent); margin-right: 0.25rem; }
.src-meta { font-size: 0.85rem; opacity: 0.8; margin: 0.2rem 0 0.45rem; }
.src-meta a { color: var(--link-text-color); }
.src-quote { margin: 0; padding-left: 0.7rem; border-left: 3px solid var(--border-color-accent); line-height: 1.5; }
.src-whole { margin-top: 0.4rem; font-size: 0.88rem; }
.src-whole summary { cursor: pointer; opacity: 0.8; }
.src-whole p { max-height: 14rem; overflow-y: auto; line-height: 1.45; }
.src-card mark { background: #fff1a8; color: #1f2328; padding: 0 0.1rem; border-radius: 3px; }
.src-empty { opacity: 0.85; }
.src-searched summary { cursor: pointer; font-size: 0.9rem; }
.src-searched li { margin: 0.35rem 0; font-size: 0.88rem; }
.src-snippet { opacity: 0.8; }
@media (max-width: 720px) {
  #index-info { text-align: left; padding-top: 0; }
  #chat { height: 58vh !important; }
}
"""
