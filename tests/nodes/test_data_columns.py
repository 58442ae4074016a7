"""Column Filter, Row Filter and Missing Value on small tables a user would build."""

import numpy as np
import pytest

from nodeflow.core.errors import NodeRunError
from nodes.data import columns
from nodeflow.runtime.table import Table
from nodes.data.samples import load_sample

REGISTRY = {spec.type_id: spec for spec in columns.NODES}


@pytest.fixture
def run(ctx):
    context = ctx

    def run(type_id, table, **params):
        spec = REGISTRY[type_id]
        return spec.run(context, {"table": table}, spec.resolve(params))["table"]

    return run


@pytest.fixture(scope="module")
def iris():
    return load_sample("iris")


@pytest.fixture
def gappy():
    return Table({
        "x": np.array([1.0, np.nan, 3.0, np.nan, 5.0]),
        "n": np.array([1, 2, 3, 4, 5]),
        "s": np.array(["a", "b", "", "b", "c"]),
        "img": np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]),
    })


# -- Column Filter ----------------------------------------------------------------------
def test_column_filter_include_and_exclude_keep_table_order(run, iris):
    kept = run("data.ColumnFilter", iris, columns=["species", "sepal_length"])
    assert kept.column_names == ["sepal_length", "species"]
    features = run("data.ColumnFilter", iris, mode="exclude", columns=["species"])
    assert features.column_names == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert np.array_equal(features["sepal_length"], iris["sepal_length"])


def test_column_filter_names_a_missing_column(run, iris):
    with pytest.raises(NodeRunError) as exc:
        run("data.ColumnFilter", iris, columns=["sepal_lenght"])
    assert str(exc.value) == ("columns: expected existing columns, got 'sepal_lenght'; the table has: "
                              "sepal_length, sepal_width, petal_length, petal_width, species")
    with pytest.raises(NodeRunError, match="^columns: expected at least one column to include, got none$"):
        run("data.ColumnFilter", iris, columns=[])
    with pytest.raises(NodeRunError, match="^columns: expected at least one column left"):
        run("data.ColumnFilter", iris, mode="exclude", columns=iris.column_names)


# -- Row Filter -------------------------------------------------------------------------
@pytest.mark.parametrize("operator, value, rows", [
    ("==", "setosa", 50), ("!=", "setosa", 100), ("in", "setosa, virginica", 100),
    ("not in", "setosa,virginica", 50), ("<", "versicolor", 50), ("is missing", "", 0),
])
def test_row_filter_on_text(run, iris, operator, value, rows):
    out = run("data.RowFilter", iris, column=["species"], operator=operator, value=value)
    assert out.num_rows == rows


def test_row_filter_on_numbers_keeps_order_and_can_invert(run, iris):
    long = run("data.RowFilter", iris, column=["petal_length"], operator=">=", value="5")
    assert (long["petal_length"] >= 5).all() and long.num_rows == (iris["petal_length"] >= 5).sum()
    assert np.array_equal(long["sepal_length"], iris["sepal_length"][iris["petal_length"] >= 5])
    short = run("data.RowFilter", iris, column=["petal_length"], operator=">=", value="5", keep="non-matching")
    assert short.num_rows + long.num_rows == 150


def test_row_filter_missing_values_match_only_is_missing(run, gappy):
    assert run("data.RowFilter", gappy, column=["x"], operator="!=", value="1")["x"].tolist() == [3.0, 5.0]
    assert run("data.RowFilter", gappy, column=["x"], operator="is missing").num_rows == 2
    assert run("data.RowFilter", gappy, column=["s"], operator="is not missing")["s"].tolist() == ["a", "b", "b", "c"]


def test_row_filter_errors(run, iris, gappy, events):
    with pytest.raises(NodeRunError, match=r"^value: expected a number to compare with numeric column "
                                           r"'petal_length', got 'long'$"):
        run("data.RowFilter", iris, column=["petal_length"], operator=">", value="long")
    with pytest.raises(NodeRunError, match=r"^column: expected existing columns, got 'kind'"):
        run("data.RowFilter", iris, column=["kind"], value="x")
    with pytest.raises(NodeRunError, match=r"^column: expected a column with one value per row, column 'img' "
                                           r"holds an array of shape \(rows, 2\)$"):
        run("data.RowFilter", gappy, column=["img"], value="1")
    assert run("data.RowFilter", iris, column=["species"], value="rose").num_rows == 0
    assert events[-1]["event"] == "warning"


# -- Missing Value ----------------------------------------------------------------------
def test_drop_rows_with_missing_values_in_any_chosen_column(run, gappy):
    out = run("data.MissingValue", gappy)  # empty selection: every column with a gap
    assert out["n"].tolist() == [1, 5]
    assert run("data.MissingValue", gappy, columns=["s"])["n"].tolist() == [1, 2, 4, 5]


def test_fill_mean_median_most_frequent_and_constant(run, gappy):
    assert run("data.MissingValue", gappy, columns=["x"], method="mean")["x"].tolist() == [1, 3, 3, 3, 5]
    assert run("data.MissingValue", gappy, columns=["x"], method="median")["x"].tolist() == [1, 3, 3, 3, 5]
    filled = run("data.MissingValue", gappy, columns=["s"], method="most_frequent")
    assert filled["s"].tolist() == ["a", "b", "b", "b", "c"]
    const = run("data.MissingValue", gappy, columns=["x", "s", "img"], method="constant", value="-1")
    assert const["x"].tolist() == [1, -1, 3, -1, 5] and const["s"][2] == "-1"
    assert const["img"][1].tolist() == [-1.0, 2.0] and const["img"].dtype == np.float64
    long_text = run("data.MissingValue", gappy, columns=["s"], method="constant", value="unknown")
    assert long_text["s"][2] == "unknown"  # wider than the column's original text type


def test_missing_value_errors_name_parameter_and_column(run, gappy):
    with pytest.raises(NodeRunError, match=r"^columns: expected numeric columns \(to compute a mean\), "
                                           r"column 's' holds text$"):
        run("data.MissingValue", gappy, columns=["s"], method="mean")
    with pytest.raises(NodeRunError, match=r"^value: expected a number to fill numeric column 'x', got 'zero'$"):
        run("data.MissingValue", gappy, columns=["x"], method="constant", value="zero")
    empty = Table({"x": np.array([np.nan, np.nan])})
    with pytest.raises(NodeRunError, match="only missing values"):
        run("data.MissingValue", empty, columns=["x"], method="mean")
