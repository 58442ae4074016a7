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

MAX_LINES = 20000
COLORS = {"info": "#202020", "output": "#707070", "warning": "#b36200", "error": "#c0202a", "ok": "#1d7a1d"}


def describe(event: dict) -> tuple[str, str] | None:
    """(level, text) for an event worth a log line, None for the rest (batches, queueing)."""
    kind, node = event.get("event"), event.get("node", "")
    if kind == "run_started":
        return "info", f"run started: {len(event.get('nodes', []))} node(s) to execute in {event.get('run_dir')}"
    if kind == "run_finished":
        status = event.get("status", "")
        return ("ok" if status == "executed" else "error"), f"run finished: {status}"
    if kind == "log":
        return ("warning" if event.get("level") == "warning" else "info"), f"{node}: {event.get('message', '')}"
    if kind == "warning":
        return "warning", f"{node}: warning: {event.get('message', '')}"
    if kind == "error":
        return "error", event.get("message", "")
    if kind == "device":
        detail = f" ({event['description']})" if event.get("description") else ""
        return "info", f"{node}: training on {event.get('device')}{detail}"
    if kind == "epoch":
        metrics = ", ".join(f"{k} {v:.4g}" for k, v in event.get("metrics", {}).items())
        return "info", f"{node}: epoch {event.get('epoch')}/{event.get('epochs')}: {metrics} " \
                       f"({event.get('seconds', 0):.2f} s)"
    if kind == "output":
        return "info", f"{node}: stored {event.get('port')} output"
    if kind == "node_status":
        status = event.get("status")
        if status == "executed":
            return "ok", f"{node}: executed" + (" (unchanged, output reused)" if event.get("cached")
                                               else f" in {event.get('seconds', 0):.2f} s")
        if status == "running":
            return "info", f"{node}: running"
        if status == "skipped":
            return "warning", f"{node}: skipped, {event.get('reason', '')}"
        if status == "cancelled":
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
