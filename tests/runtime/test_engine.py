"""The runtime: order, statuses, outputs in the run directory, reuse, failures, cancel, stop."""

import threading
import time

import numpy as np
import pytest

from nodeflow.runtime.context import RunControl
from nodeflow.runtime.engine import Engine, WorkflowInvalid
from tests.runtime.conftest import mlp_workflow

pytestmark = pytest.mark.keras


def run(wf, run_dir, **kwargs):
    events = []
    result = Engine(wf, run_dir, on_event=events.append, **kwargs).run()
    return result, events


def statuses(events):
    return [(e["node"], e["status"]) for e in events if e["event"] == "node_status"]


def test_nodes_run_in_order_and_outputs_land_in_the_run_directory(iris_numeric, tmp_path):
    result, events = run(mlp_workflow(iris_numeric), tmp_path / "run")
    assert result.status == "executed"
    assert statuses(events) == [("reader", "queued"), ("learner", "queued"), ("reader", "running"),
                                ("reader", "executed"), ("learner", "running"), ("learner", "executed")]
    history = result.output("learner", "history")
    assert list(history["epoch"]) == [1, 2, 3, 4, 5]
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [1, 2, 3, 4, 5]
    assert any(e["event"] == "batch" for e in events)
    for name in ("nodes/reader/table.arrow", "nodes/learner/model.keras", "nodes/learner/history.arrow",
                 "events.jsonl", "state.json"):
        assert (tmp_path / "run" / name).exists(), name


def test_unchanged_nodes_are_not_executed_again(iris_numeric, tmp_path):
    wf = mlp_workflow(iris_numeric, epochs=2)
    run(wf, tmp_path / "run")
    result, events = run(wf, tmp_path / "run")
    assert [e.get("cached") for e in events if e["event"] == "node_status" and e["status"] == "executed"] \
        == [True, True]
    assert result.output("learner", "history").num_rows == 2  # loaded from the run directory
    wf.set_param("hidden", "units", 8)  # a layer upstream of the learner changed
    _, events = run(wf, tmp_path / "run")
    executed = {e["node"]: e.get("cached", False) for e in events
                if e["event"] == "node_status" and e["status"] == "executed"}
    assert executed == {"reader": True, "learner": False}
    _, events = run(wf, tmp_path / "run", use_cache=False)
    assert not any(e.get("cached") for e in events)


def test_same_seed_same_history_on_cpu(iris_numeric, tmp_path):
    first, _ = run(mlp_workflow(iris_numeric, epochs=3), tmp_path / "a", use_cache=False)
    second, _ = run(mlp_workflow(iris_numeric, epochs=3), tmp_path / "b", use_cache=False)
    np.testing.assert_array_equal(first.output("learner", "history")["loss"],
                                  second.output("learner", "history")["loss"])


def test_a_failure_names_the_node_and_skips_what_depends_on_it(iris_numeric, tmp_path):
    wf = mlp_workflow(iris_numeric)
    wf.set_param("learner", "feature_columns", ["sepal_length", "petal_lenght"])
    result, events = run(wf, tmp_path / "run")
    assert result.status == "failed"
    assert result.nodes["learner"].error == (
        "node learner: feature_columns: no column 'petal_lenght'; the table has: "
        "sepal_length, sepal_width, petal_length, petal_width, species")
    assert [e["message"] for e in events if e["event"] == "error"] == [result.nodes["learner"].error]


def test_invalid_workflows_do_not_start(iris_numeric, tmp_path):
    wf = mlp_workflow(iris_numeric)
    wf.set_param("learner", "epochs", 0, check=False)
    with pytest.raises(WorkflowInvalid) as exc:
        run(wf, tmp_path / "run")
    assert str(exc.value.problems[0]) == "node learner: epochs: expected an integer >= 1 and <= 1000000, got 0"


def _run_in_thread(wf, run_dir, control):
    events, box = [], {}

    def target():
        box["result"] = Engine(wf, run_dir, on_event=events.append, control=control).run()

    thread = threading.Thread(target=target)
    thread.start()
    return thread, events, box


def _wait_for(events, predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(predicate(e) for e in list(events)):
            return
        time.sleep(0.02)
    raise AssertionError("event never came")


def test_cancel_stops_training_within_about_a_second(iris_numeric, tmp_path):
    control = RunControl()
    wf = mlp_workflow(iris_numeric, epochs=500, batch_size=2)
    thread, events, box = _run_in_thread(wf, tmp_path / "run", control)
    _wait_for(events, lambda e: e["event"] == "epoch")
    asked = time.perf_counter()
    control.cancel.set()
    thread.join(30)
    assert time.perf_counter() - asked < 1.5
    assert box["result"].status == "cancelled"
    assert box["result"].nodes["learner"].status == "cancelled"


def test_stop_learning_keeps_the_model_trained_so_far(iris_numeric, tmp_path):
    control = RunControl()
    wf = mlp_workflow(iris_numeric, epochs=500, batch_size=2)
    thread, events, box = _run_in_thread(wf, tmp_path / "run", control)
    _wait_for(events, lambda e: e["event"] == "epoch" and e["epoch"] >= 2)
    (tmp_path / "run" / "control").mkdir(exist_ok=True)
    (tmp_path / "run" / "control" / "stop-learning").touch()  # how the editor asks
    thread.join(30)
    result = box["result"]
    assert result.status == "executed"
    epochs = result.output("learner", "history").num_rows
    assert 2 <= epochs < 500
    assert (tmp_path / "run" / "nodes" / "learner" / "model.keras").exists()
    assert any(e["event"] == "log" and "stop requested" in e["message"] for e in events)


def test_a_cancel_file_cancels_like_ctrl_c(iris_numeric, tmp_path):
    """The editor cancels a run in a child process by creating <run>/control/cancel."""
    wf = mlp_workflow(iris_numeric, epochs=500, batch_size=2)
    thread, events, box = _run_in_thread(wf, tmp_path / "run", RunControl())
    _wait_for(events, lambda e: e["event"] == "epoch")
    (tmp_path / "run" / "control").mkdir(exist_ok=True)
    (tmp_path / "run" / "control" / "cancel").touch()
    thread.join(30)
    assert box["result"].nodes["learner"].status == "cancelled"


def test_stale_request_files_do_not_stop_the_next_run(iris_numeric, tmp_path):
    control_dir = tmp_path / "run" / "control"
    control_dir.mkdir(parents=True)
    (control_dir / "cancel").touch()  # left by a run that was killed
    (control_dir / "stop-learning").touch()
    result, events = run(mlp_workflow(iris_numeric, epochs=3), tmp_path / "run")
    assert result.status == "executed"
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [1, 2, 3]


def test_failures_and_resets_are_kept_in_the_run_directory(iris_numeric, tmp_path):
    """A failure is remembered with the node's fingerprint (the editor shows it after
    reopening); reset_nodes forgets outputs so the next run executes the node again."""
    from nodeflow.runtime.engine import read_state, reset_nodes

    wf = mlp_workflow(iris_numeric, epochs=2, loss="binary_crossentropy")
    run(wf, tmp_path / "run")
    state = read_state(tmp_path / "run")
    assert "error" not in state["reader"] and "node learner" in state["learner"]["error"]
    wf.set_param("learner", "loss", "sparse_categorical_crossentropy", check=False)
    result, _ = run(wf, tmp_path / "run")
    assert result.nodes["learner"].status == "executed" and result.nodes["reader"].cached
    summary = (tmp_path / "run" / "nodes" / "learner" / "model.summary.json").read_text()
    assert '"class": "Dense"' in summary and '"params": 131' in summary
    assert reset_nodes(tmp_path / "run", ["reader", "learner", "input_1"]) == ["reader", "learner"]
    assert read_state(tmp_path / "run") == {}
    assert not (tmp_path / "run" / "nodes" / "learner").exists()
    result, events = run(wf, tmp_path / "run")
    assert ("reader", "running") in statuses(events)
