"""The run log: what a run did and said, one line per event, warnings and errors in colour.

Node messages (``log``, ``warning``, ``error`` events), node state changes, epoch
summaries and whatever the child process printed to standard error (TensorFlow's
own warnings, for instance) all land here, newest last.  The pane keeps the last
``MAX_LINES`` lines so a long run cannot grow the editor's memory without bound.
"""

from __future__ import annotations

import html
import time

from PySide6.QtWidgets import QPlainTextEdit, QWidget

from nodeflow.runtime.events import Event, NodeStatus, RunOutcome, replicas_text

MAX_LINES = 20000
COLORS = {"info": "#202020", "output": "#707070", "warning": "#b36200", "error": "#c0202a", "ok": "#1d7a1d"}


def describe(event: dict) -> tuple[str, str] | None:
    """(level, text) for an event worth a log line, None for the rest (batches, queueing)."""
    kind, node = event.get("event"), event.get("node", "")
    if kind == Event.RUN_STARTED:
        return "info", f"run started: {len(event.get('nodes', []))} node(s) to execute in {event.get('run_dir')}"
    if kind == Event.RUN_FINISHED:
        status = event.get("status", "")
        level = {RunOutcome.EXECUTED: "ok", RunOutcome.CANCELLED: "warning"}.get(status, "error")
        return level, f"run finished: {status}"
    if kind == Event.LOG:
        return ("warning" if event.get("level") == "warning" else "info"), f"{node}: {event.get('message', '')}"
    if kind == Event.WARNING:
        return "warning", f"{node}: warning: {event.get('message', '')}"
    if kind == Event.ERROR:
        return "error", event.get("message", "")
    if kind == Event.DEVICE:
        detail = f" ({event['description']})" if event.get("description") else ""
        return "info", f"{node}: training on {event.get('device')}{detail}{replicas_text(event)}"
    if kind == Event.EPOCH:
        metrics = ", ".join(f"{k} {v:.4g}" for k, v in event.get("metrics", {}).items())
        return "info", f"{node}: epoch {event.get('epoch')}/{event.get('epochs')}: {metrics} " \
                       f"({event.get('seconds', 0):.2f} s)"
    if kind == Event.OUTPUT:
        if event.get("stored"):  # a port value kept in the run directory
            return "output", f"{node}: stored {event.get('port')} output"
        return "info", f"{node}: wrote {event.get('path')}"  # a file a writer node wrote
    if kind == Event.NODE_STATUS:
        status = event.get("status")
        if status == NodeStatus.EXECUTED:
            return "ok", f"{node}: executed" + (" (unchanged, output reused)" if event.get("cached")
                                               else f" in {event.get('seconds', 0):.2f} s")
        if status == NodeStatus.RUNNING:
            return "info", f"{node}: running"
        if status == NodeStatus.SKIPPED:
            return "warning", f"{node}: skipped, {event.get('reason', '')}"
        if status == NodeStatus.CANCELLED:
            return "warning", f"{node}: cancelled"
    return None


class LogPane(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.setPlaceholderText("The output of runs appears here.")

    def add(self, level: str, text: str, when: float | None = None) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(when or time.time()))
        color = COLORS.get(level, COLORS["info"])
        lines = text.splitlines() or [""]
        body = "<br>".join(html.escape(line) for line in lines)
        self.appendHtml(f'<span style="color:#909090">{stamp}</span> <span style="color:{color}">{body}</span>')

    def add_event(self, event: dict) -> None:
        described = describe(event)
        if described is not None:
            self.add(*described, when=event.get("time"))

    def lines(self) -> list[str]:
        return self.toPlainText().splitlines()
