"""More core layer nodes (Activation, Reshape, Rescaling, Normalization, EinsumDense...)
built through the translator equal the same layers made in Keras."""

import pytest

from tests.nodes.layer_harness import LayerCase, check_layer_case, config

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras
L = keras.layers

CASES = [
    LayerCase("keras.layers.Activation", {"activation": "relu"}, lambda: L.Activation("relu"), [[10]]),
    LayerCase("keras.layers.Activation", {"activation": "softmax", "trainable": False},
              lambda: L.Activation("softmax", trainable=False), [[4, 5]], id="Activation-softmax"),
    LayerCase("keras.layers.Flatten", {}, lambda: L.Flatten(), [[7, 7, 3]]),
    LayerCase("keras.layers.Flatten", {"data_format": "channels_first"},
              lambda: L.Flatten(data_format="channels_first"), [[3, 4, 5]], id="Flatten-channels-first"),
    LayerCase("keras.layers.Reshape", {"target_shape": [28, 28, 1]},
              lambda: L.Reshape((28, 28, 1)), [[784]]),
    LayerCase("keras.layers.Reshape", {"target_shape": [-1, 4]},
              lambda: L.Reshape((-1, 4)), [[6, 2]], id="Reshape-inferred"),
    LayerCase("keras.layers.Permute", {"dims": [2, 1]}, lambda: L.Permute((2, 1)), [[10, 64]]),
    LayerCase("keras.layers.Permute", {"dims": [3, 1, 2]}, lambda: L.Permute((3, 1, 2)),
              [[4, 5, 6]], id="Permute-3d"),
    LayerCase("keras.layers.RepeatVector", {"n": 5}, lambda: L.RepeatVector(5), [[8]]),
    LayerCase("keras.layers.Masking", {}, lambda: L.Masking(), [[None, 3]]),
    LayerCase("keras.layers.Masking", {"mask_value": -1.0}, lambda: L.Masking(mask_value=-1.0),
              [[12, 3]], id="Masking-value"),
    LayerCase("keras.layers.ActivityRegularization", {},
              lambda: L.ActivityRegularization(), [[6]]),
    LayerCase("keras.layers.ActivityRegularization", {"l1": 0.01, "l2": 0.001},
              lambda: L.ActivityRegularization(l1=0.01, l2=0.001), [[6]], id="ActivityRegularization-l1-l2"),
    LayerCase("keras.layers.Identity", {}, lambda: L.Identity(), [[3, 4]]),
    LayerCase("keras.layers.Rescaling", {"scale": 1 / 255}, lambda: L.Rescaling(1 / 255), [[8, 8, 3]]),
    LayerCase("keras.layers.Rescaling", {"scale": [0.5, 0.25, 2.0], "offset": [-1.0, 0.0, 1.0]},
              lambda: L.Rescaling([0.5, 0.25, 2.0], offset=[-1.0, 0.0, 1.0]), [[8, 8, 3]],
              id="Rescaling-per-channel"),
    LayerCase("keras.layers.Normalization", {}, lambda: L.Normalization(), [[5]],
              id="Normalization-to-adapt"),
    LayerCase("keras.layers.Normalization", {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0],
                                             "invert": True},
              lambda: L.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0], invert=True),
              [[3]], id="Normalization-fixed"),
    LayerCase("keras.layers.Normalization", {"axis": 3}, lambda: L.Normalization(axis=3),
              [[8, 8, 3]], id="Normalization-efficientnet"),
    LayerCase("keras.layers.Normalization", {"axis": None, "mean": 2.0, "variance": 4.0},
              lambda: L.Normalization(axis=None, mean=2.0, variance=4.0), [[4, 2]],
              id="Normalization-scalar"),
    LayerCase("keras.layers.EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4},
              lambda: L.EinsumDense("ab,bc->ac", 4), [[6]]),
    LayerCase("keras.layers.EinsumDense",
              {"equation": "abc,cde->abde", "output_shape": [None, 2, 8], "bias_axes": "de",
               "activation": "relu",
               "kernel_initializer": {"name": "he_normal", "args": {"seed": 1}},
               "bias_regularizer": "l2", "kernel_constraint": "unit_norm"},
              lambda: L.EinsumDense("abc,cde->abde", (None, 2, 8), bias_axes="de", activation="relu",
                                    kernel_initializer=keras.initializers.HeNormal(seed=1),
                                    bias_regularizer=keras.regularizers.L2(),
                                    kernel_constraint=keras.constraints.UnitNorm()),
              [[5, 16]], id="EinsumDense-heads"),
    LayerCase("keras.layers.EinsumDense", {"equation": "...b,bc->...c", "output_shape": 3},
              lambda: L.EinsumDense("...b,bc->...c", 3), [[2, 5, 6]], id="EinsumDense-ellipsis"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_matches_keras(case):
    check_layer_case(case)


def _spec(type_id):
    from nodeflow.core import default_registry

    return default_registry()[type_id]


def test_reshape_target_shape_check():
    param = _spec("keras.layers.Reshape").param("target_shape")
    assert not param.check([-1, 4])
    assert param.check([-1, -1])  # at most one inferred size
    assert param.check([0, 4])
    assert param.check([-2, 4])


def test_einsum_equation_check():
    param = _spec("keras.layers.EinsumDense").param("equation")
    for good in ("ab,bc->ac", "...b,bc->...c", "abc...,cd->abd..."):
        assert not param.check(good), good
    assert param.check("ab*bc=ac")


def test_unadapted_normalization_translates_and_adapts():
    """Without mean/variance the layer is built symbolically; adapting it later works."""
    import numpy as np

    from nodeflow.keras.translator import translate
    from tests.nodes.layer_harness import wire

    case = next(c for c in CASES if c.id == "Normalization-to-adapt")
    layer = translate(wire(case)).layers["under_test"]
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(200, 5)).astype("float32")
    layer.adapt(data)
    out = np.asarray(layer(data))
    assert np.allclose(out.mean(axis=0), 0.0, atol=1e-4)


@pytest.mark.parametrize("case_id", ["Normalization-to-adapt", "Normalization-fixed",
                                     "Normalization-efficientnet", "Normalization-scalar"])
def test_normalization_import_params(case_id):
    from nodeflow.keras.layers import build_layer

    case = next(c for c in CASES if c.id == case_id)
    spec = _spec(case.type_id)
    imported = spec.import_params(case.direct().get_config())
    for name, value in imported.items():
        assert not spec.param(name).check(value), name
    non_default = {k: v for k, v in imported.items() if not spec.param(k).is_default(v)}
    assert non_default == case.params
    assert config(build_layer(spec, imported)) == config(case.direct())


def test_normalization_mean_without_variance_is_reported_on_the_node():
    from nodeflow.keras.translator import TranslationError, translate
    from tests.nodes.layer_harness import wire

    wf = wire(LayerCase("keras.layers.Normalization", {"mean": [1.0, 2.0]}, lambda: None, [[2]]))
    with pytest.raises(TranslationError, match="under_test.*variance"):
        translate(wf)
