"""Writing tables to files."""

from __future__ import annotations

from nodeflow.core.atomic_write import atomic_file
from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import BoolParam, ChoiceParam, FileParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec
from nodes.data._common import any_table, check_cancelled, column_kind, is_file_table, log, resolve_path


def _blocks(table):
    """The table's rows as blocks of NumPy columns: the whole of an in-memory table, blocks
    read one after the other from a file-backed one (never all of it at once)."""
    import numpy as np

    if is_file_table(table):
        empty = True
        for block in table.chunks():
            empty = False
            yield block
        if empty:  # no rows: still write the header
            yield {name: np.empty(0, dtype=table.column_info(name)[0]) for name in table.column_names}
    else:
        yield dict(table)


def _arrow_batch(block: dict, schema=None):
    """A block as an Arrow record batch: NaN cells become nulls, written as empty cells,
    which the CSV Reader reads back as missing."""
    import numpy as np
    import pyarrow as pa

    arrays = {name: pa.array(np.asarray(arr), from_pandas=arr.dtype.kind == "f") for name, arr in block.items()}
    batch = pa.record_batch(arrays)
    return batch if schema is None or batch.schema == schema else batch.cast(schema)


def write_csv(context, inputs, params):
    from pathlib import Path

    import pyarrow.csv as pacsv

    table = any_table(inputs)
    wide = [name for name in table.column_names if table.column_info(name)[1]]
    if wide:
        detail = ", ".join(f"{name!r} holds {column_kind(table, name)}" for name in wide)
        raise NodeRunError(
            f"table: expected columns with one value per row, as a CSV cell holds one value, but {detail}; "
            "remove such columns with a Column Filter first"
        )
    odd = [name for name in table.column_names if table.column_info(name)[0].kind not in "biufUM"]
    if odd:
        raise NodeRunError(f"table: expected columns of numbers, text, dates or true/false values, "
                           f"but column {odd[0]!r} holds {column_kind(table, odd[0])}")
    path = Path(resolve_path(context, params["path"]))
    if path.is_dir():
        raise NodeRunError(f"path: expected a file path, got {path} which is a folder")
    if path.exists() and params["if_exists"] == "fail":
        raise NodeRunError(f"path: expected a file that does not exist yet (if_exists is fail), got {path} "
                           "which exists; set if_exists to overwrite to replace it")
    options = pacsv.WriteOptions(include_header=params["include_header"], delimiter=params["delimiter"])
    path.parent.mkdir(parents=True, exist_ok=True)
    # written beside the target and renamed, so a failed write never leaves half a file behind;
    # the file keeps the mode a plain write gives, and a link at the path stays a link
    with atomic_file(path) as out:
        writer = schema = None
        for block in _blocks(table):
            check_cancelled(context)
            batch = _arrow_batch(block, schema)
            if writer is None:
                schema = batch.schema
                writer = pacsv.CSVWriter(out, schema, write_options=options)
            writer.write_batch(batch)
        writer.close()
    log(context, f"wrote {table.num_rows} rows and {len(table)} columns to {path}")
    return {}


TABLE_WRITER = NodeSpec(
    type_id="io.CsvWriter",
    display_name="Table Writer (CSV)",
    category="IO/Write",
    family="io",
    description=(
        "Writes a table to a CSV file, e.g. predictions or a cleaned data set, with a header "
        "row of column names. Missing numbers (NaN) become empty cells, which the CSV Reader "
        "reads back as missing. Columns holding an array per row (images, sequences) cannot "
        "go into a CSV file and are refused. The file is replaced atomically, so it is never "
        "left half-written. A table backed by files is written block by block, never loaded "
        "whole."
    ),
    inputs=(Port("table", "table", "The table to write."),),
    params=(
        FileParam(name="path", mode="save", filters=("CSV files (*.csv)",),
                  help="The file to write; missing folders on the way are created. Paths below "
                       "the workflow's folder are stored relative to it."),
        ChoiceParam(name="if_exists", default="fail", options=("fail", "overwrite"),
                    help="What to do when the file already exists: fail (and keep it) or overwrite it."),
        TextParam(name="delimiter", default=",", pattern=r"(?s)[^\"\r\n]",
                  pattern_help="a single character such as , or ; or a tab",
                  help="Character written between the fields of a row."),
        BoolParam(name="include_header", default=True,
                  help="Whether the first line holds the column names."),
    ),
    keywords=("csv", "write", "export", "save", "file", "table"),
    run=write_csv,
)

NODES = (TABLE_WRITER,)
