"""Recording a run in MLflow from its event stream, off the run's critical path.

:class:`RunTracker` is one more event sink of ``nodeflow run`` (the editor's runs
are ``nodeflow run`` in a child process, and a sweep's trials too, so every run
passes here).  The sink only forwards events, as JSON lines, to a small child
process (:mod:`nodeflow.tracking.writer`) that imports MLflow, opens the store and
records the run with a :class:`Recorder`: the MLflow run when the run starts, each
epoch's metrics as it ends (one ``log_batch``), and at the end the final numbers,
the workflow as run and the outcome.  A child rather than a thread because MLflow's
import and its SQL store cost about 1.5 s of Python: in a thread they hold the
interpreter lock against TensorFlow's import and Keras's training loop (measured:
+3.2 s on a 9 s iris run), in a child they run on the other core.  What a cached
node contributes (a learner that was not re-trained, a scorer not re-run) is read
from the run folder, so every record is complete however much of the run was reused.

Tracking never fails a run: the first MLflow error stops tracking that run and
becomes one ``warning`` event; the run and its exit code are unchanged.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from nodeflow.core.workflow import Workflow
from nodeflow.runtime.events import Event, NodeStatus, RunOutcome

from .record import best_epoch, flat_params, history_metrics, metric_key, table_metrics, workflow_fingerprint
from .store import ENV_RUN_TAGS, Store

EPOCH_FLUSH_SECONDS = 2.0  # epoch metrics reach the store at most this often (and at the end)
CLOSE_TIMEOUT = 30.0  # seconds the run's process waits, after the run, for its record
MLFLOW_STATUS = {RunOutcome.EXECUTED: "FINISHED", RunOutcome.FAILED: "FAILED", RunOutcome.CANCELLED: "KILLED"}
_WANTED = {Event.RUN_STARTED, Event.RUN_FINISHED, Event.NODE_STATUS, Event.EPOCH, Event.OUTPUT}


def run_tags(env: Mapping[str, str] = os.environ) -> tuple[dict[str, str], str | None]:
    """Extra tags from ``NODEFLOW_RUN_TAGS`` (a JSON object) and a problem with it, if any."""
    text = env.get(ENV_RUN_TAGS, "").strip()
    if not text:
        return {}, None
    try:
        tags = json.loads(text)
    except ValueError as exc:
        return {}, f"{ENV_RUN_TAGS} is not JSON ({exc}); its tags were left out"
    if not isinstance(tags, dict):
        return {}, f"{ENV_RUN_TAGS} must be a JSON object, got {type(tags).__name__}; its tags were left out"
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in tags.items()}, None


class RunTracker:
    """An event sink that has one run recorded in ``store`` by a writer child process.

    ``report`` receives the tracker's own ``warning`` events; it is called from the
    thread that feeds events and from :meth:`close`."""

    def __init__(self, workflow: Workflow, store: Store, name: str, overrides: list[str] | None = None,
                 report: Callable[[dict], None] | None = None, env: Mapping[str, str] = os.environ):
        import subprocess
        import sys

        from nodeflow.core.fileformat import dumps

        self.store = store
        self.report = report or (lambda event: None)
        tags, problem = run_tags(env)
        self._warnings: list[str] = [f"tracking: {problem}"] if problem else []
        self._failed = False
        header = {"store": {"uri": store.uri, "experiment": store.experiment,
                            "artifact_location": store.artifact_location},
                  "name": name, "overrides": list(overrides or []), "tags": tags,
                  "workflow": dumps(workflow),
                  "base_dir": str(workflow.base_dir) if workflow.base_dir else None}
        # its own session: Ctrl-C in a terminal reaches the run, which then ends the record
        self._child = subprocess.Popen(
            [sys.executable, "-P", "-m", "nodeflow.tracking.writer"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
            start_new_session=True, env=dict(env))
        self._send(header)

    # -- the run's thread ----------------------------------------------------------------
    def __call__(self, event: dict) -> None:
        if event.get("event") in _WANTED and not self._failed:
            self._send(event)
        self._flush_warnings()

    def _send(self, message: dict) -> None:
        try:
            self._child.stdin.write(json.dumps(message, default=str) + "\n")
            self._child.stdin.flush()
        except (OSError, ValueError):  # the writer ended: close() says why
            self._failed = True

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Wait (at most ``timeout`` seconds) until the run is recorded; a run that ended
        without ``run_finished`` (interrupted) is recorded as KILLED."""
        import subprocess

        try:
            out, err = self._child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._child.kill()
            out, err = self._child.communicate()
            self._warnings.append(f"tracking: the store {self.store.uri} did not answer within {timeout:.0f} s; "
                                  "this run's record may be incomplete")
        messages = [json.loads(line)["warning"] for line in out.splitlines() if line.startswith("{")]
        if self._child.returncode and not messages:
            last = (err.strip().splitlines() or [f"exit status {self._child.returncode}"])[-1]
            messages.append(f"run not tracked in MLflow ({self.store.uri}): {last[:300]}")
        self._warnings += messages
        self._flush_warnings()

    def _flush_warnings(self) -> None:
        while self._warnings:
            message = self._warnings.pop(0)
            self.report({"event": Event.WARNING, "node": None, "time": round(time.time(), 3), "message": message})


class Recorder:
    """Records one run's events in an MLflow store, synchronously (in the writer process).
    MLflow errors propagate: the writer reports the first one and records nothing more."""

    def __init__(self, workflow: Workflow, store: Store, name: str, overrides: list[str], tags: dict[str, str]):
        from .store import open_client

        self.workflow = workflow
        self.store = store
        self.name = name
        self.overrides = overrides
        self.run_id: str | None = None
        self.finished = False
        self._tags = tags
        self._run_dir: Path | None = None
        self._statuses: dict[str, dict] = {}
        self._histories: dict[str, list[tuple[int, dict[str, float]]]] = {}
        self._written: dict[str, str] = {}
        self._pending: list = []  # epoch metrics not yet written
        self._flushed = time.monotonic()
        self._client, self._experiment_id = open_client(store)
        import mlflow.entities  # noqa: F401 - what the run's end needs, loaded while it trains
        import nodeflow.runtime.storage  # noqa: F401

    def handle(self, event: dict) -> None:
        kind, client = event["event"], self._client
        if kind == Event.RUN_STARTED:
            self._start(client, self._experiment_id, event)
        elif kind == Event.NODE_STATUS:
            self._statuses[event.get("node")] = event
        elif kind == Event.EPOCH:
            self._epoch(client, event)
        elif kind == Event.OUTPUT and event.get("path") and not event.get("stored"):
            self._written[event["node"]] = str(event["path"])
        elif kind == Event.RUN_FINISHED:
            self._finish(client, event)
            self.finished = True

    def end(self) -> None:
        """The run's events ended: a run that never finished was interrupted."""
        if self.run_id is not None and not self.finished:
            self._flush_epochs(self._client)
            self._client.set_terminated(self.run_id, "KILLED")

    def _start(self, client, experiment_id: str, event: dict) -> None:
        from mlflow.entities import Param

        self._run_dir = Path(event["run_dir"]) if event.get("run_dir") else None
        tags = {
            "nodeflow.workflow": self.name,
            "nodeflow.fingerprint": workflow_fingerprint(self.workflow),
            "nodeflow.status": "running",
            "nodeflow.run_dir": str(event.get("run_dir", "")),
            "nodeflow.overrides": json.dumps(self.overrides),
            **self._tags,
        }
        if self.workflow.description:
            tags["mlflow.note.content"] = self.workflow.description
        run = client.create_run(experiment_id, start_time=_ms(event), tags=tags)
        self.run_id = run.info.run_id
        params = [Param(k, v) for k, v in flat_params(self.workflow).items()]
        for i in range(0, len(params), 100):  # MLflow takes 100 parameters per batch
            client.log_batch(self.run_id, params=params[i:i + 100])

    def _epoch(self, client, event: dict) -> None:
        from mlflow.entities import Metric

        node, epoch, metrics = event.get("node"), int(event["epoch"]), event.get("metrics") or {}
        self._histories.setdefault(node, []).append((epoch, {k: float(v) for k, v in metrics.items()}))
        self._pending += [Metric(metric_key(node, k), float(v), _ms(event), epoch) for k, v in metrics.items()]
        if time.monotonic() - self._flushed >= EPOCH_FLUSH_SECONDS:  # a live record, not a write per epoch
            self._flush_epochs(client)

    def _flush_epochs(self, client) -> None:
        self._flushed = time.monotonic()
        if self.run_id is not None:
            for i in range(0, len(self._pending), 1000):  # MLflow takes 1000 metrics per batch
                client.log_batch(self.run_id, metrics=self._pending[i:i + 1000])
        self._pending = []

    def _finish(self, client, event: dict) -> None:
        from mlflow.entities import Metric, RunTag

        if self.run_id is None:
            return
        self._flush_epochs(client)
        stamp = _ms(event)
        metrics: list[Metric] = []
        tags = {"nodeflow.status": str(event.get("status"))}
        for node_id, status in self._statuses.items():
            if status.get("status") != NodeStatus.EXECUTED or node_id not in self.workflow.nodes:
                continue
            metrics += self._node_metrics(node_id, stamp)
            for path in self._writes(node_id):
                tags[f"nodeflow.wrote.{node_id}"] = path
        for i in range(0, len(metrics), 1000):
            client.log_batch(self.run_id, metrics=metrics[i:i + 1000])
        client.log_batch(self.run_id, tags=[RunTag(k, v) for k, v in tags.items()])
        from nodeflow.core.fileformat import dumps

        client.log_text(self.run_id, dumps(self.workflow), f"workflow/{self.name}.nflow")
        client.set_terminated(self.run_id, MLFLOW_STATUS.get(event.get("status"), "FAILED"), end_time=stamp)

    def _node_metrics(self, node_id: str, stamp: int) -> list:
        """A finished node's numbers: a learner's history (read back when it was cached) and
        its best epoch, a metrics table's values."""
        from mlflow.entities import Metric
        from nodeflow.runtime.storage import load_value, output_path

        spec = self.workflow.spec(node_id)
        run_dir = self._run_dir
        found: list[Metric] = []
        for port in spec.outputs if spec is not None else ():
            if port.view not in ("history", "metrics") or run_dir is None:
                continue
            path = output_path(run_dir, node_id, port.name, port.type)
            if port.view == "history":
                history = self._histories.get(node_id)
                if history is None and path.exists():  # cached: not trained in this run
                    history = history_metrics(load_value(port.type, path))
                    found += [Metric(metric_key(node_id, k), v, stamp, epoch)
                              for epoch, row in history for k, v in row.items()]
                params = spec.resolve(self.workflow.nodes[node_id].params)
                best = best_epoch(history or [], params.get("monitor") or None)
                if best is not None:
                    epoch, row = best
                    found.append(Metric(metric_key(node_id, "best_epoch"), float(epoch), stamp, 0))
                    found += [Metric(metric_key(node_id, "best", k), v, stamp, 0) for k, v in row.items()]
            elif path.exists():
                found += [Metric(k, v, stamp, 0) for k, v in table_metrics(node_id, load_value(port.type, path)).items()]
        return found

    def _writes(self, node_id: str) -> list[str]:
        if node_id in self._written:
            return [self._written[node_id]]
        from nodeflow.runtime.written import written_paths

        return written_paths(self.workflow, node_id)  # a writer reused from an earlier run


def _ms(event: dict) -> int:
    return int(float(event.get("time") or time.time()) * 1000)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
