"""Table readers: CSV, Parquet and folders of images."""

from __future__ import annotations

import codecs
import os
import stat

from nodeflow.core.errors import NodeRunError, abbreviate
from nodeflow.core.params import (
    BoolParam,
    ChoiceParam,
    ColumnsParam,
    FileParam,
    IntParam,
    ShapeParam,
    TextListParam,
    TextParam,
)
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

from ._common import check_cancelled, log, names_text, resolve_path, warn

TABLE_OUT = Port("table", "table", "The rows and columns read from the file.")

COLUMN_TYPES = ("int", "float", "string", "bool")
TRUE_TEXTS = ["true", "1", "yes", "y", "t"]
FALSE_TEXTS = ["false", "0", "no", "n", "f"]


# -- Arrow -> Table ---------------------------------------------------------------------
def _arrow_column(name, column, context):
    """One Arrow column as a NumPy array a Table can hold, or as an Arrow column of a type
    :meth:`Table.from_arrow` converts itself; a NodeRunError for types a table cannot hold."""
    import numpy as np
    import pyarrow as pa

    kind = column.type
    if pa.types.is_dictionary(kind):  # e.g. a pandas "category" column
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_decimal(kind):  # e.g. money columns from a database
        column = column.cast(pa.float64())
        kind = column.type
    if getattr(pa.types, "is_string_view", lambda t: False)(kind):
        column = column.cast(pa.string())
        kind = column.type
    if pa.types.is_boolean(kind) and column.null_count:
        warn(context, f"column {name!r}: {column.null_count} missing true/false values; "
                      "the column is read as numbers 1.0 / 0.0 with NaN for missing")
        return column.cast(pa.float64()).to_numpy(zero_copy_only=False)
    if pa.types.is_fixed_size_list(kind):  # a tensor per row: becomes an n-d column
        array = column.combine_chunks()
        shape = [len(array)]
        while pa.types.is_fixed_size_list(array.type):
            if array.null_count:
                raise NodeRunError(f"path: column {name!r} has missing arrays; expected one array per row")
            shape.append(array.type.list_size)
            array = array.flatten()
        return array.to_numpy(zero_copy_only=False).reshape(shape)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind) \
            or pa.types.is_floating(kind) or pa.types.is_boolean(kind) or pa.types.is_temporal(kind):
        return column  # Table.from_arrow converts these
    if pa.types.is_null(kind):  # a column with no value at all
        return np.full(len(column), np.nan)
    raise NodeRunError(
        f"path: column {name!r} has type {kind}, which a table cannot hold "
        "(expected numbers, text, true/false, dates or fixed-size arrays); leave it out with "
        "the columns parameter"
    )


def arrow_to_table(arrow_table, context=None):
    """A ``pyarrow.Table`` as a NodeFlow table (see :meth:`Table.from_arrow` for the rules)."""
    import pyarrow as pa

    from nodeflow.runtime.table import Table

    special = {}
    plain = {}
    for name, column in zip(arrow_table.column_names, arrow_table.columns):
        converted = _arrow_column(name, column, context)
        if isinstance(converted, (pa.Array, pa.ChunkedArray)):
            plain[name] = converted
        else:
            special[name] = converted
    base = Table.from_arrow(pa.table(plain)) if plain else {}
    return Table({name: special[name] if name in special else base[name]
                  for name in arrow_table.column_names})


# -- CSV Reader -------------------------------------------------------------------------
def parse_column_types(entries):
    """``["age=int", "zip=string"]`` -> ``{"age": "int", "zip": "string"}``."""
    types = {}
    for entry in entries:
        name, sep, kind = entry.rpartition("=")
        name, kind = name.strip(), kind.strip().lower()
        if not sep or not name or kind not in COLUMN_TYPES:
            raise NodeRunError(
                f"column_types: expected entries like 'age=int' with a type among "
                f"{', '.join(COLUMN_TYPES)}, got {entry!r}"
            )
        if name in types:
            raise NodeRunError(f"column_types: expected each column once, got {name!r} twice")
        types[name] = kind
    return types


def _cast_text_column(name, column, kind, context):
    """Convert a column read as text to ``kind``; errors name the column and the bad cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "string":
        return column
    text = pc.utf8_trim_whitespace(column)
    if kind == "bool":
        lower = pc.utf8_lower(text)
        is_true = pc.is_in(lower, value_set=pa.array(TRUE_TEXTS))
        is_false = pc.is_in(lower, value_set=pa.array(FALSE_TEXTS))
        bad = pc.and_(pc.invert(pc.or_(is_true, is_false)), pc.is_valid(lower))
        if pc.any(bad).as_py():
            first = pc.filter(column, bad)[0].as_py()
            raise NodeRunError(
                f"column_types: expected true/false values in column {name!r} "
                f"({', '.join(TRUE_TEXTS)} / {', '.join(FALSE_TEXTS)}), got {first!r}"
            )
        return pc.if_else(pc.is_valid(lower), is_true, pa.scalar(None, pa.bool_()))
    target = pa.int64() if kind == "int" else pa.float64()
    try:
        converted = text.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        detail = str(exc).split("\n")[0]
        raise NodeRunError(
            f"column_types: expected {'integers' if kind == 'int' else 'numbers'} in column {name!r}, "
            f"but a cell is not one: {detail}"
        ) from None
    if kind == "int" and converted.null_count:
        warn(context, f"column {name!r}: {converted.null_count} missing values; an integer column cannot "
                      "hold them, so it is read as numbers with NaN for missing")
    return converted


_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def require_regular_file(path: str, kind: str) -> None:
    """Refuse what is not a plain file: reading a named pipe or a device blocks forever
    (or never ends) and cannot be cancelled, so it is refused before it is opened."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # the reader reports the missing or unreadable file in its own words
    for test, name in _SPECIAL_FILES:
        if test(mode):
            raise NodeRunError(f"path: expected a regular {kind} file, got {path} which is {name}")


_SNIFF_BYTES = 64 * 1024


def check_encoding(path: str, encoding: str) -> None:
    """Say which parameter to change when the file's start is not text in ``encoding``.

    UTF-16 files (a byte order mark, or NUL bytes between ASCII letters) would otherwise
    read as one column of garbage, and other encodings fail deep inside the reader
    with a bare ``UnicodeDecodeError``."""
    try:
        with open(path, "rb") as file:
            head = file.read(_SNIFF_BYTES)
    except OSError:
        return
    wide = encoding.lower().replace("-", "").replace("_", "").startswith(("utf16", "utf32"))
    if not wide and (head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head):
        raise NodeRunError(
            f"encoding: {path} looks like UTF-16 (it has a byte order mark or NUL bytes), "
            f"not {encoding}; set encoding to utf-16")
    try:
        codecs.getincrementaldecoder(encoding)().decode(head, final=len(head) < _SNIFF_BYTES)
    except LookupError:
        raise NodeRunError(f"encoding: expected a known text encoding such as utf-8 or latin-1, "
                           f"got {abbreviate(encoding)}") from None
    except UnicodeDecodeError as exc:
        raise NodeRunError(_encoding_message(path, encoding, exc)) from None


def _encoding_message(path: str, encoding: str, exc: UnicodeDecodeError) -> str:
    return (f"encoding: {path} is not {encoding} text (byte 0x{exc.object[exc.start]:02x} at "
            f"position {exc.start}); set encoding to the file's encoding, e.g. latin-1 or cp1252")


def read_csv(context, inputs, params):
    """Read a delimited text file with pyarrow's multi-threaded CSV reader."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = resolve_path(context, params["path"])
    require_regular_file(path, "CSV")
    check_encoding(path, params["encoding"])
    types = parse_column_types(params["column_types"])
    read = pacsv.ReadOptions(
        encoding=params["encoding"],
        skip_rows=params["skip_rows"],
        autogenerate_column_names=not params["has_header"],
    )
    parse = pacsv.ParseOptions(delimiter=params["delimiter"])
    convert = pacsv.ConvertOptions(
        null_values=params["missing_values"],
        strings_can_be_null=True,
        # read the typed columns as text first, then convert them one by one, so that a
        # bad cell is reported with its column's name
        column_types={name: pa.string() for name in types},
    )
    large = _large(path)
    if large:  # pyarrow's streaming reader: block by block, never the whole file
        read.block_size = 16 << 20
    try:
        source = (pacsv.open_csv if large else pacsv.read_csv)(
            path, read_options=read, parse_options=parse, convert_options=convert)
    except FileNotFoundError:
        raise NodeRunError(f"path: expected an existing CSV file, got {path} which does not exist") from None
    except UnicodeDecodeError as exc:
        raise NodeRunError(_encoding_message(path, params["encoding"], exc)) from None
    except (pa.ArrowInvalid, LookupError, OSError) as exc:
        raise NodeRunError(f"path: cannot read {path} as CSV: {exc}") from None
    unknown = [name for name in types if name not in source.schema.names]
    if unknown:
        raise NodeRunError(
            f"column_types: expected columns of the file, got {', '.join(map(repr, unknown))}; "
            f"the file has: {names_text(source.schema.names)}"
        )
    try:
        if large:
            return {"table": _stream_csv(context, path, source, types)}
        return {"table": arrow_to_table(_apply_types(source, types, context), context)}
    except UnicodeDecodeError as exc:  # text cells are decoded only now
        raise NodeRunError(_encoding_message(path, params["encoding"], exc)) from None


def _apply_types(arrow_table, types, context):
    """``arrow_table`` with the forced column types applied (the columns were read as text)."""
    for name, kind in types.items():
        index = arrow_table.column_names.index(name)
        column = _cast_text_column(name, arrow_table.column(index), kind, context)
        arrow_table = arrow_table.set_column(index, name, column)
    return arrow_table


def _large(path: str) -> bool:
    """Files above the streaming threshold become file-backed tables instead of memory."""
    import os

    from nodeflow.runtime.memory import stream_above_bytes

    try:
        return os.path.getsize(path) > stream_above_bytes()
    except OSError:
        return False  # the reader reports the missing file


def _typed_batch(batch, types, context):
    """One block of the file with the forced column types applied, as table columns."""
    import pyarrow as pa

    return dict(arrow_to_table(_apply_types(pa.Table.from_batches([batch]), types, context), context))


def _write_blocks(context, batches, types, describe: str):
    """Write a file's record batches to the node's own Arrow file: a file-backed table."""
    from nodeflow.runtime.file_table import FileTableWriter

    writer = FileTableWriter(context.table_file("table"))
    try:
        rows = 0
        for batch in batches:
            check_cancelled(context)
            writer.append(_typed_batch(batch, types, context))
            rows += batch.num_rows
    except BaseException:
        writer.abort()
        raise
    table = writer.close()
    log(context, f"{describe}: {rows:,} rows streamed into a file-backed table "
                 f"({len(table.column_names)} columns); later nodes read it block by block")
    return table


def _stream_csv(context, path, reader, types):
    """A large CSV file from pyarrow's streaming ``reader``, written block by block."""
    import pyarrow as pa

    try:
        return _write_blocks(context, reader, types, f"read {path}")
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise NodeRunError(
            f"path: cannot read {path} as CSV: {exc} (a large file is read in blocks and the column "
            "types are guessed from the first block: force the type of such a column with "
            "column_types)") from None


CSV_READER = NodeSpec(
    type_id="data.CsvReader",
    display_name="CSV Reader",
    category="Data/Read",
    family="data",
    description=(
        "Reads a delimited text file (comma, semicolon or tab separated) into a table. A file "
        "larger than memory comfortably holds (above 512 MiB, or NODEFLOW_STREAM_ABOVE_MIB) is "
        "read block by block into a file-backed table that later nodes stream, so its size is "
        "limited by the disk, not the memory. "
        "Columns of numbers become numeric columns, everything else text; cells equal to one "
        "of the missing-value markers become missing (NaN in numeric columns, empty text in "
        "text columns). Column types can be forced, e.g. to keep postcodes as text."
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
        TextParam(name="encoding", group="Advanced", default="utf-8", allow_empty=False,
                  help="Text encoding of the file, e.g. utf-8 or latin-1."),
        IntParam(name="skip_rows", group="Advanced", default=0, min=0,
                 help="Number of lines to skip at the start of the file, before the header."),
        TextListParam(name="missing_values", group="Advanced",
                      default=["", "NA", "N/A", "NaN", "null", "?"],
                      help="Cell texts that mean a value is missing."),
        TextListParam(name="column_types", group="Advanced", default=[],
                      help="Types to force instead of guessing, one entry per column written "
                           "column=type with type int, float, string or bool (e.g. zip=string, "
                           "age=int). bool accepts true/false, 1/0, yes/no in any case. An int "
                           "column with missing cells is read as float with NaN."),
    ),
    keywords=("csv", "tsv", "text", "file", "read", "import"),
    run=read_csv,
)


# -- Parquet Reader ---------------------------------------------------------------------
def read_parquet(context, inputs, params):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = resolve_path(context, params["path"])
    require_regular_file(path, "Parquet")
    try:
        schema = pq.read_schema(path)
    except FileNotFoundError:
        raise NodeRunError(f"path: expected an existing Parquet file, got {path} which does not exist") from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise NodeRunError(f"path: cannot read {path} as Parquet: {exc}") from None
    columns = params["columns"] or None
    if columns:
        unknown = [c for c in columns if c not in schema.names]
        if unknown:
            raise NodeRunError(
                f"columns: expected columns of the file, got {', '.join(map(repr, unknown))}; "
                f"the file has: {names_text(schema.names)}"
            )
    if _large(path):
        try:
            batches = pq.ParquetFile(path).iter_batches(batch_size=65_536, columns=columns)
            return {"table": _write_blocks(context, batches, {}, f"read {path}")}
        except (pa.ArrowInvalid, OSError) as exc:
            raise NodeRunError(f"path: cannot read {path} as Parquet: {exc}") from None
    try:
        arrow_table = pq.read_table(path, columns=columns)
    except (pa.ArrowInvalid, OSError) as exc:
        raise NodeRunError(f"path: cannot read {path} as Parquet: {exc}") from None
    return {"table": arrow_to_table(arrow_table, context)}


PARQUET_READER = NodeSpec(
    type_id="data.ParquetReader",
    display_name="Parquet Reader",
    category="Data/Read",
    family="data",
    description=(
        "Reads an Apache Parquet file into a table; a large file (above 512 MiB, or "
        "NODEFLOW_STREAM_ABOVE_MIB) is read batch by batch into a file-backed table that later "
        "nodes stream. Numbers, text, true/false values and dates "
        "keep their types; nulls become NaN in numeric columns and empty text in text columns. "
        "Fixed-size list columns (one tensor per row) become n-d array columns, so image data "
        "written by another tool arrives as a (rows, ...) array."
    ),
    outputs=(TABLE_OUT,),
    params=(
        FileParam(name="path", mode="open", filters=("Parquet files (*.parquet *.pq)",),
                  help="The Parquet file to read. Paths below the workflow's folder are stored "
                       "relative to it."),
        ColumnsParam(name="columns", default=[],
                     help="Columns to read, in this order; empty reads every column. Reading "
                          "only the needed columns of a wide file is much faster."),
    ),
    keywords=("parquet", "arrow", "columnar", "file", "read", "import"),
    run=read_parquet,
)


# -- Image Folder Reader ----------------------------------------------------------------
def _name_matcher(patterns):
    """A test ``name -> bool`` for lower-case glob ``patterns`` (``*.png``), ignoring case:
    one regular expression for all of them."""
    import fnmatch
    import re

    match = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)).match
    return lambda name: match(name.lower()) is not None


def _image_files(folder, patterns) -> list[str]:
    """Files below ``folder`` matching ``patterns``, as sorted relative POSIX paths; hidden
    files and folders are skipped and folder links are not followed.  ``os.scandir`` reads
    each entry's type with its name, so 200,000 files take a fraction of a second."""
    import os

    matches = _name_matcher(patterns)
    found, pending = [], [""]
    while pending:
        prefix = pending.pop()
        with os.scandir(os.path.join(folder, prefix)) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(prefix + entry.name + "/")
                elif entry.is_file() and matches(entry.name):
                    found.append(prefix + entry.name)
    return sorted(found, key=lambda path: path.split("/"))  # the order of the paths' parts


def read_image_folder(context, inputs, params):
    """List the files and labels; decoding happens where the rows are consumed."""
    from pathlib import Path

    root = Path(resolve_path(context, params["path"]))
    if not root.is_dir():
        raise NodeRunError(f"path: expected an existing folder, got {root} which "
                           f"{'is a file' if root.exists() else 'does not exist'}")
    patterns = [p.strip().lower() for p in params["patterns"] if p.strip()]
    if not patterns:
        raise NodeRunError("patterns: expected at least one file pattern such as *.png, got none")
    classes = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not classes:
        raise NodeRunError(f"path: expected a folder with one sub-folder per class, got {root} "
                           "which has no sub-folders")
    files, labels = [], []
    for folder in classes:
        check_cancelled(context)
        found = _image_files(folder, patterns)
        if not found:
            warn(context, f"class folder {folder.name!r} has no files matching {' '.join(patterns)}")
        files += [f"{folder.name}/{f}" for f in found]
        labels += [folder.name] * len(found)
    if not files:
        raise NodeRunError(f"patterns: expected image files matching {' '.join(patterns)} in the class "
                           f"folders of {root} ({names_text([c.name for c in classes])}), found none")

    import numpy as np

    from nodeflow.runtime.file_table import CHUNK_ROWS, FileTableWriter
    from nodeflow.runtime.images import ImageColumn

    height, width = params["target_size"]
    channels = 1 if params["color_mode"] == "grayscale" else 3
    relative = np.array(files, dtype=str)
    image = ImageColumn(root=str(root), source="__source__:image", height=height, width=width,
                        channels=channels, interpolation=params["interpolation"])
    writer = FileTableWriter(context.table_file("table"), {"image": image})
    labels_array = np.array(labels, dtype=str)
    for start in range(0, len(files), CHUNK_ROWS):  # blocks, so a page of a view reads one block
        part = slice(start, start + CHUNK_ROWS)
        writer.append({"__source__:image": relative[part], "label": labels_array[part],
                       "path": relative[part]}, order=["image", "label", "path"])
    table = writer.close()
    counts = dict(zip(*np.unique(np.array(labels), return_counts=True)))
    log(context, f"listed {len(files)} images of {len(counts)} classes ("
                 + ", ".join(f"{k}: {v}" for k, v in counts.items()) + "); they are decoded while "
                 "the rows are consumed")
    return {"table": table}


IMAGE_FOLDER_READER = NodeSpec(
    type_id="data.ImageFolderReader",
    display_name="Image Folder Reader",
    category="Data/Read",
    family="data",
    description=(
        "Reads a folder of images with one sub-folder per class (e.g. photos/cat/*.jpg, "
        "photos/dog/*.jpg), as Keras's image_dataset_from_directory does, however many images "
        "there are: the reader only lists the files; each image is decoded and resized to the "
        "target size when its rows are consumed, in parallel inside the learner's or "
        "executor's tf.data pipeline, so memory stays flat. One row per image: column 'image' "
        "(height, width, channels) uint8 values 0 to 255 (rescale inside the network, e.g. with "
        "a Rescaling layer), column 'label' the class (sub-folder) name and column 'path' the "
        "file below the folder. Rows are ordered by class, then file name. PNG, JPEG, GIF (first "
        "frame) and BMP files are read."
    ),
    outputs=(Port("table", "table", "One row per image: image (h, w, c) uint8 decoded on demand, label "
                                    "and path columns."),),
    params=(
        FileParam(name="path", mode="folder",
                  help="The folder whose sub-folders are the classes; files in sub-folders of a "
                       "class folder count too, hidden files and folders are skipped."),
        ShapeParam(name="target_size", default=[64, 64], min_len=2, max_len=2,
                   help="Height and width every image is resized to, in pixels."),
        ChoiceParam(name="color_mode", default="rgb", options=("rgb", "grayscale"),
                    help="rgb gives 3 channels, grayscale 1; transparency is dropped."),
        ChoiceParam(name="interpolation", default="bilinear",
                    options=("bilinear", "nearest", "bicubic", "lanczos"),
                    help="How pixels are resampled when an image is resized (Keras's default "
                         "is bilinear)."),
        TextListParam(name="patterns", default=["*.png", "*.jpg", "*.jpeg", "*.bmp", "*.gif"],
                      min_count=1,
                      help="File name patterns of the images to read, compared ignoring case "
                           "(*.jpg also matches PHOTO.JPG)."),
    ),
    keywords=("image", "picture", "photo", "folder", "directory", "png", "jpg", "classes", "read"),
    run=read_image_folder,
)

NODES = (CSV_READER, PARQUET_READER, IMAGE_FOLDER_READER)
