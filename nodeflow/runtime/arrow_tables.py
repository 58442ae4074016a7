"""Tables as Arrow IPC files: the run folder's memory-mappable columnar format.

A column with one value per row is an Arrow column of its type; a column holding an
array per row (images, sequences) is a fixed-size list of the flattened values with
the row shape in the field's metadata, so reading it back is a zero-copy reshape of
the memory-mapped file.  Text is Arrow ``string``; the table's augmentations travel in
the schema metadata.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from .table import Table

SHAPE_KEY = b"nodeflow.shape"
TABLE_KEY = b"nodeflow.table"


def arrow_field_array(name: str, arr: np.ndarray) -> tuple[pa.Field, pa.Array]:
    """One NumPy column as an Arrow field and array (see the module docstring)."""
    import numpy as np
    import pyarrow as pa

    if arr.ndim > 1:
        flat = np.ascontiguousarray(arr).reshape(-1)
        width = int(np.prod(arr.shape[1:], dtype=np.int64))
        values = pa.array(flat) if arr.dtype.kind != "U" else pa.array(flat.tolist(), pa.string())
        array = pa.FixedSizeListArray.from_arrays(values, width)
        meta = {SHAPE_KEY: json.dumps(list(arr.shape[1:])).encode()}
        return pa.field(name, array.type, metadata=meta), array
    if arr.dtype.kind == "U":
        array = pa.array(arr, pa.string())
    elif arr.dtype.kind == "O":
        array = pa.array([None if v is None else str(v) for v in arr], pa.string())
    else:
        array = pa.array(arr)
    return pa.field(name, array.type), array


def record_batch(columns: dict[str, np.ndarray], metadata: dict | None = None) -> pa.RecordBatch:
    import pyarrow as pa

    fields, arrays = [], []
    for name, arr in columns.items():
        field, array = arrow_field_array(name, arr)
        fields.append(field)
        arrays.append(array)
    meta = {TABLE_KEY: json.dumps(metadata).encode()} if metadata else None
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields, metadata=meta))


def row_shape(field: pa.Field) -> tuple[int, ...]:
    meta = field.metadata or {}
    return tuple(json.loads(meta[SHAPE_KEY])) if SHAPE_KEY in meta else ()


def numpy_dtype(field: pa.Field) -> np.dtype:
    """The NumPy dtype a field's values become (text: ``<U0``, the width is per batch)."""
    import numpy as np
    import pyarrow as pa

    kind = field.type.value_type if pa.types.is_fixed_size_list(field.type) else field.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return np.dtype(str)
    return np.dtype(kind.to_pandas_dtype())


def column_to_numpy(field: pa.Field, column) -> np.ndarray:
    """An Arrow array or chunked array of ``field`` as the NumPy column it was written from."""
    import numpy as np
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    shape = row_shape(field)
    if pa.types.is_fixed_size_list(column.type):
        values = column.flatten() if column.offset else column.values
        flat = _flat_numpy(values)
        return flat.reshape((len(column), *shape))
    return _flat_numpy(column)


def _flat_numpy(array) -> np.ndarray:
    import numpy as np
    import pyarrow as pa

    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return np.asarray(array.fill_null("").to_numpy(zero_copy_only=False), dtype=str)
    if array.null_count and (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)):
        return array.cast(pa.float64()).fill_null(float("nan")).to_numpy(zero_copy_only=False)
    return array.to_numpy(zero_copy_only=False)


def table_metadata(schema: pa.Schema) -> dict:
    meta = schema.metadata or {}
    return json.loads(meta[TABLE_KEY]) if TABLE_KEY in meta else {}


def write_table(table: Table, path: Path) -> None:
    """Write ``table`` as one record batch to an Arrow IPC file, atomically."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    meta = {"augmentations": list(table.augmentations), "rows": table.num_rows}
    batch = record_batch(dict(table), meta)
    tmp = path.with_name(f".{path.name}.tmp")
    with pa.OSFile(str(tmp), "wb") as sink, ipc.new_file(sink, batch.schema) as writer:
        writer.write_batch(batch)
    os.replace(tmp, path)


def read_table(path: Path) -> Table:
    """An IPC file as a Table whose numeric arrays are views of the memory-mapped file."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    from .table import Table

    reader = ipc.open_file(pa.memory_map(str(path), "r"))
    data = reader.read_all()
    meta = table_metadata(reader.schema)
    columns = {field.name: column_to_numpy(field, data.column(i))
               for i, field in enumerate(reader.schema)}
    if not columns:
        return Table({}, meta.get("augmentations", ()))
    return Table(columns, meta.get("augmentations", ()))


def stored_columns(path: Path) -> list[str] | None:
    """Column names of a stored IPC table, from its schema alone (None if unreadable)."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        with pa.memory_map(str(path), "r") as source:
            schema = ipc.open_file(source).schema
    except (OSError, pa.ArrowInvalid):
        return None
    hidden = set(table_metadata(schema).get("hidden", []))
    return [name for name in schema.names if name not in hidden]
