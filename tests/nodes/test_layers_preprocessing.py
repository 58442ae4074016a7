"""Preprocessing layer nodes built through the translator equal the same layers made in Keras."""

import pytest

from tests.nodes.layer_harness import LayerCase, check_layer_case

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras
L = keras.layers

IMAGE = [[16, 20, 3]]

CASES = [
    LayerCase("keras.layers.Resizing", {"height": 8, "width": 10}, lambda: L.Resizing(8, 10), IMAGE),
    LayerCase(
        "keras.layers.Resizing",
        {"height": 12, "width": 12, "interpolation": "area", "pad_to_aspect_ratio": True,
         "fill_value": 1.0, "antialias": True, "data_format": "channels_last"},
        lambda: L.Resizing(12, 12, interpolation="area", pad_to_aspect_ratio=True, fill_value=1.0,
                           antialias=True, data_format="channels_last"),
        IMAGE, id="Resizing-options"),
    LayerCase("keras.layers.CenterCrop", {"height": 8, "width": 8}, lambda: L.CenterCrop(8, 8), IMAGE),
    LayerCase("keras.layers.CenterCrop", {"height": 8, "width": 4, "data_format": "channels_first"},
              lambda: L.CenterCrop(8, 4, data_format="channels_first"), [[3, 16, 20]],
              id="CenterCrop-channels-first"),
    LayerCase("keras.layers.RandomFlip", {}, lambda: L.RandomFlip(), IMAGE),
    LayerCase("keras.layers.RandomFlip", {"mode": "horizontal", "seed": 4},
              lambda: L.RandomFlip("horizontal", seed=4), IMAGE, id="RandomFlip-horizontal"),
    LayerCase("keras.layers.RandomRotation", {"factor": 0.1}, lambda: L.RandomRotation(0.1), IMAGE),
    LayerCase(
        "keras.layers.RandomRotation",
        {"factor": [-0.05, 0.2], "fill_mode": "constant", "fill_value": 0.5,
         "interpolation": "nearest", "seed": 2},
        lambda: L.RandomRotation((-0.05, 0.2), fill_mode="constant", fill_value=0.5,
                                 interpolation="nearest", seed=2),
        IMAGE, id="RandomRotation-range"),
    LayerCase("keras.layers.RandomZoom", {"height_factor": 0.2}, lambda: L.RandomZoom(0.2), IMAGE),
    LayerCase("keras.layers.RandomZoom",
              {"height_factor": [-0.3, -0.1], "width_factor": [0.0, 0.2], "fill_mode": "wrap"},
              lambda: L.RandomZoom((-0.3, -0.1), width_factor=(0.0, 0.2), fill_mode="wrap"),
              IMAGE, id="RandomZoom-ranges"),
    LayerCase("keras.layers.RandomTranslation", {"height_factor": 0.1, "width_factor": 0.2},
              lambda: L.RandomTranslation(0.1, 0.2), IMAGE),
    LayerCase("keras.layers.RandomTranslation",
              {"height_factor": [-0.2, 0.3], "width_factor": 0.1, "fill_mode": "nearest", "seed": 9},
              lambda: L.RandomTranslation((-0.2, 0.3), 0.1, fill_mode="nearest", seed=9),
              IMAGE, id="RandomTranslation-range"),
    LayerCase("keras.layers.RandomContrast", {"factor": 0.2}, lambda: L.RandomContrast(0.2), IMAGE),
    LayerCase("keras.layers.RandomContrast",
              {"factor": [0.1, 0.3], "value_range": [0, 1], "seed": 1},
              lambda: L.RandomContrast((0.1, 0.3), value_range=(0, 1), seed=1),
              IMAGE, id="RandomContrast-range"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_matches_keras(case):
    check_layer_case(case)


@pytest.mark.parametrize("name, value, ok", [
    ("factor", 0.5, True),
    ("factor", [-0.1, 0.2], True),
    ("factor", 1.5, False),
    ("factor", [0.2, -0.1], False),  # lower above upper
    ("factor", [0.1, 0.2, 0.3], False),
    ("factor", True, False),
    ("factor", "0.1", False),
])
def test_factor_accepts_a_number_or_a_pair(name, value, ok):
    from nodeflow.core import default_registry

    param = default_registry()["keras.layers.RandomRotation"].param(name)
    assert (param.check(value) == []) is ok
    if not ok:
        assert "[lower, upper] pair" in param.check(value)[0][1]


def test_zoom_factor_excludes_minus_one_and_value_range_needs_a_pair():
    from nodeflow.core import default_registry

    registry = default_registry()
    assert registry["keras.layers.RandomZoom"].param("height_factor").check(-1.0)
    assert registry["keras.layers.RandomZoom"].param("width_factor").check(None) == []
    value_range = registry["keras.layers.RandomContrast"].param("value_range")
    assert value_range.check(255) and value_range.check([0, 255]) == []


def test_augmentation_acts_only_in_training():
    import numpy as np

    from nodeflow.core import default_registry
    from nodeflow.keras.layers import build_layer

    layer = build_layer(default_registry()["keras.layers.RandomFlip"], {"seed": 1})
    images = np.arange(2 * 4 * 4 * 1, dtype="float32").reshape(2, 4, 4, 1)
    assert np.array_equal(np.asarray(layer(images, training=False)), images)
    flipped = [np.asarray(layer(images, training=True)) for _ in range(5)]
    assert any(not np.array_equal(f, images) for f in flipped)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_python_export_matches(case):
    from tests.nodes.test_layers_recurrent import check_export

    check_export(case)
