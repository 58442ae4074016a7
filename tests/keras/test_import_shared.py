"""Layers called more than once (shared weights): one node per call, each later call
naming the first call's node in ``shares_weights_with``; the weights exist once."""

import numpy as np
import pytest

from nodeflow.core import Workflow, default_registry
from nodeflow.keras.export import export_python
from nodeflow.keras.shapes import infer_shapes
from nodeflow.keras.translator import TranslationError, translate

from .roundtrip import check_roundtrip


def siamese(keras):
    keras.utils.set_random_seed(3)
    L = keras.layers
    left, right = keras.Input((8,), name="left"), keras.Input((8,), name="right")
    embed = L.Dense(16, activation="relu", name="embed")
    project = L.Dense(4, name="project")
    a, b = project(embed(left)), project(embed(right))
    distance = L.Subtract(name="diff")([a, b])
    return keras.Model([left, right], L.Dense(1, name="score")(distance), name="siamese")


def test_siamese_imports_with_weights_stored_once(keras, tmp_path, capsys):
    model = siamese(keras)
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(4, 8)).astype("float32") for _ in range(2)]
    workflow = check_roundtrip(model, x, tmp_path, capsys)
    assert workflow.nodes["embed_call2"].params["shares_weights_with"] == "embed"
    assert workflow.nodes["project_call2"].params["shares_weights_with"] == "project"
    with np.load(tmp_path / "wf.weights.npz") as archive:
        assert not [k for k in archive.files if "_call2/" in k]
        assert sum(archive[k].size for k in archive.files) == model.count_params()
    # shape inference counts the shared layer's parameters once
    assert infer_shapes(workflow).trainable_params == model.count_params()


def drawn(shared_params):
    """Two inputs, a Dense on each; the second names the first."""
    workflow = Workflow(default_registry())
    for name in ("a", "b"):
        workflow.add_node("keras.layers.Input", {"shape": [3]}, node_id=name)
    workflow.add_node("keras.layers.Dense", {"units": 2}, node_id="first")
    workflow.add_node("keras.layers.Dense", {"units": 2, **shared_params}, node_id="second")
    workflow.connect("b", "output", "second", "input")  # added before its owner's edge
    workflow.connect("a", "output", "first", "input")
    return workflow


def test_drawn_shared_layer_is_one_layer_in_model_and_script(keras):
    workflow = drawn({"shares_weights_with": "first"})
    model = translate(workflow).model
    assert model.count_params() == 2 * 3 + 2
    assert len([layer for layer in model.layers if layer.weights]) == 1
    script = export_python(workflow)
    assert "second = first_layer(b)" in script
    namespace = {}
    exec(compile(script, "script.py", "exec"), namespace)
    assert namespace["build_model"]().count_params() == 8


@pytest.mark.parametrize("params, message", [
    ({"shares_weights_with": "nowhere"}, "names 'nowhere', expected another node"),
    ({"shares_weights_with": "a"}, "names a, a keras.layers.Input node; expected a keras.layers.Dense"),
    ({"shares_weights_with": "first", "use_bias": False}, "parameters differ in use_bias"),
])
def test_bad_reference_is_named(keras, params, message):
    workflow = drawn(params)
    with pytest.raises(TranslationError) as raised:
        translate(workflow)
    problem = raised.value.problems[0]
    assert (problem.node, problem.where) == ("second", "shares_weights_with")
    assert message in problem.message
    shapes = infer_shapes(workflow)
    assert any(p.node == "second" and message in p.message for p in shapes.problems)
