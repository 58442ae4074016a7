"""Live shapes: inference on a 200-node graph after one parameter change, once warm.

Target (issue #3): under 300 ms on the 2-core development machine.  The editor keeps
one ShapeInference per open workflow; its cache means an edit rebuilds only the edited
node and the nodes whose input shapes changed.

    python bench/shape_inference.py [--nodes 200] [--edits 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time


def graph(nodes: int):
    """A branching network: a stem, then repeated two-branch blocks merged with Add."""
    from nodeflow.core import Workflow

    wf = Workflow()
    prev = wf.add_node("keras.layers.Input", {"shape": [32, 32, 3]}).id
    stem = wf.add_node("keras.layers.Conv2D", {"filters": 16, "kernel_size": 3, "padding": "same"}).id
    wf.connect(prev, "output", stem, "input")
    prev = stem
    while len(wf.nodes) < nodes - 3:
        a = wf.add_node("keras.layers.Conv2D", {"filters": 16, "kernel_size": 3, "padding": "same",
                                                "activation": "relu"}).id
        b = wf.add_node("keras.layers.BatchNormalization").id
        add = wf.add_node("keras.layers.Add").id
        wf.connect(prev, "output", a, "input")
        wf.connect(a, "output", b, "input")
        wf.connect(b, "output", add, "inputs")
        wf.connect(prev, "output", add, "inputs")
        prev = add
    pool = wf.add_node("keras.layers.GlobalAveragePooling2D").id
    head = wf.add_node("keras.layers.Dense", {"units": 10, "activation": "softmax"}).id
    wf.connect(prev, "output", pool, "input")
    wf.connect(pool, "output", head, "input")
    return wf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    from nodeflow.keras import load_keras
    from nodeflow.keras.shapes import ShapeInference

    load_keras()
    wf = graph(args.nodes)
    inference = ShapeInference()
    start = time.perf_counter()
    report = inference.infer(wf)
    cold = time.perf_counter() - start
    assert not report.problems, report.problems
    convs = [n for n, node in wf.nodes.items() if node.type == "keras.layers.Conv2D"]
    rng = random.Random(0)
    times = []
    for i in range(args.edits):  # change a kernel size: the node and nothing else is rebuilt
        node = rng.choice(convs)
        wf.set_param(node, "kernel_size", 5 if i % 2 else 3)
        start = time.perf_counter()
        inference.infer(wf)
        times.append(time.perf_counter() - start)
    wf.set_param("dense_1", "units", 12)
    start = time.perf_counter()
    inference.infer(wf)
    head = time.perf_counter() - start
    print(f"{len(wf.nodes)}-node graph: cold inference {cold * 1000:.0f} ms; after one parameter "
          f"edit: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
          f"over {args.edits} edits; head edit {head * 1000:.0f} ms")


if __name__ == "__main__":
    main()
