"""Noise and spatial-dropout layer nodes built through the translator equal the same layers
made in Keras."""

import pytest

from tests.nodes.layer_harness import LayerCase, check_layer_case

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras
L = keras.layers


def _frozen(layer):
    layer.trainable = False
    return layer


CASES = [
    LayerCase("keras.layers.GaussianNoise", {"stddev": 0.1}, lambda: L.GaussianNoise(0.1), [[10]]),
    LayerCase("keras.layers.GaussianNoise", {"stddev": 0.5, "seed": 4}, lambda: L.GaussianNoise(0.5, seed=4),
              [[4, 10]], id="GaussianNoise-seed"),
    LayerCase("keras.layers.GaussianDropout", {"rate": 0.2}, lambda: L.GaussianDropout(0.2), [[10]]),
    LayerCase("keras.layers.GaussianDropout", {"rate": 0.5, "seed": 1}, lambda: L.GaussianDropout(0.5, seed=1),
              [[10]], id="GaussianDropout-seed"),
    LayerCase("keras.layers.AlphaDropout", {"rate": 0.1}, lambda: L.AlphaDropout(0.1), [[10]]),
    LayerCase("keras.layers.AlphaDropout", {"rate": 0.3, "noise_shape": [None, 1, 8], "seed": 2},
              lambda: L.AlphaDropout(0.3, noise_shape=(None, 1, 8), seed=2), [[4, 8]],
              id="AlphaDropout-noise-shape"),
    LayerCase("keras.layers.SpatialDropout1D", {"rate": 0.2}, lambda: L.SpatialDropout1D(0.2), [[20, 8]]),
    LayerCase("keras.layers.SpatialDropout1D", {"rate": 0.4, "seed": 3, "trainable": False},
              lambda: _frozen(L.SpatialDropout1D(0.4, seed=3)), [[20, 8]], id="SpatialDropout1D-seed"),
    LayerCase("keras.layers.SpatialDropout2D", {"rate": 0.2}, lambda: L.SpatialDropout2D(0.2), [[8, 8, 4]]),
    LayerCase("keras.layers.SpatialDropout2D", {"rate": 0.3, "data_format": "channels_first", "seed": 5},
              lambda: L.SpatialDropout2D(0.3, data_format="channels_first", seed=5), [[4, 8, 8]],
              id="SpatialDropout2D-channels-first"),
    LayerCase("keras.layers.SpatialDropout3D", {"rate": 0.2}, lambda: L.SpatialDropout3D(0.2), [[4, 4, 4, 2]]),
    LayerCase("keras.layers.SpatialDropout3D", {"rate": 0.1, "data_format": "channels_first"},
              lambda: L.SpatialDropout3D(0.1, data_format="channels_first"), [[2, 4, 4, 4]],
              id="SpatialDropout3D-channels-first"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_matches_keras(case):
    check_layer_case(case)


@pytest.mark.parametrize("type_id", ["keras.layers.SpatialDropout1D", "keras.layers.SpatialDropout2D",
                                     "keras.layers.SpatialDropout3D"])
def test_spatial_dropout_trainable(type_id):
    """Keras's SpatialDropout layers take no trainable argument; the node sets it afterwards
    (their get_config() does not record it, so the harness cannot see it)."""
    from nodeflow.core import default_registry
    from nodeflow.keras.layers import build_layer

    spec = default_registry()[type_id]
    assert build_layer(spec, {"rate": 0.1}).trainable is True
    assert build_layer(spec, {"rate": 0.1, "trainable": False}).trainable is False
