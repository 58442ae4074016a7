"""The open workflow as the editor sees it: the core model plus undo and change signals.

Every edit goes through a QUndoCommand that changes the core ``Workflow`` and
emits a signal; the canvas, the properties panel and the live shapes follow the
signals.  The canvas never holds state of its own that is saved: files are
written from the core model only (DESIGN.md).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from nodeflow.core import Edge, Node, Workflow, WorkflowEditError, load, save
from nodeflow.core.errors import Problem
from nodeflow.core.workflow import Backdrop

CLIPBOARD_FORMAT = "nodeflow.clipboard"


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
        self.workflow = Workflow()
        self.path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.indexChanged.connect(self._index_changed)

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

    def save(self, path: str | Path | None = None) -> None:
        target = Path(path).resolve() if path else self.path
        if target is None:
            raise ValueError("no file name")
        save(self.workflow, target)
        self.path = target
        self.undo_stack.setClean()
        self.changed.emit()

    def _replace(self, workflow: Workflow, path: Path | None) -> None:
        self.workflow = workflow
        self.path = path
        self.undo_stack.clear()
        self.reset.emit()
        self.changed.emit()

    # -- edits (each one undoable) -------------------------------------------------
    def add_node(self, type_id: str, position: tuple[float, float]) -> str:
        node = self.workflow.add_node(type_id, position=position)  # checks the type
        self.workflow.remove_node(node.id)
        self.undo_stack.push(_AddNodes(self, [node], [], f"Add {node.id}"))
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
        probe = self.workflow.copy()
        edge = probe.connect(source, source_port, target, target_port)
        self.undo_stack.push(_Connect(self, edge))
        return edge

    def disconnect(self, edge: Edge) -> None:
        if edge in self.workflow.edges:
            self.undo_stack.push(_Disconnect(self, edge))

    def set_param(self, node_id: str, name: str, value) -> None:
        """Set a parameter (checked; raises WorkflowEditError for a bad value)."""
        spec = self.workflow.spec(node_id)
        param = spec.param(name) if spec else None
        if param is None:
            raise WorkflowEditError(Problem(node_id, name, "unknown parameter"))
        problems = param.check(value)
        if problems:
            raise WorkflowEditError([Problem(node_id, p, m) for p, m in problems])
        node = self.workflow.nodes[node_id]
        if node.params.get(name, _MISSING) == value:
            return
        self.undo_stack.push(_SetParam(self, node_id, name, value))

    def reset_param(self, node_id: str, name: str) -> None:
        if name in self.workflow.nodes[node_id].params:
            self.undo_stack.push(_SetParam(self, node_id, name, _MISSING))

    # -- backdrops (annotations) ----------------------------------------------------------
    def backdrop(self, backdrop_id: str) -> Backdrop | None:
        return next((b for b in self.workflow.backdrops if b.id == backdrop_id), None)

    def add_backdrop(self, text: str, position: tuple[float, float], size: tuple[float, float]) -> str:
        backdrop = Backdrop(self.workflow.new_backdrop_id(), text, (float(position[0]), float(position[1])),
                            (float(size[0]), float(size[1])))
        self.undo_stack.push(_AddBackdrop(self, backdrop))
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

    def _set_backdrop(self, new: Backdrop) -> None:
        for i, backdrop in enumerate(self.workflow.backdrops):
            if backdrop.id == new.id:
                self.workflow.backdrops[i] = copy.copy(new)
        self.backdrop_changed.emit(new.id)

    # -- clipboard ------------------------------------------------------------------
    def copy_nodes(self, node_ids: list[str]) -> str:
        """The nodes and the connections among them, as JSON text."""
        chosen = [n for n in self.workflow.nodes if n in set(node_ids)]
        nodes = [{"id": n.id, "type": n.type, "params": n.params, "position": list(n.position),
                  "label": n.label, "annotation": n.annotation}
                 for n in (self.workflow.nodes[i] for i in chosen)]
        edges = [[e.source, e.source_port, e.target, e.target_port] for e in self.workflow.edges
                 if e.source in chosen and e.target in chosen]
        return json.dumps({"format": CLIPBOARD_FORMAT, "nodes": nodes, "edges": edges})

    def paste(self, text: str, offset: tuple[float, float] = (40.0, 40.0)) -> list[str]:
        """Add copies of clipboard nodes with fresh ids; connections among them are kept."""
        try:
            data = json.loads(text)
        except ValueError:
            return []
        if not isinstance(data, dict) or data.get("format") != CLIPBOARD_FORMAT:
            return []
        scratch = self.workflow.copy()
        renamed: dict[str, str] = {}
        nodes: list[Node] = []
        for item in data["nodes"]:
            if item["type"] not in self.workflow.registry:
                continue
            new_id = scratch.new_id(item["type"])
            position = (item["position"][0] + offset[0], item["position"][1] + offset[1])
            node = Node(new_id, item["type"], copy.deepcopy(item["params"]), position, item.get("label"),
                        item.get("annotation"))
            scratch.insert_node(node)
            renamed[item["id"]] = new_id
            nodes.append(node)
        edges = [Edge(renamed[s], sp, renamed[t], tp) for s, sp, t, tp in data["edges"]
                 if s in renamed and t in renamed]
        if nodes:
            self.undo_stack.push(_AddNodes(self, nodes, edges, f"Paste {len(nodes)} node(s)"))
        return [n.id for n in nodes]

    # -- helpers used by the commands ---------------------------------------------------
    def _insert(self, nodes: list[Node], edges: list[Edge], order: dict[str, int] | None = None) -> None:
        for node in nodes:
            self.workflow.insert_node(node)
            self.node_added.emit(node.id)
        if order:  # back to the places they had (file order is part of the file)
            items = sorted(self.workflow.nodes.items(),
                           key=lambda kv: order.get(kv[0], len(order) + list(self.workflow.nodes).index(kv[0])))
            self.workflow.nodes = dict(items)
        for edge in edges:
            self.workflow.edges.append(edge)
            self.edge_added.emit(edge)

    def _remove(self, node_ids: list[str]) -> list[Edge]:
        removed: list[Edge] = []
        for node_id in node_ids:
            for edge in self.workflow.remove_node(node_id):
                removed.append(edge)
                self.edge_removed.emit(edge)
            self.node_removed.emit(node_id)
        return removed


_MISSING = object()


class _AddNodes(QUndoCommand):
    def __init__(self, doc: WorkflowDocument, nodes: list[Node], edges: list[Edge], text: str):
        super().__init__(text)
        self.doc, self.nodes, self.edges = doc, nodes, edges

    def redo(self):
        self.doc._insert([copy.deepcopy(n) for n in self.nodes], list(self.edges))

    def undo(self):
        self.doc._remove([n.id for n in self.nodes])


class _RemoveNodes(QUndoCommand):
    def __init__(self, doc: WorkflowDocument, node_ids: list[str]):
        super().__init__(f"Delete {', '.join(node_ids)}" if len(node_ids) < 4 else f"Delete {len(node_ids)} nodes")
        self.doc = doc
        self.nodes = [copy.deepcopy(doc.workflow.nodes[n]) for n in node_ids]
        self.order = {n: i for i, n in enumerate(doc.workflow.nodes)}
        self.edge_order = list(doc.workflow.edges)
        self.edges: list[Edge] = []

    def redo(self):
        self.edges = self.doc._remove([n.id for n in self.nodes])

    def undo(self):
        self.doc._insert([copy.deepcopy(n) for n in self.nodes], [], self.order)
        for edge in self.edges:
            self.doc.workflow.edges.append(edge)
        rank = {e: i for i, e in enumerate(self.edge_order)}
        self.doc.workflow.edges.sort(key=lambda e: rank.get(e, len(rank)))
        for edge in self.edges:
            self.doc.edge_added.emit(edge)


class _MoveNodes(QUndoCommand):
    def __init__(self, doc, old, new, text):
        super().__init__(text)
        self.doc, self.old, self.new = doc, old, new

    def _apply(self, positions):
        for node_id, position in positions.items():
            self.doc.workflow.move_node(node_id, position)
            self.doc.node_moved.emit(node_id)

    def redo(self):
        self._apply(self.new)

    def undo(self):
        self._apply(self.old)


class _Connect(QUndoCommand):
    def __init__(self, doc, edge):
        super().__init__(f"Connect {edge}")
        self.doc, self.edge = doc, edge

    def redo(self):
        self.doc.workflow.edges.append(self.edge)
        self.doc.edge_added.emit(self.edge)

    def undo(self):
        self.doc.workflow.edges.remove(self.edge)
        self.doc.edge_removed.emit(self.edge)


class _Disconnect(QUndoCommand):
    def __init__(self, doc, edge):
        super().__init__(f"Disconnect {edge}")
        self.doc, self.edge = doc, edge
        self.index = doc.workflow.edges.index(edge)

    def redo(self):
        self.doc.workflow.edges.remove(self.edge)
        self.doc.edge_removed.emit(self.edge)

    def undo(self):
        self.doc.workflow.edges.insert(self.index, self.edge)
        self.doc.edge_added.emit(self.edge)


class _SetParam(QUndoCommand):
    def __init__(self, doc, node_id, name, value):
        super().__init__(f"Set {node_id}.{name}")
        self.doc, self.node_id, self.name = doc, node_id, name
        self.old = doc.workflow.nodes[node_id].params.get(name, _MISSING)
        self.new = value

    def _apply(self, value):
        params = self.doc.workflow.nodes[self.node_id].params
        if value is _MISSING:
            params.pop(self.name, None)
        else:
            params[self.name] = copy.deepcopy(value)
        self.doc.node_changed.emit(self.node_id)

    def redo(self):
        self._apply(self.new)

    def undo(self):
        self._apply(self.old)


class _AddBackdrop(QUndoCommand):
    def __init__(self, doc, backdrop):
        super().__init__(f"Add annotation {backdrop.id}")
        self.doc, self.backdrop = doc, backdrop

    def redo(self):
        self.doc.workflow.backdrops.append(copy.copy(self.backdrop))
        self.doc.backdrop_added.emit(self.backdrop.id)

    def undo(self):
        self.doc.workflow.backdrops = [b for b in self.doc.workflow.backdrops if b.id != self.backdrop.id]
        self.doc.backdrop_removed.emit(self.backdrop.id)


class _RemoveBackdrop(QUndoCommand):
    def __init__(self, doc, backdrop_id):
        super().__init__(f"Delete annotation {backdrop_id}")
        self.doc = doc
        self.index = next(i for i, b in enumerate(doc.workflow.backdrops) if b.id == backdrop_id)
        self.backdrop = copy.copy(doc.workflow.backdrops[self.index])

    def redo(self):
        del self.doc.workflow.backdrops[self.index]
        self.doc.backdrop_removed.emit(self.backdrop.id)

    def undo(self):
        self.doc.workflow.backdrops.insert(self.index, copy.copy(self.backdrop))
        self.doc.backdrop_added.emit(self.backdrop.id)


class _EditBackdrop(QUndoCommand):
    def __init__(self, doc, old, new):
        super().__init__(f"Edit annotation {old.id}")
        self.doc, self.old, self.new = doc, old, new

    def redo(self):
        self.doc._set_backdrop(self.new)

    def undo(self):
        self.doc._set_backdrop(self.old)
