"""Image preprocessing and augmentation layers.

Resizing and CenterCrop change every image the same way; the Random* layers
(data augmentation) change each image differently, and only during training.
Their factor parameters take a number or a ``[lower, upper]`` pair, which the
node passes to Keras as a tuple.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nodeflow.core.params import BoolParam, ChoiceParam, FloatParam, IntParam, NumbersParam
from nodeflow.core.ports import Port

from .keras_args import data_format, layer_node

CATEGORY = "Preprocessing"

IMAGES_IN = Port("input", "network",
                 "The images, shaped (batch, height, width, channels) with channels_last "
                 "(channels first with data_format channels_first).")
IMAGES_OUT = Port("output", "network", "The processed images.")


def _is_number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and (not isinstance(value, float) or math.isfinite(value)))


@dataclass(frozen=True, kw_only=True)
class RangeParam(NumbersParam):
    """A number or a ``[lower, upper]`` pair (``allow_scalar=False``: only the pair), each
    number within ``min``/``max`` (``min_open``: strictly above ``min``)."""

    min: float | None = None
    max: float | None = None
    min_open: bool = False
    min_len: int = 2

    def _in_range(self, v) -> bool:
        return (_is_number(v)
                and (self.min is None or (v > self.min if self.min_open else v >= self.min))
                and (self.max is None or v <= self.max))

    def _accepts(self, value):
        if self.allow_scalar and _is_number(value):
            return self._in_range(value)
        return (isinstance(value, list) and len(value) == 2 and all(map(self._in_range, value))
                and value[0] <= value[1])

    def _bounds(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"{'>' if self.min_open else '>='} {self.min}")
        if self.max is not None:
            parts.append(f"<= {self.max}")
        return " and ".join(parts)

    def _expected(self):
        text = ("a number or " if self.allow_scalar else "") + "a [lower, upper] pair of numbers"
        bounds = self._bounds()
        return f"{text}, each {bounds}" if bounds else text

    def _type_extra(self):
        text = "(number or [lower, upper] pair)" if self.allow_scalar else "([lower, upper] pair)"
        bounds = self._bounds()
        return f"{text}, each {bounds}" if bounds else text

    def _describe_extra(self):
        return {"min": self.min, "max": self.max, "min_open": self.min_open, "pair": True}


def _tuple_build(class_name: str):
    """Build the layer with [lower, upper] lists passed as the tuples Keras documents."""

    def build(params: dict, name: str | None = None):
        import keras

        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
        return getattr(keras.layers, class_name)(**kwargs, name=name)

    build.__qualname__ = f"build_{class_name}"
    return build


def _export_tuples(node_id, spec, params, inputs, ctx):
    """Python export writing [lower, upper] pairs as tuples, as the Keras documentation does."""
    pairs = [p.name for p in spec.params
             if isinstance(p, RangeParam) and isinstance(params.get(p.name), list)]
    args = ctx.kwargs(spec, params, skip=tuple(pairs))
    args += [f"{n}={tuple(params[n])!r}" for n in pairs if not spec.param(n).is_default(params[n])]
    layer = f"keras.layers.{spec.target}({', '.join(args + [f'name={node_id!r}'])})"
    return [f"{node_id} = {layer}({inputs['input']})"], node_id


# --------------------------------------------------------------------------- shared parameters
def _seed() -> IntParam:
    return IntParam(name="seed", default=None, optional=True, min=0,
                    help="Random seed; the same seed gives the same sequence of random changes.")


FILL_MODE = ChoiceParam(
    name="fill_mode", default="reflect", options=("reflect", "wrap", "constant", "nearest"),
    help="How the area uncovered by the transformation is filled: reflect mirrors the image at "
         "its edge (d c b a | a b c d), wrap repeats it from the opposite edge, constant uses "
         "fill_value, nearest repeats the edge pixel.")
INTERPOLATION = ChoiceParam(
    name="interpolation", default="bilinear", options=("nearest", "bilinear"),
    help="How pixel values between grid points are computed: bilinear blends the four nearest "
         "pixels (smooth), nearest takes the closest one (keeps exact values, e.g. for masks).")
FILL_VALUE = FloatParam(name="fill_value", default=0.0,
                        help="The value the uncovered area gets when fill_mode is constant.")

_TRAINING_ONLY = (
    "Like every random augmentation layer it acts only during training; when the model "
    "evaluates or predicts, images pass through unchanged. ")
_IMAGE_SHAPES = (
    "Input: images (batch, height, width, channels) with channels_last; the output has the same "
    "shape.")


# --------------------------------------------------------------------------- resizing, cropping
RESIZING = layer_node(
    "Resizing",
    category=CATEGORY,
    description=(
        "Resizes images to a fixed height and width, e.g. to feed photos of any size to a network "
        "that expects 224 x 224. By default the aspect ratio is not kept (images are stretched); "
        "crop_to_aspect_ratio or pad_to_aspect_ratio avoid the distortion. Acts the same way "
        "during training and prediction. Input: (batch, height, width, channels) with "
        "channels_last; output: (batch, height, width, channels) with the new height and width."
    ),
    params=(
        IntParam(name="height", min=1, help="Height of the output images, in pixels."),
        IntParam(name="width", min=1, help="Width of the output images, in pixels."),
        ChoiceParam(name="interpolation", default="bilinear",
                    options=("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"),
                    help="How new pixels are computed: bilinear blends neighbours (the usual "
                         "choice), nearest copies the closest pixel (for masks and labels), "
                         "bicubic and lanczos are sharper but slower, area averages (good for "
                         "shrinking)."),
        BoolParam(name="crop_to_aspect_ratio", default=False,
                  help="Crop the image to the target aspect ratio (largest centred window) "
                       "before resizing, so nothing is distorted."),
        BoolParam(name="pad_to_aspect_ratio", default=False,
                  help="Pad the short side to the target aspect ratio before resizing, so "
                       "nothing is distorted or cut off; not together with cropping."),
        ChoiceParam(name="fill_mode", default="constant", options=("constant",),
                    help="How the padding of pad_to_aspect_ratio is filled; only constant "
                         "(fill_value) is supported."),
        FloatParam(name="fill_value", default=0.0,
                   help="The value padded areas get when pad_to_aspect_ratio is on."),
        BoolParam(name="antialias", default=False,
                  help="Smooth the image before shrinking it, which avoids jagged edges and "
                       "moire patterns."),
        data_format(),
    ),
    inputs=(IMAGES_IN,),
    outputs=(IMAGES_OUT,),
    keywords=("resize", "scale", "image size", "rescale image", "downsample", "upsample"),
)

CENTER_CROP = layer_node(
    "CenterCrop",
    category=CATEGORY,
    description=(
        "Cuts the central height x width window out of each image, e.g. to remove borders or to "
        "bring images to the size a network expects. Images smaller than the target are resized "
        "up to it instead. Acts the same way during training and prediction. Input: (batch, "
        "height, width, channels) with channels_last; output: (batch, height, width, channels) "
        "with the new height and width."
    ),
    params=(
        IntParam(name="height", min=1, help="Height of the cropped images, in pixels."),
        IntParam(name="width", min=1, help="Width of the cropped images, in pixels."),
        data_format(),
    ),
    inputs=(IMAGES_IN,),
    outputs=(IMAGES_OUT,),
    keywords=("crop", "center", "centre crop", "image size", "cut"),
)

# --------------------------------------------------------------------------- random augmentation
RANDOM_FLIP = layer_node(
    "RandomFlip",
    category=CATEGORY,
    description=(
        "Data augmentation: mirrors each image at random (with probability 1/2) left-right, "
        "upside down, or both, so the network sees more varied examples and overfits less. "
        "Only use the flips that keep the meaning of your images (digits should not be "
        "mirrored). " + _TRAINING_ONLY + _IMAGE_SHAPES
    ),
    params=(
        ChoiceParam(name="mode", default="horizontal_and_vertical",
                    options=("horizontal", "vertical", "horizontal_and_vertical"),
                    help="Which flips: horizontal mirrors left-right, vertical upside down, "
                         "horizontal_and_vertical may do either or both."),
        _seed(),
        data_format(),
    ),
    inputs=(IMAGES_IN,),
    outputs=(IMAGES_OUT,),
    keywords=("augmentation", "flip", "mirror", "image", "random"),
)

RANDOM_ROTATION = layer_node(
    "RandomRotation",
    category=CATEGORY,
    description=(
        "Data augmentation: rotates each image by a random angle, so the network learns to "
        "recognise objects whatever their tilt. " + _TRAINING_ONLY + _IMAGE_SHAPES
    ),
    params=(
        RangeParam(name="factor", min=-1.0, max=1.0,
                   help="Rotation range as a fraction of a full turn: 0.1 rotates by up to 36 "
                        "degrees either way, [-0.05, 0.1] between 18 degrees clockwise and 36 "
                        "counter-clockwise (positive is counter-clockwise)."),
        FILL_MODE,
        INTERPOLATION,
        _seed(),
        FILL_VALUE,
        data_format(),
    ),
    inputs=(IMAGES_IN,),
    outputs=(IMAGES_OUT,),
    keywords=("augmentation", "rotate", "rotation", "tilt", "image", "random"),
    build=_tuple_build("RandomRotation"),
    export_code=_export_tuples,
)

RANDOM_ZOOM = layer_node(
    "RandomZoom",
    category=CATEGORY,
    description=(
        "Data augmentation: zooms each image in or out by a random amount, so the network "
        "learns to recognise objects at different sizes. " + _TRAINING_ONLY + _IMAGE_SHAPES
    ),
    params=(
        RangeParam(name="height_factor", min=-1.0, min_open=True, max=1.0,
                   help="Vertical zoom range as a fraction of the height: positive zooms out, "
                        "negative zooms in; 0.2 means anywhere between 20% in and 20% out, "
                        "[-0.3, -0.1] between 30% and 10% in."),
        RangeParam(name="width_factor", default=None, optional=True, min=-1.0, min_open=True,
                   max=1.0,
                   help="Horizontal zoom range, in the same form as height_factor; empty zooms "
                        "both axes by the same amount (keeps the aspect ratio)."),
        FILL_MODE,
        INTERPOLATION,
        _seed(),
        FILL_VALUE,
        data_format(),
    ),
    inputs=(IMAGES_IN,),
    outputs=(IMAGES_OUT,),
    keywords=("augmentation", "zoom", "scale", "magnify", "image", "random"),
    build=_tuple_build("RandomZoom"),
    export_code=_export_tuples,
)

RANDOM_TRANSLATION = layer_node(
    "RandomTranslation",
    category=CATEGORY,
    description=(
        "Data augmentation: shifts each image up/down and left/right by a random amount, so the "
        "network does not depend on where in the picture an object is. " + _TRAINING_ONLY +
        _IMAGE_SHAPES
    ),
    params=(
        RangeParam(name="height_factor", min=-1.0, max=1.0,
                   help="Vertical shift range as a fraction of the height: negative shifts up, "
                        "positive down; 0.1 means up to 10% either way, [-0.2, 0.3] between 20% "
                        "up and 30% down."),
        RangeParam(name="width_factor", min=-1.0, max=1.0,
                   help="Horizontal shift range as a fraction of the width: negative shifts "
                        "left, positive right; 0.1 means up to 10% either way."),
        FILL_MODE,
        INTERPOLATION,
        _seed(),
        FILL_VALUE,
        data_format(),
    ),
    inputs=(IMAGES_IN,),
    outputs=(IMAGES_OUT,),
    keywords=("augmentation", "translate", "shift", "move", "image", "random"),
    build=_tuple_build("RandomTranslation"),
    export_code=_export_tuples,
)

RANDOM_CONTRAST = layer_node(
    "RandomContrast",
    category=CATEGORY,
    description=(
        "Data augmentation: changes the contrast of each image by a random factor, per channel "
        "(each pixel x becomes (x - mean) * factor + mean), so the network copes with lighting "
        "differences. " + _TRAINING_ONLY + _IMAGE_SHAPES
    ),
    params=(
        RangeParam(name="factor", min=0.0, max=1.0,
                   help="Contrast range: a pair [lower, upper] picks factors between 1 - lower "
                        "and 1 + upper, e.g. [0.2, 0.2] between 0.8 and 1.2. Careful: in Keras "
                        "3 a single number f only raises contrast (factors between 1 and 1 + f)."),
        RangeParam(name="value_range", default=[0, 255], allow_scalar=False,
                   help="The range pixel values lie in, as [low, high]: [0, 255] for raw images, "
                        "[0, 1] after rescaling; results are clipped to it."),
        _seed(),
    ),
    inputs=(IMAGES_IN,),
    outputs=(IMAGES_OUT,),
    keywords=("augmentation", "contrast", "brightness", "lighting", "color", "image", "random"),
    build=_tuple_build("RandomContrast"),
    export_code=_export_tuples,
)

NODES = (RESIZING, CENTER_CROP, RANDOM_FLIP, RANDOM_ROTATION, RANDOM_ZOOM, RANDOM_TRANSLATION,
         RANDOM_CONTRAST)

__all__ = ["NODES"]
