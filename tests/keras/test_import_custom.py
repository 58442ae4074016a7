"""Custom layers: a registered class imports as a generic node that needs its module
(and the import says so); an unregistered class is refused naming the layer and the
class, with exit 3 and no traceback."""

import numpy as np

from nodeflow.cli import main

from .roundtrip import check_roundtrip
from .scale_layer import scale_class


def scaled_model(keras, layer_class):
    keras.utils.set_random_seed(2)
    inputs = keras.Input((4,), name="x")
    x = layer_class(factor=3.0, name="scale")(keras.layers.Dense(4, name="dense")(inputs))
    return keras.Model(inputs, x)


def test_registered_custom_layer_imports_and_names_its_module(keras, tmp_path, capsys):
    model = scaled_model(keras, scale_class())
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    workflow = check_roundtrip(model, x, tmp_path, capsys)
    assert workflow.nodes["scale"].type == "keras.GenericLayer"
    (tmp_path / "again").mkdir()
    model.save(tmp_path / "again" / "m.keras")
    assert main(["import", str(tmp_path / "again" / "m.keras"), "-o",
                 str(tmp_path / "again" / "wf.nflow")]) == 0
    out = capsys.readouterr().out
    assert "custom layers: scale (nodeflow_test>Scale)" in out
    assert "tests.keras.scale_layer must be importable" in out


def test_unregistered_custom_class_is_refused_naming_layer_and_class(keras, tmp_path, capsys):
    class Unregistered(keras.layers.Layer):
        def call(self, x):
            return x * 2.0

    inputs = keras.Input((4,))
    model = keras.Model(inputs, Unregistered(name="doubler")(inputs))
    path = tmp_path / "m.keras"
    model.save(path)
    assert main(["import", str(path), "-o", str(tmp_path / "wf.nflow")]) == 3
    err = capsys.readouterr().err
    assert "layer doubler" in err and "Unregistered" in err
    assert "Traceback" not in err
