"""Every shortcut the README lists works while the canvas has the keyboard focus.

NodeGraphQt's viewer registers its own Ctrl+Z / Ctrl+Shift+Z while focused, which made
the window's Undo ambiguous (Qt then triggers neither)."""

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.gui.test_main_window import drop_from_repository

README_SHORTCUTS = ["Ctrl+S", "Ctrl+Z", "Ctrl+Y", "Ctrl+Shift+Z", "Ctrl+C", "Ctrl+V", "Ctrl+X", "Ctrl+D", "Del",
                    "Backspace", "F", "Ctrl+F", "Ctrl+L", "Ctrl+B", "F7", "Shift+F7", "F8", "F9", "Shift+F9",
                    "Ctrl+A"]
# their slots save, run or reset: here only their triggering is checked
HEAVY = {"Ctrl+S", "F7", "Shift+F7", "F8", "F9", "Shift+F9"}


def click(window, pos: QPoint, modifiers=Qt.NoModifier):
    """A click through the window system (so Qt moves the focus as for a real one)."""
    QTest.mouseClick(window.canvas.viewer().viewport(), Qt.LeftButton, modifiers, pos)


def node_point(window, node_id) -> QPoint:
    rect = window.canvas.views[node_id].view.sceneBoundingRect()
    return window.canvas.viewer().mapFromScene(QPointF(rect.center().x(), rect.top() + 12))


def empty_point(window) -> QPoint:
    return window.canvas.viewer().viewport().rect().bottomRight() - QPoint(20, 20)


def focus_canvas(window, qtbot, node_id=None):
    """Click the canvas (a node, or empty space) as a person does before typing a key."""
    click(window, node_point(window, node_id) if node_id else empty_point(window))
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.canvas.viewer(), timeout=5000)
    return QApplication.focusWidget()


def press(window, qtbot, keys: str, node_id=None):
    sequence = QKeySequence(keys)[0]
    QTest.keyClick(focus_canvas(window, qtbot, node_id), sequence.key(), sequence.keyboardModifiers())


@pytest.mark.parametrize("keys", README_SHORTCUTS)
def test_each_readme_shortcut_triggers_exactly_one_action_with_the_canvas_focused(window, qtbot, keys):
    drop_from_repository(window, "keras.layers.Dense", (0, 0))
    drop_from_repository(window, "keras.layers.Input", (-300, 0))
    wanted = QKeySequence(keys)
    actions = [a for a in window.findChildren(type(window.menuBar().actions()[0]))
               if wanted in a.shortcuts()]
    assert len(actions) == 1, [a.text() for a in actions]
    action = actions[0]
    if keys in HEAVY:
        action.triggered.disconnect()
        action.setEnabled(True)  # Cancel and Stop are enabled while a run is going
    if keys in ("Ctrl+Y", "Ctrl+Shift+Z"):
        press(window, qtbot, "Ctrl+Z")  # something to redo: Redo is disabled otherwise
    fired = []
    action.triggered.connect(lambda *_: fired.append(keys))
    press(window, qtbot, keys, "dense_1")
    assert fired == [keys]


def test_duplicate_undo_redo_delete_and_clipboard_keys_on_the_focused_canvas(window, qtbot):
    drop_from_repository(window, "keras.layers.Dense", (0, 0))
    nodes = lambda: sorted(window.document.workflow.nodes)  # noqa: E731
    press(window, qtbot, "Ctrl+D", "dense_1")
    assert nodes() == ["dense_1", "dense_2"]
    press(window, qtbot, "Ctrl+Z")
    assert nodes() == ["dense_1"]
    press(window, qtbot, "Ctrl+Shift+Z")
    assert nodes() == ["dense_1", "dense_2"]
    press(window, qtbot, "Ctrl+Z")
    press(window, qtbot, "Ctrl+Y")
    assert nodes() == ["dense_1", "dense_2"]
    press(window, qtbot, "Del", "dense_2")
    assert nodes() == ["dense_1"]
    press(window, qtbot, "Ctrl+C", "dense_1")
    press(window, qtbot, "Ctrl+V")
    assert len(nodes()) == 2
    press(window, qtbot, "Ctrl+A")
    assert sorted(window.canvas.selected()) == nodes()
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_X, Qt.ControlModifier)
    assert nodes() == []
    press(window, qtbot, "Ctrl+B")
    assert len(window.document.workflow.backdrops) == 1
