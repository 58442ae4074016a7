"""The Sweep view following a sweep in the background: trials as they are written, the
plot, Stop (SIGINT), a failed start, and Open best undone with Ctrl+Z on the canvas.

A fake ``nodeflow sweep`` (fake_sweep.py: same arguments, same files) stands in for the
real one, except in the last test, which runs the real command when it is installed."""

import importlib.util
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from nodeflow.core import load
from nodeflow.gui import sweep_process, sweeps
from tests.gui.test_canvas_shortcuts import press

FAKE = Path(__file__).with_name("fake_sweep.py")
REAL_COMMAND = sweep_process.build_command
HAS_SWEEP = importlib.util.find_spec("nodeflow.sweep") is not None and \
    importlib.util.find_spec("nodeflow.sweep.study") is not None


def fake_command(*extra):
    """A build_command that starts the fake with the editor's own arguments (and ``extra``)."""
    def build(workflow_path, setup):
        real = REAL_COMMAND(workflow_path, setup)
        return [sys.executable, str(FAKE), *real[real.index("sweep") + 1:], *extra]
    return build


@pytest.fixture
def sweeping(window, qtbot, iris_copy, monkeypatch):
    """The iris copy open, two parameters swept, and a way to click Start."""
    window.open_file(iris_copy)
    window.sweeps.setup.add("dense_1.units", "int(8,64,log)")
    window.sweeps.setup.add("learner.optimizer.learning_rate", "loguniform(0.001,0.1)")

    def start(*extra, trials=3):
        monkeypatch.setattr(sweep_process, "build_command", fake_command(*extra))
        dialog = window.sweeps.open_dialog()
        qtbot.waitExposed(dialog)
        dialog.trials.setValue(trials)
        QTest.mouseClick(dialog.start_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: window.sweeps.sweep is not None, timeout=5000)
        return window.sweeps.view

    yield start
    if window.sweeps.sweep is not None:
        window.sweeps.shutdown()


def column(view, name):
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    c = headers.index(name)
    return [view.table.item(r, c).text() for r in range(view.table.rowCount())]


def test_the_view_fills_as_trials_end_and_says_when_the_sweep_finished(window, qtbot, sweeping):
    view = sweeping("--step", "0.3")
    assert window.sweeps.dock.isVisible()
    qtbot.waitUntil(lambda: view.table.rowCount() >= 1, timeout=20000)  # while it runs
    qtbot.waitUntil(lambda: view.state == "finished", timeout=30000)
    assert column(view, "#") == ["0", "1", "2"]
    assert column(view, "state") == ["COMPLETE"] * 3
    assert column(view, "dense_1.units") == ["8", "9", "10"]
    assert column(view, "value") == ["0.5", "0.6", "0.7"]
    points, best, _categories = view.plot_data()
    assert points == [(8.0, 0.5), (9.0, 0.6), (10.0, 0.7)]
    assert best == (10.0, 0.7)
    assert list(view.points.getData()[0]) == [8.0, 9.0, 10.0]
    assert "Finished: 3 of 3 complete" in view.status.text()
    assert "best scorer.accuracy = 0.7 (trial 2)" in view.status.text()
    assert not view.stop_button.isEnabled() and view.best_button.isEnabled()
    # the table sorts by value as numbers when its header is clicked
    header = view.table.horizontalHeader()
    value_column = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())].index("value")
    QTest.mouseClick(header.viewport(), Qt.LeftButton, Qt.NoModifier, _section_center(header, value_column))
    qtbot.waitUntil(lambda: header.sortIndicatorSection() == value_column, timeout=5000)
    order = column(view, "value")
    assert order in (sorted(order), sorted(order, reverse=True))


def _section_center(header, index):
    return QPoint(header.sectionViewportPosition(index) + header.sectionSize(index) // 2, header.height() // 2)


def test_stop_interrupts_the_sweep_which_says_it_stopped(window, qtbot, sweeping):
    view = sweeping("--hold")
    qtbot.waitUntil(lambda: column(view, "state") == ["RUNNING"] if view.table.rowCount() else False,
                    timeout=20000)
    assert view.stop_button.isEnabled()
    QTest.mouseClick(view.stop_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: view.state == "stopped", timeout=20000)
    assert window.sweeps.sweep.process.exitCode() == 130
    assert view.status.text().startswith("Stopped: 0 of 3 complete")
    assert "resumes" in view.status.text()
    assert not view.stop_button.isEnabled()


def test_a_sweep_the_command_refuses_shows_its_message(window, qtbot, sweeping):
    view = sweeping("--fail", "2")
    qtbot.waitUntil(lambda: view.state == "failed", timeout=20000)
    assert "bad sweep parameters" in view.status.text()
    assert "the workflow has no such parameter" in view.status.text()


def test_start_saves_unsaved_changes_first(window, qtbot, sweeping, iris_copy, monkeypatch):
    window.document.set_param("dropout_1", "rate", 0.3)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[1]) or QMessageBox.Save)
    view = sweeping()
    assert asked == ["Save before sweeping"]
    assert not window.document.modified and load(iris_copy).nodes["dropout_1"].params["rate"] == 0.3
    qtbot.waitUntil(lambda: view.state == "finished", timeout=30000)


def test_start_does_nothing_when_saving_is_declined(window, qtbot, sweeping, monkeypatch):
    window.document.set_param("dropout_1", "rate", 0.3)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Cancel)
    monkeypatch.setattr(sweep_process, "build_command", fake_command())
    dialog = window.sweeps.open_dialog()
    QTest.mouseClick(dialog.start_button, Qt.LeftButton)
    assert window.sweeps.sweep is None and window.document.modified


def test_open_best_sets_the_best_values_and_ctrl_z_takes_them_back(window, qtbot, sweeping):
    workflow = window.document.workflow
    before = (workflow.param_value("dense_1", "units"), workflow.param_value("learner", "optimizer"))
    view = sweeping()
    qtbot.waitUntil(lambda: view.state == "finished", timeout=30000)
    QTest.mouseClick(view.best_button, Qt.LeftButton)
    assert workflow.param_value("dense_1", "units") == 10  # trial 2: int(8,...) + 2
    assert workflow.param_value("learner", "optimizer") == {"name": "adam", "args": {"learning_rate": 0.003}}
    window.activateWindow()
    press(window, qtbot, "Ctrl+Z", "dense_1")  # click a node on the canvas, Ctrl+Z: one undo step
    assert (workflow.param_value("dense_1", "units"), workflow.param_value("learner", "optimizer")) == before


@pytest.mark.skipif(not HAS_SWEEP, reason="nodeflow sweep (the sweep package) is not installed")
def test_a_real_sweep_of_the_iris_example_shows_its_two_trials(window, qtbot, iris_copy):
    window.open_file(iris_copy)
    setup = window.sweeps.setup
    setup.add("learner.epochs", "choice(2)")
    setup.add("dense_1.units", "int(4,8)")
    dialog = window.sweeps.open_dialog()
    dialog.trials.setValue(2)
    QTest.mouseClick(dialog.start_button, Qt.LeftButton)
    view = window.sweeps.view
    try:
        qtbot.waitUntil(lambda: view.state in ("finished", "failed", "stopped"), timeout=300000)
        assert view.state == "finished", view.status.text()
        assert column(view, "state") == ["COMPLETE", "COMPLETE"]
        assert len(view.plot_data()[0]) == 2
    finally:
        window.sweeps.shutdown()


def menu_action(window, menu_title, text):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == menu_title)
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


def test_open_sweep_results_shows_a_study_run_in_a_terminal(window, qtbot, iris_copy, monkeypatch):
    import subprocess

    window.open_file(iris_copy)
    results = menu_action(window, "Run", "Open Sweep Results...")
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: shown.append(a[2]))
    results.trigger()
    assert shown and "no sweep results yet" in shown[0]  # nothing swept: it says so

    for study, trials in (("first", 2), ("second", 4)):  # as `nodeflow sweep` in a terminal would
        subprocess.run([sys.executable, str(FAKE), str(iris_copy), "--param", "dense_1.units=int(8,64)",
                        "--trials", str(trials), "--study", study, "--step", "0"], check=True, timeout=60)
    asked = []

    def pick(parent, title, label, items, current, editable):
        asked.append(list(items))
        return "first", True
    monkeypatch.setattr(sweeps.QInputDialog, "getItem", pick)
    results.trigger()
    assert asked == [["second", "first"]]  # newest first
    view = window.sweeps.view
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=10000)
    assert column(view, "state") == ["COMPLETE", "COMPLETE"]
    assert window.sweeps.dock.isVisible()
    assert view.status.text().startswith("2 trial(s) complete · best scorer.accuracy = 0.6 (trial 1)")
