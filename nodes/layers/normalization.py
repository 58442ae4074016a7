"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from nodeflow.core.params import BoolParam, FloatParam, IntParam, JsonParam, ShapeParam

from .keras_args import constraint, initializer, layer_node, regularizer


@dataclass(frozen=True, kw_only=True)
class GroupsParam(IntParam):
    """A number of groups: an integer >= 1, or -1 for one group per channel."""

    min: int | None = -1
    kind: ClassVar[str] = "int"

    def _accepts(self, value):
        return super()._accepts(value) and value != 0

    def _expected(self):
        return "an integer >= 1, or -1 (one group per channel)"


def _epsilon() -> FloatParam:
    return FloatParam(name="epsilon", default=0.001, min=0.0, min_open=True,
                      help="Small number added to the variance so that it is never divided by zero.")


def _center() -> BoolParam:
    return BoolParam(name="center", default=True,
                     help="Whether to add a learned offset (beta) after normalizing.")


def _scale() -> BoolParam:
    return BoolParam(name="scale", default=True,
                     help="Whether to multiply by a learned factor (gamma) after normalizing; "
                          "can be switched off when the next layer is linear or relu, since it "
                          "can do the scaling itself.")


def _beta_gamma_params() -> tuple:
    return (
        initializer("beta_initializer", "zeros", "learned offsets (beta)"),
        initializer("gamma_initializer", "ones", "learned factors (gamma)"),
        regularizer("beta_regularizer", "learned offsets (beta)"),
        regularizer("gamma_regularizer", "learned factors (gamma)"),
        constraint("beta_constraint", "learned offsets (beta)"),
        constraint("gamma_constraint", "learned factors (gamma)"),
    )


BATCH_NORMALIZATION = layer_node(
    "BatchNormalization",
    category="Normalization",
    description=(
        "Normalizes each feature (channel) to mean 0 and variance 1 using the statistics of "
        "the current batch during training, and moving averages of them at prediction time, "
        "then applies a learned scale (gamma) and offset (beta). It stabilizes and speeds "
        "up the training of deep networks; usually placed between a Dense or Conv layer "
        "(without activation) and its activation. Works with inputs of any rank; the "
        "output has the input's shape. Needs reasonably large batches."
    ),
    params=(
        IntParam(name="axis", default=-1,
                 help="The feature axis that keeps separate statistics: -1 (the last axis) "
                      "for channels_last data, 1 after a channels_first convolution."),
        FloatParam(name="momentum", default=0.99, min=0.0, max=1.0,
                   help="How slowly the moving mean and variance follow the batch statistics "
                        "(closer to 1 means slower, smoother)."),
        _epsilon(),
        _center(),
        _scale(),
        initializer("beta_initializer", "zeros", "learned offsets (beta)"),
        initializer("gamma_initializer", "ones", "learned factors (gamma)"),
        initializer("moving_mean_initializer", "zeros", "moving means"),
        initializer("moving_variance_initializer", "ones", "moving variances"),
        regularizer("beta_regularizer", "learned offsets (beta)"),
        regularizer("gamma_regularizer", "learned factors (gamma)"),
        constraint("beta_constraint", "learned offsets (beta)"),
        constraint("gamma_constraint", "learned factors (gamma)"),
        BoolParam(name="renorm", default=False,
                  help="Whether to use batch renormalization, which corrects the batch "
                       "statistics towards the moving ones; helps with small or non-i.i.d. "
                       "batches."),
        JsonParam(name="renorm_clipping", default=None, optional=True,
                  help='Limits of the renormalization corrections, an object with keys "rmax", '
                       '"rmin" and "dmax" (e.g. {"rmax": 3, "rmin": 0.33, "dmax": 5}); only '
                       "used with renorm. Empty means no clipping."),
        FloatParam(name="renorm_momentum", default=0.99, min=0.0, max=1.0,
                   help="Momentum of the moving statistics used by batch renormalization."),
        BoolParam(name="synchronized", default=False,
                  help="When training on several devices, compute the batch statistics over "
                       "all devices' batches together (TensorFlow backend only)."),
    ),
    keywords=("batchnorm", "bn", "batch norm", "normalize", "standardize", "internal covariate shift"),
)

LAYER_NORMALIZATION = layer_node(
    "LayerNormalization",
    category="Normalization",
    description=(
        "Normalizes each sample on its own: the values along the given axis (by default the "
        "features of each time step or position) are shifted to mean 0 and scaled to "
        "variance 1, then a learned scale (gamma) and offset (beta) are applied. Unlike "
        "BatchNormalization it does not depend on the batch, so it behaves the same in "
        "training and prediction; it is the standard normalization in Transformers and "
        "recurrent networks. The output has the input's shape."
    ),
    params=(
        ShapeParam(name="axis", default=-1, allow_int=True, min_value=None,
                   help="Axis or list of axes to normalize over, usually -1, the features."),
        _epsilon(),
        _center(),
        _scale(),
    ) + _beta_gamma_params(),
    keywords=("layernorm", "ln", "layer norm", "transformer", "normalize"),
)

GROUP_NORMALIZATION = layer_node(
    "GroupNormalization",
    category="Normalization",
    description=(
        "Splits the channels into groups and normalizes each group of each sample to mean 0 "
        "and variance 1, then applies a learned scale and offset per channel. It does not "
        "depend on the batch size, so it works well with the small batches of large image "
        "models. groups 1 behaves like LayerNormalization over the channels, groups -1 (one "
        "per channel) is instance normalization. The channel count must be divisible by "
        "groups; the output has the input's shape."
    ),
    params=(
        GroupsParam(name="groups", default=32,
                    help="Number of channel groups; must divide the number of channels. -1 "
                         "means one group per channel (instance normalization)."),
        IntParam(name="axis", default=-1,
                 help="The channel axis, -1 (the last axis) for channels_last data."),
        _epsilon(),
        _center(),
        _scale(),
    ) + _beta_gamma_params(),
    keywords=("groupnorm", "gn", "group norm", "instance normalization", "normalize"),
)

UNIT_NORMALIZATION = layer_node(
    "UnitNormalization",
    category="Normalization",
    description=(
        "Scales each sample's vector along the given axis to length (L2 norm) 1, keeping its "
        "direction. Used for embeddings that are compared by cosine similarity, e.g. in "
        "metric learning and retrieval. It has no weights; the output has the input's shape."
    ),
    params=(
        ShapeParam(name="axis", default=-1, allow_int=True, min_value=None,
                   help="Axis or list of axes whose values form the vector to normalize, "
                        "usually -1, the features."),
    ),
    keywords=("l2 normalize", "unit length", "cosine", "embedding", "normalize"),
)

NODES = (BATCH_NORMALIZATION, LAYER_NORMALIZATION, GROUP_NORMALIZATION, UNIT_NORMALIZATION)

__all__ = ["NODES", "GroupsParam"]
