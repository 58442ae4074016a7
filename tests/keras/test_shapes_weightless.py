"""Live shapes never allocate a network's weights, and the shape worker caps its memory:
opening a huge network in the editor must not take the machine's memory."""

import json
import os
import subprocess
import sys

import pytest

from nodeflow.core import Workflow, dumps
from nodeflow.keras.shapes import infer_shapes

UNITS = 60_000  # a 60,000 x 60,000 Dense layer: 3.6 G parameters, 14.4 GB of float32
LIMIT_MIB = 2048


def huge() -> Workflow:
    wf = Workflow()
    wf.add_node("keras.layers.Input", {"shape": [UNITS]}, node_id="features")
    wf.add_node("keras.layers.Dense", {"units": UNITS}, node_id="huge")
    wf.add_node("keras.layers.Dense", {"units": 3}, node_id="head")
    wf.connect("features", "output", "huge", "input")
    wf.connect("huge", "output", "head", "input")
    return wf


def status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as handle:
        line = next(line for line in handle if line.startswith(field + ":"))
    return int(line.split()[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_shape_worker_infers_a_huge_network_within_a_small_memory_cap():
    import resource

    def safety_net():  # should the worker build real weights after all, it fails, not the machine
        resource.setrlimit(resource.RLIMIT_DATA, (4 * 2**30, 4 * 2**30))

    worker = subprocess.Popen(
        [sys.executable, "-P", "-m", "nodeflow.keras.shape_worker"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "NODEFLOW_SHAPE_MEMORY_MIB": str(LIMIT_MIB)}, preexec_fn=safety_net)
    try:
        assert json.loads(worker.stdout.readline())["ready"] is True
        worker.stdin.write(json.dumps({"client": 1, "revision": 1, "workflow": dumps(huge()),
                                       "base_dir": None}) + "\n")
        worker.stdin.flush()
        answer = json.loads(worker.stdout.readline())
        peak_mib = status_kib(worker.pid, "VmHWM") / 1024
        with open(f"/proc/{worker.pid}/limits") as handle:
            data_limit = next(line for line in handle if line.startswith("Max data size"))
    finally:
        worker.stdin.close()
        worker.wait(timeout=60)
    report = answer.get("report")
    assert report is not None, answer
    assert report["problems"] == []
    nodes = {n["id"]: n for n in report["nodes"]}
    assert nodes["huge"]["outputs"] == {"output": [[None, UNITS]]}
    assert nodes["huge"]["params"] == UNITS * UNITS + UNITS  # counted from the variables' shapes
    assert report["total_params"] == UNITS * UNITS + UNITS + UNITS * 3 + 3
    assert data_limit.split()[3] == str(LIMIT_MIB * 2**20)  # the cap the worker set itself
    assert peak_mib < 1500, peak_mib  # TensorFlow itself; the weights alone would be 13,700 MiB


def test_parameter_counts_are_those_of_the_built_model(keras):
    """Weightless building still counts what Keras's own model would hold."""
    from nodeflow.keras.translator import translate

    wf = Workflow()
    wf.add_node("keras.layers.Input", {"shape": [8, 8, 3]}, node_id="image")
    wf.add_node("keras.layers.Conv2D", {"filters": 4, "kernel_size": [3, 3]}, node_id="conv")
    wf.add_node("keras.layers.BatchNormalization", {}, node_id="norm")
    wf.add_node("keras.layers.Flatten", {}, node_id="flat")
    wf.add_node("keras.layers.Dense", {"units": 2}, node_id="out")
    for a, b in (("image", "conv"), ("conv", "norm"), ("norm", "flat"), ("flat", "out")):
        wf.connect(a, "output", b, "input")
    report = infer_shapes(wf)
    model = translate(wf).model
    assert report.problems == []
    assert report.total_params == model.count_params()
    assert report.non_trainable_params == 8  # the normalization's moving mean and variance
    assert report.nodes["conv"].params == model.get_layer("conv").count_params()


def test_a_network_too_large_for_the_memory_cap_is_a_problem_not_a_crash(keras, monkeypatch):
    import nodeflow.keras.shapes as shapes

    real = shapes.build_node

    def out_of_memory(workflow, node_id, inputs, layers):
        if node_id == "huge":
            raise MemoryError()
        return real(workflow, node_id, inputs, layers)

    monkeypatch.setattr(shapes, "build_node", out_of_memory)
    report = infer_shapes(huge())
    assert [(p.node, "too large to infer shapes" in p.message) for p in report.problems] == [("huge", True)]
    assert report.nodes["features"].outputs == {"output": [(None, UNITS)]}
