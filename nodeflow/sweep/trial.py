"""One trial: an ordinary headless ``nodeflow run`` of the workflow with ``--set`` overrides.

The child is ``python -P -m nodeflow run WF --set ... --out TRIAL_DIR --node METRIC_NODE
-q``: it runs the metric's node and what it needs (so writers elsewhere in the workflow
do not run, and concurrent trials never write the same file), in its own run folder.
Its event stream is the run folder's own ``events.jsonl``, which the engine writes
line by line; pruning reads the learner's ``epoch`` events from it while it runs.
Its standard output and error go to ``sweep.log`` in the same folder.

Tracking: the child gets ``NODEFLOW_RUN_TAGS`` (JSON: the sweep and trial number),
and ``NODEFLOW_TRACKING_URI`` / ``NODEFLOW_NO_TRACK`` when the sweep was given them.

The sweep process itself never imports TensorFlow: the metric is read from the stored
tables with NumPy and pyarrow (:mod:`nodeflow.sweep.metric`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodeflow.core.workflow import Workflow

from . import metric as metrics

LOG_FILE = "sweep.log"
EVENTS_FILE = "events.jsonl"  # the engine's own event file in the run folder
COMPLETE, PRUNED, FAIL, RUNNING = "COMPLETE", "PRUNED", "FAIL", "RUNNING"


@dataclass
class TrialSpec:
    """Everything a trial needs, picklable (a Ray task receives it)."""

    number: int
    workflow: str  # absolute path
    overrides: dict[str, Any]  # "node.param[.arg]" -> value
    run_dir: str  # absolute path
    metric: metrics.Metric
    study: str
    allow_outside: bool = False
    tracking_uri: str | None = None
    no_track: bool = False
    fixed: tuple[str, ...] = ()  # the sweep's own --set items, the same in every trial

    def command(self) -> list[str]:
        sets = [*self.fixed, *(f"{path}={json.dumps(value)}" for path, value in self.overrides.items())]
        command = [sys.executable, "-P", "-m", "nodeflow", "run", self.workflow]
        for item in sets:
            command += ["--set", item]
        command += ["--out", self.run_dir, "--node", self.metric.node, "-q"]
        if self.allow_outside:
            command.append("--allow-outside")
        return command

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["NODEFLOW_RUN_TAGS"] = json.dumps({"nodeflow.sweep": self.study,
                                               "nodeflow.trial": str(self.number)})
        if self.tracking_uri:
            env["NODEFLOW_TRACKING_URI"] = self.tracking_uri
        if self.no_track:
            env["NODEFLOW_NO_TRACK"] = "1"
        return env


@dataclass
class Outcome:
    """How a trial ended: its state, the metric (None unless COMPLETE), the first line of
    its error (FAIL), and whether it is the metric itself that is missing (a usage error
    every trial would repeat)."""

    state: str
    value: float | None = None
    error: str = ""
    duration: float = 0.0
    metric_missing: bool = False


@dataclass
class RunningTrial:
    """A started child and the events read from it so far."""

    spec: TrialSpec
    process: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    _offset: int = 0
    _partial: str = ""
    pruned: bool = False
    stopped: bool = False

    def new_events(self) -> list[dict]:
        """Events the child wrote since the last call (whole lines only)."""
        path = Path(self.spec.run_dir) / EVENTS_FILE
        try:
            with open(path, encoding="utf-8") as handle:
                handle.seek(self._offset)
                text = handle.read()
                self._offset = handle.tell()
        except OSError:
            return []
        text = self._partial + text
        lines = text.split("\n")
        self._partial = lines.pop()
        events = []
        for line in lines:
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
        return events

    def terminate(self) -> None:
        """Ask the child to stop (SIGTERM: a clean cancel, exit 143)."""
        self.stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def finish(self, workflow: Workflow) -> Outcome:
        """The outcome of the finished child (call after ``process.poll()`` is not None)."""
        return outcome(self.spec, workflow, self.process.returncode, time.monotonic() - self.started,
                       pruned=self.pruned, stopped=self.stopped)


def start(spec: TrialSpec) -> RunningTrial:
    """Start the child; its run folder exists at once (the sweep's table links to it)."""
    Path(spec.run_dir).mkdir(parents=True, exist_ok=True)
    (Path(spec.run_dir) / EVENTS_FILE).unlink(missing_ok=True)  # a retried trial's old events
    with open(Path(spec.run_dir) / LOG_FILE, "wb") as log:
        process = subprocess.Popen(spec.command(), env=spec.environment(), stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=os.path.dirname(spec.workflow),
                                   preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    return RunningTrial(spec, process)


def run_to_end(spec: TrialSpec) -> Outcome:
    """Run a trial and wait for it (a Ray task does this on a worker).  An interruption
    (Ray's cancel raises KeyboardInterrupt here) terminates the child first."""
    from nodeflow.core import load

    trial = start(spec)
    try:
        trial.process.wait()
    except BaseException:
        trial.terminate()
        trial.process.wait()
        raise
    return trial.finish(load(spec.workflow))


def outcome(spec: TrialSpec, workflow: Workflow, returncode: int, duration: float,
            pruned: bool = False, stopped: bool = False) -> Outcome:
    if pruned:
        return Outcome(PRUNED, duration=duration)
    if stopped:
        return Outcome(FAIL, error="interrupted", duration=duration)
    if returncode != 0:
        return Outcome(FAIL, error=_error_line(spec, returncode), duration=duration)
    try:
        value = metrics.read(spec.run_dir, workflow, spec.metric)
    except metrics.MetricError as exc:
        return Outcome(FAIL, error=str(exc), duration=duration, metric_missing=True)
    except Exception as exc:  # an unreadable table: this trial's problem, not the sweep's
        return Outcome(FAIL, error=f"cannot read {spec.metric}: {type(exc).__name__}: {exc}",
                       duration=duration)
    if value != value:  # NaN: training diverged
        return Outcome(FAIL, error=f"{spec.metric} is NaN", duration=duration)
    return Outcome(COMPLETE, value=value, duration=duration)


def _error_line(spec: TrialSpec, returncode: int) -> str:
    """The first line of the run's first error event, else the last line it printed."""
    try:
        with open(Path(spec.run_dir) / EVENTS_FILE, encoding="utf-8") as handle:
            for line in handle:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "error":
                    node = f"node {event['node']}: " if event.get("node") else ""
                    return (node + str(event.get("message", ""))).splitlines()[0]
    except OSError:
        pass
    try:
        lines = (Path(spec.run_dir) / LOG_FILE).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    last = next((line.strip() for line in reversed(lines) if line.strip()), "")
    return last or f"nodeflow run exited with code {returncode}"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM when the sweep process dies, even by SIGKILL, so a
    killed sweep leaves no training behind."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
