"""`nodeflow import` keeps a model's trained weights and adapted state: the imported
workflow predicts like the original without copying anything by hand; --structure-only
keeps the layers only, and says so."""

import numpy as np
import pytest

from nodeflow.cli import main
from nodeflow.core import load
from nodeflow.keras.export import export_python
from nodeflow.keras.translator import TranslationError, translate


def trained_model(keras):
    """A small model trained a few steps (BatchNormalization's statistics move too)."""
    keras.utils.set_random_seed(1)
    L = keras.layers
    inputs = keras.Input((6,), name="features")
    norm = L.Normalization(name="norm")
    rng = np.random.default_rng(0)
    x_train = rng.normal(3.0, 2.0, size=(64, 6)).astype("float32")
    norm.adapt(x_train)
    x = L.Dense(8, activation="relu", name="hidden")(norm(inputs))
    x = L.BatchNormalization(name="bn")(x)
    outputs = L.Dense(2, name="head")(x)
    model = keras.Model(inputs, outputs, name="trained")
    model.compile("adam", "mse")
    model.fit(x_train, rng.normal(size=(64, 2)), epochs=2, batch_size=16, verbose=0)
    return model, x_train[:5]


def import_cli(model, tmp_path, capsys, *extra):
    path = tmp_path / "model.keras"
    model.save(path)
    output = tmp_path / "wf.nflow"
    assert main(["import", str(path), "-o", str(output), *extra]) == 0
    return output, capsys.readouterr().out


def test_imported_workflow_predicts_like_the_trained_model(keras, tmp_path, capsys):
    model, x = trained_model(keras)
    output, printed = import_cli(model, tmp_path, capsys)
    weights = tmp_path / "wf.weights.npz"
    assert weights.is_file()
    assert f"weights: {len(model.weights)} arrays kept in {weights}" in printed
    workflow = load(output)  # the workflow refers to its weights; nothing is copied by hand
    rebuilt = translate(workflow).model
    assert rebuilt.count_params() == model.count_params()
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    # the exported script loads the same weights
    namespace = {"__file__": str(tmp_path / "script.py")}
    exec(compile(export_python(workflow, script_dir=tmp_path), "script.py", "exec"), namespace)
    scripted = namespace["build_model"]()
    np.testing.assert_allclose(scripted.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_structure_only_writes_no_weights_and_says_so(keras, tmp_path, capsys):
    model, x = trained_model(keras)
    output, printed = import_cli(model, tmp_path, capsys, "--structure-only")
    assert not (tmp_path / "wf.weights.npz").exists()
    assert "weights: none kept (--structure-only)" in printed
    workflow = load(output)
    assert "keras.LoadWeights" not in {node.type for node in workflow.nodes.values()}
    rebuilt = translate(workflow).model
    assert rebuilt.count_params() == model.count_params()
    assert not np.allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-3)


def test_weights_that_no_longer_fit_name_the_node(keras, tmp_path, capsys):
    model, _ = trained_model(keras)
    output, _ = import_cli(model, tmp_path, capsys)
    workflow = load(output)
    workflow.set_param("hidden", "units", 16)  # the user widens a layer after importing
    with pytest.raises(TranslationError, match="node hidden: its weights in wf.weights.npz do not fit"):
        translate(workflow)


def test_weights_file_holds_plain_arrays_only(keras, tmp_path, capsys):
    model, _ = trained_model(keras)
    import_cli(model, tmp_path, capsys)
    with np.load(tmp_path / "wf.weights.npz", allow_pickle=False) as archive:  # no pickled objects
        assert all(archive[name].dtype != object for name in archive.files)


def text_model(keras):
    """Strings in, TextVectorization + StringLookup adapted (vocabularies outside the config)."""
    L = keras.layers
    sentences = np.array(["the cat sat", "a dog ran far", "the dog sat", "cats and dogs"])
    vectorize = L.TextVectorization(max_tokens=20, output_sequence_length=5, name="vectorize")
    vectorize.adapt(sentences)
    lookup = L.StringLookup(name="colour_lookup", output_mode="one_hot")
    lookup.adapt(np.array(["red", "green", "blue", "red"]))
    text = keras.Input((), dtype="string", name="text")
    colour = keras.Input((1,), dtype="string", name="colour")
    x = L.GlobalAveragePooling1D(name="pool")(L.Embedding(20, 4, name="embed")(vectorize(text)))
    c = L.Flatten(name="flat")(lookup(colour))
    outputs = L.Dense(1, name="out")(L.Concatenate(name="join")([x, c]))
    model = keras.Model([text, colour], outputs, name="text_model")
    import tensorflow as tf  # Keras's predict() takes no NumPy string arrays

    return model, [tf.constant(["the cat ran", "unknown words here"]), tf.constant([["green"], ["pink"]])]


def test_text_model_with_vocabularies_predicts_identically_on_strings(keras, tmp_path, capsys):
    model, inputs = text_model(keras)
    output, _ = import_cli(model, tmp_path, capsys)
    rebuilt = translate(load(output)).model  # used to fail with "Table not initialized"
    np.testing.assert_allclose(np.asarray(rebuilt(inputs)), np.asarray(model(inputs)),
                               rtol=1e-5, atol=1e-6)
