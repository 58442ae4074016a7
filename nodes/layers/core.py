"""Core Keras layers: Input, Dense, Dropout."""

from __future__ import annotations

from nodeflow.core.params import BoolParam, ChoiceParam, FloatParam, IntParam, ShapeParam
from nodeflow.core.spec import NodeSpec

from .keras_args import (
    lora_params,
    NETWORK_OUT,
    activation,
    constraint,
    initializer,
    keras_layer,
    layer_node,
    regularizer,
)

DTYPES = ("float32", "float16", "bfloat16", "float64", "int8", "int16", "int32", "int64",
          "uint8", "bool", "string")

INPUT = NodeSpec(
    type_id="keras.layers.Input",
    display_name="Input",
    category="Layers/Core",
    family="layer",
    description=(
        "Where data enters the network. The shape describes one sample without the batch "
        "dimension: [4] for four numeric features, [28, 28, 1] for a 28x28 grey image, "
        "[null] for a sequence of any length. Every network starts with at least one Input."
    ),
    outputs=(NETWORK_OUT,),
    params=(
        ShapeParam(name="shape", allow_none=True, min_len=0,
                   help="Shape of one sample, without the batch axis; null for a dimension "
                        "whose size may vary (e.g. sequence length); [] for one value per "
                        "sample (e.g. a sentence as one string)."),
        IntParam(name="batch_size", default=None, optional=True, min=1,
                 help="Fixed batch size; leave empty to accept any batch size (usual)."),
        ChoiceParam(name="dtype", default=None, optional=True, options=DTYPES,
                    help="Data type of the input; empty means Keras's float type (float32)."),
        BoolParam(name="sparse", default=False,
                  help="Whether the input is a sparse tensor."),
    ),
    keywords=("placeholder", "features", "entry"),
    target="InputLayer",
    build=keras_layer("InputLayer"),
)

DENSE = layer_node(
    "Dense",
    category="Core",
    description=(
        "A fully connected layer: every output unit is a weighted sum of all inputs plus a "
        "bias, passed through the activation. Stacks of Dense layers form a multi-layer "
        "perceptron; a final Dense layer with one unit per class and softmax makes a classifier. "
        "Inputs of more than two dimensions are transformed along their last axis."
    ),
    params=(
        IntParam(name="units", min=1, help="Number of output units (neurons)."),
        activation(),
        BoolParam(name="use_bias", default=True, help="Whether to add a learned bias to each unit."),
        initializer("kernel_initializer", "glorot_uniform", "weights (kernel)"),
        initializer("bias_initializer", "zeros", "biases"),
        regularizer("kernel_regularizer", "weights (kernel)"),
        regularizer("bias_regularizer", "biases"),
        regularizer("activity_regularizer", "layer's output"),
        constraint("kernel_constraint", "weights (kernel)"),
        constraint("bias_constraint", "biases"),
        *lora_params("kernel"),
    ),
    keywords=("fully connected", "linear", "perceptron", "mlp"),
)

DROPOUT = layer_node(
    "Dropout",
    category="Core",
    description=(
        "During training, sets a random fraction of its inputs to zero at each step and scales "
        "the rest up, so the network cannot rely on any single unit; this reduces overfitting. "
        "At prediction time it passes its input through unchanged."
    ),
    params=(
        FloatParam(name="rate", min=0.0, max=1.0, max_open=True,
                   help="Fraction of the inputs to drop, from 0 (none) up to, not including, 1."),
        ShapeParam(name="noise_shape", default=None, optional=True, allow_none=True,
                   help="Shape of the drop mask, to drop whole features at once; empty for "
                        "independent drops."),
        IntParam(name="seed", default=None, optional=True, min=0,
                 help="Random seed for the drop mask."),
    ),
    keywords=("regularization", "overfitting"),
)

NODES = (INPUT, DENSE, DROPOUT)

__all__ = ["NODES"]
