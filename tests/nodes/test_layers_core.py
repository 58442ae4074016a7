"""Core layer nodes built through the translator equal the same layers made in Keras."""

import pytest

from tests.nodes.layer_harness import LayerCase, check_layer_case

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras
L = keras.layers

CASES = [
    LayerCase("keras.layers.Dense", {"units": 16}, lambda: L.Dense(16), [[10]]),
    LayerCase(
        "keras.layers.Dense",
        {"units": 3, "activation": "softmax", "use_bias": False,
         "kernel_initializer": {"name": "random_normal", "args": {"stddev": 0.1, "seed": 7}},
         "kernel_regularizer": {"name": "l1_l2", "args": {"l2": 0.001}},
         "bias_constraint": "non_neg", "kernel_constraint": {"name": "max_norm", "args": {"max_value": 3}},
         "trainable": False},
        lambda: L.Dense(
            3, activation="softmax", use_bias=False,
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.1, seed=7),
            kernel_regularizer=keras.regularizers.L1L2(l2=0.001),
            bias_constraint=keras.constraints.NonNeg(),
            kernel_constraint=keras.constraints.MaxNorm(max_value=3), trainable=False),
        [[6, 10]], id="Dense-all-options"),
    LayerCase("keras.layers.Dropout", {"rate": 0.25}, lambda: L.Dropout(0.25), [[10]]),
    LayerCase("keras.layers.Dropout", {"rate": 0.5, "noise_shape": [None, 1, 8], "seed": 3},
              lambda: L.Dropout(0.5, noise_shape=(None, 1, 8), seed=3), [[4, 8]], id="Dropout-noise-shape"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_matches_keras(case):
    check_layer_case(case)


@pytest.mark.parametrize("params, direct", [
    ({"shape": [28, 28, 1]}, lambda: L.InputLayer(shape=(28, 28, 1))),
    ({"shape": [None], "dtype": "int32", "batch_size": 8},
     lambda: L.InputLayer(shape=(None,), dtype="int32", batch_size=8)),
])
def test_input_node_matches_keras(params, direct):
    from nodeflow.core import default_registry
    from nodeflow.keras.layers import build_layer

    from tests.nodes.layer_harness import config

    assert config(build_layer(default_registry()["keras.layers.Input"], params)) == config(direct())
