"""How long `nodeflow validate` takes, process start-up included.

Target (issue #2): well under one second on a small file on a 2-core machine.
Also times a generated 500-node chain to show how validation scales.

    python bench/validate_time.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def chain(n: int) -> Path:
    from nodeflow.core import Workflow, save

    wf = Workflow()
    prev = wf.add_node("keras.layers.Input", {"shape": [32]}).id
    for i in range(n - 1):
        node = wf.add_node("keras.layers.Dense", {"units": 32, "activation": "relu"}, position=(i * 150, 0))
        wf.connect(prev, "output", node.id, "input")
        prev = node.id
    path = Path(tempfile.mkdtemp()) / f"chain_{n}.nflow"
    save(wf, path)
    return path


def time_cli(path: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "nodeflow", "validate", "--quiet", str(path)],
                                capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"validate failed on {path}:\n{result.stdout}{result.stderr}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    cases = {"workflows/iris_mlp.nflow (13 nodes)": ROOT / "workflows" / "iris_mlp.nflow",
             "generated chain (500 nodes)": chain(500)}
    baseline = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"])
        baseline.append(time.perf_counter() - start)
    print(f"python -c pass (interpreter start-up): median {statistics.median(baseline) * 1000:.0f} ms")
    for label, path in cases.items():
        times = time_cli(path, args.runs)
        print(f"nodeflow validate {label}: median {statistics.median(times) * 1000:.0f} ms, "
              f"max {max(times) * 1000:.0f} ms over {args.runs} runs")


if __name__ == "__main__":
    main()
