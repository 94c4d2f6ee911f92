"""The embedding progress bar of `rag index` and `rag eval`: a `(done, total)` callback for
`update_index(progress=...)`."""
from __future__ import annotations

import sys


class ProgressBar:
    """A tqdm bar on stderr, created on the first report (so quick no-op runs print none; tqdm is
    imported only then) and closed once the work is done or by `close()`."""

    def __init__(self, desc: str, *, hide_below: int = 0, **tqdm_options):
        self._bar = None
        self._desc, self._hide_below, self._options = desc, hide_below, tqdm_options

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="chunk", desc=self._desc, file=sys.stderr,
                             disable=total < self._hide_below, **self._options)
        self._bar.n = done
        self._bar.refresh()
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
