"""The run controller's side of the protocol with the child process, with stand-in children
(small Python scripts) so every outcome is quick and certain: events, stray output, a failed
node, an invalid workflow, a crash, cancel before and after the runtime started, and a
runner kept waiting (warm) for the next run."""

import json
import sys
import textwrap

import pytest

from nodeflow.core import Workflow, loads
from nodeflow.gui.run_controller import RunController


class ScriptedController(RunController):
    """Runs a given Python script as the runner: the script sees the `nodeflow run` arguments
    the controller sends in ``sys.argv``, read from standard input as a runner reads them."""

    def __init__(self, script: str):
        super().__init__()
        self.script = RUNNER_PRELUDE + textwrap.dedent(script)
        self.args = None

    def runner_command(self):
        return ["-P", "-c", self.script]

    def command(self, snapshot, targets, device, base_dir):
        self.args = super().command(snapshot, targets, device, base_dir)
        return self.args


RUNNER_PRELUDE = """
import json as _json, sys as _sys
_sys.argv[1:] = _json.loads(_sys.stdin.readline())["argv"]
"""


def event(**fields):
    return json.dumps(fields)


def run(qtbot, controller, workflow=None, run_dir=None, targets=None):
    events, output, finished = [], [], []
    controller.event.connect(events.append)
    controller.output.connect(output.append)
    controller.finished.connect(lambda status, message: finished.append((status, message)))
    controller.start(workflow or Workflow(), run_dir, targets)
    qtbot.waitUntil(lambda: bool(finished), timeout=20000)
    assert not controller.running
    return events, output, finished[0]


def test_events_are_parsed_and_stray_output_goes_to_the_log(qtbot, tmp_path):
    script = f"""
        import sys
        print({event(event="run_started", nodes=["a"])!r})
        print("a library printing to stdout")
        print({event(event="node_status", node="a", status="executed")!r})
        sys.stderr.write("W tensorflow warning\\n")
        print({event(event="run_finished", status="executed")!r}, end="")  # no final newline
    """
    controller = ScriptedController(script)
    events, output, (status, message) = run(qtbot, controller, run_dir=tmp_path)
    assert [e["event"] for e in events] == ["run_started", "node_status", "run_finished"]
    assert "a library printing to stdout" in output and "W tensorflow warning" in output
    assert status == "executed" and message == "Run finished: every node executed."


def test_snapshot_and_arguments_reach_the_child(qtbot, tmp_path):
    workflow = Workflow()
    node = workflow.add_node("data.SampleDataSet", {"data_set": "wine"})
    workflow.base_dir = str(tmp_path / "project")
    controller = ScriptedController("import sys; sys.exit(0)")
    run(qtbot, controller, workflow, tmp_path / "run", targets=[node.id])
    snapshot = tmp_path / "run" / "control" / "workflow.nflow"
    assert loads(snapshot.read_text()).nodes[node.id].params == {"data_set": "wine"}
    args = controller.args
    assert args[args.index("--out") + 1] == str(tmp_path / "run")
    assert args[args.index("--base-dir") + 1] == str(tmp_path / "project")
    assert args[args.index("--node") + 1] == node.id
    assert args[args.index("--events") + 1] == "-"


def test_a_failed_node_is_named(qtbot, tmp_path):
    script = f"""
        import sys
        print({event(event="run_started", nodes=["learner_1"])!r})
        print({event(event="node_status", node="learner_1", status="failed", error="boom")!r})
        sys.exit(4)
    """
    _, _, (status, message) = run(qtbot, ScriptedController(script), run_dir=tmp_path)
    assert status == "failed" and "learner_1 failed" in message


def test_an_invalid_workflow_says_why(qtbot, tmp_path):
    script = """
        import sys
        sys.stderr.write("wf.nflow: node dense_1: units: expected an integer >= 1, got 0\\n")
        sys.exit(3)
    """
    _, _, (status, message) = run(qtbot, ScriptedController(script), run_dir=tmp_path)
    assert status == "invalid" and "dense_1: units" in message


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_crash_is_reported_with_the_last_words(qtbot, tmp_path):
    script = f"""
        import os, signal, sys
        print({event(event="run_started", nodes=["learner"])!r}, flush=True)
        print({event(event="node_status", node="learner", status="running")!r}, flush=True)
        sys.stderr.write("allocating a huge tensor\\n"); sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    """
    controller = ScriptedController(script)
    _, _, (status, message) = run(qtbot, controller, run_dir=tmp_path)
    assert status == "crashed"
    assert "killed" in message and "allocating a huge tensor" in message
    assert controller.node_states == {"learner": "running"}


def test_cancel_before_the_runtime_started_kills_the_child(qtbot, tmp_path):
    controller = ScriptedController("import time; time.sleep(60)")
    finished = []
    controller.finished.connect(lambda status, message: finished.append(status))
    controller.start(Workflow(), tmp_path)
    controller.cancel()
    qtbot.waitUntil(lambda: bool(finished), timeout=10000)
    assert finished == ["cancelled"]


def test_cancel_asks_a_started_runtime_through_the_control_file(qtbot, tmp_path):
    script = f"""
        import os, sys, time
        run_dir = sys.argv[sys.argv.index("--out") + 1]
        print({event(event="run_started", nodes=[])!r}, flush=True)
        for _ in range(1000):
            if os.path.exists(os.path.join(run_dir, "control", "cancel")):
                print({event(event="run_finished", status="cancelled")!r}, flush=True)
                sys.exit(130)
            time.sleep(0.01)
        sys.exit(0)
    """
    controller = ScriptedController(script)
    events, finished = [], []
    controller.event.connect(events.append)
    controller.finished.connect(lambda status, message: finished.append(status))
    controller.start(Workflow(), tmp_path)
    qtbot.waitUntil(lambda: bool(events), timeout=10000)
    controller.stop_learning()
    assert (tmp_path / "control" / "stop-learning").exists()
    controller.cancel()
    qtbot.waitUntil(lambda: bool(finished), timeout=10000)
    assert finished == ["cancelled"] and events[-1]["status"] == "cancelled"


def test_one_run_at_a_time(qtbot, tmp_path):
    controller = ScriptedController("import time; time.sleep(60)")
    controller.start(Workflow(), tmp_path)
    with pytest.raises(RuntimeError, match="already in progress"):
        controller.start(Workflow(), tmp_path)
    controller.kill()
    qtbot.waitUntil(lambda: not controller.running, timeout=10000)


# A stand-in warm runner: ready at once, then one run that reports what it saw.
WARM = """
import json, os, sys
print(json.dumps({"worker": "ready"}), flush=True)
sys.stderr.write("imported ahead\\n"); sys.stderr.flush()
argv = json.loads(sys.stdin.readline())["argv"]
print(json.dumps({"event": "run_started", "pid": os.getpid(), "argv": argv,
                  "gpus": os.environ.get("CUDA_VISIBLE_DEVICES")}), flush=True)
"""


class WarmController(RunController):
    def runner_command(self):
        return ["-P", "-c", WARM]


@pytest.fixture
def warm(qtbot):
    controller = WarmController()
    ready = []
    controller.warm.connect(lambda: ready.append(controller.warm_pid))
    controller.warm_up()
    qtbot.waitUntil(lambda: bool(ready), timeout=10000)
    yield controller, ready
    controller.shutdown()


def test_a_waiting_runner_takes_the_run_and_its_words_reach_the_log(warm, qtbot, tmp_path):
    controller, ready = warm
    events, output, (status, _) = run(qtbot, controller, run_dir=tmp_path)
    assert events[0]["pid"] == ready[0] and events[0]["argv"][:2] == ["run", str(tmp_path / "control" / "workflow.nflow")]
    assert "imported ahead" in output  # written while it waited: part of this run's log
    assert status == "executed"
    qtbot.waitUntil(lambda: len(ready) == 2, timeout=10000)  # the next one waits already
    assert ready[1] != ready[0]


def test_a_cpu_run_does_not_take_a_runner_that_sees_the_gpu(warm, qtbot, tmp_path):
    controller, ready = warm
    events, finished = [], []
    controller.event.connect(events.append)
    controller.finished.connect(lambda status, message: finished.append(status))
    controller.start(Workflow(), tmp_path, device="cpu")
    qtbot.waitUntil(lambda: bool(finished), timeout=20000)
    assert events[0]["pid"] != ready[0] and events[0]["gpus"] == ""
    assert events[0]["argv"][events[0]["argv"].index("--device") + 1] == "cpu"
