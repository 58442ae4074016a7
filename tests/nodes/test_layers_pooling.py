"""Pooling nodes equal the same Keras layers, and Keras pooling configs are valid node
parameters (the applications' own configs are checked in test_layers_convolution)."""

import pytest

from tests.nodes.layer_harness import LayerCase, check_layer_case
from tests.nodes.test_layers_convolution import check_config_round_trip

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras
L = keras.layers

CASES = [
    # -- max pooling --------------------------------------------------------------------
    LayerCase("keras.layers.MaxPooling1D", {}, lambda: L.MaxPooling1D(), [[20, 4]]),
    LayerCase("keras.layers.MaxPooling1D", {"pool_size": 3, "strides": 1, "padding": "same"},
              lambda: L.MaxPooling1D(3, strides=1, padding="same"), [[20, 4]],
              id="MaxPooling1D-overlapping-same"),
    LayerCase("keras.layers.MaxPooling2D", {}, lambda: L.MaxPooling2D(), [[28, 28, 3]]),
    LayerCase("keras.layers.MaxPooling2D",  # as in ResNet50's stem
              {"pool_size": [3, 3], "strides": [2, 2], "data_format": "channels_last"},
              lambda: L.MaxPooling2D((3, 3), strides=(2, 2), data_format="channels_last"),
              [[114, 114, 64]], id="MaxPooling2D-resnet"),
    LayerCase("keras.layers.MaxPooling2D",
              {"pool_size": [2, 1], "padding": "same", "data_format": "channels_first"},
              lambda: L.MaxPooling2D((2, 1), padding="same", data_format="channels_first"),
              [[3, 9, 9]], id="MaxPooling2D-channels-first"),
    LayerCase("keras.layers.MaxPooling3D", {}, lambda: L.MaxPooling3D(), [[8, 8, 8, 2]]),
    LayerCase("keras.layers.MaxPooling3D", {"pool_size": [1, 2, 2], "strides": 1, "padding": "same"},
              lambda: L.MaxPooling3D((1, 2, 2), strides=1, padding="same"), [[4, 8, 8, 2]],
              id="MaxPooling3D-spatial-only"),
    # -- average pooling (pool_size has no default) -------------------------------------
    LayerCase("keras.layers.AveragePooling1D", {"pool_size": 2}, lambda: L.AveragePooling1D(2),
              [[20, 4]]),
    LayerCase("keras.layers.AveragePooling1D", {"pool_size": [4], "strides": [2], "padding": "same"},
              lambda: L.AveragePooling1D((4,), strides=(2,), padding="same"), [[21, 4]],
              id="AveragePooling1D-same"),
    LayerCase("keras.layers.AveragePooling2D", {"pool_size": 2}, lambda: L.AveragePooling2D(2),
              [[28, 28, 3]]),
    LayerCase("keras.layers.AveragePooling2D",  # as in InceptionV3's blocks
              {"pool_size": [3, 3], "strides": [1, 1], "padding": "same"},
              lambda: L.AveragePooling2D((3, 3), strides=(1, 1), padding="same"), [[35, 35, 192]],
              id="AveragePooling2D-inception"),
    LayerCase("keras.layers.AveragePooling3D", {"pool_size": 2}, lambda: L.AveragePooling3D(2),
              [[8, 8, 8, 2]]),
    LayerCase("keras.layers.AveragePooling3D",
              {"pool_size": [2, 2, 2], "strides": [1, 2, 2], "data_format": "channels_first"},
              lambda: L.AveragePooling3D((2, 2, 2), strides=(1, 2, 2), data_format="channels_first"),
              [[2, 8, 8, 8]], id="AveragePooling3D-channels-first"),
    # -- global pooling -----------------------------------------------------------------
    LayerCase("keras.layers.GlobalMaxPooling1D", {}, lambda: L.GlobalMaxPooling1D(), [[20, 4]]),
    LayerCase("keras.layers.GlobalMaxPooling1D", {"keepdims": True, "data_format": "channels_first"},
              lambda: L.GlobalMaxPooling1D(keepdims=True, data_format="channels_first"), [[4, 20]],
              id="GlobalMaxPooling1D-keepdims-channels-first"),
    LayerCase("keras.layers.GlobalMaxPooling2D", {}, lambda: L.GlobalMaxPooling2D(), [[7, 7, 32]]),
    LayerCase("keras.layers.GlobalMaxPooling2D", {"keepdims": True},
              lambda: L.GlobalMaxPooling2D(keepdims=True), [[7, 7, 32]], id="GlobalMaxPooling2D-keepdims"),
    LayerCase("keras.layers.GlobalMaxPooling3D", {}, lambda: L.GlobalMaxPooling3D(), [[4, 4, 4, 8]]),
    LayerCase("keras.layers.GlobalAveragePooling1D", {}, lambda: L.GlobalAveragePooling1D(),
              [[None, 16]]),
    LayerCase("keras.layers.GlobalAveragePooling2D", {}, lambda: L.GlobalAveragePooling2D(),
              [[7, 7, 32]]),
    LayerCase("keras.layers.GlobalAveragePooling2D",  # squeeze-and-excitation style
              {"keepdims": True, "data_format": "channels_last"},
              lambda: L.GlobalAveragePooling2D(keepdims=True, data_format="channels_last"),
              [[None, None, 32]], id="GlobalAveragePooling2D-keepdims-any-size"),
    LayerCase("keras.layers.GlobalAveragePooling3D", {}, lambda: L.GlobalAveragePooling3D(),
              [[4, 4, 4, 8]]),
    LayerCase("keras.layers.GlobalAveragePooling3D", {"keepdims": True, "data_format": "channels_first"},
              lambda: L.GlobalAveragePooling3D(keepdims=True, data_format="channels_first"),
              [[8, 4, 4, 4]], id="GlobalAveragePooling3D-keepdims-channels-first"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_matches_keras(case):
    check_layer_case(case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_config_round_trip(case):
    check_config_round_trip(case.direct())


@pytest.mark.parametrize("type_id, name, value", [
    ("keras.layers.MaxPooling2D", "pool_size", 0),
    ("keras.layers.MaxPooling2D", "pool_size", [2, 2, 2]),
    ("keras.layers.MaxPooling1D", "strides", 0),
    ("keras.layers.AveragePooling3D", "strides", [1, 2]),
    ("keras.layers.AveragePooling2D", "padding", "causal"),
    ("keras.layers.GlobalAveragePooling2D", "keepdims", 1),
    ("keras.layers.GlobalMaxPooling1D", "data_format", "channels_middle"),
])
def test_invalid_values_are_rejected(type_id, name, value):
    from nodeflow.core import default_registry

    assert default_registry()[type_id].param(name).check(value)


def test_average_pooling_needs_a_pool_size():
    from nodeflow.core import default_registry

    registry = default_registry()
    for rank in (1, 2, 3):
        assert registry[f"keras.layers.AveragePooling{rank}D"].param("pool_size").required
        assert not registry[f"keras.layers.MaxPooling{rank}D"].param("pool_size").required
