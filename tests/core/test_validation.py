"""Validation reports every problem kind, all at once, naming node and parameter/port."""

from nodeflow.core import Edge, Node, Workflow, topological_order, validate


def messages(wf):
    return [str(p) for p in validate(wf)]


def test_a_valid_workflow_has_no_problems(mlp):
    assert validate(mlp) == []
    assert topological_order(mlp) == ["input_1", "csv_reader_1", "dense_1", "dense_2"]


def test_every_problem_kind_is_reported_together(registry):
    wf = Workflow(registry)
    # nodes are inserted unchecked, as a file loader does
    wf.insert_node(Node("input_1", "keras.layers.Input", {"shape": [4]}))
    wf.insert_node(Node("mystery_1", "keras.layers.Dence", {"units": 3}))
    wf.insert_node(Node("dense_1", "keras.layers.Dense", {"units": -3, "activaton": "relu"}))
    wf.insert_node(Node("dense_2", "keras.layers.Dense", {}))
    wf.insert_node(Node("dropout_1", "keras.layers.Dropout", {"rate": 1.5}))
    wf.insert_node(Node("csv_reader_1", "data.CsvReader", {"path": "x.csv"}))
    wf.insert_node(Node("a", "keras.layers.Dense", {"units": 1}))
    wf.insert_node(Node("b", "keras.layers.Dense", {"units": 1}))
    for edge in [
        Edge("input_1", "output", "dense_1", "input"),
        Edge("csv_reader_1", "table", "dense_2", "input"),  # incompatible
        Edge("dense_9", "output", "dropout_1", "input"),  # dangling: no such node
        Edge("dense_1", "outptu", "dropout_1", "input"),  # dangling: no such port
        Edge("a", "output", "b", "input"),  # a cycle
        Edge("b", "output", "a", "input"),
    ]:
        wf.insert_edge(edge)  # unchecked, as a hand-edited file can hold them
    assert messages(wf) == [
        'node mystery_1: type: expected a known node type, got "keras.layers.Dence" '
        "(did you mean keras.layers.Dense?)",
        "node dense_1: units: expected an integer >= 1, got -3",
        "node dense_1: activaton: unknown parameter of keras.layers.Dense; expected one of: units, "
        "activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, "
        "bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, lora_rank, "
        "lora_alpha, trainable, shares_weights_with (did you mean activation?)",
        "node dense_2: units: missing required parameter; expected an integer >= 1",
        "node dropout_1: rate: expected a number >= 0.0 and < 1.0, got 1.5",
        "node dense_2: input port input: expected a network, got a table from csv_reader_1.table",
        "edge dense_9.output -> dropout_1.input: expected an existing output node, "
        "got dense_9 which is not in the workflow",
        "node dense_1: edge dense_1.outptu -> dropout_1.input: expected an output port among: output, "
        "got outptu",
        "node dropout_1: input port input: expected at most one connection, got 2: "
        "dense_9.output -> dropout_1.input, dense_1.outptu -> dropout_1.input",
        "node a: connections: expected an acyclic graph, got a cycle: a -> b -> a",
    ]


def test_too_many_connections_and_duplicates(registry):
    wf = Workflow(registry)
    wf.insert_node(Node("i1", "keras.layers.Input", {"shape": [2]}))
    wf.insert_node(Node("i2", "keras.layers.Input", {"shape": [2]}))
    wf.insert_node(Node("d", "keras.layers.Dense", {"units": 2}))
    for edge in [Edge("i1", "output", "d", "input"), Edge("i2", "output", "d", "input"),
                 Edge("i2", "output", "d", "input")]:
        wf.insert_edge(edge)
    assert messages(wf) == [
        "edge i2.output -> d.input: expected each connection once, got a duplicate",
        "node d: input port input: expected at most one connection, got 2: "
        "i1.output -> d.input, i2.output -> d.input",
    ]


def test_nested_parameter_problems_name_the_argument(mlp):
    mlp.set_param("dense_1", "kernel_initializer", {"name": "random_normal", "args": {"stddev": -1}}, check=False)
    mlp.set_param("dense_1", "kernel_regularizer", "l3", check=False)
    assert messages(mlp) == [
        "node dense_1: kernel_initializer.stddev: expected a number >= 0.0, got -1",
        'node dense_1: kernel_regularizer: expected one of "l1", "l2", "l1_l2", '
        '"orthogonal_regularizer" (or {"name": ..., "args": {...}}) or null, got "l3"',
    ]


def test_self_loop_is_a_cycle(registry):
    wf = Workflow(registry)
    wf.insert_node(Node("d", "keras.layers.Dense", {"units": 2}))
    wf.insert_edge(Edge("d", "output", "d", "input"))
    assert messages(wf) == ["node d: connections: expected an acyclic graph, got a cycle: d -> d"]


def test_a_layer_shared_with_a_node_that_cannot_lend_it_is_a_problem_before_any_build(registry):
    """`nodeflow validate`, the editor's badges and a run's check all name the node, without
    building the model (no TensorFlow on this path)."""
    wf = Workflow(registry)
    wf.insert_node(Node("input_1", "keras.layers.Input", {"shape": [4]}))
    wf.insert_node(Node("first", "keras.layers.Dense", {"units": 2}))
    wf.insert_node(Node("same", "keras.layers.Dense", {"units": 2, "shares_weights_with": "first"}))
    wf.insert_node(Node("wider", "keras.layers.Dense", {"units": 3, "shares_weights_with": "first"}))
    wf.insert_node(Node("chained", "keras.layers.Dense", {"units": 2, "shares_weights_with": "same"}))
    wf.insert_node(Node("lost", "keras.layers.Dense", {"units": 2, "shares_weights_with": "nowhere"}))
    wf.insert_node(Node("other_type", "keras.layers.Dropout", {"rate": 0.1, "shares_weights_with": "first"}))
    for target in ("first", "same", "wider", "chained", "lost", "other_type"):
        wf.insert_edge(Edge("input_1", "output", target, "input"))
    assert messages(wf) == [
        "node wider: shares_weights_with: names first, whose parameters differ in units; expected the "
        "same parameters (it is the same layer)",
        "node chained: shares_weights_with: names same, which itself shares the layer of first; name "
        "first instead",
        "node lost: shares_weights_with: names 'nowhere', expected another node of this workflow",
        "node other_type: shares_weights_with: names first, a keras.layers.Dense node; expected a "
        "keras.layers.Dropout node (a layer is shared only between nodes of the same type)",
    ]
