"""Round trip on real, independently written architectures (keras.applications, weights=None):
import -> workflow file -> translate gives the same layers, parameters, output shape and,
with the original weights copied in, the same predictions."""

import numpy as np
import pytest

from nodeflow.core import dumps, loads, validate
from nodeflow.keras.importer import import_model
from nodeflow.keras.translator import translate

pytestmark = pytest.mark.slow

ARCHITECTURES = ["MobileNetV2", "ResNet50", "DenseNet121", "EfficientNetB0", "InceptionV3"]


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_application_round_trip(name, keras):
    original = getattr(keras.applications, name)(weights=None)
    result = import_model(original)
    assert result.generic == [], "every layer should have its own node type"
    workflow = loads(dumps(result.workflow))  # through the file format
    assert validate(workflow) == []
    rebuilt = translate(workflow).model

    assert len(rebuilt.layers) == len(original.layers)
    assert rebuilt.count_params() == original.count_params()
    assert [tuple(t.shape) for t in rebuilt.outputs] == [tuple(t.shape) for t in original.outputs]

    for layer in original.layers:
        if layer.weights:
            rebuilt.get_layer(result.node_ids[layer.name]).set_weights(layer.get_weights())
    size = tuple(original.inputs[0].shape[1:])
    x = np.random.default_rng(7).uniform(0, 255, size=(2, *size)).astype("float32")
    difference = np.max(np.abs(original.predict(x, verbose=0) - rebuilt.predict(x, verbose=0)))
    assert difference < 1e-5
