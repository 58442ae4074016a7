"""Models with several inputs and outputs import with the same inputs and outputs, in the
same order, and nothing else as an output (not a recurrent layer's unused sequence)."""

import subprocess
import sys

import numpy as np

from nodeflow.core import load, validate
from nodeflow.keras.importer import import_model
from nodeflow.keras.translator import translate

from .test_import_ops import round_trip


def two_in_two_out(keras, as_dicts=False):
    L = keras.layers
    text = keras.Input((6,), name="text")
    meta = keras.Input((3,), name="meta")
    h = L.Concatenate(name="joined")([L.Dense(4, name="text_dense")(text), meta])
    score = L.Dense(1, name="score")(h)
    label = L.Dense(5, activation="softmax", name="label")(h)
    if as_dicts:
        return keras.Model({"text": text, "meta": meta}, {"score": score, "label": label})
    # inputs and outputs deliberately not in the order the layers were made
    return keras.Model([meta, text], [label, score], name="two_by_two")


def test_inputs_and_outputs_keep_the_models_order(keras):
    model = two_in_two_out(keras)
    rng = np.random.default_rng(0)
    round_trip(model, [rng.normal(size=(2, 3)), rng.normal(size=(2, 6))])
    rebuilt = translate(import_model(model).workflow).model
    assert [t.name for t in rebuilt.inputs] == ["meta", "text"]
    assert [tuple(t.shape) for t in rebuilt.outputs] == [(None, 5), (None, 1)]


def test_import_command_reads_a_model_with_named_inputs_and_outputs(keras, tmp_path):
    model = two_in_two_out(keras, as_dicts=True)
    path = tmp_path / "two_by_two.keras"
    model.save(path)
    out = tmp_path / "two_by_two.nflow"
    done = subprocess.run([sys.executable, "-m", "nodeflow", "import", str(path), "-o", str(out)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    workflow = load(out)
    assert validate(workflow) == []
    rebuilt = translate(workflow).model
    assert [t.name for t in rebuilt.inputs] == [t.name for t in model.inputs]
    assert [tuple(t.shape) for t in rebuilt.outputs] == [tuple(t.shape) for t in model.outputs]


def test_encoder_states_feeding_a_decoder_are_not_model_outputs(keras):
    L = keras.layers
    encoder_in = keras.Input((None, 5), name="encoder_in")
    decoder_in = keras.Input((None, 4), name="decoder_in")
    _, state_h, state_c = L.LSTM(8, return_state=True, name="encoder")(encoder_in)
    sequence = L.LSTM(8, return_sequences=True, name="decoder")(decoder_in, initial_state=[state_h, state_c])
    model = keras.Model([encoder_in, decoder_in], L.Dense(3, name="out")(sequence))
    rng = np.random.default_rng(1)
    round_trip(model, [rng.normal(size=(2, 7, 5)).astype("float32"),
                       rng.normal(size=(2, 3, 4)).astype("float32")])
    rebuilt = translate(import_model(model).workflow).model
    assert len(rebuilt.outputs) == 1
