"""Nested models (a Sequential or Functional used as a layer) import with identical
predictions, parameter and layer counts, and export."""

import numpy as np

from .roundtrip import check_roundtrip


def test_nested_sequential_and_functional(keras, tmp_path, capsys):
    keras.utils.set_random_seed(5)
    L = keras.layers
    block = keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu"), L.Dense(4)],
                             name="block")
    inner_in = keras.Input((4,))
    inner = keras.Model(inner_in, L.Dense(3, name="inner_dense")(inner_in) * 2.0, name="inner")
    inputs = keras.Input((6,), name="x")
    outputs = L.Dense(1, name="head")(inner(block(inputs)))
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).normal(size=(5, 6)).astype("float32")
    check_roundtrip(model, x, tmp_path, capsys)
