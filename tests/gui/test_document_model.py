"""The document edits only through the core workflow: exact undo, signals from the model's events,
copy and paste as .nflow text."""

import pytest

from nodeflow.core import Edge, Workflow, WorkflowEditError, dumps, loads
from nodeflow.gui.document import WorkflowDocument
from tests.conftest import WORKFLOWS

SIGNALS = ("node_added", "node_removed", "node_moved", "node_changed", "edge_added", "edge_removed",
           "backdrop_added", "backdrop_removed", "backdrop_changed")


@pytest.fixture
def doc(qapp):
    """a -> cat, b -> mid -> cat, cat -> head: the concatenation's inputs are in edge order."""
    document = WorkflowDocument()
    for type_id, x in (("keras.layers.Input", 0), ("keras.layers.Input", 0), ("keras.layers.Dense", 200),
                       ("keras.layers.Concatenate", 400), ("keras.layers.Dense", 600)):
        document.add_node(type_id, (x, 0))
    document.set_param("input_1", "shape", [2])
    document.set_param("input_2", "shape", [3])
    document.set_param("dense_1", "units", 4)
    document.set_param("dense_2", "units", 1)
    document.connect("input_1", "output", "concatenate_1", "inputs")
    document.connect("input_2", "output", "dense_1", "input")
    document.connect("dense_1", "output", "concatenate_1", "inputs")
    document.connect("concatenate_1", "output", "dense_2", "input")
    document.undo_stack.clear()
    return document


def recorded(doc: WorkflowDocument) -> list:
    calls: list = []
    for name in SIGNALS:
        getattr(doc, name).connect(lambda arg, name=name: calls.append((name, arg)))
    return calls


EDITS = {
    "add": lambda d: d.add_node("keras.layers.Dropout", (300, 100)),
    "set a default parameter": lambda d: d.set_param("dense_2", "activation", "sigmoid"),
    "change a parameter": lambda d: d.set_param("dense_1", "units", 7),
    "reset a parameter": lambda d: d.reset_param("dense_1", "units"),
    "label": lambda d: d.set_label("dense_1", "hidden"),
    "annotation": lambda d: d.set_annotation("dense_1", "try 16"),
    "move": lambda d: d.move_nodes({"dense_1": (210.5, 30.0)}),
    "disconnect the first of two merge inputs": lambda d: d.disconnect(Edge("input_1", "output",
                                                                            "concatenate_1", "inputs")),
    "connect": lambda d: d.connect("input_1", "output", "concatenate_1", "inputs"),
    "delete a middle node with edges": lambda d: d.remove_nodes(["dense_1"]),
    "annotate": lambda d: d.add_backdrop("Inputs", (-20, -20), (100, 200)),
    "edit the annotation": lambda d: d.edit_backdrop("note_1", text="Two inputs", size=(120, 220)),
    "paste": lambda d: d.paste(d.copy_nodes(["input_1", "concatenate_1"])),
    "delete the annotation": lambda d: d.remove_backdrops(["note_1"]),
}


def test_each_edit_undoes_to_the_exact_text_before_it_and_redoes_to_the_text_after(doc):
    texts = [dumps(doc.workflow)]
    for name, edit in EDITS.items():
        count = doc.undo_stack.count()
        edit(doc)
        assert doc.undo_stack.count() == count + 1, name
        texts.append(dumps(doc.workflow))
        assert texts[-1] != texts[-2], name
    for text in reversed(texts[:-1]):
        doc.undo_stack.undo()
        assert dumps(doc.workflow) == text
    for text in texts[1:]:
        doc.undo_stack.redo()
        assert dumps(doc.workflow) == text


def test_deleting_a_node_in_the_middle_then_undo_saves_the_same_bytes(doc, tmp_path):
    path = tmp_path / "merge.nflow"
    doc.save(path)
    before = path.read_bytes()
    doc.remove_nodes(["dense_1"])  # its edges are the 2nd and 3rd of four
    assert [str(e) for e in doc.workflow.edges] == ["input_1.output -> concatenate_1.inputs",
                                                    "concatenate_1.output -> dense_2.input"]
    doc.undo_stack.undo()
    doc.save()
    assert path.read_bytes() == before


def test_an_example_survives_deleting_every_node_one_by_one_and_undoing_all(qapp):
    doc = WorkflowDocument()
    doc.open(WORKFLOWS / "digits_cnn.nflow")
    before = dumps(doc.workflow)
    for node_id in list(doc.workflow.nodes)[1::2]:
        doc.remove_nodes([node_id])
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert dumps(doc.workflow) == before


def test_signals_come_from_the_model_wires_before_their_node(doc):
    calls = recorded(doc)
    doc.remove_nodes(["dense_1"])
    assert calls == [("edge_removed", Edge("dense_1", "output", "concatenate_1", "inputs")),
                     ("edge_removed", Edge("input_2", "output", "dense_1", "input")),
                     ("node_removed", "dense_1")]
    calls.clear()
    doc.undo_stack.undo()
    assert calls == [("node_added", "dense_1"),
                     ("edge_added", Edge("input_2", "output", "dense_1", "input")),
                     ("edge_added", Edge("dense_1", "output", "concatenate_1", "inputs"))]


def test_after_open_the_signals_follow_the_new_workflow_only(doc, tmp_path):
    old = doc.workflow
    doc.save(tmp_path / "wf.nflow")
    doc.new()
    doc.open(tmp_path / "wf.nflow")
    calls = recorded(doc)
    old.move_node("dense_1", (1, 1))  # the replaced model is no longer watched
    assert calls == []
    doc.move_nodes({"dense_1": (5, 5)})
    assert calls == [("node_moved", "dense_1")]


def test_refused_edits_leave_no_undo_step_and_no_signal(doc):
    doc.add_node("data.CsvReader", (0, 300))
    before, steps, calls = dumps(doc.workflow), doc.undo_stack.count(), recorded(doc)
    with pytest.raises(WorkflowEditError, match="expected a network, got a table"):
        doc.connect("csv_reader_1", "table", "dense_2", "input")
    with pytest.raises(WorkflowEditError, match="but concatenate_1.output is connected already"):
        doc.connect("input_1", "output", "dense_2", "input")
    with pytest.raises(WorkflowEditError, match="expected a known node type"):
        doc.add_node("keras.layers.Dence", (0, 0))
    with pytest.raises(WorkflowEditError, match="units: expected an integer >= 1, got 0"):
        doc.set_param("dense_1", "units", 0)
    assert dumps(doc.workflow) == before
    assert doc.undo_stack.count() == steps
    assert calls == []


def test_undo_puts_back_a_faulty_value_and_a_faulty_edge_a_file_held(qapp, tmp_path):
    text = (WORKFLOWS / "iris_mlp.nflow").read_text()
    wf = loads(text)
    first = next(n for n in wf if "units" in wf.nodes[n.id].params)
    wf.set_param(first.id, "units", -3, check=False)
    wf.insert_edge(Edge(first.id, "outptu", first.id, "input"))
    path = tmp_path / "faulty.nflow"
    path.write_text(dumps(wf))
    doc = WorkflowDocument()
    doc.open(path)
    before = dumps(doc.workflow)
    doc.set_param(first.id, "units", 5)
    doc.disconnect(Edge(first.id, "outptu", first.id, "input"))
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert dumps(doc.workflow) == before


def test_copy_is_nflow_text_and_paste_adds_fresh_shifted_nodes_with_their_edges(doc):
    doc.add_backdrop("Merge", (390, -10), (100, 100))  # frames the concatenation only
    text = doc.copy_nodes(["input_1", "concatenate_1", "dense_2"])
    part = loads(text)
    assert list(part.nodes) == ["input_1", "concatenate_1", "dense_2"]
    assert len(part.backdrops) == 1
    pasted = doc.paste(text, offset=(10.0, 500.0))
    assert pasted == ["input_3", "concatenate_2", "dense_3"]
    assert doc.workflow.edges[-2:] == [Edge("input_3", "output", "concatenate_2", "inputs"),
                                       Edge("concatenate_2", "output", "dense_3", "input")]
    assert doc.workflow.nodes["concatenate_2"].position == (410.0, 500.0)
    assert doc.workflow.nodes["input_3"].params == {"shape": [2]}
    assert [(b.id, b.text, b.position) for b in doc.workflow.backdrops] == [
        ("note_1", "Merge", (390.0, -10.0)), ("note_2", "Merge", (400.0, 490.0))]
    doc.undo_stack.undo()  # one step takes the whole paste back
    assert list(doc.workflow.nodes) == ["input_1", "input_2", "dense_1", "concatenate_1", "dense_2"]
    assert len(doc.workflow.backdrops) == 1


def test_paste_ignores_text_that_is_not_a_workflow_and_skips_unknown_types(doc):
    before = dumps(doc.workflow)
    for text in ("", "dense_1", '{"format": "nodeflow.clipboard", "nodes": []}', "[1, 2]"):
        assert doc.paste(text) == []
    assert dumps(doc.workflow) == before and not doc.undo_stack.canUndo()
    wf = Workflow()
    wf.add_node("keras.layers.Input", {"shape": [4]}, node_id="x")
    text = dumps(wf).replace('"nodes": [', '"nodes": [{"id": "m", "type": "keras.layers.Mystery"},', 1)
    text = text.replace('"edges": []', '"edges": [{"from": "x.output", "to": "m.input"}]')
    assert doc.paste(text) == ["input_3"]
    assert doc.workflow.incoming("input_3") == [] and doc.workflow.outgoing("input_3") == []


def test_a_pasted_file_path_keeps_pointing_at_the_same_file(qapp, tmp_path):
    source, target = tmp_path / "a", tmp_path / "b"
    source.mkdir()
    target.mkdir()
    (source / "data.csv").write_text("x\n1\n")
    doc = WorkflowDocument()
    doc.add_node("data.CsvReader", (0, 0))
    doc.set_param("csv_reader_1", "path", str(source / "data.csv"))
    doc.save(source / "wf.nflow")
    assert doc.workflow.nodes["csv_reader_1"].params["path"] == "data.csv"  # relative once saved
    text = doc.copy_nodes(["csv_reader_1"])
    doc.new()
    doc.save(target / "other.nflow")
    doc.paste(text)
    doc.save()
    saved = loads((target / "other.nflow").read_text(), base_dir=target)
    assert saved.resolve_path(saved.nodes["csv_reader_1"].params["path"]) == str(source / "data.csv")
