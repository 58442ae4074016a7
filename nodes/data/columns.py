"""Choosing columns and rows, and dealing with missing values."""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import ChoiceParam, ColumnsParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

from ._common import (
    TABLE_IN,
    any_table,
    column_kind,
    column_values,
    flat_column,
    is_file_table,
    kind_text,
    log,
    map_table,
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

    table = any_table(inputs)
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
    # the random image changes of the kept columns go on with them
    augmentations = [a for a in table.augmentations if a.get("column") in keep]
    if is_file_table(table):  # a new recipe over the same file: nothing is read
        return {"table": table.select(keep).with_augmentations(augmentations)}
    return {"table": Table({n: table[n] for n in keep}, augmentations)}


COLUMN_FILTER = NodeSpec(
    type_id="data.ColumnFilter",
    display_name="Column Filter",
    category="Data/Manipulation",
    family="data",
    description=(
        "Keeps or removes columns by name, e.g. to separate the feature columns a network "
        "reads from the label column it learns. The kept columns stay in the table's order. "
        "Naming a column the table does not have is an error, so a renamed upstream column "
        "is noticed instead of silently dropped. A table backed by files stays on disk: "
        "nothing is read."
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

    table = any_table(inputs)
    column = flat_column(table, params)
    arr = column_values(table, column)  # only the tested column is read from a file-backed table
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
        "is compared exactly and in alphabetical order for < and >. On a table backed by files "
        "only the tested column is read; the rows stay on disk."
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


def _can_be_missing(table, name) -> bool:
    """Whether a column can hold missing values at all (an image column of a file-backed
    table is decoded pixels: uint8, never missing)."""
    return table.column_info(name)[0].kind in "fUSO"


def _streamed(table, names) -> list[str]:
    """The columns of ``names`` a streaming pass over a file-backed table has to read."""
    return [n for n in names if _can_be_missing(table, n) and not table.is_image(n)]


def _missing_counts(table, names) -> dict[str, int]:
    """Missing values per column; one streaming pass over a file-backed table."""
    if not is_file_table(table):
        return {n: int(missing_mask(table[n]).sum()) for n in names}
    counts = dict.fromkeys(names, 0)
    read = _streamed(table, names)
    for block in table.chunks(read) if read else ():
        for n in read:
            counts[n] += int(missing_mask(block[n]).sum())
    return counts


def _rows_missing_any(table, names):
    """Per row: True where any of ``names`` is missing (streamed for a file-backed table)."""
    import numpy as np

    if not is_file_table(table):
        drop = np.zeros(table.num_rows, dtype=bool)
        for n in names:
            drop |= missing_mask(table[n])
        return drop
    read = _streamed(table, names)
    parts = [np.logical_or.reduce([missing_mask(block[n]) for n in read]) for block in table.chunks(read)] \
        if read else []
    return np.concatenate(parts) if parts else np.zeros(table.num_rows, dtype=bool)


def _most_frequent(parts):
    """The commonest value from per-block ``np.unique(..., return_counts=True)`` results;
    ties go to the smallest value, as ``np.unique`` sorts."""
    import numpy as np

    values = np.concatenate([u for u, _ in parts])
    counts = np.concatenate([c for _, c in parts]).astype(np.int64)
    uniques, inverse = np.unique(values, return_inverse=True)
    totals = np.zeros(len(uniques), dtype=np.int64)
    np.add.at(totals, inverse.reshape(-1), counts)
    return uniques[np.argmax(totals)]


def _fill_value(method, table, column, params):
    """The value that fills ``column``'s missing cells; mean and most_frequent stream over
    the column block by block, median reads the one column whole."""
    import numpy as np

    from nodeflow.runtime.values import column_blocks

    dtype, shape = table.column_info(column)
    if method == "constant":
        text = params["value"]
        if dtype.kind == "U" and text == "":
            raise NodeRunError(f"value: expected a non-empty text to fill text column {column!r} with, got ''")
        if dtype.kind not in "fUO":
            raise NodeRunError(f"columns: expected columns that can hold missing values, column "
                               f"{column!r} holds {column_kind(table, column)}")
        if dtype.kind == "O":
            return text
        return parse_value(text, np.empty(0, dtype), column, purpose="fill")
    if shape:
        raise NodeRunError(f"columns: expected columns with one value per row for {method}, "
                           f"column {column!r} holds {column_kind(table, column)}")
    blocks = [column_values(table, column)] if method == "median" else column_blocks(table, column)
    total, count, uniques = 0.0, 0, []
    for arr in blocks:
        present = arr[~missing_mask(arr)]
        count += present.size
        if method == "mean":
            total += float(np.sum(present, dtype=np.float64))
        elif method == "median":
            median = float(np.median(present)) if present.size else None
        else:
            uniques.append(np.unique(present, return_counts=True))
    if count == 0:
        raise NodeRunError(f"columns: expected column {column!r} to have at least one value to compute "
                           f"the {method.replace('_', ' ')} from, got only missing values")
    if method == "mean":
        return total / count
    if method == "median":
        return median
    return _most_frequent(uniques)


def fill_missing(table, fills: dict):
    """An in-memory table (or a block of one) with the missing cells of each column of
    ``fills`` replaced by its value."""
    import numpy as np

    new = {}
    for n, fill in fills.items():
        arr = table[n]
        if arr.ndim > 1:  # constant into the NaN cells of an n-d column
            new[n] = np.where(np.isnan(arr), np.asarray(fill, dtype=arr.dtype), arr)
        else:
            new[n] = np.where(missing_mask(arr), fill, arr)
            if arr.dtype.kind == "f":
                new[n] = new[n].astype(arr.dtype, copy=False)
    return with_columns(table, new)


def missing_value(context, inputs, params):
    table = any_table(inputs)
    method = params["method"]
    names = params["columns"]
    require_columns(table, names, "columns")
    if not names:
        counts = _missing_counts(table, [n for n in table.column_names if _can_be_missing(table, n)])
        names = [n for n, count in counts.items() if count]
    else:
        counts = _missing_counts(table, names)
    if method in ("mean", "median"):
        for n in names:
            require_numeric(table, n, "columns", why=f"to compute a {method}")
    if method == "drop_rows":
        drop = _rows_missing_any(table, names)
        log(context, f"dropped {int(drop.sum())} of {table.num_rows} rows with missing values")
        return {"table": take_rows(table, ~drop)}
    fills = {}
    for n in names:
        if not counts[n]:
            continue
        fills[n] = _fill_value(method, table, n, params)
        log(context, f"column {n!r}: filled {counts[n]} missing values with {fills[n]!r}")
    if not fills:
        return {"table": table}
    return {"table": map_table(context, table, lambda block: fill_missing(block, fills))}


MISSING_VALUE = NodeSpec(
    type_id="data.MissingValue",
    display_name="Missing Value",
    category="Data/Manipulation",
    family="data",
    description=(
        "Handles missing values (NaN in numeric columns, empty text in text columns) before "
        "training, since a network cannot learn from NaN: drop the rows that have one, or fill "
        "them with a constant, the column's mean or median, or its most frequent value. The "
        "statistics are computed from the values present in this table. A table backed by "
        "files is streamed block by block; only the median reads its one column whole."
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
