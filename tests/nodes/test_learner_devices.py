"""Training on several devices: the learner's ``device`` list runs MirroredStrategy.

Tested on the CPU as Keras's own distribution tests do: a child process splits its CPU
into two logical devices before TensorFlow starts, then runs an iris workflow through
the engine on ``cpu:0,cpu:1`` and, for comparison, on one device with the same seed.
"""

import csv
import json
import os
import subprocess
import sys

import pytest

from nodeflow.core import validate
from nodeflow.core.errors import WorkflowEditError
from nodeflow.runtime import devices
from tests.conftest import ROOT
from tests.runtime.conftest import iris_numeric, mlp_workflow  # noqa: F401 - the fixture

CHILD = r"""
import json, sys
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from pathlib import Path
import keras
import numpy as np
from nodeflow.runtime.engine import Engine
from tests.runtime.conftest import mlp_workflow, FEATURES

csv, out = Path(sys.argv[1]), Path(sys.argv[2])
rows = np.loadtxt(csv, delimiter=",", skiprows=1, dtype="float32")[:, :4]
report = {}
for device in ("cpu:0,cpu:1", "cpu"):
    events = []
    run_dir = out / device.replace(",", "+").replace(":", "")
    result = Engine(mlp_workflow(csv, epochs=30, device=device, batch_size=16), run_dir,
                    on_event=events.append, use_cache=False).run()
    assert result.status == "executed", result.nodes["learner"].error
    model = result.output("learner", "model")
    stored = keras.models.load_model(run_dir / "nodes" / "learner" / "model.keras")
    history = result.output("learner", "history")
    report[device] = {
        "device_events": [e for e in events if e["event"] == "device"],
        "logs": [e["message"] for e in events if e["event"] == "log"],
        "loss": float(history["loss"][-1]),
        "accuracy": float(history["accuracy"][-1]),
        "run_vs_stored": float(np.max(np.abs(model.predict(rows, verbose=0)
                                             - stored.predict(rows, verbose=0)))),
    }
from nodeflow.keras.export import export_python

script = {}  # the exported script, as a module: it builds and trains inside its strategy's scope
exec(export_python(mlp_workflow(csv, epochs=2, device="cpu:0,cpu:1", batch_size=16)), script)
with script["make_strategy"]().scope():
    model = script["compile_model"](script["build_model"]())
history = script["train"](model, rows, np.loadtxt(csv, delimiter=",", skiprows=1)[:, 4])
report["export"] = {"replicas": model.distribute_strategy.num_replicas_in_sync,
                    "steps_per_execution": model.steps_per_execution,
                    "loss": float(history.history["loss"][-1])}
print("REPORT " + json.dumps(report, default=str))
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One child process, both runs: the logical devices must exist before TensorFlow starts."""
    folder = tmp_path_factory.mktemp("devices")
    rows = list(csv.reader(open(ROOT / "resources" / "data" / "iris.csv", encoding="utf-8")))
    classes = sorted({row[4] for row in rows[1:]})
    iris = folder / "iris_numeric.csv"
    with open(iris, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([rows[0]] + [row[:4] + [classes.index(row[4])] for row in rows[1:]])
    done = subprocess.run([sys.executable, "-c", CHILD, str(iris), str(folder)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("REPORT "))
    return json.loads(line.removeprefix("REPORT "))


@pytest.mark.keras
def test_two_logical_cpus_train_two_replicas_with_mirrored_strategy(report):
    mirrored = report["cpu:0,cpu:1"]
    [event] = mirrored["device_events"]
    assert (event["device"], event["strategy"], event["replicas"]) == ("CPU:0,CPU:1", "MirroredStrategy", 2)
    assert any(log.startswith("training on 2 replicas (MirroredStrategy: CPU:0, CPU:1)")
               for log in mirrored["logs"])
    [single] = report["cpu"]["device_events"]
    assert (single["device"], single["strategy"], single["replicas"]) == ("CPU:0", None, 1)


@pytest.mark.keras
def test_two_replicas_converge_like_one_device_and_the_stored_model_predicts_the_same(report):
    mirrored, single = report["cpu:0,cpu:1"], report["cpu"]
    # the same seed, global batch and data order: the mean gradient over two halves of a batch
    # is the gradient of the batch, so only float rounding tells the two runs apart
    assert mirrored["loss"] == pytest.approx(single["loss"], abs=0.05)  # from about 1.1 at the start
    assert mirrored["accuracy"] > 0.9
    assert mirrored["run_vs_stored"] < 1e-6


def test_device_setting_accepts_lists_and_keeps_old_values(iris_numeric):  # noqa: F811
    for text in ("auto", "cpu", "gpu", "gpu:1", "gpus", "gpu:0,gpu:1", "cpu:0,cpu:1"):
        assert not validate(mlp_workflow(iris_numeric, device=text)), text
    for text in ("gpu:0,", "gpu0", "GPU:0", "gpu:0, gpu:1", "cpus"):
        with pytest.raises(WorkflowEditError, match="device: expected auto, cpu, gpu, gpus"):
            mlp_workflow(iris_numeric, device=text)


def test_devices_resolve_against_what_tensorflow_sees():
    assert devices.resolve("auto", gpus=0) == ["CPU:0"]
    assert devices.resolve("auto", gpus=2) == ["GPU:0", "GPU:1"]
    assert devices.resolve("gpus", gpus=3) == ["GPU:0", "GPU:1", "GPU:2"]
    assert devices.resolve("gpu", gpus=2) == ["GPU:0"]
    assert devices.resolve("cpu:0,cpu:1", gpus=0, cpus=2) == ["CPU:0", "CPU:1"]
    with pytest.raises(ValueError, match="gpu:2 but TensorFlow sees 2 GPU"):
        devices.resolve("gpu:0,gpu:2", gpus=2)
    with pytest.raises(ValueError, match="cpu:1 but TensorFlow sees 1 logical CPU"):
        devices.resolve("cpu:0,cpu:1", gpus=0)
    with pytest.raises(ValueError, match="none"):
        devices.resolve("gpus", gpus=0)
    with pytest.raises(ValueError, match="each device once"):
        devices.resolve("gpu:0,gpu:0", gpus=1)
    with pytest.raises(ValueError, match="only GPUs or only CPUs"):
        devices.resolve("gpu:0,cpu:0", gpus=1)


@pytest.mark.keras
def test_the_exported_script_trains_inside_the_same_strategy(report):
    exported = report["export"]
    assert exported["replicas"] == 2 and exported["steps_per_execution"] == 1
    assert exported["loss"] < 1.5  # it trained (iris starts near ln 3 = 1.1; finite and sane)
