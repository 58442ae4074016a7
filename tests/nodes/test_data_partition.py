"""Partitioning: sizes, stratification, seeds and errors."""

import numpy as np
import pytest

from nodeflow.core import Workflow
from nodeflow.core.errors import NodeRunError
from nodeflow.runtime.context import RunContext
from nodeflow.runtime.table import Table
from nodes.data.partition import PARTITIONING
from nodes.data.samples import load_sample

SPEC = PARTITIONING


@pytest.fixture(scope="module")
def iris():
    return load_sample("iris")


def split(table, tmp_path, run_seed=None, **params):
    context = RunContext(workflow=Workflow(), node_id="node_1", node_dir=tmp_path, emit_event=lambda e: None,
                         seed=run_seed)
    out = SPEC.run(context, {"table": table}, SPEC.resolve(params))
    return out["first"], out["second"]


def classes(table):
    names, counts = np.unique(table["species"], return_counts=True)
    return dict(zip(names.tolist(), counts.tolist()))


def test_stratified_80_percent_of_iris_keeps_class_proportions(iris, tmp_path):
    first, second = split(iris, tmp_path, sampling="stratified", stratify_column=["species"], seed=7)
    assert (first.num_rows, second.num_rows) == (120, 30)
    assert classes(first) == {"setosa": 40, "versicolor": 40, "virginica": 40}
    assert classes(second) == {"setosa": 10, "versicolor": 10, "virginica": 10}
    # every row lands in exactly one partition, each keeping the original order
    rows = np.concatenate([first["sepal_length"], second["sepal_length"]])
    assert sorted(rows.tolist()) == sorted(iris["sepal_length"].tolist())


def same_rows(a, b):
    return all(np.array_equal(a[c], b[c]) for c in a.column_names)


def test_same_seed_same_split_other_seed_other_split(iris, tmp_path):
    a, _ = split(iris, tmp_path, seed=3)
    b, _ = split(iris, tmp_path, seed=3)
    c, _ = split(iris, tmp_path, seed=4)
    assert same_rows(a, b) and not same_rows(a, c)
    stratified = [split(iris, tmp_path, sampling="stratified", stratify_column=["species"], seed=9)[1]
                  for _ in range(2)]
    assert same_rows(*stratified)


def test_run_seed_is_used_when_the_node_has_none(iris, tmp_path):
    a, _ = split(iris, tmp_path, run_seed=11)
    b, _ = split(iris, tmp_path, run_seed=11)
    c, _ = split(iris, tmp_path, run_seed=11, seed=12)
    assert same_rows(a, b) and not same_rows(a, c)


def test_count_and_from_top(iris, tmp_path):
    first, second = split(iris, tmp_path, size="count", count=10, sampling="from_top")
    assert first["sepal_length"].tolist() == iris["sepal_length"][:10].tolist() and second.num_rows == 140
    first, _ = split(iris, tmp_path, size="count", count=0)
    assert first.num_rows == 0 and first.column_names == iris.column_names


def test_stratified_counts_sum_exactly_with_uneven_classes(tmp_path):
    table = Table({"y": np.array(["a"] * 7 + ["b"] * 2 + ["c"])})
    first, second = split(table, tmp_path, size="count", count=5, sampling="stratified", stratify_column=["y"],
                          seed=0)
    assert first.num_rows == 5 and second.num_rows == 5
    assert np.unique(first["y"], return_counts=True)[1].tolist() == [4, 1]  # 3.5, 1.0, 0.5 -> 4, 1, 0


def test_partition_errors(iris, tmp_path):
    with pytest.raises(NodeRunError, match=r"^count: expected at most 150 \(the table's rows\), got 151$"):
        split(iris, tmp_path, size="count", count=151)
    with pytest.raises(NodeRunError, match="^stratify_column: expected a column"):
        split(iris, tmp_path, sampling="stratified")
    with pytest.raises(NodeRunError, match="^stratify_column: expected existing columns, got 'class'"):
        split(iris, tmp_path, sampling="stratified", stratify_column=["class"])
    with pytest.raises(NodeRunError, match="^table: expected a table with at least one row, got an empty table$"):
        split(Table({"x": np.array([])}), tmp_path)
