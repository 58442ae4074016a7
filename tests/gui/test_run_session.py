"""The run session seen from the editor: node states after runs (layer nodes included), the
first save of an untitled workflow, Execute Selected with nothing to execute, and File > New
leaving nothing of the previous workflow's run behind."""

import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog

from nodeflow.core import load
from nodeflow.core.states import NodeState
from nodeflow.gui.monitor import NO_TRAINING
from tests.conftest import WORKFLOWS
from tests.gui.test_main_window import drop_from_repository, mouse_drag, port_point

RUN_TIMEOUT_MS = 180_000
LAYERS = ["input_1", "dense_1", "dropout_1", "dense_2"]
RESOURCES = WORKFLOWS.parent / "resources" / "data"


def press(window, key, modifier=Qt.NoModifier):
    """A key press on the canvas, as a person makes it after clicking into the canvas."""
    viewport = window.canvas.viewer().viewport()
    window.canvas.viewer().setFocus()
    QTest.keyClick(viewport, key, modifier)


def menu_action(window, menu, prefix):
    """The action of a menu bar menu whose text starts with ``prefix`` (Undo names the edit)."""
    bar_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == menu)
    return next(a for a in bar_menu.actions() if a.text().startswith(prefix))


@pytest.fixture
def trained_iris(window, tmp_path):
    """The iris example after a whole run (made in this process, as `nodeflow run` would)."""
    from nodeflow.runtime.engine import Engine, default_run_dir

    path = tmp_path / "iris_mlp.nflow"
    shutil.copy(WORKFLOWS / "iris_mlp.nflow", path)
    assert Engine(load(path), default_run_dir(path)).run().status == "executed"
    assert window.open_file(path)
    return window


@pytest.mark.slow
def test_layer_nodes_show_executed_while_their_learner_s_model_is_current(trained_iris):
    window = trained_iris
    state = window.session.node_state
    assert state("learner")[0] == NodeState.EXECUTED
    for layer in LAYERS:
        assert state(layer)[0] == NodeState.EXECUTED, layer
        assert "learner" in state(layer)[1]
    # a changed layer changes the model: the layers and the learner are configured again
    window.document.set_param("dense_1", "units", 8)
    assert state("dense_1")[0] == NodeState.CONFIGURED
    assert state("input_1")[0] == NodeState.CONFIGURED
    assert state("learner")[0] == NodeState.CONFIGURED
    assert state("sample_data_set_1")[0] == NodeState.EXECUTED
    menu_action(window, "&Edit", "&Undo").trigger()
    assert [state(n)[0] for n in LAYERS + ["learner"]] == [NodeState.EXECUTED] * 5
    assert [window.canvas.state(n) for n in LAYERS] == [NodeState.EXECUTED] * 4  # what the lights show

    # a deleted node that comes back (undo) gets a new view: it shows its state again
    window.canvas.select(["scorer"])
    press(window, Qt.Key_Delete)
    assert "scorer" not in window.document.workflow.nodes
    menu_action(window, "&Edit", "&Undo").trigger()
    assert window.canvas.state("scorer") == NodeState.EXECUTED


@pytest.mark.slow
def test_new_and_open_start_with_an_empty_log_and_monitor(trained_iris, qtbot, tmp_path):
    window = trained_iris
    next(a for a in window.node_menu("learner").actions() if a.text() == "Open Learning Monitor").trigger()
    assert window.monitor.record("learner") is not None and window.monitor_dock.isVisible()
    window.canvas.select(["partitioning_1"])
    press(window, Qt.Key_F8)  # reset: a line in the log
    assert window.log.lines()
    press(window, Qt.Key_N, Qt.ControlModifier)
    assert window.document.workflow.nodes == {}
    assert window.log.lines() == []
    assert window.monitor.records == {} and window.monitor.record() is None
    assert window.monitor.status.text() == NO_TRAINING

    # opening another workflow does the same
    window.log.add("info", "a line of the previous workflow")
    assert window.open_file(WORKFLOWS / "digits_cnn.nflow")
    assert window.log.lines() == []


def test_execute_selected_with_only_layer_nodes_says_there_is_nothing_to_execute(window, tmp_path):
    path = tmp_path / "iris_mlp.nflow"
    shutil.copy(WORKFLOWS / "iris_mlp.nflow", path)
    assert window.open_file(path)
    window.canvas.select(["dense_1", "dense_2"])
    press(window, Qt.Key_F7)
    assert not window.session.running
    assert window.statusBar().currentMessage().startswith("Nothing to execute: layer nodes run inside")
    assert window.execute_all_action.isEnabled()


def test_an_invalid_branch_elsewhere_does_not_block_execute_selected(window, tmp_path, qtbot, monkeypatch):
    """Execute Selected asks the run plan what it needs: only that part has to be valid."""
    path = tmp_path / "iris_mlp.nflow"
    shutil.copy(WORKFLOWS / "iris_mlp.nflow", path)
    assert window.open_file(path)
    drop_from_repository(window, "keras.layers.Dense", (0, -300))  # half-wired: no input, no units
    started = []
    monkeypatch.setattr(window.runner, "start", lambda workflow, run_dir, targets=None, **kw:
                        started.append((sorted(workflow.nodes), targets)))
    window.canvas.select(["normalizer_1"])
    press(window, Qt.Key_F7)
    assert started == [(["category_to_number_1", "normalizer_1", "partitioning_1", "sample_data_set_1"],
                        ["normalizer_1"])]
    assert window.session.node_state("normalizer_1")[0] == NodeState.QUEUED
    assert window.session.node_state("dense_3")[0] == NodeState.NOT_CONFIGURED


@pytest.mark.slow
def test_the_first_save_of_an_untitled_workflow_keeps_its_executed_nodes(window, qtbot, tmp_path,
                                                                         monkeypatch):
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    csv = project / "data" / "iris.csv"
    shutil.copy(RESOURCES / "iris.csv", csv)
    # an untitled workflow made by hand: CSV Reader -> Partitioning
    drop_from_repository(window, "data.CsvReader", (0, 0))
    drop_from_repository(window, "data.Partitioning", (350, 0))
    window.canvas.fit()
    qtbot.wait(50)
    mouse_drag(window, port_point(window, "csv_reader_1", "table", True),
               port_point(window, "partitioning_1", "table", False))
    window.document.set_param("csv_reader_1", "path", str(csv))
    nodes = ["csv_reader_1", "partitioning_1"]
    assert [window.session.node_state(n)[0] for n in nodes] == [NodeState.CONFIGURED] * 2
    untitled_dir = window.session.run_dir()

    press(window, Qt.Key_F7, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: not window.session.running, timeout=RUN_TIMEOUT_MS)
    assert [window.session.node_state(n)[0] for n in nodes] == [NodeState.EXECUTED] * 2

    saved = project / "flow.nflow"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(saved), ""))
    press(window, Qt.Key_S, Qt.ControlModifier)
    assert window.document.path == saved and not window.document.modified
    assert window.document.workflow.nodes["csv_reader_1"].params["path"] == "data/iris.csv"  # now relative
    assert [window.session.node_state(n)[0] for n in nodes] == [NodeState.EXECUTED] * 2
    assert window.session.run_dir() == project / "runs" / "flow"
    assert not untitled_dir.exists()  # moved, not left behind in the temporary folder

    # the run after the save reuses those outputs instead of computing them again
    events = []
    window.session.event.connect(events.append)
    press(window, Qt.Key_F7, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: not window.session.running, timeout=RUN_TIMEOUT_MS)
    executed = {e["node"]: e.get("cached") for e in events
                if e.get("event") == "node_status" and e.get("status") == "executed"}
    assert executed == {"csv_reader_1": True, "partitioning_1": True}


@pytest.mark.slow
def test_save_as_copies_the_outputs_so_both_files_stay_executed(trained_iris, tmp_path, monkeypatch):
    from nodeflow.runtime.engine import read_state

    window = trained_iris
    old_dir = window.session.run_dir()
    copy = tmp_path / "elsewhere" / "iris_copy.nflow"
    copy.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(copy), ""))
    menu_action(window, "&File", "Save &As").trigger()
    assert window.document.path == copy
    assert window.session.run_dir() == copy.parent / "runs" / "iris_copy"
    assert {n: window.session.node_state(n)[0] for n in window.document.workflow.nodes} == {
        n: NodeState.EXECUTED for n in window.document.workflow.nodes}
    assert set(read_state(old_dir)) == set(read_state(window.session.run_dir()))  # copied, not moved
