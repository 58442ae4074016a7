"""Turning run events into what a person at a terminal reads.

In a terminal: a live progress bar per training node (epoch, batch, loss, ETA)
drawn with rich.  Otherwise (a log file, CI): plain lines, one per node status
change and per epoch, never per batch.  The ETA is the one of
:class:`nodeflow.runtime.events.TrainingProgress`, as in the editor's monitor.
"""

from __future__ import annotations

import sys
from typing import TextIO

from .events import Event, NodeStatus, TrainingProgress, duration_text, replicas_text


def _metrics_text(metrics: dict) -> str:
    """Loss first, then the other metrics, validation values last."""
    order = sorted(metrics, key=lambda k: (k.startswith("val_"), k.removeprefix("val_") != "loss", k))
    return "  ".join(f"{k} {metrics[k]:.4g}" for k in order)


class PlainReporter:
    """Line-per-event output for logs and pipes."""

    def __init__(self, workflow, out: TextIO = sys.stdout, err: TextIO | None = None, quiet: bool = False):
        self.workflow = workflow
        # standard error as it is now, not as it was when this module was imported
        self.out, self.err, self.quiet = out, err if err is not None else sys.stderr, quiet
        self.progress: dict[str, TrainingProgress] = {}

    def _name(self, node_id: str) -> str:
        spec = self.workflow.spec(node_id)
        return f"{node_id} ({spec.display_name})" if spec else node_id

    def __call__(self, event: dict) -> None:
        kind = event.get("event")
        node = event.get("node")
        if kind == Event.ERROR:
            print(event["message"], file=self.err, flush=True)
            return
        if kind in (Event.BATCH, Event.EPOCH):
            self.progress.setdefault(node, TrainingProgress()).apply(event)
        if self.quiet:
            return
        if kind == Event.NODE_STATUS:
            status = event["status"]
            if status == NodeStatus.RUNNING:
                self.progress.pop(node, None)  # a fresh training, a fresh estimate
                self._line(f"{self._name(node)}: running")
            elif status == NodeStatus.EXECUTED:
                detail = "cached, not re-run" if event.get("cached") else f"{event.get('seconds', 0):.1f}s"
                self._line(f"{self._name(node)}: executed ({detail})")
            elif status in (NodeStatus.SKIPPED, NodeStatus.CANCELLED):
                self._line(f"{self._name(node)}: {status}" + (f" ({event['reason']})" if event.get("reason") else ""))
        elif kind == Event.EPOCH:
            self._epoch_line(node, event)
        elif kind == Event.DEVICE:
            self._line(f"{self._name(node)}: training on {event['device']}{replicas_text(event)}")
        elif kind in (Event.LOG, Event.WARNING):
            prefix = "warning: " if kind == Event.WARNING else ""
            self._line(f"{node}: {prefix}{event['message']}" if node else f"{prefix}{event['message']}")
        elif kind == Event.OUTPUT and event.get("path") and not event.get("stored"):
            self._line(f"{self._name(node)}: wrote {event['path']}")  # a file a writer wrote

    def _eta_text(self, node) -> str:
        progress = self.progress.get(node)
        eta = progress.eta() if progress is not None else None
        return f"ETA {duration_text(eta)}" if eta is not None else ""

    def _epoch_line(self, node, event) -> None:
        timing = ", ".join(t for t in (f"{event.get('seconds', 0):.1f}s", self._eta_text(node)) if t)
        self._line(f"{node}: epoch {event['epoch']}/{event['epochs']}  {_metrics_text(event['metrics'])}"
                   f"  ({timing})")

    def _line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def close(self) -> None:
        pass


class RichReporter(PlainReporter):
    """Plain lines for statuses and epochs, plus a live bar for the batches of an epoch."""

    def __init__(self, workflow, out: TextIO = sys.stdout, err: TextIO | None = None, quiet: bool = False):
        super().__init__(workflow, out, err, quiet)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.console = Console(file=out)
        self.bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[metrics]}"), TextColumn("{task.fields[eta]}"),
                             console=self.console, transient=True)
        self.tasks: dict[str, int] = {}
        self.started = False

    def __call__(self, event: dict) -> None:
        super().__call__(event)
        if event.get("event") == Event.BATCH and not self.quiet:
            node = event["node"]
            description = f"{node} epoch {event['epoch']}/{event['epochs']}"
            metrics = _metrics_text(event["metrics"])
            if not self.started:
                self.bars.start()
                self.started = True
            if node not in self.tasks:
                self.tasks[node] = self.bars.add_task(description, total=event["batches"], metrics="", eta="")
            self.bars.update(self.tasks[node], description=description, completed=event["batch"],
                             total=event["batches"], metrics=metrics, eta=self._eta_text(node))

    def _line(self, text: str) -> None:
        if self.started:
            self.bars.console.print(text, highlight=False, markup=False)
        else:
            print(text, file=self.out, flush=True)

    def close(self) -> None:
        if self.started:
            self.bars.stop()


def make_reporter(workflow, quiet: bool = False, out: TextIO = sys.stdout):
    if out.isatty() and not quiet:
        try:
            return RichReporter(workflow, out=out)
        except ImportError:  # rich is a dependency; fall back rather than fail a run
            pass
    return PlainReporter(workflow, out=out, quiet=quiet)
