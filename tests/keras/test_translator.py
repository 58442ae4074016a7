"""Workflow -> keras.Model: branches, merges, several inputs and outputs, named errors."""

import numpy as np
import pytest

from nodeflow.core import Workflow
from nodeflow.keras.translator import TranslationError, translate


def two_branch(units_b=32):
    """Two inputs, a shared trunk, an Add merge and two heads."""
    wf = Workflow()
    wf.add_node("keras.layers.Input", {"shape": [8]}, node_id="features")
    wf.add_node("keras.layers.Input", {"shape": [4]}, node_id="extra")
    wf.add_node("keras.layers.Dense", {"units": 32, "activation": "relu"}, node_id="a")
    wf.add_node("keras.layers.Dense", {"units": units_b, "activation": "relu"}, node_id="b")
    wf.add_node("keras.layers.Add", node_id="add_1")
    wf.add_node("keras.layers.Dense", {"units": 3, "activation": "softmax"}, node_id="class_head")
    wf.add_node("keras.layers.Dense", {"units": 1}, node_id="value_head")
    wf.connect("features", "output", "a", "input")
    wf.connect("extra", "output", "b", "input")
    wf.connect("a", "output", "add_1", "inputs")
    wf.connect("b", "output", "add_1", "inputs")
    wf.connect("add_1", "output", "class_head", "input")
    wf.connect("add_1", "output", "value_head", "input")
    return wf


def test_branches_merges_and_several_inputs_and_outputs(keras):
    translation = translate(two_branch())
    model = translation.model
    assert [t.name for t in model.inputs] == ["features", "extra"]
    assert [tuple(t.shape) for t in model.outputs] == [(None, 3), (None, 1)]
    assert translation.output_nodes == [("class_head", "output"), ("value_head", "output")]
    assert {layer.name for layer in model.layers} == {"features", "extra", "a", "b", "add_1",
                                                      "class_head", "value_head"}
    assert model.count_params() == (8 * 32 + 32) + (4 * 32 + 32) + (32 * 3 + 3) + (32 + 1)
    probabilities, value = model.predict([np.ones((2, 8)), np.ones((2, 4))], verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_the_chosen_output_selects_the_upstream_part(keras):
    translation = translate(two_branch(), output=("value_head", "output"))
    assert [tuple(t.shape) for t in translation.model.outputs] == [(None, 1)]
    assert "class_head" not in {layer.name for layer in translation.model.layers}


def test_a_shape_mismatch_names_the_node_and_both_shapes(keras):
    with pytest.raises(TranslationError) as exc:
        translate(two_branch(units_b=64))
    message = str(exc.value)
    assert message.startswith("node add_1: inputs have shapes (None, 32) and (None, 64): ")


def test_an_invalid_workflow_is_refused_with_all_its_problems(keras):
    wf = two_branch()
    wf.set_param("a", "units", 0, check=False)
    wf.remove_node("extra")
    with pytest.raises(TranslationError) as exc:
        translate(wf)
    assert [str(p) for p in exc.value.problems] == [
        "node a: units: expected an integer >= 1, got 0",
        "node b: input port input: missing required connection; expected a network input, got none",
    ]


def test_a_workflow_without_layers_is_refused(keras):
    wf = Workflow()
    wf.add_node("data.CsvReader", {"path": "x.csv"})
    with pytest.raises(TranslationError, match="expected at least one layer node"):
        translate(wf)


def test_recurrent_states_reach_their_own_ports(keras):
    wf = Workflow()
    wf.add_node("keras.layers.Input", {"shape": [5, 3]}, node_id="seq")
    wf.add_node("keras.layers.LSTM", {"units": 6, "return_state": True}, node_id="lstm")
    wf.add_node("keras.layers.Dense", {"units": 2}, node_id="from_cell")
    wf.connect("seq", "output", "lstm", "input")
    wf.connect("lstm", "state_c", "from_cell", "input")
    model = translate(wf).model
    assert [tuple(t.shape) for t in model.outputs] == [(None, 6), (None, 6), (None, 2)]
    wf.set_param("lstm", "return_state", False)
    with pytest.raises(TranslationError) as exc:
        translate(wf)
    assert str(exc.value).startswith("node lstm: output port state_c: is connected, but the layer "
                                     "gives only 1 output(s)")
