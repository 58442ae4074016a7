"""Transfer learning: start from a network someone already built or trained.

A Keras Network Reader or a Pretrained Architecture starts a network the way an
Input does, but brings all its layers with it; more layer nodes can be appended
to its output.  Freeze Layers fixes the weights of chosen layers upstream, and
Set Output Layers decides which tensors become the model's outputs.
"""

from __future__ import annotations

import fnmatch

from nodeflow.core.params import (
    BoolParam,
    ChoiceParam,
    FileParam,
    IntParam,
    ShapeParam,
    TextListParam,
)
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

from .keras_args import NETWORK_IN, NETWORK_OUT, activation

CATEGORY = "Layers/Transfer Learning"

# keras.applications families offered by the Pretrained Architecture node
ARCHITECTURES = (
    "MobileNet", "MobileNetV2", "MobileNetV3Small", "MobileNetV3Large",
    "ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2",
    "DenseNet121", "DenseNet169", "DenseNet201",
    "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4",
    "EfficientNetB5", "EfficientNetB6", "EfficientNetB7",
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
    "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L",
    "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge",
    "InceptionV3", "InceptionResNetV2", "Xception", "VGG16", "VGG19", "NASNetMobile", "NASNetLarge",
)


# --------------------------------------------------------------------------- reader
# Keras's own switch for the same risk: keras.config.enable_unsafe_deserialization()
TRUST_PARAM = "unsafe_deserialization"


def _untrusted_message(path: str) -> str:
    return (f"the SavedModel folder {path} is not trusted: loading a SavedModel runs code stored "
            f"in it (its resource initializers), which Keras's safe mode refuses too; switch on "
            f"{TRUST_PARAM} for this node (or pass --unsafe-deserialization on the command line) "
            f"only if you trust where the folder came from")


def check_reader(params: dict, resolve_path) -> list[tuple[str, str]]:
    """An untrusted SavedModel source is a problem of the workflow, reported before anything
    loads it (validation, runs, ``inspect`` and the editor's live shapes all see it)."""
    import os

    path = params.get("path")
    if isinstance(path, str) and not params.get(TRUST_PARAM) and os.path.isdir(resolve_path(path)):
        return [(TRUST_PARAM, _untrusted_message(resolve_path(path)))]
    return []


def _savedmodel_as_model(path: str, name: str | None):
    """A TensorFlow SavedModel folder as a Keras model around its serving function."""
    import keras
    import tensorflow as tf

    loaded = tf.saved_model.load(path)
    if "serving_default" not in loaded.signatures:
        raise ValueError(f"path: expected a SavedModel with a serving_default signature, got {path}")
    signature = loaded.signatures["serving_default"]
    endpoint = "serve" if hasattr(loaded, "serve") else "serving_default"
    specs = [s for s in tf.nest.flatten(signature.structured_input_signature) if hasattr(s, "shape")]
    if len(specs) != 1:
        raise ValueError(f"expected a SavedModel with one input tensor, got {len(specs)}")
    spec = specs[0]
    inputs = keras.Input(batch_shape=tuple(spec.shape), dtype=spec.dtype.name)
    layer = keras.layers.TFSMLayer(path, call_endpoint=endpoint, name=f"{name or 'savedmodel'}_serve")
    outputs = layer(inputs)
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    return keras.Model(inputs, outputs, name=name)


def build_reader(params: dict, name: str | None = None):
    import os

    import keras

    path = params["path"]
    if not os.path.exists(path):
        raise FileNotFoundError(f"path: expected an existing .keras file or SavedModel folder, got {path}")
    if os.path.isdir(path):
        if not params.get(TRUST_PARAM):  # validation reports it first; this guards every other caller
            raise ValueError(f"{TRUST_PARAM}: {_untrusted_message(path)}")
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            raise ValueError(f"path: expected a SavedModel folder (with saved_model.pb), got {path}")
        return _savedmodel_as_model(path, name)
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except ValueError as exc:
        raise ValueError(f"path: cannot load {path} in safe mode (Lambda layers and other stored "
                         f"code are refused): {exc}") from None


def export_reader(node_id, spec, params, inputs, ctx):
    import os

    path = ctx.workflow.resolve_path(params["path"])
    if os.path.isdir(path):
        raise ValueError(f"node {node_id}: export-python writes .keras / .h5 networks only; "
                         "a SavedModel folder has no Keras layers to rebuild")
    var = f"{node_id}_model"
    ctx.model_sources[node_id] = var
    ctx.sources.append(f"*{var}.inputs")
    return [f"{var} = keras.saving.load_model({ctx.path_code(params['path'])}, compile=False)"], \
        f"{var}.output"


NETWORK_READER = NodeSpec(
    type_id="keras.NetworkReader",
    display_name="Keras Network Reader",
    category=CATEGORY,
    family="layer",
    description=(
        "Reads a saved Keras network (a .keras or .h5 file) or a TensorFlow SavedModel folder and "
        "starts the workflow's network with it, weights included. Append layer nodes to its output to "
        "build on it, e.g. a new classification head, and freeze its layers with Freeze Layers to "
        "keep what it learned. Files are loaded in Keras's safe mode: a model containing Lambda layers "
        "(stored Python code) is refused. A SavedModel is used as one layer through its serving "
        "function, so its inner layers cannot be frozen or chosen individually; loading one runs "
        "code stored in it, so it is read only once you trust it (unsafe_deserialization)."
    ),
    outputs=(NETWORK_OUT,),
    params=(
        FileParam(name="path", mode="open", filters=("Keras models (*.keras *.h5)", "All files (*)"),
                  help="The .keras / .h5 file or SavedModel folder to read."),
        BoolParam(name=TRUST_PARAM, default=False,
                  help="Trust this SavedModel: loading it runs code stored in it, like "
                       "keras.config.enable_unsafe_deserialization(). Leave it off for folders "
                       "from someone else; .keras / .h5 files are always read in safe mode."),
    ),
    keywords=("load", "read", "saved model", "transfer learning", "fine-tune", "keras file"),
    target="",
    check=check_reader,
    build=build_reader,
    export_code=export_reader,
)


# --------------------------------------------------------------------------- pretrained
def build_pretrained(params: dict, name: str | None = None):
    import keras

    weights = params["weights_file"]
    factory = getattr(keras.applications, params["architecture"])
    return factory(
        include_top=params["include_top"],
        weights=weights,  # None (random) or a local file: never a download
        input_shape=tuple(params["input_shape"]),
        pooling=params["pooling"],
        classes=params["classes"],
        classifier_activation=params["classifier_activation"],
        name=name,
    )


def export_pretrained(node_id, spec, params, inputs, ctx):
    var = f"{node_id}_model"
    ctx.model_sources[node_id] = var
    ctx.sources.append(f"*{var}.inputs")
    weights = params["weights_file"]
    args = [
        f"include_top={params['include_top']!r}",
        f"weights={ctx.path_code(weights) if weights else None}",
        f"input_shape={tuple(params['input_shape'])!r}",
        f"pooling={params['pooling']!r}",
        f"classes={params['classes']!r}",
        f"classifier_activation={params['classifier_activation']!r}",
        f"name={node_id!r}",
    ]
    return [f"{var} = keras.applications.{params['architecture']}(", *[f"    {a}," for a in args], ")"], \
        f"{var}.output"


PRETRAINED = NodeSpec(
    type_id="keras.PretrainedArchitecture",
    display_name="Pretrained Architecture",
    category=CATEGORY,
    family="layer",
    description=(
        "A well-known image network from keras.applications (MobileNet, ResNet, DenseNet, "
        "EfficientNet, Inception, ...) as the start of the workflow's network. Without include_top "
        "it ends in image features, ready for a new head of your own. Weights come from a local "
        "weights file you give (e.g. one downloaded once by hand) or start random: NodeFlow never "
        "downloads anything while running. Each family expects its own input preprocessing."
    ),
    outputs=(NETWORK_OUT,),
    params=(
        ChoiceParam(name="architecture", default="MobileNetV2", options=ARCHITECTURES,
                    help="Which keras.applications network to build."),
        ShapeParam(name="input_shape", default=[224, 224, 3], min_len=3, max_len=3,
                   help="Image height, width and channels (channels last)."),
        BoolParam(name="include_top", default=False,
                  help="Whether to keep the original classifier on top. Off (the transfer "
                       "learning set-up) ends the network in features for your own head."),
        ChoiceParam(name="pooling", default=None, optional=True, options=("avg", "max"),
                    help="Without the top: empty keeps the last feature map (4-D); avg or max "
                         "pools it to one feature vector per image."),
        FileParam(name="weights_file", default=None, optional=True, mode="open",
                  filters=("Weights (*.h5 *.weights.h5 *.keras)",),
                  help="Local weights file for this architecture; empty means random weights."),
        IntParam(name="classes", default=1000, min=1,
                 help="Number of classes of the original classifier (with include_top only)."),
        activation("classifier_activation", default="softmax"),
    ),
    keywords=("imagenet", "mobilenet", "resnet", "efficientnet", "backbone", "transfer learning"),
    target="",
    build=build_pretrained,
    export_code=export_pretrained,
)


# --------------------------------------------------------------------------- freeze
def apply_freeze(layer, inputs, params, ctx):
    available = {} if ctx is None else ctx.upstream_layers()
    chosen = set()
    for pattern in params["layers"]:
        matches = fnmatch.filter(available, pattern)
        if not matches:
            listed = ", ".join(sorted(available)[:12]) + (", ..." if len(available) > 12 else "")
            raise ValueError(f"layers: the pattern {pattern!r} matches no layer upstream; "
                             f"layers are: {listed}")
        chosen.update(matches)
    freeze_chosen = params["mode"] == "freeze matching"
    for layer_name, item in available.items():
        if getattr(item, "weights", None) is None or hasattr(item, "layers") and item.layers:
            continue  # models are containers; their layers are handled one by one
        if layer_name in chosen:
            item.trainable = not freeze_chosen
        elif not freeze_chosen:
            item.trainable = False
    return inputs["input"]


def _upstream_names_code(node_id, ctx) -> str:
    """Python expression of the set of layer names upstream of a node, in the exported script."""
    from nodeflow.keras.export import upstream_models

    workflow = ctx.workflow
    names = sorted(n for n in workflow.upstream(node_id)
                   if workflow.spec(n).build is not None and n not in ctx.model_sources)
    parts = [repr(set(names)) if names else "set()"]
    parts += [f"{{layer.name for layer in {var}.layers}}" for var in upstream_models(ctx, node_id)]
    return " | ".join(parts)


def export_freeze(node_id, spec, params, inputs, ctx):
    ctx.imports.add("fnmatch")
    matching = "layer.trainable = False" if params["mode"] == "freeze matching" \
        else "layer.trainable = True"
    ctx.after_model += [
        f"# {node_id}: Freeze Layers ({params['mode']})",
        f"{node_id}_upstream = {_upstream_names_code(node_id, ctx)}",
        "for layer in model.layers:",
        f"    if layer.name not in {node_id}_upstream:",
        "        continue",
        f"    if any(fnmatch.fnmatch(layer.name, p) for p in {params['layers']!r}):",
        f"        {matching}",
    ]
    if params["mode"] != "freeze matching":
        ctx.after_model += ["    else:", "        layer.trainable = False"]
    return ["# (applied to the finished model below)"], inputs["input"]


FREEZE = NodeSpec(
    type_id="keras.FreezeLayers",
    display_name="Freeze Layers",
    category=CATEGORY,
    family="layer",
    description=(
        "Chooses which layers of the incoming network training may change. Name layers or give "
        "patterns such as block_1* (* matches anything, ? one character). In the usual transfer "
        "learning set-up, freeze the pretrained part and train only the new head; later unfreeze "
        "the top blocks to fine-tune with a small learning rate. The network passes through "
        "unchanged otherwise."
    ),
    inputs=(NETWORK_IN,),
    outputs=(NETWORK_OUT,),
    params=(
        TextListParam(name="layers", min_count=1,
                      help="Layer names or patterns (* and ?) among the layers upstream."),
        ChoiceParam(name="mode", default="freeze matching",
                    options=("freeze matching", "train only matching"),
                    help='"freeze matching" fixes the matching layers; "train only matching" fixes '
                         "every other upstream layer and lets the matching ones train."),
    ),
    keywords=("trainable", "fine-tune", "transfer learning", "fix weights"),
    apply=apply_freeze,
    export_code=export_freeze,
)


# --------------------------------------------------------------------------- outputs
def apply_set_outputs(layer, inputs, params, ctx):
    outputs = list(inputs["inputs"]) if params["include_connected"] else []
    available = {} if ctx is None else ctx.upstream_layers()
    for layer_name in params["layers"]:
        if layer_name not in available:
            raise ValueError(f"layers: no layer {layer_name!r} upstream")
        outputs.append(available[layer_name].output)
    if not outputs:
        raise ValueError("expected at least one connected network or layer name, got none")
    return outputs


def export_set_outputs(node_id, spec, params, inputs, ctx):
    from nodeflow.keras.export import upstream_models

    items = list(inputs["inputs"]) if params["include_connected"] else []
    upstream = ctx.workflow.upstream(node_id)
    models = upstream_models(ctx, node_id)
    for name in params["layers"]:
        if name in upstream and name not in ctx.model_sources:
            items.append(name)  # a node's variable is its output tensor
        elif len(models) == 1:
            items.append(f"{models[0]}.get_layer({name!r}).output")
        else:
            candidates = ", ".join(models)
            items.append(f"next(m.get_layer({name!r}).output for m in [{candidates}] "
                         f"if {name!r} in [l.name for l in m.layers])")
    return [f"{node_id} = [" + ", ".join(items) + "]"], f"*{node_id}"


SET_OUTPUTS = NodeSpec(
    type_id="keras.SetOutputLayers",
    display_name="Set Output Layers",
    category=CATEGORY,
    family="layer",
    description=(
        "Decides which tensors the model outputs, in order: every connected network (in connection "
        "order), then the outputs of the layers named here, which may lie anywhere upstream, e.g. an "
        "intermediate feature layer of a pretrained network. Use it for models with several "
        "outputs (each with its own loss in the learner) or to cut a network short."
    ),
    inputs=(Port("inputs", "network", "The networks whose outputs become model outputs, in order.",
                 optional=True, multi=True),),
    outputs=(Port("output", "network", "The network with the chosen outputs."),),
    params=(
        TextListParam(name="layers", default=[],
                      help="Names of upstream layers whose outputs are added as model outputs."),
        BoolParam(name="include_connected", default=True,
                  help="Whether the connected networks' own outputs come first. Switch it off to "
                       "keep only the named layers, e.g. to cut a read network at its features."),
    ),
    keywords=("outputs", "multi-output", "intermediate layer", "features"),
    apply=apply_set_outputs,
    export_code=export_set_outputs,
)

NODES = (NETWORK_READER, PRETRAINED, FREEZE, SET_OUTPUTS)
