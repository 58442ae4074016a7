"""Two logical CPU devices (MirroredStrategy, 2 replicas) against one, on the digits CNN.

Correctness first: the learner on ``cpu:0,cpu:1`` must train the same network to the
same quality as on one device (the global batch is split between the replicas).  Speed
is not expected to improve on a 2-core machine: both replicas share the same cores, and
the strategy adds a gradient all-reduce per step; the figure shows what it costs.

Each configuration runs in a fresh child process that splits the CPU into two logical
devices before TensorFlow starts (as Keras's own distribution tests do), then runs
``workflows/digits_cnn.nflow`` through the engine with the learner's ``device`` set.
Rounds interleave the two configurations.

    python bench/devices_vs_one.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from nodeflow.core.fileformat import load
from nodeflow.runtime.engine import Engine

workflow_path, device, out = sys.argv[1], sys.argv[2], sys.argv[3]
workflow = load(workflow_path)
workflow.set_param("learner", "device", device)
events = []
started = time.perf_counter()
result = Engine(workflow, out, on_event=events.append, use_cache=False).run()
seconds = time.perf_counter() - started
assert result.status == "executed", {k: v.error for k, v in result.nodes.items() if v.error}
metrics = result.output("scorer", "metrics")
accuracy = next(float(v) for m, c, v in zip(metrics["metric"], metrics["class"], metrics["value"])
                if m == "accuracy" and c == "")
epochs = [e for e in events if e["event"] == "epoch"]
device_event = next(e for e in events if e["event"] == "device")
print(json.dumps({"seconds": seconds, "accuracy": accuracy,
                  "fit_seconds": sum(e["seconds"] for e in epochs),
                  "final_loss": epochs[-1]["metrics"]["loss"],
                  "replicas": device_event.get("replicas"),
                  "strategy": device_event.get("strategy")}))
"""

CONFIGS = {"one device (cpu:0)": "cpu:0", "two logical devices (cpu:0,cpu:1)": "cpu:0,cpu:1"}


def run_once(device: str, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-P", "-c", CHILD, str(ROOT / "workflows" / "digits_cnn.nflow"),
                           device, str(out)], cwd=ROOT, capture_output=True, text=True,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT),
                               "TF_CPP_MIN_LOG_LEVEL": "3"})
    if done.returncode:
        raise SystemExit(f"{device}: the child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[dict]] = {name: [] for name in CONFIGS}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for name, device in CONFIGS.items():
                report = run_once(device, Path(tmp) / f"{round_}-{device.replace(':', '').replace(',', '+')}")
                results[name].append(report)
                print(f"round {round_ + 1}: {name}: {report['seconds']:.1f} s, "
                      f"fit {report['fit_seconds']:.1f} s, accuracy {report['accuracy']:.3f}, "
                      f"replicas {report['replicas']}", flush=True)
    print()
    medians = {}
    for name, reports in results.items():
        medians[name] = {key: statistics.median(r[key] for r in reports)
                         for key in ("seconds", "fit_seconds", "accuracy", "final_loss")}
        m = medians[name]
        print(f"{name:36s} run {m['seconds']:6.1f} s  fit {m['fit_seconds']:6.1f} s  "
              f"test accuracy {m['accuracy']:.3f}  final loss {m['final_loss']:.3f}")
    one, two = (medians[n] for n in CONFIGS)
    print(f"\ntwo devices / one: run time {two['seconds'] / one['seconds']:.2f}x, "
          f"fit time {two['fit_seconds'] / one['fit_seconds']:.2f}x, "
          f"accuracy {two['accuracy'] - one['accuracy']:+.3f}")


if __name__ == "__main__":
    main()
