"""The Learning Monitor: live learning curves and progress of the learners of a run.

As KNIME's Keras Learning Monitor: it follows the batch and epoch events a learner
emits (through the run controller), draws loss and metric curves for training and
validation, shows epoch and batch progress with time per epoch and an estimate of the
time left, the device training runs on, and has a Stop button that ends training
after the current batch and keeps the model trained so far.

Each learner of the workflow gets a :class:`TrainingRecord` (plain data, tested
without widgets); the widget shows one record at a time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

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

from .plots import Curves, MetricPlots

TRAINING_EVENTS = ("device", "batch", "epoch")
ACTIVE = ("waiting", "training", "stopping")  # statuses of a learner whose run is not over


@dataclass
class TrainingRecord:
    """What one learner's training has reported so far."""

    node_id: str
    status: str = "waiting"  # waiting, training, stopping, finished, stopped, failed, cancelled, loaded
    device: str = ""
    device_description: str = ""
    epochs: int = 0
    epoch: int = 0  # the epoch under way (1-based)
    batches: int = 0
    batch: int = 0
    epoch_seconds: list[float] = field(default_factory=list)
    epoch_started: float | None = None
    curves: Curves = field(default_factory=Curves)

    def apply(self, event: dict, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        kind = event["event"]
        if kind == "device":
            self.device = event.get("device", "")
            self.device_description = event.get("description", "")
            self.status = "training"
        elif kind == "batch":
            if self.epoch_started is None:  # later epochs start when the previous one ends
                self.epoch_started = now
            self.epoch, self.epochs = event["epoch"], event["epochs"]
            self.batch, self.batches = event["batch"], event["batches"]
            self.curves.add_batch(self.epoch, self.batch, self.batches, event.get("metrics", {}))
            if self.status == "waiting":
                self.status = "training"
        elif kind == "epoch":
            self.epoch, self.epochs = event["epoch"], event["epochs"]
            self.batch = self.batches
            self.curves.add_epoch(self.epoch, event.get("metrics", {}))
            if "seconds" in event:
                self.epoch_seconds.append(float(event["seconds"]))
            self.epoch_started = now

    def seconds_per_epoch(self) -> float | None:
        recent = self.epoch_seconds[-5:]
        return sum(recent) / len(recent) if recent else None

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left: remaining epochs at the recent pace, less what the current one has done."""
        now = time.monotonic() if now is None else now
        if self.status not in ("training", "stopping") or not self.epochs:
            return None
        per_epoch = self.seconds_per_epoch()
        in_epoch = self.batch / self.batches if self.batches else 0.0
        if per_epoch is None:  # first epoch: extrapolate from its batches
            if not in_epoch or self.epoch_started is None:
                return None
            per_epoch = (now - self.epoch_started) / in_epoch
        done_epochs = len(self.epoch_seconds)
        left = (self.epochs - done_epochs) * per_epoch
        if self.epoch > done_epochs and self.epoch_started is not None and self.epoch_seconds:
            left -= min(now - self.epoch_started, per_epoch)
        return max(left, 0.0)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


STATUS_TEXT = {
    "waiting": "waiting for training to start",
    "training": "training",
    "stopping": "stopping after the current batch…",
    "finished": "finished",
    "stopped": "stopped early; the model trained so far was kept",
    "failed": "failed",
    "cancelled": "cancelled",
    "loaded": "history of an earlier run",
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
        self.status = QLabel("No training yet: execute a workflow with a Keras Network Learner.")
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
            starting = record.status == "waiting"
            record.apply(event)
            if starting:
                self.training_started.emit(node_id)
            if node_id == self.current:
                self._refresh(curves_changed=True)
        elif kind == "node_status" and node_id in self.records:
            status, record = event.get("status"), self.records[node_id]
            if status == "running":  # trains again: a fresh record (cached runs send no "running")
                self._new_record(node_id)
            elif status in ("executed", "failed", "cancelled") and record.status in ACTIVE:
                record.status = {"executed": "stopped" if record.status == "stopping" else "finished"}.get(
                    status, status)
            if node_id == self.current:
                self._refresh()
        elif kind == "log" and node_id in self.records and "stop requested" in event.get("message", ""):
            self.records[node_id].status = "stopping"
            self._refresh()

    def run_ended(self) -> None:
        """The child process is gone: no learner trains any more (e.g. after a crash)."""
        for record in self.records.values():
            if record.status in ACTIVE:
                record.status = "failed"
        self._refresh()

    def _new_record(self, node_id: str) -> TrainingRecord:
        record = TrainingRecord(node_id)
        self.records[node_id] = record
        if self.learner.findText(node_id) < 0:
            self.learner.addItem(node_id)
        current = self.records.get(self.current or "")
        if current is None or current.node_id == node_id or current.status != "training":
            self.show_learner(node_id)
        return record

    def load_history(self, node_id: str, rows: list[tuple[int, dict[str, float]]]) -> None:
        """Show a learner's stored history from an earlier run: (epoch, metrics) rows, as
        :func:`nodeflow.gui.plots.history_rows` reads them."""
        record = self._new_record(node_id)
        record.status = "loaded"
        for number, metrics in rows:
            record.apply({"event": "epoch", "epoch": number, "epochs": len(rows), "metrics": metrics})
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
        if record is not None and record.status == "training":
            record.status = "stopping"
            self.stop_requested.emit(record.node_id)
            self._refresh()

    def _refresh(self, curves_changed: bool = False) -> None:
        record = self.record()
        if curves_changed:
            self.plots.changed()
        active = record is not None and record.status in ACTIVE
        self.stop_button.setEnabled(record is not None and record.status == "training")
        if active and not self._clock.isActive():
            self._clock.start()
        elif not active:
            self._clock.stop()
        if record is None:
            return
        self.epoch_bar.setRange(0, max(record.epochs, 1))
        self.epoch_bar.setValue(len(record.epoch_seconds) if record.status != "loaded" else record.epoch)
        self.epoch_bar.setFormat(f"{record.epoch} / {record.epochs}" if record.epochs else "–")
        self.batch_bar.setRange(0, max(record.batches, 1))
        self.batch_bar.setValue(record.batch)
        self.batch_bar.setFormat(f"{record.batch} / {record.batches}" if record.batches else "–")
        if record.device:
            detail = f" ({record.device_description})" if record.device_description else ""
            self.device.setText(f"Device: {record.device}{detail}")
        else:
            self.device.setText("")
        self._refresh_text()

    def _refresh_text(self) -> None:
        record = self.record()
        if record is None:
            return
        self.status.setText(f"{record.node_id}: {STATUS_TEXT.get(record.status, record.status)}")
        per_epoch = record.seconds_per_epoch()
        parts = [f"{per_epoch:.2f} s per epoch" if per_epoch is not None else ""]
        if record.status in ("training", "stopping"):
            parts.append(f"ETA {_duration(record.eta())}")
        elif record.epoch_seconds:
            parts.append(f"trained for {_duration(sum(record.epoch_seconds))}")
        self.timing.setText(" · ".join(p for p in parts if p))
