"""Image augmentation on the data side: random flips, rotations, zooms, crops, ...

Each node appends one augmentation (a plain dict, see :mod:`nodeflow.runtime.augment`)
to its table and leaves the arrays alone; the Keras Network Learner applies the chain
per training batch.  The nodes are declared from the runtime's :data:`OPS` table, and
their parameters are the ones of the matching Keras preprocessing layer node, so a
RandomFlip has the same options and defaults in both places.  Arguments that make no
sense on this side are left out: ``data_format`` (tables are channels_last),
``value_range`` (images stay on the 0..255 scale), ``trainable`` (nothing to train) and
``shares_weights_with`` (no layer to share);
``seed`` is replaced by one that falls back to the learner's seed.
"""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import ColumnsParam, IntParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec
from nodeflow.runtime.augment import IMAGE_CHANNELS, OPS

from ..layers import preprocessing as layer_nodes
from ..layers.preprocessing import INTERPOLATION, RangeParam
from ._common import TABLE_IN, any_table, column_kind, require_columns, single_column

CATEGORY = "Data/Augmentation"
OMITTED = ("data_format", "seed", "trainable", "shares_weights_with")  # plus each op's fixed Keras arguments

DATA_SIDE = (
    " Applied per batch while the Keras Network Learner trains, with fresh random changes "
    "every epoch; never to validation data or predictions. The table's arrays are unchanged: "
    "the node only records the augmentation, so it costs no memory. Images keep their size "
    "and their 0..255 scale (uint8 images become float32); brightness and contrast assume "
    "that scale and clip to it. KNIME and Keras users know this "
    "as a Keras preprocessing layer, which can also go inside the network (Layers/"
    "Preprocessing); on the data side it runs in the input pipeline, next to decoding."
)

WHAT = {
    "flip": ("Mirrors each image at random (with probability 1/2) left-right, upside down, or "
             "both. Only use the flips that keep the meaning of your images (digits should not "
             "be mirrored)."),
    "rotation": "Rotates each image by a random angle, so the network learns to recognise "
                "objects whatever their tilt.",
    "zoom": "Zooms each image in or out by a random amount about its centre, so the network "
            "learns to recognise objects at different sizes.",
    "translation": "Shifts each image up/down and left/right by a random amount, so the network "
                   "does not depend on where in the picture an object is.",
    "crop": ("Cuts a height x width window at a random place out of each image and resizes it "
             "back to the image's size, so the network sees random close-ups. Unlike Keras's "
             "RandomCrop layer, which returns the smaller window and cuts the whole batch at "
             "one place, every image gets its own window and the size never changes."),
    "contrast": ("Changes the contrast of each image by a random factor, per channel (each "
                 "pixel x becomes (x - mean) * factor + mean, clipped to 0..255), so the network "
                 "copes with lighting differences."),
    "brightness": ("Adds a random amount to every pixel of each image (the same for all its "
                   "pixels, clipped to 0..255), so the network copes with darker and brighter "
                   "pictures."),
}

KEYWORDS = {
    "flip": ("flip", "mirror"),
    "rotation": ("rotate", "rotation", "tilt"),
    "zoom": ("zoom", "scale", "magnify"),
    "translation": ("translate", "shift", "move"),
    "crop": ("crop", "cut", "close-up", "window"),
    "contrast": ("contrast", "lighting"),
    "brightness": ("brightness", "lighting", "light", "dark"),
}

# parameters of the ops that have no layer node to borrow them from
OWN_PARAMS = {
    "crop": (
        IntParam(name="height", min=1,
                 help="Height of the cut-out window in pixels; at most the image height. The "
                      "window is then resized back to the full height."),
        IntParam(name="width", min=1,
                 help="Width of the cut-out window in pixels; at most the image width. The "
                      "window is then resized back to the full width."),
        INTERPOLATION,
    ),
    "brightness": (
        RangeParam(name="factor", min=-1.0, max=1.0,
                   help="Brightness change as a fraction of the 0..255 range: 0.2 adds between "
                        "-51 and +51 to every pixel, [-0.3, 0.1] between -77 and +26 (darker "
                        "more often than brighter)."),
    ),
}

COLUMN = ColumnsParam(
    name="column", default=["image"], min_count=1, max_count=1,
    help="The image column to augment: its rows must be images (height, width, channels) with "
         "1, 3 or 4 channels, such as the image column of the Image Folder Reader.")
SEED = IntParam(
    name="seed", default=None, optional=True, min=0,
    help="Random seed; the same seed gives the same sequence of random changes. Empty uses "
         "the learner's seed when it has one, else fresh randomness every run.")


def _layer_params(op) -> tuple:
    """The Keras layer node's parameters for ``op``, or this module's own ones."""
    if op.op in OWN_PARAMS:
        return OWN_PARAMS[op.op]
    layer = next(s for s in layer_nodes.NODES if s.type_id == f"keras.layers.{op.name}")
    return tuple(p for p in layer.params if p.name not in OMITTED and p.name not in op.fixed)


def image_column(table, params, param: str = "column") -> str:
    """The one column ``param`` names, checked to hold images (rows, h, w, 1 | 3 | 4) from the
    column's type alone, so a file-backed table is not read."""
    column = single_column(params, param)
    require_columns(table, [column], param)
    dtype, row_shape = table.column_info(column)
    if len(row_shape) != 3 or row_shape[2] not in IMAGE_CHANNELS or dtype.kind not in "uif":
        raise NodeRunError(f"{param}: expected an image column of shape (rows, height, width, channels) "
                           f"with 1, 3 or 4 channels, column {column!r} holds {column_kind(table, column)}")
    return column


def _check_window(table, column: str, params) -> None:
    """A crop window must fit into the image."""
    _, (height, width, _) = table.column_info(column)
    for name, size in (("height", height), ("width", width)):
        if params[name] > size:
            raise NodeRunError(f"{name}: expected at most {size} (the image {name} of column "
                               f"{column!r}), got {params[name]}")


def _runner(op, names: tuple[str, ...]):
    def run(context, inputs, params):
        table = any_table(inputs)  # a file-backed table stays on disk: nothing is read here
        column = image_column(table, params)
        if op.op == "crop":
            _check_window(table, column, params)
        augmentation = {"op": op.op, "column": column, **{n: params[n] for n in names}}
        return {"table": table.with_augmentations(tuple(table.augmentations) + (augmentation,))}

    run.__qualname__ = f"run_{op.name}"
    return run


def _spec(op) -> NodeSpec:
    params = (COLUMN, *_layer_params(op), SEED)
    words = " ".join(op.name[len("Random"):].lower().split())
    return NodeSpec(
        type_id=f"data.{op.name}",
        display_name=f"Random {op.name[len('Random'):]}",
        category=CATEGORY,
        family="data",
        id_prefix=f"augment_{words}",
        description="Data augmentation: " + WHAT[op.op] + DATA_SIDE,
        inputs=(TABLE_IN,),
        outputs=(Port("table", "table", "The same table, with this augmentation added to those the "
                                        "learner applies while training."),),
        params=params,
        keywords=("augmentation", "augment", "random", "image", "training", *KEYWORDS[op.op]),
        run=_runner(op, tuple(p.name for p in params if p.name != "column")),
    )


NODES = tuple(_spec(op) for op in OPS.values())
