"""The words of a run's event stream, defined once.

A run reports everything as events: dicts with an ``"event"`` name and a
``"node"`` where one applies, written as JSON lines by ``nodeflow run --events``
and read back by the editor.  The engine, the run context and the learner write
them; the terminal reporter, the editor's log pane and its Learning Monitor read
them.  All of them take the names, node statuses and run outcomes from here, and
all of them follow a learner's training with one :class:`TrainingProgress`, so
there is one estimate of the time left, not one per view.

Standard library only: the editor imports this without NumPy or TensorFlow.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Event(StrEnum):
    """Event names (the ``"event"`` field), with the fields each one carries."""

    RUN_STARTED = "run_started"  # nodes (ids that execute), workflow_nodes, run_dir
    RUN_FINISHED = "run_finished"  # status: a RunOutcome
    NODE_STATUS = "node_status"  # node, status: a NodeStatus; cached/seconds, reason, error
    # node, port, path: stored=True for a port value kept in the run directory; without it,
    # a file a writer node wrote for the user (with its format), reported once
    OUTPUT = "output"
    ERROR = "error"  # node, message
    WARNING = "warning"  # node, message
    LOG = "log"  # node, level, message
    # node, device ("GPU:0", several joined: "GPU:0,GPU:1"), description, replicas (1 for one
    # device), strategy (the tf.distribute class, "MirroredStrategy"; None for one device)
    DEVICE = "device"
    BATCH = "batch"  # node, epoch, epochs, batch, batches, metrics, seconds (in the epoch so far)
    EPOCH = "epoch"  # node, epoch, epochs, metrics, seconds (the epoch's duration)


TRAINING_EVENTS = frozenset({Event.DEVICE, Event.BATCH, Event.EPOCH})


def replicas_text(event: dict) -> str:
    """`` · MirroredStrategy, 2 replicas`` for a DEVICE event of several devices, else "";
    the terminal, the log pane and the Learning Monitor all say it this way."""
    strategy = event.get("strategy")
    return f" · {strategy}, {event.get('replicas')} replicas" if strategy else ""


class NodeStatus(StrEnum):
    """What happened to a node in a run (``node_status`` events)."""

    QUEUED = "queued"  # part of the run, waiting for its turn
    RUNNING = "running"
    EXECUTED = "executed"  # its outputs are stored (cached=True: reused from an earlier run)
    FAILED = "failed"
    SKIPPED = "skipped"  # an input did not execute
    CANCELLED = "cancelled"


class RunOutcome(StrEnum):
    """How a whole run ended (``run_finished`` events, exit codes of ``nodeflow run``)."""

    EXECUTED = "executed"
    FAILED = "failed"
    CANCELLED = "cancelled"


def outcome(statuses: Iterable[str]) -> RunOutcome:
    """A run's outcome from its nodes' statuses: a cancel outranks a failure."""
    seen = set(statuses)
    if NodeStatus.CANCELLED in seen:
        return RunOutcome.CANCELLED
    if NodeStatus.FAILED in seen:
        return RunOutcome.FAILED
    return RunOutcome.EXECUTED


# Batches timed after an epoch's first one before the first epoch gives an estimate:
# the first batch includes tracing and compiling the model and says nothing about pace.
MIN_TIMED_BATCHES = 3


@dataclass
class TrainingProgress:
    """Where one learner's training is, from its ``batch`` and ``epoch`` events, and
    how long the rest will take.

    The estimate of the time left follows one rule.  Until an epoch has finished it
    comes from the pace of the batches of the epoch under way, leaving out its first
    batch (which also traced and compiled the model), and only once
    ``MIN_TIMED_BATCHES`` batches were timed after that one.  Once an epoch has
    finished it comes from the mean epoch time (leaving out the first epoch as soon
    as later ones are known, for the same reason), less the time spent in the epoch
    under way.  Durations are the learner's own (the ``seconds`` fields), so a slow
    event pipe does not distort them.  Between events the estimate counts down with
    the reader's clock.
    """

    epochs: int = 0
    epoch: int = 0  # the epoch under way or last finished (1-based)
    batches: int = 0  # batches per epoch
    batch: int = 0  # batches done in ``epoch``
    epochs_done: int = 0  # the number of the last finished epoch
    epoch_seconds: list[float] = field(default_factory=list)  # durations of finished epochs
    _elapsed: float = 0.0  # seconds spent in the epoch under way, at the last event
    _first: tuple[int, int, float] | None = None  # (epoch, batch, elapsed) at its first batch event
    _anchor: float | None = None  # reader's clock at the epoch's start, for events without seconds
    _at: float | None = None  # reader's clock at the last event
    _left: float | None = None  # the estimate at the last event

    def apply(self, event: dict, now: float | None = None) -> None:
        """Take in a ``batch`` or ``epoch`` event (others are ignored)."""
        now = time.monotonic() if now is None else now
        kind = event.get("event")
        if kind == Event.BATCH:
            self.epoch, self.epochs = int(event["epoch"]), int(event["epochs"])
            self.batch, self.batches = int(event["batch"]), int(event["batches"])
            if self._anchor is None:
                self._anchor = now
            self._elapsed = float(event["seconds"]) if "seconds" in event else now - self._anchor
            if self._first is None or self._first[0] != self.epoch:
                self._first = (self.epoch, self.batch, self._elapsed)
        elif kind == Event.EPOCH:
            self.epoch, self.epochs = int(event["epoch"]), int(event["epochs"])
            self.batch = self.batches
            self.epochs_done = self.epoch
            if "seconds" in event:
                self.epoch_seconds.append(float(event["seconds"]))
            self._anchor, self._elapsed = now, 0.0
        else:
            return
        self._at = now
        self._left = self._estimate()

    def seconds_per_epoch(self) -> float | None:
        """Mean duration of the finished epochs (the first left out once later ones exist)."""
        times = self.epoch_seconds[1:] if len(self.epoch_seconds) > 1 else self.epoch_seconds
        return sum(times) / len(times) if times else None

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left until the last epoch ends; None until enough is known."""
        if self._left is None or self._at is None:
            return None
        now = time.monotonic() if now is None else now
        return max(self._left - max(now - self._at, 0.0), 0.0)

    def _estimate(self) -> float | None:
        if not self.epochs:
            return None
        if self.epochs_done >= self.epochs:
            return 0.0
        per_epoch = self.seconds_per_epoch()
        if per_epoch is not None:
            in_epoch = self._elapsed if self.epoch > self.epochs_done else 0.0
            return max((self.epochs - self.epochs_done) * per_epoch - in_epoch, 0.0)
        if self._first is None or self._first[0] != self.epoch or not self.batches:
            return None
        _, first_batch, first_elapsed = self._first
        timed = self.batch - first_batch
        if timed < MIN_TIMED_BATCHES:
            return None
        pace = (self._elapsed - first_elapsed) / timed  # seconds per batch
        return (self.batches - self.batch + (self.epochs - self.epoch) * self.batches) * pace


def duration_text(seconds: float | None) -> str:
    """``1:02:03``, ``2:05``; a dash when unknown (for ETAs and times per epoch)."""
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
