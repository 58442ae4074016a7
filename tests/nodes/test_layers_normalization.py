"""Normalization layer nodes built through the translator equal the same layers made in Keras."""

import pytest

from tests.nodes.layer_harness import LayerCase, check_layer_case

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras
L = keras.layers


def _built(layer, shape):
    """Some Keras layers rewrite their config when built (LayerNormalization turns axis -1
    into [-1], GroupNormalization groups -1 into the channel count), and the translated
    layer is built, so the direct one is built too before comparing."""
    layer.build((None, *shape))
    return layer


CASES = [
    LayerCase("keras.layers.BatchNormalization", {}, lambda: L.BatchNormalization(), [[8, 8, 3]]),
    LayerCase("keras.layers.BatchNormalization",
              {"axis": 1, "momentum": 0.9, "epsilon": 1e-5, "scale": False,
               "moving_variance_initializer": {"name": "constant", "args": {"value": 2.0}},
               "gamma_regularizer": "l2", "beta_constraint": "non_neg", "renorm": True,
               "renorm_clipping": {"rmax": 3.0, "rmin": 0.33, "dmax": 5.0}, "renorm_momentum": 0.9,
               "trainable": False},
              lambda: L.BatchNormalization(
                  axis=1, momentum=0.9, epsilon=1e-5, scale=False,
                  moving_variance_initializer=keras.initializers.Constant(2.0),
                  gamma_regularizer=keras.regularizers.L2(), beta_constraint=keras.constraints.NonNeg(),
                  renorm=True, renorm_clipping={"rmax": 3.0, "rmin": 0.33, "dmax": 5.0},
                  renorm_momentum=0.9, trainable=False),
              [[3, 8, 8]], id="BatchNormalization-channels-first-renorm"),
    LayerCase("keras.layers.LayerNormalization", {}, lambda: _built(L.LayerNormalization(), (5, 16)), [[5, 16]]),
    LayerCase("keras.layers.LayerNormalization",
              {"axis": [1, 2], "epsilon": 1e-6, "center": False,
               "gamma_initializer": {"name": "random_normal", "args": {"mean": 1.0, "seed": 2}}},
              lambda: L.LayerNormalization(axis=[1, 2], epsilon=1e-6, center=False,
                                           gamma_initializer=keras.initializers.RandomNormal(mean=1.0, seed=2)),
              [[5, 16]], id="LayerNormalization-axes"),
    LayerCase("keras.layers.GroupNormalization", {}, lambda: L.GroupNormalization(), [[8, 8, 64]]),
    LayerCase("keras.layers.GroupNormalization", {"groups": 4, "axis": 1, "epsilon": 1e-5, "scale": False},
              lambda: L.GroupNormalization(groups=4, axis=1, epsilon=1e-5, scale=False), [[8, 6, 6]],
              id="GroupNormalization-channels-first"),
    LayerCase("keras.layers.GroupNormalization", {"groups": -1}, lambda: _built(L.GroupNormalization(groups=-1), (6, 6, 5)),
              [[6, 6, 5]], id="GroupNormalization-instance"),
    LayerCase("keras.layers.UnitNormalization", {}, lambda: L.UnitNormalization(), [[16]]),
    LayerCase("keras.layers.UnitNormalization", {"axis": [1, 2]}, lambda: L.UnitNormalization(axis=[1, 2]),
              [[4, 4]], id="UnitNormalization-axes"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_matches_keras(case):
    check_layer_case(case)


def test_groups_check():
    from nodeflow.core import default_registry

    param = default_registry()["keras.layers.GroupNormalization"].param("groups")
    assert not param.check(-1) and not param.check(8)
    assert param.check(0) and param.check(-2)
