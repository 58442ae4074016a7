"""The open workflow as the editor sees it: the core model plus undo and Qt signals.

The core ``Workflow`` is the only writer of workflow state.  Each user edit is a
QUndoCommand whose ``redo``/``undo`` call the workflow's editing methods, and
nothing else; the workflow's events are re-emitted here as Qt signals, which the
canvas, the properties panel and the live shapes follow.  Before an edit is put
on the undo stack, the workflow's ``*_problems`` checks say whether it would be
refused, so a refused edit changes nothing and leaves no undo step.  Files are
written from the core model only, never from the canvas.
"""

from __future__ import annotations

import copy
import errno
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from nodeflow.core import (Edge, Node, NodeFlowError, Workflow, WorkflowEditError, WorkflowFileError, dumps,
                           load, loads, save)
from nodeflow.core.params import same_value
from nodeflow.core.workflow import Backdrop, Removal
from nodeflow.core.workflow_events import (
    BackdropAdded,
    BackdropChanged,
    BackdropRemoved,
    EdgeAdded,
    EdgeRemoved,
    NodeAdded,
    NodeChanged,
    NodeMoved,
    NodeRemoved,
    WorkflowEvent,
)


class SaveError(NodeFlowError):
    """The workflow could not be written to ``path``; the document is left as it was
    (same file, still modified), so nothing the user did is lost."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


def save_failure_reason(path: Path, exc: OSError) -> str:
    """What went wrong, in the user's terms (the temporary file's name means nothing to them)."""
    if isinstance(exc, FileNotFoundError) and not path.parent.is_dir():
        return f"the folder {path.parent} does not exist (any more)"
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError) or path.is_dir():
        return "a folder of that name is in the way"
    return exc.strerror or str(exc)


class WorkflowDocument(QObject):
    node_added = Signal(str)
    node_removed = Signal(str)
    node_moved = Signal(str)
    node_changed = Signal(str)  # a parameter, label or annotation changed
    edge_added = Signal(object)
    edge_removed = Signal(object)
    backdrop_added = Signal(str)
    backdrop_removed = Signal(str)
    backdrop_changed = Signal(str)  # text, position or size
    reset = Signal()  # the whole workflow was replaced (new / open / revert)
    changed = Signal()  # anything changed (for live shapes and the title)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._workflow = Workflow()
        self._workflow.subscribe(self._forward)
        self.path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.indexChanged.connect(self._index_changed)

    @property
    def workflow(self) -> Workflow:
        """The model; read it freely, change it only through this document's edits."""
        return self._workflow

    def _forward(self, event: WorkflowEvent) -> None:
        """The model's events as this document's Qt signals."""
        match event:
            case NodeAdded(node_id=node_id):
                self.node_added.emit(node_id)
            case NodeRemoved(node_id=node_id):
                self.node_removed.emit(node_id)
            case NodeMoved(node_id=node_id):
                self.node_moved.emit(node_id)
            case NodeChanged(node_id=node_id):
                self.node_changed.emit(node_id)
            case EdgeAdded(edge=edge):
                self.edge_added.emit(edge)
            case EdgeRemoved(edge=edge):
                self.edge_removed.emit(edge)
            case BackdropAdded(backdrop_id=backdrop_id):
                self.backdrop_added.emit(backdrop_id)
            case BackdropRemoved(backdrop_id=backdrop_id):
                self.backdrop_removed.emit(backdrop_id)
            case BackdropChanged(backdrop_id=backdrop_id):
                self.backdrop_changed.emit(backdrop_id)

    def _index_changed(self, _index: int) -> None:
        self.changed.emit()

    # -- files ------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def new(self) -> None:
        self._replace(Workflow(), None)

    def open(self, path: str | Path) -> None:
        """Load a workflow file (raises WorkflowFileError, leaving the document as it was)."""
        workflow = load(path)
        self._replace(workflow, Path(path).resolve())

    def revert(self) -> None:
        if self.path is not None:
            self.open(self.path)

    def restore(self, workflow: Workflow, path: Path | None) -> None:
        """Show recovered work (an autosave): it belongs to ``path`` (None: untitled) and
        counts as modified until it is saved, since the file does not hold it."""
        self._replace(workflow, path)
        self.undo_stack.resetClean()
        self.changed.emit()

    def save(self, path: str | Path | None = None) -> None:
        """Write the workflow (atomically) and make it the document's file.  Raises
        :class:`SaveError` when the file cannot be written (missing folder, permissions, full
        disk): then the document's file and path and its modified mark stay as they were."""
        target = Path(path).resolve() if path else self.path
        if target is None:
            raise ValueError("no file name")
        try:
            save(self.workflow, target)
        except OSError as exc:
            raise SaveError(target, save_failure_reason(target, exc)) from exc
        self.path = target
        self.undo_stack.setClean()
        self.changed.emit()

    def _replace(self, workflow: Workflow, path: Path | None) -> None:
        self._workflow.unsubscribe(self._forward)
        self._workflow = workflow
        workflow.subscribe(self._forward)
        self.path = path
        self.undo_stack.clear()
        self.reset.emit()
        self.changed.emit()

    # -- edits (each one undoable) -------------------------------------------------
    def add_node(self, type_id: str, position: tuple[float, float]) -> str:
        """Add a node of a known type (raises WorkflowEditError for an unknown one)."""
        _refuse(self.workflow.node_problems(type_id))
        node = Node(self.workflow.new_id(type_id), type_id, {}, (float(position[0]), float(position[1])))
        self.undo_stack.push(_AddItems(self, [node], [], [], f"Add {node.id}"))
        return node.id

    def remove_nodes(self, node_ids: list[str]) -> None:
        node_ids = [n for n in node_ids if n in self.workflow.nodes]
        if node_ids:
            self.undo_stack.push(_RemoveNodes(self, node_ids))

    def move_nodes(self, positions: dict[str, tuple[float, float]], text: str = "Move") -> None:
        old = {n: self.workflow.nodes[n].position for n in positions if n in self.workflow.nodes}
        new = {n: (float(p[0]), float(p[1])) for n, p in positions.items() if n in old}
        if any(old[n] != new[n] for n in new):
            self.undo_stack.push(_MoveNodes(self, old, new, text))

    def connect(self, source: str, source_port: str, target: str, target_port: str) -> Edge:
        """Connect, or raise WorkflowEditError saying why not (nothing changes then)."""
        _refuse(self.workflow.connect_problems(source, source_port, target, target_port))
        edge = Edge(source, source_port, target, target_port)
        self.undo_stack.push(_Connect(self, edge))
        return edge

    def disconnect(self, edge: Edge) -> None:
        if edge in self.workflow.edges:
            self.undo_stack.push(_Disconnect(self, edge))

    def set_param(self, node_id: str, name: str, value) -> None:
        """Set a parameter (checked; raises WorkflowEditError for a bad value)."""
        _refuse(self.workflow.param_problems(node_id, name, value))
        params = self.workflow.nodes[node_id].params
        if name in params and same_value(params[name], value):
            return
        self.undo_stack.push(_SetParam(self, node_id, name, value))

    def reset_param(self, node_id: str, name: str) -> None:
        if name in self.workflow.nodes[node_id].params:
            self.undo_stack.push(_SetParam(self, node_id, name, _MISSING))

    def set_label(self, node_id: str, label: str | None) -> None:
        """The node's title (empty: its id)."""
        self._set_text(node_id, "label", label)

    def set_annotation(self, node_id: str, annotation: str | None) -> None:
        self._set_text(node_id, "annotation", annotation)

    def _set_text(self, node_id: str, aspect: str, text: str | None) -> None:
        if getattr(self.workflow.nodes[node_id], aspect) != (text or None):
            self.undo_stack.push(_SetText(self, node_id, aspect, text or None))

    # -- backdrops (annotations) ----------------------------------------------------------
    def backdrop(self, backdrop_id: str) -> Backdrop | None:
        return self.workflow.backdrop(backdrop_id)

    def add_backdrop(self, text: str, position: tuple[float, float], size: tuple[float, float]) -> str:
        backdrop = Backdrop(self.workflow.new_backdrop_id(), text, (float(position[0]), float(position[1])),
                            (float(size[0]), float(size[1])))
        self.undo_stack.push(_AddItems(self, [], [], [backdrop], f"Add annotation {backdrop.id}"))
        return backdrop.id

    def remove_backdrops(self, backdrop_ids: list[str]) -> None:
        for backdrop_id in backdrop_ids:
            if self.backdrop(backdrop_id) is not None:
                self.undo_stack.push(_RemoveBackdrop(self, backdrop_id))

    def edit_backdrop(self, backdrop_id: str, text: str | None = None,
                      position: tuple[float, float] | None = None,
                      size: tuple[float, float] | None = None) -> None:
        old = self.backdrop(backdrop_id)
        if old is None:
            return
        new = Backdrop(old.id, old.text if text is None else text,
                       old.position if position is None else (float(position[0]), float(position[1])),
                       old.size if size is None else (float(size[0]), float(size[1])))
        if new != old:
            self.undo_stack.push(_EditBackdrop(self, copy.copy(old), new))

    # -- clipboard ------------------------------------------------------------------
    def copy_nodes(self, node_ids: list[str]) -> str:
        """The nodes, the edges among them and the annotations framing only them, as .nflow text."""
        return dumps(self.workflow.extract(node_ids))

    def paste(self, text: str, offset: tuple[float, float] = (40.0, 40.0)) -> list[str]:
        """Add the nodes of a copied workflow part with fresh ids, shifted by ``offset``.

        Edges among them and their annotations come along.  Text that is not a
        workflow pastes nothing, and nodes of types this catalogue lacks are left out.
        Returns the new node ids.
        """
        try:
            part = loads(text, registry=self.workflow.registry)
        except WorkflowFileError:
            return []
        dx, dy = offset
        renamed: dict[str, str] = {}
        nodes: list[Node] = []
        for node in part:
            if node.type not in self.workflow.registry:
                continue
            renamed[node.id] = self.workflow.new_id(node.type, reserved=renamed.values())
            nodes.append(Node(renamed[node.id], node.type, node.params,
                              (node.position[0] + dx, node.position[1] + dy), node.label, node.annotation))
        if not nodes:
            return []
        edges = [Edge(renamed[e.source], e.source_port, renamed[e.target], e.target_port)
                 for e in part.edges if e.source in renamed and e.target in renamed]
        backdrops: list[Backdrop] = []
        for backdrop in part.backdrops:
            backdrops.append(Backdrop(self.workflow.new_backdrop_id(reserved=[b.id for b in backdrops]),
                                      backdrop.text, (backdrop.position[0] + dx, backdrop.position[1] + dy),
                                      backdrop.size))
        self.undo_stack.push(_AddItems(self, nodes, edges, backdrops, f"Paste {len(nodes)} node(s)"))
        return [n.id for n in nodes]


def _refuse(problems) -> None:
    if problems:
        raise WorkflowEditError(problems)


_MISSING = object()


class _AddItems(QUndoCommand):
    """New nodes (with edges among them) and annotations, appended at the end of each order."""

    def __init__(self, doc: WorkflowDocument, nodes: list[Node], edges: list[Edge],
                 backdrops: list[Backdrop], text: str):
        super().__init__(text)
        self.doc, self.nodes, self.edges, self.backdrops = doc, nodes, edges, backdrops

    def redo(self):
        workflow = self.doc.workflow
        for backdrop in self.backdrops:
            workflow.insert_backdrop(copy.copy(backdrop))
        for node in self.nodes:
            workflow.insert_node(copy.deepcopy(node))
        for edge in self.edges:
            workflow.insert_edge(edge)

    def undo(self):
        workflow = self.doc.workflow
        workflow.remove_nodes([n.id for n in self.nodes])
        for backdrop in reversed(self.backdrops):
            workflow.remove_backdrop(backdrop.id)


class _RemoveNodes(QUndoCommand):
    def __init__(self, doc: WorkflowDocument, node_ids: list[str]):
        super().__init__(f"Delete {', '.join(node_ids)}" if len(node_ids) < 4 else f"Delete {len(node_ids)} nodes")
        self.doc, self.node_ids = doc, node_ids
        self.removal: Removal | None = None

    def redo(self):
        self.removal = self.doc.workflow.remove_nodes(self.node_ids)

    def undo(self):
        self.doc.workflow.restore(self.removal)


class _MoveNodes(QUndoCommand):
    def __init__(self, doc, old, new, text):
        super().__init__(text)
        self.doc, self.old, self.new = doc, old, new

    def _apply(self, positions):
        for node_id, position in positions.items():
            self.doc.workflow.move_node(node_id, position)

    def redo(self):
        self._apply(self.new)

    def undo(self):
        self._apply(self.old)


class _Connect(QUndoCommand):
    def __init__(self, doc, edge):
        super().__init__(f"Connect {edge}")
        self.doc, self.edge = doc, edge

    def redo(self):
        self.doc.workflow.connect(self.edge.source, self.edge.source_port, self.edge.target, self.edge.target_port)

    def undo(self):
        self.doc.workflow.disconnect(self.edge)


class _Disconnect(QUndoCommand):
    def __init__(self, doc, edge):
        super().__init__(f"Disconnect {edge}")
        self.doc, self.edge = doc, edge
        self.index = 0

    def redo(self):
        self.index = self.doc.workflow.disconnect(self.edge)

    def undo(self):
        self.doc.workflow.insert_edge(self.edge, self.index)  # as it was, even if it was faulty


class _SetParam(QUndoCommand):
    def __init__(self, doc, node_id, name, value):
        super().__init__(f"Set {node_id}.{name}")
        self.doc, self.node_id, self.name = doc, node_id, name
        self.old = doc.workflow.nodes[node_id].params.get(name, _MISSING)
        self.new = value

    def _apply(self, value):
        if value is _MISSING:
            self.doc.workflow.reset_param(self.node_id, self.name)
        else:  # checked when the edit was made; the old value goes back as the file had it
            self.doc.workflow.set_param(self.node_id, self.name, copy.deepcopy(value), check=False)

    def redo(self):
        self._apply(self.new)

    def undo(self):
        self._apply(self.old)


class _SetText(QUndoCommand):
    def __init__(self, doc, node_id, aspect, text):
        super().__init__(f"Set {node_id} {aspect}")
        self.doc, self.node_id, self.aspect = doc, node_id, aspect
        self.old, self.new = getattr(doc.workflow.nodes[node_id], aspect), text

    def _apply(self, text):
        setter = self.doc.workflow.set_label if self.aspect == "label" else self.doc.workflow.set_annotation
        setter(self.node_id, text)

    def redo(self):
        self._apply(self.new)

    def undo(self):
        self._apply(self.old)


class _RemoveBackdrop(QUndoCommand):
    def __init__(self, doc, backdrop_id):
        super().__init__(f"Delete annotation {backdrop_id}")
        self.doc, self.backdrop_id = doc, backdrop_id
        self.removed: tuple[int, Backdrop] | None = None

    def redo(self):
        self.removed = self.doc.workflow.remove_backdrop(self.backdrop_id)

    def undo(self):
        index, backdrop = self.removed
        self.doc.workflow.insert_backdrop(backdrop, index)


class _EditBackdrop(QUndoCommand):
    def __init__(self, doc, old, new):
        super().__init__(f"Edit annotation {old.id}")
        self.doc, self.old, self.new = doc, old, new

    def _apply(self, state: Backdrop):
        self.doc.workflow.edit_backdrop(state.id, text=state.text, position=state.position, size=state.size)

    def redo(self):
        self._apply(self.new)

    def undo(self):
        self._apply(self.old)
