"""Shape inference before training, and `nodeflow inspect`."""

import json

from nodeflow.cli import main
from nodeflow.core import Workflow, save
from nodeflow.keras.shapes import ShapeInference, infer_shapes
from tests.conftest import WORKFLOWS
from tests.keras.test_translator import two_branch


def chain(n):
    wf = Workflow()
    prev = wf.add_node("keras.layers.Input", {"shape": [16]}).id
    for _ in range(n):
        node = wf.add_node("keras.layers.Dense", {"units": 16})
        wf.connect(prev, "output", node.id, "input")
        prev = node.id
    return wf


def test_output_shapes_and_parameter_counts_per_node(keras):
    report = infer_shapes(two_branch())
    assert report.problems == []
    shapes = {n: r.outputs["output"] for n, r in report.nodes.items()}
    assert shapes["add_1"] == [(None, 32)]
    assert shapes["class_head"] == [(None, 3)]
    assert report.nodes["a"].params == 8 * 32 + 32
    assert report.total_params == translate_params(two_branch())


def translate_params(wf):
    from nodeflow.keras.translator import translate

    return translate(wf).model.count_params()


def test_an_edit_rebuilds_only_what_it_affects(keras):
    wf = chain(30)
    inference = ShapeInference()
    inference.infer(wf)
    assert inference.builds == 31
    wf.set_param("dense_10", "units", 8)  # dense_10 and dense_11 change, the rest is reused
    report = inference.infer(wf)
    assert inference.builds == 33
    assert report.nodes["dense_10"].outputs["output"] == [(None, 8)]
    assert report.nodes["dense_11"].params == 8 * 16 + 16
    inference.infer(wf)
    assert inference.builds == 33


def test_a_shape_error_marks_its_node_and_skips_what_depends_on_it(keras):
    report = infer_shapes(two_branch(units_b=64))
    assert [str(p) for p in report.problems] == [
        report.nodes["add_1"].error.__str__()]
    assert str(report.nodes["add_1"].error).startswith(
        "node add_1: inputs have shapes (None, 32) and (None, 64): ")
    assert report.nodes["class_head"].skipped and report.nodes["value_head"].skipped
    assert report.nodes["a"].outputs == {"output": [(None, 32)]}


def test_inspect_prints_a_summary_keyed_by_node_id(capsys, keras):
    assert main(["inspect", str(WORKFLOWS / "iris_mlp.nflow")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["node", "type", "output", "shape", "params"]
    assert lines[3].split() == ["dense_1", "Dense", "(None,", "16)", "80"]
    assert lines[-1] == "Total params: 131"


def test_inspect_json_and_exit_code_on_a_shape_error(tmp_path, capsys, keras):
    path = tmp_path / "bad.nflow"
    save(two_branch(units_b=64), path)
    assert main(["inspect", "--json", str(path)]) == 3
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    add = next(n for n in report["nodes"] if n["id"] == "add_1")
    assert add["error"].startswith("node add_1: inputs have shapes (None, 32) and (None, 64)")
    assert report["problems"] == [add["error"]]
    assert main(["inspect", str(path)]) == 3
    assert "bad.nflow: node add_1: inputs have shapes" in capsys.readouterr().err
