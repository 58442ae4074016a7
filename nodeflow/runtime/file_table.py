"""File-backed tables: rows that stay on disk until a node consumes them.

A :class:`FileTable` is a recipe, not a copy: an Arrow IPC file (written once, by the
reader or by a transform that computes new columns), an optional selection of its rows
(kept sorted, so reading stays sequential), the visible columns, and image columns that
are decoded from files only when rows are consumed (:mod:`nodeflow.runtime.images`).

- Row Filter, Partitioning and Column Filter make new recipes over the same file: no
  data is read except the column a test looks at.
- A transform that computes columns streams the rows block by block through the same
  function it applies to an in-memory table (:meth:`FileTable.map_chunks`).
- The learner and the executor read blocks (:meth:`FileTable.chunks`) into ``tf.data``.
- A node that needs everything at once calls :meth:`FileTable.materialize`, which checks
  the size against the memory there is first (:func:`nodeflow.runtime.memory.require_fits`).

Blocks are read with ordinary file reads, not a memory map, so the pages of a large
file never count as the process's memory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from nodeflow.core.errors import NodeRunError

from .arrow_tables import column_to_numpy, numpy_dtype, record_batch, row_shape, table_metadata
from .images import ImageColumn, decode_images
from .memory import require_fits

if TYPE_CHECKING:
    import numpy as np

    from .table import Table

FORMAT = "nodeflow.file_table"
VERSION = 1
HIDDEN_PREFIX = "__source__:"
CHUNK_ROWS = 65_536
_KEEP = object()


def file_stamp(path: str | os.PathLike) -> list:
    """The file's stamp (:func:`nodeflow.runtime.fingerprint.stamp`): a cached recipe is only
    valid while it holds.  OSError when the file is gone."""
    from .fingerprint import stamp

    found = stamp(os.fspath(path))
    if found[0] is None:
        raise FileNotFoundError(path)
    return found


class FileTable:
    """A table whose rows live in an Arrow IPC file (see the module docstring)."""

    def __init__(self, path: str | os.PathLike, columns: list[str] | None = None, rows=None,
                 images: dict[str, ImageColumn] | None = None, augmentations=None):
        import numpy as np
        import pyarrow as pa
        import pyarrow.ipc as ipc

        self.path = Path(path)
        with pa.memory_map(str(self.path), "r") as source:  # metadata only: no data page is read
            reader = ipc.open_file(source)
            schema = reader.schema
            counts, sizes = [], {name: 0 for name in schema.names}
            for i in range(reader.num_record_batches):
                batch = reader.get_batch(i)
                counts.append(batch.num_rows)
                for name, column in zip(schema.names, batch.columns):
                    sizes[name] += column.get_total_buffer_size()
        meta = table_metadata(schema)
        self._fields = {field.name: field for field in schema}
        self._offsets = np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))
        self._file_bytes = sizes
        if images is None:
            images = {name: ImageColumn.from_json(spec) for name, spec in meta.get("images", {}).items()}
        self.images = dict(images)
        hidden = set(meta.get("hidden", [])) | {img.source for img in self.images.values()}
        default = meta.get("columns") or [n for n in schema.names if n not in hidden]
        self._columns = list(columns) if columns is not None else list(default)
        self.images = {name: img for name, img in self.images.items() if name in self._columns}
        unknown = [c for c in self._columns if c not in self._fields and c not in self.images]
        if unknown:
            raise ValueError(f"{self.path}: no column {', '.join(unknown)}")
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        if augmentations is None:
            augmentations = meta.get("augmentations", ())
        self.augmentations = tuple(augmentations)

    # -- what it holds -----------------------------------------------------------------
    @property
    def total_rows(self) -> int:
        """Rows in the file, before any selection."""
        return int(self._offsets[-1])

    @property
    def num_rows(self) -> int:
        return self.total_rows if self.rows is None else len(self.rows)

    @property
    def column_names(self) -> list[str]:
        return list(self._columns)

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def __len__(self) -> int:
        return len(self._columns)

    def __iter__(self):
        return iter(self._columns)

    def is_image(self, name: str) -> bool:
        return name in self.images

    def column_info(self, name: str) -> tuple[np.dtype, tuple[int, ...]]:
        """``(dtype, shape of one row)`` without reading the column."""
        import numpy as np

        self._check([name])
        if name in self.images:
            return np.dtype(np.uint8), self.images[name].row_shape
        field = self._fields[name]
        return numpy_dtype(field), row_shape(field)

    def column_nbytes(self, name: str) -> int:
        """About how many bytes the column takes in memory for the selected rows."""
        import numpy as np

        dtype, shape = self.column_info(name)
        if name in self.images or dtype.kind != "U":
            return int(self.num_rows * dtype.itemsize * int(np.prod(shape, dtype=np.int64)))
        share = self.num_rows / max(1, self.total_rows)
        return int(self._file_bytes[name] * share * 4)  # NumPy text takes 4 bytes a character

    @property
    def nbytes(self) -> int:
        return sum(self.column_nbytes(name) for name in self._columns)

    def sources(self) -> list[str]:
        """The stored columns that hold what ``names`` need (an image column: its paths)."""
        return [self.images[n].source if n in self.images else n for n in self._columns]

    def __repr__(self) -> str:
        return f"FileTable({self.num_rows} rows from {self.path.name}; {', '.join(self._columns)})"

    def _check(self, names) -> None:
        missing = [n for n in names if n not in self._columns]
        if missing:
            known = ", ".join(self._columns) or "none"
            raise KeyError(f"no column {missing[0]!r}; the table has: {known}")

    # -- new recipes over the same file ---------------------------------------------------
    def _derive(self, columns=_KEEP, rows=_KEEP, augmentations=_KEEP) -> "FileTable":
        clone = object.__new__(FileTable)
        clone.__dict__.update(self.__dict__)
        if columns is not _KEEP:
            clone._columns = list(columns)
            clone.images = {n: img for n, img in self.images.items() if n in clone._columns}
        if rows is not _KEEP:
            clone.rows = rows
        if augmentations is not _KEEP:
            clone.augmentations = tuple(augmentations)
        return clone

    def select(self, names: list[str]) -> "FileTable":
        """Only these columns, in this order (nothing is read)."""
        self._check(names)
        return self._derive(columns=names)

    def take(self, index) -> "FileTable":
        """The rows ``index`` picks (a boolean mask or increasing row numbers); nothing is read."""
        import numpy as np

        index = np.asarray(index)
        if index.dtype == bool:
            if len(index) != self.num_rows:
                raise ValueError(f"mask of {len(index)} rows for a table of {self.num_rows}")
            index = np.flatnonzero(index)
        index = index.astype(np.int64, copy=False)
        if len(index) > 1 and np.any(np.diff(index) <= 0):
            raise ValueError("row numbers must increase")
        return self._derive(rows=index if self.rows is None else self.rows[index])

    def with_augmentations(self, augmentations) -> "FileTable":
        return self._derive(augmentations=augmentations)

    # -- reading ------------------------------------------------------------------------
    def _pieces(self, chunk_rows: int):
        """``(batch number, local row numbers or None for all, rows)`` in file order."""
        import numpy as np

        for i in range(len(self._offsets) - 1):
            start, stop = int(self._offsets[i]), int(self._offsets[i + 1])
            if self.rows is None:
                local = None
                count = stop - start
            else:
                lo, hi = np.searchsorted(self.rows, [start, stop])
                if lo == hi:
                    continue
                local = self.rows[lo:hi] - start
                count = len(local)
            for first in range(0, count, chunk_rows):
                part = slice(first, min(first + chunk_rows, count))
                if local is None:
                    yield i, np.arange(part.start, part.stop) if count > chunk_rows else None, part.stop - part.start
                else:
                    yield i, local[part], part.stop - part.start

    def chunks(self, names: list[str] | None = None, chunk_rows: int = CHUNK_ROWS,
               rng=None, mix: int = 1) -> Iterator[dict[str, np.ndarray]]:
        """The selected rows in blocks: dicts of NumPy columns for ``names``.

        ``names`` may be visible stored columns or an image column's hidden source (the
        paths); image columns themselves are decoded by the consumer.  With ``rng`` (a
        NumPy Generator) the blocks come in random order, ``mix`` blocks at a time merged
        and their rows shuffled: a bounded shuffle that never holds more than ``mix``
        blocks."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.ipc as ipc

        names = list(self._columns) if names is None else list(names)
        stored = [n for n in names if n in self._fields]
        if len(stored) != len(names):
            raise KeyError(f"not stored columns: {[n for n in names if n not in self._fields]}")
        pieces = list(self._pieces(chunk_rows))
        if rng is not None:
            pieces = [pieces[i] for i in rng.permutation(len(pieces))]
        with pa.OSFile(str(self.path), "rb") as handle:
            reader = ipc.open_file(handle)
            pending: list[dict] = []
            for number, (batch_no, local, _count) in enumerate(pieces):
                batch = reader.get_batch(batch_no)
                block = {}
                for name in stored:
                    column = batch.column(batch.schema.get_field_index(name))
                    if local is not None:
                        column = column.take(pa.array(local))
                    block[name] = column_to_numpy(self._fields[name], column)
                del batch
                if rng is None:
                    yield block
                    continue
                pending.append(block)
                if len(pending) >= mix or number == len(pieces) - 1:
                    merged = {n: np.concatenate([b[n] for b in pending]) for n in stored}
                    order = rng.permutation(len(merged[stored[0]])) if stored else None
                    pending = []
                    yield {n: a[order] for n, a in merged.items()} if order is not None else merged

    def column(self, name: str, port: str = "table") -> np.ndarray:
        """One column of every selected row, in memory (images are decoded: checked to fit)."""
        self._check([name])
        if name in self.images:
            require_fits(self.column_nbytes(name), f"{self.num_rows:,} rows of column {name!r}", port)
            return decode_images(self.images[name], self.column_source(name))
        return self.column_source(name)

    def column_source(self, name: str) -> np.ndarray:
        """The stored values of a column for every selected row: an image column's paths,
        any other column itself."""
        import numpy as np

        source = self.images[name].source if name in self.images else name
        parts = [block[source] for block in self.chunks([source])]
        if len(parts) > 1:
            return np.concatenate(parts)
        if parts:
            return parts[0]
        field = self._fields[source]
        return np.empty((0, *row_shape(field)), dtype=numpy_dtype(field))

    def materialize(self, port: str = "table") -> Table:
        """Every selected row in memory, after checking that it fits."""
        from .table import Table

        require_fits(self.nbytes, f"{self.num_rows:,} rows ({', '.join(self._columns)})", port)
        return Table({name: self.column(name, port) for name in self._columns}, self.augmentations)

    def page(self, start: int, count: int) -> Table:
        """Rows ``start .. start+count`` (images decoded with Pillow): for the editor's views."""
        import numpy as np

        from .images import decode_with_pillow
        from .table import Table

        stop = min(self.num_rows, start + count)
        part = self._derive(rows=(np.arange(start, stop) if self.rows is None else self.rows[start:stop]))
        blocks = list(part.chunks(part.sources()))
        out = {}
        for name, source in zip(self._columns, part.sources()):
            values = np.concatenate([b[source] for b in blocks]) if blocks else \
                np.empty((0, *self.column_info(name)[1]), self.column_info(name)[0])
            out[name] = decode_with_pillow(self.images[name], values) if name in self.images else values
        return Table(out, self.augmentations)

    def map_chunks(self, function: Callable[[Table], Table], path: Path,
                   context=None) -> "FileTable":
        """A new file: ``function`` applied block by block to the stored visible columns.

        ``function`` must keep the rows (it adds, replaces or drops columns); image columns
        and their paths are carried along unchanged."""
        from .table import Table

        stored = [n for n in self._columns if n not in self.images]
        hidden = [img.source for img in self.images.values()]
        writer = FileTableWriter(path, self.images, self.augmentations)

        def order_of(out) -> list[str]:
            kept = [n for n in self._columns if n in out or n in self.images]
            return kept + [n for n in out.column_names if n not in self._columns]

        try:
            wrote = False
            for block in self.chunks(stored + hidden):
                if context is not None:
                    context.check_cancelled()
                out = function(Table({n: block[n] for n in stored}))
                rows = len(next(iter(block.values()))) if block else 0
                if out.num_rows != rows:
                    raise RuntimeError("map_chunks: the function changed the number of rows")
                writer.append({**dict(out), **{h: block[h] for h in hidden}}, order_of(out))
                wrote = True
            if not wrote:  # no rows: learn the columns from an empty block
                out = function(Table({n: _empty(self, n) for n in stored}))
                writer.append({**dict(out), **{h: _empty_text() for h in hidden}}, order_of(out))
        except BaseException:
            writer.abort()
            raise
        return writer.close()

    # -- storage --------------------------------------------------------------------------
    def to_recipe(self, rows_file: str | None) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "file": str(self.path),
            "stamp": file_stamp(self.path),
            "columns": self._columns,
            "rows": rows_file,
            "images": {name: img.to_json() for name, img in self.images.items()},
            "augmentations": list(self.augmentations),
        }

    @classmethod
    def from_recipe(cls, recipe: dict, folder: Path) -> "FileTable":
        """Load a stored recipe; a ValueError when its file changed or went away."""
        import numpy as np

        if recipe.get("format") != FORMAT or recipe.get("version") != VERSION:
            raise ValueError("not a file table recipe of this version")
        path = Path(recipe["file"])
        try:
            stamp = file_stamp(path)
        except OSError:
            raise ValueError(f"{path} is gone") from None
        if stamp != recipe["stamp"]:
            raise ValueError(f"{path} changed")
        rows = np.load(folder / recipe["rows"], mmap_mode="r") if recipe.get("rows") else None
        images = {n: ImageColumn.from_json(s) for n, s in recipe.get("images", {}).items()}
        return cls(path, recipe["columns"], rows, images or None, recipe.get("augmentations", ()))


def _empty(table: FileTable, name: str):
    import numpy as np

    dtype, shape = table.column_info(name)
    return np.empty((0, *shape), dtype=dtype)


def _empty_text():
    import numpy as np

    return np.empty(0, dtype=str)


class FileTableWriter:
    """Writes blocks of columns to a new IPC file as they come; :meth:`close` gives the
    FileTable.  ``images`` are the image columns the rows carry (their hidden path
    columns are among the blocks' columns)."""

    def __init__(self, path: Path, images: dict[str, ImageColumn] | None = None, augmentations=()):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.name}.tmp")
        self.images = dict(images or {})
        self.augmentations = tuple(augmentations)
        self._schema = None
        self._sink = None
        self._writer = None

    def append(self, columns: dict[str, np.ndarray], order: list[str] | None = None) -> None:
        """Write a block. The first block fixes the types and the visible column ``order``
        (default: its columns, image columns where their paths are)."""
        import pyarrow as pa
        import pyarrow.ipc as ipc

        batch = record_batch(columns)
        if self._writer is None:
            hidden = {img.source: name for name, img in self.images.items()}
            if order is None:
                order = [hidden.get(n, n) for n in batch.schema.names]
            meta = {"columns": list(order), "images": {n: i.to_json() for n, i in self.images.items()},
                    "hidden": sorted(hidden), "augmentations": list(self.augmentations)}
            self._schema = batch.schema.with_metadata({b"nodeflow.table": json.dumps(meta).encode()})
            self._sink = pa.OSFile(str(self._tmp), "wb")
            self._writer = ipc.new_file(self._sink, self._schema)
        batch = _conform(batch, self._schema)
        self._writer.write_batch(batch)

    def close(self) -> FileTable:
        if self._writer is None:
            raise RuntimeError("FileTableWriter: nothing was written (append an empty block)")
        self._writer.close()
        self._sink.close()
        os.replace(self._tmp, self.path)
        return FileTable(self.path)

    def abort(self) -> None:
        if self._writer is not None:
            self._sink.close()
        Path(self._tmp).unlink(missing_ok=True)


def _conform(batch, schema):
    """A block as ``schema`` (its metadata; compatible types such as int -> float)."""
    import pyarrow as pa

    if batch.schema.remove_metadata() == schema.remove_metadata():
        return pa.RecordBatch.from_arrays(batch.columns, schema=schema)
    if batch.schema.names != schema.names:
        raise NodeRunError(f"a block has columns {batch.schema.names}, expected {schema.names}")
    try:
        return pa.Table.from_batches([batch]).cast(schema).to_batches()[0] if batch.num_rows else \
            pa.RecordBatch.from_pylist([], schema=schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise NodeRunError(f"a block of rows has other column types than the first: {exc}") from None
