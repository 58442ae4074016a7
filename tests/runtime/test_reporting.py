"""What `nodeflow run` prints in a log or pipe: one line per status, epoch and written file."""

import io

from nodeflow.runtime.reporting import PlainReporter
from tests.runtime.conftest import mlp_workflow


def report(wf, events):
    out, err = io.StringIO(), io.StringIO()
    reporter = PlainReporter(wf, out=out, err=err)
    for event in events:
        reporter(event)
    return out.getvalue().splitlines(), err.getvalue().splitlines()


def epoch(n, seconds, epochs=4):
    return {"event": "epoch", "node": "learner", "epoch": n, "epochs": epochs, "metrics": {"loss": 0.5},
            "seconds": seconds}


def test_epoch_lines_carry_the_eta_of_the_mean_epoch_time(iris_numeric):
    lines, _ = report(mlp_workflow(iris_numeric), [
        {"event": "node_status", "node": "learner", "status": "running"},
        epoch(1, 30.0),  # tracing and compiling made the first epoch slow
        epoch(2, 10.0),
        epoch(3, 10.0),
    ])
    assert lines[1:] == ["learner: epoch 1/4  loss 0.5  (30.0s, ETA 1:30)",
                         "learner: epoch 2/4  loss 0.5  (10.0s, ETA 0:20)",  # the first one left out
                         "learner: epoch 3/4  loss 0.5  (10.0s, ETA 0:10)"]


def test_a_written_file_is_one_line_and_stored_outputs_none(iris_numeric):
    wf = mlp_workflow(iris_numeric)
    wf.add_node("io.KerasModelWriter", {"path": "m.keras"}, node_id="writer")
    lines, errors = report(wf, [
        {"event": "output", "node": "learner", "port": "model", "path": "/run/nodes/learner/model.keras",
         "stored": True},
        {"event": "output", "node": "writer", "port": "model", "path": "/out/m.keras", "format": "keras"},
        {"event": "error", "node": "writer", "message": "node writer: path: exists"},
    ])
    assert lines == ["writer (Keras Model Writer): wrote /out/m.keras"]
    assert errors == ["node writer: path: exists"]


def test_the_device_line_names_the_strategy_and_replicas_of_several_devices(iris_numeric):
    lines, _ = report(mlp_workflow(iris_numeric), [
        {"event": "device", "node": "learner", "device": "GPU:0,GPU:1", "strategy": "MirroredStrategy",
         "replicas": 2},
        {"event": "device", "node": "learner", "device": "CPU:0", "strategy": None, "replicas": 1},
    ])
    name = "learner (Keras Network Learner)"
    assert lines[-2:] == [f"{name}: training on GPU:0,GPU:1 · MirroredStrategy, 2 replicas",
                          f"{name}: training on CPU:0"]
