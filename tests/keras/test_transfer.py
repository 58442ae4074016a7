"""Transfer learning nodes: read a trained network, build on it, freeze, choose outputs."""

import numpy as np
import pytest

from nodeflow.core import Workflow, load, save
from nodeflow.keras.translator import TranslationError, translate


def trained_network(keras, path):
    """A small 'pretrained' network saved as .keras, with recognisable weights."""
    L = keras.layers
    x_in = keras.Input((6,), name="features")
    h = L.Dense(8, activation="relu", name="base_dense_1")(x_in)
    h = L.Dense(8, activation="relu", name="base_dense_2")(h)
    out = L.Dense(3, activation="softmax", name="base_head")(h)
    model = keras.Model(x_in, out)
    model.get_layer("base_dense_1").set_weights([np.full((6, 8), 0.1), np.zeros(8)])
    model.save(path)
    return model


def reader_workflow(path, freeze=("base_*",), mode="freeze matching"):
    wf = Workflow()
    wf.base_dir = str(path.parent)
    wf.add_node("keras.NetworkReader", {"path": path.name}, node_id="reader")
    wf.add_node("keras.FreezeLayers", {"layers": list(freeze), "mode": mode}, node_id="freeze")
    wf.add_node("keras.layers.Dense", {"units": 2, "activation": "softmax"}, node_id="new_head")
    wf.connect("reader", "output", "freeze", "input")
    wf.connect("freeze", "output", "new_head", "input")
    return wf


def trainable_layers(model):
    return sorted(layer.name for layer in model.layers if layer.trainable and layer.weights)


def test_a_read_network_keeps_its_weights_and_gets_a_new_head(keras, tmp_path):
    trained_network(keras, tmp_path / "base.keras")
    wf = reader_workflow(tmp_path / "base.keras")
    save(wf, tmp_path / "tl.nflow")  # the relative path resolves against the workflow's folder
    model = translate(load(tmp_path / "tl.nflow")).model
    assert [tuple(t.shape) for t in model.outputs] == [(None, 2)]
    np.testing.assert_allclose(model.get_layer("base_dense_1").get_weights()[0], 0.1)
    assert trainable_layers(model) == ["new_head"]


def test_train_only_matching_and_bad_patterns(keras, tmp_path):
    trained_network(keras, tmp_path / "base.keras")
    model = translate(reader_workflow(tmp_path / "base.keras", ["base_head"], "train only matching")).model
    assert trainable_layers(model) == ["base_head", "new_head"]
    with pytest.raises(TranslationError) as exc:
        translate(reader_workflow(tmp_path / "base.keras", ["bsae_*"]))
    assert str(exc.value).startswith("node freeze: input has shape (None, 3): layers: the pattern "
                                     "'bsae_*' matches no layer upstream; layers are: ")


def test_a_missing_file_names_the_node_and_path(keras, tmp_path):
    wf = reader_workflow(tmp_path / "nowhere.keras")
    with pytest.raises(TranslationError) as exc:
        translate(wf)
    assert str(exc.value).startswith("node reader: path: expected an existing .keras file or "
                                     "SavedModel folder, got ")


def test_set_output_layers_exposes_an_intermediate_layer(keras, tmp_path):
    trained_network(keras, tmp_path / "base.keras")
    wf = reader_workflow(tmp_path / "base.keras")
    wf.add_node("keras.SetOutputLayers", {"layers": ["base_dense_2"]}, node_id="outputs")
    wf.connect("new_head", "output", "outputs", "inputs")
    model = translate(wf).model
    assert [tuple(t.shape) for t in model.outputs] == [(None, 2), (None, 8)]


def test_a_savedmodel_folder_is_read_through_its_serving_function(keras, tmp_path):
    original = trained_network(keras, tmp_path / "base.keras")
    original.export(str(tmp_path / "served"), format="tf_saved_model", verbose=False)
    wf = Workflow()
    wf.add_node("keras.NetworkReader", {"path": str(tmp_path / "served"), "unsafe_deserialization": True},
                node_id="reader")
    model = translate(wf).model
    x = np.random.default_rng(1).normal(size=(4, 6)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), original.predict(x, verbose=0), atol=1e-6)


def test_pretrained_architecture_with_a_local_weights_file(keras, tmp_path):
    source = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3),
                                            alpha=1.0, pooling="avg")
    weights = tmp_path / "mobilenet.weights.h5"
    source.save_weights(weights)
    wf = Workflow()
    wf.add_node("keras.PretrainedArchitecture",
                {"architecture": "MobileNetV2", "input_shape": [32, 32, 3], "pooling": "avg",
                 "weights_file": str(weights)}, node_id="backbone")
    model = translate(wf).model
    assert model.count_params() == source.count_params()
    np.testing.assert_allclose(model.get_layer("Conv1").get_weights()[0],
                               source.get_layer("Conv1").get_weights()[0])
