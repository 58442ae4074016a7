"""Pooling layers: max and average pooling over windows or over the whole input.

Like the convolution module, the 1D, 2D and 3D variants come from one table per
family; the rank supplies the axis names and the lengths of the size parameters.
"""

from __future__ import annotations

from nodeflow.core.params import REQUIRED, BoolParam, ChoiceParam, Param, ShapeParam
from nodeflow.core.spec import NodeSpec

from .convolution import RANKS, Rank
from .keras_args import data_format, layer_node, size_param

CATEGORY = "Pooling"

# per kind of pooling: what it computes, the Keras default pool size (None: required), keywords
POOLS = {
    "Max": ("the maximum", 2, ("max pool", "maxpool", "max")),
    "Average": ("the average", None, ("average pool", "avg pool", "mean pool", "mean", "average")),
}

# what each variant is used for, by (kind, rank)
POOL_USES = {
    ("Max", 1): "Max pooling keeps the strongest response of every feature in each window, so "
                "a motif is still found when it shifts by a few steps; use it between Conv1D "
                "blocks on time series, audio or text.",
    ("Max", 2): "Max pooling keeps the strongest response of every feature in each window, so "
                "the network becomes tolerant to small shifts of a pattern; it is the usual way "
                "to downsample between Conv2D blocks (VGG, ResNet's stem).",
    ("Max", 3): "Max pooling keeps the strongest response of every feature in each window; use "
                "it between Conv3D blocks on volumes or video clips to cut the cost of the "
                "following layers.",
    ("Average", 1): "Average pooling smooths a sequence rather than picking the strongest "
                    "value, e.g. to shorten a noisy sensor signal between Conv1D blocks.",
    ("Average", 2): "Average pooling smooths rather than picks the strongest value; DenseNet "
                    "uses it between its blocks, and with strides 1 and padding \"same\" it "
                    "blurs features without changing the size (InceptionV3).",
    ("Average", 3): "Average pooling smooths rather than picks the strongest value; use it to "
                    "downsample volumes or video clips between Conv3D blocks.",
}

GLOBAL_POOLS = {
    "Max": ("the maximum", ("max", "max pool")),
    "Average": ("the average", ("average", "mean", "gap", "avg pool")),
}

GLOBAL_USES = {
    ("Max", 1): "It answers \"does this motif occur anywhere in the sequence?\", which suits "
                "text classification with Conv1D filters over word embeddings.",
    ("Max", 2): "It answers \"is this feature present anywhere in the image?\", which suits "
                "detecting objects whatever their position.",
    ("Max", 3): "It answers \"is this feature present anywhere in the volume?\", e.g. a lesion "
                "in a scan whatever its position.",
    ("Average", 1): "It is a simple way to get one vector per sequence, e.g. averaging word "
                    "embeddings into a sentence vector or ending a Conv1D time-series "
                    "classifier.",
    ("Average", 2): "It is the standard head of ResNet, MobileNet, EfficientNet and DenseNet: "
                    "the last convolution block, then GlobalAveragePooling2D, then a Dense "
                    "classifier.",
    ("Average", 3): "It ends 3D convolutional classifiers of scans or video clips, before the "
                    "Dense layers.",
}

_WHOLE = {1: "the whole sequence (all steps)", 2: "the whole image (all positions)",
          3: "the whole volume (all positions)"}


def _pool_sizes_help(rank: Rank, what: str, extra: str) -> str:
    if rank.n == 1:
        return f"{what}: an integer (or a list of one integer).{extra}"
    return (f"{what}: one integer for every axis, or a list of {rank.n} integers "
            f"{rank.axes_list}.{extra}")


def _pooling(kind: str, rank: Rank) -> NodeSpec:
    computes, default_size, keywords = POOLS[kind]
    if default_size is None:
        default = REQUIRED
    else:
        default = default_size if rank.n == 1 else rank.sizes(default_size)
    params: tuple[Param, ...] = (
        size_param("pool_size", rank.n, _pool_sizes_help(
            rank, "Size of the pooling window",
            {1: " 2 is usual and halves the number of steps.",
             2: " 2 (a 2x2 window) is usual and halves the height and width.",
             3: " 2 (a 2x2x2 window) is usual and halves every spatial size."}[rank.n]),
            default=default),
        ShapeParam(name="strides", default=None, optional=True, allow_int=True,
                   min_len=rank.n, max_len=rank.n,
                   help=_pool_sizes_help(
                       rank, "Step by which the window moves",
                       " Empty means the same as pool_size, so the windows do not overlap.")),
        ChoiceParam(name="padding", default="valid", options=("valid", "same"),
                    help='"valid": windows lie wholly inside the input and leftover border '
                         'values are dropped, so sizes are rounded down; "same": the input is '
                         "padded so every size becomes input / stride, rounded up."),
        data_format(),
    )
    return layer_node(
        f"{kind}Pooling{rank.tag}",
        category=CATEGORY,
        description=(
            f"Downsamples {rank.data_plural} by sliding a window of pool_size along the "
            f"{rank.axes_text} and keeping {computes} of each window, channel by channel; it "
            "has no weights. "
            f"Expects input of shape {rank.shape()} (or {rank.shape_first()} with data_format "
            f"\"channels_first\") and produces {rank.shape('channels', rank.new_axes())}: with "
            "the default strides (equal to pool_size) "
            + ("the number of steps is" if rank.n == 1 else f"the {rank.axes_text} are")
            + " divided by the pool size, the number of channels stays the same. "
            + POOL_USES[kind, rank.n]),
        params=params,
        keywords=("pooling", "downsampling", "subsampling", "reduce", rank.data) + keywords,
    )


def _global_pooling(kind: str, rank: Rank) -> NodeSpec:
    computes, keywords = GLOBAL_POOLS[kind]
    ones = ", ".join(["1"] * rank.n)
    pooled = f"{rank.axes_text} {'axis' if rank.n == 1 else 'axes'}"
    return layer_node(
        f"Global{kind}Pooling{rank.tag}",
        category=CATEGORY,
        description=(
            f"Takes {computes} of every channel over {_WHOLE[rank.n]}, turning input of shape "
            f"{rank.shape()} into (batch, channels) (or (batch, {ones}, channels) with "
            "keepdims). Placed after the last convolution, it replaces Flatten before the "
            "Dense layers of a classifier with far fewer weights, and lets the network accept "
            f"{rank.data_plural} of any {'length' if rank.n == 1 else 'size'}. "
            + GLOBAL_USES[kind, rank.n]),
        params=(
            data_format(),
            BoolParam(name="keepdims", default=False,
                      help=f"Keep the pooled {pooled} with size 1, giving "
                           f"(batch, {ones}, channels) instead of (batch, channels), e.g. to "
                           "follow it with a 1x1 convolution or to multiply it back onto the "
                           "input (squeeze-and-excitation)."),
        ),
        keywords=("global pooling", "pooling", "flatten", "classifier head", "reduce",
                  rank.data) + keywords,
    )


POOLING_NODES = tuple(_pooling(kind, r) for kind in POOLS for r in RANKS)
GLOBAL_POOLING_NODES = tuple(_global_pooling(kind, r) for kind in GLOBAL_POOLS for r in RANKS)

NODES = POOLING_NODES + GLOBAL_POOLING_NODES

__all__ = ["NODES"]
