"""Table Writer (CSV): what it writes reads back with the CSV Reader; overwrite policy; n-d columns."""

import numpy as np
import pytest

from nodeflow.core import Workflow
from nodeflow.core.errors import NodeRunError
from nodeflow.runtime.context import RunContext
from nodeflow.runtime.table import Table
from nodes.data.readers import CSV_READER
from nodes.io.table_writer import TABLE_WRITER

TABLE = Table({
    "x": np.array([1.5, np.nan, -3.0]),
    "n": np.array([1, 2, 3]),
    "ok": np.array([True, False, True]),
    "name": np.array(['plain', 'with, comma', 'with "quote"']),
})


@pytest.fixture
def write(tmp_path):
    events = []
    context = RunContext(workflow=Workflow(), node_id="csv_writer_1", node_dir=tmp_path, emit_event=events.append)

    def write(table, **params):
        assert TABLE_WRITER.run(context, {"table": table}, TABLE_WRITER.resolve(params)) == {}
        return events

    return write


def read(path, **params):
    return CSV_READER.run(None, {}, CSV_READER.resolve({"path": str(path), **params}))["table"]


def test_written_table_reads_back_unchanged(tmp_path, write):
    path = tmp_path / "out" / "table.csv"  # missing folders are created
    events = write(TABLE, path=str(path))
    back = read(path)
    assert back.column_names == TABLE.column_names
    assert np.array_equal(back["x"], TABLE["x"], equal_nan=True)
    assert back["n"].tolist() == [1, 2, 3] and back["ok"].tolist() == [True, False, True]
    assert back["name"].tolist() == TABLE["name"].tolist()
    assert events[-1]["message"] == f"wrote 3 rows and 4 columns to {path}"
    assert [p.name for p in path.parent.iterdir()] == ["table.csv"]  # no temporary file left


def test_overwrite_policy(tmp_path, write):
    path = tmp_path / "t.csv"
    path.write_text("keep me")
    with pytest.raises(NodeRunError, match="^path: expected a file that does not exist yet"):
        write(TABLE, path=str(path))
    assert path.read_text() == "keep me"
    write(TABLE, path=str(path), if_exists="overwrite", delimiter=";", include_header=False)
    assert path.read_text().splitlines()[0] == "1.5;1;true;\"plain\""


def test_nd_columns_are_refused_with_a_clear_error(tmp_path, write):
    table = Table({"image": np.zeros((2, 8, 8, 1), dtype=np.float32), "label": np.array([0, 1])})
    with pytest.raises(NodeRunError) as exc:
        write(table, path=str(tmp_path / "x.csv"))
    assert str(exc.value) == (
        "table: expected columns with one value per row, as a CSV cell holds one value, but 'image' holds "
        "an array of shape (rows, 8, 8, 1); remove such columns with a Column Filter first")
    assert not (tmp_path / "x.csv").exists()
