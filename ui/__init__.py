"""The chat page over the rag library: `ui.app.launch()` (what `rag ui` runs)."""
