"""Image columns decoded from files on the fly.

An :class:`ImageColumn` is how a file-backed table holds images: the files' paths in
a hidden column, plus how to turn a file into a ``(height, width, channels)`` uint8
array.  Decoding happens where the rows are consumed: inside a ``tf.data`` pipeline in
parallel (:func:`tf_decoder`, the same decode and resize Keras's
``image_dataset_from_directory`` uses), or with Pillow for a page of a port view in the
editor, which never imports TensorFlow (:func:`decode_with_pillow`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nodeflow.core.errors import NodeRunError

if TYPE_CHECKING:
    import numpy as np

INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest", "bicubic": "bicubic", "lanczos": "lanczos3"}


@dataclass(frozen=True)
class ImageColumn:
    root: str  # the folder the paths are relative to
    source: str  # the hidden stored column holding the paths
    height: int
    width: int
    channels: int  # 1 (grayscale) or 3 (rgb)
    interpolation: str = "bilinear"

    @property
    def row_shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, self.channels)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "ImageColumn":
        return cls(**data)

    def file(self, relative: str) -> Path:
        return Path(self.root) / relative


def tf_decoder(column: ImageColumn):
    """A TF function: a path tensor (scalar string) -> a uint8 image of the column's shape.

    Decoding and resizing are those of ``keras.utils.image_dataset_from_directory``
    (``tf.io.decode_image`` then ``tf.image.resize`` without antialiasing); an image that
    already has the target size is not resampled.  The result is rounded back to uint8,
    so a pipeline moves a quarter of the bytes float32 would need until the model."""
    import tensorflow as tf

    size = (column.height, column.width)
    method = INTERPOLATIONS[column.interpolation]
    root = tf.constant(str(Path(column.root)) + "/")

    def decode(path):
        data = tf.io.read_file(tf.strings.join([root, path]))
        image = tf.io.decode_image(data, channels=column.channels, expand_animations=False,
                                   dtype=tf.uint8)
        image.set_shape((None, None, column.channels))
        shape = tf.shape(image)
        same = tf.logical_and(tf.equal(shape[0], size[0]), tf.equal(shape[1], size[1]))

        def resized():
            out = tf.image.resize(image, size, method=method)
            return tf.cast(tf.clip_by_value(tf.round(out), 0, 255), tf.uint8)

        image = tf.cond(same, lambda: tf.reshape(image, (*size, column.channels)), resized)
        image.set_shape((*size, column.channels))
        return image

    return decode


def decode_with_pillow(column: ImageColumn, paths) -> np.ndarray:
    """Decode a few files with Pillow (``(n, h, w, c)`` uint8), e.g. a page of a port view."""
    import numpy as np
    from PIL import Image

    resample = {"bilinear": Image.Resampling.BILINEAR, "nearest": Image.Resampling.NEAREST,
                "bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS}[
        column.interpolation]
    mode = "L" if column.channels == 1 else "RGB"
    out = np.zeros((len(paths), *column.row_shape), np.uint8)
    for i, relative in enumerate(paths):
        try:
            with Image.open(column.file(relative)) as img:
                img = img.convert(mode)
                if img.size != (column.width, column.height):
                    img = img.resize((column.width, column.height), resample)
                out[i] = np.asarray(img, np.uint8).reshape(column.row_shape)
        except (OSError, ValueError):
            pass  # a view shows a black square; the run reports the file
    return out


def first_unreadable(column: ImageColumn, paths) -> str | None:
    """The first of ``paths`` that Pillow cannot read as an image (for an error message)."""
    from PIL import Image

    for relative in paths:
        try:
            with Image.open(column.file(relative)) as img:
                img.verify()
        except Exception:  # noqa: BLE001 - any failure means "not an image we can read"
            return str(column.file(relative))
    return None


def decode_error(column: ImageColumn, paths, exc: Exception, port: str = "table") -> NodeRunError:
    """A clear error for a pipeline that failed to decode: names the first bad file."""
    bad = first_unreadable(column, paths)
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    if bad:
        return NodeRunError(f"{port}: cannot read {bad} as an image ({detail})")
    return NodeRunError(f"{port}: an image of {column.root} could not be decoded ({detail})")


def decode_images(column: ImageColumn, paths) -> np.ndarray:
    """Decode every file of ``paths`` into one ``(n, h, w, c)`` uint8 array, in parallel
    with the same ``tf.data`` decoder the learner uses (for nodes that need all rows)."""
    import numpy as np
    import tensorflow as tf

    out = np.empty((len(paths), *column.row_shape), np.uint8)
    data = tf.data.Dataset.from_tensor_slices(np.asarray(paths, dtype=object).astype(str)) \
        .map(tf_decoder(column), num_parallel_calls=tf.data.AUTOTUNE).batch(256) \
        .prefetch(tf.data.AUTOTUNE)
    start = 0
    try:
        for batch in data.as_numpy_iterator():
            out[start:start + len(batch)] = batch
            start += len(batch)
    except tf.errors.OpError as exc:
        raise decode_error(column, paths, exc) from None
    return out
