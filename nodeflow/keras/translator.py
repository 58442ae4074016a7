"""Workflow -> ``keras.Model`` through the functional API.

Every node that outputs a ``network`` takes part: Input nodes and model sources
(a pretrained architecture, a network read from disk) start the graph, layer
nodes are called on the tensors arriving at their input ports, and network
transforms (freeze layers, set outputs) act on what flows through them.  A value
on a network port is the list of tensors it carries (one for a plain layer).

The model's inputs are the Input nodes and model sources upstream of its
outputs; its outputs are the tensors arriving at the chosen node (e.g. the one
a learner is connected to), or by default every network output that feeds no
other layer, in workflow order.

Errors name the node: ``node add_1: inputs have shapes (None, 32) and (None, 64): ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nodeflow.core.errors import Problem, ProblemsError
from nodeflow.core.spec import NodeSpec
from nodeflow.core.validation import topological_order, validate
from nodeflow.core.workflow import Workflow

from . import load_keras
from .layers import keras_params


class TranslationError(ProblemsError):
    """The workflow's layer graph cannot become a Keras model; problems name the nodes."""


@dataclass
class BuildContext:
    """What a node's ``apply`` may look at besides its own inputs."""

    workflow: Workflow
    node_id: str
    layers: dict[str, Any] = field(default_factory=dict)  # node id -> built layer / model

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


def shape_text(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


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
    return [n for n in order if n in keep and is_network_node(workflow.spec(n))]


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
    tensors: dict[tuple[str, str], list] = {}
    source_inputs: dict[str, list] = {}  # Input node / model source -> its input tensors
    for node_id in nodes:
        spec = workflow.spec(node_id)
        params = workflow.nodes[node_id].params
        inputs = _gather_inputs(workflow, node_id, spec, tensors)
        ctx = BuildContext(workflow, node_id, layers)
        try:
            layer = spec.build(keras_params(spec, params, workflow.resolve_path), name=node_id) if spec.build else None
            outputs = call_node(spec, layer, inputs, spec.resolve(params), ctx)
        except TranslationError:
            raise
        except Exception as exc:  # Keras reports shape and argument errors as various types
            raise TranslationError(node_error(node_id, inputs, exc)) from exc
        if layer is not None:
            layers[node_id] = layer
        if not spec.inputs and layer is not None:
            source_inputs[node_id] = list(getattr(layer, "inputs", None) or [layer.output])
        _assign_outputs(workflow, node_id, spec, outputs, tensors)
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
        model = keras.Model(inputs=single(model_inputs), outputs=single(model_outputs), name=name)
    except Exception as exc:
        raise TranslationError(Problem(None, "model", _first_line(exc))) from exc
    return Translation(model, layers, tensors, input_nodes, chosen)


def default_outputs(workflow: Workflow, nodes: list[str]) -> list[tuple[str, str]]:
    """Network output ports that feed no other network node, in ``nodes`` order.

    A source (an Input, a pretrained network) that nothing uses is left out, unless
    it is all there is: a lone pretrained network is a model of its own.
    """
    sinks = [
        (n, p.name)
        for n in nodes
        for p in workflow.spec(n).outputs
        if p.type == "network"
        and not any(is_network_node(workflow.spec(e.target)) for e in workflow.outgoing(n, p.name))
    ]
    used = [(n, port) for n, port in sinks if workflow.spec(n).inputs or workflow.outgoing(n, port)]
    return used or sinks


def _gather_inputs(workflow, node_id, spec, tensors) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    for port in spec.inputs:
        edges = workflow.incoming(node_id, port.name)
        values = [t for e in edges for t in tensors.get((e.source, e.source_port), [])]
        if port.multi:
            inputs[port.name] = values
        elif values:
            inputs[port.name] = values[0] if len(values) == 1 else values
    return inputs


def _assign_outputs(workflow, node_id, spec, outputs, tensors) -> None:
    ports = [p for p in spec.outputs if p.type == "network"]
    if len(ports) == 1:
        tensors[(node_id, ports[0].name)] = list(outputs)
        return
    for i, port in enumerate(ports):
        if i < len(outputs):
            tensors[(node_id, port.name)] = [outputs[i]]
        elif workflow.outgoing(node_id, port.name):
            raise TranslationError(Problem(
                node_id, f"output port {port.name}",
                f"is connected, but the layer gives only {len(outputs)} output(s) with these "
                "parameters (e.g. return_state is off)"))
