"""Convolution, cropping, up-sampling and zero-padding nodes equal the same Keras layers,
and the configs of Keras's own models become valid node parameters."""

import json

import pytest

from tests.nodes.layer_harness import LayerCase, check_layer_case, config

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras
L = keras.layers

CASES = [
    # -- Conv -----------------------------------------------------------------------
    LayerCase("keras.layers.Conv1D", {"filters": 8, "kernel_size": 3}, lambda: L.Conv1D(8, 3), [[20, 4]]),
    LayerCase(
        "keras.layers.Conv1D",
        {"filters": 16, "kernel_size": 5, "padding": "causal", "dilation_rate": 2,
         "activation": "relu", "use_bias": False, "kernel_initializer": "he_normal"},
        lambda: L.Conv1D(16, 5, padding="causal", dilation_rate=2, activation="relu",
                         use_bias=False, kernel_initializer="he_normal"),
        [[None, 6]], id="Conv1D-causal-dilated"),
    LayerCase("keras.layers.Conv1D", {"filters": 8, "kernel_size": [3], "strides": 2, "groups": 2},
              lambda: L.Conv1D(8, (3,), strides=2, groups=2), [[20, 4]], id="Conv1D-grouped"),
    LayerCase("keras.layers.Conv2D", {"filters": 8, "kernel_size": 3}, lambda: L.Conv2D(8, 3),
              [[28, 28, 1]]),
    LayerCase(
        "keras.layers.Conv2D",
        {"filters": 16, "kernel_size": [3, 5], "strides": [2, 1], "padding": "same",
         "activation": "relu", "bias_initializer": "ones",
         "kernel_regularizer": {"name": "l2", "args": {"l2": 0.0001}},
         "activity_regularizer": "l1", "kernel_constraint": {"name": "max_norm", "args": {"max_value": 3}},
         "trainable": False},
        lambda: L.Conv2D(16, (3, 5), strides=(2, 1), padding="same", activation="relu",
                         bias_initializer="ones", kernel_regularizer=keras.regularizers.L2(0.0001),
                         activity_regularizer=keras.regularizers.L1(),
                         kernel_constraint=keras.constraints.MaxNorm(3), trainable=False),
        [[32, 32, 3]], id="Conv2D-all-options"),
    LayerCase("keras.layers.Conv2D",
              {"filters": 4, "kernel_size": 3, "data_format": "channels_first", "dilation_rate": 2},
              lambda: L.Conv2D(4, 3, data_format="channels_first", dilation_rate=2),
              [[3, 16, 16]], id="Conv2D-channels-first-dilated"),
    LayerCase("keras.layers.Conv3D", {"filters": 4, "kernel_size": 3}, lambda: L.Conv3D(4, 3),
              [[8, 8, 8, 1]]),
    LayerCase("keras.layers.Conv3D",
              {"filters": 6, "kernel_size": [1, 3, 3], "strides": [1, 2, 2], "padding": "same",
               "groups": 2, "activation": "elu"},
              lambda: L.Conv3D(6, (1, 3, 3), strides=(1, 2, 2), padding="same", groups=2,
                               activation="elu"),
              [[4, 16, 16, 4]], id="Conv3D-video-grouped"),
    # -- SeparableConv ----------------------------------------------------------------
    LayerCase("keras.layers.SeparableConv1D", {"filters": 8, "kernel_size": 3},
              lambda: L.SeparableConv1D(8, 3), [[20, 4]]),
    LayerCase(
        "keras.layers.SeparableConv1D",
        {"filters": 12, "kernel_size": 5, "strides": 2, "padding": "same", "depth_multiplier": 2,
         "depthwise_initializer": "he_uniform", "pointwise_regularizer": "l2"},
        lambda: L.SeparableConv1D(12, 5, strides=2, padding="same", depth_multiplier=2,
                                  depthwise_initializer="he_uniform",
                                  pointwise_regularizer=keras.regularizers.L2()),
        [[20, 4]], id="SeparableConv1D-options"),
    LayerCase("keras.layers.SeparableConv2D", {"filters": 8, "kernel_size": 3},
              lambda: L.SeparableConv2D(8, 3), [[16, 16, 3]]),
    LayerCase(
        "keras.layers.SeparableConv2D",
        {"filters": 32, "kernel_size": [3, 3], "padding": "same", "dilation_rate": [2, 2],
         "depth_multiplier": 3, "use_bias": False, "activation": "relu",
         "pointwise_initializer": {"name": "truncated_normal", "args": {"stddev": 0.02, "seed": 1}},
         "depthwise_constraint": "non_neg",
         "pointwise_constraint": {"name": "unit_norm", "args": {"axis": 2}}},
        lambda: L.SeparableConv2D(
            32, (3, 3), padding="same", dilation_rate=(2, 2), depth_multiplier=3, use_bias=False,
            activation="relu",
            pointwise_initializer=keras.initializers.TruncatedNormal(stddev=0.02, seed=1),
            depthwise_constraint=keras.constraints.NonNeg(),
            pointwise_constraint=keras.constraints.UnitNorm(axis=2)),
        [[16, 16, 3]], id="SeparableConv2D-options"),
    # -- DepthwiseConv ----------------------------------------------------------------
    LayerCase("keras.layers.DepthwiseConv1D", {"kernel_size": 3}, lambda: L.DepthwiseConv1D(3),
              [[20, 4]]),
    LayerCase("keras.layers.DepthwiseConv1D",
              {"kernel_size": 4, "strides": 2, "depth_multiplier": 2, "padding": "same",
               "depthwise_regularizer": {"name": "l1", "args": {"l1": 0.001}}},
              lambda: L.DepthwiseConv1D(4, strides=2, depth_multiplier=2, padding="same",
                                        depthwise_regularizer=keras.regularizers.L1(0.001)),
              [[20, 4]], id="DepthwiseConv1D-options"),
    LayerCase("keras.layers.DepthwiseConv2D", {"kernel_size": 3}, lambda: L.DepthwiseConv2D(3),
              [[16, 16, 8]]),
    LayerCase("keras.layers.DepthwiseConv2D",  # as in MobileNetV2
              {"kernel_size": [3, 3], "strides": [2, 2], "padding": "valid", "use_bias": False,
               "activation": "linear", "data_format": "channels_last"},
              lambda: L.DepthwiseConv2D((3, 3), strides=(2, 2), use_bias=False,
                                        activation="linear", data_format="channels_last"),
              [[17, 17, 8]], id="DepthwiseConv2D-mobilenet"),
    LayerCase("keras.layers.DepthwiseConv2D",
              {"kernel_size": 5, "depth_multiplier": 4, "padding": "same",
               "depthwise_initializer": "zeros", "bias_constraint": "non_neg"},
              lambda: L.DepthwiseConv2D(5, depth_multiplier=4, padding="same",
                                        depthwise_initializer="zeros",
                                        bias_constraint=keras.constraints.NonNeg()),
              [[16, 16, 3]], id="DepthwiseConv2D-multiplier"),
    # -- ConvTranspose ----------------------------------------------------------------
    LayerCase("keras.layers.Conv1DTranspose", {"filters": 4, "kernel_size": 3},
              lambda: L.Conv1DTranspose(4, 3), [[10, 8]]),
    LayerCase("keras.layers.Conv1DTranspose",
              {"filters": 4, "kernel_size": 3, "strides": 2, "output_padding": 1},
              lambda: L.Conv1DTranspose(4, 3, strides=2, output_padding=1), [[10, 8]],
              id="Conv1DTranspose-output-padding"),
    LayerCase("keras.layers.Conv2DTranspose", {"filters": 8, "kernel_size": 3},
              lambda: L.Conv2DTranspose(8, 3), [[7, 7, 16]]),
    LayerCase("keras.layers.Conv2DTranspose",
              {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same", "activation": "tanh",
               "kernel_initializer": {"name": "random_normal", "args": {"stddev": 0.02}}},
              lambda: L.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh",
                                        kernel_initializer=keras.initializers.RandomNormal(stddev=0.02)),
              [[16, 16, 32]], id="Conv2DTranspose-gan-generator"),
    LayerCase("keras.layers.Conv2DTranspose",
              {"filters": 2, "kernel_size": [3, 3], "strides": [2, 2], "output_padding": [1, 0]},
              lambda: L.Conv2DTranspose(2, (3, 3), strides=(2, 2), output_padding=(1, 0)),
              [[5, 5, 4]], id="Conv2DTranspose-output-padding"),
    LayerCase("keras.layers.Conv3DTranspose", {"filters": 2, "kernel_size": 3},
              lambda: L.Conv3DTranspose(2, 3), [[4, 4, 4, 8]]),
    LayerCase("keras.layers.Conv3DTranspose",
              {"filters": 2, "kernel_size": [1, 3, 3], "strides": [1, 2, 2], "padding": "same"},
              lambda: L.Conv3DTranspose(2, (1, 3, 3), strides=(1, 2, 2), padding="same"),
              [[4, 8, 8, 4]], id="Conv3DTranspose-strided"),
    # -- Cropping ---------------------------------------------------------------------
    LayerCase("keras.layers.Cropping1D", {}, lambda: L.Cropping1D(), [[10, 4]]),
    LayerCase("keras.layers.Cropping1D", {"cropping": [2, 0]}, lambda: L.Cropping1D((2, 0)),
              [[10, 4]], id="Cropping1D-start-only"),
    LayerCase("keras.layers.Cropping1D", {"cropping": 3}, lambda: L.Cropping1D(3), [[10, 4]],
              id="Cropping1D-int"),
    LayerCase("keras.layers.Cropping2D", {}, lambda: L.Cropping2D(), [[8, 8, 3]]),
    LayerCase("keras.layers.Cropping2D", {"cropping": [[1, 2], [0, 3]]},
              lambda: L.Cropping2D(((1, 2), (0, 3))), [[8, 8, 3]], id="Cropping2D-pairs"),
    LayerCase("keras.layers.Cropping2D", {"cropping": [2, 1]}, lambda: L.Cropping2D((2, 1)),
              [[8, 8, 3]], id="Cropping2D-symmetric"),
    LayerCase("keras.layers.Cropping2D", {"cropping": 2, "data_format": "channels_first"},
              lambda: L.Cropping2D(2, data_format="channels_first"), [[3, 8, 8]],
              id="Cropping2D-int-channels-first"),
    LayerCase("keras.layers.Cropping2D", {"cropping": [1, [0, 2]]},
              lambda: L.Cropping2D((1, (0, 2))), [[8, 8, 3]], id="Cropping2D-mixed"),
    LayerCase("keras.layers.Cropping3D", {}, lambda: L.Cropping3D(), [[8, 8, 8, 2]]),
    LayerCase("keras.layers.Cropping3D", {"cropping": [1, 2, [0, 1]], "data_format": "channels_first"},
              lambda: L.Cropping3D((1, 2, (0, 1)), data_format="channels_first"), [[2, 8, 8, 8]],
              id="Cropping3D-mixed-channels-first"),
    # -- UpSampling -------------------------------------------------------------------
    LayerCase("keras.layers.UpSampling1D", {}, lambda: L.UpSampling1D(), [[10, 4]]),
    LayerCase("keras.layers.UpSampling1D", {"size": 3}, lambda: L.UpSampling1D(3), [[10, 4]],
              id="UpSampling1D-3"),
    LayerCase("keras.layers.UpSampling2D", {}, lambda: L.UpSampling2D(), [[8, 8, 3]]),
    LayerCase("keras.layers.UpSampling2D", {"size": [2, 3], "interpolation": "bilinear"},
              lambda: L.UpSampling2D((2, 3), interpolation="bilinear"), [[8, 8, 3]],
              id="UpSampling2D-bilinear"),
    LayerCase("keras.layers.UpSampling2D", {"size": 4, "data_format": "channels_first"},
              lambda: L.UpSampling2D(4, data_format="channels_first"), [[3, 8, 8]],
              id="UpSampling2D-channels-first"),
    LayerCase("keras.layers.UpSampling3D", {}, lambda: L.UpSampling3D(), [[4, 4, 4, 2]]),
    LayerCase("keras.layers.UpSampling3D", {"size": [1, 2, 2]}, lambda: L.UpSampling3D((1, 2, 2)),
              [[4, 4, 4, 2]], id="UpSampling3D-spatial-only"),
    # -- ZeroPadding ------------------------------------------------------------------
    LayerCase("keras.layers.ZeroPadding1D", {}, lambda: L.ZeroPadding1D(), [[10, 4]]),
    LayerCase("keras.layers.ZeroPadding1D", {"padding": [2, 0]}, lambda: L.ZeroPadding1D((2, 0)),
              [[10, 4]], id="ZeroPadding1D-start-only"),
    LayerCase("keras.layers.ZeroPadding2D", {}, lambda: L.ZeroPadding2D(), [[8, 8, 3]]),
    LayerCase("keras.layers.ZeroPadding2D", {"padding": [[0, 1], [0, 1]]},
              lambda: L.ZeroPadding2D(((0, 1), (0, 1))), [[224, 224, 3]], id="ZeroPadding2D-mobilenet"),
    LayerCase("keras.layers.ZeroPadding2D", {"padding": 3, "data_format": "channels_last"},
              lambda: L.ZeroPadding2D(3, data_format="channels_last"), [[32, 32, 3]],
              id="ZeroPadding2D-resnet"),
    LayerCase("keras.layers.ZeroPadding3D", {}, lambda: L.ZeroPadding3D(), [[4, 4, 4, 2]]),
    LayerCase("keras.layers.ZeroPadding3D", {"padding": [1, [0, 2], 3], "data_format": "channels_first"},
              lambda: L.ZeroPadding3D((1, (0, 2), 3), data_format="channels_first"), [[2, 4, 4, 4]],
              id="ZeroPadding3D-mixed-channels-first"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_matches_keras(case):
    check_layer_case(case)


# -- configs of Keras layers as node parameters (what a model importer does) ------------
def _nested_value(param, value):
    """A serialized Keras initializer / regularizer / constraint as a nested choice value."""
    if value is None or isinstance(value, str):
        return value
    option = next(o for o in param.options if o.target == value["class_name"])
    # Keras 3.15's variance-scaling initializers also list input_axes / output_axes (None
    # by default), which the nested choice does not declare: unset ones are left out
    args = {k: v for k, v in (value.get("config") or {}).items() if option.arg(k) or v is not None}
    return {"name": option.name, "args": args}


def params_from_config(spec, cfg: dict) -> dict:
    """Node parameters from a layer's get_config(), saved-model style (tuples as lists)."""
    from nodeflow.core.params import NestedChoiceParam

    cfg = json.loads(json.dumps(cfg))
    params = {}
    for key, value in cfg.items():
        param = spec.param(key)
        if param is None:
            continue
        params[key] = _nested_value(param, value) if isinstance(param, NestedChoiceParam) else value
    return params


def check_config_round_trip(layer) -> None:
    """The layer's config is valid for its node type and builds the same layer again."""
    from nodeflow.core import default_registry
    from nodeflow.keras.layers import build_layer

    spec = default_registry()[f"keras.layers.{type(layer).__name__}"]
    params = params_from_config(spec, layer.get_config())
    problems = [problem for param in spec.params if param.name in params
                for problem in param.check(params[param.name])]
    assert not problems, problems
    assert config(build_layer(spec, params)) == config(layer)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_config_round_trip(case):
    check_config_round_trip(case.direct())


OWN_LAYERS = {
    "Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D",
    "DepthwiseConv2D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    *(f"{k}Pooling{r}D" for k in ("Max", "Average", "GlobalMax", "GlobalAverage") for r in (1, 2, 3)),
}


@pytest.mark.slow
@pytest.mark.parametrize("application, kwargs", [
    ("MobileNetV2", {"input_shape": (32, 32, 3), "alpha": 0.35}),
    ("ResNet50", {"input_shape": (32, 32, 3)}),
    ("DenseNet121", {"input_shape": (32, 32, 3)}),
    ("EfficientNetB0", {"input_shape": (32, 32, 3)}),
    ("InceptionV3", {"input_shape": (75, 75, 3)}),
])
def test_application_layer_configs_are_valid_parameters(application, kwargs):
    model = getattr(keras.applications, application)(weights=None, include_top=False,
                                                      pooling="avg", **kwargs)
    seen = set()
    for layer in model.layers:
        if type(layer).__name__ not in OWN_LAYERS:
            continue
        key = json.dumps(config(layer), sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            check_config_round_trip(layer)
    assert seen


# -- parameter checks catch what Keras would reject ---------------------------------------
@pytest.mark.parametrize("type_id, name, value", [
    ("keras.layers.Conv2D", "kernel_size", [3]),
    ("keras.layers.Conv2D", "kernel_size", 0),
    ("keras.layers.Conv2D", "filters", 0),
    ("keras.layers.Conv2D", "padding", "causal"),
    ("keras.layers.Conv2D", "groups", 0),
    ("keras.layers.Conv3D", "strides", [1, 1]),
    ("keras.layers.SeparableConv1D", "padding", "causal"),
    ("keras.layers.DepthwiseConv2D", "depth_multiplier", 0),
    ("keras.layers.Conv2DTranspose", "output_padding", [-1, 0]),
    ("keras.layers.Cropping1D", "cropping", [[1, 1]]),
    ("keras.layers.Cropping2D", "cropping", [[1, 2, 3], [0, 0]]),
    ("keras.layers.Cropping2D", "cropping", -1),
    ("keras.layers.ZeroPadding2D", "padding", [1, 1, 1]),
    ("keras.layers.UpSampling1D", "size", [2]),
    ("keras.layers.UpSampling2D", "interpolation", "cubic"),
])
def test_invalid_values_are_rejected(type_id, name, value):
    from nodeflow.core import default_registry

    assert default_registry()[type_id].param(name).check(value)


def test_causal_padding_only_for_conv1d():
    from nodeflow.core import default_registry

    registry = default_registry()
    assert not registry["keras.layers.Conv1D"].param("padding").check("causal")
    for type_id in ("keras.layers.SeparableConv1D", "keras.layers.DepthwiseConv1D",
                    "keras.layers.Conv1DTranspose"):
        assert registry[type_id].param("padding").check("causal"), type_id
        with pytest.raises(ValueError):
            getattr(L, registry[type_id].target)(*([4] if "Depthwise" not in type_id else []), 3,
                                                 padding="causal")
