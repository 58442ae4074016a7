"""The workflow as the single, observable writer: editing methods, their events, undo data."""

import pytest

from nodeflow.core import Edge, Node, Workflow, WorkflowEditError, dumps, loads, validate
from nodeflow.core.workflow_events import (
    BackdropAdded,
    BackdropChanged,
    BackdropRemoved,
    EdgeAdded,
    EdgeRemoved,
    NodeAdded,
    NodeChanged,
    NodeMoved,
    NodeRemoved,
)


def recorder(workflow: Workflow) -> list:
    events: list = []
    workflow.subscribe(events.append)
    return events


@pytest.fixture
def merge(registry) -> Workflow:
    """Two inputs concatenated, then a Dense: the concatenation's edge order is its input order."""
    wf = Workflow(registry)
    wf.add_node("keras.layers.Input", {"shape": [2]}, node_id="a")
    wf.add_node("keras.layers.Input", {"shape": [3]}, node_id="b")
    wf.add_node("keras.layers.Dense", {"units": 4}, node_id="mid")
    wf.add_node("keras.layers.Concatenate", node_id="cat")
    wf.add_node("keras.layers.Dense", {"units": 1}, node_id="head")
    wf.connect("a", "output", "cat", "inputs")
    wf.connect("b", "output", "mid", "input")
    wf.connect("mid", "output", "cat", "inputs")
    wf.connect("cat", "output", "head", "input")
    return wf


def test_each_edit_tells_the_subscribers_what_changed_after_changing_it(registry):
    wf = Workflow(registry)
    events = recorder(wf)
    seen_nodes = []
    wf.subscribe(lambda event: seen_nodes.append(list(wf.nodes)))
    wf.add_node("keras.layers.Input", {"shape": [4]})
    wf.add_node("keras.layers.Dense", {"units": 2})
    wf.set_param("dense_1", "units", 3)
    wf.reset_param("dense_1", "units")
    wf.reset_param("dense_1", "units")  # not set: nothing changes, nothing is said
    wf.set_label("dense_1", "hidden")
    wf.set_annotation("dense_1", "try 16")
    wf.move_node("dense_1", (10, 20))
    wf.move_node("dense_1", (10.0, 20.0))  # where it is already
    edge = wf.connect("input_1", "output", "dense_1", "input")
    wf.disconnect(edge)
    note = wf.add_backdrop("Network", (0, 0), (100, 50))
    wf.edit_backdrop(note.id, text="The network")
    wf.remove_backdrop(note.id)
    wf.remove_nodes(["input_1"])
    assert events == [
        NodeAdded("input_1", 0), NodeAdded("dense_1", 1),
        NodeChanged("dense_1", "param", "units"), NodeChanged("dense_1", "param", "units"),
        NodeChanged("dense_1", "label"), NodeChanged("dense_1", "annotation"),
        NodeMoved("dense_1"),
        EdgeAdded(edge, 0), EdgeRemoved(edge, 0),
        BackdropAdded("note_1", 0), BackdropChanged("note_1"), BackdropRemoved("note_1", 0),
        NodeRemoved("input_1", 0),
    ]
    assert seen_nodes[0] == ["input_1"] and seen_nodes[-1] == ["dense_1"]  # sent after the change


def test_refused_edits_and_checks_change_nothing_and_say_nothing(mlp):
    before = dumps(mlp)
    events = recorder(mlp)
    assert mlp.connect_problems("csv_reader_1", "table", "dense_2", "input")
    assert mlp.node_problems("keras.layers.Dence")
    assert mlp.param_problems("dense_1", "units", 0)
    with pytest.raises(WorkflowEditError):
        mlp.connect("csv_reader_1", "table", "dense_2", "input")
    with pytest.raises(WorkflowEditError):
        mlp.add_node("keras.layers.Dense", {"units": 0})
    with pytest.raises(WorkflowEditError):
        mlp.set_param("dense_1", "units", 0)
    with pytest.raises(WorkflowEditError):
        mlp.remove_nodes(["dense_1", "nope"])  # all or nothing
    assert events == []
    assert dumps(mlp) == before


def test_removing_a_middle_node_and_restoring_it_gives_back_the_same_file(merge):
    before = dumps(merge)
    events = recorder(merge)
    removal = merge.remove_nodes(["mid"])
    assert [e.edge for e in events if isinstance(e, EdgeRemoved)] == [
        Edge("mid", "output", "cat", "inputs"), Edge("b", "output", "mid", "input")]
    assert events[-1] == NodeRemoved("mid", 2)  # the wires go first, then the node
    assert merge.edges == [Edge("a", "output", "cat", "inputs"), Edge("cat", "output", "head", "input")]
    events.clear()
    merge.restore(removal)
    assert dumps(merge) == before
    assert events[0] == NodeAdded("mid", 2)
    assert [e for e in events if isinstance(e, EdgeAdded)] == [
        EdgeAdded(Edge("b", "output", "mid", "input"), 1), EdgeAdded(Edge("mid", "output", "cat", "inputs"), 2)]


def test_removing_several_nodes_and_restoring_them_keeps_both_orders(merge):
    before = dumps(merge)
    removal = merge.remove_nodes(["cat", "a"])  # not in workflow order
    assert list(merge.nodes) == ["b", "mid", "head"]
    merge.restore(removal)
    assert dumps(merge) == before


def test_edges_and_nodes_go_in_at_a_chosen_place(merge):
    edge = merge.incoming("cat")[0]
    index = merge.disconnect(edge)
    assert index == 0
    merge.connect(edge.source, edge.source_port, edge.target, edge.target_port, index=index)
    assert merge.incoming("cat") == [Edge("a", "output", "cat", "inputs"), Edge("mid", "output", "cat", "inputs")]
    merge.insert_node(Node("extra", "keras.layers.Dropout", {"rate": 0.1}), index=1)
    assert list(merge.nodes)[:3] == ["a", "extra", "b"]
    with pytest.raises(WorkflowEditError, match="already in use"):
        merge.insert_node(Node("extra", "keras.layers.Dropout"))


@pytest.mark.parametrize("edge", [
    ("csv_reader_1", "table", "dense_2", "input"),  # a table into a network input
    ("dense_1", "outptu", "dense_2", "input"),  # no such output port
    ("dense_1", "output", "dense_2", "inptu"),  # no such input port
    ("dense_9", "output", "dense_2", "input"),  # no such node
], ids=["types", "output port", "input port", "node"])
def test_connect_refuses_with_the_words_validation_reports_the_same_edge_with(mlp, edge):
    mlp.disconnect(mlp.incoming("dense_2")[0])
    with pytest.raises(WorkflowEditError) as refused:
        mlp.connect(*edge)
    mlp.insert_edge(Edge(*edge))  # as a file with this mistake holds it
    reported = [str(p) for p in validate(mlp)]
    assert [str(p) for p in refused.value.problems][0] in reported


def test_connect_refuses_an_end_of_unknown_type_as_validation_names_it(registry):
    wf = loads('{"format": "nodeflow.workflow", "version": 2, "nodes": ['
               '{"id": "a", "type": "keras.layers.Input", "params": {"shape": [2]}},'
               '{"id": "m", "type": "keras.layers.Dence"}]}', registry=registry)
    with pytest.raises(WorkflowEditError) as refused:
        wf.connect("a", "output", "m", "input")
    assert [str(p) for p in refused.value.problems] == [str(validate(wf)[0])]
    assert wf.edges == []


def test_a_set_param_unchecked_puts_back_a_value_a_file_held(mlp):
    mlp.set_param("dense_1", "units", -3, check=False)
    assert mlp.nodes["dense_1"].params["units"] == -3
    assert [str(p) for p in validate(mlp)] == ["node dense_1: units: expected an integer >= 1, got -3"]


def test_unsubscribed_callbacks_and_copies_hear_nothing(mlp):
    events = recorder(mlp)
    mlp.unsubscribe(events.append)
    mlp.move_node("dense_1", (1, 1))
    clone = mlp.copy()
    mlp.subscribe(events.append)
    clone.move_node("dense_1", (2, 2))
    assert events == []
    assert clone.nodes["dense_1"].position == (2.0, 2.0)


def test_an_extracted_part_holds_the_nodes_their_edges_and_their_notes(mlp, tmp_path):
    mlp.base_dir = str(tmp_path)
    mlp.add_backdrop("Dense layers", (100, -20), (250, 60))  # frames dense_1 and dense_2
    mlp.add_backdrop("Everything", (-10, -20), (400, 300))  # frames input_1 too
    part = mlp.extract(["dense_2", "dense_1", "csv_reader_1"])
    assert list(part.nodes) == ["dense_1", "dense_2", "csv_reader_1"]
    assert part.edges == [Edge("dense_1", "output", "dense_2", "input")]
    assert [b.text for b in part.backdrops] == ["Dense layers"]
    assert part.nodes["csv_reader_1"].params["path"] == str(tmp_path / "data" / "iris.csv")
    assert mlp.nodes["csv_reader_1"].params["path"] == "data/iris.csv"  # the original is untouched


def test_a_replacing_wire_is_judged_as_if_the_old_one_were_gone(mlp):
    """A wire dropped onto an occupied single input replaces its wire: the check treats
    the old wire as gone, and changes nothing itself."""
    mlp.add_node("keras.layers.Input", {"shape": [4]}, node_id="input_2")
    old = mlp.incoming("dense_1", "input")[0]
    before = dumps(mlp)
    assert mlp.connect_problems("input_2", "output", "dense_1", "input")  # the input is taken
    assert mlp.connect_problems("input_2", "output", "dense_1", "input", replacing=[old]) == []
    # a cycle only through the replaced wire is no cycle; one through another wire still is
    assert mlp.connect_problems("dense_2", "output", "dense_1", "input", replacing=[old]) != []
    assert dumps(mlp) == before


def test_saving_respells_a_path_below_the_folder_and_says_so(registry, tmp_path):
    """A file path below the saved file's folder is kept relative, and views showing the
    path hear of the new spelling (saving writes it through the workflow, not around it)."""
    from nodeflow.core import save

    (tmp_path / "data.csv").write_text("a\n1\n")
    wf = Workflow(registry)
    wf.add_node("data.CsvReader", {"path": str(tmp_path / "data.csv")}, node_id="reader")
    heard = []
    wf.subscribe(heard.append)
    save(wf, tmp_path / "wf.nflow")
    assert wf.nodes["reader"].params["path"] == "data.csv"
    assert heard == [NodeChanged("reader", "param", "path")]
