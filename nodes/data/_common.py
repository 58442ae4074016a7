"""Helpers shared by the data and io nodes.

Like every module under ``nodes``, this one imports nothing heavy at import time:
NumPy and the runtime's :class:`Table` are imported inside the functions.  Error
messages follow one pattern: ``<parameter>: expected <what>, got <what was found>``.
"""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.ports import Port

TABLE_IN = Port("table", "table", "The table to work on.")


def names_text(names) -> str:
    return ", ".join(names) or "none"


def shape_text(arr) -> str:
    return "(rows" + "".join(f", {d}" for d in arr.shape[1:]) + ")"


def kind_text(arr) -> str:
    """What a column holds, in words: ``text``, ``integers``, ``an array of shape (rows, 8, 8, 1)``."""
    if arr.ndim > 1:
        return f"an array of shape {shape_text(arr)}"
    kinds = {"U": "text", "S": "bytes", "b": "true/false values", "i": "integers", "u": "integers",
             "f": "numbers", "M": "dates", "m": "durations", "O": "Python objects"}
    return kinds.get(arr.dtype.kind, str(arr.dtype))


def is_numeric(arr) -> bool:
    return arr.dtype.kind in "biuf"


def require_columns(table, names, param: str) -> None:
    """Every name in ``names`` is a column of ``table``."""
    missing = [n for n in names if n not in table]
    if missing:
        shown = ", ".join(repr(n) for n in missing)
        raise NodeRunError(
            f"{param}: expected existing columns, got {shown}; the table has: {names_text(table.column_names)}"
        )


def require_flat(table, name: str, param: str) -> None:
    """Checked from the column's type alone, so a file-backed table reads nothing."""
    if table.column_info(name)[1]:
        raise NodeRunError(
            f"{param}: expected a column with one value per row, column {name!r} holds "
            f"{column_kind(table, name)}"
        )


def require_numeric(table, name: str, param: str, why: str = "") -> None:
    if table.column_info(name)[0].kind not in "biuf":
        reason = f" ({why})" if why else ""
        raise NodeRunError(f"{param}: expected numeric columns{reason}, column {name!r} holds "
                           f"{column_kind(table, name)}")


def require_rows(table, port: str = "table") -> None:
    if table.num_rows == 0:
        raise NodeRunError(f"{port}: expected a table with at least one row, got an empty table")


def single_column(params, param: str) -> str:
    """The one column named by a column selection parameter that takes exactly one."""
    value = params[param]
    if not isinstance(value, list) or len(value) != 1:
        raise NodeRunError(f"{param}: expected exactly one column, got {value!r}")
    return value[0]


def flat_column(table, params, param: str = "column") -> str:
    """The one column a parameter names, checked to exist in ``table`` and hold scalars."""
    column = single_column(params, param)
    require_columns(table, [column], param)
    require_flat(table, column, param)
    return column


def input_table(inputs, port: str = "table"):
    """The table on ``port``, in memory: a file-backed table is loaded whole, after a check
    that it fits (a node that streams uses :func:`any_table` instead)."""
    from nodeflow.runtime.file_table import FileTable

    value = any_table(inputs, port)
    if isinstance(value, FileTable):
        return value.materialize(port)
    return value


def any_table(inputs, port: str = "table"):
    """The table on ``port`` as it came: a Table in memory or a file-backed FileTable."""
    from nodeflow.runtime.file_table import FileTable
    from nodeflow.runtime.table import Table

    value = inputs.get(port)
    if not isinstance(value, (Table, FileTable)):
        found = "nothing" if value is None else type(value).__name__
        raise NodeRunError(f"{port}: expected a table on the input port, got {found}")
    return value


def is_file_table(table) -> bool:
    from nodeflow.runtime.file_table import FileTable

    return isinstance(table, FileTable)


def map_table(context, table, function, port: str = "table"):
    """``function`` (in-memory table -> table with the same rows) applied to ``table``: at
    once in memory, block by block into a new file for a file-backed table."""
    if is_file_table(table):
        return table.map_chunks(function, context.table_file(port), context)
    return function(table)


def column_values(table, name: str):
    """One column of either kind of table, in memory (a file-backed one reads that column)."""
    return table.column(name) if is_file_table(table) else table[name]


def column_kind(table, name: str) -> str:
    """:func:`kind_text` from the column's type alone (nothing is read)."""
    import numpy as np

    dtype, shape = table.column_info(name)
    return kind_text(np.empty((0, *shape), dtype=dtype))


def missing_mask(arr):
    """Per row: True where the value is missing (NaN in numbers, empty text in text columns).

    For an n-d column a row counts as missing when any of its values is NaN.  Integer and
    boolean columns cannot hold missing values.
    """
    import numpy as np

    if arr.dtype.kind == "f":
        mask = np.isnan(arr)
    elif arr.dtype.kind in "US":
        mask = arr == arr.dtype.type()
    elif arr.dtype.kind == "O":
        mask = np.frompyfunc(lambda v: v is None or v == "" or v != v, 1, 1)(arr).astype(bool)
    else:
        return np.zeros(arr.shape[0], dtype=bool)
    return mask.reshape(arr.shape[0], -1).any(axis=1) if arr.ndim > 1 else mask


def take_rows(table, index):
    """A new table with the rows ``index`` (a boolean mask or increasing row numbers); a
    file-backed table gives a new recipe over the same file (nothing is copied)."""
    from nodeflow.runtime.table import Table

    if is_file_table(table):
        return table.take(index)
    return Table({name: arr[index] for name, arr in table.items()}, table.augmentations)


def with_columns(table, new: dict, drop=()):
    """``table`` with columns replaced in place (same name) or appended (new names)."""
    from nodeflow.runtime.table import Table

    out = {name: arr for name, arr in table.items() if name not in drop}
    out.update(new)
    return Table(out, table.augmentations)


def resolve_path(context, value: str) -> str:
    """A file parameter as a path: relative paths refer to the workflow's folder."""
    return context.resolve_path(value) if context is not None else value


def seed_of(context, seed):
    """The seed to use: the node's own, else the run's, else None (fresh randomness)."""
    if seed is not None:
        return seed
    return getattr(context, "seed", None)


def check_cancelled(context) -> None:
    if context is not None:
        context.check_cancelled()


def log(context, message: str) -> None:
    if context is not None:
        context.log(message)


def warn(context, message: str) -> None:
    if context is not None:
        context.warn(message)
