"""Sparse losses on sequence outputs: one class number per step (teacher-forced decoders,
per-step taggers) is a valid target, and a target of another shape is refused clearly."""

import numpy as np
import pytest

from nodeflow.core.errors import NodeRunError
from nodes.learn.learner import _check_targets

pytestmark = pytest.mark.keras


def per_step_model(steps=4, classes=5):
    import keras

    x = keras.Input((steps,), dtype="int32")
    h = keras.layers.LSTM(3, return_sequences=True)(keras.layers.Embedding(classes, 2)(x))
    return keras.Model(x, keras.layers.Dense(classes, activation="softmax")(h))


def test_one_class_number_per_step_is_accepted():
    y = np.array([[1, 2, 4, 0], [3, 3, 0, 0]])
    _check_targets([y], ["sparse_categorical_crossentropy"], per_step_model(), {})


def test_labels_of_another_length_or_out_of_range_are_refused():
    with pytest.raises(NodeRunError, match=r"target_columns: sparse_categorical_crossentropy on an output "
                                           r"of 1-d steps \(4,\) expects class numbers shaped \(rows, 4\), "
                                           r"got \(3,\) per row"):
        _check_targets([np.zeros((2, 3))], ["sparse_categorical_crossentropy"], per_step_model(), {})
    with pytest.raises(NodeRunError, match=r"labels must lie in 0..4"):
        _check_targets([np.full((2, 4), 5)], ["sparse_categorical_crossentropy"], per_step_model(), {})


def test_a_plain_classifier_still_takes_one_column():
    import keras

    x = keras.Input((3,))
    model = keras.Model(x, keras.layers.Dense(4, activation="softmax")(x))
    _check_targets([np.array([0, 3, 1])], ["sparse_categorical_crossentropy"], model, {})
    with pytest.raises(NodeRunError, match="expects one column of class numbers, got 2 columns"):
        _check_targets([np.zeros((3, 2))], ["sparse_categorical_crossentropy"], model, {})
