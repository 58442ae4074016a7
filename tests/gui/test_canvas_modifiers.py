"""Modifier keys on the canvas follow the keyboard, even when a dialog took the key release."""

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.gui.test_canvas_shortcuts import click, focus_canvas, node_point
from tests.gui.test_main_window import drop_from_repository


def test_ctrl_released_in_a_dialog_does_not_stay_held_on_the_canvas(window, qtbot, monkeypatch):
    drop_from_repository(window, "keras.layers.Dense", (0, 0))
    drop_from_repository(window, "keras.layers.Dense", (300, 0))

    def cancel_in_a_real_box(*args, **kwargs):
        """The unsaved-changes box takes the focus, so Ctrl is released there."""
        box = QMessageBox(QMessageBox.Question, "Unsaved changes", "Save?", QMessageBox.Cancel, window)
        box.show()
        QTest.keyRelease(box, Qt.Key_Q, Qt.ControlModifier)
        QTest.keyRelease(box, Qt.Key_Control, Qt.NoModifier)
        box.close()
        return QMessageBox.Cancel

    monkeypatch.setattr(QMessageBox, "question", cancel_in_a_real_box)
    viewer = focus_canvas(window, qtbot)
    QTest.keyPress(viewer, Qt.Key_Control, Qt.ControlModifier)
    QTest.keyPress(viewer, Qt.Key_Q, Qt.ControlModifier)  # Quit, then Cancel: the window stays
    assert window.isVisible()
    window.activateWindow()
    click(window, node_point(window, "dense_1"))
    assert window.canvas.selected() == ["dense_1"]
    overlay = [i for i in viewer.scene().items() if hasattr(i, "toPlainText") and "CTRL" in i.toPlainText()]
    assert not any(i.isVisible() for i in overlay)
    # a click with Ctrl really held still deselects, as NodeGraphQt does
    click(window, node_point(window, "dense_1"), Qt.ControlModifier)
    assert window.canvas.selected() == []
    QApplication.processEvents()
