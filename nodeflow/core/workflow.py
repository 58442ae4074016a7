"""The workflow graph: nodes with stable ids, parameters and positions, edges and backdrops.

This is the model every view works on, and its editing methods are the only
writers of its state: nothing else appends to ``nodes``, ``edges`` or
``backdrops`` (read them freely).  Each edit tells the subscribers what changed
with one small event per item (:mod:`nodeflow.core.workflow_events`), which is
how the editor's canvas follows the model.

A workflow can hold mistakes (an unknown node type, a bad parameter value, a
dangling edge) because a file with mistakes must still open without losing work;
:func:`nodeflow.core.validation.validate` reports them.  The checked editing
methods (``add_node``, ``set_param``, ``connect``, ``add_backdrop``) refuse an
edit that would make the workflow wrong, with a :class:`WorkflowEditError`
naming the node, port or parameter; the ``*_problems`` methods give the same
verdict without changing anything.  The unchecked ones (``insert_node``,
``insert_edge``, ``insert_backdrop``, ``restore``, ``set_param(check=False)``)
put back what was there before: file loading and undo.
"""

from __future__ import annotations

import copy
import difflib
import os
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import Problem, WorkflowEditError, expected_got
from .params import FileParam
from .ports import IDENTIFIER, can_connect
from .registry import Registry, default_registry
from .spec import NodeSpec
from .workflow_events import (
    BackdropAdded,
    BackdropChanged,
    BackdropRemoved,
    EdgeAdded,
    EdgeRemoved,
    NodeAdded,
    NodeChanged,
    NodeMoved,
    NodeRemoved,
    Subscriber,
    WorkflowEvent,
)


@dataclass
class Node:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)  # explicitly set values only
    position: tuple[float, float] = (0.0, 0.0)
    label: str | None = None
    annotation: str | None = None


@dataclass
class Backdrop:
    """An annotation box drawn behind a group of nodes, with a text (KNIME's annotations)."""

    id: str
    text: str = ""
    position: tuple[float, float] = (0.0, 0.0)
    size: tuple[float, float] = (300.0, 200.0)

    def contains(self, point: tuple[float, float]) -> bool:
        (x, y), (w, h) = self.position, self.size
        return x <= point[0] <= x + w and y <= point[1] <= y + h


@dataclass(frozen=True)
class Edge:
    """A connection from an output port to an input port."""

    source: str
    source_port: str
    target: str
    target_port: str

    def __str__(self) -> str:
        return f"{self.source}.{self.source_port} -> {self.target}.{self.target_port}"


@dataclass(frozen=True)
class Removal:
    """What :meth:`Workflow.remove_nodes` took out, each item with the index it had.

    :meth:`Workflow.restore` puts everything back at those places, so undoing a
    deletion gives the same node and edge order (edge order is the input order of
    merge layers, and the file is written in this order).
    """

    nodes: tuple[tuple[int, Node], ...]
    edges: tuple[tuple[int, Edge], ...]


# Node ids name folders of a run (and Keras layers); file systems allow 255 bytes per
# name, and nothing needs more than this.
MAX_ID_LENGTH = 100
# Names longer than this get no "did you mean" hint: close matching costs time
# proportional to the product of the lengths.
_HINT_LIMIT = 200


def id_problem(node_id: str) -> str | None:
    """Why ``node_id`` cannot name a node (not an identifier, too long), else ``None``."""
    if not IDENTIFIER.fullmatch(node_id):
        return expected_got("an identifier (letters, digits, _)", node_id)
    if len(node_id) > MAX_ID_LENGTH:
        return f"expected an id of at most {MAX_ID_LENGTH} characters, got {len(node_id):,}"
    return None


def copy_value(value: Any) -> Any:
    """An independent copy of a JSON value (lists and dicts copied, any depth).

    Iterative, unlike ``copy.deepcopy``: a file may hold values nested far deeper than
    Python's recursion limit, and copying a workflow must never fail on what loads.
    """
    if not isinstance(value, (list, dict)):
        return value
    root = [value]
    result: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(root, result, 0)]  # (source, copy, key)
    while stack:
        source, target, key = stack.pop()
        item = source[key]
        if isinstance(item, dict):
            fresh: Any = dict.fromkeys(item)
            target[key] = fresh
            stack.extend((item, fresh, k) for k in item)
        elif isinstance(item, list):
            fresh = [None] * len(item)
            target[key] = fresh
            stack.extend((item, fresh, i) for i in range(len(item)))
        else:
            target[key] = item
    return result[0]


def _copy_node(node: Node) -> Node:
    return replace(node, params=copy_value(node.params))


def _point(value: tuple[float, float]) -> tuple[float, float]:
    return float(value[0]), float(value[1])


def resolve_against(base_dir: str | None, value: str) -> str:
    """A file parameter's path as the runtime opens it: a relative one joined to
    ``base_dir`` (the workflow's folder) and normalized, an absolute one as it is; without
    a folder the path stays as given."""
    if os.path.isabs(value) or base_dir is None:
        return value
    return os.path.normpath(os.path.join(base_dir, value))


class Workflow:
    def __init__(self, registry: Registry | None = None, description: str | None = None):
        self._registry = registry
        self.description = description
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.backdrops: list[Backdrop] = []
        # folder that relative file paths refer to: the saved file's folder, if any
        self.base_dir: str | None = None
        self._subscribers: list[Subscriber] = []

    # -- observers -------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> None:
        """Call ``callback(event)`` after every change, in the order of the changes."""
        self._subscribers.append(callback)

    def unsubscribe(self, callback: Subscriber) -> None:
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def _emit(self, event: WorkflowEvent) -> None:
        for callback in list(self._subscribers):
            callback(event)

    # -- catalogue -----------------------------------------------------------
    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = default_registry()
        return self._registry

    def spec(self, node_id: str) -> NodeSpec | None:
        node = self.nodes.get(node_id)
        return self.registry.get(node.type) if node else None

    def _node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise WorkflowEditError(
                Problem(node_id, None, "no such node in this workflow")
            ) from None

    # -- nodes ---------------------------------------------------------------
    def new_id(self, type_id: str, reserved: Collection[str] = ()) -> str:
        """The smallest free id of the form ``<prefix>_<n>``, e.g. ``dense_2``.

        ``reserved`` ids count as taken too (ids handed out for a paste not yet made).
        """
        spec = self.registry.get(type_id)
        prefix = spec.id_prefix if spec else "node"
        n = 1
        while f"{prefix}_{n}" in self.nodes or f"{prefix}_{n}" in reserved:
            n += 1
        return f"{prefix}_{n}"

    def node_problems(self, type_id: str, params: dict[str, Any] | None = None,
                      node_id: str | None = None) -> list[Problem]:
        """Why ``add_node`` with these arguments would be refused (nothing when it would not)."""
        spec = self.registry.get(type_id)
        if spec is None:
            return [unknown_type_problem(self.registry, type_id, None)]
        bad_id = id_problem(node_id) if node_id is not None else None
        if bad_id:
            return [Problem(None, "id", bad_id)]
        if node_id in self.nodes:
            return [Problem(node_id, "id", "this id is already in use")]
        node_id = node_id or self.new_id(type_id)
        return [Problem(node_id, path, msg)
                for name, value in (params or {}).items()
                for path, msg in _check_param(spec, name, value)]

    def add_node(
        self,
        type_id: str,
        params: dict[str, Any] | None = None,
        position: tuple[float, float] = (0.0, 0.0),
        label: str | None = None,
        annotation: str | None = None,
        node_id: str | None = None,
    ) -> Node:
        """Add a checked node at the end of the node order."""
        problems = self.node_problems(type_id, params, node_id)
        if problems:
            raise WorkflowEditError(problems)
        node = Node(node_id or self.new_id(type_id), type_id, dict(params or {}), _point(position),
                    label, annotation)
        self.insert_node(node)
        return node

    def insert_node(self, node: Node, index: int | None = None) -> None:
        """Put a node in as it is, unchecked, at ``index`` in node order (default: last).

        For file loading and undo; only a repeated id is refused, because the id
        is the node's key.
        """
        if node.id in self.nodes:
            raise WorkflowEditError(Problem(node.id, "id", "this id is already in use"))
        count = len(self.nodes)
        index = count if index is None else max(0, min(index, count))
        if index == count:
            self.nodes[node.id] = node
        else:
            items = list(self.nodes.items())
            items.insert(index, (node.id, node))
            self.nodes.clear()
            self.nodes.update(items)
        self._emit(NodeAdded(node.id, index))

    def remove_nodes(self, node_ids: Iterable[str]) -> Removal:
        """Remove nodes and their edges; returns what :meth:`restore` needs to undo it.

        Events: one ``EdgeRemoved`` per edge, then one ``NodeRemoved`` per node,
        so a view never holds a wire to a node it has already dropped.
        """
        doomed = list(dict.fromkeys(node_ids))
        for node_id in doomed:
            self._node(node_id)
        order = {node_id: i for i, node_id in enumerate(self.nodes)}
        gone = set(doomed)
        nodes = tuple(sorted(((order[n], self.nodes[n]) for n in doomed), key=lambda item: item[0]))
        edges = tuple((i, e) for i, e in enumerate(self.edges) if gone & {e.source, e.target})
        for index, edge in reversed(edges):  # from the back, so each index is still exact
            del self.edges[index]
            self._emit(EdgeRemoved(edge, index))
        for index, node in reversed(nodes):
            del self.nodes[node.id]
            self._emit(NodeRemoved(node.id, index))
        return Removal(nodes, edges)

    def remove_node(self, node_id: str) -> list[Edge]:
        """Remove a node and its edges; returns the removed edges."""
        return [edge for _, edge in self.remove_nodes([node_id]).edges]

    def restore(self, removal: Removal) -> None:
        """Undo :meth:`remove_nodes`: every node and edge back at its old index."""
        for index, node in removal.nodes:  # ascending: each earlier item is already back
            self.insert_node(node, index)
        for index, edge in removal.edges:
            self.insert_edge(edge, index)

    def param_problems(self, node_id: str, name: str, value: Any) -> list[Problem]:
        """Why ``set_param`` would refuse this value (nothing when it would not)."""
        node = self.nodes.get(node_id)
        if node is None:
            return [Problem(node_id, None, "no such node in this workflow")]
        spec = self.registry.get(node.type)
        if spec is None:
            return [unknown_type_problem(self.registry, node.type, node_id)]
        return [Problem(node_id, path, msg) for path, msg in _check_param(spec, name, value)]

    def set_param(self, node_id: str, name: str, value: Any, *, check: bool = True) -> None:
        """Set a parameter's explicit value.

        ``check=False`` puts a value in as it is (undo back to a value a file
        held, ``--set`` overrides that validation reports later).
        """
        node = self._node(node_id)
        if check:
            problems = self.param_problems(node_id, name, value)
            if problems:
                raise WorkflowEditError(problems)
        node.params[name] = value
        self._emit(NodeChanged(node_id, "param", name))

    def reset_param(self, node_id: str, name: str) -> None:
        """Back to the declared default (removes the explicit value)."""
        node = self._node(node_id)
        if name in node.params:
            del node.params[name]
            self._emit(NodeChanged(node_id, "param", name))

    def param_value(self, node_id: str, name: str) -> Any:
        """Explicit value, else the declared default."""
        node = self._node(node_id)
        if name in node.params:
            return node.params[name]
        spec = self.spec(node_id)
        param = spec.param(name) if spec else None
        if param is None or param.required:
            raise KeyError(name)
        return param.default

    def set_label(self, node_id: str, label: str | None) -> None:
        """The title shown instead of the id (empty: the id again)."""
        self._set_text(node_id, "label", label)

    def set_annotation(self, node_id: str, annotation: str | None) -> None:
        """The note shown under the node (empty: none)."""
        self._set_text(node_id, "annotation", annotation)

    def _set_text(self, node_id: str, aspect: str, text: str | None) -> None:
        node = self._node(node_id)
        text = text or None
        if getattr(node, aspect) != text:
            setattr(node, aspect, text)
            self._emit(NodeChanged(node_id, aspect))

    def move_node(self, node_id: str, position: tuple[float, float]) -> None:
        node = self._node(node_id)
        position = _point(position)
        if node.position != position:
            node.position = position
            self._emit(NodeMoved(node_id))

    # -- edges ---------------------------------------------------------------
    def incoming(self, node_id: str, port: str | None = None) -> list[Edge]:
        return [e for e in self.edges if e.target == node_id and port in (None, e.target_port)]

    def outgoing(self, node_id: str, port: str | None = None) -> list[Edge]:
        return [e for e in self.edges if e.source == node_id and port in (None, e.source_port)]

    def edge_problems(self, source: str, source_port: str, target: str, target_port: str) -> list[Problem]:
        """What is wrong with an edge between these two ports, the edge on its own.

        Both nodes must exist, both ports must exist, and the output's type must
        fit the input's.  Validation reports these for every edge of a file and
        :meth:`connect` refuses with the same words.  An end whose node type is
        unknown is left alone: that node's own problem says so.
        """
        edge = Edge(source, source_port, target, target_port)
        where = f"edge {edge}"
        problems: list[Problem] = []
        ports = {}
        for node_id, port_name, side in ((source, source_port, "output"), (target, target_port, "input")):
            node = self.nodes.get(node_id)
            if node is None:
                problems.append(Problem(None, where, f"expected an existing {side} node, got {node_id} "
                                                     "which is not in the workflow"))
                continue
            spec = self.registry.get(node.type)
            if spec is None:
                continue
            port = spec.output(port_name) if side == "output" else spec.input(port_name)
            if port is None:
                choices = spec.outputs if side == "output" else spec.inputs
                names = ", ".join(p.name for p in choices) or "none"
                problems.append(Problem(node_id, where, f"expected an {side} port among: {names}, "
                                                        f"got {port_name}"))
                continue
            ports[side] = port
        if not problems and len(ports) == 2 and not can_connect(ports["output"].type, ports["input"].type):
            problems.append(
                Problem(target, f"input port {target_port}",
                        f"expected a {ports['input'].type}, got a {ports['output'].type} "
                        f"from {source}.{source_port}")
            )
        return problems

    def connect_problems(self, source: str, source_port: str, target: str, target_port: str,
                         replacing: Iterable[Edge] = ()) -> list[Problem]:
        """Why :meth:`connect` would refuse this edge (nothing when it would not).

        The edge's own problems (:meth:`edge_problems`), an endpoint of an unknown
        type, then what the rest of the graph forbids: a cycle, the same edge
        twice, a second connection into a single input.  Edges in ``replacing`` are
        judged as already gone (a wire dropped onto an occupied input replaces its
        wire), without changing anything.
        """
        problems = self.edge_problems(source, source_port, target, target_port)
        for node_id in (source, target):
            node = self.nodes.get(node_id)
            if node is not None and node.type not in self.registry:
                problems.append(unknown_type_problem(self.registry, node.type, node_id))
        if problems:
            return problems
        edge = Edge(source, source_port, target, target_port)
        where = f"input port {target_port}"
        gone = set(replacing)
        edges = [e for e in self.edges if e not in gone] if gone else self.edges
        # one pass builds the index the cycle check walks, so a check stays linear in
        # the graph's size (a chain of thousands of layers is wired one edge at a time)
        targets: dict[str, list[str]] = {}
        taken: list[Edge] = []
        for e in edges:
            targets.setdefault(e.source, []).append(e.target)
            if e.target == target and e.target_port == target_port:
                taken.append(e)
        # a cycle needs a way back from target to source; a new node has none, at once
        if source == target or source in self._reachable(target, lambda n: targets.get(n, ())):
            return [Problem(target, where, f"connecting {source} to {target} would make a cycle")]
        if edge in taken:
            return [Problem(target, where, f"{edge} exists already")]
        if taken and not self.registry[self.nodes[target].type].input(target_port).multi:
            return [Problem(target, where, f"expected one connection, but {taken[0].source}."
                                           f"{taken[0].source_port} is connected already")]
        return []

    def connect(self, source: str, source_port: str, target: str, target_port: str,
                index: int | None = None) -> Edge:
        """Connect an output to an input (at ``index`` in edge order, default last), or refuse."""
        problems = self.connect_problems(source, source_port, target, target_port)
        if problems:
            raise WorkflowEditError(problems)
        edge = Edge(source, source_port, target, target_port)
        self.insert_edge(edge, index)
        return edge

    def insert_edge(self, edge: Edge, index: int | None = None) -> None:
        """Put an edge in as it is, unchecked, at ``index`` in edge order (file loading, undo)."""
        index = len(self.edges) if index is None else max(0, min(index, len(self.edges)))
        self.edges.insert(index, edge)
        self._emit(EdgeAdded(edge, index))

    def disconnect(self, edge: Edge) -> int:
        """Remove an edge (its first occurrence); returns the index it had, for undo."""
        try:
            index = self.edges.index(edge)
        except ValueError:
            raise WorkflowEditError(Problem(edge.target, f"input port {edge.target_port}",
                                            f"{edge} is not connected")) from None
        del self.edges[index]
        self._emit(EdgeRemoved(edge, index))
        return index

    # -- backdrops -------------------------------------------------------------
    def backdrop(self, backdrop_id: str) -> Backdrop | None:
        return next((b for b in self.backdrops if b.id == backdrop_id), None)

    def new_backdrop_id(self, reserved: Collection[str] = ()) -> str:
        taken = {b.id for b in self.backdrops}
        n = 1
        while f"note_{n}" in taken or f"note_{n}" in reserved:
            n += 1
        return f"note_{n}"

    def add_backdrop(self, text: str = "", position: tuple[float, float] = (0.0, 0.0),
                     size: tuple[float, float] = (300.0, 200.0)) -> Backdrop:
        """A new annotation box with a fresh id, last in backdrop order."""
        backdrop = Backdrop(self.new_backdrop_id(), text, _point(position), _point(size))
        self.insert_backdrop(backdrop)
        return backdrop

    def insert_backdrop(self, backdrop: Backdrop, index: int | None = None) -> None:
        """Put a backdrop in as it is at ``index`` (default last); only a repeated id is refused."""
        if self.backdrop(backdrop.id) is not None:
            raise WorkflowEditError(Problem(None, f"backdrop {backdrop.id}", "this id is already in use"))
        index = len(self.backdrops) if index is None else max(0, min(index, len(self.backdrops)))
        self.backdrops.insert(index, backdrop)
        self._emit(BackdropAdded(backdrop.id, index))

    def remove_backdrop(self, backdrop_id: str) -> tuple[int, Backdrop]:
        """Remove a backdrop; returns its index and itself, for :meth:`insert_backdrop` on undo."""
        index = self._backdrop_index(backdrop_id)
        backdrop = self.backdrops.pop(index)
        self._emit(BackdropRemoved(backdrop_id, index))
        return index, backdrop

    def edit_backdrop(self, backdrop_id: str, text: str | None = None,
                      position: tuple[float, float] | None = None,
                      size: tuple[float, float] | None = None) -> None:
        """Change a backdrop's text, position and/or size (``None`` keeps that one)."""
        index = self._backdrop_index(backdrop_id)
        old = self.backdrops[index]
        new = replace(old,
                      text=old.text if text is None else text,
                      position=old.position if position is None else _point(position),
                      size=old.size if size is None else _point(size))
        if new != old:
            self.backdrops[index] = new
            self._emit(BackdropChanged(backdrop_id))

    def _backdrop_index(self, backdrop_id: str) -> int:
        for i, backdrop in enumerate(self.backdrops):
            if backdrop.id == backdrop_id:
                return i
        raise WorkflowEditError(Problem(None, f"backdrop {backdrop_id}", "no such backdrop in this workflow"))

    # -- graph queries ---------------------------------------------------------
    def upstream(self, node_id: str) -> set[str]:
        """Every node ``node_id`` depends on, directly or not."""
        return self._reachable(node_id, lambda n: [e.source for e in self.incoming(n)])

    def downstream(self, node_id: str) -> set[str]:
        """Every node that depends on ``node_id``, directly or not."""
        return self._reachable(node_id, lambda n: [e.target for e in self.outgoing(n)])

    @staticmethod
    def _reachable(node_id: str, neighbours) -> set[str]:
        seen: set[str] = set()
        stack = [node_id]
        while stack:
            for other in neighbours(stack.pop()):
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        return seen

    def resolve_path(self, value: str) -> str:
        """A file parameter as an absolute path (relative ones refer to ``base_dir``)."""
        return resolve_against(self.base_dir, value)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def __len__(self) -> int:
        return len(self.nodes)

    def copy(self) -> "Workflow":
        """An independent copy of the state (without the subscribers)."""
        clone = Workflow(self._registry, self.description)
        clone.base_dir = self.base_dir
        clone.nodes = {node_id: _copy_node(node) for node_id, node in self.nodes.items()}
        clone.edges = list(self.edges)
        clone.backdrops = copy.deepcopy(self.backdrops)
        return clone

    def extract(self, node_ids: Iterable[str]) -> "Workflow":
        """The chosen nodes as a workflow of their own: what copy and paste carry.

        It holds the nodes (in this workflow's order), the edges among them (in
        edge order) and the backdrops that frame only chosen nodes.  File
        parameters are made absolute, so the part means the same wherever it is
        pasted.
        """
        chosen = set(node_ids)
        part = Workflow(self._registry)
        for node in self:
            if node.id in chosen:
                part.insert_node(self._absolute_paths(_copy_node(node)))
        for edge in self.edges:
            if edge.source in part.nodes and edge.target in part.nodes:
                part.insert_edge(edge)
        for backdrop in self.backdrops:
            framed = {n.id for n in self if backdrop.contains(n.position)}
            if framed and framed <= chosen:
                part.insert_backdrop(copy.copy(backdrop))
        return part

    def _absolute_paths(self, node: Node) -> Node:
        spec = self.registry.get(node.type)
        for name, value in node.params.items():
            param = spec.param(name) if spec else None
            if isinstance(param, FileParam) and not param.check(value):
                node.params[name] = self.resolve_path(value)
        return node


def unknown_type_problem(registry: Registry, type_id: str, node_id: str | None) -> Problem:
    """The one message for a node type the catalogue does not know, with a close match."""
    message = expected_got("a known node type", type_id)
    hint = registry.suggest(type_id) if len(type_id) <= _HINT_LIMIT else None
    if hint:
        message += f" (did you mean {hint}?)"
    return Problem(node_id, "type", message)


def _check_param(spec: NodeSpec, name: str, value: Any) -> list[tuple[str, str]]:
    param = spec.param(name)
    if param is None:
        return [(name, unknown_param_message(spec, name))]
    return param.check(value)


def unknown_param_message(spec: NodeSpec, name: str) -> str:
    known = [p.name for p in spec.params]
    message = f"unknown parameter of {spec.type_id}; expected one of: {', '.join(known) or 'none'}"
    close = difflib.get_close_matches(name, known, n=1) if len(name) <= _HINT_LIMIT else []
    if close:
        message += f" (did you mean {close[0]}?)"
    return message
