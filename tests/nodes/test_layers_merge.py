"""Merge layer nodes built through the translator equal the same layers made in Keras."""

import pytest

from tests.nodes.layer_harness import LayerCase, check_layer_case

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras
L = keras.layers

CASES = [
    LayerCase("keras.layers.Add", {}, lambda: L.Add(), [[8], [8]]),
    LayerCase("keras.layers.Add", {}, lambda: L.Add(), [[4, 8], [4, 8], [4, 8]], id="Add-three"),
    LayerCase("keras.layers.Subtract", {}, lambda: L.Subtract(), [[8], [8]]),
    LayerCase("keras.layers.Multiply", {}, lambda: L.Multiply(), [[6, 6, 4], [1, 1, 4]]),
    LayerCase("keras.layers.Average", {}, lambda: L.Average(), [[5], [5], [5]]),
    LayerCase("keras.layers.Maximum", {}, lambda: L.Maximum(), [[5], [5]]),
    LayerCase("keras.layers.Minimum", {"trainable": False}, lambda: L.Minimum(trainable=False), [[5], [5]]),
    LayerCase("keras.layers.Concatenate", {}, lambda: L.Concatenate(), [[32], [16]]),
    LayerCase("keras.layers.Concatenate", {"axis": 1}, lambda: L.Concatenate(axis=1), [[3, 8], [5, 8]],
              id="Concatenate-axis"),
    LayerCase("keras.layers.Dot", {"axes": 1}, lambda: L.Dot(axes=1), [[8], [8]]),
    LayerCase("keras.layers.Dot", {"axes": [2, 2], "normalize": True}, lambda: L.Dot(axes=(2, 2), normalize=True),
              [[5, 8], [7, 8]], id="Dot-cosine"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_matches_keras(case):
    check_layer_case(case)


def test_merge_error_names_the_node():
    from nodeflow.keras.translator import TranslationError, translate
    from tests.nodes.layer_harness import wire

    wf = wire(LayerCase("keras.layers.Add", {}, lambda: None, [[32], [64]]))
    with pytest.raises(TranslationError, match="under_test"):
        translate(wf)
