"""Shape and parameter inference for the network nodes of a workflow, before training.

Each network node is built on symbolic tensors of its input shapes, which gives
its output shape(s) and parameter count, or an error that names the node and the
shapes it was given.  Results are cached by (node type, parameters, input shapes),
so after an edit only the edited node, and downstream nodes whose input shapes
changed, are built again: changing a Dense layer's units rebuilds that layer and
the next one, not the whole chain.  This is what keeps live shapes in the editor
fast; ``nodeflow inspect`` uses it too.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from nodeflow.core.errors import Problem
from nodeflow.core.params import FileParam
from nodeflow.core.validation import topological_order, validate
from nodeflow.core.workflow import Workflow

from . import load_keras
from .layers import keras_params
from .translator import BuildContext, call_node, is_network_node, node_error

Shape = tuple  # (None, 16): the batch axis first


@dataclass
class NodeShapes:
    """What inference found for one node."""

    node_id: str
    type: str
    outputs: dict[str, list[Shape]] = field(default_factory=dict)  # port -> shapes carried
    params: int = 0
    error: Problem | None = None
    skipped: bool = False  # an upstream node failed or an input is missing

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.node_id,
            "type": self.type,
            "outputs": {p: [list(s) for s in shapes] for p, shapes in self.outputs.items()},
            "params": self.params,
            "error": str(self.error) if self.error else None,
            "skipped": self.skipped,
        }


@dataclass
class ShapeReport:
    nodes: dict[str, NodeShapes]
    problems: list[Problem]  # validation problems and shape errors, all of them

    @property
    def total_params(self) -> int:
        return sum(n.params for n in self.nodes.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "nodes": [n.to_json() for n in self.nodes.values()],
            "total_params": self.total_params,
            "problems": [str(p) for p in self.problems],
        }


@dataclass
class _Built:
    layer: Any
    outputs: list  # symbolic output tensors
    params: int
    error: Problem | None


class ShapeInference:
    """Keeps built layers between calls; one instance per open workflow."""

    def __init__(self, max_entries: int = 20_000):
        self._cache: dict[tuple, _Built] = {}
        self._max_entries = max_entries
        self.builds = 0  # layers built so far (for tests and benchmarks)

    def infer(self, workflow: Workflow) -> ShapeReport:
        keras = load_keras()

        problems = validate(workflow)
        broken = {p.node for p in problems if p.node}
        order = [n for n in _safe_order(workflow) if is_network_node(workflow.spec(n))]
        results: dict[str, NodeShapes] = {}
        symbolic: dict[tuple[str, str], list] = {}
        layers: dict[str, Any] = {}
        for node_id in order:
            spec = workflow.spec(node_id)
            node = workflow.nodes[node_id]
            result = NodeShapes(node_id, node.type)
            results[node_id] = result
            inputs, complete = self._inputs(workflow, node_id, spec, symbolic)
            if node_id in broken or not complete:
                result.skipped = True
                continue
            key = self._key(workflow, node_id, spec, inputs)
            built = self._cache.get(key)
            if built is None:
                fresh = {port: ([keras.KerasTensor(t.shape, t.dtype) for t in v] if isinstance(v, list)
                                else keras.KerasTensor(v.shape, v.dtype)) for port, v in inputs.items()}
                built = self._build(workflow, node_id, spec, fresh, layers)
                if len(self._cache) >= self._max_entries:
                    self._cache.clear()
                self._cache[key] = built
            if built.error is not None:
                result.error = built.error
                problems.append(built.error)
                continue
            if built.layer is not None:
                layers[node_id] = built.layer
            result.params = built.params
            ports = [p.name for p in spec.outputs if p.type == "network"]
            if len(ports) == 1:
                symbolic[(node_id, ports[0])] = built.outputs
            else:
                for port, tensor in zip(ports, built.outputs):
                    symbolic[(node_id, port)] = [tensor]
            for port in ports:
                if (node_id, port) in symbolic:
                    result.outputs[port] = [tuple(t.shape) for t in symbolic[(node_id, port)]]
        return ShapeReport(results, problems)

    def _inputs(self, workflow, node_id, spec, symbolic) -> tuple[dict[str, Any], bool]:
        inputs: dict[str, Any] = {}
        complete = True
        for port in spec.inputs:
            edges = workflow.incoming(node_id, port.name)
            values = []
            for e in edges:
                carried = symbolic.get((e.source, e.source_port))
                if carried is None:
                    complete = False
                else:
                    values.extend(carried)
            if port.multi:
                inputs[port.name] = values
            elif values:
                inputs[port.name] = values[0] if len(values) == 1 else values
        return inputs, complete

    def _key(self, workflow, node_id, spec, inputs) -> tuple:
        params = workflow.nodes[node_id].params
        stamp = []
        for name, value in sorted(params.items()):
            if isinstance(spec.param(name), FileParam) and isinstance(value, str):
                path = workflow.resolve_path(value)
                try:
                    stat = os.stat(path)
                    stamp.append((path, stat.st_mtime_ns, stat.st_size))
                except OSError:
                    stamp.append((path, None))
        shapes = tuple(
            (port, tuple((tuple(t.shape), str(t.dtype)) for t in (v if isinstance(v, list) else [v])))
            for port, v in inputs.items()
        )
        upstream = ()
        if spec.build is None:  # network transforms look at upstream layers: key on them
            upstream = tuple(sorted(workflow.upstream(node_id)))
        # the node id is part of the key: a layer is named after its node, and network
        # transforms look layers up by name
        return (node_id, spec.type_id, json.dumps(params, sort_keys=True), shapes, tuple(stamp),
                upstream)

    def _build(self, workflow, node_id, spec, inputs, layers) -> _Built:
        self.builds += 1
        ctx = BuildContext(workflow, node_id, layers)
        layer = None
        try:
            layer = spec.build(keras_params(spec, workflow.nodes[node_id].params, workflow.resolve_path),
                               name=node_id) \
                if spec.build else None
            outputs = call_node(spec, layer, inputs, spec.resolve(workflow.nodes[node_id].params), ctx)
            params = layer.count_params() if layer is not None and layer.built else 0
        except Exception as exc:  # Keras reports bad shapes and arguments as various types
            return _Built(layer, [], 0, node_error(node_id, inputs, exc))
        return _Built(layer, outputs, params, None)


def _safe_order(workflow: Workflow) -> list[str]:
    try:
        return topological_order(workflow)
    except ValueError:  # a cycle: validation reports it; infer what can be ordered
        return list(workflow.nodes)


def infer_shapes(workflow: Workflow) -> ShapeReport:
    """One-off inference (no cache kept between calls)."""
    return ShapeInference().infer(workflow)
