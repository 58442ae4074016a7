"""Image augmentation on the data side: random changes the learner applies per batch.

An augmentation node does not touch the arrays of its table: it appends a plain,
JSON-able dict such as ``{"op": "flip", "column": "image", "mode": "horizontal",
"seed": None}`` to ``Table.augmentations``.  The learner turns that tuple into one
function with :func:`build_augmenter` and maps it over the *training* batches of its
``tf.data`` pipeline, so validation data and predictions are never augmented and each
epoch sees fresh random changes.

:data:`OPS` is the one table of supported operations; the nodes in
``nodes/data/augment.py`` are declared from it.  Each op is a Keras preprocessing
layer, except ``crop`` (see :func:`_random_crop`), called with the dict's parameters
plus the op's fixed arguments.  Images stay on their 0..255 scale: they may arrive
as uint8 or float32 and always leave as float32, which is why the brightness and
contrast layers get ``value_range=(0, 255)``.

This module imports nothing heavy at import time (node modules import it);
TensorFlow and Keras are imported when an augmenter is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

VALUE_RANGE = (0, 255)
IMAGE_CHANNELS = (1, 3, 4)


@dataclass(frozen=True)
class AugmentOp:
    """One kind of augmentation.

    ``name`` is both the Keras layer class and the node's name (``data.<name>``);
    ``fixed`` are Keras arguments the data side sets itself instead of offering them
    as parameters; ``keras_layer`` is False for ops implemented here."""

    op: str
    name: str
    fixed: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    keras_layer: bool = True


def _fixed(**kwargs) -> MappingProxyType:
    return MappingProxyType(kwargs)


OPS: MappingProxyType = MappingProxyType({op.op: op for op in (
    AugmentOp("flip", "RandomFlip"),
    AugmentOp("rotation", "RandomRotation"),
    AugmentOp("zoom", "RandomZoom"),
    AugmentOp("translation", "RandomTranslation"),
    AugmentOp("crop", "RandomCrop", keras_layer=False),
    AugmentOp("contrast", "RandomContrast", _fixed(value_range=VALUE_RANGE)),
    AugmentOp("brightness", "RandomBrightness", _fixed(value_range=VALUE_RANGE)),
)})

# keys of an augmentation dict that are not arguments of its operation
_META = ("op", "column")


def describe(augmentation: dict) -> str:
    """One line for logs, e.g. ``RandomFlip(mode='horizontal') on column 'image'``."""
    op = OPS.get(augmentation.get("op"))
    name = op.name if op is not None else repr(augmentation.get("op"))
    args = ", ".join(f"{k}={v!r}" for k, v in augmentation.items() if k not in _META and v is not None)
    return f"{name}({args}) on column {augmentation.get('column')!r}"


def _op_of(augmentation: dict) -> AugmentOp:
    op = OPS.get(augmentation.get("op"))
    if op is None:
        raise ValueError(f"augmentation op: expected one of {', '.join(OPS)}, got {augmentation.get('op')!r}")
    return op


def _arguments(augmentation: dict, seed) -> dict:
    """The op's keyword arguments: [lower, upper] lists become the tuples Keras documents."""
    args = {k: tuple(v) if isinstance(v, list) else v for k, v in augmentation.items() if k not in _META}
    args["seed"] = seed
    return args


def _random_crop(args: dict):
    """Cut a random ``height`` x ``width`` window out of each image and resize it back.

    Keras's RandomCrop returns the smaller window (the network's input would change
    shape between training and prediction) and cuts the same window out of every
    image of a batch; this crops each image at its own place and keeps the size, in
    one ``tf.image.crop_and_resize``."""
    import keras
    import tensorflow as tf

    crop_h, crop_w = args["height"], args["width"]
    method = args.get("interpolation", "bilinear")
    generator = keras.random.SeedGenerator(args.get("seed"))

    def crop(images):
        height, width = images.shape[1], images.shape[2]
        if height is None or width is None:
            raise ValueError(f"RandomCrop needs images of known height and width, got shape {images.shape}")
        ch, cw = min(crop_h, height), min(crop_w, width)
        n = tf.shape(images)[0]
        u = keras.random.uniform((n, 2), seed=generator)
        top = tf.minimum(tf.floor(u[:, 0] * (height - ch + 1)), height - ch)
        left = tf.minimum(tf.floor(u[:, 1] * (width - cw + 1)), width - cw)
        # normalized box corners: 0 is the first pixel row/column, 1 the last one
        sy, sx = 1.0 / max(height - 1, 1), 1.0 / max(width - 1, 1)
        boxes = tf.stack([top * sy, left * sx, (top + ch - 1) * sy, (left + cw - 1) * sx], axis=1)
        return tf.image.crop_and_resize(images, boxes, tf.range(n), (height, width), method=method)

    return crop


def _build_step(augmentation: dict, seed):
    """The function one augmentation applies to a float32 image batch."""
    op = _op_of(augmentation)
    args = _arguments(augmentation, seed)
    if not op.keras_layer:
        return _random_crop(args)
    import keras

    # float32 whatever the global dtype policy (mixed precision would give float16)
    layer = getattr(keras.layers, op.name)(**args, **op.fixed, dtype="float32")
    return lambda images: layer(images, training=True)


def _seed_for(augmentation: dict, seed, index: int):
    """The augmentation's own seed, else one derived from the run's (distinct per op)."""
    own = augmentation.get("seed")
    if own is not None:
        return own
    return None if seed is None else seed + index


def build_augmenter(augmentations, seed=None):
    """A function ``apply(columns) -> columns`` for ``tf.data.Dataset.map`` over batches.

    ``columns`` maps column names to tensors whose first axis is the batch; the
    augmented image columns come back as float32 on their original 0..255 scale, the
    others unchanged.  Ops run in the order given.  ``seed`` (the run's seed) makes
    the sequence of random changes repeatable; an augmentation's own ``seed`` takes
    precedence.  The random state lives in Keras seed generators that advance with
    every call, so a seeded run repeats only when the batches are mapped one after
    the other (``num_parallel_calls=None``); parallel calls draw in a racing order.  With no augmentations the
    function returns its input and TensorFlow is not imported."""
    augmentations = tuple(augmentations)
    if not augmentations:
        return lambda columns: columns
    import tensorflow as tf

    steps = [(aug["column"], _build_step(aug, _seed_for(aug, seed, i)))
             for i, aug in enumerate(augmentations)]

    def apply(columns):
        out = dict(columns)
        for column, step in steps:
            if column not in out:
                raise KeyError(f"augmentation column: expected one of {', '.join(out)}, got {column!r}")
            images = tf.cast(out[column], tf.float32)
            if images.shape.rank != 4:
                raise ValueError(f"augmentation column: expected a batch of images (batch, height, width, "
                                 f"channels) in column {column!r}, got shape {images.shape}")
            out[column] = step(images)
        return out

    return apply
