"""The editor driven as a person would: drag nodes from the repository, wire ports with the
mouse, edit a parameter in the properties panel, watch the live shape, undo, save, reopen."""

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from nodeflow.core import dumps, load, save, validate
from nodeflow.gui.repository import mime_data_for
from tests.conftest import WORKFLOWS


def drop_from_repository(window, type_id, scene_point):
    """Drag enter, move and drop of a repository item at a point of the canvas."""
    viewer = window.canvas.viewer()
    viewport = viewer.viewport()
    point = viewer.mapFromScene(QPointF(*scene_point))
    mime = mime_data_for(type_id)
    for event_type in (QDragEnterEvent, QDragMoveEvent):
        event = event_type(point, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(viewport, event)
    drop = QDropEvent(QPointF(point), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(viewport, drop)


def port_point(window, node_id, port, output):
    view = window.canvas.views[node_id]
    ports = view.outputs() if output else view.inputs()
    return window.canvas.viewer().mapFromScene(ports[port].view.sceneBoundingRect().center())


def mouse_drag(window, start: QPoint, end: QPoint):
    viewport = window.canvas.viewer().viewport()

    def send(kind, pos, button, buttons):
        event = QMouseEvent(kind, QPointF(pos), viewport.mapToGlobal(QPointF(pos)), button, buttons,
                            Qt.NoModifier)
        QApplication.sendEvent(viewport, event)

    send(QEvent.MouseButtonPress, start, Qt.LeftButton, Qt.LeftButton)
    steps = 6
    for i in range(1, steps + 1):
        pos = start + (end - start) * (i / steps)
        send(QEvent.MouseMove, pos, Qt.NoButton, Qt.LeftButton)
    send(QEvent.MouseButtonRelease, end, Qt.LeftButton, Qt.NoButton)


def test_build_a_network_by_hand_edit_undo_save_and_reopen(window, qtbot, tmp_path):
    drop_from_repository(window, "keras.layers.Input", (0, 0))
    drop_from_repository(window, "keras.layers.Dense", (300, 0))
    drop_from_repository(window, "keras.layers.Dense", (600, 0))
    assert list(window.document.workflow.nodes) == ["input_1", "dense_1", "dense_2"]
    window.document.set_param("input_1", "shape", [8])
    window.canvas.fit()
    qtbot.wait(50)
    mouse_drag(window, port_point(window, "input_1", "output", True),
               port_point(window, "dense_1", "input", False))
    mouse_drag(window, port_point(window, "dense_1", "output", True),
               port_point(window, "dense_2", "input", False))
    assert [str(e) for e in window.document.workflow.edges] == [
        "input_1.output -> dense_1.input", "dense_1.output -> dense_2.input"]

    # units through the properties panel, as a person types them
    window.canvas.select(["dense_1"])
    qtbot.waitUntil(lambda: window.properties.node_id == "dense_1", timeout=2000)
    window.properties.set_value_for_test("units", 16)
    assert window.document.workflow.nodes["dense_1"].params["units"] == 16
    window.canvas.select(["dense_2"])
    qtbot.waitUntil(lambda: window.properties.node_id == "dense_2", timeout=2000)
    window.properties.set_value_for_test("units", 3)
    qtbot.waitUntil(lambda: window.canvas.shape_text("dense_1").startswith("(None, 16)"), timeout=60000)
    assert window.canvas.shape_text("dense_1") == "(None, 16) · 144 params"
    assert window.total_label.text() == "Model parameters: 195 (trainable 195 · non-trainable 0)"

    # undo the last edit: dense_2 loses its units again, the shape follows
    window.document.undo_stack.undo()
    assert "units" not in window.document.workflow.nodes["dense_2"].params
    qtbot.waitUntil(lambda: window.canvas.shape_text("dense_2") == "", timeout=30000)
    window.document.undo_stack.redo()

    path = tmp_path / "by_hand.nflow"
    window.document.save(path)
    assert "by_hand.nflow \u2014 NodeFlow" == window.windowTitle()
    saved = dumps(window.document.workflow)
    window.document.new()
    assert window.open_file(path)
    assert dumps(window.document.workflow) == saved
    assert dumps(load(path)) == saved


def test_a_table_to_network_connection_is_refused_with_the_reason(window, qtbot):
    drop_from_repository(window, "data.SampleDataSet", (0, 200))
    drop_from_repository(window, "keras.layers.Dense", (350, 0))
    window.canvas.fit()
    qtbot.wait(50)
    mouse_drag(window, port_point(window, "sample_data_set_1", "table", True),
               port_point(window, "dense_1", "input", False))
    assert window.document.workflow.edges == []
    assert not window.canvas.views["dense_1"].inputs()["input"].connected_ports()
    assert window.statusBar().currentMessage() == (
        "Connection refused: node dense_1: input port input: expected a network, got a table from "
        "sample_data_set_1.table")


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.nflow")), ids=lambda p: p.name)
def test_every_example_opens_without_a_warning(window, path, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **kwargs: warnings.append(args))
    assert window.open_file(path)
    assert warnings == []
    assert validate(window.document.workflow) == []
    assert set(window.canvas.views) == set(window.document.workflow.nodes)
    assert window.windowTitle() == f"{path.name} \u2014 NodeFlow"


def test_double_click_in_the_repository_adds_at_the_view_centre_and_delete_removes(window, qtbot):
    window.repository.node_requested.emit("keras.layers.Dense")
    assert list(window.document.workflow.nodes) == ["dense_1"]
    assert window.canvas.selected() == ["dense_1"]
    window.delete_selected()
    assert window.document.workflow.nodes == {}
    window.document.undo_stack.undo()
    assert list(window.document.workflow.nodes) == ["dense_1"]


def test_column_pickers_offer_the_columns_of_the_last_run(window, qtbot, tmp_path):
    import shutil

    from nodeflow.runtime.engine import Engine, default_run_dir

    path = tmp_path / "iris_mlp.nflow"
    shutil.copy(WORKFLOWS / "iris_mlp.nflow", path)
    assert window.open_file(path)
    window.canvas.select(["category_to_number_1"])
    assert window.session.upstream_columns("category_to_number_1") is None  # nothing has run yet
    Engine(load(path), default_run_dir(path)).run(targets=["sample_data_set_1"])
    window.canvas.select(["category_to_number_1"])
    assert window.session.upstream_columns("category_to_number_1") == [
        "sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    editor = window.properties.editor("columns")
    assert editor.known == ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]


def test_annotations_wrap_the_selection_are_undoable_and_saved(window, qtbot, tmp_path):
    window.repository.node_requested.emit("keras.layers.Input")
    window.repository.node_requested.emit("keras.layers.Dense")
    window.canvas.select(["input_1", "dense_1"])
    note = window.add_annotation("The network")
    backdrop = window.document.backdrop(note)
    for node_id in ("input_1", "dense_1"):
        x, y = window.document.workflow.nodes[node_id].position
        assert backdrop.position[0] < x < backdrop.position[0] + backdrop.size[0]
        assert backdrop.position[1] < y < backdrop.position[1] + backdrop.size[1]
    assert window.canvas.backdrop_text(note) == "The network"
    window.document.edit_backdrop(note, text="Feature extractor")
    assert window.canvas.backdrop_text(note) == "Feature extractor"
    window.document.undo_stack.undo()
    assert window.canvas.backdrop_text(note) == "The network"
    path = tmp_path / "notes.nflow"
    window.document.save(path)
    window.document.new()
    assert window.canvas.backdrop_views == {}
    assert window.open_file(path)
    assert list(window.canvas.backdrop_views) == [note]
    assert window.canvas.backdrop_text(note) == "The network"
    window.canvas.graph.clear_selection()
    window.canvas.backdrop_views[note].set_selected(True)
    window.delete_selected()
    assert window.document.workflow.backdrops == []
    window.document.undo_stack.undo()
    assert [b.id for b in window.document.workflow.backdrops] == [note]


def test_nodes_show_the_state_of_the_last_run(window, qtbot, tmp_path):
    """After `nodeflow run`, executed nodes show as executed, a failed one as failed with its
    error; editing a node takes it (and what depends on it) back to configured."""
    import shutil

    from nodeflow.runtime.engine import Engine, default_run_dir

    path = tmp_path / "iris_mlp.nflow"
    shutil.copy(WORKFLOWS / "iris_mlp.nflow", path)
    workflow = load(path)
    workflow.set_param("scorer", "truth_column", "no_such_column", check=False)
    save(workflow, path)
    Engine(workflow, default_run_dir(path)).run()
    assert window.open_file(path)
    states = window.session.stored_states()
    assert states["sample_data_set_1"][0] == "executed"
    assert states["learner"][0] == "executed"
    assert states["scorer"] == ("failed", states["scorer"][1])
    assert "no_such_column" in states["scorer"][1]
    assert window.canvas.views["learner"].view.toolTip().startswith("learner: executed")
    window.document.set_param("scorer", "truth_column", "species")
    assert "scorer" not in window.session.stored_states()  # changed since it failed
    window.document.set_param("partitioning_1", "seed", 2)
    assert "partitioning_1" not in window.session.stored_states()
    assert "learner" not in window.session.stored_states()
    assert window.session.stored_states()["sample_data_set_1"][0] == "executed"
