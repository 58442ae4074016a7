"""Regularization layers that add noise or drop values during training: GaussianNoise,
GaussianDropout, AlphaDropout, SpatialDropout1D/2D/3D.  All of them are active only while
training and pass their input through unchanged at prediction time."""

from __future__ import annotations

from nodeflow.core.params import FloatParam, IntParam, ShapeParam

from .keras_args import data_format, layer_node


def _seed() -> IntParam:
    return IntParam(name="seed", default=None, optional=True, min=0,
                    help="Random seed for the noise; the same seed gives the same random values.")


def _rate(what: str) -> FloatParam:
    return FloatParam(name="rate", min=0.0, max=1.0, max_open=True,
                      help=f"Fraction of the {what} to drop, from 0 (none) up to, not including, 1.")


def _spatial_build(class_name: str):
    """Keras's SpatialDropout layers take no ``trainable`` argument; set it afterwards."""

    def build(params: dict, name: str | None = None):
        import keras

        params = dict(params)
        trainable = params.pop("trainable", True)
        layer = getattr(keras.layers, class_name)(**params, name=name)
        layer.trainable = trainable
        return layer

    build.__qualname__ = f"build_{class_name}"
    return build


GAUSSIAN_NOISE = layer_node(
    "GaussianNoise",
    category="Regularization",
    description=(
        "During training, adds random noise drawn from a normal distribution with mean 0 "
        "and the given standard deviation to every input value. This makes the network "
        "robust to small variations of its inputs and reduces overfitting (a form of data "
        "augmentation). At prediction time the input passes through unchanged; the shape "
        "never changes."
    ),
    params=(
        FloatParam(name="stddev", min=0.0, max=1.0,
                   help="Standard deviation of the added noise, in the units of the input "
                        "(e.g. 0.1 for standardized features); Keras accepts 0 to 1."),
        _seed(),
    ),
    keywords=("noise", "regularization", "augmentation", "robustness", "overfitting"),
)

GAUSSIAN_DROPOUT = layer_node(
    "GaussianDropout",
    category="Regularization",
    description=(
        "During training, multiplies every input value by random noise centred on 1 (a "
        "normal distribution with standard deviation sqrt(rate / (1 - rate))), a smooth "
        "variant of Dropout that reduces overfitting. At prediction time the input passes "
        "through unchanged; the shape never changes."
    ),
    params=(
        FloatParam(name="rate", min=0.0, max=1.0, max_open=True,
                   help="Drop probability of the equivalent Dropout, from 0 up to, not "
                        "including, 1; sets the strength of the multiplicative noise."),
        _seed(),
    ),
    keywords=("dropout", "noise", "regularization", "overfitting"),
)

ALPHA_DROPOUT = layer_node(
    "AlphaDropout",
    category="Regularization",
    description=(
        "A Dropout for self-normalizing networks (layers with the selu activation and "
        "lecun_normal initialization): during training it sets a random fraction of values "
        "to selu's negative saturation value and rescales, so that the mean and variance "
        "of the activations are kept. Use it instead of Dropout in such networks. At "
        "prediction time the input passes through unchanged."
    ),
    params=(
        _rate("input values"),
        ShapeParam(name="noise_shape", default=None, optional=True, allow_none=True,
                   help="Shape of the drop mask including the batch axis, with 1 where the "
                        "same decision is shared along an axis (null for the input's size); "
                        "empty for independent drops."),
        _seed(),
    ),
    keywords=("dropout", "selu", "self-normalizing", "regularization", "overfitting"),
)

SPATIAL_DROPOUT_1D = layer_node(
    "SpatialDropout1D",
    category="Regularization",
    description=(
        "During training, drops whole feature channels of a sequence instead of single "
        "values: for an input of shape (batch, timesteps, channels) a dropped channel is "
        "zero at every time step, the rest are scaled up. Neighbouring time steps are "
        "strongly correlated, so ordinary Dropout regularizes them poorly; use this after "
        "Conv1D or Embedding layers. At prediction time the input passes through unchanged."
    ),
    params=(_rate("channels"), _seed()),
    keywords=("dropout", "channel dropout", "sequence", "conv1d", "regularization"),
    build=_spatial_build("SpatialDropout1D"),
)

SPATIAL_DROPOUT_2D = layer_node(
    "SpatialDropout2D",
    category="Regularization",
    description=(
        "During training, drops whole feature maps of an image instead of single pixels: "
        "for an input of shape (batch, rows, cols, channels) a dropped channel is zero "
        "everywhere, the rest are scaled up. Neighbouring pixels are strongly correlated, "
        "so ordinary Dropout regularizes convolutional layers poorly; use this after Conv2D "
        "layers. At prediction time the input passes through unchanged."
    ),
    params=(_rate("channels"), data_format(), _seed()),
    keywords=("dropout", "channel dropout", "feature map", "conv2d", "image", "regularization"),
    build=_spatial_build("SpatialDropout2D"),
)

SPATIAL_DROPOUT_3D = layer_node(
    "SpatialDropout3D",
    category="Regularization",
    description=(
        "During training, drops whole feature maps of a volume (or video) instead of single "
        "values: for an input of shape (batch, dim1, dim2, dim3, channels) a dropped channel "
        "is zero everywhere, the rest are scaled up. Use it after Conv3D layers, where "
        "ordinary Dropout regularizes poorly because neighbouring values are correlated. "
        "At prediction time the input passes through unchanged."
    ),
    params=(_rate("channels"), data_format(), _seed()),
    keywords=("dropout", "channel dropout", "volume", "video", "conv3d", "regularization"),
    build=_spatial_build("SpatialDropout3D"),
)

NODES = (GAUSSIAN_NOISE, GAUSSIAN_DROPOUT, ALPHA_DROPOUT, SPATIAL_DROPOUT_1D, SPATIAL_DROPOUT_2D,
         SPATIAL_DROPOUT_3D)

__all__ = ["NODES"]
