"""Operation nodes (keras.ops math between layers) drawn by hand: shapes, translation,
code export and errors that name the node and the parameter."""

import numpy as np
import pytest

from nodeflow.core import Workflow, dumps, loads, validate
from nodeflow.core.registry import default_registry
from nodeflow.keras.export import export_python
from nodeflow.keras.shapes import infer_shapes
from nodeflow.keras.translator import TranslationError, translate
from nodes.ops.declare import key_text, parse_key


def residual_block():
    """input (4, 8) -> dense; (dense + input) * 0.5 -> last step; mean over time; both joined."""
    wf = Workflow()
    wf.add_node("keras.layers.Input", {"shape": [4, 8]}, node_id="inp")
    wf.add_node("keras.layers.Dense", {"units": 8}, node_id="dense")
    wf.add_node("keras.ops.add", node_id="residual")
    wf.add_node("keras.ops.multiply", {"x2": 0.5}, node_id="half")
    wf.add_node("keras.ops.get_item", {"key": ":, -1"}, node_id="last")
    wf.add_node("keras.ops.mean", {"axis": 1}, node_id="avg")
    wf.add_node("keras.ops.concatenate", {"axis": -1}, node_id="joined")
    wf.connect("inp", "output", "dense", "input")
    wf.connect("dense", "output", "residual", "x1")
    wf.connect("inp", "output", "residual", "x2")
    wf.connect("residual", "output", "half", "x1")
    wf.connect("half", "output", "last", "x")
    wf.connect("half", "output", "avg", "x")
    wf.connect("last", "output", "joined", "xs")
    wf.connect("avg", "output", "joined", "xs")
    return wf


def expected(x, kernel, bias):
    h = (x @ kernel + bias + x) * 0.5
    return np.concatenate([h[:, -1], h.mean(axis=1)], axis=-1)


def test_every_operation_is_in_the_operations_category_with_a_description():
    ops = [s for s in default_registry() if s.type_id.startswith("keras.ops.")]
    assert {"keras.ops.add", "keras.ops.multiply", "keras.ops.mean", "keras.ops.matmul",
            "keras.ops.get_item", "keras.ops.where", "keras.ops.clip", "keras.ops.cast",
            "keras.ops.reshape", "keras.ops.transpose", "keras.ops.stack"} <= {s.type_id for s in ops}
    for spec in ops:
        assert spec.category.split("/")[0] == "Operations", spec.type_id
        assert len(spec.description) > 30 and spec.target.startswith("ops."), spec.type_id


def test_drawn_operations_infer_shapes_translate_and_predict(keras):
    wf = loads(dumps(residual_block()))  # through the file format
    assert validate(wf) == []
    report = infer_shapes(wf)
    assert report.problems == []
    assert report.nodes["half"].outputs == {"output": [(None, 4, 8)]}
    assert report.nodes["last"].outputs == {"output": [(None, 8)]}
    assert report.nodes["joined"].outputs == {"output": [(None, 16)]}
    assert report.trainable_params == 8 * 8 + 8
    model = translate(wf).model
    # Keras records the math as operation nodes of the functional model
    assert "Add" in {type(op).__name__ for op in model.operations}
    x = np.random.default_rng(0).normal(size=(3, 4, 8)).astype("float32")
    kernel, bias = model.get_layer("dense").get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected(x, kernel, bias), rtol=1e-5, atol=1e-6)


def test_exported_script_writes_keras_ops_calls_and_builds_the_same_model(keras):
    wf = residual_block()
    code = export_python(wf)
    assert "residual = keras.ops.add(dense, inp)" in code
    assert "half = keras.ops.multiply(residual, 0.5)" in code
    assert "last = half[:, -1]" in code
    assert "joined = keras.ops.concatenate([last, avg], axis=-1)" in code
    namespace = {}
    exec(compile(code, "exported.py", "exec"), namespace)
    model = namespace["build_model"]()
    x = np.random.default_rng(1).normal(size=(2, 4, 8)).astype("float32")
    kernel, bias = model.get_layer("dense").get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected(x, kernel, bias), rtol=1e-5, atol=1e-6)


def test_a_constant_operand_may_come_first(keras):
    wf = Workflow()
    wf.add_node("keras.layers.Input", {"shape": [3]}, node_id="inp")
    wf.add_node("keras.ops.subtract", {"x1": 1.0}, node_id="flip")
    wf.connect("inp", "output", "flip", "x2")
    model = translate(wf).model
    np.testing.assert_allclose(model.predict(np.array([[0.0, 0.25, 1.0]]), verbose=0), [[1.0, 0.75, 0.0]])
    assert "flip = keras.ops.subtract(1.0, inp)" in export_python(wf)


def test_a_missing_operand_names_the_node_and_the_parameter(keras):
    wf = Workflow()
    wf.add_node("keras.layers.Input", {"shape": [3]}, node_id="inp")
    wf.add_node("keras.ops.multiply", node_id="scale")
    wf.connect("inp", "output", "scale", "x1")
    with pytest.raises(TranslationError) as exc:
        translate(wf)
    assert str(exc.value).startswith("node scale: input has shape (None, 3): x2: expected a "
                                     "connected tensor or a number, got neither")
    wf.set_param("scale", "x2", 2.0)
    wf.add_node("keras.layers.Input", {"shape": [3]}, node_id="other")
    wf.connect("other", "output", "scale", "x2")
    with pytest.raises(TranslationError, match="node scale: .*x2: a tensor is connected and the constant"):
        translate(wf)


def test_a_bad_slicing_key_is_refused_by_validation_naming_node_and_parameter():
    wf = Workflow()
    wf.add_node("keras.layers.Input", {"shape": [3]}, node_id="inp")
    wf.add_node("keras.ops.get_item", {"key": ":"}, node_id="take")
    wf.connect("inp", "output", "take", "x")
    wf.set_param("take", "key", "[:, -1]", check=False)
    problems = validate(wf)
    assert [(p.node, p.where) for p in problems] == [("take", "key")]
    assert "start:stop:step" in problems[0].message


@pytest.mark.parametrize("text, key", [
    (":, -1", (slice(None), -1)),
    ("-1", -1),
    ("0,", (0,)),
    ("..., 1:3", (Ellipsis, slice(1, 3))),
    (":, None, ::2", (slice(None), None, slice(None, None, 2))),
    ("1:-1:3", slice(1, -1, 3)),
])
def test_slicing_keys_are_written_as_in_python(text, key):
    assert parse_key(text) == key
    serialized = [_serialized(k) for k in key] if isinstance(key, tuple) else _serialized(key)
    assert parse_key(key_text(serialized)) == key


def _serialized(item):
    """Keras's serialized form of one key entry."""
    if isinstance(item, slice):
        return {"class_name": "__slice__", "config": {"start": item.start, "stop": item.stop,
                                                      "step": item.step}}
    if item is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    return item


def test_where_clip_cast_and_reductions_match_numpy(keras):
    wf = Workflow()
    wf.add_node("keras.layers.Input", {"shape": [2, 3]}, node_id="inp")
    wf.add_node("keras.ops.greater", {"x2": 0.0}, node_id="positive")
    wf.add_node("keras.ops.where", {"x2": -1.0}, node_id="chosen")
    wf.add_node("keras.ops.clip", {"x_min": -0.5, "x_max": 0.5}, node_id="clipped")
    wf.add_node("keras.ops.sum", {"axis": [1, 2], "keepdims": True}, node_id="total")
    wf.add_node("keras.ops.cast", {"dtype": "float64"}, node_id="wide")
    for a, b in (("inp", "positive.x1"), ("positive", "chosen.condition"), ("inp", "chosen.x1"),
                 ("chosen", "clipped.x"), ("clipped", "total.x"), ("total", "wide.x")):
        wf.connect(a, "output", *b.split("."))
    assert infer_shapes(wf).nodes["wide"].outputs == {"output": [(None, 1, 1)]}
    model = translate(wf).model
    x = np.random.default_rng(2).normal(size=(4, 2, 3))
    want = np.clip(np.where(x > 0, x, -1.0), -0.5, 0.5).sum(axis=(1, 2), keepdims=True)
    got = model.predict(x, verbose=0)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-5)
