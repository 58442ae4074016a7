"""CSV (column types), Parquet and Image Folder readers read real files into tables."""

from decimal import Decimal

import numpy as np
import pytest

from nodeflow.core import Workflow
from nodeflow.core.errors import NodeRunError
from nodeflow.runtime.context import RunContext
from nodes.data import readers

REGISTRY = {spec.type_id: spec for spec in readers.NODES}


@pytest.fixture
def run(ctx):
    context = ctx

    def run(type_id, inputs=None, **params):
        spec = REGISTRY[type_id]
        return spec.run(context, inputs or {}, spec.resolve(params))

    return run


# -- CSV Reader: column types ------------------------------------------------------------
def test_column_types_keep_codes_as_text_and_force_numbers(tmp_path, run):
    path = tmp_path / "people.csv"
    path.write_text("zip,age,score,member\n01234,31,7,yes\n90210,45,8,no\n00501,,9,TRUE\n")
    table = run("data.CsvReader", path=str(path),
                column_types=["zip=string", "score=float", "member=bool"])["table"]
    assert list(table["zip"]) == ["01234", "90210", "00501"]  # leading zeros kept
    assert table["score"].dtype == np.float64
    assert table["member"].dtype == bool and list(table["member"]) == [True, False, True]
    assert np.isnan(table["age"][2])  # guessed: int column with a gap -> float with NaN


def test_int_column_with_missing_cells_warns_and_reads_floats(tmp_path, run, events):
    path = tmp_path / "x.csv"
    path.write_text("n\n1\nNA\n3\n")
    table = run("data.CsvReader", path=str(path), column_types=["n=int"])["table"]
    assert table["n"].dtype == np.float64 and np.isnan(table["n"][1])
    assert any(e["event"] == "warning" and "'n'" in e["message"] for e in events)


def test_column_types_errors_name_the_parameter_and_column(tmp_path, run):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,x\n2.5,y\n")
    with pytest.raises(NodeRunError, match=r"^column_types: expected integers in column 'a'.*2\.5"):
        run("data.CsvReader", path=str(path), column_types=["a=int"])
    with pytest.raises(NodeRunError, match=r"^column_types: expected columns of the file, got 'c'; "
                                           r"the file has: a, b$"):
        run("data.CsvReader", path=str(path), column_types=["c=int"])
    with pytest.raises(NodeRunError, match=r"^column_types: expected entries like 'age=int'.*got 'a:int'"):
        run("data.CsvReader", path=str(path), column_types=["a:int"])
    with pytest.raises(NodeRunError, match=r"^column_types: expected true/false values in column 'b'.*'x'"):
        run("data.CsvReader", path=str(path), column_types=["b=bool"])


def test_relative_path_resolves_against_the_workflow_folder(tmp_path, events):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t.csv").write_text("a\n1\n")
    workflow = Workflow()
    workflow.base_dir = str(tmp_path)
    context = RunContext(workflow=workflow, node_id="csv_reader_1", node_dir=tmp_path, emit_event=events.append)
    spec = REGISTRY["data.CsvReader"]
    assert spec.run(context, {}, spec.resolve({"path": "data/t.csv"}))["table"].num_rows == 1


# -- Parquet Reader ---------------------------------------------------------------------
def test_parquet_keeps_types_and_turns_fixed_size_lists_into_nd_columns(tmp_path, run):
    import pyarrow as pa
    import pyarrow.parquet as pq

    images = np.arange(3 * 4, dtype=np.float32).reshape(3, 2, 2)
    inner = pa.FixedSizeListArray.from_arrays(pa.array(images.reshape(-1)), 2)
    pq.write_table(pa.table({
        "x": pa.array([1.5, None, 3.0]),
        "n": pa.array([1, 2, 3], pa.int32()),
        "name": pa.array(["a", None, "c"]).dictionary_encode(),
        "flag": pa.array([True, False, True]),
        "image": pa.FixedSizeListArray.from_arrays(inner, 2),
        "price": pa.array([Decimal("1.00"), Decimal("2.50"), Decimal("3.00")], pa.decimal128(10, 2)),
    }), tmp_path / "t.parquet")
    table = run("data.ParquetReader", path=str(tmp_path / "t.parquet"))["table"]
    assert table.column_names == ["x", "n", "name", "flag", "image", "price"]
    assert table["price"].tolist() == [1.0, 2.5, 3.0]
    assert np.isnan(table["x"][1]) and table["n"].dtype == np.int32
    assert list(table["name"]) == ["a", "", "c"] and table["flag"].dtype == bool
    assert table["image"].shape == (3, 2, 2) and np.array_equal(table["image"], images)

    only = run("data.ParquetReader", path=str(tmp_path / "t.parquet"), columns=["n", "x"])["table"]
    assert only.column_names == ["n", "x"]
    with pytest.raises(NodeRunError, match=r"^columns: expected columns of the file, got 'nope'; "
                                           r"the file has: x, n, name, flag, image, price$"):
        run("data.ParquetReader", path=str(tmp_path / "t.parquet"), columns=["nope"])


def test_parquet_column_a_table_cannot_hold_is_named(tmp_path, run):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"tags": pa.array([["a"], ["b", "c"]]), "n": pa.array([1, 2])}), tmp_path / "t.parquet")
    with pytest.raises(NodeRunError, match=r"^path: column 'tags' has type list<element: string>, which a table "
                                           r"cannot hold"):
        run("data.ParquetReader", path=str(tmp_path / "t.parquet"))
    assert run("data.ParquetReader", path=str(tmp_path / "t.parquet"), columns=["n"])["table"].num_rows == 2


def test_parquet_missing_and_broken_files(tmp_path, run):
    with pytest.raises(NodeRunError, match="^path: expected an existing Parquet file"):
        run("data.ParquetReader", path=str(tmp_path / "none.parquet"))
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(NodeRunError, match="^path: cannot read .* as Parquet"):
        run("data.ParquetReader", path=str(tmp_path / "bad.parquet"))


# -- Image Folder Reader ----------------------------------------------------------------
@pytest.fixture
def photos(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    root = tmp_path / "photos"
    for cls, colour, count in (("cat", (255, 0, 0), 2), ("dog", (0, 0, 255), 3)):
        (root / cls).mkdir(parents=True)
        for i in range(count):
            Image.new("RGB", (20 + i, 10), colour).save(root / cls / f"{i}.png")
    Image.new("RGB", (4, 4)).save(root / "dog" / "UPPER.JPG")
    (root / "dog" / "notes.txt").write_text("not an image")
    (root / "stray.png").write_bytes(b"")  # files beside the class folders are ignored
    return root


def test_image_folder_lists_files_and_decodes_only_when_rows_are_consumed(photos, run, events, monkeypatch):
    import nodeflow.runtime.images as images
    from nodeflow.runtime.file_table import FileTable

    def no_decoding(*args, **kwargs):
        raise AssertionError("the reader decoded images")

    monkeypatch.setattr(images, "tf_decoder", no_decoding)
    monkeypatch.setattr(images, "decode_with_pillow", no_decoding)
    table = run("data.ImageFolderReader", path=str(photos), target_size=[8, 6])["table"]
    assert isinstance(table, FileTable) and table.num_rows == 6
    assert table.column_names == ["image", "label", "path"]
    assert table.column_info("image") == (np.dtype(np.uint8), (8, 6, 3))
    assert "listed 6 images of 2 classes (cat: 2, dog: 4)" in events[-1].get("message")
    monkeypatch.undo()

    whole = table.materialize()  # now the files are decoded (in parallel, by tf.data)
    assert whole["image"].shape == (6, 8, 6, 3) and whole["image"].dtype == np.uint8
    assert list(whole["label"]) == ["cat"] * 2 + ["dog"] * 4
    assert list(whole["path"]) == ["cat/0.png", "cat/1.png", "dog/0.png", "dog/1.png", "dog/2.png",
                                   "dog/UPPER.JPG"]
    assert (whole["image"][0, ..., 0] == 255).all() and (whole["image"][2, ..., 2] == 255).all()
    assert (whole["image"][0, ..., 1:] == 0).all()


def test_image_folder_grayscale_and_patterns(photos, run):
    table = run("data.ImageFolderReader", path=str(photos), target_size=[4, 4], color_mode="grayscale",
                patterns=["*.jpg"])["table"]
    assert table.materialize()["image"].shape == (1, 4, 4, 1) and list(table.column("label")) == ["dog"]


def test_image_folder_errors(photos, tmp_path, run):
    with pytest.raises(NodeRunError, match="^path: expected an existing folder"):
        run("data.ImageFolderReader", path=str(tmp_path / "none"))
    with pytest.raises(NodeRunError, match="^path: expected a folder with one sub-folder per class"):
        run("data.ImageFolderReader", path=str(photos / "cat"))
    with pytest.raises(NodeRunError, match=r"^patterns: expected image files matching \*\.tif .*found none"):
        run("data.ImageFolderReader", path=str(photos), patterns=["*.tif"])
    (photos / "dog" / "broken.png").write_text("not a png")
    table = run("data.ImageFolderReader", path=str(photos))  # listing does not open the files
    with pytest.raises(NodeRunError, match="^table: cannot read .*broken.png as an image"):
        table["table"].materialize()


def test_image_folder_reader_stops_when_the_run_is_cancelled(photos, tmp_path):
    from nodeflow.runtime.context import Cancelled

    context = RunContext(workflow=Workflow(), node_id="node_1", node_dir=tmp_path, emit_event=lambda e: None)
    context.control.cancel.set()
    spec = REGISTRY["data.ImageFolderReader"]
    with pytest.raises(Cancelled):
        spec.run(context, {}, spec.resolve({"path": str(photos)}))


def test_image_folder_lists_nested_files_in_path_order_and_skips_hidden_ones(photos, run):
    import shutil

    (photos / "cat" / "a").mkdir()
    shutil.copy(photos / "cat" / "0.png", photos / "cat" / "a" / "b.png")
    shutil.copy(photos / "cat" / "0.png", photos / "cat" / "a-c.png")  # '-' sorts before '/'
    (photos / "cat" / ".thumbs").mkdir()
    shutil.copy(photos / "cat" / "0.png", photos / "cat" / ".thumbs" / "0.png")
    shutil.copy(photos / "cat" / "0.png", photos / "cat" / ".hidden.png")
    (photos / "dog" / "linked").symlink_to(photos / "cat", target_is_directory=True)  # not followed
    table = run("data.ImageFolderReader", path=str(photos))["table"]
    assert list(table.column("path")) == ["cat/0.png", "cat/1.png", "cat/a/b.png", "cat/a-c.png",
                                          "dog/0.png", "dog/1.png", "dog/2.png", "dog/UPPER.JPG"]
