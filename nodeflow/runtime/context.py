"""What a running node sees besides its inputs and parameters.

A node's ``run(context, inputs, params)`` gets a :class:`RunContext`: its own id,
paths resolved against the workflow's folder, a folder of its own inside the run
directory, an event sink for progress and log lines, and the run's cancellation
and stop flags.  Values on ports (see DESIGN.md):

- ``table``: :class:`nodeflow.runtime.table.Table` in memory, or a file-backed
  :class:`nodeflow.runtime.file_table.FileTable` (large data; see that module);
- ``model``: a ``keras.Model``;
- ``network``: a :class:`NetworkRef`, turned into a fresh ``keras.Model`` with
  :meth:`NetworkRef.build` (the translator runs then, not before);
- ``normalizer``: :class:`nodeflow.runtime.values.Normalizer`.

A node reports a user mistake by raising :class:`nodeflow.core.errors.NodeRunError`
with a message that names the parameter or column and says what was expected;
the runtime adds the node id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodeflow.core.errors import NodeFlowError
from nodeflow.core.workflow import Workflow

from .events import Event


class Cancelled(NodeFlowError):
    """The run was cancelled (Ctrl-C, the editor's Cancel); nothing is wrong with the node."""


@dataclass(frozen=True)
class NetworkRef:
    """The network carried by a layer node's output port: built on demand."""

    workflow: Workflow
    node_id: str
    port: str

    def build(self, name: str | None = None):
        from nodeflow.keras.translator import translate

        return translate(self.workflow, output=(self.node_id, self.port), name=name).model


@dataclass
class RunControl:
    """Flags shared by the runtime, its signal handlers and every node of a run."""

    cancel: threading.Event = field(default_factory=threading.Event)
    stop_learning: threading.Event = field(default_factory=threading.Event)
    # the editor's run controller asks a run in a child process to stop learning or to
    # cancel by creating these files (signals do not exist on every platform)
    stop_file: Path | None = None
    cancel_file: Path | None = None

    def stop_requested(self) -> bool:
        if not self.stop_learning.is_set() and self.stop_file is not None and self.stop_file.exists():
            self.stop_learning.set()
        return self.stop_learning.is_set()

    def cancel_requested(self) -> bool:
        if not self.cancel.is_set() and self.cancel_file is not None and self.cancel_file.exists():
            self.cancel.set()
        return self.cancel.is_set()


@dataclass
class RunContext:
    workflow: Workflow
    node_id: str
    node_dir: Path  # a folder of this node's own inside the run directory
    emit_event: Callable[[dict], None]
    control: RunControl = field(default_factory=RunControl)
    seed: int | None = None
    device: str = "auto"  # "auto", "cpu" or "gpu:N"

    def resolve_path(self, value: str) -> str:
        return self.workflow.resolve_path(value)

    def table_file(self, port: str) -> Path:
        """Where this node writes the rows of a file-backed table it outputs on ``port``
        (inside its own folder; the stored output is then a recipe naming this file)."""
        return self.node_dir / f"{port}.rows.arrow"

    def emit(self, event: Event, **fields: Any) -> None:
        """Report an event of this node (names and fields: :class:`nodeflow.runtime.events.Event`)."""
        self.emit_event({"event": event, "node": self.node_id, "time": round(time.time(), 3), **fields})

    def log(self, message: str, level: str = "info") -> None:
        self.emit(Event.LOG, level=level, message=message)

    def warn(self, message: str) -> None:
        self.emit(Event.WARNING, message=message)

    def check_cancelled(self) -> None:
        if self.control.cancel_requested():
            raise Cancelled(f"node {self.node_id}: cancelled")

    @property
    def stop_requested(self) -> bool:
        """The learner's "stop learning": end after the current batch and keep the model."""
        return self.control.stop_requested()
