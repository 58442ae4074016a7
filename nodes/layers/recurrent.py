"""Recurrent layers: LSTM, GRU, SimpleRNN, ConvLSTM1D/2D/3D and Bidirectional.

The parameters the recurrent layers have in common (gates, weights, dropout, what
they return) are declared once below and combined per layer.  With ``return_state``
a Keras recurrent layer returns ``[output, state...]``; those tensors appear on the
node's output ports in that order.  An optional ``initial_state`` input lets a
layer start from given states (e.g. an encoder's) instead of zeros.
"""

from __future__ import annotations

from dataclasses import replace

from nodeflow.core.params import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    NestedChoiceParam,
    Param,
    ShapeParam,
)
from nodeflow.core.ports import Port

from .keras_args import (
    ACTIVATIONS,
    constraint,
    data_format,
    initializer,
    layer_node,
    padding,
    regularizer,
    size_param,
)

CATEGORY = "Recurrent"

# --------------------------------------------------------------------------- ports
def _sequence_in(shape: str) -> Port:
    return Port("input", "network", f"The sequence to process, shaped {shape}.")


SEQUENCE_IN = _sequence_in("(batch, time steps, features)")

INITIAL_STATE_IN = Port(
    "initial_state", "network",
    "Optional starting state of the recurrence, e.g. the state outputs of an encoder in a "
    "sequence-to-sequence model. An LSTM or ConvLSTM takes two connections, h first and then "
    "c; GRU and SimpleRNN take one. Left unconnected, the state starts at zeros.",
    optional=True, multi=True)

MASK_IN = Port(
    "mask", "network",
    "Optional explicit mask, booleans of shape (batch, time steps): False steps are skipped. "
    "Not needed for the mask an Embedding with mask_zero or a Masking layer upstream makes: "
    "Keras passes that one on by itself.", optional=True)

OUTPUT = Port(
    "output", "network",
    "The layer's output: the last time step's output, or the output of every time step when "
    "return_sequences is on.")
STATE_H = Port(
    "state_h", "network",
    "The final hidden state h (equal to the last step's output). Carries a tensor only when "
    "return_state is on.")
STATE_C = Port(
    "state_c", "network",
    "The final cell state c, the LSTM's long-term memory. Carries a tensor only when "
    "return_state is on.")
STATE = Port(
    "state", "network",
    "The final hidden state (equal to the last step's output). Carries a tensor only when "
    "return_state is on.")

LSTM_OUTPUTS = (OUTPUT, STATE_H, STATE_C)
RNN_OUTPUTS = (OUTPUT, STATE)


def _apply_recurrent(layer, inputs, params, ctx=None):
    """``layer(sequence)``, with ``initial_state=[...]`` and ``mask=`` when those are connected."""
    states = inputs.get("initial_state") or []
    extra = {"initial_state": list(states)} if states else {}
    if inputs.get("mask") is not None:
        extra["mask"] = inputs["mask"]
    return layer(inputs["input"], **extra)


_CUDNN_CODE = {"true": "True", "false": "False"}


def _export_recurrent(node_id, spec, params, inputs, ctx):
    """Python export: ``keras.layers.LSTM(...)(x, initial_state=[h, c])``."""
    args = ctx.kwargs(spec, params, skip=("use_cudnn",))
    if params.get("use_cudnn", "auto") != "auto":
        args.append(f"use_cudnn={_CUDNN_CODE[params['use_cudnn']]}")
    layer = f"keras.layers.{spec.target}({', '.join(args + [f'name={node_id!r}'])})"
    states = inputs.get("initial_state") or []
    call = f"{inputs['input']}, initial_state=[{', '.join(states)}]" if states else inputs["input"]
    if inputs.get("mask"):
        call += f", mask={inputs['mask']}"
    return [f"{node_id} = {layer}({call})"], node_id


# --------------------------------------------------------------------------- parameters
UNITS = IntParam(
    name="units", min=1,
    help="Size of the hidden state: how many numbers the layer keeps about the sequence seen so "
         "far, and the number of features of its output.")

ACTIVATION = ChoiceParam(
    name="activation", options=ACTIVATIONS, default="tanh", optional=True,
    help="Function that squashes the candidate state and the output; tanh (the default) keeps "
         "them between -1 and 1, which keeps the recurrence stable. Null means linear.")

RECURRENT_ACTIVATION = ChoiceParam(
    name="recurrent_activation", options=ACTIVATIONS, default="sigmoid", optional=True,
    help="Function of the gates, which decide how much to let through at each step; sigmoid "
         "(the default) gives values between 0 (closed) and 1 (open). Null means linear.")

USE_BIAS = BoolParam(name="use_bias", default=True,
                     help="Whether the layer adds learned biases in its gates and state update.")

UNIT_FORGET_BIAS = BoolParam(
    name="unit_forget_bias", default=True,
    help="Adds 1 to the forget gate's bias at initialization (and uses zeros for the rest of the "
         "bias), so the LSTM keeps its memory by default early in training; recommended.")

RESET_AFTER = BoolParam(
    name="reset_after", default=True,
    help="Apply the reset gate after multiplying the previous state by the recurrent weights "
         "(true, the Keras and cuDNN convention) or before (false, as in the original GRU "
         "paper; needed to load weights trained that way).")

WEIGHT_INITIALIZERS = (
    initializer("kernel_initializer", "glorot_uniform", "input weights (kernel)"),
    initializer("recurrent_initializer", "orthogonal", "recurrent weights (applied to the previous state)"),
    initializer("bias_initializer", "zeros", "biases"),
)
WEIGHT_REGULARIZERS = (
    regularizer("kernel_regularizer", "input weights (kernel)"),
    regularizer("recurrent_regularizer", "recurrent weights"),
    regularizer("bias_regularizer", "biases"),
)
ACTIVITY_REGULARIZER = regularizer("activity_regularizer", "layer's output")
WEIGHT_CONSTRAINTS = (
    constraint("kernel_constraint", "input weights (kernel)"),
    constraint("recurrent_constraint", "recurrent weights"),
    constraint("bias_constraint", "biases"),
)

DROPOUT = FloatParam(
    name="dropout", default=0.0, min=0.0, max=1.0, max_open=True,
    help="Fraction of the input features dropped at each step during training, from 0 (none) "
         "up to, not including, 1; fights overfitting.")
RECURRENT_DROPOUT = FloatParam(
    name="recurrent_dropout", default=0.0, min=0.0, max=1.0, max_open=True,
    help="Fraction of the recurrent state dropped at each step during training, from 0 (none) "
         "up to, not including, 1. A non-zero value rules out the fast cuDNN kernel on a GPU.")
SEED = IntParam(name="seed", default=None, optional=True, min=0,
                help="Random seed for the dropout masks; empty for a different mask every run.")

RETURN_SEQUENCES = BoolParam(
    name="return_sequences", default=False,
    help="Output the result of every time step, shape (batch, time steps, units), instead of "
         "only the last one, shape (batch, units). Switch it on to stack another recurrent layer "
         "on top, or to label every step of the sequence.")
RETURN_STATE = BoolParam(
    name="return_state", default=False,
    help="Also output the final state(s) on the state ports, e.g. to start a decoder from an "
         "encoder's memory in a sequence-to-sequence model. Off: the state ports stay empty.")
GO_BACKWARDS = BoolParam(
    name="go_backwards", default=False,
    help="Process the sequence from its last step to its first (the output sequence is then "
         "reversed too).")
STATEFUL = BoolParam(
    name="stateful", default=False,
    help="Carry each sample's final state over as the initial state of the sample at the same "
         "position in the next batch, for very long sequences cut into pieces. Needs a fixed "
         "batch size (set batch_size on the Input) and unshuffled data.")
UNROLL = BoolParam(
    name="unroll", default=False,
    help="Unroll the loop over time steps into plain operations: can be faster for short "
         "sequences but uses much more memory; needs a fixed sequence length.")
USE_CUDNN = ChoiceParam(
    name="use_cudnn", default="auto", options=("auto", "true", "false"),
    help='Whether to use NVIDIA\'s fast cuDNN kernel on a GPU: "auto" uses it when the other '
         "parameters allow it (default activations, no recurrent dropout, unroll off, biases on), "
         '"true" insists on it, "false" never uses it.')

SEQUENCE_OPTIONS = (RETURN_SEQUENCES, RETURN_STATE, GO_BACKWARDS, STATEFUL)


def _recurrent_params(*, gated: bool, lstm: bool = False) -> tuple[Param, ...]:
    """units ... bias_constraint, as LSTM / GRU / SimpleRNN declare them."""
    return (
        UNITS, ACTIVATION, *((RECURRENT_ACTIVATION,) if gated else ()),
        USE_BIAS, *WEIGHT_INITIALIZERS, *((UNIT_FORGET_BIAS,) if lstm else ()),
        *WEIGHT_REGULARIZERS, ACTIVITY_REGULARIZER, *WEIGHT_CONSTRAINTS,
        DROPOUT, RECURRENT_DROPOUT, SEED,
    )


def _cudnn_build(class_name: str):
    """Build LSTM / GRU, turning use_cudnn's "true"/"false" into the booleans Keras wants."""

    def build(params: dict, name: str | None = None):
        import keras

        kwargs = dict(params)
        kwargs["use_cudnn"] = {"true": True, "false": False}.get(kwargs["use_cudnn"], kwargs["use_cudnn"])
        return getattr(keras.layers, class_name)(**kwargs, name=name)

    build.__qualname__ = f"build_{class_name}"
    return build


# --------------------------------------------------------------------------- LSTM, GRU, SimpleRNN
_SHAPES_TEXT = (
    "Input: (batch, time steps, features); output: (batch, units), or (batch, time steps, "
    "units) with return_sequences. ")

LSTM = layer_node(
    "LSTM",
    category=CATEGORY,
    description=(
        "Long Short-Term Memory: reads a sequence step by step and keeps a memory (the cell "
        "state) whose gates learn what to store, what to forget and what to output, so it can "
        "connect events many steps apart. The standard choice for time series, text and other "
        "ordered data. " + _SHAPES_TEXT +
        "With return_state on, the final hidden state h and cell state c also appear on the "
        "state_h and state_c ports; the optional initial_state input starts the layer from "
        "given states (h, then c) instead of zeros, as a sequence-to-sequence decoder does."
    ),
    params=(*_recurrent_params(gated=True, lstm=True), *SEQUENCE_OPTIONS, UNROLL, USE_CUDNN),
    inputs=(SEQUENCE_IN, INITIAL_STATE_IN, MASK_IN),
    outputs=LSTM_OUTPUTS,
    keywords=("long short-term memory", "rnn", "recurrent", "sequence", "time series",
              "memory cell", "seq2seq", "encoder", "decoder"),
    apply=_apply_recurrent,
    build=_cudnn_build("LSTM"),
    export_code=_export_recurrent,
)

GRU = layer_node(
    "GRU",
    category=CATEGORY,
    description=(
        "Gated Recurrent Unit: a recurrent layer like the LSTM but with two gates (update and "
        "reset) and a single state, so it has fewer weights and often trains faster with "
        "similar results. Use it for time series, text and other ordered data. " + _SHAPES_TEXT +
        "With return_state on, the final state also appears on the state port; the optional "
        "initial_state input starts the layer from a given state instead of zeros."
    ),
    params=(*_recurrent_params(gated=True), *SEQUENCE_OPTIONS, UNROLL, RESET_AFTER, USE_CUDNN),
    inputs=(SEQUENCE_IN, INITIAL_STATE_IN, MASK_IN),
    outputs=RNN_OUTPUTS,
    keywords=("gated recurrent unit", "rnn", "recurrent", "sequence", "time series", "seq2seq"),
    apply=_apply_recurrent,
    build=_cudnn_build("GRU"),
    export_code=_export_recurrent,
)

SIMPLE_RNN = layer_node(
    "SimpleRNN",
    category=CATEGORY,
    description=(
        "The basic (Elman) recurrent layer: at each time step the new state is "
        "activation(input weights x input + recurrent weights x previous state + bias), and the "
        "state is also the output. Easy to understand, but it struggles to learn links more "
        "than a few dozen steps apart (vanishing gradients), where LSTM or GRU do better. " +
        _SHAPES_TEXT +
        "With return_state on, the final state also appears on the state port; the optional "
        "initial_state input starts the layer from a given state instead of zeros."
    ),
    params=(*_recurrent_params(gated=False), *SEQUENCE_OPTIONS, UNROLL),
    inputs=(SEQUENCE_IN, INITIAL_STATE_IN, MASK_IN),
    outputs=RNN_OUTPUTS,
    keywords=("rnn", "recurrent", "elman", "vanilla rnn", "sequence", "time series"),
    apply=_apply_recurrent,
    export_code=_export_recurrent,
)


# --------------------------------------------------------------------------- ConvLSTM
def _conv_lstm(rank: int) -> object:
    spatial = {1: "rows", 2: "rows, cols", 3: "depth, rows, cols"}[rank]
    what = {1: "sequences of 1-D signals", 2: "sequences of images such as video frames or "
            "weather radar maps", 3: "sequences of 3-D volumes such as medical scans over time"}[rank]
    params = (
        IntParam(name="filters", min=1,
                 help="Number of convolution filters: the channels of the state and of the output."),
        size_param("kernel_size", rank,
                   f"Size of the convolution window: an integer, or a list of {rank} integers "
                   "(one per spatial axis)."),
        size_param("strides", rank,
                   "Step of the convolution window over the input: an integer or one per spatial "
                   "axis; above 1 shrinks the output.", default=1),
        padding(),
        data_format(),
        size_param("dilation_rate", rank,
                   "Spacing between the kernel's taps (atrous convolution): an integer or one "
                   "per spatial axis; 1 is an ordinary convolution.", default=1),
        ACTIVATION, RECURRENT_ACTIVATION, USE_BIAS, *WEIGHT_INITIALIZERS, UNIT_FORGET_BIAS,
        *WEIGHT_REGULARIZERS, ACTIVITY_REGULARIZER, *WEIGHT_CONSTRAINTS,
        DROPOUT, RECURRENT_DROPOUT, SEED, *SEQUENCE_OPTIONS,
    )
    return layer_node(
        f"ConvLSTM{rank}D",
        category=CATEGORY,
        description=(
            f"A convolutional LSTM for {what}: an LSTM whose input and recurrent transformations "
            "are convolutions, so its state keeps the spatial layout of the data and it learns "
            f"patterns in space and time together. Input: (batch, time, {spatial}, channels) "
            f"with channels_last; output: (batch, {spatial}, filters) for the last step, or "
            f"(batch, time, {spatial}, filters) with return_sequences, the spatial sizes shrunk "
            "by the convolution as padding and strides say. With return_state on, "
            "the final states h and c also appear on the state ports; the optional initial_state "
            "input (h, then c) starts the layer from given states instead of zeros."
        ),
        params=params,
        inputs=(_sequence_in(f"(batch, time, {spatial}, channels) with channels_last"),
                INITIAL_STATE_IN, MASK_IN),
        outputs=LSTM_OUTPUTS,
        keywords=("convolutional lstm", "convlstm", "recurrent", "spatiotemporal", "video",
                  "sequence of images" if rank == 2 else "sequence", "rnn"),
        apply=_apply_recurrent,
        export_code=_export_recurrent,
    )


CONV_LSTM_1D = _conv_lstm(1)
CONV_LSTM_2D = _conv_lstm(2)
CONV_LSTM_3D = _conv_lstm(3)


# --------------------------------------------------------------------------- Bidirectional
WRAPPABLE = ("LSTM", "GRU", "SimpleRNN")
# parameters of the wrapped layer that only some of the wrappable classes have
_ONLY_FOR = {"recurrent_activation": ("LSTM", "GRU"), "unit_forget_bias": ("LSTM",),
             "reset_after": ("GRU",)}

MERGE_MODE = ChoiceParam(
    name="merge_mode", default="concat", optional=True, options=("concat", "sum", "mul", "ave"),
    help="How the forward and backward outputs are combined: concat puts them side by side "
         "(2 x units features), sum adds, mul multiplies and ave averages them (units features). "
         "Null keeps them apart: the output port then carries two tensors, forward then "
         "backward, for a merge node.")

WRAPPED_PARAMS = (
    ChoiceParam(name="layer", options=WRAPPABLE,
                help="The recurrent layer run in both directions: LSTM (the usual choice), GRU "
                     "(fewer weights) or SimpleRNN (short sequences only)."),
    MERGE_MODE,
    UNITS,
    ACTIVATION,
    replace(RECURRENT_ACTIVATION, help=RECURRENT_ACTIVATION.help + " LSTM and GRU only."),
    USE_BIAS,
    *WEIGHT_INITIALIZERS,
    replace(UNIT_FORGET_BIAS, help=UNIT_FORGET_BIAS.help + " LSTM only."),
    replace(RESET_AFTER, help=RESET_AFTER.help + " GRU only."),
    *WEIGHT_REGULARIZERS,
    *WEIGHT_CONSTRAINTS,
    DROPOUT,
    RECURRENT_DROPOUT,
    SEED,
    RETURN_SEQUENCES,
)
# the node parameters that are the wrapper's own rather than the wrapped layer's
_WRAPPER_OWN = ("layer", "merge_mode", "trainable")
WRAPPED_PARAMS_NAMES = tuple(p.name for p in WRAPPED_PARAMS if p.name not in _WRAPPER_OWN)


def _build_bidirectional(params: dict, name: str | None = None):
    import keras

    kind = params["layer"]
    inner = {k: v for k, v in params.items() if k not in _WRAPPER_OWN}
    for key, classes in _ONLY_FOR.items():
        if kind not in classes:
            value = inner.pop(key)
            if value != _BIDIRECTIONAL_DEFAULTS[key]:
                raise ValueError(f"{key} applies only to {' and '.join(classes)}, "
                                 f"not to the chosen layer {kind}; leave it at its default")
    # the wrapped layer is named after the node, so its two copies are forward_<id> and backward_<id>
    wrapped = getattr(keras.layers, kind)(**inner, name=name)
    return keras.layers.Bidirectional(wrapped, merge_mode=params["merge_mode"],
                                      trainable=params["trainable"], name=name)


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _config_value(param: Param, value):
    """A value of a Keras layer config in the node parameter's JSON form."""
    if isinstance(param, NestedChoiceParam) and isinstance(value, dict) and "class_name" in value:
        option = next((o for o in param.options if o.target == value["class_name"]), None)
        if option is None:
            raise ValueError(f"{param.name}: {value['class_name']} is not among the options")
        config = value.get("config") or {}
        args = {a.name: _plain(config[a.name]) for a in option.args if a.name in config}
        return param.canonical({"name": option.name, "args": args})
    if isinstance(param, ShapeParam):
        return _plain(value)
    return value


_MIRROR_IGNORED = ("name", "go_backwards")


def _import_bidirectional(config: dict) -> dict:
    """Bidirectional.get_config() -> node parameters (the wrapped layer's config is nested)."""
    wrapped = config["layer"]
    kind = wrapped.get("class_name")
    if kind not in WRAPPABLE:
        raise ValueError(f"Bidirectional wraps {kind}; the node offers {', '.join(WRAPPABLE)}")
    inner = wrapped["config"]
    for key in ("return_state", "go_backwards", "stateful", "unroll"):
        if inner.get(key):
            raise ValueError(f"the wrapped {kind} has {key} on, which the node does not offer")
    backward = (config.get("backward_layer") or {}).get("config")
    if backward is not None:
        differ = [k for k in set(inner) | set(backward) if k not in _MIRROR_IGNORED
                  and _plain(inner.get(k)) != _plain(backward.get(k))]
        if differ:
            raise ValueError("the backward layer is configured differently from the forward one "
                             f"({', '.join(sorted(differ))}), which the node does not offer")
    params = {"layer": kind, "merge_mode": config.get("merge_mode", "concat"),
              "trainable": config.get("trainable", True)}
    for param in WRAPPED_PARAMS:
        if param.name not in _WRAPPER_OWN and param.name in inner:
            params[param.name] = _config_value(param, inner[param.name])
    return params


def _export_bidirectional(node_id, spec, params, inputs, ctx):
    """Python export: ``keras.layers.Bidirectional(keras.layers.LSTM(...), ...)(x)``."""
    inner = ctx.kwargs(spec, params, skip=_WRAPPER_OWN) + [f"name={node_id!r}"]
    outer = ctx.kwargs(spec, params, skip=("layer", *WRAPPED_PARAMS_NAMES)) + [f"name={node_id!r}"]
    wrapped = f"keras.layers.{params['layer']}({', '.join(inner)})"
    layer = f"keras.layers.Bidirectional({', '.join([wrapped] + outer)})"
    return [f"{node_id} = {layer}({inputs['input']})"], node_id


BIDIRECTIONAL = layer_node(
    "Bidirectional",
    category=CATEGORY,
    description=(
        "Runs a recurrent layer (LSTM, GRU or SimpleRNN) over the sequence in both directions, "
        "one copy from the first step forward and one from the last step backward, and merges "
        "their outputs, so every step's output knows both what came before and what comes "
        "after. Typical for text tagging and classification, where the whole sequence is known "
        "in advance (not for forecasting). The wrapped layer and its main parameters are chosen "
        "here. Input: (batch, time steps, features); output: (batch, 2 x units) with "
        "merge_mode concat (units with sum, mul or ave), with a time axis when return_sequences "
        "is on. The final states are not offered (no return_state): the node has one output."
    ),
    params=WRAPPED_PARAMS,
    inputs=(SEQUENCE_IN,),
    outputs=(Port("output", "network",
                  "Both directions' outputs, merged as merge_mode says; with merge_mode null, two "
                  "tensors (forward, then backward)."),),
    keywords=("bidirectional", "birnn", "bilstm", "bigru", "recurrent", "wrapper",
              "both directions", "sequence", "rnn"),
    build=_build_bidirectional,
    import_params=_import_bidirectional,
    export_code=_export_bidirectional,
)
_BIDIRECTIONAL_DEFAULTS = BIDIRECTIONAL.defaults()

NODES = (LSTM, GRU, SIMPLE_RNN, CONV_LSTM_1D, CONV_LSTM_2D, CONV_LSTM_3D, BIDIRECTIONAL)

__all__ = ["NODES"]
