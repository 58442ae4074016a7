"""A Keras layer class that has no node type of its own, carried by class name and config.

The model importer uses it for custom layers, Keras-internal layers and nested
sub-models, so that any model can be opened and edited around them.  It is built
with Keras's own deserializer in safe mode: a Lambda layer, or anything else that
would run code stored in the workflow, is refused.
"""

from __future__ import annotations


from nodeflow.core.params import JsonParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

from .keras_args import NETWORK_OUT, SHARED_LAYER


def build_generic(params: dict, name: str | None = None):
    import keras

    config = dict(params["config"])
    if name is not None:
        config["name"] = name
    if params["class_name"] == "Lambda":
        raise ValueError("Lambda layers run Python code stored in the file and are refused")
    serialized = {
        "module": params["module"],
        "class_name": params["class_name"],
        "config": config,
        "registered_name": params["registered_name"],
    }
    try:
        return keras.saving.deserialize_keras_object(serialized, safe_mode=True)
    except TypeError as exc:
        raise ValueError(f"class {params['class_name']}: cannot be created from its config: {exc}") from None


def apply_generic(layer, inputs, params, ctx):
    tensors = inputs["inputs"]
    return layer(tensors[0] if len(tensors) == 1 else tensors)


def export_generic(node_id, spec, params, inputs, ctx):
    from nodeflow.keras.export import format_dict

    serialized = {
        "module": params["module"],
        "class_name": params["class_name"],
        "config": {**params["config"], "name": node_id},
        "registered_name": params["registered_name"],
    }
    tensors = inputs["inputs"]
    argument = tensors[0] if len(tensors) == 1 else "[" + ", ".join(tensors) + "]"
    lines = [f"{node_id}_layer = keras.saving.deserialize_keras_object(",
             format_dict(serialized) + ",", "    safe_mode=True,", ")",
             f"{node_id} = {node_id}_layer({argument})"]
    return lines, node_id


KERAS_LAYER = NodeSpec(
    type_id="keras.GenericLayer",
    display_name="Keras Layer (by class)",
    category="Layers/Other",
    family="layer",
    description=(
        "Any Keras layer given by its class name and configuration, for layers that have no node "
        "of their own: custom layers of your project, Keras-internal layers, or a whole nested "
        "model. Model import creates these automatically. The class must be importable and "
        "registered with Keras (keras.saving.register_keras_serializable); Lambda layers are "
        "refused because building them would run code stored in the workflow."
    ),
    inputs=(Port("inputs", "network", "The tensors the layer is called on, in connection order; "
                                      "one tensor is passed as is, several as a list.", multi=True),),
    outputs=(NETWORK_OUT,),
    params=(
        TextParam(name="class_name", allow_empty=False,
                  help="The Keras class name, e.g. LayerScale or Functional."),
        TextParam(name="module", default="keras.layers",
                  help="The Python module Keras records for the class (from its serialized form)."),
        TextParam(name="registered_name", default=None, optional=True,
                  help="The name the class is registered under with Keras, for custom classes "
                       "(package>ClassName); empty for Keras's own classes."),
        JsonParam(name="config",
                  help="The layer's configuration, as Keras's get_config() gives it."),
        SHARED_LAYER,
    ),
    keywords=("custom", "generic", "sub-model", "nested model", "import"),
    target="",
    build=build_generic,
    apply=apply_generic,
    export_code=export_generic,
)

NODES = (KERAS_LAYER,)
