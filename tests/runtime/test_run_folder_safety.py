"""The run folder and its cache never serve wrong data and never write where they should not.

Planted links are replaced, not followed; a run killed between writing a node's outputs
and its state leaves nothing a later run reuses for another configuration; damaged
outputs are executed again; a data file rewritten in place is noticed; a full disk fails
the node cleanly; killed runs' temp files are removed by the next run.
"""

import errno
import json
import os
import shutil
import time

import pytest

from nodeflow.core import Workflow, save
from nodeflow.runtime import engine as engine_module
from nodeflow.runtime import fingerprint, storage
from nodeflow.runtime.engine import Engine, read_state
from nodeflow.runtime.fingerprint import node_keys
from nodeflow.runtime.memory import STREAM_ABOVE_ENV
from tests.runtime.conftest import mlp_workflow


@pytest.fixture(params=["in memory", "file-backed"])
def stored(request, monkeypatch):
    """The reader's table kept as an Arrow file, or (streamed) as a recipe over its rows file."""
    if request.param == "file-backed":
        monkeypatch.setenv(STREAM_ABOVE_ENV, "0")
        return ["table.table.json", "table.rows.arrow"]
    return ["table.arrow"]


def reader_workflow(csv_path, name=None):
    wf = Workflow()
    wf.base_dir = str(csv_path.parent)
    wf.add_node("data.CsvReader", {"path": name or csv_path.name}, node_id="reader")
    return wf


def run(wf, run_dir):
    events = []
    result = Engine(wf, run_dir, on_event=events.append).run()
    return result, events


def executed(events):
    return {e["node"]: ("cached" if e.get("cached") else "ran") for e in events
            if e["event"] == "node_status" and e["status"] == "executed"}


def hidden_temps(folder):
    return [os.path.join(root, name) for root, dirs, files in os.walk(folder)
            for name in dirs + files if name.startswith(".") and ".tmp" in name]


# -- links planted in a shipped run folder ----------------------------------------------
@pytest.mark.keras
def test_links_in_a_shipped_run_folder_never_redirect_writes(iris_numeric, tmp_path):
    outside = tmp_path / "victim"
    outside.mkdir()
    (outside / "folder").mkdir()
    run_dir = tmp_path / "runs" / "mlp"
    planted = ["events.jsonl", ".state.json.tmp", "nodes/reader/table.arrow", "nodes/reader/table.table.json",
               "nodes/reader/table.rows.arrow", "nodes/reader/.table.rows.arrow.tmp",
               "nodes/learner/model.keras", "nodes/learner/.model.tmp.keras",
               "nodes/learner/model.summary.json", "nodes/learner/history.arrow",
               "nodes/learner/.history.arrow.tmp", "nodes/learner/traceback.txt"]
    for i, name in enumerate(planted):
        marker = outside / f"marker{i}"
        marker.write_text("precious")
        (run_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (run_dir / name).symlink_to(marker)
    (run_dir / "nodes" / "learner" / "checkpoints").symlink_to(outside / "folder", target_is_directory=True)
    (run_dir / "nodes" / "learner" / "cache").symlink_to(outside / "folder", target_is_directory=True)
    (run_dir / "control").symlink_to(outside / "folder", target_is_directory=True)
    before = {p.name: p.read_bytes() for p in outside.iterdir() if p.is_file()}

    result, events = run(mlp_workflow(iris_numeric, epochs=1, cache="file"), run_dir)

    assert result.status == "executed", [e for e in events if e["event"] == "error"]
    assert {p.name: p.read_bytes() for p in outside.iterdir() if p.is_file()} == before
    assert list((outside / "folder").iterdir()) == []
    for name in ("events.jsonl", "state.json", "nodes/learner/model.keras"):
        assert not (run_dir / name).is_symlink() and (run_dir / name).is_file(), name
    # the node folders themselves, and nodes/, may be links too
    second = tmp_path / "runs" / "second"
    second.mkdir(parents=True)
    (second / "nodes").symlink_to(outside / "folder", target_is_directory=True)
    result, _ = run(reader_workflow(iris_numeric), second)
    assert result.status == "executed" and list((outside / "folder").iterdir()) == []
    third = tmp_path / "runs" / "third"
    (third / "nodes").mkdir(parents=True)
    (third / "nodes" / "reader").symlink_to(outside / "folder", target_is_directory=True)
    result, _ = run(reader_workflow(iris_numeric), third)
    assert result.status == "executed" and list((outside / "folder").iterdir()) == []


def test_a_cached_output_is_never_read_through_a_link(iris_numeric, tmp_path, stored):
    wf = reader_workflow(iris_numeric)
    run(wf, tmp_path / "run")
    node_dir = tmp_path / "run" / "nodes" / "reader"
    for name in stored:
        copy = tmp_path / f"outside-{name}"
        shutil.copy(node_dir / name, copy)
        (node_dir / name).unlink()
        (node_dir / name).symlink_to(copy)
        _, events = run(wf, tmp_path / "run")
        assert executed(events) == {"reader": "ran"}, name
        assert not (node_dir / name).is_symlink()


def test_a_run_folder_named_like_a_file_inside_is_refused_cleanly(iris_numeric, tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "nodes").mkdir(parents=True)
    (run_dir / "nodes" / "reader").write_text("not a folder")
    result, events = run(reader_workflow(iris_numeric), run_dir)
    assert result.status == "failed"
    error = [e["message"] for e in events if e["event"] == "error"][0]
    assert error.startswith("node reader:") and "found a file" in error
    assert str(run_dir / "nodes" / "reader") in error


# -- outputs and state are committed together ----------------------------------------------
class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no handler sees it."""


def test_a_run_killed_between_outputs_and_state_is_not_served_for_another_configuration(
        iris_numeric, tmp_path, monkeypatch):
    small = tmp_path / "small.csv"
    small.write_text("".join(iris_numeric.read_text().splitlines(keepends=True)[:11]))
    wf = reader_workflow(iris_numeric)
    assert run(wf, tmp_path / "run")[0].output("reader", "table").num_rows == 150

    def kill(*args):  # called after the outputs are written, before the state entry is
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(engine_module, "written_stamps", kill)
        with pytest.raises(Killed):
            run(reader_workflow(iris_numeric, small.name), tmp_path / "run")
    result, events = run(wf, tmp_path / "run")  # the first configuration again
    assert executed(events) == {"reader": "ran"}
    assert result.output("reader", "table").num_rows == 150
    _, events = run(wf, tmp_path / "run")
    assert executed(events) == {"reader": "cached"}


def test_state_names_the_commit_its_outputs_carry(iris_numeric, tmp_path, stored):
    wf = reader_workflow(iris_numeric)
    run(wf, tmp_path / "run")
    commit = json.loads((tmp_path / "run" / "nodes" / "reader" / "commit.json").read_text())
    assert read_state(tmp_path / "run")["reader"]["commit"] == commit["commit"]
    assert set(commit["files"]) == set(stored)


# -- damaged outputs ------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["truncate", "garbage"])
@pytest.mark.parametrize("which", [0, -1])
def test_a_damaged_cached_output_executes_its_producer_again(iris_numeric, tmp_path, stored, which, damage):
    wf = reader_workflow(iris_numeric)
    run(wf, tmp_path / "run")
    path = tmp_path / "run" / "nodes" / "reader" / stored[which]
    data = path.read_bytes()
    stat = path.stat()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"\x00garbage" * (len(data) // 8)
                     + b"\x00" * (len(data) % 8))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as if nothing had happened
    result, events = run(wf, tmp_path / "run")
    assert executed(events) == {"reader": "ran"}
    assert result.output("reader", "table").num_rows == 150
    (tmp_path / "run" / "nodes" / "reader" / "commit.json").unlink()  # sizes unknown: the format is checked
    path.write_bytes(path.read_bytes()[:-8] + b"\x00" * 8)
    _, events = run(wf, tmp_path / "run")
    assert executed(events) == {"reader": "ran"}


@pytest.mark.keras
def test_a_garbled_model_is_trained_again_instead_of_failing_its_consumer(iris_numeric, tmp_path):
    wf = mlp_workflow(iris_numeric, epochs=1)
    run(wf, tmp_path / "run")
    model = tmp_path / "run" / "nodes" / "learner" / "model.keras"
    size = model.stat().st_size
    model.write_bytes(b"\xff" * size)
    result, events = run(wf, tmp_path / "run")
    assert executed(events) == {"reader": "cached", "learner": "ran"}
    assert result.output("learner", "model").count_params() > 0


def test_is_valid_reads_each_format_cheaply(tmp_path):
    broken = tmp_path / "x.keras"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert not storage.is_valid(broken)
    text = tmp_path / "n.json"
    text.write_text('{"mean": [1')
    assert not storage.is_valid(text)
    text.write_text('{"mean": [1]}')
    assert storage.is_valid(text) and not storage.is_valid(text, root=tmp_path / "elsewhere")


# -- data files changed in place --------------------------------------------------------------------
def test_a_data_file_rewritten_with_the_same_size_and_time_is_noticed(iris_numeric, tmp_path):
    wf = reader_workflow(iris_numeric)
    first = run(wf, tmp_path / "run")[0].output("reader", "table")["sepal_length"][0]
    key = node_keys(wf)["reader"]
    stat = iris_numeric.stat()
    lines = iris_numeric.read_bytes().splitlines(keepends=True)
    lines[1] = b"9" + lines[1][1:]  # same length
    iris_numeric.write_bytes(b"".join(lines))
    os.utime(iris_numeric, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert iris_numeric.stat().st_size == stat.st_size
    assert node_keys(wf)["reader"] != key
    result, events = run(wf, tmp_path / "run")
    assert executed(events) == {"reader": "ran"}
    assert result.output("reader", "table")["sepal_length"][0] != first


def test_large_files_are_stamped_by_inode_and_change_time_without_reading_them(iris_numeric, monkeypatch):
    monkeypatch.setattr(fingerprint, "HASH_LIMIT", 10)
    read = []
    monkeypatch.setattr(fingerprint.hashlib, "file_digest", lambda *a: read.append(a))
    before = fingerprint.stamp(str(iris_numeric))
    stat = iris_numeric.stat()
    iris_numeric.write_bytes(iris_numeric.read_bytes().replace(b"5.1", b"5.2", 1))
    os.utime(iris_numeric, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert fingerprint.stamp(str(iris_numeric)) != before and read == []


def test_hashes_are_computed_once_per_unchanged_file_and_never_for_folders(iris_numeric, tmp_path,
                                                                           monkeypatch):
    calls = []
    digest = fingerprint.hashlib.file_digest
    monkeypatch.setattr(fingerprint.hashlib, "file_digest", lambda *a: calls.append(a) or digest(*a))
    monkeypatch.setattr(fingerprint, "_hashes", {})
    wf = reader_workflow(iris_numeric)
    first = node_keys(wf)
    assert node_keys(wf) == first and len(calls) == 1
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(5):
        (folder / f"{i}.png").write_bytes(b"x")
    fingerprint.stamp(str(folder))
    assert len(calls) == 1


# -- a full disk ------------------------------------------------------------------------------------
def no_space(monkeypatch):
    real = storage.open_new

    def open_new(path, *args, **kwargs):
        handle = real(path, *args, **kwargs)
        handle.write(b"half" if "b" in (args[0] if args else "w") else "half")
        handle.close()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(storage, "open_new", open_new)


def test_a_full_disk_fails_the_node_by_name_and_leaves_no_temp_files(iris_numeric, tmp_path, monkeypatch):
    no_space(monkeypatch)
    result, events = run(reader_workflow(iris_numeric), tmp_path / "run")
    assert result.status == "failed"
    error = [e["message"] for e in events if e["event"] == "error"]
    assert len(error) == 1 and error[0].startswith("node reader: no space left on device")
    assert hidden_temps(tmp_path / "run") == []
    assert not (tmp_path / "run" / "nodes" / "reader" / "traceback.txt").exists()


def test_a_full_disk_exits_4_without_a_traceback(iris_numeric, tmp_path, monkeypatch, capfd):
    from nodeflow.cli import main

    path = tmp_path / "reader.nflow"
    save(reader_workflow(iris_numeric), path)
    no_space(monkeypatch)
    assert main(["run", str(path), "--out", str(tmp_path / "run")]) == 4
    out, err = capfd.readouterr()
    assert "node reader: no space left on device" in out + err and "Traceback" not in out + err
    assert hidden_temps(tmp_path / "run") == []


# -- what killed runs left ----------------------------------------------------------------------------
def test_the_next_run_removes_stale_temp_files_of_killed_runs(iris_numeric, tmp_path):
    wf = reader_workflow(iris_numeric)
    wf.add_node("io.CsvWriter", {"path": "out/copy.csv", "if_exists": "overwrite"}, node_id="csv")
    wf.connect("reader", "table", "csv", "table")
    run_dir = tmp_path / "run"
    stale = [run_dir / ".state.json.tmp", run_dir / "nodes" / "reader" / ".table.rows.arrow.tmp",
             run_dir / "nodes" / "old" / ".x.tmp.keras", tmp_path / "out" / ".copy.csv.k2j3h4.tmp",
             tmp_path / "out" / ".copy.csv.a1b2.tmp" / "saved_model.pb"]
    kept = [tmp_path / "out" / ".notes.tmp", tmp_path / ".iris_numeric.csv.x.tmp",
            tmp_path / "out" / "copy.csvx"]
    for path in stale + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("left by a killed run")
    old = time.time() - 3600
    for path in stale + kept + [tmp_path / "out" / ".copy.csv.a1b2.tmp"]:
        os.utime(path, (old, old))
    result, _ = run(wf, run_dir)
    assert result.status == "executed"
    assert [p for p in stale if p.exists()] == []
    assert not (tmp_path / "out" / ".copy.csv.a1b2.tmp").exists()
    assert all(p.exists() for p in kept)
    assert (tmp_path / "out" / "copy.csv").exists()


def test_a_run_removes_what_a_killed_save_of_its_workflow_left(iris_numeric, tmp_path):
    from nodeflow.cli import main

    path = tmp_path / "reader.nflow"
    save(reader_workflow(iris_numeric), path)
    stale, other = tmp_path / ".reader.nflow.x8f2k1.tmp", tmp_path / ".other.nflow.x8f2k1.tmp"
    for leftover in (stale, other):
        leftover.write_text("half a save")
        os.utime(leftover, (time.time() - 60, time.time() - 60))
    assert main(["run", str(path), "--out", str(tmp_path / "run"), "-q"]) == 0
    assert not stale.exists() and other.exists()
