"""``nodeflow runs``: a workflow's recorded runs as a table (or JSON) in the terminal."""

from __future__ import annotations

import datetime
import json
from typing import TextIO

from nodeflow.runtime.events import duration_text

from .runs import RunRecord, all_params, differing_params, summary_metrics


def runs_json(runs: list[RunRecord]) -> str:
    return json.dumps([{"run_id": r.run_id, "name": r.name, "status": r.status, "start": r.start,
                        "end": r.end, "duration": r.duration, "params": r.params, "metrics": r.metrics,
                        "tags": r.tags} for r in runs], indent=2)


def print_runs(runs: list[RunRecord], out: TextIO, every_param: bool = False, title: str = "") -> None:
    """Start, status, duration, sweep trial (when any run has one), the parameters that
    differ (all with ``every_param``) and the summary metrics, newest run first."""
    from rich.console import Console
    from rich.table import Table

    params = all_params(runs) if every_param else differing_params(runs)
    metrics = summary_metrics(runs)
    swept = any(r.sweep for r in runs)
    table = Table()
    for header in ("start", "status", "duration", *(["trial"] if swept else [])):
        table.add_column(header, no_wrap=True, min_width=len(header))
    for name in params:
        table.add_column(name, overflow="fold")
    for name in metrics:
        table.add_column(name, justify="right", no_wrap=True)
    for run in runs:
        started = datetime.datetime.fromtimestamp(run.start).strftime("%Y-%m-%d %H:%M:%S")
        cells = [started, run.status.lower(), duration_text(run.duration), *([run.sweep] if swept else [])]
        cells += [run.params.get(name, "") for name in params]
        cells += [f"{run.metrics[name]:.4g}" if name in run.metrics else "" for name in metrics]
        table.add_row(*cells)
    console = Console(file=out)
    if not console.is_terminal:  # a pipe or a file: every column whole, as wide as it needs
        console = Console(file=out, width=table.__rich_measure__(Console(width=100_000),
                                                                 Console(width=100_000).options).maximum)
    if title:
        print(title, file=out)
    console.print(table, crop=False)
    if not every_param:
        note = "no parameter differs between these runs" if not params else \
            f"{len(params)} parameter(s) differ; --all-params shows every one"
        print(note, file=out)
