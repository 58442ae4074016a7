"""Acceptance suite for the importer: functional models written the way the keras-io
examples write them (tensor math between layers, masks, several inputs and outputs,
recurrent states, shared and nested layers, lookup and adapted preprocessing layers,
custom layers), each saved as .keras, imported with its weights by `nodeflow import`,
and checked by `check_roundtrip`: same parameter count, same layer count, predictions
within 1e-5 relative, and an exported script that builds the same parameter count.
Every model is tiny so the file stays a CI-sized cost."""

import numpy as np
import pytest

from .roundtrip import check_roundtrip
from .scale_layer import scale_class

RNG = np.random.default_rng


def _keras():
    from nodeflow.keras import load_keras

    return load_keras()


def strings(rows):
    """A string batch as a tensor (Keras's predict refuses NumPy string arrays)."""
    import tensorflow as tf

    return tf.constant(rows)


# Each builder returns (model, x): a tiny model and a batch of inputs for it.

def transformer_encoder(keras, L, ops):
    tokens = keras.Input((8,), dtype="int32", name="tokens")
    positions = ops.cumsum(ops.ones_like(tokens), axis=1) - 1  # positional embedding via ops
    x = L.Embedding(40, 16, name="token_embed")(tokens) + L.Embedding(8, 16, name="pos_embed")(positions)
    attended = L.MultiHeadAttention(2, 8, name="attention")(x, x)
    x = L.LayerNormalization(name="norm_1")(x + attended)  # raw residual math
    ff = L.Dense(16, name="ff_out")(L.Dense(32, activation="relu", name="ff_in")(x))
    x = L.LayerNormalization(name="norm_2")(x + ff)
    pooled = ops.mean(x, axis=1)
    first = x[:, 0]
    out = L.Dense(3, activation="softmax", name="head")(ops.concatenate([pooled, first], axis=-1))
    return keras.Model(tokens, out), RNG(0).integers(0, 40, size=(3, 8)).astype("int32")


def masked_text_lstm(keras, L, ops):
    tokens = keras.Input((7,), dtype="int32", name="tokens")
    x = L.Embedding(30, 8, mask_zero=True, name="embed")(tokens)
    x = L.LSTM(6, name="lstm")(x)
    tokens_x = RNG(1).integers(1, 30, size=(4, 7)).astype("int32")
    tokens_x[:, 4:] = 0
    tokens_x[1, 2:] = 0
    return keras.Model(tokens, L.Dense(2, name="out")(x)), tokens_x


def multi_io_dicts(keras, L, ops):
    text = keras.Input((6,), name="text")
    meta = keras.Input((3,), name="meta")
    h = L.Concatenate(name="joined")([L.Dense(4, activation="relu", name="text_dense")(text), meta])
    score = L.Dense(1, name="score")(h)
    label = L.Dense(5, activation="softmax", name="label")(h)
    model = keras.Model({"text": text, "meta": meta}, {"score": score, "label": label})
    rng = RNG(2)
    return model, {"text": rng.normal(size=(3, 6)).astype("float32"),
                   "meta": rng.normal(size=(3, 3)).astype("float32")}


def seq2seq_states(keras, L, ops):
    encoder_in = keras.Input((None, 5), name="encoder_in")
    decoder_in = keras.Input((None, 4), name="decoder_in")
    _, state_h, state_c = L.LSTM(8, return_state=True, name="encoder")(encoder_in)
    sequence = L.LSTM(8, return_sequences=True, name="decoder")(
        decoder_in, initial_state=[state_h, state_c])
    model = keras.Model([encoder_in, decoder_in], L.Dense(3, activation="softmax", name="out")(sequence))
    rng = RNG(3)
    return model, [rng.normal(size=(2, 6, 5)).astype("float32"),
                   rng.normal(size=(2, 3, 4)).astype("float32")]


def siamese_shared(keras, L, ops):
    left, right = keras.Input((8,), name="left"), keras.Input((8,), name="right")
    embed = L.Dense(16, activation="relu", name="embed")
    project = L.Dense(4, name="project")
    a, b = project(embed(left)), project(embed(right))
    distance = ops.sqrt(ops.sum(ops.square(a - b), axis=1, keepdims=True) + 1e-6)
    model = keras.Model([left, right], L.Dense(1, activation="sigmoid", name="score")(distance))
    rng = RNG(4)
    return model, [rng.normal(size=(4, 8)).astype("float32") for _ in range(2)]


def string_lookup_text(keras, L, ops):
    lookup = L.StringLookup(vocabulary=["red", "green", "blue", "cyan"], name="lookup")
    words = keras.Input((5,), dtype="string", name="words")
    x = L.Embedding(lookup.vocabulary_size(), 4, name="embed")(lookup(words))
    x = L.GlobalAveragePooling1D(name="pool")(x)
    model = keras.Model(words, L.Dense(2, name="out")(x))
    return model, strings([["red", "blue", "plum", "cyan", "red"],
                           ["green", "green", "blue", "red", "teal"]])


def text_vectorization(keras, L, ops):
    vectorize = L.TextVectorization(max_tokens=20, output_sequence_length=6, name="vectorize")
    vectorize.adapt(["the cat sat on the mat", "a dog ate my homework", "the dog sat"])
    text = keras.Input((1,), dtype="string", name="text")
    x = L.Embedding(20, 4, mask_zero=True, name="embed")(vectorize(text))
    x = L.GRU(3, name="gru")(x)
    model = keras.Model(text, L.Dense(1, name="out")(x))
    return model, strings([["the cat ate"], ["my dog sat on a mat and more"]])


def conv_lstm(keras, L, ops):
    frames = keras.Input((3, 8, 8, 1), name="frames")
    x = L.ConvLSTM2D(4, 3, padding="same", return_sequences=True, name="conv_lstm_1")(frames)
    x = L.BatchNormalization(name="bn")(x)
    x = L.ConvLSTM2D(2, 3, padding="same", name="conv_lstm_2")(x)
    model = keras.Model(frames, L.Conv2D(1, 3, padding="same", activation="sigmoid", name="out")(x))
    return model, RNG(5).random((2, 3, 8, 8, 1)).astype("float32")


def small_unet(keras, L, ops):
    image = keras.Input((16, 16, 3), name="image")
    c1 = L.Conv2D(4, 3, padding="same", activation="relu", name="down_1")(image)
    p1 = L.MaxPooling2D(name="pool_1")(c1)
    c2 = L.Conv2D(8, 3, padding="same", activation="relu", name="down_2")(p1)
    p2 = L.MaxPooling2D(name="pool_2")(c2)
    bottom = L.Conv2D(16, 3, padding="same", activation="relu", name="bottom")(p2)
    u2 = L.Conv2DTranspose(8, 2, strides=2, padding="same", name="up_2")(bottom)
    u2 = L.Conv2D(8, 3, padding="same", activation="relu", name="merge_2")(
        L.concatenate([u2, c2], name="skip_2"))
    u1 = L.Conv2DTranspose(4, 2, strides=2, padding="same", name="up_1")(u2)
    u1 = L.Conv2D(4, 3, padding="same", activation="relu", name="merge_1")(
        L.concatenate([u1, c1], name="skip_1"))
    model = keras.Model(image, L.Conv2D(2, 1, activation="softmax", name="mask")(u1))
    return model, RNG(6).random((2, 16, 16, 3)).astype("float32")


def nested_sequential(keras, L, ops):
    block = keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu"),
                              L.Dropout(0.2), L.Dense(4)], name="block")
    inputs = keras.Input((6,), name="x")
    hidden = block(inputs)
    model = keras.Model(inputs, L.Dense(1, name="head")(ops.relu(hidden) + hidden))
    return model, RNG(7).normal(size=(5, 6)).astype("float32")


def custom_layer(keras, L, ops):
    inputs = keras.Input((4,), name="x")
    x = scale_class()(factor=3.0, name="scale")(L.Dense(4, name="dense")(inputs))
    return keras.Model(inputs, L.Dense(2, name="out")(x)), RNG(8).normal(size=(3, 4)).astype("float32")


def bidirectional_gru(keras, L, ops):
    seq = keras.Input((6, 3), name="seq")
    x = L.Bidirectional(L.GRU(4, return_sequences=True), name="bi_gru")(seq)
    x = L.Bidirectional(L.GRU(3), merge_mode="sum", name="bi_gru_2")(x)
    model = keras.Model(seq, L.Dense(2, name="out")(x))
    return model, RNG(9).normal(size=(3, 6, 3)).astype("float32")


def separable_residual_cnn(keras, L, ops):
    image = keras.Input((12, 12, 4), name="image")
    x = L.DepthwiseConv2D(3, padding="same", use_bias=False, name="depthwise")(image)
    x = L.BatchNormalization(name="bn_1")(x)
    x = L.Activation("relu", name="relu_1")(x)
    x = L.SeparableConv2D(4, 3, padding="same", name="separable")(x)
    x = L.BatchNormalization(name="bn_2")(x)
    x = L.Add(name="residual")([x, image])
    x = L.GlobalMaxPooling2D(name="pool")(x)
    model = keras.Model(image, L.Dense(3, name="out")(x))
    return model, RNG(10).normal(size=(2, 12, 12, 4)).astype("float32")


def attention_explicit_mask(keras, L, ops):
    query = keras.Input((5, 4), name="query")
    value = keras.Input((6, 4), name="value")
    allowed = keras.Input((5, 6), dtype="bool", name="allowed")
    x = L.MultiHeadAttention(2, 4, name="attention")(query, value, attention_mask=allowed)
    x = L.Attention(name="dot_attention")([x, value])
    model = keras.Model([query, value, allowed], L.Dense(1, name="out")(x))
    rng = RNG(11)
    mask = rng.random((2, 5, 6)) > 0.3
    mask[:, :, 0] = True
    return model, [rng.normal(size=(2, 5, 4)).astype("float32"),
                   rng.normal(size=(2, 6, 4)).astype("float32"), mask]


def adapted_preprocessing(keras, L, ops):
    rng = RNG(12)
    data = rng.normal(3.0, 2.0, size=(50, 3)).astype("float32")
    normalize = L.Normalization(name="normalize")
    normalize.adapt(data)
    bins = L.Discretization(num_bins=4, name="bins")
    bins.adapt(data[:, :1])
    features = keras.Input((3,), name="features")
    bucket = L.CategoryEncoding(num_tokens=4, output_mode="one_hot", name="one_hot")(
        bins(features[:, :1]))
    x = L.Concatenate(name="joined")([normalize(features), bucket])
    model = keras.Model(features, L.Dense(1, name="out")(x))
    return model, data[:5]


def cnn_1d_pooling(keras, L, ops):
    signal = keras.Input((20, 2), name="signal")
    x = L.Conv1D(6, 3, activation="relu", name="conv_1")(signal)
    x = L.MaxPooling1D(2, name="pool")(x)
    x = L.Conv1D(6, 3, activation="relu", name="conv_2")(x)
    both = L.Concatenate(name="both")([L.GlobalAveragePooling1D(name="avg")(x),
                                       ops.mean(x, axis=1), ops.max(x, axis=1)])
    model = keras.Model(signal, L.Dense(2, name="out")(both))
    return model, RNG(13).normal(size=(3, 20, 2)).astype("float32")


def ops_math_block(keras, L, ops):
    x_in = keras.Input((4, 6), name="x")
    scores = ops.matmul(x_in, ops.transpose(x_in, axes=(0, 2, 1))) / 2.0
    weights = ops.softmax(scores, axis=-1)
    mixed = ops.matmul(weights, x_in)
    x = ops.reshape(mixed, (-1, 24))
    x = ops.clip(L.Dense(5, name="dense")(x), -1.0, 1.0) * 0.5 + ops.expand_dims(x_in[:, 0, 0], -1)
    model = keras.Model(x_in, L.Dense(2, name="out")(x))
    return model, RNG(14).normal(size=(3, 4, 6)).astype("float32")


MODELS = [transformer_encoder, masked_text_lstm, multi_io_dicts, seq2seq_states, siamese_shared,
          string_lookup_text, text_vectorization, conv_lstm, small_unet, nested_sequential,
          custom_layer, bidirectional_gru, separable_residual_cnn, attention_explicit_mask,
          adapted_preprocessing, cnn_1d_pooling, ops_math_block]


@pytest.mark.parametrize("build", MODELS, ids=[f.__name__ for f in MODELS])
def test_model_round_trips_with_its_weights(build, keras, tmp_path, capsys):
    keras.utils.set_random_seed(0)
    model, x = build(keras, keras.layers, keras.ops)
    check_roundtrip(model, x, tmp_path, capsys)


def conv_lstm_variant(keras, config):
    """ConvLSTM in the configurations whose exported script used to index outputs the
    layer does not return (a state output of a layer without return_state)."""
    L = keras.layers
    channels_first = config == "channels_first"
    frames = keras.Input((3, 1, 6, 6) if channels_first else (3, 6, 6, 1), name="frames")
    if config == "last_output":
        out = L.ConvLSTM2D(2, 3, name="conv_lstm")(frames)
    elif config == "channels_first":
        out = L.ConvLSTM2D(2, 3, padding="same", data_format="channels_first", name="conv_lstm")(frames)
    elif config == "states_used":
        _, h, c = L.ConvLSTM2D(2, 3, return_state=True, name="conv_lstm")(frames)
        out = L.Add(name="both")([h, c])
    elif config == "states_as_outputs":
        out = list(L.ConvLSTM2D(2, 3, return_sequences=True, return_state=True, name="conv_lstm")(frames))
    elif config == "conv1d_and_3d":
        seq = L.ConvLSTM1D(2, 3, return_sequences=True, name="conv_lstm_1d")(L.Reshape((3, 6, 6))(frames))
        volume = L.Reshape((3, 2, 2, 2, 1))(seq)
        out = L.ConvLSTM3D(2, 2, padding="same", name="conv_lstm_3d")(volume)
    shape = (2, *frames.shape[1:])
    return keras.Model(frames, out), np.random.default_rng(15).random(shape).astype("float32")


@pytest.mark.parametrize("config", ["last_output", "channels_first", "states_used",
                                    "states_as_outputs", "conv1d_and_3d"])
def test_conv_lstm_configurations_export_and_round_trip(config, keras, tmp_path, capsys):
    keras.utils.set_random_seed(0)
    model, x = conv_lstm_variant(keras, config)
    check_roundtrip(model, x, tmp_path, capsys)
