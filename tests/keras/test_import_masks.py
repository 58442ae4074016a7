"""Masks import: the ones Keras propagates (Embedding mask_zero, Masking) are reproduced by
Keras itself; an explicit mask tensor is wired to the layer's mask port."""

import numpy as np

from nodeflow.keras.importer import import_model

from .test_import_ops import round_trip


def padded_tokens(seed=0):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, 30, size=(4, 7)).astype("int32")
    tokens[:, 4:] = 0  # padding the mask must hide
    tokens[1, 2:] = 0
    return tokens


def test_masked_text_lstm_imports_and_predicts_identically(keras):
    L = keras.layers
    tokens = keras.Input((7,), dtype="int32", name="tokens")
    x = L.Embedding(30, 8, mask_zero=True, name="embed")(tokens)
    x = L.LSTM(6, return_sequences=True, name="lstm_1")(x)
    x = L.GRU(5, name="gru")(x)
    model = keras.Model(tokens, L.Dense(2, name="out")(x), name="masked_text")
    result = round_trip(model, [padded_tokens()])
    # the mask computation is Keras's own business, not a node
    assert "keras.ops.not_equal" not in {n.type for n in result.workflow.nodes.values()}
    assert not any(result.workflow.incoming("lstm_1", "mask"))


def test_masking_layer_before_a_recurrent_layer(keras):
    L = keras.layers
    seq = keras.Input((6, 3), name="seq")
    x = L.Masking(0.0, name="masking")(seq)
    model = keras.Model(seq, L.SimpleRNN(4, name="rnn")(x))
    data = np.random.default_rng(1).normal(size=(3, 6, 3)).astype("float32")
    data[:, 3:] = 0.0
    round_trip(model, [data])


def test_explicit_mask_tensor_is_wired_to_the_mask_port(keras):
    L = keras.layers
    seq = keras.Input((7, 3), name="seq")
    keep = keras.Input((7,), dtype="bool", name="keep")
    x = L.LSTM(4, name="lstm")(seq, mask=keep)
    model = keras.Model([seq, keep], L.Dense(1, name="out")(x), name="explicit_mask")
    rng = np.random.default_rng(2)
    keep_values = rng.random((3, 7)) > 0.4
    keep_values[:, 0] = True
    result = round_trip(model, [rng.normal(size=(3, 7, 3)).astype("float32"), keep_values])
    assert [e.source for e in result.workflow.incoming("lstm", "mask")] == ["keep"]


def test_attention_mask_is_wired_to_its_port(keras):
    L = keras.layers
    seq = keras.Input((5, 4), name="seq")
    allowed = keras.Input((5, 5), dtype="bool", name="allowed")
    x = L.MultiHeadAttention(2, 4, name="attention")(seq, seq, attention_mask=allowed)
    model = keras.Model([seq, allowed], x, name="attention_mask")
    rng = np.random.default_rng(3)
    mask = np.tril(np.ones((5, 5), bool))[None].repeat(2, axis=0)
    result = round_trip(model, [rng.normal(size=(2, 5, 4)).astype("float32"), mask])
    assert [e.source for e in result.workflow.incoming("attention", "attention_mask")] == ["allowed"]
    assert import_model(model).workflow.nodes["attention"].type == "keras.layers.MultiHeadAttention"
