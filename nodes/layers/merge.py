"""Merge layers: combine several tensors into one (Add, Concatenate, Dot...)."""

from __future__ import annotations

from nodeflow.core.params import BoolParam, IntParam, ShapeParam

from .keras_args import MERGE_IN, layer_node


def _elementwise(keras_class: str, what: str, use: str, keywords: tuple[str, ...]):
    return layer_node(
        keras_class,
        category="Merge",
        description=(
            f"{what} Connect two or more inputs of the same shape; the output has that shape "
            f"too (shapes that differ only by a size of 1 are broadcast). {use}"
        ),
        inputs=(MERGE_IN,),
        keywords=keywords + ("merge", "combine", "element-wise"),
    )


ADD = _elementwise(
    "Add", "Adds its input tensors element by element.",
    "The building block of residual (skip) connections, as in ResNet: the input of a "
    "block is added to its output.",
    ("sum", "plus", "residual", "skip connection", "shortcut"))

SUBTRACT = _elementwise(
    "Subtract", "Subtracts the second input from the first, element by element.",
    "It takes exactly two inputs, in the order they are connected; useful e.g. to compare "
    "two embeddings of a siamese network.",
    ("minus", "difference"))

MULTIPLY = _elementwise(
    "Multiply", "Multiplies its input tensors element by element.",
    "Used for gating and attention-like weighting, e.g. the squeeze-and-excitation blocks "
    "of EfficientNet multiply feature maps by per-channel weights.",
    ("product", "times", "gating", "squeeze and excitation"))

AVERAGE = _elementwise(
    "Average", "Computes the element-wise mean of its input tensors.",
    "Used to combine the predictions of several branches or models (an ensemble).",
    ("mean", "ensemble"))

MAXIMUM = _elementwise(
    "Maximum", "Takes the element-wise maximum of its input tensors.",
    "Keeps, at each position, the strongest of several branches' responses.",
    ("max",))

MINIMUM = _elementwise(
    "Minimum", "Takes the element-wise minimum of its input tensors.",
    "Keeps, at each position, the weakest of several branches' responses.",
    ("min",))

CONCATENATE = layer_node(
    "Concatenate",
    category="Merge",
    description=(
        "Joins its input tensors end to end along one axis, by default the last (features "
        "or channels): inputs of shapes (batch, 32) and (batch, 16) give (batch, 48). All "
        "other axes must have the same sizes. Used to combine several branches or inputs of "
        "a network, e.g. numeric features with an embedding, or the paths of an Inception "
        "or U-Net block."
    ),
    params=(
        IntParam(name="axis", default=-1,
                 help="The axis to join along; -1 is the last axis (features or channels)."),
    ),
    inputs=(MERGE_IN,),
    keywords=("concat", "join", "stack features", "merge", "combine"),
)

DOT = layer_node(
    "Dot",
    category="Merge",
    description=(
        "Computes the dot product of two input tensors, sample by sample: the values along "
        "the chosen axis of the first input are multiplied with those along the chosen axis "
        "of the second and summed. For two vectors of shape (batch, n) with axes 1 the "
        "output has shape (batch, 1). With normalize on it gives the cosine similarity, as "
        "used to compare embeddings. Takes exactly two inputs."
    ),
    params=(
        ShapeParam(name="axes", allow_int=True, min_len=2, max_len=2, min_value=None,
                   help="The axis to sum over: one axis for both inputs, or a pair [axis of "
                        "the first, axis of the second]. Axis 0 is the batch axis, so use "
                        "1 or more (or -1 for the last)."),
        BoolParam(name="normalize", default=False,
                  help="Whether to scale both inputs to length 1 along the axes first, which "
                       "makes the result the cosine similarity."),
    ),
    inputs=(MERGE_IN,),
    keywords=("dot product", "inner product", "cosine similarity", "merge", "combine"),
)

NODES = (ADD, SUBTRACT, MULTIPLY, AVERAGE, MAXIMUM, MINIMUM, CONCATENATE, DOT)

__all__ = ["NODES"]
