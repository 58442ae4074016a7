"""Editing the workflow graph: ids, parameters, connections and the refusals."""

import pytest

from nodeflow.core import Edge, Workflow, WorkflowEditError


def refusal(excinfo) -> str:
    return str(excinfo.value.problems[0])


def test_ids_are_stable_readable_and_reuse_the_smallest_free_number(registry):
    wf = Workflow(registry)
    ids = [wf.add_node("keras.layers.Dense", {"units": 4}).id for _ in range(3)]
    assert ids == ["dense_1", "dense_2", "dense_3"]
    assert wf.add_node("data.CsvReader").id == "csv_reader_1"
    wf.remove_node("dense_2")
    assert wf.add_node("keras.layers.Dense").id == "dense_2"


def test_add_node_refuses_unknown_type_bad_id_and_bad_params(registry):
    wf = Workflow(registry)
    with pytest.raises(WorkflowEditError) as exc:
        wf.add_node("keras.layers.Dence")
    assert refusal(exc) == ('type: expected a known node type, got "keras.layers.Dence" '
                            "(did you mean keras.layers.Dense?)")
    with pytest.raises(WorkflowEditError) as exc:
        wf.add_node("keras.layers.Dense", node_id="my dense")
    assert "expected an identifier" in refusal(exc)
    with pytest.raises(WorkflowEditError) as exc:
        wf.add_node("keras.layers.Dense", {"units": 0, "unit": 3}, node_id="d")
    assert [str(p) for p in exc.value.problems] == [
        "node d: units: expected an integer >= 1, got 0",
        "node d: unit: unknown parameter of keras.layers.Dense; expected one of: units, activation, "
        "use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, "
        "activity_regularizer, kernel_constraint, bias_constraint, lora_rank, lora_alpha, "
        "trainable, shares_weights_with (did you mean units?)",
    ]
    assert not wf.nodes  # a refused edit changes nothing


def test_set_param_checks_and_reset_returns_to_default(mlp):
    with pytest.raises(WorkflowEditError) as exc:
        mlp.set_param("dense_1", "units", -3)
    assert refusal(exc) == "node dense_1: units: expected an integer >= 1, got -3"
    assert mlp.param_value("dense_1", "units") == 8
    mlp.set_param("dense_1", "use_bias", False)
    assert mlp.param_value("dense_1", "use_bias") is False
    mlp.reset_param("dense_1", "use_bias")
    assert mlp.param_value("dense_1", "use_bias") is True


def test_connect_refuses_a_table_into_a_network_input(mlp):
    mlp.add_node("keras.layers.Dense", {"units": 2}, node_id="head")
    with pytest.raises(WorkflowEditError) as exc:
        mlp.connect("csv_reader_1", "table", "head", "input")
    assert refusal(exc) == "node head: input port input: expected a network, got a table from csv_reader_1.table"
    assert mlp.incoming("head") == []


def test_connect_refuses_cycles_occupied_inputs_and_unknown_ports(mlp):
    with pytest.raises(WorkflowEditError) as exc:
        mlp.connect("dense_2", "output", "dense_1", "input")
    assert "would make a cycle" in refusal(exc)
    with pytest.raises(WorkflowEditError) as exc:
        mlp.connect("dense_1", "output", "dense_1", "input")
    assert refusal(exc) == "node dense_1: input port input: connecting dense_1 to dense_1 would make a cycle"
    mlp.add_node("keras.layers.Input", {"shape": [2]}, node_id="other")
    with pytest.raises(WorkflowEditError) as exc:
        mlp.connect("other", "output", "dense_1", "input")
    assert refusal(exc) == ("node dense_1: input port input: expected one connection, "
                            "but input_1.output is connected already")
    with pytest.raises(WorkflowEditError) as exc:
        mlp.connect("other", "out", "dense_1", "input")
    assert refusal(exc) == ("node other: edge other.out -> dense_1.input: expected an output port "
                            "among: output, got out")
    with pytest.raises(WorkflowEditError) as exc:
        mlp.connect("nope", "output", "dense_1", "input")
    assert refusal(exc) == ("edge nope.output -> dense_1.input: expected an existing output node, "
                            "got nope which is not in the workflow")


def test_remove_node_removes_its_edges_and_returns_them(mlp):
    removed = mlp.remove_node("dense_1")
    assert removed == [Edge("input_1", "output", "dense_1", "input"),
                       Edge("dense_1", "output", "dense_2", "input")]
    assert mlp.edges == []


def test_disconnect_and_upstream(mlp):
    assert mlp.upstream("dense_2") == {"dense_1", "input_1"}
    edge = mlp.incoming("dense_2")[0]
    mlp.disconnect(edge)
    assert mlp.upstream("dense_2") == set()
    with pytest.raises(WorkflowEditError):
        mlp.disconnect(edge)


def test_copy_is_independent(mlp):
    clone = mlp.copy()
    clone.set_param("dense_1", "units", 99)
    clone.move_node("dense_1", (1, 2))
    assert mlp.param_value("dense_1", "units") == 8
    assert mlp.nodes["dense_1"].position == (150.0, 0.0)


def test_downstream_is_everything_that_depends_on_a_node():
    from nodeflow.core import Workflow

    wf = Workflow()
    for node_id in ("a", "b", "c", "d"):
        wf.add_node("keras.layers.Dense", {"units": 2}, node_id=node_id)
    wf.connect("a", "output", "b", "input")
    wf.connect("b", "output", "c", "input")
    assert wf.downstream("a") == {"b", "c"} and wf.downstream("c") == set() and wf.downstream("d") == set()


def test_a_port_view_must_be_a_known_one():
    import pytest

    from nodeflow.core.ports import Port

    assert Port("history", "table", view="history").describe()["view"] == "history"
    with pytest.raises(ValueError, match="expected a view among history"):
        Port("history", "table", view="plot")
