"""Turning run events into what a person at a terminal reads.

In a terminal: a live progress bar per training node (epoch, batch, loss, ETA)
drawn with rich.  Otherwise (a log file, CI): plain lines, one per node status
change and per epoch, never per batch.
"""

from __future__ import annotations

import sys
from typing import TextIO


def _metrics_text(metrics: dict) -> str:
    """Loss first, then the other metrics, validation values last."""
    order = sorted(metrics, key=lambda k: (k.startswith("val_"), k.removeprefix("val_") != "loss", k))
    return "  ".join(f"{k} {metrics[k]:.4g}" for k in order)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class PlainReporter:
    """Line-per-event output for logs and pipes."""

    def __init__(self, workflow, out: TextIO = sys.stdout, err: TextIO = sys.stderr, quiet: bool = False):
        self.workflow = workflow
        self.out, self.err, self.quiet = out, err, quiet
        self.epoch_times: dict[str, list[float]] = {}

    def _name(self, node_id: str) -> str:
        spec = self.workflow.spec(node_id)
        return f"{node_id} ({spec.display_name})" if spec else node_id

    def __call__(self, event: dict) -> None:
        kind = event.get("event")
        node = event.get("node")
        if kind == "error":
            print(event["message"], file=self.err, flush=True)
            return
        if self.quiet:
            return
        if kind == "node_status":
            status = event["status"]
            if status == "running":
                self._line(f"{self._name(node)}: running")
            elif status == "executed":
                detail = "cached, not re-run" if event.get("cached") else f"{event.get('seconds', 0):.1f}s"
                self._line(f"{self._name(node)}: executed ({detail})")
            elif status in ("skipped", "cancelled"):
                self._line(f"{self._name(node)}: {status}" + (f" ({event['reason']})" if event.get("reason") else ""))
        elif kind == "epoch":
            self.epoch_times.setdefault(node, []).append(event.get("seconds", 0.0))
            times = self.epoch_times[node]
            eta = (event["epochs"] - event["epoch"]) * (sum(times) / len(times))
            self._epoch_line(node, event, eta)
        elif kind == "device":
            self._line(f"{self._name(node)}: training on {event['device']}")
        elif kind in ("log", "warning"):
            prefix = "warning: " if kind == "warning" else ""
            self._line(f"{node}: {prefix}{event['message']}" if node else f"{prefix}{event['message']}")
        elif kind == "output" and event.get("port") and event.get("path") and self._is_writer(node):
            self._line(f"{self._name(node)}: wrote {event['path']}")

    def _is_writer(self, node_id) -> bool:
        spec = self.workflow.spec(node_id) if node_id else None
        return spec is not None and spec.family == "io"

    def _epoch_line(self, node, event, eta) -> None:
        self._line(f"{node}: epoch {event['epoch']}/{event['epochs']}  {_metrics_text(event['metrics'])}"
                   f"  ({event.get('seconds', 0):.1f}s, ETA {_duration(eta)})")

    def _line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def close(self) -> None:
        pass


class RichReporter(PlainReporter):
    """Plain lines for statuses and epochs, plus a live bar for the batches of an epoch."""

    def __init__(self, workflow, out: TextIO = sys.stdout, err: TextIO = sys.stderr, quiet: bool = False):
        super().__init__(workflow, out, err, quiet)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = Console(file=out)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[metrics]}"), TimeRemainingColumn(),
                                 console=self.console, transient=True)
        self.tasks: dict[str, int] = {}
        self.started = False

    def __call__(self, event: dict) -> None:
        if event.get("event") == "batch" and not self.quiet:
            node = event["node"]
            description = f"{node} epoch {event['epoch']}/{event['epochs']}"
            metrics = _metrics_text(event["metrics"])
            if not self.started:
                self.progress.start()
                self.started = True
            if node not in self.tasks:
                self.tasks[node] = self.progress.add_task(description, total=event["batches"], metrics="")
            self.progress.update(self.tasks[node], description=description, completed=event["batch"],
                                 total=event["batches"], metrics=metrics)
            return
        super().__call__(event)

    def _line(self, text: str) -> None:
        if self.started:
            self.progress.console.print(text, highlight=False, markup=False)
        else:
            print(text, file=self.out, flush=True)

    def close(self) -> None:
        if self.started:
            self.progress.stop()


def make_reporter(workflow, quiet: bool = False, out: TextIO = sys.stdout):
    if out.isatty() and not quiet:
        try:
            return RichReporter(workflow, out=out)
        except ImportError:  # rich is a dependency; fall back rather than fail a run
            pass
    return PlainReporter(workflow, out=out, quiet=quiet)
