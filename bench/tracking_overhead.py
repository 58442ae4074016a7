"""What MLflow tracking costs a run: `nodeflow run workflows/iris_mlp.nflow` tracked vs --no-track.

Runs alternate (tracked, untracked, tracked, ...) so drift in machine load hits both alike;
each run is a fresh process with --no-cache (the whole workflow executes).  The first
tracked run into a new store also creates the SQLite database (MLflow's migrations): it
is timed separately.  Usage: python bench/tracking_overhead.py [ROUNDS] [EPOCHS]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nodeflow", *args], check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    epochs = sys.argv[2] if len(sys.argv) > 2 else "100"
    env = {k: v for k, v in os.environ.items()
           if k not in ("NODEFLOW_NO_TRACK", "NODEFLOW_TRACKING_URI", "MLFLOW_TRACKING_URI")}
    with tempfile.TemporaryDirectory() as folder:
        workflow = Path(folder) / "iris_mlp.nflow"
        shutil.copy(ROOT / "workflows" / "iris_mlp.nflow", workflow)
        base = ["run", str(workflow), "-q", "--no-cache", "--set", f"learner.epochs={epochs}"]
        first = timed(base, env)  # creates runs/mlflow.db
        tracked, untracked = [], []
        for _ in range(rounds):
            tracked.append(timed(base, env))
            untracked.append(timed([*base, "--no-track"], env))
    t, u = statistics.median(tracked), statistics.median(untracked)
    print(f"iris_mlp, {epochs} epochs, {rounds} interleaved rounds, whole process wall time")
    print(f"  first tracked run (creates the database): {first:.2f} s")
    print(f"  tracked   median {t:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in tracked)})")
    print(f"  untracked median {u:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in untracked)})")
    print(f"  ratio tracked / untracked: {t / u:.3f}  (+{t - u:.2f} s)")


if __name__ == "__main__":
    main()
