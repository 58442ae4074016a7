"""Trained recurrent layers rebuilt to run one step at a time.

A network trained on whole sequences (a window of characters, a teacher-forced target) is
slow to use one token at a time: it would re-read the sequence per token.  The nodes that
generate (Text Generator) and decode (Sequence Decoder) rebuild the chain of layers that
leads to the network's output, Embedding -> recurrent layer(s) -> Dense, as a *step
network*: inputs ``[token (batch, 1), *states]``, outputs ``[scores (batch, vocabulary),
*new states]``, the trained weights copied.  Explicit states (rather than ``stateful``
layers) let one network serve any batch and export as a plain SavedModel.
"""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError

RECURRENT = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1}  # layer class -> how many states it carries
PASS_THROUGH = ("Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                "ActivityRegularization")  # no effect at inference
EXPECTED = ("Embedding -> LSTM/GRU/SimpleRNN (one or more) -> Dense (one or more, the last giving "
            "one unit per vocabulary index)")


def call_node(tensor):
    """The layer that made ``tensor`` and the call (Keras node) that made it."""
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return None, None
    layer = history.operation
    return layer, layer._inbound_nodes[history.node_index]


def chain_to(tensor, what: str) -> tuple[list, object]:
    """The layers from the Embedding up to ``tensor`` (following each layer's first input),
    pass-through layers left out, checked to be Embedding -> recurrent -> Dense; and the
    model input the chain starts from.  ``what`` names the network in errors."""
    layers = []
    layer, node = call_node(tensor)
    while layer is not None and type(layer).__name__ != "InputLayer":
        if type(layer).__name__ not in PASS_THROUGH:
            layers.append(layer)
        first = node.arguments.args[0] if node.arguments.args else None
        if isinstance(first, (list, tuple)):
            raise NodeRunError(f"{what}: expected {EXPECTED}; layer {layer.name} takes several inputs")
        start = first
        layer, node = call_node(first)
    layers.reverse()
    kinds = [type(la).__name__ for la in layers]
    shown = " -> ".join(kinds) or "no layers"
    if not kinds or kinds[0] != "Embedding" or len(kinds) < 3 or kinds[1] not in RECURRENT:
        raise NodeRunError(f"{what}: expected {EXPECTED}; got {shown}")
    first_dense = next((i for i, k in enumerate(kinds) if i > 0 and k not in RECURRENT), len(kinds))
    if first_dense == len(kinds) or any(k != "Dense" for k in kinds[first_dense:]):
        raise NodeRunError(f"{what}: expected {EXPECTED}; got {shown}")
    for la in layers:
        if getattr(la, "go_backwards", False):
            raise NodeRunError(f"{what}: layer {la.name} reads backwards; stepping needs layers that "
                               "read forwards")
    return layers, start


def initial_states(layer) -> list:
    """The tensors a recurrent layer was started from in its (first) call, or []."""
    node = layer._inbound_nodes[0]
    states = node.arguments.kwargs.get("initial_state")
    if states is None:
        return []
    return list(states) if isinstance(states, (list, tuple)) else [states]


def step_network(layers, name: str):
    """``layers`` (a checked chain) rebuilt to take one token and explicit states."""
    from nodeflow.keras import load_keras

    keras = load_keras()
    token = keras.Input(shape=(1,), dtype="int32", name="token")
    inputs, outputs = [token], []
    x = token
    for layer in layers:
        kind = type(layer).__name__
        config = layer.get_config()
        if kind in RECURRENT:
            config.update(return_state=True, stateful=False, return_sequences=True, unroll=False)
            clone = type(layer).from_config(config)
            states = [keras.Input(shape=(config["units"],), name=f"{layer.name}_state_{i}")
                      for i in range(RECURRENT[kind])]
            result = clone(x, initial_state=states if len(states) > 1 else states[0])
            x, new = result[0], list(result[1:])
            inputs += states
            outputs += new
        else:
            if kind == "Embedding":
                config["mask_zero"] = False  # a fed token is never padding
            clone = type(layer).from_config(config)
            x = clone(x)
        clone.set_weights(layer.get_weights())
    scores = keras.layers.Reshape((int(x.shape[-1]),), name="next_token")(x)
    return keras.Model(inputs, [scores, *outputs], name=name)


def ends_in_softmax(layers) -> bool:
    return getattr(getattr(layers[-1], "activation", None), "__name__", "") == "softmax"


def keras_step(network):
    """``step(tokens (batch, 1), states) -> (scores, states)`` running a Keras step network."""
    import tensorflow as tf

    def step(feed, states):
        out = network([tf.constant(feed), *[tf.convert_to_tensor(s) for s in states]], training=False)
        return out[0].numpy(), list(out[1:])

    return step


def zero_states(network, count: int) -> list:
    import numpy as np

    return [np.zeros((count, int(t.shape[-1])), dtype="float32") for t in network.inputs[1:]]
