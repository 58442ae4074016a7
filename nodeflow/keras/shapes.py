"""Shape and parameter inference for the network nodes of a workflow, before training.

Each network node is built on symbolic tensors of its input shapes, which gives
its output shape(s) and parameter count, or an error that names the node and the
shapes it was given.  Results are cached by (node type, parameters, input shapes),
so after an edit only the edited node, and downstream nodes whose input shapes
changed, are built again: changing a Dense layer's units rebuilds that layer and
the next one, not the whole chain.  This is what keeps live shapes in the editor
fast; ``nodeflow inspect`` uses it too.

The walk over the graph and the building of each node are the translator's
(:func:`~nodeflow.keras.translator.walk`, :func:`~nodeflow.keras.translator.build_node`);
only the caching is added here.  Because a cached node was built on tensors of its
own, the model's parameter totals are found by following each output tensor back
through the Keras layers that compute it (see :class:`_Built`), which counts what
the translator's model would contain, and nothing a Set Output Layers cut away.

Nodes are built without weights (see :func:`_weightless`): a layer's variables get
their shapes but no memory, so a network of billions of parameters costs no more to
infer than a small one.  Parameter counts come from the variables' shapes.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

from nodeflow.core.errors import Problem
from nodeflow.core.params import FileParam
from nodeflow.core.shared_layers import SHARES_WEIGHTS
from nodeflow.core.validation import topological_order, validate
from nodeflow.core.workflow import Workflow

from . import load_keras
from .report import NodeShapes, Shape, ShapeReport
from .translator import build_node, consumed_outputs, is_network_node, node_error, owners_first, walk

__all__ = ["NodeShapes", "Shape", "ShapeInference", "ShapeReport", "infer_shapes"]

Origin = tuple  # (port, index) of a tensor among a node's inputs or outputs


@dataclass
class _Built:
    """One node built on tensors of its own (so it can be reused by input shapes).

    ``reaches[(port, i)]`` says what the output tensor ``i`` of ``port`` is computed
    from: the Keras layers on the way back from it (the node's own layer, or layers
    inside a read network), and which of the node's input tensors it starts from.
    """

    layer: Any
    outputs: dict[str, list]  # port -> symbolic output tensors
    params: int
    error: Problem | None
    reaches: dict[Origin, tuple[list, list[Origin]]] = field(default_factory=dict)
    trainable: list[tuple[Any, bool]] = field(default_factory=list)  # flags as built

    def restore_trainable(self) -> None:
        """Undo what Freeze Layers nodes did to these layers in an earlier inference."""
        for layer, flag in self.trainable:
            if layer.trainable != flag:
                layer.trainable = flag


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
        order = owners_first(workflow, [n for n in _safe_order(workflow) if is_network_node(workflow.spec(n))])
        results: dict[str, NodeShapes] = {}
        layers: dict[str, Any] = {}
        built_now: dict[str, _Built] = {}

        def step(node_id, inputs, complete):
            spec = workflow.spec(node_id)
            result = results[node_id] = NodeShapes(node_id, workflow.nodes[node_id].type)
            if node_id in broken or not complete:
                result.skipped = True
                return None
            key = self._key(workflow, node_id, spec, inputs)
            built = self._cache.get(key) if spec.build is not None else None
            if built is None:
                fresh = {port: ([keras.KerasTensor(t.shape, t.dtype) for t in v] if isinstance(v, list)
                                else keras.KerasTensor(v.shape, v.dtype)) for port, v in inputs.items()}
                built = self._build(workflow, node_id, fresh, layers)
                if spec.build is not None:  # network transforms act on upstream layers: run each time
                    if len(self._cache) >= self._max_entries:
                        self._cache.clear()
                    self._cache[key] = built
            else:
                built.restore_trainable()
            if built.error is not None:
                result.error = built.error
                problems.append(built.error)
                return None
            if built.layer is not None:
                layers[node_id] = built.layer
            built_now[node_id] = built
            result.params = built.params
            result.outputs = {port: [tuple(t.shape) for t in tensors]
                              for port, tensors in built.outputs.items()}
            return built.outputs

        walk(workflow, order, step)
        trainable, non_trainable = _model_params(workflow, built_now, consumed_outputs(workflow, order))
        return ShapeReport(results, problems, trainable, non_trainable)

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
        # the node id is part of the key: a layer is named after its node, and network
        # transforms look layers up by name
        # a node calling another node's layer again depends on that node's parameters too
        owner = params.get(SHARES_WEIGHTS)
        shared = workflow.nodes[owner].params if owner in workflow.nodes else None
        return (node_id, spec.type_id, json.dumps([params, shared], sort_keys=True), shapes,
                tuple(stamp))

    def _build(self, workflow, node_id, inputs, layers) -> _Built:
        spec = workflow.spec(node_id)
        if spec.build is not None:
            self.builds += 1
        own = [((port, i), t) for port, v in inputs.items()
               for i, t in enumerate(v if isinstance(v, list) else [v])]
        try:
            try:
                with _weightless():
                    layer, outputs = build_node(workflow, node_id, inputs, layers)
            except ValueError as exc:
                if "stateless scope" not in str(exc):
                    raise
                # a layer that creates a variable from a value, not an initializer: build it as is
                layer, outputs = build_node(workflow, node_id, inputs, layers)
            params = layer.count_params() if layer is not None and layer.built else 0
        except Exception as exc:  # Keras reports bad shapes and arguments as various types
            if _out_of_memory(exc):
                exc = MemoryError("too large to infer shapes within the shape process's memory limit")
            problem = exc.problems[0] if getattr(exc, "problems", None) else node_error(node_id, inputs, exc)
            return _Built(None, {}, 0, problem)
        built = _Built(layer, outputs, params, None)
        starts = {id(t): origin for origin, t in own}
        for port, tensors in outputs.items():
            for i, tensor in enumerate(tensors):
                built.reaches[(port, i)] = _trace(tensor, starts)
        built.trainable = [(item, item.trainable) for item in _layers_within(layer)]
        return built


@contextlib.contextmanager
def _weightless():
    """Variables created inside get a shape and no value (Keras defers their
    initialization in a stateless scope), so building allocates no weight memory.

    They stay uninitialized for good: shapes and counts need no values.  Keras keeps a
    global list of such variables and initializes all of them when the next outermost
    stateless scope ends (its symbolic calls open one), so the ones made here are taken
    off that list again."""
    from keras.src.backend.common import global_state

    key = "uninitialized_variables"
    before = list(global_state.get_global_attribute(key, []) or [])
    try:
        with load_keras().StatelessScope(initialize_variables=False):
            yield
    finally:
        global_state.set_global_attribute(key, before)


def _out_of_memory(exc: BaseException) -> bool:
    """A build that ran out of memory (Python's MemoryError, TensorFlow's OOM)."""
    return isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError"


def _trace(tensor, starts: dict[int, Origin]) -> tuple[list, list[Origin]]:
    """The Keras operations a symbolic tensor is computed by, back to the tensors in
    ``starts`` (a node's own inputs) or to the model's inputs; and the starts reached."""
    operations: dict[int, Any] = {}
    reached: list[Origin] = []
    seen: set[int] = set()
    stack = [tensor]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if id(t) in starts:
            reached.append(starts[id(t)])
            continue
        history = getattr(t, "_keras_history", None)
        if history is None:
            continue
        operation = history.operation
        operations[id(operation)] = operation
        stack.extend(operation._inbound_nodes[history.node_index].input_tensors)
    return list(operations.values()), reached


def _layers_within(layer) -> list:
    """A layer and, for a model, every layer inside it (as Freeze Layers sees them)."""
    found, stack = [], [layer] if layer is not None else []
    while stack:
        item = stack.pop()
        found.append(item)
        stack.extend(getattr(item, "layers", ()))
    return found


def _model_params(workflow: Workflow, built: dict[str, _Built], outputs: list[tuple[str, str]]
                  ) -> tuple[int, int]:
    """Trainable and non-trainable parameters of the model ending at ``outputs``: the
    weights of the operations those tensors are computed by, each counted once."""
    incoming: dict[tuple[str, str], list] = {}
    for e in workflow.edges:
        incoming.setdefault((e.target, e.target_port), []).append(e)
    operations: dict[int, Any] = {}
    todo = [(node, port, i) for node, port in outputs if node in built
            for i in range(len(built[node].outputs.get(port, ())))]
    seen = set()
    while todo:
        node, port, i = todo.pop()
        if (node, port, i) in seen:
            continue
        seen.add((node, port, i))
        entry = built[node]
        ops, reached = entry.reaches[(port, i)]
        operations.update((id(op), op) for op in ops)
        for in_port, index in reached:  # follow the input back to the node that made it
            offset = 0
            for e in incoming.get((node, in_port), ()):
                source = built.get(e.source)
                count = len(source.outputs.get(e.source_port, ())) if source else 0
                if offset <= index < offset + count:
                    todo.append((e.source, e.source_port, index - offset))
                    break
                offset += count
    trainable: dict[int, Any] = {}
    frozen: dict[int, Any] = {}
    for op in operations.values():
        trainable.update((id(v), v) for v in getattr(op, "trainable_weights", ()))
        frozen.update((id(v), v) for v in getattr(op, "non_trainable_weights", ()))
    for key in trainable.keys() & frozen.keys():  # a variable frozen by any holder is frozen
        del trainable[key]
    return _size(trainable.values()), _size(frozen.values())


def _size(variables) -> int:
    return sum(math.prod(v.shape) for v in variables)


def _safe_order(workflow: Workflow) -> list[str]:
    try:
        return topological_order(workflow)
    except ValueError:  # a cycle: validation reports it; infer what can be ordered
        return list(workflow.nodes)


def infer_shapes(workflow: Workflow) -> ShapeReport:
    """One-off inference (no cache kept between calls)."""
    return ShapeInference().infer(workflow)
