"""The editor's run session: what runs, where its outputs live, and the state of every node.

The main window, the canvas and the Learning Monitor are views of it: it executes
(part of) the open workflow through a :class:`~nodeflow.gui.run_controller.RunController`,
follows the run's events, keeps the run folder, resets nodes, and tells each node's
:class:`~nodeflow.core.states.NodeState` through ``state_changed``.

A node's state is decided in one place, :meth:`RunSession.refresh`, in this order:
not configured (validation or shape inference found a problem), what the run under
way says (queued, running...), executed / failed as the run folder keeps it (only
while the node's fingerprint still matches, so an edit takes it and everything
after it back to configured, as in KNIME), else configured.  A layer node never
executes on its own: it is part of the model of the node that builds its network (a
learner, a network writer: the first non-layer nodes after it), so it shows executed
when one of those executed with its current fingerprint, which covers every layer
before it.

The run folder is ``runs/<name>/`` beside the saved file, as for ``nodeflow run``;
an untitled workflow gets a temporary one.  When the workflow is saved under a new
name (the first save of an untitled one included), the outputs that are still
valid move (or, for Save As of a saved file, are copied) into the new folder, so
saving never turns executed nodes back to configured.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from nodeflow.core.states import NodeState
from nodeflow.core.validation import validate
from nodeflow.runtime.events import Event, NodeStatus, RunOutcome
from nodeflow.runtime.fingerprint import node_keys
from nodeflow.runtime.plan import plan_run

from .document import WorkflowDocument
from .run_controller import RunController

# a runtime node status -> what the node shows while the run goes on
_RUN_STATUS = {
    NodeStatus.QUEUED: NodeState.QUEUED,
    NodeStatus.RUNNING: NodeState.RUNNING,
    NodeStatus.EXECUTED: NodeState.EXECUTED,
    NodeStatus.FAILED: NodeState.FAILED,
    NodeStatus.SKIPPED: NodeState.CONFIGURED,
    NodeStatus.CANCELLED: NodeState.CONFIGURED,
}


class RunSession(QObject):
    """Runs of the document's workflow and the node states they leave behind."""

    state_changed = Signal(str, object, str)  # node id, NodeState, detail (the reason, the error...)
    progress = Signal(str, str)  # node id, progress text ("epoch 2/5 · batch 3/9"); "" when over
    event = Signal(dict)  # each runtime event of a run of the open workflow
    output = Signal(str)  # a line the run process printed
    log = Signal(str, str)  # level (info, ok, warning, error), a line for the log
    message = Signal(str)  # one sentence for the status bar
    running_changed = Signal(bool)
    run_finished = Signal(str, str)  # status (executed, failed, cancelled, invalid, crashed), message

    def __init__(self, document: WorkflowDocument, runner: RunController, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.runner = runner
        self._shown: dict[str, tuple[NodeState, str]] = {}  # what each node shows now
        self._run_states: dict[str, tuple[NodeState, str]] = {}  # from the run, over the stored ones
        self._shape_problems: dict[str, str] = {}
        self._keys: dict[str, str] = {}  # fingerprints at the last refresh
        self._path: Path | None = document.path  # the file the run folder belongs to
        self._untitled_dir: Path | None = None
        self._ignored = False  # the document was replaced while the run went on
        self._after_run: list = []  # work that waits until the child no longer writes the run folder
        runner.event.connect(self._run_event)
        runner.output.connect(lambda text: None if self._ignored else self.output.emit(text))
        runner.finished.connect(self._run_ended)
        document.reset.connect(self._document_reset)
        document.changed.connect(self._document_changed)

    # -- the run folder ----------------------------------------------------------------
    def run_dir(self) -> Path:
        """Where runs keep outputs: ``runs/<name>`` beside the file (shared with `nodeflow run`),
        or a temporary folder for an untitled workflow."""
        return self._run_dir_for(self.document.path)

    def _run_dir_for(self, path: Path | None) -> Path:
        from nodeflow.runtime.engine import default_run_dir

        if path is not None:
            return default_run_dir(path)
        if self._untitled_dir is None:
            self._untitled_dir = Path(tempfile.mkdtemp(prefix="nodeflow-untitled-"))
        return self._untitled_dir

    def _later(self, work) -> None:
        """Do ``work`` now, or when the run under way has ended (it may still write its folder)."""
        if self.running:
            self._after_run.append(work)
        else:
            work()

    def _drop_untitled_dir(self) -> None:
        folder, self._untitled_dir = self._untitled_dir, None
        if folder is not None:
            self._later(lambda: shutil.rmtree(folder, ignore_errors=True))

    def _carry_over(self, old_dir: Path, new_dir: Path, old_keys: dict[str, str], move: bool) -> None:
        """Bring the outputs that are valid for the workflow as it was before the save into the
        folder of the new file, keyed by the fingerprints of the saved workflow (saving may spell
        file paths differently; what the nodes compute is the same)."""
        from nodeflow.runtime.engine import read_state, write_state
        from nodeflow.runtime.storage import node_folder

        old_state = read_state(old_dir)
        valid = {n: e for n, e in old_state.items()
                 if isinstance(e, dict) and n in old_keys and e.get("key") == old_keys[n]}
        new_keys = node_keys(self.document.workflow)
        valid = {n: e for n, e in valid.items() if n in new_keys}
        if valid and old_dir.resolve() != new_dir.resolve():
            new_dir.mkdir(parents=True, exist_ok=True)
            state = read_state(new_dir)
            for node_id, entry in valid.items():
                source, target = node_folder(old_dir, node_id), node_folder(new_dir, node_id)
                shutil.rmtree(target, ignore_errors=True)
                if source.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    (shutil.move if move else shutil.copytree)(str(source), str(target))
                state[node_id] = {**entry, "key": new_keys[node_id]}
            write_state(new_dir, state)
        if move:
            shutil.rmtree(old_dir, ignore_errors=True)

    # -- running ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.runner.running

    def execute(self, targets: list[str] | None = None) -> bool:
        """Run the targets and what they need (everything when None) in a child process.

        Only the part of the workflow that runs must be valid, as in KNIME: a half-wired
        branch elsewhere does not block executing a finished one.  False (and a message
        saying why) when the run does not start."""
        if self.running:
            self.message.emit("A run is already in progress")
            return False
        plan = plan_run(self.document.workflow, targets)
        if plan.problems:
            for problem in plan.problems:
                self.log.emit("error", f"cannot run: {problem}")
            self.message.emit(plan.message[:1].upper() + plan.message[1:])
            return False
        if not plan.runnable:
            self.log.emit("info", plan.message)
            self.message.emit(plan.message[:1].upper() + plan.message[1:])
            return False
        self._run_states = {n: (NodeState.QUEUED, "waiting to run") for n in plan.runnable}
        self._ignored = False
        self.refresh()
        self.log.emit("info", f"executing {'all nodes' if targets is None else ', '.join(targets)}")
        run_dir = self.run_dir()
        try:
            self.runner.start(plan.workflow, run_dir, targets)
        except OSError as exc:  # e.g. the run directory cannot be written
            self._run_states.clear()
            self.refresh()
            self.log.emit("error", f"cannot start the run in {run_dir}: {exc}")
            self.message.emit(f"Cannot start the run: {exc}")
            return False
        self.running_changed.emit(True)
        return True

    def cancel(self) -> None:
        if self.running:
            self.log.emit("warning", "cancel requested")
            self.runner.cancel()

    def stop_learning(self) -> None:
        if self.running:
            self.log.emit("info", "stop learning requested: training ends after the current batch")
            self.runner.stop_learning()

    def reset(self, node_ids: list[str]) -> None:
        """Forget the stored outputs of these nodes (KNIME's Reset): the next run executes them."""
        from nodeflow.runtime.engine import reset_nodes

        if self.running:
            return
        forgotten = reset_nodes(self.run_dir(), node_ids)
        for node_id in node_ids:
            self._run_states.pop(node_id, None)
        self.refresh()
        if forgotten:
            self.log.emit("info", f"reset {', '.join(forgotten)}")

    def close(self, wait_ms: int = 3000) -> None:
        """The editor closes: end a run still going and remove an untitled run's folder."""
        if self.running:
            self.runner.cancel()
            if not self.runner.wait(wait_ms):
                self.runner.kill()
                self.runner.wait(wait_ms)
        for work in self._after_run:
            work()
        self._after_run.clear()
        if self._untitled_dir is not None:
            shutil.rmtree(self._untitled_dir, ignore_errors=True)
            self._untitled_dir = None

    def _run_event(self, event: dict) -> None:
        if self._ignored:
            return
        self.event.emit(event)
        kind, node_id = event.get("event"), event.get("node")
        if node_id not in self.document.workflow.nodes:
            return
        if kind == Event.NODE_STATUS:
            status = event.get("status")
            state = _RUN_STATUS.get(status)
            if state is not None:
                self._run_states[node_id] = (state, _run_detail(event))
                self.refresh()
            if status != "running":
                self.progress.emit(node_id, "")
        elif kind == Event.BATCH:
            self.progress.emit(node_id, f"epoch {event['epoch']}/{event['epochs']} · "
                                        f"batch {event['batch']}/{event['batches']}")

    def _run_ended(self, status: str, message: str) -> None:
        ignored, self._ignored = self._ignored, False
        after, self._after_run = self._after_run, []
        for work in after:
            work()
        self.running_changed.emit(False)
        if ignored:
            return
        kept = {}
        if status == "crashed":  # the child could not say it failed: say it for the node that ran
            for node_id, node_status in self.runner.node_states.items():
                if node_status == NodeStatus.RUNNING and node_id in self.document.workflow.nodes:
                    kept[node_id] = (NodeState.FAILED, message)
        for node_id in self._run_states:
            if node_id in self.document.workflow.nodes:
                self.progress.emit(node_id, "")
        self._run_states = kept
        self.refresh()
        level = {RunOutcome.EXECUTED: "ok", RunOutcome.CANCELLED: "warning"}.get(status, "error")
        self.log.emit(level, message)
        self.run_finished.emit(status, message)

    # -- following the document ------------------------------------------------------------
    def _document_reset(self) -> None:
        """Another workflow (new, open, revert): nothing shown or run so far applies to it."""
        self._shown.clear()  # the canvas made new node views
        self._run_states.clear()
        self._shape_problems.clear()
        self._keys = {}
        if self.running:  # the run's events no longer apply
            self._ignored = True
            self.runner.cancel()
        self._drop_untitled_dir()
        self._path = self.document.path

    def _document_changed(self) -> None:
        if self.document.path != self._path:  # saved under a new name
            move = self._path is None  # an untitled run's folder is ours: move it
            old_dir = self._untitled_dir if move else self._run_dir_for(self._path)
            old_keys = dict(self._keys)
            self._untitled_dir = None if move else self._untitled_dir
            self._path = self.document.path
            if old_dir is not None:
                new_dir = self.run_dir()
                self._later(lambda: self._carry_over(old_dir, new_dir, old_keys, move))
        self.refresh()

    def set_shape_problems(self, problems: dict[str, str]) -> None:
        """Node id -> the error shape inference found (from the latest report)."""
        if problems != self._shape_problems:
            self._shape_problems = dict(problems)
            self.refresh()

    # -- node states -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Decide each node's state (see the module docstring) and announce what changed."""
        workflow = self.document.workflow
        broken: dict[str, list[str]] = {}
        for problem in validate(workflow):
            if problem.node:
                broken.setdefault(problem.node, []).append(str(problem))
        for node_id, error in self._shape_problems.items():
            broken.setdefault(node_id, []).append(error)
        self._keys = node_keys(workflow)  # kept: a save under a new name re-keys what runs left
        stored = self.stored_states(self._keys)
        states: dict[str, tuple[NodeState, str]] = {}
        layers = []
        for node_id in workflow.nodes:
            spec = workflow.spec(node_id)
            if node_id in broken:
                states[node_id] = (NodeState.NOT_CONFIGURED, "\n".join(broken[node_id]))
            elif node_id in self._run_states:
                states[node_id] = self._run_states[node_id]
            elif spec is not None and spec.family == "layer":
                layers.append(node_id)
            else:
                states[node_id] = stored.get(node_id, (NodeState.CONFIGURED, ""))
        builders = _model_builders(workflow) if layers else {}
        for node_id in layers:
            users = sorted(n for n in builders.get(node_id, ())
                           if states.get(n, (None,))[0] == NodeState.EXECUTED)
            states[node_id] = (NodeState.EXECUTED, f"part of the model of {users[0]}, which executed") \
                if users else (NodeState.CONFIGURED, "")
        for node_id in [n for n in self._shown if n not in states]:  # removed: a new view if it returns
            del self._shown[node_id]
        for node_id, shown in states.items():
            if self._shown.get(node_id) != shown:  # repaint only what changed: 500 per edit stutter
                self._shown[node_id] = shown
                self.state_changed.emit(node_id, *shown)

    def node_state(self, node_id: str) -> tuple[NodeState, str]:
        """(state, detail) a node shows now."""
        return self._shown.get(node_id, (NodeState.CONFIGURED, ""))

    def stored_states(self, keys: dict[str, str] | None = None) -> dict[str, tuple[NodeState, str]]:
        """Executed / failed states kept in the run folder (by the editor or `nodeflow run`),
        for nodes whose fingerprint (``keys``: computed when not given) matches the stored one."""
        from nodeflow.runtime.engine import read_state

        workflow = self.document.workflow
        untitled_without_runs = self.document.path is None and self._untitled_dir is None
        stored = read_state(self.run_dir()) if workflow.nodes and not untitled_without_runs else {}
        keys = node_keys(workflow) if keys is None else keys
        states: dict[str, tuple[NodeState, str]] = {}
        for node_id, entry in stored.items():
            key = entry.get("key") if isinstance(entry, dict) else None
            if key is not None and key == keys.get(node_id):
                states[node_id] = (NodeState.FAILED, entry["error"]) if "error" in entry \
                    else (NodeState.EXECUTED, "output kept from the last run")
        return states

    # -- what runs left behind ------------------------------------------------------------
    def stored_history(self, node_id: str) -> list[tuple[int, dict[str, float]]]:
        """A learner's training history as the last run stored it: (epoch, metrics) rows."""
        from nodeflow.runtime.storage import load_value, output_path

        from .plots import history_rows

        spec = self.document.workflow.spec(node_id)
        port = next((p for p in spec.outputs if p.view == "history"), None) if spec else None
        path = output_path(self.run_dir(), node_id, port.name, port.type) if port else None
        if path is None or not path.exists():
            return []
        return history_rows(load_value("table", path))

    def upstream_columns(self, node_id: str) -> list[str] | None:
        """Columns of the table(s) flowing into a node, when a run has stored them."""
        from nodeflow.runtime.storage import output_path, stored_columns

        run_dir = self.run_dir()
        workflow = self.document.workflow
        columns: list[str] = []
        for edge in workflow.incoming(node_id):
            spec = workflow.spec(edge.source)
            port = spec.output(edge.source_port) if spec else None
            if port is None or port.type != "table":
                continue
            found = stored_columns(output_path(run_dir, edge.source, edge.source_port, "table"))
            if found is None:
                return None
            columns += [c for c in found if c not in columns]
        return columns or None


def _model_builders(workflow) -> dict[str, frozenset[str]]:
    """For every layer node, the nodes that build it into their model: the first non-layer
    nodes after it (learners, network writers), reached through layer nodes only.

    One pass over the graph (each layer's answer is the union of its successors'), so a
    long chain costs linear time, not a walk per layer."""
    targets: dict[str, list[str]] = {}
    for edge in workflow.edges:
        if edge.target in workflow.nodes:
            targets.setdefault(edge.source, []).append(edge.target)
    is_layer = {n: (spec := workflow.spec(n)) is not None and spec.family == "layer" for n in workflow.nodes}
    result: dict[str, frozenset[str]] = {}
    for start in (n for n in workflow.nodes if is_layer[n]):
        on_path: set[str] = set()
        stack = [(start, False)]
        while stack:
            node_id, successors_done = stack.pop()
            if successors_done:
                found: set[str] = set()
                for target in targets.get(node_id, ()):
                    if is_layer[target]:
                        found |= result.get(target, frozenset())  # none yet only on a cycle
                    else:
                        found.add(target)
                result[node_id] = frozenset(found)
                on_path.discard(node_id)
            elif node_id not in result and node_id not in on_path:
                on_path.add(node_id)
                stack.append((node_id, True))
                stack.extend((t, False) for t in targets.get(node_id, ()) if is_layer[t] and t not in result)
    return result


def _run_detail(event: dict) -> str:
    status = event.get("status")
    if status == NodeStatus.QUEUED:
        return "waiting to run"
    if status == NodeStatus.RUNNING:
        return "running"
    if status == NodeStatus.EXECUTED:
        return "output reused: unchanged since the last run" if event.get("cached") \
            else f"executed in {event.get('seconds', 0):.2f} s"
    if status == NodeStatus.FAILED:
        return event.get("error", "")
    if status == NodeStatus.SKIPPED:
        return f"skipped: {event.get('reason', '')}"
    return status or ""
