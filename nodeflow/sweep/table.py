"""What a sweep leaves in ``runs/<stem>.sweeps/<study>/`` and shows in the terminal.

Files (a contract the editor's Sweep view reads; each rewritten atomically):

- ``trials.csv``: ``number,state,value,duration_s,<one column per swept path>,run_dir,error``,
  one row per trial of the study (all processes' trials), rewritten whenever a trial of
  this process starts or ends; ``value`` is empty when there is none.
- ``best.json``: ``{"trial", "value", "metric", "direction", "overrides"}``, rewritten
  when the best trial changes.
- ``sweep.json``: the sweep's definition, written at start.

On a terminal the same rows are a live ``rich`` table; otherwise one plain line per
trial that starts or ends.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from nodeflow.core.atomic_write import write_bytes

STATES = {"COMPLETE": "COMPLETE", "PRUNED": "PRUNED", "FAIL": "FAIL", "RUNNING": "RUNNING",
          "WAITING": "RUNNING"}


def trial_dir(study_dir: Path, number: int) -> Path:
    return study_dir / f"trial-{number:04d}"


def rows(study, paths: list[str], study_dir: Path) -> list[dict[str, Any]]:
    """One dict per trial of the study, with the CSV's columns."""
    result = []
    for trial in study.get_trials(deepcopy=False):
        state = STATES.get(trial.state.name, trial.state.name)
        duration = trial.duration.total_seconds() if trial.duration is not None else None
        row = {"number": trial.number, "state": state,
               "value": trial.value if trial.state.name == "COMPLETE" else None,
               "duration_s": round(duration, 2) if duration is not None else None}
        for path in paths:
            row[path] = trial.user_attrs.get("overrides", {}).get(path, trial.params.get(path))
        row["run_dir"] = str(trial_dir(study_dir, trial.number))
        row["error"] = trial.user_attrs.get("error", "")
        result.append(row)
    return result


def write_csv(path: Path, paths: list[str], table: list[dict[str, Any]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["number", "state", "value", "duration_s", *paths, "run_dir", "error"]
    writer.writerow(header)
    for row in table:
        writer.writerow(["" if row[c] is None else _cell(row[c]) for c in header])
    _write(path, out.getvalue())


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def best_record(study, metric, paths: list[str]) -> dict | None:
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if not complete:
        return None
    best = (max if metric.maximize else min)(complete, key=lambda t: t.value)
    overrides = best.user_attrs.get("overrides") or {p: best.params[p] for p in paths if p in best.params}
    return {"trial": best.number, "value": best.value, "metric": str(metric),
            "direction": metric.direction, "overrides": overrides}


def write_json(path: Path, data: dict) -> None:
    _write(path, json.dumps(data, indent=2) + "\n")


def _write(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def set_text(overrides: dict[str, Any]) -> str:
    """The overrides as ``nodeflow run`` arguments (shell-quoted)."""
    import shlex

    return " ".join(f"--set {shlex.quote(f'{k}={json.dumps(v)}')}" for k, v in overrides.items())


class Display:
    """The live view: a rich table on a terminal, plain lines otherwise."""

    def __init__(self, paths: list[str], metric, quiet: bool = False, out=None):
        self.paths, self.metric, self.quiet = paths, metric, quiet
        self.out = out or sys.stdout
        self.live = None
        self._said: dict[int, str] = {}
        if not quiet and self.out.isatty():
            from rich.console import Console
            from rich.live import Live

            self.live = Live(console=Console(file=self.out), auto_refresh=False, transient=False)
            self.live.start()

    def update(self, table: list[dict[str, Any]]) -> None:
        if self.quiet:
            return
        if self.live is not None:
            self.live.update(self._rich(table), refresh=True)
            return
        for row in table:
            key = f"{row['state']}"
            if self._said.get(row["number"]) == key:
                continue
            self._said[row["number"]] = key
            params = ", ".join(f"{p}={_short(row[p])}" for p in self.paths)
            value = "" if row["value"] is None else f" {self.metric}={_short(row['value'])}"
            duration = "" if row["duration_s"] is None else f" ({row['duration_s']:.1f} s)"
            error = f": {row['error']}" if row["error"] else ""
            print(f"trial {row['number']}: {row['state']}{value}{duration} {params}{error}",
                  file=self.out, flush=True)

    def _rich(self, table):
        from rich.table import Table

        view = Table(title=f"sweep: {self.metric} ({self.metric.direction})")
        for title in ["trial", *self.paths, str(self.metric), "state", "duration"]:
            view.add_column(title, justify="right" if title != "state" else "left")
        for row in table[-40:]:
            view.add_row(str(row["number"]), *(_short(row[p]) for p in self.paths),
                         _short(row["value"]), row["state"],
                         "" if row["duration_s"] is None else f"{row['duration_s']:.1f} s")
        return view

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def _short(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return json.dumps(value) if not isinstance(value, str) else value
