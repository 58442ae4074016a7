"""Running from the editor: Execute All in a child process, live states, the Learning
Monitor, Stop learning, a killed child process, cancel, and re-running only what an edit
affected.  Each test starts a real `nodeflow run` child (TensorFlow import included), so
they are marked slow; the training runs themselves take a few seconds."""

import os
import shutil
import signal
import time

import pytest
from PySide6.QtCore import Qt

from tests.conftest import WORKFLOWS

pytestmark = pytest.mark.slow
RUN_TIMEOUT_MS = 180_000


@pytest.fixture
def iris(window, tmp_path):
    """The iris example, opened from a copy so its outputs land in tmp_path."""
    path = tmp_path / "iris_mlp.nflow"
    shutil.copy(WORKFLOWS / "iris_mlp.nflow", path)
    assert window.open_file(path)
    return window


def wait_for_run(qtbot, window):
    qtbot.waitUntil(lambda: not window.runner.running, timeout=RUN_TIMEOUT_MS)


def wait_for_epochs(qtbot, window, count):
    qtbot.waitUntil(lambda: window.monitor.record("learner") is not None
                    and len(window.monitor.record("learner").progress.epoch_seconds) >= count,
                    timeout=RUN_TIMEOUT_MS)


def test_execute_all_trains_iris_and_shows_it(iris, qtbot, tmp_path):
    window = iris
    epochs = window.document.workflow.nodes["learner"].params["epochs"]
    assert window.execute_all_action.shortcut().toString() == "Shift+F7"
    window.execute_all_action.trigger()
    assert window.runner.running
    assert not window.execute_all_action.isEnabled() and window.cancel_action.isEnabled()
    qtbot.waitUntil(lambda: window.session.node_state("learner")[0] == "running", timeout=RUN_TIMEOUT_MS)
    wait_for_run(qtbot, window)

    # every node, the layers too: they are part of the model the learner trained
    assert {n: window.session.node_state(n)[0] for n in window.document.workflow.nodes} == {
        n: "executed" for n in window.document.workflow.nodes}
    assert window.monitor_dock.isVisible()  # opened by itself when training started
    for metric in ("loss", "accuracy", "val_loss", "val_accuracy"):
        points = window.monitor.epoch_points(metric)
        assert [x for x, _ in points] == [float(e) for e in range(1, epochs + 1)], metric
    assert window.monitor.epoch_points("loss")[-1][1] < window.monitor.epoch_points("loss")[0][1]
    assert window.monitor.device.text().startswith("Device: CPU:0")
    assert (tmp_path / "output" / "iris_mlp.savedmodel" / "saved_model.pb").exists()
    assert any("run finished: executed" in line for line in window.log.lines())
    assert window.execute_all_action.isEnabled() and not window.cancel_action.isEnabled()

    # port views: the context menu offers the learner's outputs, a double-click opens one
    menu = window.node_menu("learner")
    texts = {a.text(): a for a in menu.actions()}
    assert texts["View model (model)"].isEnabled() and "Open Learning Monitor" in texts
    point = window.canvas.port_position("scorer", "confusion_matrix")
    qtbot.mouseDClick(window.canvas.viewer().viewport(), Qt.LeftButton, pos=point)
    assert window.port_views and window.port_views[-1].isVisible()
    assert "scorer: confusion_matrix" in window.port_views[-1].windowTitle()

    # an edit re-runs only what it affects: the learner's output is reused
    window.document.set_param("scorer", "mode", "classification")
    assert window.session.node_state("scorer")[0] == "configured"
    assert window.session.node_state("learner")[0] == "executed"
    lines_before = len(window.log.lines())
    window.execute_all_action.trigger()
    wait_for_run(qtbot, window)
    new_lines = window.log.lines()[lines_before:]
    assert any("learner: executed (unchanged, output reused)" in line for line in new_lines)
    assert any("scorer: executed in" in line for line in new_lines)
    assert not any("learner: running" in line for line in new_lines)
    assert window.session.node_state("scorer")[0] == "executed"


def test_stop_ends_training_early_and_the_writer_still_runs(iris, qtbot, tmp_path):
    window = iris
    window.document.set_param("learner", "epochs", 5000)
    window.execute_all()
    wait_for_epochs(qtbot, window, 3)
    assert window.monitor.stop_button.isEnabled()
    qtbot.mouseClick(window.monitor.stop_button, Qt.LeftButton)
    wait_for_run(qtbot, window)

    trained = len(window.monitor.epoch_points("loss"))
    assert 3 <= trained < 5000
    assert window.monitor.record("learner").status == "stopped"
    assert window.session.node_state("learner")[0] == "executed"
    assert window.session.node_state("savedmodel_writer")[0] == "executed"
    assert (tmp_path / "output" / "iris_mlp.savedmodel" / "saved_model.pb").exists()
    assert any("stop requested" in line for line in window.log.lines())


def test_killed_child_shows_the_failure_and_can_run_again(iris, qtbot):
    window = iris
    window.document.set_param("learner", "epochs", 5000)
    window.execute_all()
    wait_for_epochs(qtbot, window, 2)
    os.kill(window.runner.process.processId(), signal.SIGKILL)  # as the system's OOM killer would
    wait_for_run(qtbot, window)

    state, detail = window.session.node_state("learner")
    assert state == "failed" and "killed" in detail
    assert window.session.node_state("savedmodel_writer")[0] == "configured"
    assert window.session.node_state("partitioning_1")[0] == "executed"  # finished before: kept
    assert any("killed" in line for line in window.log.lines())
    assert window.log_dock.isVisible()

    window.document.set_param("learner", "epochs", 5)
    assert window.execute_all()
    wait_for_run(qtbot, window)
    assert window.session.node_state("learner")[0] == "executed"
    assert window.session.node_state("savedmodel_writer")[0] == "executed"
    assert len(window.monitor.epoch_points("loss")) == 5


def test_cancel_stops_the_run_within_seconds_and_keeps_nothing_half_done(iris, qtbot):
    window = iris
    window.document.set_param("learner", "epochs", 5000)
    window.execute_all()
    wait_for_epochs(qtbot, window, 1)
    start = time.monotonic()
    window.cancel_action.trigger()
    wait_for_run(qtbot, window)
    assert time.monotonic() - start < 4.0
    assert window.session.node_state("learner")[0] == "configured"
    assert window.session.node_state("savedmodel_writer")[0] == "configured"
    assert window.session.node_state("normalizer_1")[0] == "executed"
    assert any("Run cancelled" in line for line in window.log.lines())
    assert window.monitor.record("learner").status == "cancelled"
    assert "cancelled" in window.monitor.status.text()


def test_execute_selected_runs_only_the_selection_and_what_it_needs(iris, qtbot):
    window = iris
    window.canvas.select(["normalizer_1"])
    assert window.execute_selected_action.shortcut().toString() == "F7"
    window.execute_selected_action.trigger()
    wait_for_run(qtbot, window)
    assert window.session.node_state("normalizer_1")[0] == "executed"
    assert window.session.node_state("partitioning_1")[0] == "executed"
    assert window.session.node_state("learner")[0] == "configured"
    # reset forgets the node and what depends on it
    window.canvas.select(["partitioning_1"])
    window.reset_action.trigger()
    assert window.session.node_state("partitioning_1")[0] == "configured"
    assert window.session.node_state("normalizer_1")[0] == "configured"
    assert window.session.node_state("sample_data_set_1")[0] == "executed"


def test_a_failing_node_shows_its_error_and_the_run_goes_on_elsewhere(iris, qtbot):
    window = iris
    window.document.set_param("normalizer_1", "columns", ["petal_size"])
    window.canvas.select(["normalizer_apply_1"])
    window.execute_selected()
    wait_for_run(qtbot, window)
    state, detail = window.session.node_state("normalizer_1")
    assert state == "failed" and "petal_size" in detail and detail.startswith("node normalizer_1")
    assert window.session.node_state("partitioning_1")[0] == "executed"
    assert window.session.node_state("normalizer_apply_1")[0] == "configured"  # skipped: its input failed
    assert any("petal_size" in line for line in window.log.lines())
    assert "Show Error..." in [a.text() for a in window.node_menu("normalizer_1").actions()]
    assert "normalizer_1 failed" in window.statusBar().currentMessage()


def test_a_run_directory_that_cannot_be_written_is_reported(iris, qtbot, tmp_path, monkeypatch):
    window = iris
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the run directory should go")
    monkeypatch.setattr(window.session, "run_dir", lambda: blocker / "run")
    assert not window.execute_all()
    assert not window.runner.running and window.execute_all_action.isEnabled()
    assert "Cannot start the run" in window.statusBar().currentMessage()
    assert window.session.node_state("learner")[0] == "configured"
