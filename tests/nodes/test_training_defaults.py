"""The learner's expert defaults: XLA as Keras decides, several steps per execution,
mixed precision on capable GPUs, determinism as its own switch; and old files' switches."""

import json

import numpy as np
import pytest

from nodeflow.core import loads, validate
from nodeflow.keras.export import export_python
from nodeflow.runtime.engine import Engine
from nodes.learn import training_defaults
from tests.runtime.conftest import iris_numeric, mlp_workflow  # noqa: F401 - the fixture

pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def keras():
    from nodeflow.keras import load_keras

    return load_keras()


def train(wf, run_dir):
    events = []
    result = Engine(wf, run_dir, on_event=events.append, use_cache=False).run()
    assert result.status == "executed", result.nodes["learner"].error
    return result.output("learner", "model"), result.output("learner", "history"), events


def test_defaults_let_keras_pick_xla_and_run_an_epoch_per_execution_on_small_data(
        iris_numeric, tmp_path):  # noqa: F811
    import tensorflow as tf

    model, _, events = train(mlp_workflow(iris_numeric, epochs=2, batch_size=16), tmp_path / "run")
    assert model.jit_compile is bool(tf.config.list_physical_devices("GPU"))  # Keras's "auto"
    assert model.steps_per_execution == 10  # 150 rows / 16: tiny steps, one execution per epoch
    assert model.dtype_policy.name == ("mixed_float16" if training_defaults.mixed_precision(
        "auto", "GPU:0") else "float32")
    assert [e["batch"] for e in events if e["event"] == "batch"] == [10, 10]  # progress still comes
    assert any("10 step(s) per execution" in e.get("message", "") for e in events)


def test_an_expensive_step_runs_alone(keras):
    """A step estimated at more than a quarter of a second runs one per execution, so
    progress, stop and cancel stay responsive; a tiny one is batched up to 100."""
    big = keras.Sequential([keras.Input((128, 128, 3)), keras.layers.Conv2D(64, 3, padding="same"),
                            keras.layers.Conv2D(64, 3, padding="same"), keras.layers.GlobalAveragePooling2D(),
                            keras.layers.Dense(10)])
    small = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16), keras.layers.Dense(3)])
    assert training_defaults.auto_steps_per_execution(big, 32) == 1
    assert training_defaults.auto_steps_per_execution(small, 32) == 100
    assert training_defaults.steps_per_execution(small, 32, 7, "CPU:0") == 7  # never past an epoch
    assert training_defaults.steps_per_execution(big, 32, 7, "CPU:0", given=3) == 3


def test_steps_are_spread_evenly_over_the_epoch(monkeypatch):
    """An estimate of 22 steps on a 45-step epoch runs 3 executions of 15, not 22, 22 and a
    lone step that pays a whole execution's overhead; an epoch that fits runs as one."""
    monkeypatch.setattr(training_defaults, "auto_steps_per_execution", lambda *a, **k: 22)
    assert training_defaults.steps_per_execution(None, 32, 45, "CPU:0") == 15
    assert training_defaults.steps_per_execution(None, 32, 44, "CPU:0") == 22
    assert training_defaults.steps_per_execution(None, 32, 20, "CPU:0") == 20
    assert training_defaults.steps_per_execution(None, 32, None, "CPU:0") == 22


def test_progress_counts_batches_of_the_epoch_when_steps_are_grouped(iris_numeric, tmp_path):  # noqa: F811
    """4 steps per execution over 10 batches: Keras reports steps 4, 8 and 12; the monitor
    sees at most 10, and the epoch's last batch as 10."""
    model, history, events = train(mlp_workflow(iris_numeric, epochs=3, batch_size=16,
                                                 steps_per_execution=4, xla="off"), tmp_path / "run")
    assert model.steps_per_execution == 4 and model.jit_compile is False
    batches = [(e["epoch"], e["batch"], e["batches"]) for e in events if e["event"] == "batch"]
    assert all(batch <= total == 10 for _, batch, total in batches)
    assert {(epoch, 10, 10) for epoch in (1, 2, 3)} <= set(batches)
    assert history.num_rows == 3


def test_grouping_steps_does_not_change_what_is_learned(iris_numeric, tmp_path):  # noqa: F811
    one, _, _ = train(mlp_workflow(iris_numeric, epochs=3, steps_per_execution=1), tmp_path / "a")
    auto, _, _ = train(mlp_workflow(iris_numeric, epochs=3), tmp_path / "b")
    assert auto.steps_per_execution > 1
    for a, b in zip(one.get_weights(), auto.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_mixed_precision_on_trains_in_float16_and_restores_the_policy(iris_numeric, tmp_path, keras):  # noqa: F811
    model, history, _ = train(mlp_workflow(iris_numeric, epochs=2, mixed_precision="on"), tmp_path / "run")
    assert model.dtype_policy.name == "mixed_float16"
    assert np.isfinite(history["loss"]).all()
    assert keras.config.dtype_policy().name == "float32"  # later nodes build in float32 again


@pytest.mark.parametrize("capability, expected", [((8, 0), True), ((7, 0), True), ((6, 1), False), (None, False)])
def test_mixed_precision_auto_follows_the_gpus_compute_capability(monkeypatch, capability, expected):
    import tensorflow as tf

    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["gpu0"])
    details = {"device_name": "Some GPU"} | ({"compute_capability": capability} if capability else {})
    monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda device: details)
    assert training_defaults.mixed_precision("auto", "GPU:0") is expected
    assert training_defaults.mixed_precision("auto", "CPU:0") is False
    assert training_defaults.mixed_precision("off", "GPU:0") is False


def test_a_seed_alone_repeats_a_cpu_run_without_op_determinism(iris_numeric, tmp_path, monkeypatch):  # noqa: F811
    from tensorflow.python.framework import config

    seen = []

    def fit_spy(original):
        def fit(self, *args, **kwargs):
            seen.append(config.is_op_determinism_enabled())
            return original(self, *args, **kwargs)
        return fit

    from nodeflow.keras import load_keras

    keras = load_keras()
    monkeypatch.setattr(keras.Model, "fit", fit_spy(keras.Model.fit))
    _, first, _ = train(mlp_workflow(iris_numeric, epochs=3), tmp_path / "a")
    _, second, _ = train(mlp_workflow(iris_numeric, epochs=3), tmp_path / "b")
    assert seen == [False, False]
    np.testing.assert_array_equal(first["loss"], second["loss"])


@pytest.mark.filterwarnings("ignore:Model doesn.t support `jit_compile=True`")
def test_deterministic_turns_op_determinism_on_for_training_only(iris_numeric, tmp_path):  # noqa: F811
    from tensorflow.python.framework import config

    wf = mlp_workflow(iris_numeric, epochs=2, seed=None, deterministic=True, xla="on")
    model, first, events = train(wf, tmp_path / "a")
    assert model.jit_compile is False  # Keras turns XLA off under op determinism
    assert not config.is_op_determinism_enabled()  # restored for the nodes that follow
    assert any("seeded with 0" in e.get("message", "") for e in events)
    _, second, _ = train(wf, tmp_path / "b")
    np.testing.assert_array_equal(first["loss"], second["loss"])  # repeatable without a seed set


def test_xla_on_compiles_with_xla(iris_numeric, tmp_path):  # noqa: F811
    model, history, _ = train(mlp_workflow(iris_numeric, epochs=1, xla="on"), tmp_path / "run")
    assert model.jit_compile is True and history.num_rows == 1


def test_a_version_2_file_with_boolean_switches_loads_and_runs(iris_numeric, tmp_path):  # noqa: F811
    """Before version 3, xla and mixed_precision were true/false."""
    from nodeflow.core import dumps

    document = json.loads(dumps(mlp_workflow(iris_numeric, epochs=1)))
    document["version"] = 2
    learner = next(n for n in document["nodes"] if n["id"] == "learner")
    learner["params"].update({"xla": True, "mixed_precision": False})
    wf = loads(json.dumps(document), base_dir=iris_numeric.parent)
    assert (wf.nodes["learner"].params["xla"], wf.nodes["learner"].params["mixed_precision"]) == ("on", "off")
    assert validate(wf) == []
    model, _, _ = train(wf, tmp_path / "run")
    assert model.jit_compile is True and model.dtype_policy.name == "float32"
    written = json.loads(dumps(wf))
    assert written["version"] == 3
    assert {k: v for k, v in next(n for n in written["nodes"] if n["id"] == "learner")["params"].items()
            if k in ("xla", "mixed_precision")} == {"xla": "on", "mixed_precision": "off"}


def test_the_exported_script_compiles_as_the_learner_does(iris_numeric, tmp_path):  # noqa: F811
    wf = mlp_workflow(iris_numeric, epochs=1, batch_size=16)
    learned, _, _ = train(wf, tmp_path / "run")
    namespace = {}
    exec(compile(export_python(wf, title="mlp"), "mlp.py", "exec"), namespace)
    model = namespace["compile_model"](namespace["build_model"]())
    assert model.jit_compile == learned.jit_compile
    assert model.dtype_policy.name == learned.dtype_policy.name
    # the learner stops at one epoch's 10 steps; the script, not knowing the rows, at the estimate
    assert model.steps_per_execution == training_defaults.auto_steps_per_execution(model, 16) == 100

    wf.set_param("learner", "steps_per_execution", 3)
    wf.set_param("learner", "deterministic", True)
    code = export_python(wf, title="mlp")
    # 3 steps, or 1 under a strategy of several replicas (device auto may find several GPUs)
    assert "steps_per_execution=1 if tf.distribute.get_strategy().num_replicas_in_sync > 1 else 3," in code
    assert "tf.config.experimental.enable_op_determinism()" in code
    assert "def auto_steps_per_execution" not in code
