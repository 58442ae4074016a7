"""`nodeflow sweep` on the iris example: 1 worker against 2, and a trial's overhead.

- An 8-trial sweep of ``workflows/iris_mlp.nflow`` (learning rate and width swept) with
  ``--workers 1`` and ``--workers 2``: wall time and the speed-up.  Each trial is a child
  ``nodeflow run`` that imports TensorFlow and trains, so two workers use two cores.
- The overhead of a trial: the mean duration of the 1-worker sweep's trials (as
  trials.csv records them: child start to metric read) against a plain
  ``nodeflow run --node scorer`` of the same workflow with the same kind of overrides,
  timed around the child process.

Rounds interleave the configurations; each sweep gets a fresh copy of the workflow (a
fresh study).  Tracking is off (NODEFLOW_NO_TRACK=1) so the figures are the sweep's own.

    python bench/sweep_bench.py [--rounds 2] [--epochs 100]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ["--param", "learner.optimizer.learning_rate=loguniform(1e-3,1e-1)",
          "--param", "dense_1.units=int(8,64,log)"]


def workflow_copy(folder: Path, epochs: int) -> Path:
    sys.path.insert(0, str(ROOT))
    from nodeflow.core import load, save

    path = folder / "iris_mlp.nflow"
    workflow = load(ROOT / "workflows" / "iris_mlp.nflow")
    workflow.set_param("learner", "epochs", epochs)
    save(workflow, path)
    return path


def timed_sweep(workers: int, epochs: int) -> tuple[float, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = workflow_copy(Path(tmp), epochs)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nodeflow", "sweep", str(path), *PARAMS,
                        "--metric", "scorer.accuracy", "--direction", "maximize", "--trials", "8",
                        "--workers", str(workers), "--seed", "1", "-q"], check=True, capture_output=True)
        wall = time.perf_counter() - start
        with open(path.parent / "runs" / "iris_mlp.sweeps" / "iris_mlp" / "trials.csv") as handle:
            durations = [float(row["duration_s"]) for row in csv.DictReader(handle)]
    return wall, durations


def timed_run(epochs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = workflow_copy(Path(tmp), epochs)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-P", "-m", "nodeflow", "run", str(path), "--set",
                        "learner.optimizer.learning_rate=0.01", "--set", "dense_1.units=16",
                        "--node", "scorer", "--out", str(Path(tmp) / "run"), "-q"],
                       check=True, capture_output=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    os.environ["NODEFLOW_NO_TRACK"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    one, two, trial, plain = [], [], [], []
    for _ in range(args.rounds):
        wall, durations = timed_sweep(1, args.epochs)
        one.append(wall)
        trial += durations
        two.append(timed_sweep(2, args.epochs)[0])
        plain += [timed_run(args.epochs) for _ in range(3)]
    med = statistics.median
    print(f"cores: {os.cpu_count()}, rounds: {args.rounds}, epochs per trial: {args.epochs}")
    print(f"8-trial sweep, 1 worker:  {med(one):6.1f} s  (runs: {', '.join(f'{x:.1f}' for x in one)})")
    print(f"8-trial sweep, 2 workers: {med(two):6.1f} s  (runs: {', '.join(f'{x:.1f}' for x in two)})")
    print(f"speed-up with 2 workers: {med(one) / med(two):.2f}x")
    print(f"trial (1 worker, median): {med(trial):5.2f} s; plain nodeflow run: {med(plain):5.2f} s; "
          f"ratio {med(trial) / med(plain):.2f}")
    print(f"sweep per trial incl. Optuna and bookkeeping (1 worker): {med(one) / 8:5.2f} s; "
          f"ratio to a plain run {med(one) / 8 / med(plain):.2f}")


if __name__ == "__main__":
    main()
