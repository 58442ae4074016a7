"""Convolution layers and their companions: cropping, up-sampling and zero padding.

Each family (Conv, SeparableConv, DepthwiseConv, ConvTranspose, Cropping,
UpSampling, ZeroPadding) exists for one, two or three spatial axes.  The node
types are generated from one table per family: the rank decides the axis names
in the descriptions and the lengths of the size parameters, the table adds what
is particular to each node (what it is used for, extra options).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nodeflow.core.params import BoolParam, ChoiceParam, IntParam, Param, ShapeParam
from nodeflow.core.spec import NodeSpec

from .keras_args import (
    activation,
    constraint,
    data_format,
    initializer,
    layer_node,
    padding,
    regularizer,
    size_param,
)

CATEGORY = "Convolution"


# -- the three ranks ------------------------------------------------------------------
@dataclass(frozen=True)
class Rank:
    """What differs between the 1D, 2D and 3D variants of a layer."""

    n: int
    axes: tuple[str, ...]  # names of the spatial axes, in order
    data: str  # what such tensors usually hold
    data_plural: str

    @property
    def tag(self) -> str:
        return f"{self.n}D"

    @property
    def axes_text(self) -> str:
        """``"height and width"``."""
        return self.axes[0] if self.n == 1 else ", ".join(self.axes[:-1]) + " and " + self.axes[-1]

    @property
    def axes_list(self) -> str:
        """``"(height, width)"`` - the order of a size list."""
        return "(" + ", ".join(self.axes) + ")"

    def shape(self, last: str = "channels", axes: tuple[str, ...] | None = None) -> str:
        """The channels_last shape of a batch, e.g. ``(batch, height, width, channels)``."""
        return "(batch, " + ", ".join(axes or self.axes) + f", {last})"

    def shape_first(self, first: str = "channels") -> str:
        """The same in channels_first order."""
        return f"(batch, {first}, " + ", ".join(self.axes) + ")"

    def new_axes(self, prefix: str = "new_") -> tuple[str, ...]:
        return tuple(prefix + a for a in self.axes)

    def sizes(self, value: int):
        """A default such as ``2`` (1D) or ``[2, 2]`` written as Keras writes it."""
        return [value] * self.n


R1 = Rank(1, ("steps",), "sequence", "sequences")
R2 = Rank(2, ("height", "width"), "image", "images")
R3 = Rank(3, ("depth", "height", "width"), "volume", "volumes")
RANKS = (R1, R2, R3)


def _tuple_default(rank: Rank, value: int):
    """Keras writes 1D sizes as a bare int and 2D/3D sizes as tuples."""
    return value if rank.n == 1 else rank.sizes(value)


# -- shared parameter builders --------------------------------------------------------
def _sizes_help(rank: Rank, what: str, extra: str = "") -> str:
    if rank.n == 1:
        return f"{what}: an integer (or a list of one integer).{extra}"
    return (f"{what}: one integer for every axis, or a list of {rank.n} integers "
            f"{rank.axes_list}.{extra}")


def _window_params(rank: Rank, *, filters: bool, causal: bool = False,
                   transposed: bool = False, depth_multiplier: bool = False,
                   groups: bool = False) -> tuple[Param, ...]:
    """filters, kernel_size, strides, padding, ..., dilation_rate in Keras's order."""
    params: list[Param] = []
    if filters:
        params.append(IntParam(
            name="filters", min=1,
            help="Number of filters, i.e. of output channels (feature maps); common values are "
                 "16 to 512, often doubled each time the spatial size is halved."))
    params.append(size_param(
        "kernel_size", rank.n,
        _sizes_help(rank, "Size of the sliding window (kernel)",
                    " Small odd sizes such as 3 are usual"
                    + ("; a size of 1 only mixes channels." if groups else "."))))
    params.append(size_param(
        "strides", rank.n,
        _sizes_help(rank, "Step by which the window moves",
                    " A stride of 2 halves the output size."
                    if not transposed else
                    " A stride of 2 doubles the output size."),
        default=_tuple_default(rank, 1)))
    if transposed:  # output_padding, and a padding whose "valid" makes the output grow
        params.append(replace(padding(), help=(
            '"valid": every input position contributes a whole kernel window, so each output '
            'size is (input - 1) * stride + kernel_size; "same": each output size is exactly '
            "input * stride.")))
        params.append(ShapeParam(
            name="output_padding", default=None, optional=True, allow_int=True,
            min_len=rank.n, max_len=rank.n, min_value=0,
            help="Extra output added at the end of each spatial axis, to pick the exact output "
                 "size when a stride > 1 leaves it ambiguous: "
                 + ("an integer (or a list of one integer)" if rank.n == 1 else
                    f"one integer for every axis or a list of {rank.n} integers {rank.axes_list}")
                 + ", each smaller than its stride. Empty lets Keras infer it from the padding."))
    else:
        params.append(padding(causal=causal))
    if depth_multiplier and not filters:
        params.append(_depth_multiplier())
    params.append(data_format())
    params.append(size_param(
        "dilation_rate", rank.n,
        _sizes_help(rank, "Spacing between the kernel's taps (atrous convolution)",
                    " Values > 1 see a wider area with the same number of weights; "
                    "they cannot be combined with strides > 1."),
        default=_tuple_default(rank, 1)))
    if depth_multiplier and filters:
        params.append(_depth_multiplier())
    if groups:
        params.append(IntParam(
            name="groups", default=1, min=1,
            help="Split the input channels into this many groups, each convolved separately "
                 "(grouped convolution, as in ResNeXt); both the input channels and filters "
                 "must be divisible by it. 1 is an ordinary convolution."))
    return tuple(params)


def _depth_multiplier() -> IntParam:
    return IntParam(name="depth_multiplier", default=1, min=1,
                    help="Number of depthwise filters per input channel; the depthwise step "
                         "outputs input channels times this many channels.")


def _weight_params(kernels: tuple[tuple[str, str], ...]) -> tuple[Param, ...]:
    """activation, use_bias and the initializer / regularizer / constraint of every
    weight tensor (``kernels``: Keras argument prefix, what it is), then the bias's."""
    params: list[Param] = [
        activation(),
        BoolParam(name="use_bias", default=True,
                  help="Whether to add a learned bias to each output channel; switch it off "
                       "when a BatchNormalization layer follows."),
    ]
    params += [initializer(f"{p}_initializer", "glorot_uniform", w) for p, w in kernels]
    params.append(initializer("bias_initializer", "zeros", "biases"))
    params += [regularizer(f"{p}_regularizer", w) for p, w in kernels]
    params.append(regularizer("bias_regularizer", "biases"))
    params.append(regularizer("activity_regularizer", "layer's output"))
    params += [constraint(f"{p}_constraint", w) for p, w in kernels]
    params.append(constraint("bias_constraint", "biases"))
    return tuple(params)


KERNEL = (("kernel", "convolution filters (kernel)"),)
DEPTHWISE = (("depthwise", "depthwise filters"),)
SEPARABLE = DEPTHWISE + (("pointwise", "pointwise (1x1) filters"),)

_BASE_KEYWORDS = ("convolution", "convolutional", "cnn", "filter", "kernel", "feature map")


# -- Conv1D / Conv2D / Conv3D ------------------------------------------------------------
CONV_USES = {
    1: ("Use it on time series, audio or sequences of word embeddings to detect local "
        "patterns; padding \"causal\" makes each output depend only on the current and earlier "
        "steps, as in WaveNet-style forecasting models.",
        ("temporal convolution", "time series", "sequence", "audio", "text", "causal", "tcn")),
    2: ("It is the building block of image models (CNNs): stacked with pooling or strided "
        "convolutions, early layers find edges and textures and later layers whole shapes and "
        "objects.",
        ("spatial convolution", "image", "vision", "picture", "computer vision")),
    3: ("Use it for volumetric data such as CT or MRI scans, or for video clips with time as "
        "the depth axis; it is costly, so keep the number of filters and the kernel small.",
        ("volumetric", "video", "medical imaging", "3d image", "spatio-temporal")),
}


def _conv(rank: Rank) -> NodeSpec:
    use, keywords = CONV_USES[rank.n]
    return layer_node(
        f"Conv{rank.tag}",
        category=CATEGORY,
        description=(
            f"A {rank.tag} convolution: each of `filters` small learned windows (kernels) slides "
            f"along the {rank.axes_text} of the input and computes, at every position, a "
            "weighted sum of the values under it, giving one feature map per filter. Because the "
            "same weights are reused at every position, it finds a pattern wherever it occurs "
            "with far fewer weights than a Dense layer. "
            f"Expects input of shape {rank.shape()}, or {rank.shape_first()} with data_format "
            f"\"channels_first\", and produces {rank.shape('filters', rank.new_axes())}; "
            f"padding \"valid\" shrinks the "
            f"{rank.axes_text} by the kernel size minus one, \"same\" keeps them, and strides > 1 "
            f"divide them. {use}"),
        params=_window_params(rank, filters=True, causal=rank.n == 1, groups=True)
        + _weight_params(KERNEL),
        keywords=_BASE_KEYWORDS + keywords,
    )


# -- SeparableConv1D / SeparableConv2D --------------------------------------------------
SEPARABLE_USES = {
    1: "Use it in place of Conv1D on long sequences or many channels to save weights and time.",
    2: "Xception and MobileNet-style networks use it in place of Conv2D for fast image models "
       "on phones and small devices.",
}


def _separable(rank: Rank) -> NodeSpec:
    return layer_node(
        f"SeparableConv{rank.tag}",
        category=CATEGORY,
        description=(
            f"A depthwise separable {rank.tag} convolution, done in two steps: first every input "
            f"channel is convolved on its own along the {rank.axes_text} (depthwise step, "
            "`depth_multiplier` filters per channel), then a 1x1 convolution mixes the channels "
            f"into `filters` outputs (pointwise step). The result is close to a full "
            f"Conv{rank.tag} with far fewer weights and computations. "
            f"Expects input of shape {rank.shape()} and produces "
            f"{rank.shape('filters', rank.new_axes())}. {SEPARABLE_USES[rank.n]}"),
        params=_window_params(rank, filters=True, depth_multiplier=True) + _weight_params(SEPARABLE),
        keywords=_BASE_KEYWORDS + ("depthwise separable", "separable", "mobilenet", "xception",
                                   "efficient", "lightweight"),
    )


# -- DepthwiseConv1D / DepthwiseConv2D ----------------------------------------------------
DEPTHWISE_USES = {
    1: "Use it to filter each feature of a sequence separately, e.g. per-sensor smoothing.",
    2: "MobileNet and EfficientNet follow it with a 1x1 Conv2D that mixes the channels, which "
       "together cost much less than one full Conv2D.",
}


def _depthwise(rank: Rank) -> NodeSpec:
    return layer_node(
        f"DepthwiseConv{rank.tag}",
        category=CATEGORY,
        description=(
            f"A depthwise {rank.tag} convolution: every input channel is convolved along the "
            f"{rank.axes_text} with its own `depth_multiplier` filters and channels are never "
            f"mixed, so it learns patterns along the {rank.axes_text} of each channel with very "
            "few weights. It is the "
            "first half of a separable convolution. "
            f"Expects input of shape {rank.shape()} and produces "
            f"{rank.shape('channels * depth_multiplier', rank.new_axes())}. "
            f"{DEPTHWISE_USES[rank.n]}"),
        params=_window_params(rank, filters=False, depth_multiplier=True) + _weight_params(DEPTHWISE),
        keywords=_BASE_KEYWORDS + ("depthwise", "channel-wise", "per-channel", "mobilenet",
                                   "efficientnet", "lightweight"),
    )


# -- Conv1DTranspose / Conv2DTranspose / Conv3DTranspose ----------------------------------
TRANSPOSE_USES = {
    1: "Use it in sequence autoencoders and audio generators to lengthen a sequence.",
    2: "Used in decoders, autoencoders, U-Nets for segmentation and GAN generators to go "
       "from a small feature map back to a full-size image.",
    3: "Used in 3D U-Nets and volume or video generators to enlarge volumes.",
}


def _transpose(rank: Rank) -> NodeSpec:
    return layer_node(
        f"Conv{rank.tag}Transpose",
        category=CATEGORY,
        description=(
            f"A transposed {rank.tag} convolution (often called deconvolution): the reverse "
            f"direction of Conv{rank.tag}, it spreads every input value over a window of learned "
            f"weights, so with strides > 1 it makes the {rank.axes_text} larger instead of "
            "smaller, learning how to fill in the detail. "
            f"Expects input of shape {rank.shape()} and produces "
            f"{rank.shape('filters', rank.new_axes())}; with padding \"same\" every spatial size "
            f"is multiplied by its stride. {TRANSPOSE_USES[rank.n]}"),
        params=_window_params(rank, filters=True, transposed=True) + _weight_params(KERNEL),
        keywords=_BASE_KEYWORDS + ("transposed convolution", "deconvolution", "upconvolution",
                                   "fractionally strided", "upsampling", "decoder", "generator",
                                   "u-net"),
    )


# -- Cropping1D / Cropping2D / Cropping3D and ZeroPadding1D / 2D / 3D --------------------
def _border_param(rank: Rank, name: str, default, verb: str, unit: str) -> ShapeParam:
    """Cropping / padding amounts: an int, one int per axis, or [before, after] pairs."""
    if rank.n == 1:
        return ShapeParam(
            name=name, default=default, allow_int=True, min_len=2, max_len=2, min_value=0,
            help=f"How many {unit} to {verb}: one integer for both ends, or a list "
                 "[start, end].")
    return ShapeParam(
        name=name, default=default, allow_int=True, allow_pairs=True,
        min_len=rank.n, max_len=rank.n, min_value=0,
        help=f"How many {unit} to {verb}: one integer for every side; a list of {rank.n} "
             f"integers {rank.axes_list}, each applied at both ends of its axis; or a list of "
             f"{rank.n} [before, after] pairs, e.g. "
             + str([[0, 1]] * rank.n)
             + f" to {verb} only at the end of each axis.")


CROPPING = {
    1: ("Cuts time steps off the start and end of every sequence (no weights involved), e.g. "
        "to drop warm-up "
        "steps or to match the length of another branch. Expects input of shape "
        "(batch, steps, features) and produces (batch, steps - start - end, features).",
        [1, 1], ("trim", "sequence", "shorten")),
    2: ("Cuts rows off the top and bottom and columns off the left and right of every image; "
        "it has no weights. "
        "U-Net-like networks use it to make a skip connection's feature map the same size as "
        "the up-sampled path before concatenating them. Expects input of shape "
        "(batch, height, width, channels) (or (batch, channels, height, width) with "
        "channels_first) and produces (batch, cropped_height, cropped_width, channels).",
        [[0, 0], [0, 0]], ("trim", "image", "border", "u-net", "skip connection")),
    3: ("Cuts slices off the borders of every volume along its depth, height and width (no "
        "weights involved), e.g. "
        "to align the sizes of two branches of a 3D U-Net. Expects input of shape "
        "(batch, depth, height, width, channels) (or channels first) and produces "
        "(batch, cropped_depth, cropped_height, cropped_width, channels).",
        [[1, 1], [1, 1], [1, 1]], ("trim", "volume", "border", "video")),
}


def _cropping(rank: Rank) -> NodeSpec:
    text, default, keywords = CROPPING[rank.n]
    unit = "steps" if rank.n == 1 else "rows, columns or slices" if rank.n == 3 else "rows and columns"
    params: tuple[Param, ...] = (_border_param(rank, "cropping", default, "remove", unit),)
    if rank.n > 1:
        params += (data_format(),)
    return layer_node(
        f"Cropping{rank.tag}",
        category=CATEGORY,
        description=text,
        params=params,
        keywords=("crop", "cut", "border", "resize") + keywords,
    )


ZERO_PADDING = {
    1: ("Adds zeros at the start and end of every sequence along the steps axis, e.g. so a "
        "following convolution keeps the sequence length. Expects input of shape "
        "(batch, steps, features) and produces (batch, steps + start + end, features).",
        1, ("sequence",)),
    2: ("Adds rows of zeros at the top and bottom and columns of zeros at the left and right "
        "of every image, to control exactly the output size of the following convolution or "
        "pooling: ResNet pads by 3 before its 7x7 stride-2 convolution, MobileNetV2 pads "
        "[[0, 1], [0, 1]] before strided convolutions. Expects input of shape "
        "(batch, height, width, channels) (or channels first) and produces "
        "(batch, padded_height, padded_width, channels).",
        [1, 1], ("image", "resnet", "mobilenet")),
    3: ("Adds zeros around every volume along its depth, height and width, to control the "
        "output size of the following 3D convolution or pooling. Expects input of shape "
        "(batch, depth, height, width, channels) (or channels first) and produces "
        "(batch, padded_depth, padded_height, padded_width, channels).",
        [[1, 1], [1, 1], [1, 1]], ("volume", "video")),
}


def _zero_padding(rank: Rank) -> NodeSpec:
    text, default, keywords = ZERO_PADDING[rank.n]
    unit = "zero steps" if rank.n == 1 else "rows, columns or slices of zeros" if rank.n == 3 \
        else "rows and columns of zeros"
    return layer_node(
        f"ZeroPadding{rank.tag}",
        category=CATEGORY,
        description=text,
        params=(_border_param(rank, "padding", default, "add", unit), data_format()),
        keywords=("pad", "padding", "zeros", "border", "margin") + keywords,
    )


# -- UpSampling1D / UpSampling2D / UpSampling3D ------------------------------------------
def _upsampling(rank: Rank) -> NodeSpec:
    if rank.n == 1:
        return layer_node(
            "UpSampling1D",
            category=CATEGORY,
            description=(
                "Repeats every time step `size` times, making sequences longer without any "
                "learned weights; a cheap alternative to Conv1DTranspose in sequence decoders. "
                "Expects input of shape (batch, steps, features) and produces "
                "(batch, steps * size, features)."),
            params=(IntParam(name="size", default=2, min=1,
                             help="How many times every time step is repeated."),),
            keywords=("upsample", "repeat", "stretch", "enlarge", "decoder", "sequence"),
        )
    params: tuple[Param, ...] = (
        size_param("size", rank.n,
                   _sizes_help(rank, "Factor by which every spatial axis is enlarged"),
                   default=rank.sizes(2)),
        data_format(),
    )
    if rank.n == 2:
        params += (ChoiceParam(
            name="interpolation", default="nearest",
            options=("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"),
            help="How new pixels are filled: \"nearest\" repeats each pixel (blocky, fastest); "
                 "\"bilinear\" blends the 4 nearest pixels (smooth); \"bicubic\" uses 16 pixels "
                 "(smoother, sharper edges); \"lanczos3\" and \"lanczos5\" use wider windows "
                 "(sharpest, slowest)."),)
        what = ("Enlarges every image by repeating each row and column `size` times "
                "(interpolation \"nearest\") or by smooth interpolation (bilinear, bicubic, "
                "lanczos), without learned weights. ")
        out = "(batch, height * size[0], width * size[1], channels)"
        keywords = ("image", "resize", "bilinear", "nearest neighbour")
    else:
        what = ("Enlarges every volume by repeating each slice `size` times along its depth, "
                "height and width, without learned weights. ")
        out = "(batch, depth * size[0], height * size[1], width * size[2], channels)"
        keywords = ("volume", "video")
    return layer_node(
        f"UpSampling{rank.tag}",
        category=CATEGORY,
        description=(
            what + "Usually followed by a convolution, it is a simple alternative to "
            f"Conv{rank.tag}Transpose in decoders, U-Nets and generators that avoids its "
            f"checkerboard artefacts. Expects input of shape {rank.shape()} (or channels first) "
            f"and produces {out}."),
        params=params,
        keywords=("upsample", "enlarge", "repeat", "decoder", "u-net") + keywords,
    )


CONV = tuple(_conv(r) for r in RANKS)
SEPARABLE_CONV = tuple(_separable(r) for r in (R1, R2))
DEPTHWISE_CONV = tuple(_depthwise(r) for r in (R1, R2))
CONV_TRANSPOSE = tuple(_transpose(r) for r in RANKS)
CROPPING_NODES = tuple(_cropping(r) for r in RANKS)
UPSAMPLING_NODES = tuple(_upsampling(r) for r in RANKS)
ZERO_PADDING_NODES = tuple(_zero_padding(r) for r in RANKS)

NODES = (CONV + SEPARABLE_CONV + DEPTHWISE_CONV + CONV_TRANSPOSE + CROPPING_NODES
         + UPSAMPLING_NODES + ZERO_PADDING_NODES)

__all__ = ["NODES"]
