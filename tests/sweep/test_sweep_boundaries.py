"""The sweep process never imports TensorFlow or Qt: only its trial children train."""

import subprocess
import sys

CODE = r"""
import sys
from pathlib import Path
import numpy as np
from nodeflow.core import load
from nodeflow.runtime.arrow_tables import write_table
from nodeflow.runtime.table import Table
from nodeflow.sweep import command, executors, metric, study, table, trial

run = Path(sys.argv[1])
(run / "nodes" / "scorer").mkdir(parents=True)
write_table(Table({"metric": np.array(["accuracy", "f1"]), "class": np.array(["", "0"]),
                   "value": np.array([0.75, 0.5])}), run / "nodes" / "scorer" / "metrics.arrow")
(run / "nodes" / "learner").mkdir(parents=True)
write_table(Table({"loss": np.array([0.9, 0.4, 0.6]), "val_loss": np.array([1.0, 0.5, 0.7])}),
            run / "nodes" / "learner" / "history.arrow")
wf = load(sys.argv[2])
print(metric.read(run, wf, metric.parse("scorer.accuracy", "maximize", wf)),
      metric.read(run, wf, metric.parse("learner.val_loss", "minimize", wf)),
      metric.read(run, wf, metric.parse("learner.best_val_loss", "minimize", wf)),
      metric.read(run, wf, metric.parse("learner.best_loss", "maximize", wf)))
try:
    metric.read(run, wf, metric.parse("scorer.f1", "maximize", wf))
except metric.MetricError as exc:
    print(exc)
print(sorted(m for m in ("tensorflow", "keras", "PySide6") if m in sys.modules))
"""


def test_reading_metrics_needs_no_tensorflow(tmp_path):
    from tests.conftest import WORKFLOWS

    result = subprocess.run([sys.executable, "-c", CODE, str(tmp_path / "run"), str(WORKFLOWS / "iris_mlp.nflow")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    values, missing, modules = result.stdout.splitlines()
    assert values == "0.75 0.7 0.5 0.9"  # last epoch; best epoch in the sweep's direction
    # per-class rows are not whole-table metrics: the message lists what there is
    assert missing == "--metric scorer.f1: node scorer output no number 'f1'; it has: accuracy"
    assert modules == "[]"
