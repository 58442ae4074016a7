"""The workflow graph: nodes with stable ids, parameters and positions, and edges.

This is the model every view works on.  It can hold an invalid workflow (an
unknown node type, a bad parameter value, a dangling edge) because a file with
mistakes must still open without losing work; :func:`nodeflow.core.validation.validate`
reports what is wrong.  The editing methods (``add_node``, ``set_param``,
``connect``) refuse an edit that would make the workflow wrong, with a
:class:`WorkflowEditError` naming the node, port or parameter.
"""

from __future__ import annotations

import copy
import difflib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import Problem, WorkflowEditError, expected_got
from .ports import IDENTIFIER, can_connect
from .registry import Registry, default_registry
from .spec import NodeSpec


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


@dataclass(frozen=True)
class Edge:
    """A connection from an output port to an input port."""

    source: str
    source_port: str
    target: str
    target_port: str

    def __str__(self) -> str:
        return f"{self.source}.{self.source_port} -> {self.target}.{self.target_port}"


class Workflow:
    def __init__(self, registry: Registry | None = None, description: str | None = None):
        self._registry = registry
        self.description = description
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.backdrops: list[Backdrop] = []
        # folder that relative file paths refer to: the saved file's folder, if any
        self.base_dir: str | None = None

    # -- catalogue -----------------------------------------------------------
    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = default_registry()
        return self._registry

    def spec(self, node_id: str) -> NodeSpec | None:
        node = self.nodes.get(node_id)
        return self.registry.get(node.type) if node else None

    def _known_spec(self, type_id: str) -> NodeSpec:
        spec = self.registry.get(type_id)
        if spec is None:
            hint = self.registry.suggest(type_id)
            message = expected_got("a known node type", type_id)
            if hint:
                message += f" (did you mean {hint}?)"
            raise WorkflowEditError(Problem(None, "type", message))
        return spec

    def _node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise WorkflowEditError(
                Problem(node_id, None, "no such node in this workflow")
            ) from None

    # -- nodes ---------------------------------------------------------------
    def new_id(self, type_id: str) -> str:
        """The smallest free id of the form ``<prefix>_<n>``, e.g. ``dense_2``."""
        spec = self.registry.get(type_id)
        prefix = spec.id_prefix if spec else "node"
        n = 1
        while f"{prefix}_{n}" in self.nodes:
            n += 1
        return f"{prefix}_{n}"

    def add_node(
        self,
        type_id: str,
        params: dict[str, Any] | None = None,
        position: tuple[float, float] = (0.0, 0.0),
        label: str | None = None,
        annotation: str | None = None,
        node_id: str | None = None,
    ) -> Node:
        spec = self._known_spec(type_id)
        node_id = node_id or self.new_id(type_id)
        if not IDENTIFIER.fullmatch(node_id):
            raise WorkflowEditError(
                Problem(None, "id", expected_got("an identifier (letters, digits, _)", node_id))
            )
        if node_id in self.nodes:
            raise WorkflowEditError(Problem(node_id, "id", "this id is already in use"))
        params = dict(params or {})
        problems = [
            Problem(node_id, path, msg)
            for name, value in params.items()
            for path, msg in _check_param(spec, name, value)
        ]
        if problems:
            raise WorkflowEditError(problems)
        node = Node(node_id, type_id, params, (float(position[0]), float(position[1])), label, annotation)
        self.nodes[node_id] = node
        return node

    def insert_node(self, node: Node) -> None:
        """Put a node in as it is, unchecked (file loading, undo of a removal)."""
        self.nodes[node.id] = node

    def remove_node(self, node_id: str) -> list[Edge]:
        """Remove a node and its edges; returns the removed edges (for undo)."""
        self._node(node_id)
        removed = [e for e in self.edges if node_id in (e.source, e.target)]
        self.edges = [e for e in self.edges if node_id not in (e.source, e.target)]
        del self.nodes[node_id]
        return removed

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        node = self._node(node_id)
        spec = self._known_spec(node.type)
        problems = [Problem(node_id, path, msg) for path, msg in _check_param(spec, name, value)]
        if problems:
            raise WorkflowEditError(problems)
        node.params[name] = value

    def reset_param(self, node_id: str, name: str) -> None:
        """Back to the declared default (removes the explicit value)."""
        self._node(node_id).params.pop(name, None)

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

    def move_node(self, node_id: str, position: tuple[float, float]) -> None:
        self._node(node_id).position = (float(position[0]), float(position[1]))

    # -- edges ---------------------------------------------------------------
    def incoming(self, node_id: str, port: str | None = None) -> list[Edge]:
        return [e for e in self.edges if e.target == node_id and port in (None, e.target_port)]

    def outgoing(self, node_id: str, port: str | None = None) -> list[Edge]:
        return [e for e in self.edges if e.source == node_id and port in (None, e.source_port)]

    def connect(self, source: str, source_port: str, target: str, target_port: str) -> Edge:
        """Connect an output to an input, or refuse with the reason."""
        edge = Edge(source, source_port, target, target_port)
        src_spec = self._known_spec(self._node(source).type)
        dst_spec = self._known_spec(self._node(target).type)
        out = src_spec.output(source_port)
        inp = dst_spec.input(target_port)
        names = lambda ports: ", ".join(p.name for p in ports) or "none"  # noqa: E731
        if out is None:
            raise WorkflowEditError(
                Problem(source, f"output port {source_port}",
                        f"no such output; expected one of: {names(src_spec.outputs)}")
            )
        if inp is None:
            raise WorkflowEditError(
                Problem(target, f"input port {target_port}",
                        f"no such input; expected one of: {names(dst_spec.inputs)}")
            )
        if not can_connect(out.type, inp.type):
            raise WorkflowEditError(
                Problem(target, f"input port {target_port}",
                        f"expected a {inp.type}, got a {out.type} from {source}.{source_port}")
            )
        if source == target or target in self.upstream(source):
            raise WorkflowEditError(
                Problem(target, f"input port {target_port}",
                        f"connecting {source} to {target} would make a cycle")
            )
        if edge in self.edges:
            raise WorkflowEditError(Problem(target, f"input port {target_port}", f"{edge} exists already"))
        if not inp.multi and self.incoming(target, target_port):
            taken = self.incoming(target, target_port)[0]
            raise WorkflowEditError(
                Problem(target, f"input port {target_port}",
                        f"expected one connection, but {taken.source}.{taken.source_port} "
                        "is connected already")
            )
        self.edges.append(edge)
        return edge

    def disconnect(self, edge: Edge) -> None:
        try:
            self.edges.remove(edge)
        except ValueError:
            raise WorkflowEditError(Problem(edge.target, f"input port {edge.target_port}",
                                            f"{edge} is not connected")) from None

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

    def new_backdrop_id(self) -> str:
        taken = {b.id for b in self.backdrops}
        n = 1
        while f"note_{n}" in taken:
            n += 1
        return f"note_{n}"

    def resolve_path(self, value: str) -> str:
        """A file parameter as an absolute path (relative ones refer to ``base_dir``)."""
        if os.path.isabs(value) or self.base_dir is None:
            return value
        return os.path.normpath(os.path.join(self.base_dir, value))

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def __len__(self) -> int:
        return len(self.nodes)

    def copy(self) -> "Workflow":
        clone = Workflow(self._registry, self.description)
        clone.base_dir = self.base_dir
        clone.nodes = copy.deepcopy(self.nodes)
        clone.edges = list(self.edges)
        clone.backdrops = copy.deepcopy(self.backdrops)
        return clone


def _check_param(spec: NodeSpec, name: str, value: Any) -> list[tuple[str, str]]:
    param = spec.param(name)
    if param is None:
        return [(name, unknown_param_message(spec, name))]
    return param.check(value)


def unknown_param_message(spec: NodeSpec, name: str) -> str:
    known = [p.name for p in spec.params]
    message = f"unknown parameter of {spec.type_id}; expected one of: {', '.join(known) or 'none'}"
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        message += f" (did you mean {close[0]}?)"
    return message
