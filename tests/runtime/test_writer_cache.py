"""Writers are reused like other nodes while the files they wrote are as they left them.

A fully cached `nodeflow run` therefore neither rewrites the model nor imports TensorFlow;
deleting or touching what a writer wrote makes it run again.
"""

import json
import os
import subprocess
import sys

import pytest

from nodeflow.core import save
from tests.conftest import ROOT
from tests.runtime.conftest import iris_numeric, mlp_workflow  # noqa: F401 - the fixture

pytestmark = pytest.mark.keras


def writer_workflow(csv_path):
    wf = mlp_workflow(csv_path, epochs=2)
    wf.add_node("io.KerasModelWriter", {"path": "out/model.keras", "overwrite": "overwrite"}, node_id="writer")
    wf.add_node("io.SavedModelWriter", {"path": "out/saved", "overwrite": "overwrite"}, node_id="export")
    wf.add_node("io.CsvWriter", {"path": "out/history.csv", "if_exists": "overwrite"}, node_id="csv")
    wf.connect("learner", "model", "writer", "model")
    wf.connect("learner", "model", "export", "model")
    wf.connect("learner", "history", "csv", "table")
    return wf


def nodeflow_run(path, tmp_path):
    """``nodeflow run`` in a child process: (node -> "ran" / "cached", whether TensorFlow was imported)."""
    events = tmp_path / "events.jsonl"
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "nodeflow", "run", str(path),
                           "--events", str(events), "-q"],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    nodes = {}
    for line in events.read_text().splitlines():
        event = json.loads(line)
        if event["event"] == "node_status" and event["status"] == "executed":
            nodes[event["node"]] = "cached" if event.get("cached") else "ran"
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    return nodes, "tensorflow" in imported


def test_a_fully_cached_run_rewrites_nothing_and_imports_no_tensorflow(iris_numeric, tmp_path):  # noqa: F811
    path = tmp_path / "train.nflow"
    save(writer_workflow(iris_numeric), path)
    nodes, tensorflow = nodeflow_run(path, tmp_path)
    assert nodes == {"reader": "ran", "learner": "ran", "writer": "ran", "export": "ran", "csv": "ran"}
    assert tensorflow
    model = tmp_path / "out" / "model.keras"
    written = model.stat().st_mtime_ns

    nodes, tensorflow = nodeflow_run(path, tmp_path)
    assert set(nodes.values()) == {"cached"}
    assert not tensorflow
    assert model.stat().st_mtime_ns == written  # not written again

    model.unlink()  # the user deleted one output: that writer runs again, and only it
    (tmp_path / "out" / "history.csv").write_text("edited by hand\n")  # another was changed
    nodes, _ = nodeflow_run(path, tmp_path)
    assert nodes["writer"] == "ran" and model.exists()
    assert nodes["export"] == "cached" and nodes["learner"] == "cached"
    assert nodes["csv"] == "ran"
    assert (tmp_path / "out" / "history.csv").read_text().startswith('"epoch"')


def test_a_file_inside_a_written_folder_counts(iris_numeric, tmp_path):  # noqa: F811
    """A SavedModel folder is as its writer left it only while no file in it changed."""
    from nodeflow.runtime.engine import Engine

    wf = writer_workflow(iris_numeric)
    for node in ("writer", "csv"):
        wf.remove_node(node)
    run_dir = tmp_path / "run"
    Engine(wf, run_dir).run()
    assert Engine(wf, run_dir).run().nodes["export"].cached
    inside = tmp_path / "out" / "saved" / "saved_model.pb"
    os.utime(inside, ns=(inside.stat().st_atime_ns, inside.stat().st_mtime_ns + 10**9))
    again = Engine(wf, run_dir).run()
    assert not again.nodes["export"].cached and again.nodes["learner"].cached
