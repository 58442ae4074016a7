"""Data transforms on file-backed tables: the same result as on the same rows in memory,
without loading the table whole (FileTable.materialize is forbidden while a node runs)."""

import numpy as np
import pytest

from nodeflow.core.errors import NodeRunError
from nodeflow.runtime.file_table import FileTable, FileTableWriter
from nodeflow.runtime.images import ImageColumn
from nodeflow.runtime.memory import LIMIT_ENV
from nodeflow.runtime.table import Table
from nodes.data import columns, partition, transform
from nodes.data._common import take_rows
from nodes.io import table_writer
from nodes.learn import scorer

SPECS = {spec.type_id: spec for module in (columns, partition, transform, table_writer, scorer)
         for spec in module.NODES}
ROWS = 240


def make_table(rows: int = ROWS) -> Table:
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 2.0, rows)
    x[rng.random(rows) < 0.15] = np.nan
    vec = rng.normal(size=(rows, 3))
    vec[rng.random(rows) < 0.1, 1] = np.nan
    text = np.array(["red", "green", "blue", "", "a rather long colour name"])[rng.integers(0, 5, rows)]
    return Table({
        "x": x,
        "n": rng.integers(-50, 900, rows),
        "s": text,
        "code": np.array([2, 10, 33, 7])[rng.integers(0, 4, rows)],  # sorted numerically, not as text
        "flag": rng.random(rows) < 0.3,
        "vec": vec,
        "label": np.array(["cat", "dog", "bird"])[rng.integers(0, 3, rows)],
        "guess": np.array(["cat", "dog", "bird"])[rng.integers(0, 3, rows)],
    })


def write_blocks(table: Table, path, blocks: int = 4) -> FileTable:
    """``table`` as a FileTable of several record batches of uneven sizes."""
    writer = FileTableWriter(path)
    bounds = [0, 17, table.num_rows // 2, table.num_rows - 5, table.num_rows][: blocks + 1]
    bounds[-1] = table.num_rows
    for start, stop in zip(bounds[:-1], bounds[1:]):
        writer.append({name: arr[start:stop] for name, arr in table.items()})
    return writer.close()


SELECTION = np.arange(ROWS) % 3 != 1  # a Row Filter upstream: every third row left out


@pytest.fixture(params=["all rows", "a selection"])
def tables(request, tmp_path):
    """The same rows in memory and in a file (with the same row selection upstream)."""
    memory = make_table()
    files = write_blocks(memory, tmp_path / "input" / "rows.arrow")
    if request.param == "a selection":
        memory, files = take_rows(memory, SELECTION), take_rows(files, SELECTION)
    return memory, files


@pytest.fixture
def run(ctx, monkeypatch):
    """Runs a node; a file-backed input must not be loaded whole meanwhile."""

    def run(type_id, table, port="table", extra=None, **params):
        spec = SPECS[type_id]

        def forbidden(self, *args, **kwargs):
            raise AssertionError(f"{type_id} loaded the whole file-backed table")

        with monkeypatch.context() as patched:
            patched.setattr(FileTable, "materialize", forbidden)
            out = spec.run(ctx, {"table": table, **(extra or {})}, spec.resolve(params))
        return out if port is None else out[port]

    return run


def in_memory(table):
    return table.materialize() if isinstance(table, FileTable) else table


def assert_same(got, expected):
    """Same column names in the same order and the same values (NaN where NaN)."""
    got = in_memory(got)
    assert got.column_names == expected.column_names
    assert got.num_rows == expected.num_rows
    for name in expected.column_names:
        a, b = got[name], expected[name]
        assert a.dtype.kind == b.dtype.kind, name
        assert a.shape == b.shape, name
        if b.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=name)
        else:
            assert np.array_equal(a, b), name


def both(run, tables, type_id, port="table", extra=None, **params):
    """The node's output on the file-backed table (checked to stay file-backed, then read)
    and on the in-memory one."""
    memory, files = tables
    from_file = run(type_id, files, port, extra, **params)
    if port == "table":
        assert isinstance(from_file, FileTable)
    return in_memory(from_file), run(type_id, memory, port, extra, **params)


# -- choosing columns and rows ------------------------------------------------------------
@pytest.mark.parametrize("params", [
    {"columns": ["label", "x"]},
    {"mode": "exclude", "columns": ["vec", "s"]},
])
def test_column_filter_selects_on_disk(run, tables, params):
    got, expected = both(run, tables, "data.ColumnFilter", **params)
    assert_same(got, expected)


@pytest.mark.parametrize("params", [
    {"column": ["x"], "operator": ">", "value": "5.5"},
    {"column": ["x"], "operator": "is missing"},
    {"column": ["s"], "operator": "in", "value": "red, blue", "keep": "non-matching"},
    {"column": ["flag"], "operator": "==", "value": "true"},
    {"column": ["code"], "operator": "<=", "value": "10"},
])
def test_row_filter_keeps_the_same_rows(run, tables, params):
    got, expected = both(run, tables, "data.RowFilter", **params)
    assert 0 < expected.num_rows < tables[0].num_rows
    assert_same(got, expected)


def test_row_filter_refuses_an_array_column_without_reading_it(run, tables):
    with pytest.raises(NodeRunError, match=r"column 'vec' holds an array of shape \(rows, 3\)"):
        run("data.RowFilter", tables[1], column=["vec"], operator="==", value="1")


# -- missing values -----------------------------------------------------------------------
@pytest.mark.parametrize("params", [
    {"method": "drop_rows"},
    {"method": "drop_rows", "columns": ["x"]},
    {"method": "mean", "columns": ["x"]},
    {"method": "median", "columns": ["x", "n"]},
    {"method": "most_frequent", "columns": ["s", "x"]},
    {"method": "constant", "value": "7"},  # every column with a missing value: x, s and vec
])
def test_missing_value_gives_the_same_table(run, tables, params):
    got, expected = both(run, tables, "data.MissingValue", **params)
    assert_same(got, expected)
    treated = params.get("columns") or ["x", "s", "vec"]
    for name in treated:
        arr = expected[name]
        assert not (np.isnan(arr).any() if arr.dtype.kind == "f" else (arr == "").any())


def test_missing_value_without_missing_cells_keeps_the_file(run, tables):
    _, files = tables
    out = run("data.MissingValue", files, method="mean", columns=["n"])
    assert out is files


def test_missing_value_errors_name_the_column_on_a_file_table(run, tables):
    _, files = tables
    with pytest.raises(NodeRunError, match="column 's' holds text"):
        run("data.MissingValue", files, method="mean", columns=["s"])
    with pytest.raises(NodeRunError, match=r"column 'vec' holds an array of shape \(rows, 3\)"):
        run("data.MissingValue", files, method="median", columns=["vec"])


# -- partitioning -------------------------------------------------------------------------
@pytest.mark.parametrize("params", [
    {"sampling": "random", "seed": 5},
    {"sampling": "stratified", "stratify_column": ["label"], "seed": 5, "fraction": 0.7},
    {"sampling": "from_top", "size": "count", "count": 31},
])
def test_partitioning_gives_the_same_rows_with_the_same_seed(run, tables, params):
    memory, files = tables
    from_file = run("data.Partitioning", files, None, **params)
    from_memory = run("data.Partitioning", memory, None, **params)
    for port in ("first", "second"):
        assert isinstance(from_file[port], FileTable)
        assert_same(from_file[port], from_memory[port])
    assert from_file["first"].num_rows + from_file["second"].num_rows == memory.num_rows


# -- codes and one-hot ------------------------------------------------------------------
def test_category_to_number_codes_like_in_memory(run, tables):
    memory, files = tables
    from_file = run("data.CategoryToNumber", files, None, columns=["code", "s", "flag"])
    from_memory = run("data.CategoryToNumber", memory, None, columns=["code", "s", "flag"])
    assert_same(from_file["table"], from_memory["table"])
    assert_same(from_file["mapping"], from_memory["mapping"])
    codes = from_memory["mapping"]
    assert codes["category"][codes["column"] == "code"].tolist() == ["2", "7", "10", "33"]


def test_category_to_number_reuses_a_mapping_on_a_file_table(run, tables):
    memory, files = tables
    mapping = run("data.CategoryToNumber", make_table(), "mapping", columns=["label", "code"])
    got, expected = both(run, tables, "data.CategoryToNumber", extra={"mapping": mapping},
                         columns=["label", "code"])
    assert_same(got, expected)
    short = run("data.CategoryToNumber", take_rows(make_table(), make_table()["code"] != 33), "mapping",
                columns=["code"])
    with pytest.raises(NodeRunError, match=r"mapping: expected only known categories in column 'code'.*'33'"):
        run("data.CategoryToNumber", files, extra={"mapping": short}, columns=["code"])


@pytest.mark.parametrize("params", [
    {"column": ["label"]},
    {"column": ["code"], "output": "columns", "keep_column": True},
    {"column": ["label"], "categories": ["dog", "cat", "bird"]},
])
def test_one_hot_encodes_like_in_memory(run, tables, params):
    got, expected = both(run, tables, "data.OneHotEncoding", **params)
    assert_same(got, expected)


# -- normalizer -------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["min_max", "z_score", "decimal_scaling"])
def test_normalizer_fits_the_same_statistics_in_a_streaming_pass(run, tables, method):
    memory, files = tables
    names = ["x", "n", "vec"]
    from_file = run("data.Normalizer", files, None, columns=names, method=method, new_min=-1.0)
    from_memory = run("data.Normalizer", memory, None, columns=names, method=method, new_min=-1.0)
    fitted, expected = from_file["normalizer"].parameters, from_memory["normalizer"].parameters
    assert fitted.keys() == expected.keys()
    for name in names:
        assert fitted[name] == pytest.approx(expected[name], rel=1e-12)
    assert_same(from_file["table"], from_memory["table"])
    if method == "z_score":  # the reference: NumPy over all the values at once
        values = memory["vec"].astype(np.float64)
        assert fitted["vec"]["mean"] == pytest.approx(np.nanmean(values), rel=1e-12)
        assert fitted["vec"]["std"] == pytest.approx(np.nanstd(values), rel=1e-12)


def test_normalizer_apply_streams_with_the_fitted_parameters(run, tables):
    normalizer = run("data.Normalizer", make_table(), "normalizer", columns=["x", "vec"], method="z_score")
    got, expected = both(run, tables, "data.NormalizerApply", extra={"normalizer": normalizer})
    assert_same(got, expected)


def image_table(path, rows: int = 4) -> FileTable:
    """A file-backed table with a 256x256 RGB image column decoded on demand (the image
    files need not exist: nothing here decodes them)."""
    column = ImageColumn(root=str(path.parent), source="__source__:image", height=256, width=256, channels=3)
    writer = FileTableWriter(path, {"image": column})
    writer.append({"__source__:image": np.array([f"{i}.png" for i in range(rows)]),
                   "score": np.arange(rows, dtype=np.float64)}, order=["image", "score"])
    return writer.close()


def test_normalizer_carries_image_columns_along_without_decoding(run, tmp_path, monkeypatch):
    table = image_table(tmp_path / "input" / "images.arrow")
    monkeypatch.setattr(FileTable, "column", lambda *a, **k: pytest.fail("an image was decoded"))
    out = run("data.Normalizer", table, columns=["score"])
    assert out.column_names == ["image", "score"] and out.is_image("image")
    assert next(out.chunks(["score"]))["score"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1])


def test_normalizing_an_image_column_loads_the_table_and_says_what_does_not_fit(ctx, tmp_path, monkeypatch):
    monkeypatch.setenv(LIMIT_ENV, "1")
    table = image_table(tmp_path / "input" / "images.arrow")
    spec = SPECS["data.Normalizer"]
    with pytest.raises(NodeRunError) as error:
        spec.run(ctx, {"table": table}, spec.resolve({"columns": ["image"]}))
    assert str(error.value).startswith("table: this node needs the whole table in memory, 4 rows "
                                       "(image, score) would take 768 KiB, but only 512 KiB can be used")
    assert "Rescaling layer" in spec.description


def test_a_node_that_needs_everything_names_the_size_that_does_not_fit(ctx, tmp_path, monkeypatch):
    monkeypatch.setenv(LIMIT_ENV, "1")
    rows = 3000
    texts = Table({"text": np.array([f"review number {i} " + "good " * 40 for i in range(rows)])})
    table = write_blocks(texts, tmp_path / "input" / "texts.arrow")
    spec = SPECS["data.TextToSequence"]
    with pytest.raises(NodeRunError, match=r"^table: this node needs the whole table in memory, 3,000 rows "
                                           r"\(text\) would take \d+ MiB, but only 512 KiB can be used"):
        spec.run(ctx, {"table": table}, spec.resolve({"column": ["text"]}))
    assert "needs the whole table in memory" in spec.description


# -- writing and scoring ------------------------------------------------------------------
def test_table_writer_writes_the_same_csv_block_by_block(run, tables, tmp_path):
    memory, files = tables
    keep = [n for n in memory.column_names if n != "vec"]
    run("io.CsvWriter", files.select(keep), None, path=str(tmp_path / "file.csv"))
    run("io.CsvWriter", Table({n: memory[n] for n in keep}), None, path=str(tmp_path / "memory.csv"))
    written = (tmp_path / "file.csv").read_bytes()
    assert written == (tmp_path / "memory.csv").read_bytes()
    assert written.count(b"\n") == memory.num_rows + 1


def test_table_writer_refuses_an_image_column_without_decoding(run, tmp_path):
    table = image_table(tmp_path / "input" / "images.arrow")
    with pytest.raises(NodeRunError, match=r"^table: expected columns with one value per row, as a CSV cell "
                                           r"holds one value, but 'image' holds an array of shape "
                                           r"\(rows, 256, 256, 3\)"):
        run("io.CsvWriter", table, None, path=str(tmp_path / "out.csv"))
    assert not (tmp_path / "out.csv").exists()


def test_scorer_reads_only_the_two_columns(run, tables, monkeypatch):
    memory, files = tables
    read = []
    chunks = FileTable.chunks

    def counting(self, names=None, *args, **kwargs):
        read.append(list(names or self.column_names))
        return chunks(self, names, *args, **kwargs)

    monkeypatch.setattr(FileTable, "chunks", counting)
    params = {"truth_column": "label", "prediction_column": "guess"}
    from_file = run("learn.Scorer", files, None, **params)
    assert sorted(read) == [["guess"], ["label"]]
    from_memory = run("learn.Scorer", memory, None, **params)
    for port in ("metrics", "confusion_matrix"):
        assert_same(from_file[port], from_memory[port])


# -- augmentations travel with the table ------------------------------------------------------
FLIP = {"op": "flip", "column": "vec", "mode": "horizontal", "seed": None}


def test_column_filter_and_normalizer_keep_the_augmentations_of_kept_columns(run, tables):
    memory, files = (t.with_augmentations((FLIP,)) for t in tables)
    for table in (memory, files):
        assert run("data.ColumnFilter", table, columns=["vec", "x"]).augmentations == (FLIP,)
        assert run("data.ColumnFilter", table, columns=["x"]).augmentations == ()
        assert run("data.Normalizer", table, columns=["x"]).augmentations == (FLIP,)
