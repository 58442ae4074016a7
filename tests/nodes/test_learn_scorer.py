"""The Scorer's numbers, checked by hand and against scikit-learn where it is installed."""

import math

import numpy as np
import pytest

from nodeflow.core import default_registry
from nodeflow.core.errors import NodeRunError
from nodeflow.runtime.table import Table

SPEC = default_registry()["learn.Scorer"]

TRUTH = np.array(["cat", "cat", "cat", "dog", "dog", "bird", "bird", "bird", "bird", "cat"])
PRED = np.array(["cat", "dog", "cat", "dog", "cat", "bird", "bird", "dog", "bird", "cat"])
# hand-counted confusion matrix, classes sorted: bird, cat, dog (rows true, columns predicted)
MATRIX = np.array([[3, 0, 1],
                   [0, 3, 1],
                   [0, 1, 1]])


def score(ctx, columns, **params):
    params.setdefault("truth_column", "truth")
    params.setdefault("prediction_column", "pred")
    return SPEC.run(ctx, {"table": Table(columns)}, SPEC.resolve(params))


def metrics(out) -> dict:
    m = out["metrics"]
    return {(name, cls): value for name, cls, value in zip(m["metric"], m["class"], m["value"])}


def test_classification_against_a_hand_counted_confusion_matrix(ctx):
    out = score(ctx, {"truth": TRUTH, "pred": PRED})
    cm = out["confusion_matrix"]
    assert cm.column_names == ["truth", "bird", "cat", "dog"]
    assert list(cm["truth"]) == ["bird", "cat", "dog"]
    np.testing.assert_array_equal(np.stack([cm[c] for c in ("bird", "cat", "dog")], axis=1), MATRIX)

    m = metrics(out)
    assert m[("accuracy", "")] == pytest.approx(7 / 10)
    precision = {"bird": 3 / 3, "cat": 3 / 4, "dog": 1 / 3}
    recall = {"bird": 3 / 4, "cat": 3 / 4, "dog": 1 / 2}
    f1 = {c: 2 * precision[c] * recall[c] / (precision[c] + recall[c]) for c in precision}
    for c in precision:
        assert m[("precision", c)] == pytest.approx(precision[c])
        assert m[("recall", c)] == pytest.approx(recall[c])
        assert m[("f1", c)] == pytest.approx(f1[c])
    assert m[("support", "dog")] == 2
    assert m[("macro_precision", "")] == pytest.approx(sum(precision.values()) / 3)
    assert m[("macro_recall", "")] == pytest.approx(sum(recall.values()) / 3)
    assert m[("macro_f1", "")] == pytest.approx(sum(f1.values()) / 3)
    assert m[("rows", "")] == 10
    assert out["metrics"]["value"].dtype == np.float64
    assert any(e["event"] == "log" and e["message"].startswith("accuracy 0.7000 (7 of 10 rows)")
               for e in ctx.events)


def test_classification_matches_scikit_learn(ctx):
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 4, 200)
    pred = np.where(rng.random(200) < 0.6, truth, rng.integers(0, 5, 200))  # class 4 only predicted
    m = metrics(score(ctx, {"truth": truth, "pred": pred}))
    assert m[("accuracy", "")] == pytest.approx(sk.accuracy_score(truth, pred))
    for ours, average in (("macro_precision", sk.precision_score), ("macro_recall", sk.recall_score),
                          ("macro_f1", sk.f1_score)):
        assert m[(ours, "")] == pytest.approx(average(truth, pred, average="macro", zero_division=0))
    cm = score(ctx, {"truth": truth, "pred": pred})["confusion_matrix"]
    ours = np.stack([cm[str(c)] for c in range(5)], axis=1)
    np.testing.assert_array_equal(ours, sk.confusion_matrix(truth, pred, labels=range(5)))
    assert m[("recall", "4")] == 0.0 and m[("support", "4")] == 0


def test_regression_metrics(ctx):
    truth = np.array([3.0, -0.5, 2.0, 7.0])
    pred = np.array([2.5, 0.0, 2.0, 8.0])
    out = score(ctx, {"truth": truth, "pred": pred})
    m = metrics(out)
    mse = (0.25 + 0.25 + 0 + 1) / 4
    assert m[("mse", "")] == pytest.approx(mse)
    assert m[("rmse", "")] == pytest.approx(math.sqrt(mse))
    assert m[("mae", "")] == pytest.approx((0.5 + 0.5 + 0 + 1) / 4)
    ss_tot = np.sum((truth - truth.mean()) ** 2)
    assert m[("r2", "")] == pytest.approx(1 - 1.5 / ss_tot)
    assert len(out["confusion_matrix"]) == 0 and out["confusion_matrix"].num_rows == 0
    assert any(e["event"] == "log" and e["message"].startswith("RMSE") for e in ctx.events)
    sk = pytest.importorskip("sklearn.metrics")
    assert m[("r2", "")] == pytest.approx(sk.r2_score(truth, pred))


def test_regression_leaves_out_missing_rows_with_a_warning(ctx):
    out = score(ctx, {"truth": np.array([1.0, np.nan, 3.0]), "pred": np.array([1.0, 2.0, 5.0])})
    m = metrics(out)
    assert m[("mae", "")] == pytest.approx(1.0) and m[("rows", "")] == 2
    assert any(e["event"] == "warning" and "1 rows" in e["message"] for e in ctx.events)


def test_auto_mode_and_explicit_modes(ctx):
    ints = {"truth": np.array([0, 1, 1]), "pred": np.array([0, 1, 0])}
    assert ("accuracy", "") in metrics(score(ctx, ints))
    assert ("mse", "") in metrics(score(ctx, ints, mode="regression"))
    floats = {"truth": np.array([0.0, 1.0, 1.0]), "pred": np.array([0, 1, 0])}
    assert ("mse", "") in metrics(score(ctx, floats))
    assert metrics(score(ctx, floats, mode="classification"))[("accuracy", "")] == pytest.approx(2 / 3)
    bools = {"truth": np.array([True, False]), "pred": np.array([1, 0])}
    assert metrics(score(ctx, bools))[("accuracy", "")] == 1.0


def test_executor_output_scores_directly(ctx):
    """Integer class numbers from the executor against integer labels."""
    out = score(ctx, {"label": np.array([0, 2, 1, 2]), "prediction_class": np.array([0, 2, 2, 2])},
                truth_column="label", prediction_column="prediction_class")
    assert metrics(out)[("accuracy", "")] == 0.75
    assert out["confusion_matrix"].column_names == ["label", "0", "1", "2"]


def test_user_mistakes_are_named(ctx):
    cols = {"truth": TRUTH, "pred": np.arange(10)}
    with pytest.raises(NodeRunError, match=r"prediction_column: expected the same kind of values as truth column "
                                           r"'truth' \(text\), column 'pred' holds integers"):
        score(ctx, cols)
    with pytest.raises(NodeRunError, match=r"truth_column: no column 'nope'; the table has: truth, pred"):
        score(ctx, cols, truth_column="nope")
    with pytest.raises(NodeRunError, match=r"truth_column: regression needs numbers, column 'truth' holds"):
        score(ctx, cols, mode="regression")
    with pytest.raises(NodeRunError, match=r"prediction_column: expected a column with one value per row"):
        score(ctx, {"truth": np.arange(3), "pred": np.zeros((3, 2))})
