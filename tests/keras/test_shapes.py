"""Shape inference before training, and `nodeflow inspect`."""

import json

from nodeflow.cli import main
from nodeflow.core import Workflow, load, save
from nodeflow.keras.shapes import ShapeInference, ShapeReport, infer_shapes
from nodeflow.keras.translator import translate
from tests.conftest import WORKFLOWS
from tests.keras.test_transfer import reader_workflow, trained_network
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
    assert lines[-3:] == ["Total params: 131", "Trainable params: 131", "Non-trainable params: 0"]


def test_inspect_json_and_exit_code_on_a_shape_error(tmp_path, capsys, keras):
    path = tmp_path / "bad.nflow"
    save(two_branch(units_b=64), path)
    assert main(["inspect", "--json", str(path)]) == 3
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    add = next(n for n in report["nodes"] if n["id"] == "add_1")
    assert add["error"]["node"] == "add_1"
    assert add["error"]["text"].startswith("node add_1: inputs have shapes (None, 32) and (None, 64)")
    assert report["problems"] == [add["error"]]
    assert main(["inspect", str(path)]) == 3
    assert "bad.nflow: node add_1: inputs have shapes" in capsys.readouterr().err


def keras_counts(model):
    """Total, trainable and non-trainable parameters as Keras's summary counts them."""
    import numpy as np

    size = lambda ws: int(sum(np.prod(w.shape) for w in ws))  # noqa: E731
    return model.count_params(), size(model.trainable_weights), size(model.non_trainable_weights)


def report_counts(report):
    return report.total_params, report.trainable_params, report.non_trainable_params


def cut_transfer_workflow(keras, tmp_path):
    """A read network cut at an inner layer (its head is left out), frozen, with a new head
    that the learner trains: as workflows/transfer_learning.nflow does."""
    trained_network(keras, tmp_path / "base.keras")
    wf = reader_workflow(tmp_path / "base.keras")
    wf.add_node("keras.SetOutputLayers", {"layers": ["base_dense_2"], "include_connected": False},
                node_id="cut")
    wf.disconnect(wf.incoming("freeze", "input")[0])
    wf.connect("reader", "output", "cut", "inputs")
    wf.connect("cut", "output", "freeze", "input")
    wf.add_node("data.SampleDataSet", {"data_set": "iris"}, node_id="data")
    wf.add_node("learn.NetworkLearner", {"feature_columns": ["x"], "target_columns": ["y"],
                                         "loss": "mean_squared_error"}, node_id="learner")
    wf.connect("new_head", "output", "learner", "network")
    wf.connect("data", "table", "learner", "training")
    return wf


def test_parameter_totals_count_only_the_model_built_not_a_cut_off_head(keras, tmp_path):
    wf = cut_transfer_workflow(keras, tmp_path)
    report = infer_shapes(wf)
    assert report.problems == []
    model = translate(wf, output=("new_head", "output")).model
    # base_dense_1 (6*8+8) and base_dense_2 (8*8+8) frozen; the cut-off base_head (8*3+3)
    # is not in the model; new_head (8*2+2) trains
    assert report_counts(report) == keras_counts(model) == (56 + 72 + 18, 18, 56 + 72)
    assert report.nodes["reader"].params == 56 + 72 + 27  # the node's own network, head included


def test_totals_follow_freezing_and_unfreezing_with_a_reused_cache(keras, tmp_path):
    wf = cut_transfer_workflow(keras, tmp_path)
    built = lambda: keras_counts(translate(wf, output=("new_head", "output")).model)  # noqa: E731
    inference = ShapeInference()
    assert report_counts(inference.infer(wf)) == built() == (146, 18, 128)
    wf.set_param("freeze", "mode", "train only matching")  # only base_dense_2 of the base trains
    wf.set_param("freeze", "layers", ["base_dense_2"])
    assert report_counts(inference.infer(wf)) == built() == (146, 72 + 18, 56)
    wf.remove_node("freeze")  # the reader's cached layers must not stay frozen
    wf.connect("cut", "output", "new_head", "input")
    assert report_counts(inference.infer(wf)) == built() == (146, 146, 0)
    assert inference.builds == 2  # reader and new_head were built once and reused after each edit


def test_totals_of_branches_merges_and_several_outputs_match_keras(keras):
    report = infer_shapes(two_branch())
    assert report_counts(report) == keras_counts(translate(two_branch()).model)
    assert report.non_trainable_params == 0


def test_a_report_round_trips_through_json(keras, tmp_path):
    for wf in (two_branch(units_b=64), cut_transfer_workflow(keras, tmp_path)):
        report = infer_shapes(wf)
        again = ShapeReport.from_json(json.loads(json.dumps(report.to_json())))
        assert again == report
    assert again.nodes["cut"].outputs == {"output": [(None, 8)]}
    assert ShapeReport.from_json(json.loads(json.dumps(infer_shapes(two_branch(64)).to_json()))) \
        .nodes["add_1"].error.node == "add_1"


def test_the_report_module_imports_neither_tensorflow_nor_numpy():
    import subprocess
    import sys

    code = ("import sys, nodeflow.keras.report, nodeflow.core.shape_text\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'numpy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_inspect_shows_the_trained_model_totals_split_as_keras_does(keras, tmp_path, capsys):
    wf = cut_transfer_workflow(keras, tmp_path)
    save(wf, tmp_path / "cut.nflow")
    assert main(["inspect", str(tmp_path / "cut.nflow")]) == 0
    assert capsys.readouterr().out.splitlines()[-3:] == [
        "Total params: 146", "Trainable params: 18", "Non-trainable params: 128"]
    assert main(["inspect", "--json", str(tmp_path / "cut.nflow")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["total_params"], data["trainable_params"], data["non_trainable_params"]) == (146, 18, 128)


def test_the_transfer_example_counts_the_33189_parameters_its_learner_trains(keras):
    wf = load(WORKFLOWS / "transfer_learning.nflow")
    report = infer_shapes(wf)
    assert report.problems == []
    model = translate(wf, output=("new_head", "output")).model
    # the base network's convolutions up to the cut (frozen) and the new head; not the
    # base's own 0..4 classifier, which Set Output Layers cut off
    assert report_counts(report) == keras_counts(model) == (33_189, 5_125, 28_064)
