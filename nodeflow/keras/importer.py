"""``keras.Model`` -> editable workflow.

Each layer becomes one node, named after the layer.  A layer whose class has a
node type becomes that node, with its parameters read from ``get_config()``; the
node is accepted only if building it again gives the same config, so nothing is
lost silently.  Anything else (a custom or Keras-internal class, a nested model,
a layer whose options no node offers) becomes a generic Keras layer node that
carries the class name and config.  Lambda layers, and anything Keras's safe mode
refuses, are refused: importing never runs code that a model file carries.

Tensor math written between layers (``x + y``, ``x * 0.5``, ``x[:, -1]``, ``ops.mean``)
is recorded by Keras as operation nodes of the graph.  Each becomes an operation node
(``keras.ops.<function>``): its call's tensors are wired to the ports, and its options
and constants become parameters, both by the operation's argument names.  An operation
the catalogue has no node for, or whose call no node can express, becomes a generic
operation node that keeps its class, config and recorded call.

Connections come from the functional graph; the model's outputs, when they are not
simply the layers nothing else consumes, are wired into a Set Output Layers node in
the model's order.  Nodes are laid out left to right by depth.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nodeflow.core.errors import NodeFlowError, abbreviate
from nodeflow.core.layout import layered_positions
from nodeflow.core.params import ChoiceParam, NestedChoiceParam
from nodeflow.core.registry import Registry, default_registry
from nodeflow.core.shared_layers import SHARES_WEIGHTS
from nodeflow.core.spec import NodeSpec, snake_case
from nodeflow.core.workflow import Workflow

from . import load_keras
from .layers import build_layer
from .translator import LOAD_WEIGHTS, SET_OUTPUTS, default_outputs, network_nodes

GENERIC = "keras.GenericLayer"
GENERIC_OPERATION = "keras.GenericOperation"
OPERATION_PREFIX = "ops."  # the target of an operation node: "ops." + the Keras class


class ModelImportError(NodeFlowError):
    """The model cannot become a workflow; the message names the layer and why."""


@dataclass
class ImportResult:
    workflow: Workflow
    node_ids: dict[str, str]  # Keras layer name -> node id
    generic: list[str]  # node ids that fell back to the generic layer node
    layers: dict[str, Any] = field(default_factory=dict)  # node id -> the model's layer
    # node id -> (registered name, Python module) of a custom class: its module must be
    # importable (and register the class) wherever the workflow is built
    custom: dict[str, tuple[str, str]] = field(default_factory=dict)

    def custom_notice(self) -> str | None:
        """One line for the user naming the custom classes and the modules they need."""
        if not self.custom:
            return None
        needs = sorted({module for _, module in self.custom.values()})
        classes = ", ".join(f"{node} ({name})" for node, (name, _) in sorted(self.custom.items()))
        return (f"custom layers: {classes} are rebuilt from their registered classes; the "
                f"module{'s' if len(needs) > 1 else ''} {', '.join(needs)} must be importable "
                "(on PYTHONPATH, imported before the run) wherever the workflow runs or "
                "exports, otherwise building it fails naming the class")


def keep_weights(result: ImportResult, path: str, reference: str | None = None) -> int:
    """Write the imported model's weights to ``path`` and end the workflow's network with
    a Load Weights node that reads them (``reference``: the path as the workflow stores
    it, by default ``path``); returns the number of arrays written.

    The Load Weights node takes the model's outputs in order, so the model keeps its
    outputs; every translation of the workflow then starts from the trained weights.
    """
    from .weights import save_weights

    workflow = result.workflow
    ends = default_outputs(workflow, network_nodes(workflow))
    count = save_weights(path, {n: layer for n, layer in result.layers.items() if layer.weights})
    node = workflow.add_node(LOAD_WEIGHTS, {"path": reference or os.fspath(path)},
                             node_id=_free_name("load_weights", set(workflow.nodes)))
    for source, port in ends:
        workflow.connect(source, port, node.id, "inputs")
    _layout(workflow)
    return count


def load_model_file(path: str):
    """Load a .keras / .h5 file or a SavedModel folder in Keras's safe mode.

    Any failure becomes a :class:`ModelImportError` naming the file (and the class or
    layer when known): a damaged or foreign file is the user's input, not a bug, so it
    must not end in a traceback.
    """
    keras = load_keras()
    _check_archive(path)
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception as exc:  # Keras lets zipfile, json, h5py and config errors through as they are
        text = str(exc)
        if isinstance(exc, ValueError) and ("Lambda" in text or "safe_mode" in text):
            raise ModelImportError(
                f"{path}: the model contains a Lambda layer or other stored Python code, which "
                "NodeFlow refuses to run; rebuild that part from layers") from None
        unknown = re.search(r"Could not locate (?:class|function) '([^']+)'", text)
        if unknown:
            layer = _layer_of_class(path, unknown.group(1))
            raise ModelImportError(
                f"{path}: {f'layer {layer} uses ' if layer else ''}the class {unknown.group(1)}, "
                "which is neither a Keras class nor registered; NodeFlow imports only models "
                "made of Keras's own layers and never loads the code of custom ones") from None
        raise ModelImportError(f"{path}: cannot load the model: {_reason(exc)}") from None


def _check_archive(path: str) -> None:
    """A .keras file must be an intact zip archive; say so before Keras misreports it
    (it calls a damaged file "not found" and lets CRC errors through as they are)."""
    if not str(path).endswith(".keras") or not os.path.isfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, NotImplementedError, ValueError, EOFError) as exc:
        raise ModelImportError(f"{path}: not a readable .keras file (expected a zip archive): "
                               f"{_reason(exc)}") from None
    if bad is not None:
        raise ModelImportError(f"{path}: the .keras file is damaged: {bad} fails its checksum")
    if "config.json" not in names:
        raise ModelImportError(f"{path}: the .keras file is damaged: it has no config.json")


def _layer_of_class(path: str, class_name: str) -> str | None:
    """The name of the first layer of ``class_name`` in a .keras file's config, if any."""
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except Exception:  # only a better message is at stake
        return None
    stack = [config]
    while stack:  # iterative: the config may be nested deeply
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("class_name") == class_name and isinstance(item.get("config"), dict):
                name = item["config"].get("name")
                if isinstance(name, str):
                    return abbreviate(name)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _reason(exc: BaseException) -> str:
    """An exception as one short line: its type when its text says little."""
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else ""
    return abbreviate(f"{type(exc).__name__}: {first}" if len(first) < 20 else first, 300)


def import_model(model, registry: Registry | None = None) -> ImportResult:
    keras = load_keras()
    registry = registry or default_registry()
    by_target = {s.target: s for s in registry if s.family == "layer" and s.target}
    workflow = Workflow(registry, description=f"Imported from the Keras model {model.name}.")
    if isinstance(model, keras.Sequential):
        entries, outputs = _sequential_entries(model)
    else:
        entries, outputs = _functional_entries(model)
    entries = _one_entry_per_call(entries)
    names = _node_ids(e["name"] for e in entries)
    calls = {(e["layer"].name, e.get("call_index", 0)): names[e["name"]] for e in entries}
    generic: list[str] = []
    originals: dict[str, Any] = {}
    inbound: dict[str, list] = {}
    wiring: dict[str, list[tuple[str, tuple]]] = {}  # operation node -> (port, tensor ref)
    made: dict[str, tuple[str, dict]] = {}  # layer name -> the node type and params of its first call
    for entry in entries:
        layer = entry["layer"]
        node_id = names[entry["name"]]
        if len(entry["inbound"]) > 1:
            raise ModelImportError(
                f"operation {layer.name} is called {len(entry['inbound'])} times, which a "
                "workflow cannot express")
        if "operation" in entry:
            type_id, params, wiring[node_id] = _operation_node(entry, by_target)
        elif entry.get("call_index", 0):  # a later call of a shared layer: the same node again
            type_id, params = made[layer.name]
            params = {**params, SHARES_WEIGHTS: calls[(layer.name, 0)]}
        else:
            _refuse_code(layer)
            type_id, params = made[layer.name] = _node_for(layer, by_target, registry)
            originals[node_id] = layer
        if type_id in (GENERIC, GENERIC_OPERATION):
            generic.append(node_id)
        workflow.add_node(type_id, params, node_id=node_id)
        inbound[node_id] = entry["inbound"][0] if entry["inbound"] else None
    for entry in entries:
        node_id = names[entry["name"]]
        if node_id in wiring:
            for port, ref in wiring[node_id]:
                workflow.connect(*_source_port(workflow, ref, calls), node_id, port)
        elif inbound[node_id] is not None:
            _connect(workflow, node_id, inbound[node_id], calls, layer_name=entry["layer"].name)
    _wire_outputs(workflow, outputs, calls)
    _layout(workflow)
    custom = {}
    for node_id in generic:
        params = workflow.nodes[node_id].params
        module = params.get("module") or ""
        if params.get("registered_name") and not module.startswith("keras"):
            custom[node_id] = (params["registered_name"], module)
    return ImportResult(workflow, names, generic, originals, custom)


def _one_entry_per_call(entries):
    """Entries with one entry per call of a layer called several times (shared weights):
    each later call becomes a node of its own that names the first call's node in its
    ``shares_weights_with`` parameter, so the workflow has a node per call, as drawn."""
    taken = {e["name"] for e in entries}
    out = []
    for entry in entries:
        if "operation" in entry or len(entry["inbound"]) <= 1:
            out.append(entry)
            continue
        for index, call in enumerate(entry["inbound"]):
            name = entry["name"] if index == 0 else _free_name(f"{entry['name']}_call{index + 1}", taken)
            taken.add(name)
            out.append({**entry, "name": name, "inbound": [call], "call_index": index})
    return out


# --------------------------------------------------------------------------- graph reading
def _tensor_refs(value) -> list[tuple[str, int, int]]:
    """Keras-tensor references ``(layer, node index, tensor index)`` in a call argument."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return [tuple(value["config"]["keras_history"])]
    if isinstance(value, (list, tuple)):
        return [ref for item in value for ref in _tensor_refs(item)]
    return []


def _functional_entries(model):
    config = model.get_config()
    layers = {layer.name: layer for layer in model.layers}
    operations = {op.name: op for op in getattr(model, "operations", ())}
    entries = []
    for item in config["layers"]:
        calls = []
        for call in item.get("inbound_nodes", []):
            positional = _tensor_refs(call.get("args", []))
            named = {k: _tensor_refs(v) for k, v in call.get("kwargs", {}).items()}
            calls.append((positional, {k: v for k, v in named.items() if v}))
        if item["name"] in layers:
            entries.append({"name": item["name"], "layer": layers[item["name"]], "inbound": calls})
        elif item["name"] in operations:  # keras.ops math between layers (x + y, x[:, -1])
            recorded = (item.get("inbound_nodes") or [{}])[0]
            entries.append({"name": item["name"], "layer": operations[item["name"]], "inbound": calls,
                            "operation": item, "call": (recorded.get("args", []),
                                                        recorded.get("kwargs", {}))})
        else:
            raise ModelImportError(
                f"the model's graph contains {item['name']} ({item['class_name']}), which is "
                "neither a layer nor an operation of the model")
    index = _config_indices(model)
    outputs = [_history(t, index) for t in model.outputs]
    entries = _without_implicit_masks(entries, {**operations, **layers}, outputs,
                                      {(n, i): raw for (n, raw), i in index.items()})
    inputs = [_history(t, index) for t in model.inputs]
    order = {name: i for i, (name, _, _) in enumerate(inputs)}
    entries.sort(key=lambda e: (e["layer"].__class__.__name__ != "InputLayer",
                                order.get(e["name"], 0)))
    return entries, outputs


def _config_indices(model) -> dict[tuple[str, int], int]:
    """``(operation name, index of the call among all its calls) -> index of the call in
    the model's config``, which counts only the calls inside this model (a layer may have
    been called elsewhere before), as Keras's ``Functional.get_config`` renumbers them."""
    from keras.src.models.functional import Functional
    from keras.src.ops.function import make_node_key

    kept_in = getattr(model, "_nodes", None) or set()
    index = {}
    for operation in model.operations:
        kept = 1 if isinstance(operation, Functional) else 0
        for raw in range(len(operation._inbound_nodes)):
            if make_node_key(operation, raw) in kept_in:
                index[(operation.name, raw)] = kept
                kept += 1
    return index


def _without_implicit_masks(entries, operations, outputs, raw_index):
    """The entries without the masks Keras passes on by itself.

    A layer called on a masked tensor (after an Embedding with mask_zero, or Masking) is
    recorded with that mask as an explicit ``mask=`` argument, computed by an operation
    of its own (``not_equal``).  Rebuilt, Keras propagates the same mask again, so the
    argument goes, and so do the operations only such masks used.  A mask tensor that
    is not the propagated one stays: it is wired to the layer's mask port.
    """
    def tensor(ref):
        name, node_index, tensor_index = ref
        raw = raw_index.get((name, node_index), node_index)
        return operations[name]._inbound_nodes[raw].output_tensors[tensor_index]

    for entry in entries:
        for positional, named in entry["inbound"]:
            carried = [tensor(r) for r in positional] + [
                tensor(r) for key, refs in named.items() if not key.endswith("mask") for r in refs]
            propagated = {id(m) for t in carried if (m := getattr(t, "_keras_mask", None)) is not None}
            for key in [k for k, refs in named.items() if k.endswith("mask")]:
                if all(id(tensor(r)) in propagated for r in named[key]):
                    del named[key]
    while True:  # drop operations nothing uses any more (the mask computations)
        used = {ref[0] for ref in outputs}
        for entry in entries:
            for positional, named in entry["inbound"]:
                used.update(ref[0] for refs in (positional, *named.values()) for ref in refs)
        dead = [e for e in entries if "operation" in e and e["name"] not in used]
        if not dead:
            return entries
        entries = [e for e in entries if e not in dead]


def _history(tensor, index) -> tuple[str, int, int]:
    """``(layer or operation name, call index in the config, tensor index)`` of a model
    input or output, in the model's own order (also for inputs and outputs given as dicts)."""
    history = tensor._keras_history
    name = history.operation.name
    return name, index.get((name, history.node_index), history.node_index), history.tensor_index


def _sequential_entries(model):
    keras = load_keras()
    if not model.built or not getattr(model, "inputs", None):
        raise ModelImportError(f"the Sequential model {model.name} has no input shape yet; "
                               "build it (or give it an Input) before importing")
    source = model.inputs[0]
    first = keras.layers.InputLayer(shape=tuple(source.shape[1:]), dtype=source.dtype,
                                    name=_free_name("input_layer", {l.name for l in model.layers}))
    entries = [{"name": first.name, "layer": first, "inbound": []}]
    previous = first.name
    for layer in model.layers:
        entries.append({"name": layer.name, "layer": layer, "inbound": [([(previous, 0, 0)], {})]})
        previous = layer.name
    return entries, [(previous, 0, 0)]


def _free_name(name: str, taken: set[str]) -> str:
    n, candidate = 1, name
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    return candidate


def _node_ids(layer_names: Iterable[str]) -> dict[str, str]:
    """Layer names as node ids (identifiers, unique)."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for name in layer_names:
        node_id = re.sub(r"\W", "_", name)
        if not node_id or node_id[0].isdigit():
            node_id = f"layer_{node_id}"
        node_id = _free_name(node_id, taken)
        taken.add(node_id)
        ids[name] = node_id
    return ids


def _refuse_code(layer) -> None:
    if layer.__class__.__name__ == "Lambda":
        raise ModelImportError(
            f"layer {layer.name} is a Lambda layer: it holds Python code, which NodeFlow never runs "
            "from a file; replace it with layers (or a registered custom layer) before importing")


# --------------------------------------------------------------------------- layers
def _plain(value):
    """Tuples as lists, recursively (the JSON form of workflow values)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _param_value(param, value):
    """A Keras config value in NodeFlow's form; ``None`` where it has no such form."""
    if isinstance(param, NestedChoiceParam):
        if value is None:
            return None
        if isinstance(value, str):
            return snake_case(value)
        if isinstance(value, dict) and "class_name" in value:
            option = next((o for o in param.options if o.target == value["class_name"]), None)
            if option is None:
                return value  # the rebuild check sends the layer to the generic node
            # Keras lists arguments no node offers (e.g. input_axes=None); unset ones go
            args = {k: v for k, v in _plain(value.get("config", {})).items()
                    if option.arg(k) is not None or v is not None}
            return {"name": option.name, "args": args}
    if isinstance(param, ChoiceParam) and param.default is None:
        if value == "linear":
            return None  # Keras writes activation=None as "linear"
        if param.name == "data_format" and value == load_keras().config.image_data_format():
            return None  # Keras writes its global setting in place of None
    return _plain(value)


def _layer_config(layer) -> dict:
    """The layer's config plus the state ``adapt()`` gave it that Keras keeps outside the
    config (a lookup layer's vocabulary, and its idf weights in tf-idf mode), so that a
    layer built from it computes the same.  Other adapted state is in the config already
    (Discretization's bin boundaries) or in variables (Normalization's statistics), which
    travel with the weights."""
    config = layer.get_config()
    if config.get("vocabulary", False) is None and hasattr(layer, "get_vocabulary"):
        vocabulary = [v.item() if hasattr(v, "item") else v
                      for v in layer.get_vocabulary(include_special_tokens=False)]
        if vocabulary:
            config["vocabulary"] = [v.decode() if isinstance(v, bytes) else v for v in vocabulary]
            lookup = getattr(layer, "_lookup_layer", layer)  # TextVectorization delegates
            idf = getattr(lookup, "idf_weights_const", None)
            if config.get("output_mode") == "tf_idf" and idf is not None:
                # the weights of the special tokens come first; Keras adds them back itself
                skip = len(layer.get_vocabulary()) - len(vocabulary)
                config["idf_weights"] = [float(w) for w in _numpy(idf)[skip:]]
    return config


def _numpy(value):
    import numpy as np

    return np.asarray(value)


def _node_params(spec: NodeSpec, layer) -> dict[str, Any]:
    config = _layer_config(layer)
    if spec.import_params is not None:
        params = spec.import_params(config)
    elif spec.type_id == "keras.layers.Input":
        shape = config["batch_shape"]
        params = {"shape": _plain(shape[1:]), "batch_size": shape[0], "dtype": config.get("dtype"),
                  "sparse": bool(config.get("sparse"))}
    else:
        params = {p.name: _param_value(p, config[p.name]) for p in spec.params if p.name in config}
    # keep only what differs from the defaults, in the canonical form
    out = {}
    for name, value in params.items():
        param = spec.param(name)
        if param is None:
            continue
        if param.check(value):
            out[name] = value  # reported by the rebuild check below
        elif not param.is_default(value):
            out[name] = param.canonical(value)
    return out


def _same_config(spec: NodeSpec, params: dict, layer) -> bool:
    try:
        rebuilt = build_layer(spec, params, name=layer.name)
    except Exception:
        return False
    if spec.type_id == "keras.layers.Input":
        a, b = rebuilt.get_config(), layer.get_config()
        return all(a.get(k) == b.get(k) for k in ("batch_shape", "dtype", "sparse"))
    return _comparable(rebuilt.get_config()) == _comparable(_layer_config(layer))


def _comparable(config):
    """A config without ``build_config`` entries (a built layer records its input shape)."""
    if isinstance(config, dict):
        return {k: _comparable(v) for k, v in config.items() if k != "build_config"}
    return _plain(config) if isinstance(config, (list, tuple)) else config


def _node_for(layer, by_target: dict[str, NodeSpec], registry: Registry) -> tuple[str, dict]:
    spec = by_target.get(layer.__class__.__name__)
    is_keras_class = layer.__class__.__module__.startswith("keras.")
    if spec is not None and is_keras_class:
        try:
            params = _node_params(spec, layer)
        except Exception:
            params = None
        if params is not None and not any(spec.param(n).check(v) for n, v in params.items()) \
                and _same_config(spec, params, layer):
            return spec.type_id, params
    return GENERIC, _generic_params(layer)


def _generic_params(layer) -> dict[str, Any]:
    keras = load_keras()
    serialized = keras.saving.serialize_keras_object(layer)
    config = dict(serialized["config"])
    state = _layer_config(layer)
    for key in ("vocabulary", "idf_weights"):  # adapted state Keras keeps outside the config
        if config.get(key) is None and state.get(key) is not None:
            config[key] = state[key]
    config.pop("name", None)
    try:
        config = json.loads(json.dumps(_plain(config)))
    except (TypeError, ValueError) as exc:
        raise ModelImportError(f"layer {layer.name}: its config cannot be stored as JSON: {exc}") from None
    params = {"class_name": serialized["class_name"], "config": config}
    if serialized.get("module") != "keras.layers":
        params["module"] = serialized.get("module")
    if serialized.get("registered_name"):
        params["registered_name"] = serialized["registered_name"]
    return params


# --------------------------------------------------------------------------- operations
def _is_tensor(value) -> bool:
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _has_tensor(value) -> bool:
    if _is_tensor(value):
        return True
    if isinstance(value, dict):
        return any(_has_tensor(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_tensor(v) for v in value)
    return False


def _ref(value) -> tuple[str, int, int]:
    return tuple(value["config"]["keras_history"])


def _operation_node(entry, by_target: dict[str, NodeSpec]) -> tuple[str, dict, list]:
    """An operation of the graph as a node: its own operation node when the catalogue has
    one that expresses the call exactly, else the generic operation node.  Returns the
    type id, the parameters and which input port each recorded tensor goes to."""
    item = entry["operation"]
    args, kwargs = entry["call"]
    spec = by_target.get(OPERATION_PREFIX + item["class_name"])
    if spec is not None and str(item.get("module", "")).startswith("keras."):
        found = _catalogued_operation(spec, entry["layer"], item, args, kwargs)
        if found is not None:
            return (spec.type_id, *found)
    return _generic_operation(item, args, kwargs)


def _catalogued_operation(spec: NodeSpec, operation, item, args, kwargs):
    """``(params, wiring)`` binding the recorded call to the node's ports and parameters by
    the operation's argument names; ``None`` when the node cannot express it."""
    import inspect

    try:
        bound = inspect.signature(operation.call).bind(*args, **kwargs).arguments
    except TypeError:
        return None
    values = {k: v for k, v in item.get("config", {}).items() if k != "name"}
    wiring = []
    for name, value in bound.items():
        port = spec.input(name)
        if _is_tensor(value) and port is not None and not port.multi:
            wiring.append((name, _ref(value)))
        elif isinstance(value, list) and value and all(map(_is_tensor, value)) \
                and port is not None and port.multi:
            wiring.extend((name, _ref(v)) for v in value)
        elif _has_tensor(value):
            return None  # tensors inside a structure no port takes
        elif value is not None:
            values[name] = value
    try:
        if spec.import_params is not None:
            values = spec.import_params(values)
    except (ValueError, KeyError, TypeError):
        return None
    params = {}
    for name, value in values.items():
        param = spec.param(name)
        value = _plain(value)
        if param is None or param.check(value):
            return None  # an option the node does not offer, or a constant it cannot hold
        if not param.is_default(value):
            params[name] = param.canonical(value)
    if any(p.required and p.name not in params for p in spec.params):
        return None
    return params, wiring


def _generic_operation(item, args, kwargs) -> tuple[str, dict, list]:
    """The generic operation node: the class, its config, and the call with each tensor
    replaced by a placeholder for the input connected in that order."""
    refs: list[tuple[str, int, int]] = []

    def placeholder(value):
        if _is_tensor(value):
            refs.append(_ref(value))
            return {"class_name": "__input__", "config": {"index": len(refs) - 1}}
        if isinstance(value, dict):
            return {k: placeholder(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [placeholder(v) for v in value]
        return value

    call = {"args": placeholder(list(args)), "kwargs": placeholder(dict(kwargs))}
    config = {k: v for k, v in item.get("config", {}).items() if k != "name"}
    try:
        config, call = json.loads(json.dumps(_plain(config))), json.loads(json.dumps(call))
    except (TypeError, ValueError) as exc:
        raise ModelImportError(f"operation {item['name']}: its config cannot be stored as JSON: "
                               f"{exc}") from None
    params = {"class_name": item["class_name"], "module": item.get("module") or "keras.ops",
              "config": config, "call": call}
    if item.get("registered_name"):
        params["registered_name"] = item["registered_name"]
    return GENERIC_OPERATION, params, [("inputs", ref) for ref in refs]


# --------------------------------------------------------------------------- wiring
def _source_port(workflow: Workflow, ref, calls) -> tuple[str, str]:
    """The node and port of a tensor ``(layer, call index, tensor index)``."""
    layer_name, node_index, tensor_index = ref
    source = calls.get((layer_name, node_index)) or calls[(layer_name, 0)]
    spec = workflow.spec(source)
    ports = [p.name for p in spec.outputs if p.type == "network"]
    if len(ports) == 1:
        if tensor_index and spec.type_id != GENERIC:
            raise ModelImportError(f"layer {layer_name}: output {tensor_index} has no port")
        if tensor_index:
            raise ModelImportError(
                f"layer {layer_name} has several outputs used separately, which a generic "
                "layer node cannot wire yet")
        return source, ports[0]
    return source, ports[tensor_index]


def _connect(workflow: Workflow, node_id: str, call, names, layer_name: str) -> None:
    positional, named = call
    spec = workflow.spec(node_id)
    ports = list(spec.inputs)
    for port in ports:
        if port.multi:
            take, positional = positional, []
        else:
            take, positional = positional[:1], positional[1:]
        if port.name in named:
            take = take + named.pop(port.name)
        for ref in take:
            source, source_port = _source_port(workflow, ref, names)
            workflow.connect(source, source_port, node_id, port.name)
    if positional or named:
        extra = ", ".join(list(named) or ["positional inputs"])
        raise ModelImportError(f"layer {layer_name} is called with tensors for {extra}, "
                               "which its node has no ports for")


def _wire_outputs(workflow: Workflow, outputs, names) -> None:
    wanted = [_source_port(workflow, ref, names) for ref in outputs]
    # the outputs the translator would choose by itself, in its order
    if wanted == default_outputs(workflow, network_nodes(workflow)) or SET_OUTPUTS not in workflow.registry:
        return
    collector = workflow.add_node(SET_OUTPUTS, node_id=_free_name("model_outputs", set(workflow.nodes)))
    for source, port in wanted:
        workflow.connect(source, port, collector.id, "inputs")


def _layout(workflow: Workflow) -> None:
    """Columns by longest path from the inputs, rows in model order."""
    for node_id, position in layered_positions(workflow).items():
        workflow.move_node(node_id, position)
