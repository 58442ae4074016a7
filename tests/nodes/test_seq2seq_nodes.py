"""Translation Pairs, Text Pairs to Sequences and Sequence Decoder, called directly."""

import numpy as np
import pytest

from nodeflow.core.errors import NodeRunError
from nodeflow.runtime.table import Table
from nodes.text import chars
from nodes.text.decoder import SEQUENCE_DECODER, split
from nodes.text.pairs import TEXT_PAIRS_TO_SEQUENCES, TRANSLATION_PAIRS, number_in_words


def run(spec, ctx, inputs, **params):
    return spec.run(ctx, inputs, spec.resolve(params))


@pytest.mark.parametrize("n, words", [(0, "zero"), (13, "thirteen"), (40, "forty"), (90, "ninety"),
                                      (105, "one hundred five"), (7042, "seven thousand forty-two"),
                                      (9999, "nine thousand nine hundred ninety-nine")])
def test_numbers_in_words(n, words):
    assert number_in_words(n) == words


def test_pairs_are_distinct_repeatable_and_dates_are_iso(ctx):
    first = run(TRANSLATION_PAIRS, ctx, {}, count=500, seed=3)["table"]
    assert first["target"].tolist() == run(TRANSLATION_PAIRS, ctx, {}, count=500, seed=3)["table"]["target"].tolist()
    assert len(set(first["target"].tolist())) == 500
    for source, target in zip(first["source"].tolist(), first["target"].tolist()):
        year, month, day = (int(p) for p in target.split("-"))
        assert str(year) in source and str(day) in source
        assert ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december"][month - 1] in source
    numbers = run(TRANSLATION_PAIRS, ctx, {}, task="number_words", count=10_000, seed=1)["table"]
    assert sorted(int(t) for t in numbers["target"]) == list(range(10_000))
    with pytest.raises(NodeRunError, match="count: expected at most 10,000 for number_words"):
        run(TRANSLATION_PAIRS, ctx, {}, task="number_words", count=10_001)


PAIRS = Table({"source": np.array(["ab", "b"]), "target": np.array(["12", "2"])})


def test_teacher_forcing_sequences_shift_the_target_by_one(ctx):
    out = run(TEXT_PAIRS_TO_SEQUENCES, ctx, {"table": PAIRS}, source_column=["source"],
              target_column=["target"], source_length=3, target_length=4)
    tokens = out["vocabulary"]["token"].tolist()
    assert tokens[:3] == list(chars.MARKERS)
    index = {t: i for i, t in enumerate(tokens)}
    table = out["table"]
    assert table["encoder_input"].tolist() == [[index["a"], index["b"], 0], [index["b"], 0, 0]]
    assert table["decoder_input"].tolist() == [[chars.START, index["1"], index["2"], 0], [chars.START, index["2"], 0, 0]]
    assert table["decoder_target"].tolist() == [[index["1"], index["2"], chars.END, 0], [index["2"], chars.END, 0, 0]]
    assert table["source"].tolist() == ["ab", "b"]  # the texts stay, for the decoder and scoring


def test_lengths_too_short_for_the_texts_are_refused_with_the_length_needed(ctx):
    with pytest.raises(NodeRunError, match=r"target_length: expected at least 3 \(the longest target text "
                                           r"plus the end marker\), got 2"):
        run(TEXT_PAIRS_TO_SEQUENCES, ctx, {"table": PAIRS}, source_column=["source"], target_column=["target"],
            target_length=2)
    with pytest.raises(NodeRunError, match=r"source_length: expected at least 2"):
        run(TEXT_PAIRS_TO_SEQUENCES, ctx, {"table": PAIRS}, source_column=["source"], target_column=["target"],
            source_length=1)


def encoder_decoder(vocabulary_size, units=8):
    import keras

    keras.utils.set_random_seed(0)
    source = keras.Input((5,), dtype="int32")
    target = keras.Input((4,), dtype="int32")
    _, h, c = keras.layers.LSTM(units, return_state=True)(keras.layers.Embedding(vocabulary_size, 4, mask_zero=True)(source))
    x = keras.layers.Embedding(vocabulary_size, 4, mask_zero=True)(target)
    x = keras.layers.LSTM(units, return_sequences=True)(x, initial_state=[h, c])
    return keras.Model([source, target], keras.layers.Dense(vocabulary_size, activation="softmax")(x))


@pytest.mark.keras
def test_the_split_networks_compute_what_the_trained_network_computes():
    """Encoder states, then the decoder step fed the teacher-forced tokens one by one, give the
    trained network's per-step probabilities."""
    model = encoder_decoder(7)
    encoder, decoder, _ = split(model)
    source = np.array([[3, 4, 5, 0, 0]], "int32")
    target = np.array([[chars.START, 6, 3, 4]], "int32")
    expected = model.predict([source, target], verbose=0)[0]
    states = [t.numpy() for t in encoder(source)]
    for t in range(4):
        out = decoder([target[:, t:t + 1], *states])
        states = [s.numpy() for s in out[1:]]
        np.testing.assert_allclose(out[0].numpy()[0], expected[t], atol=1e-5)


@pytest.mark.keras
def test_the_decoder_translates_and_scores_against_a_reference(ctx):
    vocabulary = chars.table(["a", "b", "1", "2"], [1, 1, 1, 1])
    table = Table({"source": np.array(["ab", "ba", "a"]), "target": np.array(["12", "21", "1"])})
    out = run(SEQUENCE_DECODER, ctx, {"model": encoder_decoder(7), "vocabulary": vocabulary, "table": table},
              source_column=["source"], max_length=3, reference_column="target", batch_size=2)
    decoded = out["table"]
    assert decoded["translation"].dtype.kind == "U" and all(len(t) <= 3 for t in decoded["translation"])
    assert decoded["translation_correct"].tolist() == (decoded["translation"] == table["target"]).tolist()
    assert [t.name for t in out["decoder"].inputs][0] == "token"
    assert any("exact match with target" in e.get("message", "") for e in ctx.events)


@pytest.mark.keras
def test_a_single_input_model_is_refused_naming_what_is_expected(ctx):
    import keras

    x = keras.Input((5,), dtype="int32")
    y = keras.layers.Dense(7)(keras.layers.LSTM(4)(keras.layers.Embedding(7, 3)(x)))
    with pytest.raises(NodeRunError, match="model: expected an encoder-decoder with two inputs"):
        run(SEQUENCE_DECODER, ctx, {"model": keras.Model(x, y), "vocabulary": chars.table(list("abcd"), [1] * 4),
                                    "table": Table({"s": np.array(["a"])})}, source_column=["s"])
