"""The editor's document: every edit undoable, refusals change nothing, files via the core."""

import pytest

from nodeflow.core import Edge, WorkflowEditError, dumps, load
from nodeflow.gui.document import WorkflowDocument
from tests.conftest import WORKFLOWS


@pytest.fixture
def doc(qapp):
    document = WorkflowDocument()
    document.add_node("keras.layers.Input", (0, 0))
    document.set_param("input_1", "shape", [4])
    document.add_node("keras.layers.Dense", (200, 0))
    document.set_param("dense_1", "units", 8)
    document.connect("input_1", "output", "dense_1", "input")
    return document


def test_every_edit_is_undone_and_redone(doc):
    before = dumps(doc.workflow)
    doc.add_node("keras.layers.Dense", (400, 0))
    doc.connect("dense_1", "output", "dense_2", "input")
    doc.set_param("dense_2", "units", 3)
    doc.move_nodes({"dense_2": (420.0, 10.0)})
    doc.disconnect(Edge("input_1", "output", "dense_1", "input"))
    doc.remove_nodes(["dense_1"])
    after = dumps(doc.workflow)
    steps = 6
    for _ in range(steps):
        doc.undo_stack.undo()
    assert dumps(doc.workflow) == before
    for _ in range(steps):
        doc.undo_stack.redo()
    assert dumps(doc.workflow) == after


def test_removal_undo_restores_node_order_and_edges(doc):
    doc.add_node("keras.layers.Dropout", (300, 0))
    doc.set_param("dropout_1", "rate", 0.5)
    doc.connect("dense_1", "output", "dropout_1", "input")
    before = dumps(doc.workflow)
    doc.remove_nodes(["dense_1"])
    assert doc.workflow.edges == []
    doc.undo_stack.undo()
    assert dumps(doc.workflow) == before


def test_refused_edits_change_nothing(doc):
    doc.add_node("data.CsvReader", (0, 200))
    count = doc.undo_stack.count()
    with pytest.raises(WorkflowEditError) as exc:
        doc.connect("csv_reader_1", "table", "dense_1", "input")
    assert "expected a network, got a table" in str(exc.value)
    with pytest.raises(WorkflowEditError):
        doc.set_param("dense_1", "units", -1)
    assert doc.undo_stack.count() == count
    assert doc.workflow.nodes["dense_1"].params["units"] == 8


def test_copy_paste_keeps_connections_among_copied_nodes(doc):
    pasted = doc.paste(doc.copy_nodes(["input_1", "dense_1"]))
    assert pasted == ["input_2", "dense_2"]
    assert Edge("input_2", "output", "dense_2", "input") in doc.workflow.edges
    assert doc.workflow.nodes["dense_2"].params == {"units": 8}
    assert doc.workflow.nodes["dense_2"].position == (240.0, 40.0)
    doc.undo_stack.undo()
    assert "input_2" not in doc.workflow.nodes
    assert doc.paste("not a clipboard") == []


def test_save_reopen_and_modified_flag(doc, tmp_path):
    assert doc.modified
    doc.save(tmp_path / "wf.nflow")
    assert not doc.modified
    text = (tmp_path / "wf.nflow").read_text()
    other = WorkflowDocument()
    other.open(tmp_path / "wf.nflow")
    other.save()
    assert (tmp_path / "wf.nflow").read_text() == text


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.nflow")), ids=lambda p: p.name)
def test_examples_open_and_save_byte_identical(path, tmp_path, qapp):
    doc = WorkflowDocument()
    doc.open(path)
    assert not doc.modified
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    doc.open(copy)
    doc.save()
    assert copy.read_bytes() == path.read_bytes()
    assert dumps(load(copy)) == path.read_text()
