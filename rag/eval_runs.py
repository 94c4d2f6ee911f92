"""The run folder's own files: predictions.jsonl (appended as answers come, read back to resume)
and run.json (the settings a resumed run must match, and one record per session)."""
from __future__ import annotations

import dataclasses
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from .errors import RagError
from .eval_scoring import Prediction, QuestionScore
from .settings import PROJECT_ROOT, Settings

PREDICTIONS = "predictions.jsonl"
RUN_FILE = "run.json"


class EvalRunError(RagError):
    """The output folder holds a run that this one cannot continue."""


class PredictionLog:
    """predictions.jsonl: one line per finished question, appended and synced as they come."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> dict[str, Prediction]:
        """The finished predictions; a torn or unreadable line (a crash mid-write) is dropped."""
        if not self.path.exists():
            return {}
        good: list[str] = []
        done: dict[str, Prediction] = {}
        lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        for line in lines:
            try:
                p = Prediction.from_json(json.loads(line))
            except (json.JSONDecodeError, TypeError, KeyError):
                continue
            if not line.endswith("\n") or p.id in done:
                continue
            done[p.id] = p
            good.append(line)
        if len(good) != len(lines):
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text("".join(good), encoding="utf-8")
            os.replace(tmp, self.path)
        return done

    def append(self, p: Prediction, score: QuestionScore | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(p.to_json(score), ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


# Settings that do not change the answers: a run may resume with other values.
_NEUTRAL = {"n_threads", "seeds_dir"}


class RunRecord:
    """run.json: the settings of a run (a resumed run must match them) and its sessions."""

    def __init__(self, path: Path, settings: Settings, questions: str, retrieval_only: bool):
        self.path = Path(path)
        cfg = {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(settings).items()
               if k not in _NEUTRAL}
        self.config = dict(cfg, questions=str(Path(questions).resolve()), retrieval_only=retrieval_only)
        self.data: dict = json.loads(self.path.read_text()) if self.path.exists() else {}
        self._ticked = 0.0
        old = self.data.get("config")
        if old is not None:
            diff = [f"{k}={old.get(k)!r} there, {v!r} here" for k, v in self.config.items() if old.get(k) != v]
            if diff:
                raise EvalRunError(
                    f"{self.path.parent} holds a run with other settings ({'; '.join(diff)}): "
                    "give another --out folder, or delete that one to start afresh"
                )

    def start(self, command: str | None, stats, started: datetime) -> None:
        self.data.setdefault("config", self.config)
        self.data.setdefault("sessions", []).append({
            "started": started.isoformat(timespec="seconds"),
            "command": command, "commit": _git_commit(), "python": sys.version.split()[0],
        })
        if stats is not None and (not stats.reused or "index" not in self.data):
            self.data["index"] = dataclasses.asdict(stats)
        self._write()

    def tick(self, wall_s: float, predicted: int, every_s: float = 30.0) -> None:
        """Record the session's progress now and then, so a killed session still counts its time."""
        if wall_s - self._ticked >= every_s:
            self._ticked = wall_s
            self.data["sessions"][-1].update(wall_s=round(wall_s, 2), predicted=predicted)
            self._write()

    def finish(self, wall_s: float, predicted: int) -> None:
        self.data["sessions"][-1].update(
            finished=datetime.now(timezone.utc).isoformat(timespec="seconds"), wall_s=round(wall_s, 2),
            predicted=predicted)
        self._write()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2, ensure_ascii=False))
        os.replace(tmp, self.path)


def _git_commit() -> str | None:
    import subprocess

    try:
        r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() or None if r.returncode == 0 else None
