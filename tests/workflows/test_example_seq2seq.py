"""The seq2seq example: an LSTM encoder-decoder translates dates in words to ISO dates.

The workflow runs headless (as `nodeflow run` does) in a fresh folder holding only it. Bars:

- exact match: at least 90% of the 1200 held-out dates (never trained on; every generated
  pair is distinct) are translated exactly, all ten characters, by greedy decoding. Copying
  the year alone or guessing a fixed date gives about 0%; the example measures about 99%.
- export: the encoder and the decoder step written as TensorFlow SavedModels, reloaded
  with tf.saved_model.load, decode the held-out dates to the same strings as the node.
"""


import numpy as np
import pytest

from tests.workflows.example_run import assert_valid_and_ran, example_run

pytestmark = [pytest.mark.keras, pytest.mark.slow]

NAME = "seq2seq"


run = example_run(NAME)


def test_the_example_is_valid_and_runs_to_the_end(run):
    assert_valid_and_ran(*run)


def test_at_least_90_percent_of_held_out_dates_are_translated_exactly(run):
    result, _ = run
    held_out = result.output("partitioning_1", "second")
    decoded = result.output("sequence_decoder", "table")
    assert decoded.num_rows == held_out.num_rows == 1200
    assert set(held_out["source"].tolist()).isdisjoint(result.output("partitioning_1", "first")["source"].tolist())
    exact = np.mean(decoded["translation"] == decoded["target"])
    assert exact >= 0.90, exact
    assert np.array_equal(decoded["translation_correct"], decoded["translation"] == decoded["target"])


def test_the_saved_encoder_and_decoder_translate_as_the_node(run):
    import tensorflow as tf

    from nodes.text import chars
    from nodes.text.decoder import greedy
    from nodes.text.pairs import source_sequences

    result, workflow = run
    folder = {n: workflow.resolve_path(workflow.nodes[n].params["path"])
              for n in ("encoder_writer", "decoder_writer")}
    encoder = tf.saved_model.load(folder["encoder_writer"])  # keep references while serving
    decoder = tf.saved_model.load(folder["decoder_writer"])
    tokens = chars.from_table(result.output("text_pairs_to_sequences_1", "vocabulary"))
    decoded = result.output("sequence_decoder", "table")
    sources = source_sequences(decoded["source"].tolist(), tokens, 22)

    def encode(x):
        return [t.numpy() for t in encoder.serve(tf.constant(x))]

    def step(feed, states):
        out = decoder.serve([tf.constant(feed), *[tf.convert_to_tensor(s) for s in states]])
        return out[0].numpy(), list(out[1:])

    max_length = workflow.nodes["sequence_decoder"].params["max_length"]
    texts = [chars.decode(row, tokens) for row in greedy(encode, step, sources, max_length)]
    assert texts == decoded["translation"].tolist()
