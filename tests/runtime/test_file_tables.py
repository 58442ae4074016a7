"""File-backed tables through the engine: storage, cache validity, streaming, memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nodeflow.core import Workflow
from nodeflow.runtime.engine import Engine
from nodeflow.runtime.file_table import FileTable, FileTableWriter
from nodeflow.runtime.storage import is_valid, load_value, output_path, save_value, value_path
from nodeflow.runtime.table import Table

ROOT = Path(__file__).resolve().parents[2]


def png_folder(root: Path, per_class: int = 12, size: int = 8) -> Path:
    """Two classes told apart by colour: red squares and blue squares."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for name, channel in (("blue", 2), ("red", 0)):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 60, (size, size, 3)).astype(np.uint8)
            pixels[..., channel] = 200
            Image.fromarray(pixels).save(root / name / f"{i:03d}.png")
    return root


def chain(wf: Workflow, layers) -> str:
    """Layer nodes wired one after the other; returns the last one's id."""
    previous = None
    for i, (type_id, params) in enumerate(layers):
        node = wf.add_node(type_id, params, node_id=f"layer_{i}")
        if previous:
            wf.connect(previous, "output", node.id, "input")
        previous = node.id
    return previous


def labelled_images(folder: Path, size: int) -> Workflow:
    """A workflow reading ``folder``'s images at ``size`` x ``size`` with their labels coded
    as numbers (node ``codes``)."""
    wf = Workflow()
    wf.add_node("data.ImageFolderReader", {"path": str(folder), "target_size": [size, size]}, node_id="reader")
    wf.add_node("data.CategoryToNumber", {"columns": ["label"]}, node_id="codes")
    wf.connect("reader", "table", "codes", "table")
    return wf


def image_workflow(folder: Path, epochs: int = 2) -> Workflow:
    wf = labelled_images(folder, 8)
    previous = chain(wf, [
        ("keras.layers.Input", {"shape": [8, 8, 3]}),
        ("keras.layers.Rescaling", {"scale": 1 / 255}),
        ("keras.layers.Flatten", {}),
        ("keras.layers.Dense", {"units": 2, "activation": "softmax"}),
    ])
    wf.add_node("learn.NetworkLearner", {
        "feature_columns": ["image"], "target_columns": ["label"], "epochs": epochs, "batch_size": 8,
        "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "seed": 1,
        "optimizer": {"name": "adam", "args": {"learning_rate": 0.05}},
    }, node_id="learner")
    wf.connect(previous, "output", "learner", "network")
    wf.connect("codes", "table", "learner", "training")
    return wf


def run(wf: Workflow, run_dir: Path):
    events = []
    result = Engine(wf, run_dir, on_event=events.append).run()
    return result, events


def statuses(events) -> dict:
    return {e["node"]: ("cached" if e.get("cached") else e["status"]) for e in events
            if e["event"] == "node_status" and e["status"] in ("executed", "failed")}


def test_a_table_in_memory_is_stored_as_an_arrow_file_read_back_memory_mapped(tmp_path):
    table = Table({"x": np.arange(5.0), "name": np.array(list("abcde")),
                   "image": np.arange(5 * 4, dtype=np.uint8).reshape(5, 2, 2, 1)},
                  augmentations=({"op": "flip", "column": "image", "mode": "horizontal"},))
    path = save_value("table", table, tmp_path, "table")
    assert path.suffix == ".arrow"
    back = load_value("table", path)
    assert back.column_names == ["x", "name", "image"]
    assert back["image"].shape == (5, 2, 2, 1) and (back["image"] == table["image"]).all()
    assert list(back["name"]) == list("abcde") and back.augmentations == table.augmentations
    assert not back["x"].flags.owndata  # a view of the mapped file, not a copy


def test_a_file_backed_table_is_stored_as_its_recipe_and_goes_stale_with_its_file(tmp_path):
    writer = FileTableWriter(tmp_path / "rows.arrow")
    for start in range(0, 30, 10):
        writer.append({"x": np.arange(start, start + 10, dtype=np.int64)})
    table = writer.close().take(np.arange(30) % 2 == 0)
    stored = save_value("table", table, tmp_path / "node", "table")
    assert stored.name == "table.table.json"
    assert stored.stat().st_size < 2000  # a recipe, not the rows
    assert value_path(tmp_path / "node", "table", "table") == stored  # how readers find it
    back = load_value("table", stored)
    assert isinstance(back, FileTable) and list(back.column("x")) == list(range(0, 30, 2))
    assert is_valid(stored)
    (tmp_path / "rows.arrow").write_bytes(b"changed")
    assert not is_valid(stored)
    (tmp_path / "rows.arrow").unlink()
    assert not is_valid(stored)


def test_an_image_folder_trains_and_a_changed_or_deleted_image_invalidates_the_cache(tmp_path):
    folder = png_folder(tmp_path / "photos")
    wf = image_workflow(folder)
    result, events = run(wf, tmp_path / "run")
    assert result.status == "executed", [e for e in events if e["event"] == "error"]
    history = result.output("learner", "history")
    assert history["accuracy"][-1] >= 0.9  # red and blue squares are easy
    logs = [e.get("message", "") for e in events if e["event"] == "log"]
    assert any("1 image column(s) decoded in parallel" in m for m in logs)
    run_folder_bytes = sum(f.stat().st_size for f in (tmp_path / "run" / "nodes" / "reader").iterdir())
    images_bytes = sum(f.stat().st_size for f in folder.rglob("*.png"))
    assert run_folder_bytes < images_bytes  # the listing, not decoded images

    _, events = run(wf, tmp_path / "run")
    assert statuses(events) == {"reader": "cached", "codes": "cached", "learner": "cached"}

    stamp = (folder / "red" / "003.png").stat()
    os.utime(folder / "red" / "003.png", ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 10**9))
    _, events = run(wf, tmp_path / "run")
    assert statuses(events) == {"reader": "executed", "codes": "executed", "learner": "executed"}

    (folder / "blue" / "000.png").unlink()
    result, events = run(wf, tmp_path / "run")
    assert statuses(events)["reader"] == "executed"
    assert result.output("codes", "table").num_rows == 23


def test_a_broken_image_fails_the_learner_with_the_file_named(tmp_path):
    folder = png_folder(tmp_path / "photos", per_class=4)
    (folder / "red" / "002.png").write_bytes(b"not a png")
    result, events = run(image_workflow(folder, epochs=1), tmp_path / "run")
    assert result.nodes["learner"].status == "failed"
    assert "red/002.png as an image" in result.nodes["learner"].error


def big_csv(path: Path, rows: int = 6000) -> Path:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 3))
    pacsv.write_csv(pa.table({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2],
                              "label": (x[:, 0] + x[:, 1] > 0).astype(np.int64)}), path)
    return path


def test_a_large_csv_streams_into_the_learner_and_the_executor_streams_its_predictions(tmp_path, monkeypatch):
    monkeypatch.setenv("NODEFLOW_STREAM_ABOVE_MIB", "0.01")  # this 0.3 MB file counts as large
    monkeypatch.setattr("nodes.learn.feed.BLOCK_ROWS", 1000)  # several blocks
    csv = big_csv(tmp_path / "data.csv")
    wf = Workflow()
    wf.add_node("data.CsvReader", {"path": str(csv)}, node_id="reader")
    previous = chain(wf, [("keras.layers.Input", {"shape": [3]}),
                                           ("keras.layers.Dense", {"units": 2, "activation": "softmax"})])
    features = ["a", "b", "c"]
    wf.add_node("learn.NetworkLearner", {
        "feature_columns": features, "target_columns": ["label"], "epochs": 3, "batch_size": 32,
        "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "seed": 2,
        "optimizer": {"name": "adam", "args": {"learning_rate": 0.05}}}, node_id="learner")
    wf.connect(previous, "output", "learner", "network")
    wf.connect("reader", "table", "learner", "training")
    wf.add_node("learn.NetworkExecutor", {"feature_columns": features}, node_id="executor")
    wf.connect("learner", "model", "executor", "model")
    wf.connect("reader", "table", "executor", "table")
    result, events = run(wf, tmp_path / "run")
    assert result.status == "executed", [e for e in events if e["event"] == "error"]
    logs = [e.get("message", "") for e in events if e["event"] == "log"]
    assert any("6,000 rows streamed into a file-backed table" in m for m in logs)
    assert any("training data: 6,000 rows, streamed from files in blocks" in m for m in logs)
    assert result.output("learner", "history")["accuracy"][-1] > 0.9

    predicted = result.output("executor", "table")
    assert isinstance(predicted, FileTable)
    assert output_path(tmp_path / "run", "executor", "table", "table").name == "table.table.json"
    model = result.output("learner", "model")
    table = result.output("reader", "table").materialize()
    x = np.stack([table[c] for c in features], axis=1).astype(np.float32)
    expected = model.predict(x, verbose=0)
    got = predicted.materialize()
    assert np.allclose(got["prediction_p1"], expected[:, 1], atol=1e-5)
    assert (got["label"] == table["label"]).all()  # the rows kept their order


def test_a_node_that_needs_all_rows_says_so_with_the_size(tmp_path, monkeypatch):
    folder = png_folder(tmp_path / "photos", per_class=3)
    wf = Workflow()
    wf.add_node("data.ImageFolderReader", {"path": str(folder), "target_size": [512, 512]}, node_id="reader")
    wf.add_node("data.Normalizer", {"columns": ["image"]}, node_id="scale")
    wf.connect("reader", "table", "scale", "table")
    monkeypatch.setenv("NODEFLOW_MEMORY_LIMIT_MIB", "4")
    result, _ = run(wf, tmp_path / "run")
    error = result.nodes["scale"].error
    assert error.startswith("node scale: table: this node needs the whole table in memory")
    # 6 x 512 x 512 x 3 uint8 = 4.5 MiB of images plus the label and path columns
    assert "6 rows (image, label, path) would take 5 MiB, but only 2 MiB can be used" in error


LIMITED = textwrap.dedent('''
    import os, sys
    os.environ["NODEFLOW_MEMORY_LIMIT_MIB"] = sys.argv[2]  # what NodeFlow may load at once
    from nodeflow.core.fileformat import load
    from nodeflow.runtime.engine import Engine
    result = Engine(load(sys.argv[1]), sys.argv[3]).run()
    print("STATUS", result.status)
    for node, r in result.nodes.items():
        if r.error:
            print("ERROR", r.error)
    # the peak of this process's own memory (VmHWM): getrusage's ru_maxrss would carry over
    # the peak of the pytest process this one was forked from, several GiB late in a suite
    with open("/proc/self/status") as status:
        peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print("PEAK_MIB", peak_kib // 1024)
''')


def test_images_larger_than_the_memory_limit_of_the_process_still_train(tmp_path):
    """8,000 images decoded to 256x256 RGB are 1.5 GiB as uint8 (6 GiB as the float32 the
    reader used to allocate at once).  With NodeFlow's memory limit set to 1 GiB in the child
    (a node loading them whole would fail), they train, and the child's peak resident memory
    stays far below the decoded size: the pipeline holds batches, not the table.  (An
    address-space limit, RLIMIT_AS, is not used: TensorFlow reserves address space it never
    touches and crashes when a thread cannot get its stack.)"""
    from PIL import Image

    from nodeflow.core.fileformat import save

    folder = tmp_path / "photos"
    for name, value in (("dark", 30), ("light", 220)):
        (folder / name).mkdir(parents=True)
        for i in range(4000):
            Image.new("RGB", (4, 4), (value, value, value)).save(folder / name / f"{i}.png")
    wf = labelled_images(folder, 256)
    previous = chain(wf, [
        ("keras.layers.Input", {"shape": [256, 256, 3]}),
        ("keras.layers.AveragePooling2D", {"pool_size": [32, 32]}),
        ("keras.layers.Flatten", {}),
        ("keras.layers.Rescaling", {"scale": 1 / 255}),
        ("keras.layers.Dense", {"units": 2, "activation": "softmax"}),
    ])
    wf.add_node("learn.NetworkLearner", {
        "feature_columns": ["image"], "target_columns": ["label"], "epochs": 1, "batch_size": 64,
        "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "seed": 1,
        "optimizer": {"name": "adam", "args": {"learning_rate": 0.05}}}, node_id="learner")
    wf.connect(previous, "output", "learner", "network")
    wf.connect("codes", "table", "learner", "training")
    save(wf, tmp_path / "big.nflow")
    script = tmp_path / "limited.py"
    script.write_text(LIMITED)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "big.nflow"), "1024",
                           str(tmp_path / "run")], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=900)
    assert "STATUS executed" in done.stdout, done.stdout + done.stderr[-3000:]
    peak = int(done.stdout.split("PEAK_MIB")[1].split()[0])
    # loaded whole, the decoded images alone would take 1,536 MiB on top of TensorFlow's
    # ~700 MiB; streamed, the process holds TensorFlow plus a few batches
    assert peak < 2100, f"peak resident memory {peak} MiB"
