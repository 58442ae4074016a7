"""Table readers."""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import BoolParam, FileParam, IntParam, TextListParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

TABLE_OUT = Port("table", "table", "The rows and columns read from the file.")


def read_csv(context, inputs, params):
    """Read a delimited text file with pyarrow's multi-threaded CSV reader."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from nodeflow.runtime.table import Table

    path = params["path"]
    read = pacsv.ReadOptions(
        encoding=params["encoding"],
        skip_rows=params["skip_rows"],
        autogenerate_column_names=not params["has_header"],
    )
    parse = pacsv.ParseOptions(delimiter=params["delimiter"])
    convert = pacsv.ConvertOptions(null_values=params["missing_values"], strings_can_be_null=True)
    try:
        arrow_table = pacsv.read_csv(path, read_options=read, parse_options=parse,
                                     convert_options=convert)
    except FileNotFoundError:
        raise NodeRunError(f"path: expected an existing CSV file, got {path} which does not exist") from None
    except (pa.ArrowInvalid, UnicodeDecodeError, LookupError, OSError) as exc:
        raise NodeRunError(f"path: cannot read {path} as CSV: {exc}") from None
    return {"table": Table.from_arrow(arrow_table)}


CSV_READER = NodeSpec(
    type_id="data.CsvReader",
    display_name="CSV Reader",
    category="Data/Read",
    family="data",
    description=(
        "Reads a delimited text file (comma, semicolon or tab separated) into a table. "
        "Columns of numbers become numeric columns, everything else text; cells equal to one "
        "of the missing-value markers become missing (NaN in numeric columns)."
    ),
    outputs=(TABLE_OUT,),
    params=(
        FileParam(name="path", mode="open", filters=("CSV files (*.csv *.tsv *.txt)",),
                  help="The file to read. Paths below the workflow's folder are stored relative "
                       "to it, so a workflow and its data can move together."),
        TextParam(name="delimiter", default=",", pattern=r"(?s).",
                  pattern_help="a single character such as , or ; or a tab",
                  help="Character between the fields of a row."),
        BoolParam(name="has_header", default=True,
                  help="Whether the first row holds the column names; if not, columns are "
                       "named f0, f1, ..."),
        TextParam(name="encoding", default="utf-8", allow_empty=False,
                  help="Text encoding of the file, e.g. utf-8 or latin-1."),
        IntParam(name="skip_rows", default=0, min=0,
                 help="Number of lines to skip at the start of the file, before the header."),
        TextListParam(name="missing_values", default=["", "NA", "N/A", "NaN", "null", "?"],
                      help="Cell texts that mean a value is missing."),
    ),
    keywords=("csv", "tsv", "text", "file", "read", "import"),
    run=read_csv,
)

NODES = (CSV_READER,)
