"""keras.Model -> workflow -> keras.Model keeps layers, parameters, outputs and predictions."""

import subprocess
import sys

import numpy as np
import pytest

from nodeflow.core import dumps, load, loads, save, validate
from nodeflow.keras.importer import ModelImportError, import_model
from nodeflow.keras.translator import translate


def copy_weights(original, rebuilt, node_ids):
    for layer in original.layers:
        if layer.weights:
            rebuilt.get_layer(node_ids[layer.name]).set_weights(layer.get_weights())


def assert_same_model(original, result, inputs):
    rebuilt = translate(result.workflow).model
    # a Sequential model does not list its InputLayer; a functional one does
    layers = list(rebuilt.layers)
    if original.__class__.__name__ == "Sequential":
        layers = [l for l in layers if l.__class__.__name__ != "InputLayer"]
    assert len(layers) == len(original.layers)
    assert rebuilt.count_params() == original.count_params()
    assert [tuple(t.shape) for t in rebuilt.outputs] == [tuple(t.shape) for t in original.outputs]
    copy_weights(original, rebuilt, result.node_ids)
    expected = original.predict(inputs, verbose=0)
    got = rebuilt.predict(inputs, verbose=0)
    for a, b in zip(expected if isinstance(expected, list) else [expected],
                    got if isinstance(got, list) else [got]):
        assert np.max(np.abs(a - b)) < 1e-5
    return rebuilt


def functional(keras):
    L = keras.layers
    image = keras.Input((12, 12, 3), name="image")
    meta = keras.Input((5,), name="meta")
    x = L.Conv2D(8, 3, padding="same", activation="relu", name="conv")(image)
    x = L.BatchNormalization(name="bn")(x)
    x = L.MaxPooling2D(name="pool")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    y = L.Dense(8, kernel_regularizer=keras.regularizers.L2(1e-3), name="meta_dense")(meta)
    z = L.Concatenate(name="concat")([x, y])
    z = L.Dropout(0.3, name="drop")(z)
    out_a = L.Dense(4, activation="softmax", name="label")(z)
    out_b = L.Dense(1, name="score")(z)
    return keras.Model([image, meta], [out_a, out_b], name="two_heads")


def test_functional_model_round_trip(keras, tmp_path):
    model = functional(keras)
    result = import_model(model)
    assert result.generic == []
    assert validate(result.workflow) == []
    wf = result.workflow
    assert wf.nodes["meta_dense"].params == {
        "units": 8, "kernel_regularizer": {"name": "l2", "args": {"l2": 0.001}}}
    assert wf.nodes["conv"].params["kernel_size"] == [3, 3]
    # the file form round-trips too
    path = tmp_path / "two_heads.nflow"
    save(wf, path)
    result.workflow = load(path)
    rng = np.random.default_rng(0)
    assert_same_model(model, result, [rng.normal(size=(3, 12, 12, 3)), rng.normal(size=(3, 5))])


def test_layout_is_left_to_right_by_depth(keras):
    wf = import_model(functional(keras)).workflow
    x = {n: node.position[0] for n, node in wf.nodes.items()}
    for edge in wf.edges:
        assert x[edge.source] < x[edge.target], edge
    assert x["image"] == x["meta"] == 0.0


def test_sequential_model(keras):
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(2)], name="seq")
    result = import_model(model)
    assert [n.type for n in result.workflow] == ["keras.layers.Input", "keras.layers.Dense",
                                                 "keras.layers.Dense"]
    assert_same_model(model, result, np.ones((2, 6)))


def test_unbuilt_sequential_is_refused_clearly(keras):
    with pytest.raises(ModelImportError, match="has no input shape yet"):
        import_model(keras.Sequential([keras.layers.Dense(2)]))


def test_nested_model_and_custom_layer_become_generic_nodes_and_translate_back(keras):
    L = keras.layers

    @keras.saving.register_keras_serializable(package="nodeflow_tests")
    class Scale(L.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    inner = keras.Sequential([keras.Input((4,)), L.Dense(4, activation="relu")], name="block")
    x_in = keras.Input((4,), name="x")
    h = inner(x_in)
    h = Scale(3.0, name="scale")(h)
    out = L.Dense(2, name="out")(h)
    model = keras.Model(x_in, out)
    result = import_model(model)
    assert sorted(result.generic) == ["block", "scale"]
    scale = result.workflow.nodes["scale"].params
    assert scale["class_name"] == "Scale" and scale["registered_name"] == "nodeflow_tests>Scale"
    assert scale["config"]["factor"] == 3.0
    # the generic nodes survive the file format and still translate
    result.workflow = loads(dumps(result.workflow))
    assert_same_model(model, result, np.ones((2, 4)))


def test_lambda_layers_are_refused_and_never_run(keras, tmp_path):
    L = keras.layers
    x_in = keras.Input((3,))
    out = L.Lambda(lambda t: t * 2, name="double")(x_in)
    model = keras.Model(x_in, out)
    with pytest.raises(ModelImportError) as exc:
        import_model(model)
    assert str(exc.value).startswith("layer double is a Lambda layer")
    path = tmp_path / "lambda.keras"
    model.save(path)
    result = subprocess.run([sys.executable, "-m", "nodeflow", "import", str(path), "-o",
                             str(tmp_path / "x.nflow")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 3
    assert "Lambda" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.nflow").exists()


def test_a_shared_layer_becomes_a_node_per_call_naming_the_first(keras):
    L = keras.layers
    shared = L.Dense(3, name="shared")
    a, b = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([a, b], L.Add()([shared(a), shared(b)]))
    workflow = import_model(model).workflow
    assert workflow.nodes["shared_call2"].params["shares_weights_with"] == "shared"
    assert "shares_weights_with" not in workflow.nodes["shared"].params


def test_import_command_writes_an_editable_workflow(keras, tmp_path):
    path = tmp_path / "two_heads.keras"
    functional(keras).save(path)
    out = tmp_path / "two_heads.nflow"
    result = subprocess.run([sys.executable, "-m", "nodeflow", "import", str(path), "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # the layers' nodes plus a Load Weights node taking the two heads
    assert result.stdout.strip().startswith(f"{out}: 12 nodes, 12 connections")
    assert validate(load(out)) == []
    again = subprocess.run([sys.executable, "-m", "nodeflow", "import", str(path), "-o", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "--force" in again.stderr
