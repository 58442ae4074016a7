"""Auto layout takes annotations along; long labels stay inside their node."""

from PySide6.QtCore import QRectF, Qt
from PySide6.QtTest import QTest

from nodeflow.core import load
from tests.conftest import WORKFLOWS
from tests.gui.test_canvas_shortcuts import click, focus_canvas, node_point, press
from tests.gui.test_main_window import drop_from_repository


def backdrop_rect(window, backdrop_id) -> QRectF:
    backdrop = window.document.backdrop(backdrop_id)
    return QRectF(*backdrop.position, *backdrop.size)


def test_auto_layout_moves_each_annotation_with_the_nodes_it_holds_in_one_undo_step(window, qtbot):
    drop_from_repository(window, "keras.layers.Input", (300, 200))
    drop_from_repository(window, "keras.layers.Dense", (550, 60))
    drop_from_repository(window, "data.SampleDataSet", (-150, -200))
    window.canvas.fit()
    focus_canvas(window, qtbot, "input_1")
    click(window, node_point(window, "dense_1"), modifiers=Qt.ShiftModifier)
    assert sorted(window.canvas.selected()) == ["dense_1", "input_1"]
    QTest.keyClick(window.canvas.viewer(), Qt.Key_B, Qt.ControlModifier)  # Ctrl+B: an annotation around them
    [note] = [b.id for b in window.document.workflow.backdrops]
    before = (window.document.backdrop(note), {n: window.document.workflow.nodes[n].position
                                               for n in window.document.workflow.nodes})
    press(window, qtbot, "Ctrl+L")  # nothing selected: everything is laid out
    area = backdrop_rect(window, note)
    for node_id in ("input_1", "dense_1"):
        assert window.document.workflow.nodes[node_id].position != before[1][node_id]
        assert area.contains(window.canvas.views[node_id].view.sceneBoundingRect()), node_id
    assert window.canvas.backdrop_views[note].view.sceneBoundingRect().contains(
        window.canvas.views["input_1"].view.sceneBoundingRect())  # drawn where the model says
    assert window.document.undo_stack.undoText() == "Auto layout"
    press(window, qtbot, "Ctrl+Z")
    assert window.document.backdrop(note) == before[0]
    assert {n: window.document.workflow.nodes[n].position for n in window.document.workflow.nodes} == before[1]


def test_long_labels_are_elided_inside_their_node_with_the_whole_label_in_the_tooltip(window):
    path = WORKFLOWS / "digits_cnn.nflow"
    labels = {n.id: n.label for n in load(path) if n.label}
    long = [n for n, label in labels.items() if len(label) > 18]
    assert long, "the example has a long label to show"
    assert window.open_file(path)
    for node_id, view in window.canvas.views.items():
        title = view.view.text_item
        node_rect = view.view.sceneBoundingRect()
        assert node_rect.contains(title.mapRectToScene(title.boundingRect())), node_id
        if node_id in labels:
            assert labels[node_id] in view.view.toolTip()
    for node_id in long:
        shown = window.canvas.views[node_id].view.text_item.toPlainText()
        assert shown.endswith("\u2026") and labels[node_id].startswith(shown[:-1])
