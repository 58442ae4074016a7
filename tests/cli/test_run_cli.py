"""`nodeflow run`: exit codes, --set, the event stream, Ctrl-C."""

import json
import signal
import subprocess
import sys

import pytest

from nodeflow.core import save
from tests.runtime.conftest import iris_numeric, mlp_workflow  # noqa: F401 - fixture

pytestmark = pytest.mark.keras


def nodeflow(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nodeflow", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


@pytest.fixture
def workflow_file(iris_numeric, tmp_path):  # noqa: F811
    path = tmp_path / "mlp.nflow"
    save(mlp_workflow(iris_numeric, epochs=3), path)
    return path


def test_a_run_trains_and_reports_each_epoch(workflow_file, tmp_path):
    result = nodeflow("run", str(workflow_file), "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "reader (CSV Reader): running" in lines
    assert any(line.startswith("learner: epoch 3/3  loss ") for line in lines)
    assert lines[-1].startswith("learner (Keras Network Learner): executed")
    assert (tmp_path / "run" / "nodes" / "learner" / "model.keras").exists()


def test_set_overrides_and_events_as_json_lines(workflow_file, tmp_path):
    result = nodeflow("run", str(workflow_file), "--out", str(tmp_path / "run"), "--events", "-",
                      "--set", "learner.epochs=2", "--set", "learner.metrics=[]")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["event"] == "run_started"
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [1, 2]
    assert "accuracy" not in next(e for e in events if e["event"] == "epoch")["metrics"]
    assert events[-1] == {**events[-1], "event": "run_finished", "status": "executed"}
    assert "learner: epoch 2/2" in result.stderr  # the human lines moved to stderr


def test_exit_codes(workflow_file, tmp_path):
    out = ["--out", str(tmp_path / "run")]
    bad_value = nodeflow("run", str(workflow_file), *out, "--set", "learner.epochs=-1")
    assert bad_value.returncode == 3
    assert "node learner: epochs: expected an integer >= 1 and <= 1000000, got -1" in bad_value.stderr
    unknown = nodeflow("run", str(workflow_file), *out, "--set", "lerner.epochs=2")
    assert unknown.returncode == 2 and "the workflow has no node lerner" in unknown.stderr
    assert nodeflow("run", str(workflow_file), *out, "--set", "epochs").returncode == 2
    assert nodeflow("run", str(tmp_path / "missing.nflow")).returncode == 3
    failing = nodeflow("run", str(workflow_file), *out, "--set", 'reader.path="nowhere.csv"')
    assert failing.returncode == 4
    assert "node reader: path: expected an existing CSV file, got " in failing.stderr
    assert "learner (Keras Network Learner): skipped" in failing.stdout


def test_ctrl_c_cancels_with_exit_code_130(workflow_file, tmp_path):
    """The run ends with its final events and state written, and exit code 130.  (It exits
    without the interpreter's slow teardown of TensorFlow; bench/ measures how fast.)"""
    events_path = tmp_path / "events.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "nodeflow", "run", str(workflow_file), "--out", str(tmp_path / "run"),
         "--set", "learner.epochs=1000", "--set", "learner.batch_size=2", "--events", str(events_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:
        if "epoch 1/1000" in line:
            break
    process.send_signal(signal.SIGINT)
    rest, errors = process.communicate(timeout=120)
    assert process.returncode == 130, errors
    assert "cancelling" in errors and "learner (Keras Network Learner): cancelled" in rest
    events = [json.loads(line) for line in events_path.read_text().splitlines()]
    assert {"event": "node_status", "node": "learner", "status": "cancelled"}.items() <= events[-2].items()
    assert events[-1]["event"] == "run_finished" and events[-1]["status"] == "cancelled"
    state = json.loads((tmp_path / "run" / "state.json").read_text())["nodes"]
    assert "reader" in state and "learner" not in state  # what finished is kept, nothing half done


@pytest.mark.parametrize("sets, code", [([], 0), (["learner.target_columns=[\"sepal_length\"]"], 4)])
def test_a_run_that_loaded_tensorflow_ends_with_exit_handlers_run_and_its_exit_code(
        workflow_file, tmp_path, sets, code):
    """nodeflow then leaves without the interpreter's teardown (about a second of tearing
    TensorFlow down); what the interpreter does first still happens: exit handlers run,
    output is flushed, and the exit code is the run's (4: the learner failed in training)."""
    marker = tmp_path / "exit-handler.txt"
    program = ("import atexit, sys\n"
               f"atexit.register(lambda: open({str(marker)!r}, 'w').write('ran'))\n"
               "sys.stdout.write('written before the run, never flushed\\n')\n"
               "from nodeflow.cli import main\n"
               "main()\n"
               "raise SystemExit('main returned instead of ending the process')\n")
    args = ["run", str(workflow_file), "--out", str(tmp_path / "run")]
    for value in sets:
        args += ["--set", value]
    result = subprocess.run([sys.executable, "-c", program, *args], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == code, result.stderr
    assert marker.read_text() == "ran"
    assert result.stdout.startswith("written before the run, never flushed")
    if code == 0:
        assert "learner (Keras Network Learner): executed" in result.stdout
    else:
        assert "node learner: target_columns: sparse_categorical_crossentropy expects whole class" in result.stderr
    assert "main returned" not in result.stderr


def test_node_runs_only_what_it_needs_and_base_dir_resolves_paths(workflow_file, tmp_path):
    """What the editor's Execute Selected sends: a snapshot stored elsewhere, with --base-dir
    pointing at the workflow's own folder and --node naming the selection."""
    snapshot = tmp_path / "elsewhere" / "snapshot.nflow"
    snapshot.parent.mkdir()
    snapshot.write_text(workflow_file.read_text())  # relative paths now point nowhere
    result = nodeflow("run", str(snapshot), "--out", str(tmp_path / "run"), "--events", "-",
                      "--node", "reader", "--base-dir", str(workflow_file.parent))
    assert result.returncode == 0, result.stderr
    ran = {e["node"] for e in map(json.loads, result.stdout.splitlines()) if e["event"] == "node_status"}
    assert ran == {"reader"}
    without = nodeflow("run", str(snapshot), "--out", str(tmp_path / "run2"), "--node", "reader")
    assert without.returncode == 4 and "iris_numeric.csv" in without.stdout + without.stderr
    unknown = nodeflow("run", str(workflow_file), "--node", "nope")
    assert unknown.returncode == 2 and "--node nope" in unknown.stderr


def test_node_runs_even_when_an_unrelated_node_is_invalid(iris_numeric, tmp_path):  # noqa: F811
    """Only what the target needs must be valid, as in the editor's Execute Selected."""
    wf = mlp_workflow(iris_numeric)
    wf.add_node("learn.NetworkLearner", node_id="stray")  # half-wired, elsewhere on the canvas
    path = tmp_path / "stray.nflow"
    save(wf, path)
    result = nodeflow("run", str(path), "--out", str(tmp_path / "run"), "--node", "reader")
    assert result.returncode == 0, result.stderr
    assert "reader (CSV Reader): executed" in result.stdout and "stray" not in result.stdout + result.stderr
    whole = nodeflow("run", str(path), "--out", str(tmp_path / "run"))
    assert whole.returncode == 3 and "node stray: " in whole.stderr


def test_a_layers_only_workflow_says_there_is_nothing_to_execute(tmp_path):
    from nodeflow.core import Workflow

    wf = Workflow()
    wf.add_node("keras.layers.Input", {"shape": [4]}, node_id="input_1")
    wf.add_node("keras.layers.Dense", {"units": 2}, node_id="dense_1")
    wf.connect("input_1", "output", "dense_1", "input")
    path = tmp_path / "layers.nflow"
    save(wf, path)
    result = nodeflow("run", str(path), "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (f"{path}: nothing to execute: layer nodes run inside the learner "
                                     "that uses them")
    assert not (tmp_path / "run").exists()


def test_a_writer_reports_what_it_wrote_once(iris_numeric, tmp_path):  # noqa: F811
    wf = mlp_workflow(iris_numeric, epochs=1)
    wf.add_node("io.KerasModelWriter", {"path": "out/iris.keras"}, node_id="writer")
    wf.connect("learner", "model", "writer", "model")
    path = tmp_path / "writer.nflow"
    save(wf, path)
    result = nodeflow("run", str(path), "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    target = tmp_path / "out" / "iris.keras"
    assert [line for line in result.stdout.splitlines() if str(target) in line] == [
        f"writer (Keras Model Writer): wrote {target}"]
