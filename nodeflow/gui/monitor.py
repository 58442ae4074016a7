"""The Learning Monitor: live learning curves and progress of the learners of a run.

As KNIME's Keras Learning Monitor: it follows the batch and epoch events a learner
emits (through the run controller), draws loss and metric curves for training and
validation, shows epoch and batch progress with time per epoch and an estimate of the
time left, the device training runs on, and has a Stop button that ends training
after the current batch and keeps the model trained so far.

Each learner of the workflow gets a :class:`TrainingRecord` (plain data, tested
without widgets); the widget shows one record at a time.  Progress and the time left
come from :class:`nodeflow.runtime.events.TrainingProgress`, the same estimate the
terminal shows for ``nodeflow run``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nodeflow.runtime.events import (
    TRAINING_EVENTS,
    Event,
    NodeStatus,
    RunOutcome,
    TrainingProgress,
    duration_text,
    replicas_text,
)

from .plots import Curves, MetricPlots


class Training(StrEnum):
    """Where a learner's training stands, as the monitor tells it."""

    WAITING = "waiting"  # its node runs, no training event yet
    TRAINING = "training"
    STOPPING = "stopping"  # Stop was pressed: ends after the current batch
    FINISHED = "finished"
    STOPPED = "stopped"  # ended early by Stop; the model so far was kept
    FAILED = "failed"
    CANCELLED = "cancelled"
    LOADED = "loaded"  # a history stored by an earlier run


ACTIVE = (Training.WAITING, Training.TRAINING, Training.STOPPING)  # a learner whose run is not over
END_OF_TRAINING = {NodeStatus.EXECUTED: Training.FINISHED, NodeStatus.FAILED: Training.FAILED,
                   NodeStatus.CANCELLED: Training.CANCELLED}  # the learner node's status -> training's
NO_TRAINING = "No training yet: execute a workflow with a Keras Network Learner."


@dataclass
class TrainingRecord:
    """What one learner's training has reported so far."""

    node_id: str
    status: Training = Training.WAITING
    device: str = ""
    device_description: str = ""
    strategy: str = ""  # the tf.distribute strategy of several replicas; "" for one device
    replicas: int = 1
    progress: TrainingProgress = field(default_factory=TrainingProgress)
    curves: Curves = field(default_factory=Curves)

    def apply(self, event: dict, now: float | None = None) -> None:
        kind = event["event"]
        if kind == Event.DEVICE:
            self.device = event.get("device", "")
            self.device_description = event.get("description", "")
            self.strategy = event.get("strategy") or ""
            self.replicas = event.get("replicas") or 1
            self.status = Training.TRAINING
        elif kind == Event.BATCH:
            self.progress.apply(event, now)
            progress = self.progress
            self.curves.add_batch(progress.epoch, progress.batch, progress.batches, event.get("metrics", {}))
            if self.status == Training.WAITING:
                self.status = Training.TRAINING
        elif kind == Event.EPOCH:
            self.progress.apply(event, now)
            self.curves.add_epoch(self.progress.epoch, event.get("metrics", {}))

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left while training (see ``TrainingProgress``); None otherwise."""
        if self.status not in (Training.TRAINING, Training.STOPPING):
            return None
        return self.progress.eta(now)


STATUS_TEXT = {
    Training.WAITING: "waiting for training to start",
    Training.TRAINING: "training",
    Training.STOPPING: "stopping after the current batch…",
    Training.FINISHED: "finished",
    Training.STOPPED: "stopped early; the model trained so far was kept",
    Training.FAILED: "failed",
    Training.CANCELLED: "cancelled",
    Training.LOADED: "history of an earlier run",
}


class LearningMonitor(QWidget):
    stop_requested = Signal(str)  # learner node id
    training_started = Signal(str)  # learner node id: the first training event of a run

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.records: dict[str, TrainingRecord] = {}
        self.current: str | None = None
        self.learner = QComboBox()
        self.learner.setToolTip("The learner whose training is shown")
        self.learner.currentTextChanged.connect(lambda text: text and self.show_learner(text))
        self.status = QLabel(NO_TRAINING)
        self.status.setWordWrap(True)
        self.device = QLabel("")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End training after the current batch and keep the model trained so "
                                    "far; nodes after the learner still run (KNIME's Stop learning)")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self._stop)
        self.epoch_bar = QProgressBar()
        self.batch_bar = QProgressBar()
        self.timing = QLabel("")
        self.plots = MetricPlots(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Learner:"))
        top.addWidget(self.learner, 1)
        top.addWidget(self.stop_button)
        info = QHBoxLayout()
        info.addWidget(self.status, 1)
        info.addWidget(self.device)
        progress = QGridLayout()
        progress.addWidget(QLabel("Epoch"), 0, 0)
        progress.addWidget(self.epoch_bar, 0, 1)
        progress.addWidget(QLabel("Batch"), 0, 2)
        progress.addWidget(self.batch_bar, 0, 3)
        progress.addWidget(self.timing, 0, 4)
        progress.setColumnStretch(1, 1)
        progress.setColumnStretch(3, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(info)
        layout.addLayout(progress)
        layout.addWidget(self.plots, 1)
        self._clock = QTimer(self, interval=1000)  # the ETA counts down between events
        self._clock.timeout.connect(self._refresh_text)
        self._refresh()

    # -- events --------------------------------------------------------------------------
    def handle_event(self, event: dict) -> None:
        kind, node_id = event.get("event"), event.get("node")
        if kind in TRAINING_EVENTS and node_id:
            record = self.records.get(node_id)
            if record is None or record.status not in ACTIVE:
                record = self._new_record(node_id)
            starting = record.status == Training.WAITING
            record.apply(event)
            if starting:
                self.training_started.emit(node_id)
            if node_id == self.current:
                self._refresh(curves_changed=True)
        elif kind == Event.NODE_STATUS and node_id in self.records:
            status, record = event.get("status"), self.records[node_id]
            if status == NodeStatus.RUNNING:  # trains again: a fresh record (cached runs send no "running")
                self._new_record(node_id)
            elif status in END_OF_TRAINING and record.status in ACTIVE:
                record.status = Training.STOPPED if (status == NodeStatus.EXECUTED and
                                                     record.status == Training.STOPPING) else END_OF_TRAINING[status]
            if node_id == self.current:
                self._refresh()
        elif kind == Event.LOG and node_id in self.records and "stop requested" in event.get("message", ""):
            self.records[node_id].status = Training.STOPPING
            self._refresh()

    def run_ended(self, status: str = RunOutcome.FAILED) -> None:
        """The child process is gone: no learner trains any more.  ``status`` is the run's
        outcome; a learner still active then was cancelled with it, or failed (e.g. a crash)."""
        for record in self.records.values():
            if record.status in ACTIVE:
                record.status = Training.CANCELLED if status == RunOutcome.CANCELLED else Training.FAILED
        self._refresh()

    def clear(self) -> None:
        """Forget every learner (another workflow was opened)."""
        self.records.clear()
        self.current = None
        self.learner.clear()
        self.plots.clear()
        self._clock.stop()
        self.epoch_bar.reset()
        self.batch_bar.reset()
        self.timing.setText("")
        self.device.setText("")
        self.stop_button.setEnabled(False)
        self.status.setText(NO_TRAINING)

    def _new_record(self, node_id: str) -> TrainingRecord:
        record = TrainingRecord(node_id)
        self.records[node_id] = record
        if self.learner.findText(node_id) < 0:
            self.learner.addItem(node_id)
        current = self.records.get(self.current or "")
        if current is None or current.node_id == node_id or current.status != Training.TRAINING:
            self.show_learner(node_id)
        return record

    def load_history(self, node_id: str, rows: list[tuple[int, dict[str, float]]]) -> None:
        """Show a learner's stored history from an earlier run: (epoch, metrics) rows, as
        :func:`nodeflow.gui.plots.history_rows` reads them."""
        record = self._new_record(node_id)
        record.status = Training.LOADED
        for number, metrics in rows:
            record.apply({"event": Event.EPOCH, "epoch": number, "epochs": len(rows), "metrics": metrics})
        self.show_learner(node_id)

    # -- showing ---------------------------------------------------------------------------
    def show_learner(self, node_id: str) -> None:
        if node_id not in self.records:
            return
        self.current = node_id
        if self.learner.currentText() != node_id:
            self.learner.setCurrentText(node_id)
        self.plots.clear()
        self.plots.set_curves(self.records[node_id].curves)
        self._refresh()

    def record(self, node_id: str | None = None) -> TrainingRecord | None:
        return self.records.get(node_id or self.current or "")

    def epoch_points(self, metric: str) -> list[tuple[float, float]]:
        """The per-epoch points drawn for a metric of the shown learner (``val_loss`` etc.)."""
        return self.plots.points(metric, "epoch")

    def _stop(self) -> None:
        record = self.record()
        if record is not None and record.status == Training.TRAINING:
            record.status = Training.STOPPING
            self.stop_requested.emit(record.node_id)
            self._refresh()

    def _refresh(self, curves_changed: bool = False) -> None:
        record = self.record()
        if curves_changed:
            self.plots.changed()
        active = record is not None and record.status in ACTIVE
        self.stop_button.setEnabled(record is not None and record.status == Training.TRAINING)
        if active and not self._clock.isActive():
            self._clock.start()
        elif not active:
            self._clock.stop()
        if record is None:
            return
        progress = record.progress
        self.epoch_bar.setRange(0, max(progress.epochs, 1))
        self.epoch_bar.setValue(progress.epochs_done)
        self.epoch_bar.setFormat(f"{progress.epoch} / {progress.epochs}" if progress.epochs else "–")
        self.batch_bar.setRange(0, max(progress.batches, 1))
        self.batch_bar.setValue(progress.batch)
        self.batch_bar.setFormat(f"{progress.batch} / {progress.batches}" if progress.batches else "–")
        if record.device:
            detail = f" ({record.device_description})" if record.device_description else ""
            replicas = replicas_text({"strategy": record.strategy, "replicas": record.replicas})
            self.device.setText(f"Device: {record.device}{detail}{replicas}")
        else:
            self.device.setText("")
        self._refresh_text()

    def _refresh_text(self) -> None:
        record = self.record()
        if record is None:
            return
        self.status.setText(f"{record.node_id}: {STATUS_TEXT.get(record.status, record.status)}")
        per_epoch = record.progress.seconds_per_epoch()
        parts = [f"{per_epoch:.2f} s per epoch" if per_epoch is not None else ""]
        if record.status in (Training.TRAINING, Training.STOPPING):
            parts.append(f"ETA {duration_text(record.eta())}")
        elif record.progress.epoch_seconds:
            parts.append(f"trained for {duration_text(sum(record.progress.epoch_seconds))}")
        self.timing.setText(" · ".join(p for p in parts if p))
