"""Embedding and attention layer nodes built through the translator equal the same layers made in Keras."""

import pytest

from tests.nodes.layer_harness import LayerCase, check_layer_case, wire

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras
L = keras.layers


def _called(layer, *shapes):
    """MultiHeadAttention writes the attention axes it chose into its config once built, so the
    direct layer is built the way the translated one is."""
    layer(*(keras.Input(shape=s) for s in shapes))
    return layer

CASES = [
    LayerCase("keras.layers.Embedding", {"input_dim": 100, "output_dim": 8},
              lambda: L.Embedding(100, 8), [[10]], input_dtypes=["int32"]),
    LayerCase(
        "keras.layers.Embedding",
        {"input_dim": 50, "output_dim": 4, "mask_zero": True,
         "embeddings_initializer": {"name": "uniform", "args": {"minval": -0.1, "maxval": 0.1}},
         "embeddings_regularizer": {"name": "l2", "args": {"l2": 0.0001}},
         "embeddings_constraint": {"name": "unit_norm", "args": {"axis": 1}}},
        lambda: L.Embedding(50, 4, mask_zero=True,
                            embeddings_initializer=keras.initializers.RandomUniform(-0.1, 0.1),
                            embeddings_regularizer=keras.regularizers.L2(0.0001),
                            embeddings_constraint=keras.constraints.UnitNorm(axis=1)),
        [[None]], input_dtypes=["int32"], id="Embedding-options"),
    LayerCase("keras.layers.MultiHeadAttention", {"num_heads": 2, "key_dim": 4},
              lambda: _called(L.MultiHeadAttention(2, 4), (6, 8), (7, 8)), [[6, 8], [7, 8]]),
    LayerCase(
        "keras.layers.MultiHeadAttention",
        {"num_heads": 4, "key_dim": 8, "value_dim": 3, "dropout": 0.1, "use_bias": False,
         "output_shape": 5, "attention_axes": [1], "sliding_window": 2, "flash_attention": False,
         "use_gate": True, "seed": 1, "kernel_initializer": "he_uniform",
         "kernel_regularizer": "l2"},
        lambda: L.MultiHeadAttention(4, 8, value_dim=3, dropout=0.1, use_bias=False,
                                     output_shape=5, attention_axes=(1,), sliding_window=2,
                                     flash_attention=False, use_gate=True, seed=1,
                                     kernel_initializer="he_uniform",
                                     kernel_regularizer=keras.regularizers.L2()),
        [[6, 8], [7, 16], [7, 12]], id="MultiHeadAttention-key-and-options"),
    LayerCase("keras.layers.Attention", {}, lambda: L.Attention(), [[4, 8], [6, 8]]),
    LayerCase("keras.layers.Attention",
              {"use_scale": True, "score_mode": "concat", "dropout": 0.2, "seed": 5},
              lambda: L.Attention(use_scale=True, score_mode="concat", dropout=0.2, seed=5),
              [[4, 8], [6, 3], [6, 8]], id="Attention-key-and-options"),
    LayerCase("keras.layers.AdditiveAttention", {}, lambda: L.AdditiveAttention(),
              [[4, 8], [6, 8]]),
    LayerCase("keras.layers.AdditiveAttention", {"use_scale": False, "dropout": 0.1},
              lambda: L.AdditiveAttention(use_scale=False, dropout=0.1),
              [[4, 8], [6, 5], [6, 8]], id="AdditiveAttention-key-and-options"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_matches_keras(case):
    check_layer_case(case)


@pytest.mark.parametrize("type_id", ["keras.layers.Attention", "keras.layers.AdditiveAttention",
                                     "keras.layers.MultiHeadAttention"])
def test_key_port_is_used(type_id):
    """With a key connected, the scores come from the key: a key of other values changes the output."""
    import numpy as np

    from nodeflow.keras.translator import translate

    params = {"num_heads": 1, "key_dim": 4} if "MultiHead" in type_id else {}
    model = translate(wire(LayerCase(type_id, params, lambda: None, [[3, 4], [5, 4], [5, 4]]))).model
    assert len(model.inputs) == 3
    rng = np.random.default_rng(0)
    q, v, k = (rng.normal(size=(1, n, 4)).astype("float32") for n in (3, 5, 5))
    assert not np.allclose(model.predict([q, v, k], verbose=0), model.predict([q, v, v], verbose=0))
    assert np.allclose(model.predict([q, v, v], verbose=0),
                       model.layers[-1](q, v) if "MultiHead" in type_id else model.layers[-1]([q, v]),
                       atol=1e-5)


def test_embedding_default_initializer_is_keras_uniform():
    from nodeflow.core import default_registry
    from nodeflow.keras.layers import build_layer

    layer = build_layer(default_registry()["keras.layers.Embedding"], {"input_dim": 3, "output_dim": 2})
    assert layer.get_config()["embeddings_initializer"] == \
        L.Embedding(3, 2).get_config()["embeddings_initializer"]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_python_export_matches(case):
    from tests.nodes.test_layers_recurrent import check_export

    check_export(case)
