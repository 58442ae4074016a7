"""Bad input ends in a failed node whose message names the node and what was expected."""

import csv

import pytest

from nodeflow.runtime.engine import Engine
from tests.runtime.conftest import FEATURES, mlp_workflow

pytestmark = pytest.mark.keras


def failure(wf, tmp_path):
    result = Engine(wf, tmp_path / "run", use_cache=False).run()
    assert result.status == "failed"
    [error] = [r.error for r in result.nodes.values() if r.error]
    return error


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_missing_file(iris_numeric, tmp_path):
    wf = mlp_workflow(iris_numeric)
    wf.set_param("reader", "path", "missing.csv")
    assert failure(wf, tmp_path).startswith(
        "node reader: path: expected an existing CSV file, got ")


def test_feature_count_that_does_not_match_the_input_shape(iris_numeric, tmp_path):
    wf = mlp_workflow(iris_numeric, feature_columns=FEATURES[:3])
    assert failure(wf, tmp_path) == ("node learner: feature_columns: the model expects inputs of shape "
                                     "(None, 4), the columns give (None, 3)")


def test_string_labels_where_numbers_are_needed(tmp_path):
    path = write_csv(tmp_path / "text_labels.csv", FEATURES + ["species"],
                     [[5.1, 3.5, 1.4, 0.2, "setosa"], [6.2, 2.9, 4.3, 1.3, "versicolor"]])
    error = failure(mlp_workflow(path), tmp_path)
    assert error.startswith("node learner: target_columns: column species holds text (e.g. 'setosa'); "
                            "expected numbers")


def test_label_out_of_range_for_the_loss(tmp_path):
    path = write_csv(tmp_path / "labels.csv", FEATURES + ["species"],
                     [[5.1, 3.5, 1.4, 0.2, 0], [6.2, 2.9, 4.3, 1.3, 5]])
    assert failure(mlp_workflow(path), tmp_path) == (
        "node learner: target_columns: labels must lie in 0..2 for sparse_categorical_crossentropy "
        "with 3 output units, got labels from 0 to 5")


def test_empty_table(tmp_path):
    path = write_csv(tmp_path / "empty.csv", FEATURES + ["species"], [])
    assert failure(mlp_workflow(path), tmp_path) == (
        "node learner: training: expected at least one row, got an empty table")


def test_nan_loss(iris_numeric, tmp_path):
    wf = mlp_workflow(iris_numeric, epochs=5,
                      optimizer={"name": "sgd", "args": {"learning_rate": 1e30}})
    error = failure(wf, tmp_path)
    assert error.startswith("node learner: loss became ")
    assert "training diverged; lower the learning rate" in error


def test_missing_values_in_features(tmp_path):
    path = write_csv(tmp_path / "gaps.csv", FEATURES + ["species"],
                     [[5.1, "", 1.4, 0.2, 0], [6.2, 2.9, 4.3, 1.3, 1]])
    assert failure(mlp_workflow(path), tmp_path).startswith(
        "node learner: feature_columns: 1 missing value(s) (NaN) in the training table")
