"""`nodeflow export-python`: the script runs on its own and builds the same model."""

import os
import shutil
import subprocess
import sys

from nodeflow.core import Workflow, load, save
from nodeflow.keras.export import export_python
from nodeflow.keras.importer import import_model
from nodeflow.keras.translator import translate
from tests.conftest import ROOT, WORKFLOWS
from tests.keras.test_importer import functional
from tests.keras.test_translator import two_branch

RUN_SCRIPT = """
import runpy, sys
model = runpy.run_path(sys.argv[1])["build_model"]()
print(model.count_params(), len(model.layers), [tuple(t.shape) for t in model.outputs])
"""


def run_script(path):
    result = subprocess.run([sys.executable, "-c", RUN_SCRIPT, str(path)], capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def summary(model):
    return f"{model.count_params()} {len(model.layers)} {[tuple(t.shape) for t in model.outputs]}"


def test_exported_scripts_build_the_same_models_in_a_fresh_interpreter(keras, tmp_path):
    workflows = {
        "iris": load(WORKFLOWS / "iris_mlp.nflow"),
        "branches": two_branch(),
        "imported": import_model(functional(keras)).workflow,
    }
    expected, scripts = {}, {}
    for name, wf in workflows.items():
        expected[name] = summary(translate(wf).model)
        scripts[name] = tmp_path / f"{name}.py"
        scripts[name].write_text(export_python(wf, title=name))
    for name, path in scripts.items():
        assert run_script(path) == expected[name], name


def test_script_reads_like_keras(keras):
    code = export_python(load(ROOT / "tests" / "data" / "small_mlp.nflow"), title="iris_mlp")
    assert "import nodeflow" not in code
    assert ("dense_1 = keras.layers.Dense(units=16, activation='relu', "
            "kernel_initializer=keras.initializers.HeNormal(seed=42), name='dense_1')(input_1)") in code
    assert "model = keras.Model(inputs=input_1, outputs=dense_2, name='iris_mlp')" in code


def test_transfer_learning_script_freezes_the_same_layers(keras, tmp_path):
    wf = Workflow()
    wf.add_node("keras.PretrainedArchitecture",
                {"architecture": "MobileNetV2", "input_shape": [64, 64, 3], "pooling": "avg"},
                node_id="base")
    wf.add_node("keras.FreezeLayers", {"layers": ["block_1*", "block_2*"],
                                       "mode": "train only matching"}, node_id="freeze")
    wf.add_node("keras.layers.Dense", {"units": 5, "activation": "softmax"}, node_id="head")
    wf.connect("base", "output", "freeze", "input")
    wf.connect("freeze", "output", "head", "input")
    model = translate(wf).model
    namespace = {}
    exec(compile(export_python(wf, title="tl"), "tl.py", "exec"), namespace)
    exported = namespace["build_model"]()
    trainable = lambda m: sorted(w.path for w in m.trainable_weights)  # noqa: E731
    assert trainable(exported) == trainable(model)
    assert exported.count_params() == model.count_params()


def test_export_command(tmp_path, keras):
    out = tmp_path / "model.py"
    result = subprocess.run([sys.executable, "-m", "nodeflow", "export-python",
                             str(WORKFLOWS / "iris_mlp.nflow"), "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert run_script(out).startswith("131 4 ")
    bad = tmp_path / "bad.nflow"
    save(two_branch(units_b=64), bad)
    refused = subprocess.run([sys.executable, "-m", "nodeflow", "export-python", str(bad)],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 3
    assert "node add_1: inputs have shapes (None, 32) and (None, 64)" in refused.stderr
    assert refused.stdout == ""
    missing = subprocess.run([sys.executable, "-m", "nodeflow", "export-python",
                              str(WORKFLOWS / "iris_mlp.nflow"), "-o", str(tmp_path / "no" / "m.py")],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_a_learner_is_exported_as_compile_and_train_with_the_same_history(keras, tmp_path):
    """The script's train() reproduces the learner's loss history on the same data (seeded, CPU)."""
    import numpy as np

    from nodeflow.runtime.engine import Engine
    from tests.runtime.conftest import FEATURES, mlp_workflow
    from tests.runtime.test_bad_input import write_csv

    rng = np.random.default_rng(0)
    rows = [[*map(float, rng.normal(size=4)), int(rng.integers(0, 3))] for _ in range(64)]
    path = write_csv(tmp_path / "data.csv", FEATURES + ["species"], rows)
    wf = mlp_workflow(path, epochs=3, batch_size=8)
    history = Engine(wf, tmp_path / "run").run().output("learner", "history")
    namespace = {}
    exec(compile(export_python(wf, title="mlp"), "mlp.py", "exec"), namespace)
    model = namespace["compile_model"](namespace["build_model"]())
    x = np.array([r[:4] for r in rows], dtype="float32")
    y = np.array([[r[4]] for r in rows], dtype="float32")
    fitted = namespace["train"](model, x, y)
    np.testing.assert_allclose(fitted.history["loss"], history["loss"], rtol=1e-6)


class _RunContext:
    """What the learner's callback builder reads from a run's context."""

    def __init__(self, node_dir, base_dir):
        self.node_dir = node_dir
        self.base_dir = base_dir

    def resolve_path(self, value):
        return str(self.base_dir / value)


def test_exported_callbacks_are_the_ones_the_learner_trains_with(keras, tmp_path):
    from nodes.learn.callbacks import CALLBACKS, Given
    from nodes.learn.learner import SPEC, _callbacks
    from tests.runtime.conftest import mlp_workflow

    wf = mlp_workflow(tmp_path / "data.csv", early_stopping=True, early_stopping_patience=2,
                      reduce_lr_on_plateau=True, reduce_lr_factor=0.5, checkpoint_each_epoch=True,
                      tensorboard_dir="logs/tb")
    (tmp_path / "data.csv").write_text("")
    script_dir = tmp_path / "export"
    script_dir.mkdir()
    namespace = {"__file__": str(script_dir / "mlp.py")}
    exec(compile(export_python(wf, title="mlp", script_dir=script_dir), "mlp.py", "exec"), namespace)
    params = SPEC.resolve(wf.nodes["learner"].params)
    arguments = {c.target: list(c.args) for c in CALLBACKS}

    def described(callbacks, folder):
        out = []
        for cb in callbacks:
            args = {a: getattr(cb, a) for a in arguments[type(cb).__name__]}
            if "filepath" in args:  # checkpoints go to the run folder / beside the script
                args["filepath"] = os.path.relpath(args["filepath"], folder)
            if "log_dir" in args:  # the workflow's TensorBoard folder, from either
                args["log_dir"] = os.path.normpath(args["log_dir"])
            out.append((type(cb).__name__, args))
        return out

    for has_validation in (True, False):
        context = _RunContext(tmp_path / "run" / "learner", tmp_path)
        runtime = _callbacks(keras, context, params, has_validation)
        exported = namespace["make_callbacks"](has_validation)
        assert described(exported, script_dir) == described(runtime, tmp_path / "run" / "learner")
    monitors = {type(cb).__name__: cb.monitor for cb in namespace["make_callbacks"](False)
                if type(cb).__name__ in ("EarlyStopping", "ReduceLROnPlateau")}
    assert monitors == {"EarlyStopping": "loss", "ReduceLROnPlateau": "loss"}  # no validation data
    assert [type(cb).__name__ for cb in namespace["make_callbacks"](True)] == [
        "TerminateOnNaN", "EarlyStopping", "ReduceLROnPlateau", "ModelCheckpoint", "TensorBoard"]
    assert all(isinstance(s, Given) or s in params for c in CALLBACKS for s in [c.switch, *c.args.values()])


def test_a_script_moved_with_its_data_still_finds_it(keras, tmp_path):
    from tests.keras.test_transfer import reader_workflow, trained_network

    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "scripts").mkdir()
    trained_network(keras, project / "models" / "base.keras")
    wf = reader_workflow(project / "models" / "base.keras")
    wf.set_param("reader", "path", "models/base.keras")
    wf.base_dir = None
    save(wf, project / "tl.nflow")
    result = subprocess.run([sys.executable, "-m", "nodeflow", "export-python", str(project / "tl.nflow"),
                             "-o", str(project / "scripts" / "tl.py")],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    code = (project / "scripts" / "tl.py").read_text()
    assert "load_model(str(HERE / '../models/base.keras'), compile=False)" in code
    assert str(tmp_path) not in code
    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(project, moved)
    shutil.rmtree(project)
    params = (6 * 8 + 8) + (8 * 8 + 8) + (8 * 3 + 3) + (3 * 2 + 2)  # base_dense_1, _2, base_head, new_head
    assert run_script(moved / "scripts" / "tl.py") == f"{params} 5 [(None, 2)]"
