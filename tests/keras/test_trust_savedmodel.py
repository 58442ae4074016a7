"""A SavedModel runs code stored in it when it is loaded, so NodeFlow loads one only when
the user trusts it: the reader's unsafe_deserialization switch or --unsafe-deserialization.

The SavedModel here is crafted: loading it writes a marker file (a resource initializer
stored in the folder does), which must never appear without trust, and does with it.
"""

import io
import json
import os

import pytest

from nodeflow.cli import main
from nodeflow.core import Workflow, dumps, save


@pytest.fixture(scope="session")
def planted(keras, tmp_path_factory):
    """(SavedModel folder, marker file): loading the folder writes the marker."""
    import tensorflow as tf

    root = tmp_path_factory.mktemp("planted")
    marker = root / "code-from-the-savedmodel-ran"

    class Planted(tf.saved_model.experimental.TrackableResource):
        def _create_resource(self):
            return tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[], shared_name="")

        def _initialize(self):  # stored in the SavedModel, run by every tf.saved_model.load
            tf.io.write_file(str(marker), "code from the SavedModel ran")
            return tf.raw_ops.AssignVariableOp(resource=self.resource_handle, value=1.0)

    class Served(tf.Module):
        def __init__(self):
            super().__init__()
            self.planted = Planted()

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
        def serve(self, x):
            scale = tf.raw_ops.ReadVariableOp(resource=self.planted.resource_handle, dtype=tf.float32)
            return tf.concat([x * scale, x], axis=1)

    module = Served()
    folder = root / "served"
    tf.saved_model.save(module, str(folder), signatures={"serving_default": module.serve})
    marker.unlink(missing_ok=True)
    tf.saved_model.load(str(folder))  # the crafted folder really runs its code on loading
    assert marker.exists()
    marker.unlink()
    return folder, marker


def network(folder, trusted=False) -> Workflow:
    """A reader of ``folder`` with a new head, and a learner training it on iris."""
    wf = Workflow()
    params = {"path": str(folder)}
    if trusted:
        params["unsafe_deserialization"] = True
    wf.add_node("keras.NetworkReader", params, node_id="reader")
    wf.add_node("keras.layers.Dense", {"units": 3, "activation": "softmax"}, node_id="head")
    wf.connect("reader", "output", "head", "input")
    features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    wf.add_node("data.SampleDataSet", {"data_set": "iris"}, node_id="iris")
    wf.add_node("data.CategoryToNumber", {"columns": ["species"]}, node_id="codes")
    wf.add_node("learn.NetworkLearner", {"feature_columns": features, "target_columns": ["species"],
                                          "loss": "sparse_categorical_crossentropy", "epochs": 1},
                node_id="learner")
    wf.connect("iris", "table", "codes", "table")
    wf.connect("codes", "table", "learner", "training")
    wf.connect("head", "output", "learner", "network")
    return wf


@pytest.fixture
def workflow_file(planted, tmp_path):
    folder, marker = planted
    marker.unlink(missing_ok=True)
    path = tmp_path / "untrusted.nflow"
    save(network(folder), path)
    return path


def untrusted_line(text: str, folder) -> bool:
    return any("node reader: unsafe_deserialization: the SavedModel folder" in line
               and str(folder) in line and "runs code stored in it" in line
               and "--unsafe-deserialization" in line for line in text.splitlines())


COMMANDS = {
    "validate": lambda wf, tmp: ["validate", str(wf)],
    "inspect": lambda wf, tmp: ["inspect", str(wf)],
    "run": lambda wf, tmp: ["run", str(wf), "--out", str(tmp / "run"), "--device", "cpu", "--quiet"],
    "export-python": lambda wf, tmp: ["export-python", str(wf), "-o", str(tmp / "model.py")],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_without_trust_no_command_loads_the_savedmodel(command, planted, workflow_file, tmp_path, capsys):
    folder, marker = planted
    assert main(COMMANDS[command](workflow_file, tmp_path)) == 3  # as any invalid workflow
    out, err = capsys.readouterr()
    assert untrusted_line(out + err, folder), out + err
    assert not marker.exists()


def test_validate_accepts_what_the_flag_trusts(planted, workflow_file, tmp_path, capsys):
    folder, marker = planted
    assert main(["validate", "--unsafe-deserialization", str(workflow_file)]) == 0
    assert "valid" in capsys.readouterr().out
    assert not marker.exists()  # validation never loads anything


def test_inspect_with_the_flag_loads_it(planted, workflow_file, capsys):
    folder, marker = planted
    assert main(["inspect", "--unsafe-deserialization", str(workflow_file)]) == 0
    assert marker.exists()
    assert "(None, 3)" in capsys.readouterr().out  # the head's shape, read through the SavedModel


def test_export_python_with_the_flag_gets_as_far_as_loading_it(planted, workflow_file, tmp_path, capsys):
    folder, marker = planted
    code = main(["export-python", "--unsafe-deserialization", str(workflow_file), "-o", str(tmp_path / "m.py")])
    assert marker.exists()  # trusted: its shapes were inferred
    assert code == 3 and "a SavedModel folder has no Keras layers to rebuild" in capsys.readouterr().err


@pytest.mark.slow
def test_run_with_the_flag_trains_on_it(planted, tmp_path, capsys):
    folder, marker = planted
    marker.unlink(missing_ok=True)
    workflow_file = folder.parent / "beside.nflow"  # the folder is the workflow's own: no outside read
    save(network(folder), workflow_file)
    code = main([*COMMANDS["run"](workflow_file, tmp_path), "--unsafe-deserialization"])
    err = capsys.readouterr().err
    assert marker.exists(), err
    assert code == 0, err


def test_the_node_switch_trusts_that_node_alone(planted, tmp_path, capsys):
    folder, marker = planted
    marker.unlink(missing_ok=True)
    wf = network(folder, trusted=True)
    wf.add_node("keras.NetworkReader", {"path": str(folder)}, node_id="other")
    save(wf, tmp_path / "mixed.nflow")
    assert main(["validate", str(tmp_path / "mixed.nflow")]) == 3
    out = capsys.readouterr().out
    assert "node other: unsafe_deserialization" in out and "node reader:" not in out


def test_the_editor_shape_worker_never_loads_an_untrusted_savedmodel(planted, tmp_path):
    from nodeflow.keras.shape_worker import serve

    folder, marker = planted
    marker.unlink(missing_ok=True)
    requests = [{"client": 1, "revision": 1, "workflow": dumps(network(folder)), "base_dir": None}]
    out = io.StringIO()
    serve(io.StringIO("".join(json.dumps(r) + "\n" for r in requests)), out)
    answer = json.loads(out.getvalue().splitlines()[1])
    problems = answer["report"]["problems"]
    assert any(p["node"] == "reader" and p["where"] == "unsafe_deserialization" for p in problems), problems
    assert not marker.exists()

    requests[0]["workflow"] = dumps(network(folder, trusted=True))  # the user switched trust on
    out = io.StringIO()
    serve(io.StringIO("".join(json.dumps(r) + "\n" for r in requests)), out)
    answer = json.loads(out.getvalue().splitlines()[1])
    head = next(n for n in answer["report"]["nodes"] if n["id"] == "head")
    assert head["outputs"] == {"output": [[None, 3]]}
    assert marker.exists()


def test_keras_files_are_still_read_in_safe_mode(keras, tmp_path):
    """A .keras file needs no trust: Keras's safe mode refuses stored code (a Lambda)."""
    from nodeflow.keras.translator import TranslationError, translate

    x = keras.Input((4,))
    keras.Model(x, keras.layers.Lambda(lambda t: t * 2)(x)).save(tmp_path / "lambda.keras")
    wf = Workflow()
    wf.add_node("keras.NetworkReader", {"path": str(tmp_path / "lambda.keras")}, node_id="reader")
    with pytest.raises(TranslationError, match="safe mode"):
        translate(wf)


def test_a_direct_build_refuses_an_untrusted_folder_too(planted):
    """Whatever calls the node's build without validating first, it does not load."""
    from nodeflow.core import default_registry

    folder, marker = planted
    marker.unlink(missing_ok=True)
    spec = default_registry()["keras.NetworkReader"]
    with pytest.raises(ValueError, match="unsafe_deserialization: the SavedModel folder"):
        spec.build(spec.resolve({"path": str(folder)}), name="reader")
    assert not marker.exists()
    assert os.path.isdir(folder)
