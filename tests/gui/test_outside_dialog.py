"""Before Execute of a workflow that reads or writes outside its folder, the editor lists those
paths: Cancel runs nothing and keeps the work, Run runs and trusts the workflow on this machine
(no second question); the properties panel shows a file parameter's resolved path."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from nodeflow.core.trust import store_path
from nodeflow.gui.outside_dialog import OutsideDialog
from tests.cli.test_outside_cli import PRECIOUS, write_hostile_project
from tests.gui.test_canvas_shortcuts import click, node_point
from tests.gui.test_main_window import drop_from_repository



@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture
def hostile(window, registry, tmp_path):
    """A workflow someone sent, open in the editor: it copies its data over ../victim/precious.txt."""
    workflow, precious = write_hostile_project(registry, tmp_path)
    assert window.open_file(workflow)
    return precious


@pytest.fixture
def answers(monkeypatch):
    """The dialog's answer (Run unless a test sets ``answers.reply``) and what it listed."""
    class Answers:
        reply = QDialog.Accepted
        shown: list = []

    def exec_(dialog):
        Answers.shown.append(dialog.rows())
        return Answers.reply

    Answers.shown = []
    monkeypatch.setattr(OutsideDialog, "exec", exec_)
    return Answers


def execute_all(window):
    window.canvas.viewer().setFocus()
    QTest.keyClick(window.canvas.viewer().viewport(), Qt.Key_F7, Qt.ShiftModifier)


def test_cancel_runs_nothing_and_keeps_the_work(window, hostile, answers, monkeypatch):
    answers.reply = QDialog.Rejected
    started = []
    monkeypatch.setattr(window.runner, "start", lambda *args: started.append(args))
    drop_from_repository(window, "keras.layers.Dense", (0, 300))  # unsaved work
    assert window.document.modified
    execute_all(window)
    assert answers.shown == [[("csv_writer_1", "path", "writes", str(hostile.resolve()))]]
    assert started == [] and not window.runner.running
    assert hostile.read_text() == PRECIOUS
    assert window.document.modified and "dense_1" in window.document.workflow.nodes
    assert not store_path().exists()  # nothing trusted
    execute_all(window)
    assert len(answers.shown) == 2  # still asks


def test_run_trusts_the_workflow_so_the_next_execute_does_not_ask(window, hostile, answers, monkeypatch):
    started = []
    monkeypatch.setattr(window.session, "execute", lambda targets: started.append(targets) or True)
    execute_all(window)
    assert started == [None] and len(answers.shown) == 1
    assert store_path().exists()
    execute_all(window)
    assert started == [None, None] and len(answers.shown) == 1


@pytest.mark.slow
def test_a_confirmed_run_writes_outside_in_the_child(window, hostile, answers, qtbot):
    """The child `nodeflow run` is told the user agreed (otherwise it would refuse)."""
    execute_all(window)
    qtbot.waitUntil(lambda: not window.runner.running, timeout=180_000)
    assert window.session.node_state("csv_writer_1")[0] == "executed", window.log.lines()
    assert hostile.read_text() != PRECIOUS


def test_the_panel_shows_the_resolved_path_and_marks_it_outside(window, hostile, qtbot):
    click(window, node_point(window, "csv_writer_1"))
    qtbot.waitUntil(lambda: window.properties.node_id == "csv_writer_1", timeout=5000)
    label = window.properties.editor("path").resolved
    assert label.isVisible()
    assert label.text() == f"{hostile.resolve()}  \u2014  outside the workflow folder"
    click(window, node_point(window, "csv_reader_1"))
    qtbot.waitUntil(lambda: window.properties.node_id == "csv_reader_1", timeout=5000)
    label = window.properties.editor("path").resolved
    project = hostile.parent.parent / "project"
    assert label.text() == str((project / "data.csv").resolve())  # inside: no mark
    # typing a path elsewhere marks it at once
    line = window.properties.editor("path").line
    line.setFocus()
    line.selectAll()
    QTest.keyClicks(line, "/etc/passwd")
    assert label.text().endswith("outside the workflow folder")
    assert QApplication.focusWidget() is line
