"""Reconstruction Error, Anomaly Threshold and the Scorer's ROC curve and AUC."""

import numpy as np
import pytest

from nodeflow.core.errors import NodeRunError
from nodeflow.runtime.table import Table
from nodes.learn.anomaly import ANOMALY_THRESHOLD, RECONSTRUCTION_ERROR
from nodes.learn.scorer import SCORER


def run(spec, ctx, inputs, **params):
    return spec.run(ctx, inputs, spec.resolve(params))


def reconstructed():
    return Table({"a": np.array([1.0, 2.0, 3.0]), "b": np.array([0.0, 0.0, 4.0]),
                  "prediction_0": np.array([1.0, 1.0, 3.0]), "prediction_1": np.array([0.0, 2.0, 0.0])})


@pytest.mark.parametrize("error, expected", [("mse", [0.0, 2.5, 8.0]), ("mae", [0.0, 1.5, 2.0])])
def test_reconstruction_error_per_row(ctx, error, expected):
    out = run(RECONSTRUCTION_ERROR, ctx, {"table": reconstructed()}, columns=["a", "b"], error=error)["table"]
    np.testing.assert_allclose(out["reconstruction_error"], expected)
    assert out.column_names[:4] == ["a", "b", "prediction_0", "prediction_1"]


def test_an_image_shaped_reconstruction_is_one_column(ctx):
    images = np.arange(8.0).reshape(2, 2, 2)
    table = Table({"image": images, "rebuilt": images + np.array([[[0, 0], [0, 0]], [[1, 1], [1, 1]]])})
    out = run(RECONSTRUCTION_ERROR, ctx, {"table": table}, columns=["image"], prediction_prefix="rebuilt")
    np.testing.assert_allclose(out["table"]["reconstruction_error"], [0.0, 1.0])


def test_a_missing_or_short_reconstruction_is_refused_by_name(ctx):
    with pytest.raises(NodeRunError, match="prediction_prefix: expected a column 'recon' or columns recon_0"):
        run(RECONSTRUCTION_ERROR, ctx, {"table": reconstructed()}, columns=["a", "b"], prediction_prefix="recon")
    short = Table({"a": np.ones(2), "b": np.ones(2), "p": np.ones((2, 3))})
    with pytest.raises(NodeRunError, match=r"expected 2 reconstructed values per row \(as the columns hold\), got 3"):
        run(RECONSTRUCTION_ERROR, ctx, {"table": short}, columns=["a", "b"], prediction_prefix="p")


def scores(values):
    return Table({"reconstruction_error": np.asarray(values, dtype=np.float64)})


def test_the_percentile_of_the_reference_rows_is_the_threshold(ctx):
    reference = scores(np.arange(101.0))  # 0..100: the 95th percentile is 95
    out = run(ANOMALY_THRESHOLD, ctx, {"table": scores([10, 95, 95.5, 300]), "reference": reference})
    assert out["threshold"]["threshold"].tolist() == [95.0]
    assert out["table"]["anomaly"].tolist() == [0, 0, 1, 1]  # above the threshold, not at it


def test_a_fixed_threshold_and_two_labels(ctx):
    out = run(ANOMALY_THRESHOLD, ctx, {"table": scores([0.1, 0.6])}, method="fixed", value=0.5,
              labels=["normal", "fraud"], output_column="verdict")
    assert out["table"]["verdict"].tolist() == ["normal", "fraud"]


def test_the_percentile_method_needs_a_reference(ctx):
    with pytest.raises(NodeRunError, match="reference: expected a table of normal rows' scores"):
        run(ANOMALY_THRESHOLD, ctx, {"table": scores([1.0])})
    with pytest.raises(NodeRunError, match="score_column: no column 'score' in the table"):
        run(ANOMALY_THRESHOLD, ctx, {"table": scores([1.0])}, method="fixed", score_column="score")


def scored(truth, score, predicted=None):
    truth = np.asarray(truth)
    return Table({"truth": truth, "score": np.asarray(score, dtype=np.float64),
                  "predicted": truth if predicted is None else np.asarray(predicted)})


def test_the_scorer_adds_the_roc_curve_and_its_auc(ctx):
    table = scored(["no", "no", "yes", "no", "yes"], [0.1, 0.4, 0.35, 0.8, 0.9])
    out = run(SCORER, ctx, {"table": table}, truth_column="truth", prediction_column="predicted",
              score_column="score")
    roc = out["roc"]
    assert roc["threshold"].tolist() == [np.inf, 0.9, 0.8, 0.4, 0.35, 0.1]
    assert roc["fpr"].tolist() == pytest.approx([0, 0, 1 / 3, 2 / 3, 2 / 3, 1])
    assert roc["tpr"].tolist() == pytest.approx([0, 0.5, 0.5, 0.5, 1, 1])
    rows = dict(zip(out["metrics"]["metric"], out["metrics"]["value"]))
    # of the 6 (yes, no) pairs, "yes" scores higher in 4: AUC 4/6 ("yes", the last class, is positive)
    assert rows["auc"] == pytest.approx(4 / 6)


def test_tied_scores_count_half_and_the_positive_class_can_be_chosen(ctx):
    table = scored([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9])
    out = run(SCORER, ctx, {"table": table}, truth_column="truth", prediction_column="predicted",
              score_column="score")
    assert dict(zip(out["metrics"]["metric"], out["metrics"]["value"]))["auc"] == pytest.approx(0.875)
    flipped = run(SCORER, ctx, {"table": table}, truth_column="truth", prediction_column="predicted",
                  score_column="score", positive_class="0")
    assert dict(zip(flipped["metrics"]["metric"], flipped["metrics"]["value"]))["auc"] == pytest.approx(0.125)


def test_without_a_score_column_the_roc_is_empty_and_no_auc_is_reported(ctx):
    out = run(SCORER, ctx, {"table": scored([0, 1], [0.1, 0.9])}, truth_column="truth",
              prediction_column="predicted")
    assert out["roc"].num_rows == 0 and "auc" not in out["metrics"]["metric"].tolist()


@pytest.mark.parametrize("truth, params, message", [
    ([0, 1, 2], {}, "positive_class: expected the class the scores point to, got none; the truth has 3"),
    ([0, 1, 1], {"positive_class": "yes"}, "positive_class: expected one of the truth column's classes"),
    ([1, 1, 1], {"positive_class": "1"}, "truth_column: a ROC curve needs rows of class '1' and of other"),
    ([0, 1, 1], {"mode": "regression"}, "score_column: a ROC curve compares classes"),
])
def test_roc_errors_name_the_parameter(ctx, truth, params, message):
    with pytest.raises(NodeRunError, match=message):
        run(SCORER, ctx, {"table": scored(truth, [0.1, 0.5, 0.9])}, truth_column="truth",
            prediction_column="predicted", score_column="score", **params)
