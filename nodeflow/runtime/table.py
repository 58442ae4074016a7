"""The value that travels on ``table`` ports.

A table is rows x named columns; each column is a NumPy array whose first axis is
the rows, so an image column is one ``(rows, h, w, c)`` array and a text column a
NumPy string array, never a Python object per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np


class Table(Mapping[str, np.ndarray]):
    """An immutable, ordered mapping of column name -> array with equal row counts.

    ``augmentations`` are random image changes (``{"op": ..., "column": ..., ...}`` dicts,
    see :mod:`nodeflow.runtime.augment`) that the learner applies per batch while
    training; they travel with the table, the arrays stay unchanged."""

    def __init__(self, columns: Mapping[str, np.ndarray], augmentations: tuple = ()):
        cols = {str(name): np.asarray(values) for name, values in columns.items()}
        lengths = {name: (arr.shape[0] if arr.ndim else None) for name, arr in cols.items()}
        if any(n is None for n in lengths.values()):
            scalars = [name for name, n in lengths.items() if n is None]
            raise ValueError(f"columns {', '.join(scalars)}: expected arrays with a row axis, got scalars")
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{name}: {n}" for name, n in lengths.items())
            raise ValueError(f"expected columns of equal length, got {detail}")
        for arr in cols.values():
            arr.setflags(write=False)
        self._columns = cols
        self._rows = next(iter(lengths.values()), 0)
        self.augmentations = tuple(augmentations)

    def with_augmentations(self, augmentations) -> "Table":
        """This table (same arrays, no copy) with ``augmentations`` instead of its own."""
        return Table(self._columns, augmentations)

    def column_info(self, name: str) -> tuple[np.dtype, tuple[int, ...]]:
        """``(dtype, shape of one row)`` of a column, e.g. ``(uint8, (64, 64, 3))``."""
        arr = self[name]
        return arr.dtype, tuple(arr.shape[1:])

    @property
    def num_rows(self) -> int:
        return self._rows

    @property
    def column_names(self) -> list[str]:
        return list(self._columns)

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self._columns[name]
        except KeyError:
            known = ", ".join(self._columns) or "none"
            raise KeyError(f"no column {name!r}; the table has: {known}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __repr__(self) -> str:
        cols = ", ".join(f"{n}: {a.dtype}{list(a.shape[1:]) or ''}" for n, a in self._columns.items())
        return f"Table({self._rows} rows; {cols})"

    @classmethod
    def from_arrow(cls, table) -> "Table":
        """From a ``pyarrow.Table``: numbers become numeric arrays (nulls -> NaN),
        text becomes a NumPy string array (nulls -> empty string)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        columns = {}
        for name, column in zip(table.column_names, table.columns):
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                column = pc.fill_null(column, "")
                columns[name] = np.asarray(column.to_pylist(), dtype=str)
            elif pa.types.is_integer(column.type) and column.null_count:
                columns[name] = column.to_numpy(zero_copy_only=False).astype(np.float64)
            elif pa.types.is_boolean(column.type) and not column.null_count:
                columns[name] = column.to_numpy(zero_copy_only=False).astype(bool)
            else:
                columns[name] = column.to_numpy(zero_copy_only=False)
        return cls(columns)
