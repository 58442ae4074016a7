"""`nodeflow inspect` on a 1,000-layer chain, TensorFlow import included.

Target (issue #3): under 10 s on the 2-core development machine.

    python bench/inspect_time.py [--layers 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def chain(layers: int) -> Path:
    from nodeflow.core import Workflow, save

    wf = Workflow()
    prev = wf.add_node("keras.layers.Input", {"shape": [64]}).id
    kinds = [("keras.layers.Dense", {"units": 64, "activation": "relu"}),
             ("keras.layers.Dropout", {"rate": 0.1}),
             ("keras.layers.LayerNormalization", {})]
    for i in range(layers - 1):
        type_id, params = kinds[i % len(kinds)]
        node = wf.add_node(type_id, params, position=(i * 150.0, 0.0))
        wf.connect(prev, "output", node.id, "input")
        prev = node.id
    path = Path(tempfile.mkdtemp()) / f"chain_{layers}.nflow"
    save(wf, path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = chain(args.layers)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "nodeflow", "inspect", str(path)],
                                capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(result.stderr)
    total = result.stdout.strip().splitlines()[-1]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import tensorflow"], capture_output=True)
    tf_import = time.perf_counter() - start
    print(f"nodeflow inspect, {args.layers}-layer chain (Dense/Dropout/LayerNormalization): "
          f"median {statistics.median(times):.2f} s, max {max(times):.2f} s over {args.runs} runs "
          f"({total})")
    print(f"for scale: python -c 'import tensorflow' alone takes {tf_import:.2f} s")


if __name__ == "__main__":
    main()
