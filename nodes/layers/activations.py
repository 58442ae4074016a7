"""Activation-function layers with their own parameters: ReLU, LeakyReLU, PReLU, ELU, Softmax."""

from __future__ import annotations

from nodeflow.core.params import FloatParam, ShapeParam

from .keras_args import constraint, initializer, layer_node, regularizer

RELU = layer_node(
    "ReLU",
    category="Activation",
    description=(
        "The rectified linear unit: passes positive values through and sets negative values "
        "to zero, element by element (the output has the input's shape). The default "
        "non-linearity of modern networks. Its options give variants: a cap on the output "
        "(max_value 6 gives ReLU6, used in mobile networks), a small slope for negative "
        "values (leaky ReLU), or a threshold other than zero."
    ),
    params=(
        FloatParam(name="max_value", default=None, optional=True, min=0.0,
                   help="Largest output value (e.g. 6 for ReLU6); empty means no upper limit."),
        FloatParam(name="negative_slope", default=0.0, min=0.0,
                   help="Slope for values below the threshold; 0 sets them to zero, a small "
                        "value such as 0.1 gives a leaky ReLU."),
        FloatParam(name="threshold", default=0.0, min=0.0,
                   help="Values below this threshold are zeroed (or scaled by negative_slope)."),
    ),
    keywords=("rectifier", "rectified linear unit", "relu6", "activation", "nonlinearity"),
)

LEAKY_RELU = layer_node(
    "LeakyReLU",
    category="Activation",
    description=(
        "A ReLU that lets a small part of negative values through: f(x) = x for x >= 0 and "
        "negative_slope * x otherwise, element by element. Keeps a gradient for negative "
        "inputs, so units cannot 'die' (get stuck at zero) as plain ReLU units can; common "
        "in GANs. The output has the input's shape."
    ),
    params=(
        FloatParam(name="negative_slope", default=0.3, min=0.0,
                   help="Factor applied to negative inputs (Keras's default is 0.3; 0.01 to "
                        "0.2 are common)."),
    ),
    keywords=("leaky rectifier", "lrelu", "activation", "nonlinearity"),
)

PRELU = layer_node(
    "PReLU",
    category="Activation",
    description=(
        "A parametric ReLU: like a leaky ReLU, but the slope for negative values (alpha) is "
        "learned during training, by default separately for every input value. Use "
        "shared_axes to learn one slope per channel instead of per position, e.g. [1, 2] "
        "after a 2-D convolution. The output has the input's shape."
    ),
    params=(
        initializer("alpha_initializer", "zeros", "learned negative slopes (alpha)"),
        regularizer("alpha_regularizer", "learned negative slopes (alpha)"),
        constraint("alpha_constraint", "learned negative slopes (alpha)"),
        ShapeParam(name="shared_axes", default=None, optional=True,
                   help="Axes (counted from 1, after the batch axis) along which one slope is "
                        "shared, e.g. [1, 2] for one slope per channel of an image; empty "
                        "means a separate slope for every value."),
    ),
    keywords=("parametric relu", "learnable slope", "activation", "nonlinearity"),
)

ELU = layer_node(
    "ELU",
    category="Activation",
    description=(
        "The exponential linear unit: f(x) = x for x > 0 and alpha * (exp(x) - 1) for "
        "x <= 0, element by element. Like ReLU for positive values, but smooth and with "
        "negative outputs down to -alpha, which keeps mean activations closer to zero and "
        "can speed up training. The output has the input's shape."
    ),
    params=(
        FloatParam(name="alpha", default=1.0,
                   help="Scale of the negative part: outputs approach -alpha for very "
                        "negative inputs."),
    ),
    keywords=("exponential linear unit", "activation", "nonlinearity"),
)

SOFTMAX = layer_node(
    "Softmax",
    category="Activation",
    description=(
        "Turns a vector of scores (logits) into probabilities: every value becomes positive "
        "and the values along the chosen axis sum to 1, larger scores getting larger "
        "shares. Used as the last step of a classifier with one output per class, and "
        "inside attention. The output has the input's shape."
    ),
    params=(
        ShapeParam(name="axis", default=-1, allow_int=True, min_value=None,
                   help="Axis (or list of axes) along which the values sum to 1; -1, the "
                        "last axis, is the usual class axis."),
    ),
    keywords=("probabilities", "normalized exponential", "classifier output", "logits",
              "activation"),
)

NODES = (RELU, LEAKY_RELU, PRELU, ELU, SOFTMAX)

__all__ = ["NODES"]
