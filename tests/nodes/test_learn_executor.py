"""The Keras Network Executor appends a real model's predictions to a table."""

import numpy as np
import pytest

from nodeflow.core import default_registry
from nodeflow.core.errors import NodeRunError
from nodeflow.runtime.context import Cancelled
from nodeflow.runtime.table import Table

pytestmark = pytest.mark.keras

SPEC = default_registry()["learn.NetworkExecutor"]

# Dense(3, softmax) on 4 features with fixed weights: class i scores x[i] * 2
W = np.array([[2, 0, 0], [0, 2, 0], [0, 0, 2], [0, 0, 0]], dtype=np.float32)
X = np.array([[1, 0, 0, 5], [0, 3, 0, 1], [0, 0, 1, 0], [0.5, 0.2, 0.1, 0], [0, 0, 0, 0]], dtype=np.float32)


@pytest.fixture(scope="module")
def keras():
    from nodeflow.keras import load_keras

    return load_keras()


def dense(keras, units, activation, w, b=None, inputs=4, name=None):
    inp = keras.Input((inputs,), name="features")
    layer = keras.layers.Dense(units, activation=activation, name=name)
    model = keras.Model(inp, layer(inp))
    layer.set_weights([w, np.zeros(units, np.float32) if b is None else b])
    return model


@pytest.fixture(scope="module")
def classifier(keras):
    return dense(keras, 3, "softmax", W)


def table(**extra):
    return Table({"a": X[:, 0], "b": X[:, 1].astype(np.float64), "c": X[:, 2], "d": X[:, 3],
                  "id": np.arange(5), **extra})


def run(ctx, model, tbl, **params):
    params.setdefault("feature_columns", ["a", "b", "c", "d"])
    return SPEC.run(ctx, {"model": model, "table": tbl}, SPEC.resolve(params))["table"]


def test_softmax_classifier_gets_probabilities_and_argmax_class(ctx, classifier):
    out = run(ctx, classifier, table())
    assert out.column_names == ["a", "b", "c", "d", "id", "prediction_p0", "prediction_p1",
                                "prediction_p2", "prediction_class"]
    probs = np.stack([out[f"prediction_p{i}"] for i in range(3)], axis=1)
    expected = classifier.predict(X, verbose=0)
    np.testing.assert_allclose(probs, expected, atol=1e-6)
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert out["prediction_class"].dtype == np.int64
    assert list(out["prediction_class"]) == list(np.argmax(expected, axis=1)) == [0, 1, 2, 0, 0]
    np.testing.assert_array_equal(out["id"], np.arange(5))  # input columns kept as they were
    assert any(e["event"] == "log" and "prediction_class" in e["message"] for e in ctx.events)


def test_class_labels_replace_class_numbers(ctx, classifier):
    out = run(ctx, classifier, table(), class_labels=["setosa", "versicolor", "virginica"], prediction_prefix="y")
    assert list(out["y_class"]) == ["setosa", "versicolor", "virginica", "setosa", "setosa"]
    assert "y_p2" in out


def test_wrong_number_of_labels_is_named(ctx, classifier):
    with pytest.raises(NodeRunError, match=r"class_labels: the model's output has 3 classes, so expected 3 labels, got 2"):
        run(ctx, classifier, table(), class_labels=["x", "y"])


def test_shape_mismatch_says_expected_and_found(ctx, classifier):
    with pytest.raises(NodeRunError) as exc:
        run(ctx, classifier, table(), feature_columns=["a", "b", "c"])
    assert str(exc.value) == "feature_columns: the model expects inputs of shape (None, 4), the columns give (None, 3)"


def test_unknown_and_text_columns_are_named(ctx, classifier):
    with pytest.raises(NodeRunError, match=r"feature_columns: no column 'zz'; the table has: a, b, c, d, id"):
        run(ctx, classifier, table(), feature_columns=["a", "b", "c", "zz"])
    tbl = table(name=np.array(["p", "q", "r", "s", "t"]))
    with pytest.raises(NodeRunError, match=r"column 'name' holds text; expected numbers"):
        run(ctx, classifier, tbl, feature_columns=["a", "b", "c", "name"])


def test_vector_column_and_scalars_are_concatenated(ctx, classifier):
    tbl = table(ab=X[:, :2].copy())
    out = run(ctx, classifier, tbl, feature_columns=["ab", "c", "d"])
    assert list(out["prediction_class"]) == [0, 1, 2, 0, 0]


def test_sigmoid_output_gives_probability_and_thresholded_class(ctx, keras):
    model = dense(keras, 1, "sigmoid", np.array([[4], [0], [0], [0]], np.float32), b=np.array([-1], np.float32))
    out = run(ctx, model, table())
    p = 1 / (1 + np.exp(-(4 * X[:, 0] - 1)))
    np.testing.assert_allclose(out["prediction_p1"], p, atol=1e-6)
    assert list(out["prediction_class"]) == [int(v > 0.5) for v in p] == [1, 0, 0, 1, 0]
    out = run(ctx, model, table(), threshold=0.9, class_labels=["no", "yes"])
    assert list(out["prediction_class"]) == ["yes" if v > 0.9 else "no" for v in p]


def test_regression_values_and_multi_column_outputs(ctx, keras):
    one = dense(keras, 1, None, np.array([[1], [2], [3], [4]], np.float32))
    out = run(ctx, one, table(), prediction_prefix="price")
    np.testing.assert_allclose(out["price"], X @ np.array([1, 2, 3, 4]), atol=1e-5)
    assert out["price"].ndim == 1
    two = dense(keras, 2, "relu", np.ones((4, 2), np.float32))
    out = run(ctx, two, table())
    assert {"prediction_0", "prediction_1"} <= set(out)


def test_logits_mode_applies_softmax(ctx, keras, classifier):
    logits = dense(keras, 3, None, W)
    out = run(ctx, logits, table(), output_mode="logits")
    expected = classifier.predict(X, verbose=0)
    np.testing.assert_allclose(out["prediction_p1"], expected[:, 1], atol=1e-6)
    auto = run(ctx, logits, table())  # no softmax at the end: auto reads plain values
    assert "prediction_class" not in auto and "prediction_2" in auto


def test_image_column_is_fed_as_it_is(ctx, keras):
    inp = keras.Input((2, 2, 1))
    model = keras.Model(inp, keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(inp)))
    images = np.random.default_rng(0).random((6, 2, 2, 1)).astype(np.float32)
    out = run(ctx, model, Table({"img": images}), feature_columns=["img"], batch_size=4)
    assert out["prediction_class"].shape == (6,)
    np.testing.assert_array_equal(out["prediction_class"], np.argmax(model.predict(images, verbose=0), axis=1))
    with pytest.raises(NodeRunError) as exc:
        run(ctx, model, Table({"img": images[..., 0]}), feature_columns=["img"])
    assert str(exc.value) == ("feature_columns: the model expects inputs of shape (None, 2, 2, 1), "
                              "the columns give (None, 2, 2)")


def test_multi_input_model_takes_the_columns_in_order(ctx, keras):
    a = keras.Input((2,), name="left")
    b = keras.Input((1,), name="right")
    model = keras.Model({"right": b, "left": a}, keras.layers.Concatenate()([a, b * 10]))
    out = run(ctx, model, table(), feature_columns=["a", "b", "c"])  # left <- a, b; right <- c
    np.testing.assert_allclose(out["prediction_0"], X[:, 0])
    np.testing.assert_allclose(out["prediction_2"], X[:, 2] * 10)
    with pytest.raises(NodeRunError, match=r"column 'd' left over"):
        run(ctx, model, table(), feature_columns=["a", "b", "c", "d"])
    with pytest.raises(NodeRunError, match=r"the columns ran out before input 'right'"):
        run(ctx, model, table(), feature_columns=["a", "b"])


def test_multi_output_model_prefixes_each_output(ctx, keras):
    inp = keras.Input((4,))
    model = keras.Model(inp, [keras.layers.Dense(3, activation="softmax", name="kind")(inp),
                              keras.layers.Dense(1, name="size")(inp)])
    out = run(ctx, model, table())
    assert {"prediction_kind_class", "prediction_kind_p2", "prediction_size"} <= set(out)


def test_existing_column_names_are_not_overwritten(ctx, classifier):
    with pytest.raises(NodeRunError, match=r"prediction_prefix: the table already has a column 'prediction_class'"):
        run(ctx, classifier, table(prediction_class=np.zeros(5)))


def test_missing_values_warn_and_get_no_class(ctx, classifier):
    tbl = Table({**table(), "a": np.array([1, np.nan, 0, 0.5, 0])})
    out = run(ctx, classifier, tbl)
    assert out["prediction_class"][1] == -1
    assert any(e["event"] == "warning" and "1 rows hold missing values" in e["message"] for e in ctx.events)


def test_cancel_stops_prediction(ctx, classifier):
    ctx.control.cancel.set()
    with pytest.raises(Cancelled):
        run(ctx, classifier, table())


def test_cancel_is_checked_between_batches(ctx, classifier):
    calls = []
    check = ctx.check_cancelled

    def counting():
        calls.append(1)
        if len(calls) == 3:  # before predicting, after batch 1, after batch 2
            ctx.control.cancel.set()
        check()

    ctx.check_cancelled = counting
    rows = Table({"x": np.zeros((50, 4), np.float32)})
    with pytest.raises(Cancelled):
        run(ctx, classifier, rows, feature_columns=["x"], batch_size=5)
    assert len(calls) == 3


def test_text_column_feeds_a_string_input(ctx, keras):
    words = keras.Input((), dtype="string")
    ids = keras.layers.StringLookup(vocabulary=["red", "green"])(words)  # 0 = unknown
    model = keras.Model(words, keras.layers.Softmax()(keras.ops.one_hot(ids, 3) * 5))
    out = run(ctx, model, Table({"colour": np.array(["green", "red", "blue"])}), feature_columns=["colour"],
              class_labels=["other", "red", "green"])
    assert list(out["prediction_class"]) == ["green", "red", "other"]
