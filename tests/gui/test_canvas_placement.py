"""Nodes added from the repository with Enter land in free space, beside and wired to the
selected node when its ports fit (as in KNIME)."""

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.gui.test_canvas_shortcuts import focus_canvas, press


def add_with_enter(window, qtbot, query: str, click=None) -> None:
    """Ctrl+F (after clicking node ``click``, or empty canvas for ``""``), type, Enter."""
    if click is not None or QApplication.focusWidget() is None:
        focus_canvas(window, qtbot, click or None)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_F, Qt.ControlModifier)
    search = QApplication.focusWidget()
    QTest.keyClicks(search, query)
    QTest.keyClick(search, Qt.Key_Return)


def rects(window):
    return {n: v.view.sceneBoundingRect() for n, v in window.canvas.views.items()}


def assert_apart(window):
    found = rects(window)
    for a, ra in found.items():
        for b, rb in found.items():
            assert a == b or not ra.intersects(rb), f"{a} overlaps {b}"


def test_enter_adds_nodes_beside_the_selected_one_wired_and_never_on_top(window, qtbot):
    add_with_enter(window, qtbot, "Input")
    add_with_enter(window, qtbot, "Dense")
    add_with_enter(window, qtbot, "Dropout")
    assert list(window.document.workflow.nodes) == ["input_1", "dense_1", "dropout_1"]
    assert [str(e) for e in window.document.workflow.edges] == [
        "input_1.output -> dense_1.input", "dense_1.output -> dropout_1.input"]
    assert_apart(window)
    found = rects(window)
    assert found["input_1"].right() < found["dense_1"].left() < found["dense_1"].right() < found["dropout_1"].left()
    # one undo step takes back the node and its wire
    press(window, qtbot, "Ctrl+Z")
    assert list(window.document.workflow.nodes) == ["input_1", "dense_1"]
    assert [str(e) for e in window.document.workflow.edges] == ["input_1.output -> dense_1.input"]


def test_a_second_node_beside_the_same_one_goes_below_and_without_a_selection_near_the_centre(window, qtbot):
    add_with_enter(window, qtbot, "Input")
    add_with_enter(window, qtbot, "Dense")
    add_with_enter(window, qtbot, "Dense", click="input_1")
    assert [str(e) for e in window.document.workflow.edges] == [
        "input_1.output -> dense_1.input", "input_1.output -> dense_2.input"]
    found = rects(window)
    assert found["dense_2"].top() > found["dense_1"].bottom()
    for _ in range(3):  # nothing selected: near the centre, no wire
        add_with_enter(window, qtbot, "Sample Data Set", click="")
    assert len(window.document.workflow.edges) == 2
    assert_apart(window)


def test_ctrl_d_puts_each_duplicate_in_free_space(window, qtbot):
    add_with_enter(window, qtbot, "Input")
    add_with_enter(window, qtbot, "Dense")
    press(window, qtbot, "Ctrl+D", "dense_1")
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_D, Qt.ControlModifier)  # the duplicate is selected now
    assert sorted(window.document.workflow.nodes) == ["dense_1", "dense_2", "dense_3", "input_1"]
    assert_apart(window)
