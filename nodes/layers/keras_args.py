"""Parameter declarations shared by many Keras layer nodes.

Activations, initializers, regularizers and constraints are declared here once,
as Keras 3 names them and with Keras's own argument defaults, and every layer
node reuses them.  Nested choices carry the Keras class in ``Option.target``.
"""

from __future__ import annotations

from nodeflow.core.params import (
    REQUIRED,
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    NestedChoiceParam,
    Option,
    Param,
    ShapeParam,
    TextParam,
)
from nodeflow.core.ports import Port
from nodeflow.core.shared_layers import SHARES_WEIGHTS
from nodeflow.core.spec import NodeSpec

ACTIVATIONS = (
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "swish",
    "hard_silu", "hard_swish", "mish", "sigmoid", "hard_sigmoid", "log_sigmoid",
    "sparse_sigmoid", "softmax", "log_softmax", "sparsemax", "softplus", "softsign",
    "sparse_plus", "squareplus", "tanh", "hard_tanh", "tanh_shrink", "soft_shrink",
    "hard_shrink", "exponential", "glu", "threshold",
)


def activation(name: str = "activation", default: str | None = None) -> ChoiceParam:
    return ChoiceParam(
        name=name,
        options=ACTIVATIONS,
        default=default,
        optional=default is None,
        help="Function applied to the layer's output. Empty (null) means none, i.e. linear; "
        "relu is the usual choice for hidden layers, softmax for class probabilities, "
        "sigmoid for independent yes/no outputs.",
    )


def _seed() -> IntParam:
    return IntParam(name="seed", default=None, optional=True, min=0,
                    help="Random seed; the same seed gives the same initial values.")


_FAN_HELP = "draws values scaled by the number of inputs and outputs of the layer"

INITIALIZER_OPTIONS = (
    Option("glorot_uniform", "GlorotUniform", f"Glorot (Xavier) uniform: {_FAN_HELP}.", (_seed(),)),
    Option("glorot_normal", "GlorotNormal", f"Glorot (Xavier) normal: {_FAN_HELP}.", (_seed(),)),
    Option("he_uniform", "HeUniform", "He uniform: suited to relu layers.", (_seed(),)),
    Option("he_normal", "HeNormal", "He normal: suited to relu layers.", (_seed(),)),
    Option("lecun_uniform", "LecunUniform", "LeCun uniform: suited to selu layers.", (_seed(),)),
    Option("lecun_normal", "LecunNormal", "LeCun normal: suited to selu layers.", (_seed(),)),
    Option("random_normal", "RandomNormal", "Normal distribution with the given mean and stddev.", (
        FloatParam(name="mean", default=0.0, help="Mean of the distribution."),
        FloatParam(name="stddev", default=0.05, min=0.0, help="Standard deviation."),
        _seed(),
    )),
    Option("random_uniform", "RandomUniform", "Uniform distribution between minval and maxval.", (
        FloatParam(name="minval", default=-0.05, help="Lower bound."),
        FloatParam(name="maxval", default=0.05, help="Upper bound."),
        _seed(),
    )),
    Option("truncated_normal", "TruncatedNormal",
           "Normal distribution, values beyond two stddevs redrawn.", (
               FloatParam(name="mean", default=0.0, help="Mean of the distribution."),
               FloatParam(name="stddev", default=0.05, min=0.0, help="Standard deviation."),
               _seed(),
           )),
    Option("variance_scaling", "VarianceScaling", "The general form behind Glorot, He and LeCun.", (
        FloatParam(name="scale", default=1.0, min=0.0, min_open=True, help="Scaling factor."),
        ChoiceParam(name="mode", default="fan_in", options=("fan_in", "fan_out", "fan_avg"),
                    help="Which fan the variance is divided by."),
        ChoiceParam(name="distribution", default="truncated_normal",
                    options=("truncated_normal", "untruncated_normal", "uniform"),
                    help="Distribution to draw from."),
        _seed(),
    )),
    Option("orthogonal", "Orthogonal", "A random orthogonal matrix, useful for recurrent kernels.", (
        FloatParam(name="gain", default=1.0, help="Multiplicative factor."),
        _seed(),
    )),
    Option("identity", "Identity", "The identity matrix (2-D kernels only).", (
        FloatParam(name="gain", default=1.0, help="Multiplicative factor."),
    )),
    Option("zeros", "Zeros", "All zeros."),
    Option("ones", "Ones", "All ones."),
    Option("constant", "Constant", "Every value the same constant.", (
        FloatParam(name="value", default=0.0, help="The constant."),
    )),
)

REGULARIZER_OPTIONS = (
    Option("l1", "L1", "Penalty on the sum of absolute weights; pushes weights to exactly zero.", (
        FloatParam(name="l1", default=0.01, min=0.0, help="Penalty factor."),
    )),
    Option("l2", "L2", "Penalty on the sum of squared weights (weight decay).", (
        FloatParam(name="l2", default=0.01, min=0.0, help="Penalty factor."),
    )),
    Option("l1_l2", "L1L2", "Both L1 and L2 penalties.", (
        FloatParam(name="l1", default=0.0, min=0.0, help="L1 penalty factor."),
        FloatParam(name="l2", default=0.0, min=0.0, help="L2 penalty factor."),
    )),
    Option("orthogonal_regularizer", "OrthogonalRegularizer",
           "Encourages the rows (or columns) of the kernel to be orthogonal.", (
               FloatParam(name="factor", default=0.01, min=0.0, help="Penalty factor."),
               ChoiceParam(name="mode", default="rows", options=("rows", "columns"),
                           help="Whether rows or columns should be orthogonal."),
           )),
)

CONSTRAINT_OPTIONS = (
    Option("max_norm", "MaxNorm", "Rescales weights whose norm exceeds max_value.", (
        FloatParam(name="max_value", default=2, min=0.0, help="Largest allowed norm."),
        IntParam(name="axis", default=0, help="Axis along which norms are computed."),
    )),
    Option("min_max_norm", "MinMaxNorm", "Keeps weight norms between min_value and max_value.", (
        FloatParam(name="min_value", default=0.0, min=0.0, help="Smallest allowed norm."),
        FloatParam(name="max_value", default=1.0, min=0.0, help="Largest allowed norm."),
        FloatParam(name="rate", default=1.0, min=0.0, max=1.0, help="How strongly to enforce."),
        IntParam(name="axis", default=0, help="Axis along which norms are computed."),
    )),
    Option("non_neg", "NonNeg", "Sets negative weights to zero."),
    Option("unit_norm", "UnitNorm", "Rescales weights to norm 1.", (
        IntParam(name="axis", default=0, help="Axis along which norms are computed."),
    )),
)


def initializer(name: str, default: str, what: str) -> NestedChoiceParam:
    return NestedChoiceParam(name=name, group="Initializers", default=default,
                             options=INITIALIZER_OPTIONS,
                             help=f"How the {what} start out before training.")


def regularizer(name: str, what: str) -> NestedChoiceParam:
    return NestedChoiceParam(name=name, group="Regularizers", default=None, optional=True,
                             options=REGULARIZER_OPTIONS,
                             help=f"Optional penalty on the {what}, added to the loss to curb overfitting.")


def constraint(name: str, what: str) -> NestedChoiceParam:
    return NestedChoiceParam(name=name, group="Constraints", default=None, optional=True,
                             options=CONSTRAINT_OPTIONS,
                             help=f"Optional rule applied to the {what} after each training step.")


def lora_params(what: str = "kernel") -> tuple[Param, Param]:
    """``lora_rank`` and ``lora_alpha``: low-rank fine-tuning of a large weight matrix."""
    return (
        IntParam(name="lora_rank", default=None, optional=True, min=1,
                 help=f"If set, the {what} is trained as a low-rank (LoRA) update of this rank; "
                      "used to fine-tune large layers cheaply."),
        FloatParam(name="lora_alpha", default=None, optional=True, min=0.0, min_open=True,
                   help="Scale of the LoRA update; empty means the same as lora_rank."),
    )


NETWORK_IN = Port("input", "network", "The tensor this layer is applied to.")
NETWORK_OUT = Port("output", "network", "The layer's output; carries every layer upstream of it.")
MERGE_IN = Port("inputs", "network", "The tensors to combine, in the order they are connected.",
                multi=True)
LAYER_PORTS = {"inputs": (NETWORK_IN,), "outputs": (NETWORK_OUT,)}

TRAINABLE = BoolParam(
    name="trainable", default=True,
    help="Whether training updates this layer's weights. Switch it off to freeze the layer, "
         "e.g. the pretrained part of a network in transfer learning.")


# a layer called more than once (a siamese network's twin branches): the node of each
# later call names the node of the first; the translator calls that node's layer again
SHARED_LAYER = TextParam(
    name=SHARES_WEIGHTS, default=None, optional=True,  # ungrouped, beside trainable: simple layers keep one plain form
    pattern=r"[A-Za-z_][A-Za-z0-9_]*", pattern_help="a node id",
    help="Reuse the layer (and so the weights) of another node of the same type and "
         "parameters, instead of a layer of its own: e.g. the second branch of a siamese "
         "network names the node of the first. Empty: the node has its own layer.")


def keras_layer(class_name: str):
    """A ``build`` function for a layer whose parameters map 1:1 onto Keras arguments.

    ``params`` arrive converted by ``nodeflow.keras.layers.keras_params`` (nested
    choices already Keras objects, shapes tuples).
    """

    def build(params: dict, name: str | None = None):
        import keras

        return getattr(keras.layers, class_name)(**params, name=name)

    build.__qualname__ = f"build_{class_name}"
    return build


def layer_node(
    keras_class: str,
    *,
    category: str,
    description: str,
    params: tuple[Param, ...] = (),
    display_name: str | None = None,
    inputs: tuple[Port, ...] = (NETWORK_IN,),
    outputs: tuple[Port, ...] = (NETWORK_OUT,),
    keywords: tuple[str, ...] = (),
    apply=None,
    build=None,
    import_params=None,
    export_code=None,
) -> NodeSpec:
    """The node type of the Keras layer ``keras.layers.<keras_class>``.

    Parameters must be named exactly as the Keras constructor's arguments and carry
    Keras's defaults; ``trainable`` is added to every layer.  ``category`` is the
    sub-folder below "Layers" in the node repository.
    """
    return NodeSpec(
        type_id=f"keras.layers.{keras_class}",
        display_name=display_name or keras_class,
        category=f"Layers/{category}",
        description=description,
        family="layer",
        inputs=inputs,
        outputs=outputs,
        params=tuple(params) + (TRAINABLE, SHARED_LAYER),
        keywords=keywords,
        target=keras_class,
        build=build or keras_layer(keras_class),
        apply=apply,
        import_params=import_params,
        export_code=export_code,
    )


# -- parameters shared by convolution, pooling and padding layers -------------------
def size_param(name: str, rank: int, help: str, default=REQUIRED, min_value: int | None = 1) -> ShapeParam:
    """An integer or a list of ``rank`` integers (kernel size, strides, pool size...)."""
    return ShapeParam(name=name, default=default, min_len=rank, max_len=rank, allow_int=True,
                      min_value=min_value, help=help)


def padding(default: str = "valid", causal: bool = False) -> ChoiceParam:
    return ChoiceParam(
        name="padding", default=default,
        options=("valid", "same", "causal") if causal else ("valid", "same"),
        help='"valid": no padding, the output shrinks; "same": pad so the output keeps the input\'s '
             "size (with stride 1)" + ('; "causal": pad only at the start, so an output never sees '
                                      "later time steps" if causal else "") + ".")


def data_format() -> ChoiceParam:
    return ChoiceParam(
        name="data_format", default=None, optional=True, options=("channels_last", "channels_first"),
        help="Where the channel axis is: channels_last (..., channels), the Keras default, or "
             "channels_first (channels, ...). Empty means Keras's global setting (channels_last).")
