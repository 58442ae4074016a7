"""Text to Training Sequences and Text Generator, called directly on small data."""

import numpy as np
import pytest

from nodeflow.core.errors import NodeRunError
from nodeflow.runtime.table import Table
from nodes.text import chars
from nodes.text.generator import TEXT_GENERATOR, generation_network
from nodes.text.sequences import TEXT_TO_TRAINING_SEQUENCES

NAMES = Table({"name": np.array(["ab", "ba", "abba"])})


def sequences(ctx, table, vocabulary=None, **params):
    spec = TEXT_TO_TRAINING_SEQUENCES
    inputs = {"table": table, **({"vocabulary": vocabulary} if vocabulary is not None else {})}
    return spec.run(ctx, inputs, spec.resolve({"column": ["name"], **params}))


def test_windows_start_at_the_start_marker_and_end_with_the_end_marker(ctx):
    out = sequences(ctx, NAMES, window=3)
    vocab = out["vocabulary"]
    assert vocab["token"].tolist() == ["", "[START]", "[END]", "a", "b"]  # a and b tie: character order
    assert vocab["count"].tolist() == [0, 0, 0, 4, 4]
    a, b = 3, 4
    table = out["table"]
    # "ab": [START] a b [END] -> three windows, left-padded with 0
    assert table["window"][:3].tolist() == [[0, 0, 1], [0, 1, a], [1, a, b]]
    assert table["next"][:3].tolist() == [a, b, chars.END]
    # "abba" is longer than the window: the last window no longer holds the start
    assert table["window"][-1].tolist() == [b, b, a]
    assert table["text_row"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2]
    assert table["window"].dtype == np.int32


def test_a_reused_vocabulary_keeps_the_indices_and_refuses_unknown_characters(ctx):
    fitted = sequences(ctx, NAMES)["vocabulary"]
    again = sequences(ctx, Table({"name": np.array(["bb"])}), vocabulary=fitted)
    assert again["vocabulary"] is fitted
    assert again["table"]["next"].tolist() == [4, 4, chars.END]
    with pytest.raises(NodeRunError, match=r"column: expected only characters of the vocabulary, got 'c'"):
        sequences(ctx, Table({"name": np.array(["abc"])}), vocabulary=fitted)


def test_a_number_column_is_refused_with_its_kind(ctx):
    with pytest.raises(NodeRunError, match="column: expected a text column, column 'name' holds integers"):
        sequences(ctx, Table({"name": np.array([1, 2])}))


def small_model(vocabulary_size, recurrent="LSTM"):
    import keras

    keras.utils.set_random_seed(0)
    x = keras.Input(shape=(5,), dtype="int32")
    h = keras.layers.Embedding(vocabulary_size, 4, mask_zero=True)(x)
    h = getattr(keras.layers, recurrent)(6, return_sequences=True)(h)
    h = keras.layers.GRU(5)(h)
    y = keras.layers.Dense(vocabulary_size, activation="softmax")(h)
    return keras.Model(x, y)


@pytest.mark.keras
@pytest.mark.parametrize("recurrent", ["LSTM", "SimpleRNN"])
def test_the_generation_network_steps_exactly_as_the_window_network_reads(recurrent):
    """Fed one character at a time from zero states, the rebuilt network gives the trained
    network's next-character probabilities for the window holding the same characters."""
    model = small_model(7, recurrent)
    network, _ = generation_network(model)
    text = [chars.START, 3, 5, 4]
    states = [np.zeros((1, int(t.shape[-1])), "float32") for t in network.inputs[1:]]
    for t, token in enumerate(text):
        out = network([np.array([[token]], "int32"), *states])
        states = [s.numpy() for s in out[1:]]
        window = chars.pad([text[:t + 1]], 5, "pre")
        np.testing.assert_allclose(out[0].numpy(), model.predict(window, verbose=0), atol=1e-5)


@pytest.mark.keras
def test_the_generator_repeats_with_its_seed_and_respects_length_seed_text_and_stop(ctx):
    vocabulary = chars.table(["a", "b", " "], [3, 2, 1])
    model = small_model(6)
    spec = TEXT_GENERATOR

    def generate(**params):
        return spec.run(ctx, {"model": model, "vocabulary": vocabulary},
                        spec.resolve({"count": 30, "seed": 5, **params}))

    first = generate(max_length=4, seed_text="ab")
    texts = first["table"]["text"].tolist()
    assert texts == generate(max_length=4, seed_text="ab")["table"]["text"].tolist()
    assert texts != generate(max_length=4, seed_text="ab", seed=6)["table"]["text"].tolist()
    assert all(t.startswith("ab") and len(t) <= 6 for t in texts)
    assert len(set(texts)) > 1
    stopped = generate(max_length=30, stop_character=" ", temperature=3.0)["table"]["text"].tolist()
    assert all(" " not in t for t in stopped)
    assert [inp.name for inp in first["generator"].inputs][0] == "token"


@pytest.mark.keras
def test_the_generator_refuses_a_vocabulary_of_another_size_and_unknown_seed_text(ctx):
    model = small_model(6)
    spec = TEXT_GENERATOR
    with pytest.raises(NodeRunError, match="vocabulary: the model predicts 6 indices but the vocabulary "
                                           "has 5"):
        spec.run(ctx, {"model": model, "vocabulary": chars.table(["a", "b"], [1, 1])}, spec.resolve({}))
    vocabulary = chars.table(["a", "b", "c"], [1, 1, 1])
    with pytest.raises(NodeRunError, match="seed_text: expected only characters of the vocabulary, got 'z'"):
        spec.run(ctx, {"model": model, "vocabulary": vocabulary}, spec.resolve({"seed_text": "az"}))


@pytest.mark.keras
def test_a_model_that_is_not_a_next_character_network_is_refused_with_its_layers(ctx):
    import keras

    x = keras.Input(shape=(4,))
    model = keras.Model(x, keras.layers.Dense(3)(x))
    spec = TEXT_GENERATOR
    with pytest.raises(NodeRunError, match="model: expected Embedding -> LSTM/GRU/SimpleRNN .*; got Dense"):
        spec.run(ctx, {"model": model, "vocabulary": chars.table(["a"], [1])}, spec.resolve({}))


def test_the_stop_character_is_validated_as_one_character():
    problems = TEXT_GENERATOR.param("stop_character").check("ab")
    assert problems and "at most one character" in problems[0][1]
