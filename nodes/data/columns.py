"""Choosing columns and rows, and dealing with missing values."""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import ChoiceParam, ColumnsParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

from ._common import (
    TABLE_IN,
    flat_column,
    input_table,
    kind_text,
    log,
    missing_mask,
    require_columns,
    require_numeric,
    take_rows,
    warn,
    with_columns,
)

TRUE_TEXTS = ("true", "1", "yes")
FALSE_TEXTS = ("false", "0", "no")


def parse_value(text: str, arr, column: str, param: str = "value", purpose: str = "compare with"):
    """``text`` as a value of ``arr``'s type, or a NodeRunError naming ``param`` and ``column``."""
    import numpy as np

    kind = arr.dtype.kind
    if kind == "b":
        low = text.strip().lower()
        if low in TRUE_TEXTS or low in FALSE_TEXTS:
            return low in TRUE_TEXTS
        raise NodeRunError(f"{param}: expected true or false to {purpose} column {column!r}, got {text!r}")
    if kind in "iuf":
        try:
            return float(text)
        except ValueError:
            raise NodeRunError(
                f"{param}: expected a number to {purpose} numeric column {column!r}, got {text!r}"
            ) from None
    if kind == "M":
        try:
            return np.datetime64(text.strip())
        except ValueError:
            raise NodeRunError(
                f"{param}: expected a date such as 2024-05-31 to {purpose} column {column!r}, got {text!r}"
            ) from None
    if kind == "U":
        return text
    raise NodeRunError(f"column: expected a column of numbers, text, dates or true/false, "
                       f"column {column!r} holds {kind_text(arr)}")


# -- Column Filter ----------------------------------------------------------------------
def column_filter(context, inputs, params):
    from nodeflow.runtime.table import Table

    table = input_table(inputs)
    names = params["columns"]
    require_columns(table, names, "columns")
    if params["mode"] == "include":
        if not names:
            raise NodeRunError("columns: expected at least one column to include, got none")
        keep = [n for n in table.column_names if n in names]
    else:
        keep = [n for n in table.column_names if n not in names]
        if not keep:
            raise NodeRunError(f"columns: expected at least one column left after excluding, but "
                               f"every column is excluded ({', '.join(table.column_names)})")
    return {"table": Table({n: table[n] for n in keep})}


COLUMN_FILTER = NodeSpec(
    type_id="data.ColumnFilter",
    display_name="Column Filter",
    category="Data/Manipulation",
    family="data",
    description=(
        "Keeps or removes columns by name, e.g. to separate the feature columns a network "
        "reads from the label column it learns. The kept columns stay in the table's order. "
        "Naming a column the table does not have is an error, so a renamed upstream column "
        "is noticed instead of silently dropped."
    ),
    inputs=(TABLE_IN,),
    outputs=(Port("table", "table", "The table with only the kept columns."),),
    params=(
        ChoiceParam(name="mode", default="include", options=("include", "exclude"),
                    help="include keeps only the listed columns; exclude keeps all others."),
        ColumnsParam(name="columns", default=[],
                     help="The columns to keep (include) or to remove (exclude)."),
    ),
    keywords=("column", "select", "drop", "remove", "keep", "features", "projection"),
    run=column_filter,
)


# -- Row Filter -------------------------------------------------------------------------
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in", "is missing", "is not missing")


def row_filter(context, inputs, params):
    import operator

    import numpy as np

    table = input_table(inputs)
    column = flat_column(table, params)
    arr = table[column]
    op = params["operator"]
    missing = missing_mask(arr)
    if op == "is missing":
        mask = missing
    elif op == "is not missing":
        mask = ~missing
    elif op in ("in", "not in"):
        items = [t.strip() for t in params["value"].split(",") if t.strip()]
        if not items:
            raise NodeRunError(f"value: expected a comma-separated list of values for {op!r}, got "
                               f"{params['value']!r}")
        values = np.array([parse_value(t, arr, column) for t in items])
        mask = np.isin(arr, values)
        if op == "not in":
            mask = ~mask
        mask &= ~missing
    else:
        value = parse_value(params["value"], arr, column)
        compare = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
                   ">": operator.gt, ">=": operator.ge}[op]
        mask = np.asarray(compare(arr, value)) & ~missing
    if params["keep"] == "non-matching":
        mask = ~mask
    out = take_rows(table, mask)
    log(context, f"kept {out.num_rows} of {table.num_rows} rows")
    if out.num_rows == 0:
        test = op if op.startswith("is ") else f"{op} {params['value']}"
        warn(context, f"no row kept: keep {params['keep']} rows of {column} {test} left none "
                      f"of {table.num_rows}")
    return {"table": out}


ROW_FILTER = NodeSpec(
    type_id="data.RowFilter",
    display_name="Row Filter",
    category="Data/Manipulation",
    family="data",
    description=(
        "Keeps the rows whose value in one column passes a test, such as species == setosa, "
        "petal_length > 2.5 or species in setosa, virginica, or drops them instead. Missing "
        "values (NaN, empty text) never pass a comparison: only 'is missing' finds them. Text "
        "is compared exactly and in alphabetical order for < and >."
    ),
    inputs=(TABLE_IN,),
    outputs=(Port("table", "table", "The rows that were kept, in their original order."),),
    params=(
        ColumnsParam(name="column", min_count=1, max_count=1,
                     help="The column to test; it must hold one value per row."),
        ChoiceParam(name="operator", default="==", options=OPERATORS,
                    help="The test: a comparison, membership in a list (in, not in) or whether "
                         "the value is missing."),
        TextParam(name="value", default="",
                  help="The value to compare with, read as a number for numeric columns and "
                       "true/false for boolean ones; for in / not in a comma-separated list."),
        ChoiceParam(name="keep", default="matching", options=("matching", "non-matching"),
                    help="matching keeps the rows that pass the test, non-matching the others."),
    ),
    keywords=("row", "filter", "select", "where", "query", "subset", "condition"),
    run=row_filter,
)


# -- Missing Value ----------------------------------------------------------------------
MISSING_METHODS = ("drop_rows", "constant", "mean", "median", "most_frequent")


def _fill_value(method, arr, missing, column, params):
    import numpy as np

    if method == "constant":
        text = params["value"]
        if arr.dtype.kind == "U" and text == "":
            raise NodeRunError(f"value: expected a non-empty text to fill text column {column!r} with, got ''")
        if arr.dtype.kind not in "fUO":
            raise NodeRunError(f"columns: expected columns that can hold missing values, column "
                               f"{column!r} holds {kind_text(arr)}")
        return parse_value(text, arr, column, purpose="fill") if arr.dtype.kind != "O" else text
    if arr.ndim != 1:
        raise NodeRunError(f"columns: expected columns with one value per row for {method}, "
                           f"column {column!r} holds {kind_text(arr)}")
    present = arr[~missing]
    if present.size == 0:
        raise NodeRunError(f"columns: expected column {column!r} to have at least one value to compute "
                           f"the {method.replace('_', ' ')} from, got only missing values")
    if method == "mean":
        return float(np.mean(present))
    if method == "median":
        return float(np.median(present))
    values, counts = np.unique(present, return_counts=True)  # sorted: ties go to the smallest
    return values[np.argmax(counts)]


def missing_value(context, inputs, params):
    import numpy as np

    table = input_table(inputs)
    method = params["method"]
    names = params["columns"]
    require_columns(table, names, "columns")
    if not names:
        names = [n for n in table.column_names if missing_mask(table[n]).any()]
    masks = {n: missing_mask(table[n]) for n in names}
    if method in ("mean", "median"):
        for n in names:
            require_numeric(table, n, "columns", why=f"to compute a {method}")
    if method == "drop_rows":
        drop = np.zeros(table.num_rows, dtype=bool)
        for mask in masks.values():
            drop |= mask
        log(context, f"dropped {int(drop.sum())} of {table.num_rows} rows with missing values")
        return {"table": take_rows(table, ~drop)}
    new = {}
    for n in names:
        arr, mask = table[n], masks[n]
        if not mask.any():
            continue
        fill = _fill_value(method, arr, mask, n, params)
        if arr.ndim > 1:  # constant into the NaN cells of an n-d column
            new[n] = np.where(np.isnan(arr), np.asarray(fill, dtype=arr.dtype), arr)
        else:
            new[n] = np.where(mask, fill, arr)
            if arr.dtype.kind == "f":
                new[n] = new[n].astype(arr.dtype, copy=False)
        log(context, f"column {n!r}: filled {int(mask.sum())} missing values with {fill!r}")
    return {"table": with_columns(table, new)}


MISSING_VALUE = NodeSpec(
    type_id="data.MissingValue",
    display_name="Missing Value",
    category="Data/Manipulation",
    family="data",
    description=(
        "Handles missing values (NaN in numeric columns, empty text in text columns) before "
        "training, since a network cannot learn from NaN: drop the rows that have one, or fill "
        "them with a constant, the column's mean or median, or its most frequent value. The "
        "statistics are computed from the values present in this table."
    ),
    inputs=(TABLE_IN,),
    outputs=(Port("table", "table", "The table without missing values in the chosen columns."),),
    params=(
        ColumnsParam(name="columns", default=[],
                     help="Columns to treat; empty means every column that has a missing value."),
        ChoiceParam(name="method", default="drop_rows", options=MISSING_METHODS,
                    help="drop_rows removes rows missing any chosen column; constant fills the "
                         "value below; mean and median need numeric columns; most_frequent takes "
                         "the commonest value (the smallest on a tie)."),
        TextParam(name="value", default="",
                  help="The constant to fill in with method constant: a number for numeric "
                       "columns, a text for text columns."),
    ),
    keywords=("missing", "nan", "null", "na", "impute", "fill", "drop", "clean"),
    run=missing_value,
)

NODES = (COLUMN_FILTER, ROW_FILTER, MISSING_VALUE)
