"""The CSV Reader node reads real files into tables of NumPy columns."""

import numpy as np
import pytest

from nodeflow.core import default_registry
from nodeflow.core.errors import NodeRunError
from tests.conftest import ROOT

SPEC = default_registry()["data.CsvReader"]


def read(**params):
    return SPEC.run(None, {}, SPEC.resolve(params))["table"]


def test_reads_the_bundled_iris_file():
    table = read(path=str(ROOT / "resources" / "data" / "iris.csv"))
    assert table.num_rows == 150
    assert table.column_names == ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    assert table["sepal_length"].dtype == np.float64
    assert table["species"].dtype.kind == "U"
    assert sorted(set(table["species"])) == ["setosa", "versicolor", "virginica"]


def test_delimiter_header_and_missing_values(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("1;a\n?;b\n3;NA\n", encoding="utf-8")
    table = read(path=str(path), delimiter=";", has_header=False)
    assert table.column_names == ["f0", "f1"]
    assert np.isnan(table["f0"][1]) and table["f0"][2] == 3
    assert list(table["f1"]) == ["a", "b", ""]


def test_missing_file_names_the_parameter(tmp_path):
    with pytest.raises(NodeRunError) as exc:
        read(path=str(tmp_path / "nope.csv"))
    assert str(exc.value) == f"path: expected an existing CSV file, got {tmp_path / 'nope.csv'} which does not exist"


def test_ragged_file_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3\n")
    with pytest.raises(NodeRunError, match="cannot read .* as CSV"):
        read(path=str(path))
