"""More core Keras layers: activation, reshaping, masking, scaling and normalizing
inputs, and the generalized dense layer EinsumDense."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from nodeflow.core.params import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    NumbersParam,
    ShapeParam,
    TextParam,
)

from .keras_args import (
    lora_params,
    ACTIVATIONS,
    activation,
    constraint,
    data_format,
    initializer,
    layer_node,
    regularizer,
)


@dataclass(frozen=True, kw_only=True)
class TargetShapeParam(ShapeParam):
    """A shape whose entries are sizes >= 1, except that at most one entry may be -1
    ("whatever size makes the element count match"), as Keras's Reshape accepts."""

    min_value: int | None = -1
    kind: ClassVar[str] = "shape"

    def _entry_ok(self, d) -> bool:
        return super()._entry_ok(d) and d != 0

    def _accepts(self, value):
        return super()._accepts(value) and (not isinstance(value, list) or value.count(-1) <= 1)

    def _expected(self):
        return "a list of one or more integers >= 1, at most one of them -1 (inferred size)"


ACTIVATION = layer_node(
    "Activation",
    category="Core",
    description=(
        "Applies an activation function, element by element, to its input; the output has "
        "the same shape as the input. Use it to add a non-linearity after a layer that was "
        "built without one, e.g. Dense or Conv2D followed by BatchNormalization and then "
        "an Activation node with relu."
    ),
    params=(
        ChoiceParam(
            name="activation", options=ACTIVATIONS,
            help="The function to apply: relu is the usual choice between hidden layers, "
                 "softmax turns scores into class probabilities, sigmoid squashes into (0, 1), "
                 "tanh into (-1, 1); linear passes the input through unchanged."),
    ),
    keywords=("nonlinearity", "non-linearity", "relu", "sigmoid", "tanh", "softmax", "swish"),
)

FLATTEN = layer_node(
    "Flatten",
    category="Core",
    description=(
        "Flattens each sample into a single vector, keeping the batch axis: an input of "
        "shape (batch, 7, 7, 64) becomes (batch, 3136). Typically placed between the "
        "convolution/pooling part of a network and its Dense layers. It has no weights."
    ),
    params=(data_format(),),
    keywords=("vectorize", "ravel", "unroll", "reshape"),
)

RESHAPE = layer_node(
    "Reshape",
    category="Core",
    description=(
        "Rearranges each sample into a new shape with the same number of elements, without "
        "changing the values or their order; the batch axis is kept. For example (batch, 784) "
        "to [28, 28, 1] turns flat pixel vectors into images. One entry may be -1, meaning "
        "'whatever size makes the element count match'."
    ),
    params=(
        TargetShapeParam(
            name="target_shape",
            help="New shape of one sample, without the batch axis, e.g. [28, 28, 1]; at most "
                 "one entry may be -1 to have its size inferred."),
    ),
    keywords=("view", "shape", "unflatten", "resize dimensions"),
)

PERMUTE = layer_node(
    "Permute",
    category="Core",
    description=(
        "Reorders the axes of each sample (a transpose that leaves the batch axis alone). "
        "With dims [2, 1] an input of shape (batch, 10, 64) becomes (batch, 64, 10), e.g. "
        "to treat features as time steps or to move the channel axis."
    ),
    params=(
        ShapeParam(
            name="dims",
            help="The new order of the sample's axes, counted from 1 (axis 0 is the batch "
                 "axis and never moves), e.g. [2, 1] swaps the first two axes."),
    ),
    keywords=("transpose", "swap axes", "reorder axes"),
)

REPEAT_VECTOR = layer_node(
    "RepeatVector",
    category="Core",
    description=(
        "Repeats a vector n times to make a sequence: an input of shape (batch, features) "
        "becomes (batch, n, features). Used in sequence-to-sequence models to feed an "
        "encoder's summary vector to every time step of a recurrent decoder."
    ),
    params=(
        IntParam(name="n", min=1, help="How many times to repeat the input (the sequence length)."),
    ),
    keywords=("tile", "repeat", "sequence", "seq2seq"),
)

MASKING = layer_node(
    "Masking",
    category="Core",
    description=(
        "Marks time steps to be skipped: in a sequence of shape (batch, timesteps, features), "
        "every time step whose features all equal mask_value is masked, and layers that "
        "support masks (LSTM, GRU, attention...) ignore it. Use it after padding sequences "
        "of different lengths to the same length. Values pass through unchanged."
    ),
    params=(
        FloatParam(name="mask_value", default=0.0,
                   help="Time steps whose features all equal this value are masked (skipped)."),
    ),
    keywords=("padding", "mask", "variable length", "sequence"),
)

ACTIVITY_REGULARIZATION = layer_node(
    "ActivityRegularization",
    category="Core",
    description=(
        "Passes its input through unchanged but adds a penalty on the size of the values "
        "to the training loss (L1: sum of absolute values, L2: sum of squares). This "
        "pushes the previous layer towards small or sparse activations, a form of "
        "regularization against overfitting."
    ),
    params=(
        FloatParam(name="l1", default=0.0, min=0.0,
                   help="Factor of the L1 penalty (sum of absolute activations); encourages sparsity."),
        FloatParam(name="l2", default=0.0, min=0.0,
                   help="Factor of the L2 penalty (sum of squared activations); keeps activations small."),
    ),
    keywords=("regularization", "sparsity", "penalty", "l1", "l2"),
)

IDENTITY = layer_node(
    "Identity",
    category="Core",
    description=(
        "Returns its input unchanged. Useful as a placeholder while designing a network, "
        "to give a tensor a name of its own, or as a switchable 'no-op' branch in an "
        "architecture."
    ),
    keywords=("no-op", "noop", "passthrough", "placeholder"),
)

RESCALING = layer_node(
    "Rescaling",
    category="Core",
    description=(
        "Multiplies every input value by scale and then adds offset, e.g. scale 1/255 maps "
        "pixel values from [0, 255] to [0, 1], and scale 1/127.5 with offset -1 maps them to "
        "[-1, 1]. Scale and offset may also be lists with one value per channel (last "
        "axis). A fixed preprocessing step inside the model; it has no trainable weights."
    ),
    params=(
        NumbersParam(name="scale",
                     help="Factor every value is multiplied by: a number, or a list with one "
                          "factor per channel (last axis)."),
        NumbersParam(name="offset", default=0.0,
                     help="Value added after scaling: a number, or a list with one value per "
                          "channel (last axis)."),
    ),
    keywords=("preprocessing", "scale", "pixel", "normalize images", "1/255"),
)


def _import_normalization(config: dict) -> dict:
    """Normalization's get_config() -> node parameters (axis comes back as a tuple)."""
    params = {k: config[k] for k in ("mean", "variance", "invert", "trainable") if k in config}
    axis = config.get("axis", -1)
    if axis is None or (isinstance(axis, (list, tuple)) and len(axis) == 0):
        params["axis"] = None
    elif isinstance(axis, (list, tuple)):
        params["axis"] = int(axis[0]) if len(axis) == 1 else [int(a) for a in axis]
    else:
        params["axis"] = int(axis)
    for key in ("mean", "variance"):
        value = params.get(key)
        if hasattr(value, "tolist"):  # numpy values
            params[key] = value.tolist()
        elif isinstance(value, tuple):
            params[key] = list(value)
    return params


NORMALIZATION = layer_node(
    "Normalization",
    category="Core",
    description=(
        "Standardizes features: subtracts a mean and divides by the standard deviation "
        "(square root of the variance), so each feature ends up with mean 0 and variance 1, "
        "which helps training converge. With mean and variance given, those fixed values "
        "are used. Without them, the learner adapts the layer to the training data before "
        "training: it computes each feature's mean and variance over the training inputs "
        "and stores them in the layer. With invert on, it undoes a normalization instead "
        "(e.g. to turn predictions back into original units)."
    ),
    params=(
        ShapeParam(name="axis", default=-1, optional=True, allow_int=True, min_value=None,
                   help="The axis (or axes) that keeps separate statistics, usually -1, the "
                        "feature/channel axis: each feature gets its own mean and variance. "
                        "Empty (null) means a single mean and variance for all values."),
        NumbersParam(name="mean", default=None, optional=True,
                     help="Fixed mean to subtract: a number or one value per feature. Leave "
                          "empty (with variance empty) to adapt to the training data."),
        NumbersParam(name="variance", default=None, optional=True,
                     help="Fixed variance to divide by (its square root): a number or one "
                          "value per feature; set it together with mean."),
        BoolParam(name="invert", default=False,
                  help="If true, apply the inverse: multiply by the standard deviation and add "
                       "the mean, turning standardized values back into original units."),
    ),
    keywords=("standardize", "standardization", "z-score", "preprocessing", "feature scaling",
              "adapt", "mean", "variance"),
    import_params=_import_normalization,
)

_EQUATION_PATTERN = (
    r"[a-zA-Z]+,[a-zA-Z]+->[a-zA-Z]+"
    r"|\.\.\.[a-zA-Z]+,[a-zA-Z]+->\.\.\.[a-zA-Z]+"
    r"|[a-zA-Z]{2,}\.\.\.,[a-zA-Z]+->[a-zA-Z]+\.\.\."
)

EINSUM_DENSE = layer_node(
    "EinsumDense",
    category="Core",
    description=(
        "A dense layer whose weight multiplication is written as an Einstein-summation "
        "equation, so it can map any axes of its input to any output axes. For example "
        "'abc,cd->abd' applies a (c, d) kernel along the last axis of a 3-D input, like "
        "Dense; 'abc,cde->abde' splits the features into several heads, as attention "
        "layers do. The first letter group names the input's axes (including the batch "
        "axis), the second the kernel's, the third the output's."
    ),
    params=(
        TextParam(name="equation", pattern=_EQUATION_PATTERN,
                  pattern_help="an equation such as ab,bc->ac (or with ... for leading "
                               "or trailing axes: ...b,bc->...c)",
                  help="The einsum equation input,kernel->output, e.g. 'ab,bc->ac' (the same "
                       "as Dense on 2-D input); '...' stands for axes passed through unchanged."),
        ShapeParam(name="output_shape", allow_int=True, allow_none=True,
                   help="Expected shape of the output without the batch axis; null for a "
                        "size that is taken from the input (e.g. the sequence length)."),
        activation(),
        TextParam(name="bias_axes", default=None, optional=True, pattern=r"[a-zA-Z]+",
                  pattern_help="letters of the output part of the equation",
                  help="Output axes (letters of the equation's output) that get a learned "
                       "bias, e.g. 'c'; empty means no bias."),
        initializer("kernel_initializer", "glorot_uniform", "weights (kernel)"),
        initializer("bias_initializer", "zeros", "biases"),
        regularizer("kernel_regularizer", "weights (kernel)"),
        regularizer("bias_regularizer", "biases"),
        constraint("kernel_constraint", "weights (kernel)"),
        constraint("bias_constraint", "biases"),
        *lora_params("kernel"),
    ),
    keywords=("einsum", "einstein summation", "dense", "fully connected", "multi-head",
              "tensor contraction"),
)

NODES = (ACTIVATION, FLATTEN, RESHAPE, PERMUTE, REPEAT_VECTOR, MASKING, ACTIVITY_REGULARIZATION,
         IDENTITY, RESCALING, NORMALIZATION, EINSUM_DENSE)

__all__ = ["NODES", "TargetShapeParam"]
