"""`nodeflow run` stopped from outside (SIGTERM) and given an --out it cannot use."""

import json
import signal
import subprocess
import sys

import pytest

from nodeflow.cli import main
from nodeflow.core import save
from tests.runtime.conftest import iris_numeric, mlp_workflow  # noqa: F401 - fixture


@pytest.fixture
def workflow_file(iris_numeric, tmp_path):  # noqa: F811
    path = tmp_path / "mlp.nflow"
    save(mlp_workflow(iris_numeric, epochs=3), path)
    return path


@pytest.mark.keras
def test_sigterm_stops_the_run_cleanly_with_exit_code_143(workflow_file, tmp_path):
    """As Ctrl-C: the learner is cancelled, the final events and the state are written."""
    process = subprocess.Popen(
        [sys.executable, "-m", "nodeflow", "run", str(workflow_file), "--out", str(tmp_path / "run"),
         "--set", "learner.epochs=1000", "--set", "learner.batch_size=2", "--events", "-", "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    events = []
    for line in process.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "epoch":  # the learner is training
            break
    process.send_signal(signal.SIGTERM)
    rest, errors = process.communicate(timeout=120)
    events += [json.loads(line) for line in rest.splitlines()]
    assert process.returncode == 143, errors
    assert "terminated (SIGTERM)" in errors and "Traceback" not in errors
    assert {"event": "node_status", "node": "learner", "status": "cancelled"}.items() <= events[-2].items()
    assert events[-1]["event"] == "run_finished" and events[-1]["status"] == "cancelled"
    written = [json.loads(line) for line in (tmp_path / "run" / "events.jsonl").read_text().splitlines()]
    assert written[-1]["event"] == "run_finished" and written[-1]["status"] == "cancelled"
    state = json.loads((tmp_path / "run" / "state.json").read_text())["nodes"]
    assert "reader" in state and "learner" not in state


@pytest.mark.parametrize("out", ["file.txt", "file.txt/run"])
def test_out_naming_an_existing_file_is_a_usage_error(workflow_file, tmp_path, capsys, out):
    (tmp_path / "file.txt").write_text("keep me")
    assert main(["run", str(workflow_file), "--out", str(tmp_path / out)]) == 2
    err = capsys.readouterr().err
    assert "argument --out: expected a folder" in err and "Traceback" not in err
    assert (tmp_path / "file.txt").read_text() == "keep me"
