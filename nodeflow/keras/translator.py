"""Workflow -> ``keras.Model`` through the functional API.

Every node that outputs a ``network`` takes part: Input nodes and model sources
(a pretrained architecture, a network read from disk) start the graph, layer
nodes are called on the tensors arriving at their input ports, and network
transforms (freeze layers, set outputs) act on what flows through them.  A value
on a network port is the list of tensors it carries (one for a plain layer).

The model's inputs are the Input nodes and model sources upstream of its
outputs; its outputs are the tensors arriving at the chosen node (e.g. the one
a learner is connected to), or by default every network output that feeds no
other layer, in workflow order; when a Set Output Layers node is among those,
only Set Output Layers (and Load Weights) nodes give the outputs.

Shape inference walks the graph the same way (:func:`walk`) and builds each node
with the same function (:func:`build_node`); only what it does around a node differs.

Errors name the node: ``node add_1: inputs have shapes (None, 32) and (None, 64): ...``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from nodeflow.core.errors import Problem, ProblemsError
from nodeflow.core.shape_text import shape_text
from nodeflow.core.shared_layers import SHARES_WEIGHTS, shared_owner
from nodeflow.core.spec import NodeSpec
from nodeflow.core.validation import topological_order, validate
from nodeflow.core.workflow import Workflow

from . import load_keras
from .layers import build_layer


SET_OUTPUTS = "keras.SetOutputLayers"  # the node type that chooses a model's outputs
LOAD_WEIGHTS = "keras.LoadWeights"  # loads stored weights; at the end, chooses outputs as well
OUTPUT_CHOOSERS = (SET_OUTPUTS, LOAD_WEIGHTS)


class TranslationError(ProblemsError):
    """The workflow's layer graph cannot become a Keras model; problems name the nodes."""


@dataclass
class BuildContext:
    """What a node's ``apply`` may look at besides its own inputs."""

    workflow: Workflow
    node_id: str
    layers: dict[str, Any] = field(default_factory=dict)  # node id -> built layer / model
    load_state: bool = False  # whether to load stored weights (not while inferring shapes)

    def upstream_layers(self) -> dict[str, Any]:
        """Keras layers upstream of this node by name, sub-model layers included."""
        found: dict[str, Any] = {}
        for node_id in self.workflow.upstream(self.node_id):
            layer = self.layers.get(node_id)
            if layer is None:
                continue
            stack = [layer]
            while stack:  # a model source (e.g. a pretrained base) brings its own layers
                item = stack.pop()
                found.setdefault(item.name, item)
                stack.extend(getattr(item, "layers", ()))
        return found


def is_network_node(spec: NodeSpec | None) -> bool:
    return spec is not None and any(p.type == "network" for p in spec.outputs)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(line.strip() for line in text.splitlines() if line.strip())[:400]


def call_node(spec: NodeSpec, layer, inputs: dict[str, Any], params: dict, ctx: BuildContext | None):
    """Apply a built layer to the tensors at its input ports; returns a list of output
    tensors in output-port order (missing trailing outputs are absent)."""
    if spec.apply is not None:
        result = spec.apply(layer, inputs, params, ctx)
    elif not spec.inputs:
        if hasattr(layer, "outputs") and hasattr(layer, "inputs"):  # a model as a source
            result = list(layer.outputs)
        else:  # an InputLayer
            result = layer.output
    elif len(spec.inputs) == 1:
        result = layer(inputs[spec.inputs[0].name])
    else:
        raise TypeError(f"{spec.type_id}: several input ports need an apply function")
    if isinstance(result, (list, tuple)):
        return list(result)
    return [result]


def input_shapes_text(inputs: dict[str, Any]) -> str:
    shapes = []
    for value in inputs.values():
        for tensor in value if isinstance(value, list) else [value]:
            shape = getattr(tensor, "shape", None)
            if shape is not None:
                shapes.append(shape_text(tuple(shape)))
    if not shapes:
        return ""
    if len(shapes) == 1:
        return f"input has shape {shapes[0]}"
    return "inputs have shapes " + ", ".join(shapes[:-1]) + " and " + shapes[-1]


def node_error(node_id: str, inputs: dict[str, Any], exc: Exception) -> Problem:
    where = input_shapes_text(inputs)
    message = f"{where}: {_first_line(exc)}" if where else _first_line(exc)
    return Problem(node_id, None, message)


@dataclass
class Translation:
    model: Any
    layers: dict[str, Any]  # node id -> Keras layer (or sub-model)
    tensors: dict[tuple[str, str], list]  # (node id, port) -> tensors carried
    input_nodes: list[str]
    output_nodes: list[tuple[str, str]]


def network_nodes(workflow: Workflow, target: str | None = None) -> list[str]:
    """Network-producing nodes in dependency order (only those upstream of ``target``)."""
    order = topological_order(workflow)
    keep = workflow.upstream(target) | {target} if target else set(workflow.nodes)
    return owners_first(workflow, [n for n in order if n in keep and is_network_node(workflow.spec(n))])


def owners_first(workflow: Workflow, order: list[str]) -> list[str]:
    """``order`` (a dependency order) changed as little as possible so that a node whose
    layer another node shares comes before that node: the edges do not say so (the two
    calls of a siamese network's layer sit on parallel branches)."""
    owners = {n: workflow.nodes[n].params.get(SHARES_WEIGHTS) for n in order}
    if not any(owners.values()):
        return order
    wanted = set(order)
    needs = {n: {e.source for e in workflow.edges if e.target == n and e.source in wanted}
             | ({owners[n]} if owners[n] in wanted else set()) for n in order}
    placed: list[str] = []
    done: set[str] = set()
    waiting = list(order)
    while waiting:
        ready = next((n for n in waiting if needs[n] <= done), None)
        if ready is None:  # a sharing cycle: validation reports it; keep the rest in order
            placed += waiting
            break
        waiting.remove(ready)
        placed.append(ready)
        done.add(ready)
    return placed


# --------------------------------------------------------------------------- the one walk
def gather_inputs(workflow: Workflow, node_id: str, carried: dict[tuple[str, str], list]
                  ) -> tuple[dict[str, Any], bool]:
    """The tensors arriving at a node's input ports, and whether every connected source
    carries something (``False`` when an upstream node was skipped or failed)."""
    inputs: dict[str, Any] = {}
    complete = True
    for port in workflow.spec(node_id).inputs:
        values = []
        for e in workflow.incoming(node_id, port.name):
            tensors = carried.get((e.source, e.source_port))
            if tensors is None:
                complete = False
            else:
                values.extend(tensors)
        if port.multi:
            inputs[port.name] = values
        elif values:
            inputs[port.name] = values[0] if len(values) == 1 else values
    return inputs, complete


def build_node(workflow: Workflow, node_id: str, inputs: dict[str, Any], layers: dict[str, Any],
               load_state: bool = False) -> tuple[Any, dict[str, list]]:
    """Build one network node on the tensors at its input ports.

    Returns its Keras layer (``None`` for a network transform) and the tensors each
    network output port carries.  ``layers`` holds the layers built upstream (network
    transforms look them up by name).  Keras's own exceptions pass through; the
    caller names the node with :func:`node_error`.
    """
    spec = workflow.spec(node_id)
    params = workflow.nodes[node_id].params
    layer = None
    shared = shared_layer(workflow, node_id, layers)
    if shared is not None:
        layer = shared
    elif spec.build is not None:
        layer = build_layer(spec, params, name=node_id, resolve_path=workflow.resolve_path)
    outputs = call_node(spec, layer, inputs, spec.resolve(params),
                        BuildContext(workflow, node_id, layers, load_state))
    # a node that calls another node's layer again owns no layer of its own: its weights
    # are counted, loaded and saved once, under the node that made the layer
    return (None if shared is not None else layer), port_tensors(workflow, node_id, outputs)


def shared_layer(workflow: Workflow, node_id: str, layers: dict[str, Any]):
    """The layer of the node ``node_id`` shares weights with, or ``None``.  The reference
    itself is checked by validation (:mod:`nodeflow.core.shared_layers`), which translation
    and shape inference run before building any node; what is left to check here is
    whether the owner's layer is built yet."""
    owner, _problem = shared_owner(workflow, node_id)
    if owner is None:
        return None
    if owner not in layers:
        raise TranslationError(Problem(
            node_id, SHARES_WEIGHTS, f"names {owner}, whose layer is not built before this node; "
            "expected a node upstream of this one or on a parallel branch that the model uses"))
    return layers[owner]


def port_tensors(workflow: Workflow, node_id: str, outputs: list) -> dict[str, list]:
    """A node's output tensors by network port: all of them on a single port, else one per
    port in order.  A connected port the layer gives no tensor for is an error."""
    ports = [p for p in workflow.spec(node_id).outputs if p.type == "network"]
    if len(ports) == 1:
        return {ports[0].name: list(outputs)}
    carried = {}
    for i, port in enumerate(ports):
        if i < len(outputs):
            carried[port.name] = [outputs[i]]
        elif workflow.outgoing(node_id, port.name):
            raise TranslationError(Problem(
                node_id, f"output port {port.name}",
                f"is connected, but the layer gives only {len(outputs)} output(s) with these "
                "parameters (e.g. return_state is off)"))
    return carried


def walk(workflow: Workflow, nodes: list[str], step: Callable[[str, dict[str, Any], bool], dict | None]
         ) -> dict[tuple[str, str], list]:
    """Visit network nodes in order, passing each the tensors at its inputs.

    ``step(node_id, inputs, complete)`` returns the tensors per output port (as
    :func:`build_node` does), or ``None`` when the node carries nothing on (skipped or
    failed).  Returns ``(node id, port) -> tensors carried``.  The translator, shape
    inference and code export all go through here and differ only in their step (code
    export carries Python expressions instead of tensors).
    """
    carried: dict[tuple[str, str], list] = {}
    for node_id in nodes:
        inputs, complete = gather_inputs(workflow, node_id, carried)
        outputs = step(node_id, inputs, complete)
        for port, tensors in (outputs or {}).items():
            carried[(node_id, port)] = tensors
    return carried


def consumed_outputs(workflow: Workflow, nodes: list[str]) -> list[tuple[str, str]]:
    """The network ports a model is built from: those wired into a node that uses a network
    (a learner), in workflow order; without such a node, :func:`default_outputs`."""
    wanted = set(nodes)
    found: dict[tuple[str, str], None] = {}  # ordered, without repeats
    for e in workflow.edges:
        if e.source not in wanted:
            continue
        spec = workflow.spec(e.target)
        port = spec.input(e.target_port) if spec is not None and not is_network_node(spec) else None
        if port is not None and port.type == "network":
            found[(e.source, e.source_port)] = None
    return list(found) or default_outputs(workflow, nodes)


def translate(workflow: Workflow, output: tuple[str, str] | None = None, name: str | None = None) -> Translation:
    """Build the Keras model of the workflow's layer graph.

    ``output`` is the ``(node id, port)`` whose network becomes the model (as a
    learner's network input does); by default every network port that feeds no
    other network node is an output.
    """
    keras = load_keras()

    problems = validate(workflow)
    if problems:
        raise TranslationError(problems)
    nodes = network_nodes(workflow, output[0] if output else None)
    if not nodes:
        raise TranslationError(Problem(None, None, "expected at least one layer node, got none"))
    layers: dict[str, Any] = {}
    source_inputs: dict[str, list] = {}  # Input node / model source -> its input tensors

    def step(node_id, inputs, complete):
        try:
            layer, outputs = build_node(workflow, node_id, inputs, layers, load_state=True)
        except TranslationError:
            raise
        except Exception as exc:  # Keras reports shape and argument errors as various types
            raise TranslationError(node_error(node_id, inputs, exc)) from exc
        if layer is not None:
            layers[node_id] = layer
            if not workflow.spec(node_id).inputs:
                source_inputs[node_id] = list(getattr(layer, "inputs", None) or [layer.output])
        return outputs

    tensors = walk(workflow, nodes, step)
    chosen = [output] if output is not None else [
        key for key in default_outputs(workflow, nodes) if key in tensors]
    model_outputs = [t for key in chosen for t in tensors[key]]
    needed = {n for n, _ in chosen}
    for n, _ in chosen:
        needed |= workflow.upstream(n)
    input_nodes = [n for n in source_inputs if n in needed]
    model_inputs = [t for n in input_nodes for t in source_inputs[n]]
    # one input / one output as a plain tensor, not a list of one: a SavedModel's serving
    # function then takes and returns a tensor, as users of tf.saved_model.load expect
    single = lambda tensors: tensors[0] if len(tensors) == 1 else tensors  # noqa: E731
    try:
        with deep_graph(len(nodes)):
            model = keras.Model(inputs=single(model_inputs), outputs=single(model_outputs), name=name)
    except Exception as exc:
        raise TranslationError(Problem(None, "model", _first_line(exc))) from exc
    return Translation(model, layers, tensors, input_nodes, chosen)


@contextmanager
def deep_graph(layer_count: int):
    """Let Keras recurse once per layer while building a functional model.

    Keras maps a functional graph with a recursive helper (one Python frame per layer),
    so a plain chain of a few hundred layers exceeds Python's default limit of 1,000
    frames.  Our own walks are iterative; this raises the limit only while Keras maps a
    graph of ``layer_count`` nodes.  Python-to-Python calls do not use the C stack
    (CPython 3.11+), so a higher limit is safe.
    """
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 1_000 + 8 * layer_count))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def default_outputs(workflow: Workflow, nodes: list[str]) -> list[tuple[str, str]]:
    """Network output ports that feed no other network node, in ``nodes`` order.

    A source (an Input, a pretrained network) that nothing uses is left out, unless
    it is all there is: a lone pretrained network is a model of its own.
    """
    targets: dict[tuple[str, str], list[str]] = {}  # (node, port) -> nodes it feeds
    for e in workflow.edges:
        targets.setdefault((e.source, e.source_port), []).append(e.target)
    sinks = [
        (n, p.name)
        for n in nodes
        for p in workflow.spec(n).outputs
        if p.type == "network"
        and not any(is_network_node(workflow.spec(t)) for t in targets.get((n, p.name), ()))
    ]
    # a Set Output Layers (or Load Weights) node at the end says which tensors the model
    # outputs: other dangling ports (e.g. the unused sequence of an encoder LSTM whose
    # states start a decoder) are then not outputs
    chosen = [(n, port) for n, port in sinks if workflow.nodes[n].type in OUTPUT_CHOOSERS]
    if chosen:
        return chosen
    used = [(n, port) for n, port in sinks if workflow.spec(n).inputs or (n, port) in targets]
    return used or sinks
