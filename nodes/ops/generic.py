"""A Keras operation that has no node type of its own, carried by class name and config.

The model importer uses it for any ``keras.ops`` call the catalogue does not list, so
that every functional graph can be opened.  The operation is rebuilt with Keras's own
deserializer in safe mode and called with the connected tensors placed back where the
recorded call had them, and the call's constants (numbers, slices, arrays) as recorded.
"""

from __future__ import annotations

from nodeflow.core.params import JsonParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

from .declare import CATEGORY

INPUT_REF = "__input__"  # a placeholder in the stored call: the connected tensor number i


def _serialized(params: dict) -> dict:
    return {"module": params["module"], "class_name": params["class_name"],
            "config": dict(params["config"]), "registered_name": params["registered_name"]}


def _fill(value, tensors: list, keras):
    """The stored call arguments with placeholders replaced by tensors and Keras's
    serialized constants (slices, arrays) revived."""
    if isinstance(value, dict):
        if value.get("class_name") == INPUT_REF:
            index = value["config"]["index"]
            if index >= len(tensors):
                raise ValueError(f"call: uses input tensor {index + 1}, but only "
                                 f"{len(tensors)} are connected")
            return tensors[index]
        if "class_name" in value:
            return keras.saving.deserialize_keras_object(value, safe_mode=True)
        return {k: _fill(v, tensors, keras) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, tensors, keras) for v in value]
    return value


def apply_generic_op(layer, inputs, params, ctx):
    import keras

    try:
        operation = keras.saving.deserialize_keras_object(_serialized(params), safe_mode=True)
    except TypeError as exc:
        raise ValueError(f"class {params['class_name']}: cannot be created from its config: {exc}") from None
    tensors = list(inputs.get("inputs", []))
    call = params["call"]
    args = _fill(call.get("args", []), tensors, keras)
    kwargs = _fill(call.get("kwargs", {}), tensors, keras)
    return operation(*args, **kwargs)


def _code(value, tensors: list[str]) -> str:
    """Python source of a stored call argument."""
    if isinstance(value, dict):
        if value.get("class_name") == INPUT_REF:
            return tensors[value["config"]["index"]]
        if value.get("class_name") == "__slice__":
            c = value["config"]
            return f"slice({c.get('start')!r}, {c.get('stop')!r}, {c.get('step')!r})"
        if value.get("class_name") == "__ellipsis__":
            return "Ellipsis"
        if "class_name" in value:
            return f"keras.saving.deserialize_keras_object({value!r})"
        return "{" + ", ".join(f"{k!r}: {_code(v, tensors)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_code(v, tensors) for v in value) + "]"
    return repr(value)


def export_generic_op(node_id, spec, params, inputs, ctx):
    from nodeflow.keras.export import format_dict

    tensors = list(inputs.get("inputs", []))
    call = params["call"]
    arguments = [_code(a, tensors) for a in call.get("args", [])]
    arguments += [f"{k}={_code(v, tensors)}" for k, v in call.get("kwargs", {}).items()]
    lines = [f"{node_id}_op = keras.saving.deserialize_keras_object(",
             format_dict(_serialized(params)) + ",", "    safe_mode=True,", ")",
             f"{node_id} = {node_id}_op({', '.join(arguments)})"]
    return lines, node_id


KERAS_OPERATION = NodeSpec(
    type_id="keras.GenericOperation",
    display_name="Keras Operation (by class)",
    category=f"{CATEGORY}/Other",
    family="layer",
    description=(
        "Any Keras operation (a keras.ops function recorded in a functional model) given by its "
        "class name, configuration and recorded call, for operations that have no node of their "
        "own. Model import creates these automatically. The call lists the operation's arguments "
        "as Keras serializes them, with {\"class_name\": \"__input__\", \"config\": {\"index\": i}} "
        "standing for the i-th connected tensor; it is rebuilt with Keras's safe deserialization."
    ),
    inputs=(Port("inputs", "network", "The tensors the operation uses, in the order the call "
                                      "refers to them.", optional=True, multi=True),),
    outputs=(Port("output", "network", "The operation's result."),),
    params=(
        TextParam(name="class_name", allow_empty=False,
                  help="The Keras operation class, e.g. Argmax."),
        TextParam(name="module", allow_empty=False,
                  help="The Python module Keras records for the class, e.g. keras.src.ops.numpy."),
        TextParam(name="registered_name", default=None, optional=True,
                  help="The name the class is registered under with Keras."),
        JsonParam(name="config", default={},
                  help="The operation's configuration, as its get_config() gives it (without name)."),
        JsonParam(name="call", default={"args": [], "kwargs": {}},
                  help="The recorded call: {\"args\": [...], \"kwargs\": {...}} in Keras's "
                       "serialized form, connected tensors as __input__ placeholders."),
    ),
    keywords=("keras.ops", "operation", "generic", "import"),
    apply=apply_generic_op,
    export_code=export_generic_op,
)

NODES = (KERAS_OPERATION,)
