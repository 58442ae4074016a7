"""Port views opened by double-clicking ports on the canvas, as a person does."""

import shutil

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from nodeflow.core import load
from tests.conftest import WORKFLOWS
from tests.gui.test_main_window import port_point


def double_click(widget, pos: QPoint) -> None:
    """What a real double-click delivers: press, release, press, double-click, release
    (QTest.mouseDClick alone sends only the double-click event)."""
    QTest.mouseClick(widget, Qt.LeftButton, Qt.NoModifier, pos)
    QTest.mousePress(widget, Qt.LeftButton, Qt.NoModifier, pos)
    QTest.mouseDClick(widget, Qt.LeftButton, Qt.NoModifier, pos)
    QTest.mouseRelease(widget, Qt.LeftButton, Qt.NoModifier, pos)


def _live_wires(window):
    from NodeGraphQt.qgraphics.pipe import LivePipeItem

    return [i for i in window.canvas.viewer().scene().items() if isinstance(i, LivePipeItem) and i.isVisible()]


def _executed_iris(window, tmp_path):
    from nodeflow.runtime.engine import Engine, default_run_dir

    path = tmp_path / "iris_mlp.nflow"
    shutil.copy(WORKFLOWS / "iris_mlp.nflow", path)
    Engine(load(path), default_run_dir(path)).run(targets=["partitioning_1"])
    assert window.open_file(path)


def test_reopening_a_port_view_after_closing_one_and_no_wire_left_on_the_mouse(window, qtbot, tmp_path):
    _executed_iris(window, tmp_path)
    viewport = window.canvas.viewer().viewport()
    edges = list(window.document.workflow.edges)
    for port in ("first", "second", "first"):
        double_click(viewport, port_point(window, "partitioning_1", port, True))
        qtbot.waitUntil(lambda: any(d.isVisible() for d in window.port_views), timeout=10000)
        dialog = window.port_views[-1]
        assert dialog.windowTitle().startswith(f"partitioning_1: {port}")
        assert _live_wires(window) == []
        # the mouse moves on over the canvas: no wire follows it
        QTest.mouseMove(viewport, port_point(window, "partitioning_1", port, True) + QPoint(120, 60))
        assert _live_wires(window) == []
        assert window.document.workflow.edges == edges
        QTest.keyClick(dialog, Qt.Key_Escape)  # closing deletes the dialog
        qtbot.waitUntil(lambda: window.port_views == [], timeout=10000)


def test_double_clicking_a_connected_input_shows_its_source_and_keeps_the_wire(window, qtbot, tmp_path):
    _executed_iris(window, tmp_path)
    viewport = window.canvas.viewer().viewport()
    edges = list(window.document.workflow.edges)
    source = next(e for e in edges if e.target == "normalizer_1" and e.target_port == "table")
    double_click(viewport, port_point(window, "normalizer_1", "table", False))
    qtbot.waitUntil(lambda: bool(window.port_views), timeout=10000)
    assert window.port_views[-1].windowTitle().startswith(f"{source.source}: {source.source_port}")
    assert _live_wires(window) == []
    pipes = window.canvas.views["normalizer_1"].inputs()["table"].view.connected_pipes
    assert len(pipes) == 1 and pipes[0].scene() is not None
    assert window.document.workflow.edges == edges
    QApplication.processEvents()
