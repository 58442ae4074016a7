"""Functional models with keras.ops math between layers import as operation nodes and
round-trip: same parameters, same layers, same predictions, and an exported script that
builds the same model."""

import numpy as np
import pytest

from nodeflow.core import dumps, loads, validate
from nodeflow.keras.export import export_python
from nodeflow.keras.importer import import_model
from nodeflow.keras.translator import translate


def copy_weights(original, rebuilt, node_ids):
    for layer in original.layers:
        if layer.weights:
            rebuilt.get_layer(node_ids[layer.name]).set_weights(layer.get_weights())


def predictions(model, inputs):
    out = model.predict(inputs, verbose=0)
    return out if isinstance(out, list) else [out]


def round_trip(original, inputs, check_export=True):
    """Import, save and load, translate back and compare; returns the import result."""
    result = import_model(original)
    workflow = loads(dumps(result.workflow))  # through the file format
    assert validate(workflow) == []
    rebuilt = translate(workflow).model
    assert rebuilt.count_params() == original.count_params()
    assert len(rebuilt.layers) == len(original.layers)
    assert [tuple(t.shape) for t in rebuilt.inputs] == [tuple(t.shape) for t in original.inputs]
    assert [tuple(t.shape) for t in rebuilt.outputs] == [tuple(t.shape) for t in original.outputs]
    copy_weights(original, rebuilt, result.node_ids)
    for want, got in zip(predictions(original, inputs), predictions(rebuilt, inputs), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    if check_export:
        namespace = {}
        exec(compile(export_python(workflow), "exported.py", "exec"), namespace)
        assert namespace["build_model"]().count_params() == original.count_params()
    return result


def node_types(result):
    return {node_id: node.type for node_id, node in result.workflow.nodes.items()}


def sequence_input(keras, steps=6, features=8, name="tokens"):
    return keras.Input((steps, features), name=name)


def rng_inputs(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=shape).astype("float32") for shape in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def test_residual_sum_and_scaling_become_operation_nodes(keras):
    keras.backend.clear_session()  # names are counted per session: an earlier Add layer is "add"
    inputs = sequence_input(keras)
    x = keras.layers.Dense(8, activation="relu", name="ff")(inputs)
    x = x + inputs
    x = x * 0.5
    model = keras.Model(inputs, x)
    result = round_trip(model, rng_inputs((3, 6, 8)))
    assert result.generic == []
    types = node_types(result)
    assert types["add"] == "keras.ops.add" and types["multiply"] == "keras.ops.multiply"
    wf = result.workflow
    assert wf.nodes["multiply"].params == {"x2": 0.5}
    assert [(e.source, e.target_port) for e in wf.edges if e.target == "add"] == [("ff", "x1"),
                                                                                   ("tokens", "x2")]


def test_slice_reshape_mean_and_matmul(keras):
    from keras import ops

    inputs = sequence_input(keras)
    q = keras.layers.Dense(8, name="query")(inputs)
    k = keras.layers.Dense(8, name="key")(inputs)
    scores = ops.matmul(q, ops.transpose(k, (0, 2, 1))) / 8 ** 0.5
    weights = ops.softmax(scores, axis=-1)
    attended = ops.matmul(weights, inputs)
    last = attended[:, -1]
    flat = ops.reshape(attended, (-1, 6 * 8))
    pooled = ops.mean(attended, axis=1)
    joined = ops.concatenate([last, pooled, flat], axis=-1)
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(joined))
    result = round_trip(model, rng_inputs((3, 6, 8), seed=1))
    assert result.generic == []
    params = {n.type: n.params for n in result.workflow.nodes.values()}
    assert params["keras.ops.get_item"] == {"key": ":, -1"}
    assert params["keras.ops.reshape"] == {"newshape": [-1, 48]}
    assert params["keras.ops.mean"] == {"axis": 1}
    assert params["keras.ops.transpose"] == {"axes": [0, 2, 1]}


def transformer_encoder(keras, inputs, head_size=8, num_heads=2, ff_dim=16, dropout=0.1):
    """The encoder block of the keras-io "Timeseries classification with a Transformer" example."""
    L = keras.layers
    x = L.LayerNormalization(epsilon=1e-6)(inputs)
    x = L.MultiHeadAttention(key_dim=head_size, num_heads=num_heads, dropout=dropout)(x, x)
    x = L.Dropout(dropout)(x)
    res = x + inputs
    x = L.LayerNormalization(epsilon=1e-6)(res)
    x = L.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(x)
    x = L.Dropout(dropout)(x)
    x = L.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    return x + res


def test_keras_io_transformer_encoder_with_raw_residual_math(keras):
    inputs = keras.Input((10, 4), name="series")
    x = transformer_encoder(keras, inputs)
    x = transformer_encoder(keras, x)
    x = keras.layers.GlobalAveragePooling1D(data_format="channels_last")(x)
    x = keras.layers.Dense(16, activation="relu")(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    result = round_trip(model, rng_inputs((4, 10, 4), seed=2))
    assert result.generic == []
    assert sorted(t for t in node_types(result).values() if t.startswith("keras.ops.")) == \
        ["keras.ops.add"] * 4


def test_an_operation_without_a_node_is_rebuilt_from_its_config(keras):
    from keras import ops

    inputs = keras.Input((5,), name="scores")
    x = keras.layers.Dense(5, name="dense")(inputs)
    running = ops.cumsum(x, axis=-1)
    picked = ops.take(running, [0, 2], axis=1)
    model = keras.Model(inputs, [picked, ops.argmax(x, axis=-1)])
    result = round_trip(model, rng_inputs((3, 5), seed=3))
    types = node_types(result)
    assert {types[n] for n in result.generic} == {"keras.GenericOperation"}
    cumsum = result.workflow.nodes["cumsum"].params
    assert cumsum["class_name"] == "Cumsum" and cumsum["config"]["axis"] == -1
    take = result.workflow.nodes["take"].params["call"]
    assert take["args"][0] == {"class_name": "__input__", "config": {"index": 0}}


def test_a_constant_first_operand_keeps_its_place(keras):
    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, 1.0 - keras.layers.Dense(3, name="d")(inputs) / 4.0)
    result = round_trip(model, rng_inputs((2, 3), seed=4))
    params = {n.type: n.params for n in result.workflow.nodes.values()}
    assert params["keras.ops.subtract"] == {"x1": 1.0}
    assert params["keras.ops.true_divide"] == {"x2": 4.0}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["MobileNetV3Small", "ConvNeXtTiny"])
def test_applications_with_operations_import(name, keras):
    original = getattr(keras.applications, name)(weights=None)
    size = tuple(d or 224 for d in original.inputs[0].shape[1:])  # MobileNetV3: any size
    x = np.random.default_rng(7).uniform(0, 255, size=(1, *size)).astype("float32")
    result = round_trip(original, x)
    assert any(node.type.startswith("keras.ops.") for node in result.workflow.nodes.values())
