"""Activation layer nodes built through the translator equal the same layers made in Keras."""

import pytest

from tests.nodes.layer_harness import LayerCase, check_layer_case

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras
L = keras.layers

CASES = [
    LayerCase("keras.layers.ReLU", {}, lambda: L.ReLU(), [[10]]),
    LayerCase("keras.layers.ReLU", {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5},
              lambda: L.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5), [[4, 4, 2]],
              id="ReLU-capped-leaky"),
    LayerCase("keras.layers.LeakyReLU", {}, lambda: L.LeakyReLU(), [[10]]),
    LayerCase("keras.layers.LeakyReLU", {"negative_slope": 0.01}, lambda: L.LeakyReLU(negative_slope=0.01),
              [[3, 5]], id="LeakyReLU-slope"),
    LayerCase("keras.layers.PReLU", {}, lambda: L.PReLU(), [[10]]),
    LayerCase("keras.layers.PReLU",
              {"alpha_initializer": {"name": "constant", "args": {"value": 0.25}}, "shared_axes": [1, 2],
               "alpha_regularizer": {"name": "l2", "args": {"l2": 0.001}}, "alpha_constraint": "non_neg"},
              lambda: L.PReLU(alpha_initializer=keras.initializers.Constant(0.25), shared_axes=[1, 2],
                              alpha_regularizer=keras.regularizers.L2(0.001),
                              alpha_constraint=keras.constraints.NonNeg()),
              [[8, 8, 4]], id="PReLU-shared-axes"),
    LayerCase("keras.layers.ELU", {}, lambda: L.ELU(), [[10]]),
    LayerCase("keras.layers.ELU", {"alpha": 0.5}, lambda: L.ELU(alpha=0.5), [[10]], id="ELU-alpha"),
    LayerCase("keras.layers.Softmax", {}, lambda: L.Softmax(), [[10]]),
    LayerCase("keras.layers.Softmax", {"axis": 1}, lambda: L.Softmax(axis=1), [[4, 6]], id="Softmax-axis"),
    LayerCase("keras.layers.Softmax", {"axis": [1, 2]}, lambda: L.Softmax(axis=(1, 2)), [[4, 6]],
              id="Softmax-axes"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_matches_keras(case):
    check_layer_case(case)
