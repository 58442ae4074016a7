"""Wire gestures on the canvas: a refused drop changes nothing, a re-drop replaces a wire."""

from nodeflow.core import dumps
from tests.gui.test_canvas_shortcuts import press
from tests.gui.test_main_window import drop_from_repository, mouse_drag, port_point


def _drawn_sources(window, node_id, port):
    """The output ports the pipes drawn into an input come from, as 'node.port'."""
    item = window.canvas.views[node_id].inputs()[port].view
    canvas = window.canvas
    return sorted(f"{canvas._ids[p.output_port.node.id]}.{p.output_port.name}" for p in item.connected_pipes
                  if p.scene() is not None and p.isVisible())


def _network(window, qtbot):
    drop_from_repository(window, "keras.layers.Input", (0, 0))
    drop_from_repository(window, "keras.layers.Input", (0, 250))
    drop_from_repository(window, "data.SampleDataSet", (0, 500))
    drop_from_repository(window, "keras.layers.Dense", (400, 100))
    window.canvas.fit()
    qtbot.wait(20)
    mouse_drag(window, port_point(window, "input_1", "output", True), port_point(window, "dense_1", "input", False))
    assert [str(e) for e in window.document.workflow.edges] == ["input_1.output -> dense_1.input"]


def test_a_refused_drop_onto_a_connected_input_keeps_the_wire_and_the_undo_stack(window, qtbot):
    _network(window, qtbot)
    before, steps = dumps(window.document.workflow), window.document.undo_stack.count()
    mouse_drag(window, port_point(window, "sample_data_set_1", "table", True),
               port_point(window, "dense_1", "input", False))
    assert window.statusBar().currentMessage().startswith("Connection refused: node dense_1: input port input: "
                                                          "expected a network, got a table")
    assert dumps(window.document.workflow) == before
    assert window.document.undo_stack.count() == steps
    assert window.document.undo_stack.undoText() == "Connect input_1.output -> dense_1.input"
    assert _drawn_sources(window, "dense_1", "input") == ["input_1.output"]


def test_a_valid_drop_onto_a_connected_input_replaces_the_wire_in_one_undo_step(window, qtbot):
    _network(window, qtbot)
    mouse_drag(window, port_point(window, "input_2", "output", True), port_point(window, "dense_1", "input", False))
    assert [str(e) for e in window.document.workflow.edges] == ["input_2.output -> dense_1.input"]
    assert _drawn_sources(window, "dense_1", "input") == ["input_2.output"]
    assert window.document.undo_stack.undoText() == "Replace connection"
    press(window, qtbot, "Ctrl+Z")
    assert [str(e) for e in window.document.workflow.edges] == ["input_1.output -> dense_1.input"]
    assert _drawn_sources(window, "dense_1", "input") == ["input_1.output"]


def test_dragging_a_wire_off_its_input_disconnects_and_a_refused_move_keeps_it(window, qtbot):
    _network(window, qtbot)
    # grab the wire at the input and drop it on the table output: refused, the wire stays
    mouse_drag(window, port_point(window, "dense_1", "input", False),
               port_point(window, "sample_data_set_1", "table", True))
    assert [str(e) for e in window.document.workflow.edges] == ["input_1.output -> dense_1.input"]
    assert _drawn_sources(window, "dense_1", "input") == ["input_1.output"]
    # the same grab dropped on the other input's output moves the wire there
    mouse_drag(window, port_point(window, "dense_1", "input", False), port_point(window, "input_2", "output", True))
    assert [str(e) for e in window.document.workflow.edges] == ["input_2.output -> dense_1.input"]
    assert window.document.undo_stack.undoText() == "Replace connection"
    # dropped on empty canvas: disconnected
    start = port_point(window, "dense_1", "input", False)
    mouse_drag(window, start, start + (start - port_point(window, "input_2", "output", True)) / 2)
    assert window.document.workflow.edges == []
    assert _drawn_sources(window, "dense_1", "input") == []


def test_slicing_wires_with_alt_shift_drag_removes_them_in_one_undo_step(window, qtbot):
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    _network(window, qtbot)
    drop_from_repository(window, "keras.layers.Concatenate", (400, 400))
    mouse_drag(window, port_point(window, "input_2", "output", True), port_point(window, "concatenate_1", "inputs",
                                                                                   False))
    mouse_drag(window, port_point(window, "dense_1", "output", True), port_point(window, "concatenate_1", "inputs",
                                                                                   False))
    assert len(window.document.workflow.edges) == 3
    viewport = window.canvas.viewer().viewport()
    # a vertical cut between the inputs and the dense/concatenate column crosses all three wires
    top, bottom = port_point(window, "input_1", "output", True), port_point(window, "input_2", "output", True)
    x = (top.x() + port_point(window, "dense_1", "input", False).x()) // 2
    start, end = QPointF(x, top.y() - 80), QPointF(x, bottom.y() + 300)
    mods = Qt.AltModifier | Qt.ShiftModifier
    for kind, pos, button, buttons in [(QEvent.MouseButtonPress, start, Qt.LeftButton, Qt.LeftButton)] + [
            (QEvent.MouseMove, start + (end - start) * (i / 8), Qt.NoButton, Qt.LeftButton) for i in range(1, 9)] + [
            (QEvent.MouseButtonRelease, end, Qt.LeftButton, Qt.NoButton)]:
        QApplication.sendEvent(viewport, QMouseEvent(kind, pos, viewport.mapToGlobal(pos), button, buttons, mods))
    assert [str(e) for e in window.document.workflow.edges] == ["dense_1.output -> concatenate_1.inputs"]
    assert window.document.undo_stack.undoText() == "Delete connections"
    press(window, qtbot, "Ctrl+Z")
    assert len(window.document.workflow.edges) == 3
