"""The Sweep dialog driven as a person would: right-click a parameter, "Add to sweep",
open Run > Sweep..., type a space, see it checked as it is typed."""

import importlib.util

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from nodeflow.core.params import BoolParam, ChoiceParam, FloatParam, IntParam, NestedChoiceParam, Option
from nodeflow.gui.sweep_setup import default_space
from tests.gui.test_properties import open_section, select_by_click

HAS_SWEEP = importlib.util.find_spec("nodeflow.sweep") is not None


def run_menu_action(window, text):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Run")
    return next(a for a in menu.actions() if a.text() == text)


def right_click(widget):
    """The context-menu event a right click sends (QTest's clicks synthesize none)."""
    pos = widget.rect().center()
    QApplication.sendEvent(widget, QContextMenuEvent(QContextMenuEvent.Mouse, pos, widget.mapToGlobal(pos)))


def add_to_sweep_by_right_click(qtbot, widget):
    """Right-click ``widget``, then choose "Add to sweep" with the keyboard in the menu."""
    right_click(widget)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=5000)
    menu = QApplication.activePopupWidget()
    assert [a.text() for a in menu.actions()] == ["Add to sweep"]
    QTest.keyClick(menu, Qt.Key_Down)
    QTest.keyClick(menu, Qt.Key_Return)
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is None, timeout=5000)


def test_right_click_add_to_sweep_puts_the_parameter_with_a_default_range_into_the_dialog(
        window, qtbot, iris_copy):
    window.open_file(iris_copy)
    select_by_click(window, qtbot, "dense_1")
    add_to_sweep_by_right_click(qtbot, window.properties.form.labels["units"])
    select_by_click(window, qtbot, "learner")
    open_section(qtbot, window.properties.form, "Loss and optimizer")
    optimizer = window.properties.editor("optimizer")  # adam, learning_rate 0.01 in the file
    add_to_sweep_by_right_click(qtbot, optimizer.form.labels["learning_rate"])
    add_to_sweep_by_right_click(qtbot, optimizer.combo)  # or its combo box

    run_menu_action(window, "S&weep...").trigger()
    dialog = window.sweeps.dialog
    qtbot.waitExposed(dialog)
    assert dialog.paths() == ["dense_1.units", "learner.optimizer.learning_rate", "learner.optimizer"]
    assert dialog.space_edit("dense_1.units").text() == "int(4,64,log)"  # 16 in the file
    assert dialog.space_edit("learner.optimizer.learning_rate").text() == "loguniform(0.001,0.1)"
    assert dialog.space_edit("learner.optimizer").text().startswith("choice(adam,")
    assert dialog.metric_combo.currentText() == "scorer.accuracy"
    assert dialog.direction.currentText() == "maximize"
    dialog.metric_combo.setCurrentText("learner.val_loss")
    assert dialog.direction.currentText() == "minimize"
    # the remove button takes a row out
    remove = dialog.table.cellWidget(2, 2)
    QTest.mouseClick(remove, Qt.LeftButton)
    assert dialog.paths() == ["dense_1.units", "learner.optimizer.learning_rate"]
    assert [p.path for p in window.sweeps.setup.params] == dialog.paths()


def test_a_text_parameter_offers_no_sweep(window, qtbot, iris_copy):
    window.open_file(iris_copy)
    select_by_click(window, qtbot, "scorer")
    label = window.properties.form.labels["truth_column"]
    right_click(label)
    qtbot.wait(100)
    assert QApplication.activePopupWidget() is None


@pytest.mark.parametrize("param, value, space", [
    (IntParam(name="units", min=1), 16, "int(4,64,log)"),
    (IntParam(name="epochs", default=10, min=1, max=20), 10, "int(2,20)"),
    (FloatParam(name="rate", default=0.0, min=0.0, max=1.0, max_open=True), 0.1, "float(0,0.5)"),
    (FloatParam(name="learning_rate", default=0.001, min=0.0, min_open=True), 0.001, "loguniform(0.0001,0.01)"),
    (FloatParam(name="momentum", default=0.0, min=0.0), 0.5, "float(0.25,1)"),
    (BoolParam(name="shuffle", default=True), True, "choice(true,false)"),
    (ChoiceParam(name="mode", default="a", options=("a", "b")), "a", "choice(a,b)"),
    (NestedChoiceParam(name="optimizer", default="adam", options=(Option("adam"), Option("sgd"))), "adam",
     "choice(adam,sgd)"),
])
def test_default_spaces_come_from_the_parameter_declaration(param, value, space):
    assert default_space(param, value) == space


@pytest.mark.skipif(not HAS_SWEEP, reason="the sweep package (the space grammar) is not installed")
def test_typing_an_invalid_space_marks_the_row_and_disables_start(window, qtbot, iris_copy):
    window.open_file(iris_copy)
    window.sweeps.setup.add("dense_1.units", "int(4,64,log)")
    dialog = window.sweeps.open_dialog()
    qtbot.waitExposed(dialog)
    assert dialog.start_button.isEnabled()
    edit = dialog.space_edit("dense_1.units")
    QTest.mouseClick(edit, Qt.LeftButton)
    qtbot.waitUntil(edit.hasFocus, timeout=5000)
    QTest.keyClick(edit, Qt.Key_A, Qt.ControlModifier)
    QTest.keyClicks(edit, "int(64,4)")
    assert edit.property("nfInvalid") is True
    assert not dialog.start_button.isEnabled()
    assert "int(64,4)" in dialog.problem.text() and dialog.problem.isVisible()
    assert window.sweeps.setup.params[0].space == "int(64,4)"  # kept for the next time
    QTest.keyClick(edit, Qt.Key_A, Qt.ControlModifier)
    QTest.keyClicks(edit, "int(4,64)")
    assert not edit.property("nfInvalid")
    assert dialog.start_button.isEnabled()
    assert not dialog.problem.isVisible()
