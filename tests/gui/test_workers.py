"""The editor's worker processes: the shape worker behind live shapes and the warm runner
behind Execute.  Protocol cases use stand-in workers (small scripts) so that every
outcome is certain; the others start the real ones (TensorFlow import included)."""

import io
import json
import os
import signal
import sys
import textwrap

import pytest

from nodeflow.core import Workflow, load
from nodeflow.gui.live_shapes import LiveShapes, ShapeWorker, ShapeWorkerError
from nodeflow.gui.run_controller import RunController
from tests.conftest import WORKFLOWS

TIMEOUT_MS = 180_000

# A stand-in shape worker: answers each request for a workflow whose Input has shape [k]
# with one node "n<k>", after writing a file "got-<k>"; for k == 1 it first waits for "go".
STAND_IN = textwrap.dedent("""
    import json, os, sys, time
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("forget"):
            continue
        k = json.loads(request["workflow"])["nodes"][0]["params"]["shape"][0]
        open(f"got-{k}", "w").close()
        while k == 1 and not os.path.exists("go"):
            time.sleep(0.01)
        node = {"id": f"n{k}", "type": "t", "outputs": {"output": [[None, k]]}, "params": 0,
                "error": None, "skipped": False}
        print(json.dumps({"client": request["client"], "revision": request["revision"],
                          "report": {"nodes": [node], "problems": []}}), flush=True)
""")


def tagged(k: int) -> Workflow:
    workflow = Workflow()
    workflow.add_node("keras.layers.Input", {"shape": [k]})
    return workflow


@pytest.fixture
def stand_in(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    worker = ShapeWorker(command=["-c", STAND_IN])
    yield worker
    worker.stop()


def collect(shapes):
    results = []
    shapes.updated.connect(results.append)
    return results


def test_only_the_latest_revision_is_shown(stand_in, qtbot, tmp_path):
    shapes = LiveShapes(worker=stand_in, delay_ms=0)
    results = collect(shapes)
    shapes.request(tagged(1))
    qtbot.waitUntil(lambda: (tmp_path / "got-1").exists(), timeout=20000)
    shapes.request(tagged(2))  # the worker is busy: these wait, the last one wins
    shapes.request(tagged(3))
    (tmp_path / "go").touch()
    qtbot.waitUntil(lambda: bool(results), timeout=20000)
    assert [list(r.nodes) for r in results] == [["n3"]]
    assert not (tmp_path / "got-2").exists()  # never sent: it was stale before its turn
    assert results[0].nodes["n3"].outputs == {"output": [(None, 3)]}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_dead_worker_is_reported_and_replaced(stand_in, qtbot, tmp_path):
    shapes = LiveShapes(worker=stand_in, delay_ms=0)
    results = collect(shapes)
    shapes.request(tagged(1))
    qtbot.waitUntil(lambda: (tmp_path / "got-1").exists(), timeout=20000)
    first_pid = stand_in.pid
    os.kill(first_pid, signal.SIGKILL)  # as the system's out-of-memory killer would
    qtbot.waitUntil(lambda: bool(results), timeout=20000)
    assert isinstance(results[0], ShapeWorkerError) and "killed" in str(results[0])

    shapes.request(tagged(4))
    qtbot.waitUntil(lambda: len(results) == 2, timeout=20000)
    assert list(results[1].nodes) == ["n4"]
    assert stand_in.pid not in (None, first_pid)


def test_a_stopped_document_gets_no_more_answers(stand_in, qtbot, tmp_path):
    shapes = LiveShapes(worker=stand_in, delay_ms=0)
    other = LiveShapes(worker=stand_in, delay_ms=0)
    results, other_results = collect(shapes), collect(other)
    shapes.request(tagged(1))
    qtbot.waitUntil(lambda: (tmp_path / "got-1").exists(), timeout=20000)
    shapes.stop()
    other.request(tagged(5))
    (tmp_path / "go").touch()
    qtbot.waitUntil(lambda: bool(other_results), timeout=20000)
    assert results == [] and list(other_results[0].nodes) == ["n5"]


def test_the_status_bar_says_when_shapes_cannot_be_had(qtbot, tmp_path, monkeypatch):
    """A worker that dies on its first request: the editor says so and stays usable."""
    from PySide6.QtCore import QSettings

    from nodeflow.gui.main_window import MainWindow

    monkeypatch.chdir(tmp_path)
    dying = ShapeWorker(command=["-c", "import json, sys; print(json.dumps({'ready': True}), flush=True); "
                                       "sys.stdin.readline(); sys.stderr.write('out of memory\\n'); sys.exit(3)"])
    monkeypatch.setattr(ShapeWorker, "_shared", dying)
    window = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: "Shape inference failed" in window.statusBar().currentMessage(), timeout=20000)
    assert "exited with code 3 (out of memory)" in window.statusBar().currentMessage()
    window.document.undo_stack.setClean()
    window.close()
    dying.stop()


# -- real workers -------------------------------------------------------------------------
@pytest.mark.keras
def test_the_shape_worker_answers_every_request_in_order():
    from nodeflow.core import dumps
    from nodeflow.keras.shape_worker import serve

    iris = load(WORKFLOWS / "iris_mlp.nflow")
    requests = [{"client": 1, "revision": 1, "workflow": dumps(iris), "base_dir": iris.base_dir},
                {"client": 1, "revision": 2, "workflow": "{not a workflow", "base_dir": None},
                {"client": 1, "forget": True},
                {"client": 2, "revision": 3, "workflow": dumps(tagged(7)), "base_dir": None}]
    out = io.StringIO()
    serve(io.StringIO("".join(json.dumps(r) + "\n" for r in requests)), out)
    ready, first, second, third = [json.loads(line) for line in out.getvalue().splitlines()]
    assert ready["ready"] is True
    assert first["revision"] == 1 and first["report"]["total_params"] > 0
    assert second["revision"] == 2 and "report" not in second and second["error"]
    assert third["client"] == 2 and third["report"]["nodes"][0]["outputs"] == {"output": [[None, 7]]}


def small_run() -> Workflow:
    workflow = Workflow()
    workflow.add_node("data.SampleDataSet", {"data_set": "iris"})
    return workflow


def run(qtbot, controller, workflow, run_dir):
    events, finished = [], []
    controller.event.connect(events.append)
    controller.finished.connect(lambda status, message: finished.append((status, message)))
    controller.start(workflow, run_dir)
    pid = controller.process.processId()
    qtbot.waitUntil(lambda: bool(finished), timeout=TIMEOUT_MS)
    return pid, [e["event"] for e in events], finished[0]


@pytest.fixture
def warm_controller(qtbot):
    controller = RunController()
    warm = []
    controller.warm.connect(lambda: warm.append(controller.warm_pid))
    controller.warm_up()
    yield controller, warm
    controller.shutdown()


@pytest.mark.slow
def test_the_warm_runner_serves_two_runs_in_a_row(warm_controller, qtbot, tmp_path):
    controller, warm = warm_controller
    qtbot.waitUntil(lambda: len(warm) == 1, timeout=TIMEOUT_MS)
    pid, events, (status, _) = run(qtbot, controller, small_run(), tmp_path / "first")
    assert pid == warm[0]  # the run went to the runner that was waiting
    assert status == "executed" and events[0] == "run_started" and events[-1] == "run_finished"

    qtbot.waitUntil(lambda: len(warm) == 2, timeout=TIMEOUT_MS)  # a fresh one waits already
    second = small_run()
    second.set_param("sample_data_set_1", "data_set", "wine", check=False)
    pid, events, (status, _) = run(qtbot, controller, second, tmp_path / "second")
    assert pid == warm[1] != warm[0]
    assert status == "executed" and "node_status" in events
    assert (tmp_path / "second" / "events.jsonl").exists()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_runner_killed_mid_run_is_reported_and_the_next_run_works(warm_controller, qtbot, tmp_path):
    controller, warm = warm_controller
    workflow = load(WORKFLOWS / "iris_mlp.nflow")
    workflow.base_dir = str(tmp_path)
    workflow.set_param("learner", "epochs", 100_000, check=False)
    epochs, finished = [], []
    controller.event.connect(lambda e: epochs.append(e) if e["event"] == "epoch" else None)
    controller.finished.connect(lambda status, message: finished.append(status))
    controller.start(workflow, tmp_path / "run")
    qtbot.waitUntil(lambda: bool(epochs), timeout=TIMEOUT_MS)
    os.kill(controller.process.processId(), signal.SIGKILL)
    qtbot.waitUntil(lambda: bool(finished), timeout=TIMEOUT_MS)
    assert finished == ["crashed"]

    _, events, (status, _) = run(qtbot, controller, small_run(), tmp_path / "again")
    assert status == "executed" and events[-1] == "run_finished"


@pytest.mark.slow
def test_workers_never_import_code_from_the_current_directory(qtbot, tmp_path, monkeypatch):
    """A `nodeflow/` or `nodes/` folder where the editor was started is not imported."""
    marker = tmp_path / "planted-code-ran"
    for package in ("nodeflow", "nodes"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(
            f"open({str(marker)!r}, 'a').write({package!r})\nraise SystemExit(99)\n")
    monkeypatch.chdir(tmp_path)

    _, events, (status, message) = run(qtbot, RunController(), small_run(), tmp_path / "run")
    assert status == "executed", message

    worker = ShapeWorker()
    shapes = LiveShapes(worker=worker, delay_ms=0)
    results = collect(shapes)
    shapes.request(load(WORKFLOWS / "iris_mlp.nflow"))
    qtbot.waitUntil(lambda: bool(results), timeout=TIMEOUT_MS)
    worker.stop()
    assert not isinstance(results[0], Exception), results[0]
    assert results[0].total_params > 0
    assert not marker.exists()

