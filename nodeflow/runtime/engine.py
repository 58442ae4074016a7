"""Executes a workflow: the one engine behind `nodeflow run` and the editor.

Data, learner and writer nodes run in dependency order; layer nodes are not run
on their own but give their network to whoever consumes it (a learner builds the
Keras model then).  Each node moves through queued -> running -> executed /
failed / skipped (an upstream node failed) / cancelled, and every change is an
event (a dict, written as JSON lines by the CLI).

What a run executes (the targets and what they need) and whether that part is
valid is decided by :func:`nodeflow.runtime.plan.plan_run`; event names and
statuses come from :mod:`nodeflow.runtime.events`.

Outputs are kept in the run directory, keyed by a fingerprint of the node's type,
parameters, the files it reads and its inputs' fingerprints
(:mod:`nodeflow.runtime.fingerprint`): a node whose fingerprint is unchanged since
the last run is not executed again, its stored outputs are used instead.  A writer
is reused too, while the files it wrote are still as it left them
(:mod:`nodeflow.runtime.written`): a fully cached run rewrites nothing.

What the run directory holds is only reused when it is whole and NodeFlow's own
(:mod:`nodeflow.runtime.storage`): before a node executes, its entry is dropped from
``state.json`` on disk; its outputs are then written, fsynced and sealed with a commit
token, and only then is the new entry (with that token) written, so a run killed at any
moment leaves nothing a later run mistakes for another configuration's result.  Links
planted in the run folder are replaced, never written through; temp files and staging
folders that killed runs left (there and beside the files writers write) are removed
when the next run starts.  A full disk fails the node with "no space left on device".

Test hook: with ``NODEFLOW_TEST_PAUSE_AFTER_OUTPUTS=<node id>`` in the environment the
engine stops for good after writing that node's outputs and before committing them
(after a ``log`` event saying so), so a test can kill a run exactly there.
"""

from __future__ import annotations

import errno
import json
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodeflow.core.errors import NodeRunError, Problem, ProblemsError
from nodeflow.core.workflow import Workflow

from .context import Cancelled, NetworkRef, RunContext, RunControl
from .events import Event, NodeStatus, RunOutcome, outcome
from .fingerprint import node_keys
from .plan import RunPlan, plan_run
from .storage import (
    commit_outputs,
    committed,
    fsync_path,
    is_temp,
    is_valid,
    load_value,
    node_folder,
    open_new,
    output_path,
    real_dir,
    remove_links,
    remove_stale_temps,
    save_value,
    storable,
    uncommit,
    write_file,
)
from .written import is_writer_temp, written_paths, written_stamps

STATE_FILE = "state.json"
CONTROL_DIR = "control"  # request files of a running run: stop-learning, cancel
EVENTS_FILE = "events.jsonl"
NODES_DIR = "nodes"
PAUSE_HOOK = "NODEFLOW_TEST_PAUSE_AFTER_OUTPUTS"  # test hook, see the module docstring


class WorkflowInvalid(ProblemsError):
    """The workflow cannot run: validation problems (exit code 3)."""


@dataclass
class NodeResult:
    status: NodeStatus = NodeStatus.QUEUED
    error: str | None = None
    cached: bool = False
    seconds: float = 0.0
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    nodes: dict[str, NodeResult]
    run_dir: Path
    loader: Callable[[str, str], Any] | None = None  # loads an output kept from an earlier run

    @property
    def status(self) -> RunOutcome:
        return outcome(r.status for r in self.nodes.values())

    def output(self, node_id: str, port: str) -> Any:
        """A node's output value (read from the run directory if the node was not re-run)."""
        outputs = self.nodes[node_id].outputs
        if port not in outputs and self.loader is not None:
            return self.loader(node_id, port)
        return outputs[port]


def default_run_dir(workflow_path: str | os.PathLike | None) -> Path:
    """``<workflow folder>/runs/<workflow name>`` (beside the file, ignored by git by default)."""
    if workflow_path is None:
        return Path.cwd() / "runs" / "workflow"
    path = Path(workflow_path)
    return path.parent / "runs" / path.stem


class Engine:
    def __init__(
        self,
        workflow: Workflow,
        run_dir: Path,
        on_event: Callable[[dict], None] | None = None,
        control: RunControl | None = None,
        use_cache: bool = True,
        device: str = "auto",
    ):
        self.workflow = workflow
        self.run_dir = Path(run_dir)
        self.on_event = on_event or (lambda event: None)
        self.control = control or RunControl()
        if self.control.stop_file is None:
            self.control.stop_file = self.run_dir / CONTROL_DIR / "stop-learning"
        if self.control.cancel_file is None:
            self.control.cancel_file = self.run_dir / CONTROL_DIR / "cancel"
        self.use_cache = use_cache
        self.device = device
        self._keys: dict[str, str] | None = None
        self._events_file = None

    # -- events ---------------------------------------------------------------
    def emit(self, event: dict) -> None:
        event.setdefault("time", round(time.time(), 3))
        if self._events_file is not None:
            try:
                self._events_file.write(json.dumps(event, default=str) + "\n")
                self._events_file.flush()
            except OSError:  # a full disk: the run goes on (and fails the node that writes)
                self._events_file = None
        self.on_event(event)

    def _status(self, node_id: str, status: NodeStatus, **fields) -> None:
        self.emit({"event": Event.NODE_STATUS, "node": node_id, "status": status, **fields})

    # -- fingerprints -------------------------------------------------------------
    def key(self, node_id: str) -> str:
        """Fingerprint of a node (see :func:`nodeflow.runtime.fingerprint.node_keys`)."""
        if self._keys is None or node_id not in self._keys:
            self._keys = node_keys(self.workflow)
        return self._keys[node_id]

    # -- running ------------------------------------------------------------------
    def run(self, targets: list[str] | None = None, plan: RunPlan | None = None) -> RunResult:
        """Execute the targets and what they need (everything when None).

        ``plan`` is the caller's :func:`plan_run` of the same workflow and targets, when it
        made one already.  Raises :class:`WorkflowInvalid` when that part is invalid."""
        plan = plan or plan_run(self.workflow, targets)
        if plan.problems:
            raise WorkflowInvalid(plan.problems)
        runnable = plan.runnable
        self._keys = node_keys(plan.workflow)  # only the part that runs: no stat of unrelated files
        self._prepare_run_dir(plan.workflow, time.time())
        for request in (self.control.stop_file, self.control.cancel_file):
            request.unlink(missing_ok=True)  # left over from an earlier run that was killed
        state = self._load_state()
        results = {n: NodeResult() for n in runnable}
        waiting = self._consumers(runnable)
        with open_new(self.run_dir / EVENTS_FILE, "w", encoding="utf-8") as self._events_file:
            self.emit({"event": Event.RUN_STARTED, "workflow_nodes": len(self.workflow.nodes),
                       "nodes": runnable, "run_dir": str(self.run_dir)})
            for node_id in runnable:
                self._status(node_id, NodeStatus.QUEUED)
            for node_id in runnable:
                result = results[node_id]
                if self.control.cancel_requested():
                    result.status = NodeStatus.CANCELLED
                    self._status(node_id, NodeStatus.CANCELLED)
                    continue
                failed_upstream = [e.source for e in self.workflow.incoming(node_id)
                                   if e.source in results and results[e.source].status != NodeStatus.EXECUTED]
                if failed_upstream:
                    result.status = NodeStatus.SKIPPED
                    self._status(node_id, NodeStatus.SKIPPED, reason=f"{failed_upstream[0]} did not execute")
                    continue
                self._execute(node_id, result, results, state)
                self._release_inputs(node_id, results, waiting)
            self.emit({"event": Event.RUN_FINISHED, "status": RunResult(results, self.run_dir).status})
        self._events_file = None
        return RunResult(results, self.run_dir, lambda node, port: self._output(node, port, results))

    def _prepare_run_dir(self, workflow: Workflow, started: float) -> None:
        """Make the run folder's own names real files and folders (a planted link there is
        removed, not followed) and remove the temp files and staging folders that runs
        killed before ``started`` left in it and beside the files this run's writers write."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for name in (EVENTS_FILE, STATE_FILE, f".{STATE_FILE}.tmp", CONTROL_DIR, NODES_DIR):
            if (self.run_dir / name).is_symlink():
                (self.run_dir / name).unlink()
        remove_stale_temps(self.run_dir, started, is_temp, recursive=True)
        for node_id in workflow.nodes:
            for target in written_paths(workflow, node_id):
                remove_stale_temps(os.path.dirname(target), started,
                                   lambda name, target=target: is_writer_temp(target, name))

    def _consumers(self, runnable: list[str]) -> dict[str, int]:
        """How many nodes of this run still read each node's outputs."""
        waiting: dict[str, int] = {}
        for node_id in runnable:
            for edge in self.workflow.incoming(node_id):
                if edge.source in runnable:
                    waiting[edge.source] = waiting.get(edge.source, 0) + 1
        return waiting

    def _release_inputs(self, node_id: str, results: dict[str, NodeResult], waiting: dict[str, int]) -> None:
        """Drop the in-memory outputs nobody else in this run reads: they are kept on disk
        (and :meth:`RunResult.output` reads them back), so memory holds only what is still
        needed, not every table of the run."""
        for edge in self.workflow.incoming(node_id):
            if edge.source not in waiting:
                continue
            waiting[edge.source] -= 1
            if waiting[edge.source] == 0:
                spec = self.workflow.spec(edge.source)
                outputs = results[edge.source].outputs
                for port in spec.outputs:
                    if storable(port.type):
                        outputs.pop(port.name, None)

    def _inputs(self, node_id: str, results: dict[str, NodeResult]) -> dict[str, Any]:
        spec = self.workflow.spec(node_id)
        inputs: dict[str, Any] = {}
        for port in spec.inputs:
            values = []
            for edge in self.workflow.incoming(node_id, port.name):
                source_spec = self.workflow.spec(edge.source)
                if source_spec.family == "layer":
                    values.append(NetworkRef(self.workflow, edge.source, edge.source_port))
                else:
                    values.append(self._output(edge.source, edge.source_port, results))
            if port.multi:
                inputs[port.name] = values
            elif values:
                inputs[port.name] = values[0]
        return inputs

    def _output(self, node_id: str, port: str, results: dict[str, NodeResult]) -> Any:
        outputs = results[node_id].outputs
        if port not in outputs:  # a cached output, loaded when first needed
            spec = self.workflow.spec(node_id)
            port_type = spec.output(port).type
            outputs[port] = load_value(port_type, output_path(self.run_dir, node_id, port, port_type))
        return outputs[port]

    def _cached(self, node_id: str, state: dict) -> bool:
        spec = self.workflow.spec(node_id)
        entry = state.get(node_id)
        if not self.use_cache or not entry or entry.get("key") != self.key(node_id) or "error" in entry:
            return False
        if entry.get("written", {}) != written_stamps(self.workflow, node_id):  # deleted or touched
            return False
        if not committed(node_folder(self.run_dir, node_id), entry.get("commit"), self.run_dir):
            return False  # outputs of another run (killed before its state was written), or damaged
        return all(is_valid(output_path(self.run_dir, node_id, p.name, p.type), self.run_dir)
                   for p in spec.outputs if storable(p.type))

    def _execute(self, node_id: str, result: NodeResult, results: dict, state: dict) -> None:
        spec = self.workflow.spec(node_id)
        if self._cached(node_id, state):
            result.status, result.cached = NodeStatus.EXECUTED, True
            self._status(node_id, NodeStatus.EXECUTED, cached=True)
            return
        self._status(node_id, NodeStatus.RUNNING)
        start = time.perf_counter()
        node_dir = node_folder(self.run_dir, node_id)
        try:
            if state.pop(node_id, None) is not None:
                self._save_state(state)  # on disk first: the outputs are about to be replaced
            real_dir(node_dir, self.run_dir)
            remove_links(node_dir)
            uncommit(node_dir)
            context = RunContext(self.workflow, node_id, node_dir, self.emit, self.control,
                                 device=self.device)
            inputs = self._inputs(node_id, results)
            params = spec.resolve(self.workflow.nodes[node_id].params)
            outputs = spec.run(context, inputs, params) or {}
            missing = [p.name for p in spec.outputs if p.name not in outputs]
            if missing:
                raise RuntimeError(f"{spec.type_id} gave no value for output port(s) {', '.join(missing)}")
            for port in spec.outputs:
                if storable(port.type):
                    path = save_value(port.type, outputs[port.name], node_dir, port.name)
                    self.emit({"event": Event.OUTPUT, "node": node_id, "port": port.name, "path": str(path),
                               "stored": True})
            if os.environ.get(PAUSE_HOOK) == node_id:
                self.emit({"event": Event.LOG, "node": node_id, "level": "info",
                           "message": f"{PAUSE_HOOK}: paused after writing the outputs"})
                while True:
                    time.sleep(60)
            entry = {"key": self.key(node_id), "finished": time.time(), "commit": commit_outputs(node_dir)}
            written = written_stamps(self.workflow, node_id)
            if written:
                entry["written"] = written
            state[node_id] = entry
            self._save_state(state)
        except Cancelled:
            result.status = NodeStatus.CANCELLED
            self._status(node_id, NodeStatus.CANCELLED)
            return
        except NodeRunError as exc:
            self._fail(node_id, result, state, str(exc))
            return
        except Exception as exc:  # a bug or an unexpected library error: say what, keep the trace
            if _no_space(exc):
                name = getattr(exc, "filename", None)
                where = os.path.dirname(os.fspath(name)) if name else self.run_dir
                self._fail(node_id, result, state, f"no space left on device in {where}: free some space "
                                                   "and run again")
                return
            try:
                write_file(node_dir / "traceback.txt", traceback.format_exc())
            except OSError:
                pass
            self._fail(node_id, result, state, f"{type(exc).__name__}: {_first_line(exc)}")
            return
        result.outputs = outputs
        result.status = NodeStatus.EXECUTED
        result.seconds = time.perf_counter() - start
        self._status(node_id, NodeStatus.EXECUTED, seconds=round(result.seconds, 3))

    def _fail(self, node_id: str, result: NodeResult, state: dict, message: str) -> None:
        result.status = NodeStatus.FAILED
        result.error = str(Problem(node_id, None, message))
        state[node_id] = {"key": self.key(node_id), "error": result.error, "finished": time.time()}
        node_dir = node_folder(self.run_dir, node_id)
        if not node_dir.is_symlink():  # what the failed write left (a link is not NodeFlow's)
            remove_stale_temps(node_dir, float("inf"), is_temp, recursive=True)
        try:
            self._save_state(state)
        except OSError:  # a full disk: the failure is reported all the same
            pass
        self.emit({"event": Event.ERROR, "node": node_id, "message": result.error})
        self._status(node_id, NodeStatus.FAILED, error=result.error, key=self.key(node_id))

    # -- state ------------------------------------------------------------------
    def _load_state(self) -> dict:
        return read_state(self.run_dir)

    def _save_state(self, state: dict) -> None:
        write_state(self.run_dir, state)


def read_state(run_dir: str | os.PathLike) -> dict:
    """What the last runs left in a run directory: node id -> {"key": fingerprint,
    "finished": time} for a node whose outputs are kept, plus "error" if it failed and
    "written" (path -> stamp) for a node that writes files."""
    try:
        document = json.loads((Path(run_dir) / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    state = document.get("nodes", {}) if isinstance(document, dict) else {}
    return state if isinstance(state, dict) else {}


def write_state(run_dir: str | os.PathLike, state: dict) -> None:
    """Replace state.json atomically and durably (never through a link)."""
    write_file(Path(run_dir) / STATE_FILE, json.dumps({"nodes": state}, indent=1, sort_keys=True))
    fsync_path(run_dir)


def reset_nodes(run_dir: str | os.PathLike, node_ids) -> list[str]:
    """Forget the stored outputs of these nodes (KNIME's Reset): their next run executes
    them again.  Returns the ids that had something stored."""
    import shutil

    run_dir = Path(run_dir)
    state = read_state(run_dir)
    forgotten = []
    for node_id in node_ids:
        folder = node_folder(run_dir, node_id)
        had = state.pop(node_id, None) is not None or folder.exists() or folder.is_symlink()
        if folder.is_symlink():
            folder.unlink()
        shutil.rmtree(folder, ignore_errors=True)
        if had:
            forgotten.append(node_id)
    if (run_dir / STATE_FILE).exists():
        write_state(run_dir, state)
    return forgotten


def _no_space(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a full disk; libraries (Arrow, HDF5) often
    report it without an errno, in their own words."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "errno", None) == errno.ENOSPC or "no space left on device" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:400]
