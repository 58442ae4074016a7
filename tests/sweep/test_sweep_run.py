"""`nodeflow sweep` end to end on the iris example: trials, outputs, resume, shared studies."""

import json
import shlex
import signal
import subprocess
import sys

import pytest

from nodeflow.core import load
from nodeflow.sweep import metric as metrics
from tests.sweep.conftest import read_csv, study_dir, sweep, sweep_command, with_epochs

pytestmark = pytest.mark.keras  # the trials train

PARAMS = ["--param", "learner.optimizer.learning_rate=loguniform(1e-3,1e-1)",
          "--param", "dense_1.units=int(4,32,log)"]
ACCURACY = ["--metric", "scorer.accuracy", "--direction", "maximize"]


def test_a_sweep_writes_its_trials_and_best_and_the_best_reproduces(iris_fast, tmp_path):
    best_file = tmp_path / "best.nflow"
    result = sweep(iris_fast, *PARAMS, *ACCURACY, "--trials", "3", "--workers", "2", "--seed", "1",
                   "--apply-best", str(best_file))
    assert result.returncode == 0, result.stderr
    folder = study_dir(iris_fast)
    rows = read_csv(iris_fast)
    assert list(rows[0]) == ["number", "state", "value", "duration_s", "learner.optimizer.learning_rate",
                             "dense_1.units", "run_dir", "error"]
    assert [(r["number"], r["state"]) for r in rows] == [("0", "COMPLETE"), ("1", "COMPLETE"),
                                                         ("2", "COMPLETE")]
    assert all(r["run_dir"] == str(folder / f"trial-{int(r['number']):04d}") for r in rows)
    assert all((folder / f"trial-{n:04d}" / "nodes" / "scorer" / "metrics.arrow").exists() for n in range(3))
    best = json.loads((folder / "best.json").read_text())
    values = {int(r["number"]): float(r["value"]) for r in rows}
    assert best["value"] == max(values.values()) and values[best["trial"]] == best["value"]
    assert best["metric"] == "scorer.accuracy" and best["direction"] == "maximize"
    assert set(best["overrides"]) == {"learner.optimizer.learning_rate", "dense_1.units"}
    sweep_def = json.loads((folder / "sweep.json").read_text())
    assert sweep_def["params"] == {"learner.optimizer.learning_rate": "loguniform(1e-3,1e-1)",
                                   "dense_1.units": "int(4,32,log)"}

    # the summary's --set text reproduces the best metric with a plain run
    set_line = next(line for line in result.stdout.splitlines() if line.strip().startswith("--set"))
    run = subprocess.run([sys.executable, "-m", "nodeflow", "run", str(iris_fast), *shlex.split(set_line),
                          "--node", "scorer", "--out", str(tmp_path / "again"), "-q"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    workflow = load(iris_fast)
    metric = metrics.parse("scorer.accuracy", "maximize", workflow)
    assert metrics.read(tmp_path / "again", workflow, metric) == best["value"]

    # --apply-best wrote a workflow with the best values
    applied = load(best_file)
    assert applied.param_value("dense_1", "units") == best["overrides"]["dense_1.units"]
    assert applied.param_value("learner", "optimizer") == {
        "name": "adam", "args": {"learning_rate": best["overrides"]["learner.optimizer.learning_rate"]}}
    # ... also from the finished study alone
    again = sweep(iris_fast, *PARAMS, *ACCURACY, "--trials", "0", "--apply-best", str(tmp_path / "b2.nflow"))
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "b2.nflow").read_text() == best_file.read_text()


def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(iris_fast):
    args = [*PARAMS, *ACCURACY, "--trials", "3", "--workers", "1"]
    process = subprocess.Popen(sweep_command(iris_fast, *args), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    csv_path = study_dir(iris_fast) / "trials.csv"
    try:
        import time

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if csv_path.exists() and ",RUNNING," in csv_path.read_text():
                break
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "interrupted; the same command resumes the study" in err
    rows = read_csv(iris_fast)
    assert rows[-1]["state"] == "FAIL" and rows[-1]["error"] == "interrupted"
    assert not any(r["state"] == "RUNNING" for r in rows)

    resumed = sweep(iris_fast, *args)
    assert resumed.returncode == 0, resumed.stderr
    rows = read_csv(iris_fast)
    assert sum(r["state"] == "COMPLETE" for r in rows) == 3
    assert not any(r["state"] == "RUNNING" for r in rows)


def test_two_processes_share_one_journal_study(iris_fast):
    args = [*PARAMS, *ACCURACY, "--trials", "4", "--workers", "1", "--study", "shared", "-q"]
    processes = [subprocess.Popen(sweep_command(iris_fast, *args), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for process in processes:
        out, err = process.communicate(timeout=400)
        assert process.returncode == 0, err
    assert (iris_fast.parent / "iris_mlp.sweep.journal").exists()
    assert_shared_study_done(iris_fast, "shared", 4)


def assert_shared_study_done(workflow, study, trials):
    rows = read_csv(workflow, study)
    complete = [r for r in rows if r["state"] == "COMPLETE"]
    assert len(complete) == trials
    assert len({r["number"] for r in rows}) == len(rows)
    folders = sorted(p.name for p in study_dir(workflow, study).glob("trial-*"))
    assert folders == sorted(f"trial-{int(r['number']):04d}" for r in rows if r["state"] != "FAIL")
    for r in complete:  # each trial ran in its own folder, with its own values
        log = json.loads((study_dir(workflow, study) / f"trial-{int(r['number']):04d}" / "state.json").read_text())
        assert log


def test_prune_stops_trials_that_fall_behind(iris):
    """Two learning rates that learn and two that cannot (1e-9): the grid's order with this seed
    runs a learning one first, so the median after it makes a hopeless one certain to be pruned."""
    with_epochs(iris, 80)
    result = sweep(iris, "--param", "learner.optimizer.learning_rate=choice(0.05,0.04,1e-9,2e-9)",
                   "--metric", "learner.val_loss", "--trials", "4", "--sampler", "grid", "--seed", "3",
                   "--prune")
    assert result.returncode == 0, result.stderr
    rows = read_csv(iris)
    pruned = [r for r in rows if r["state"] == "PRUNED"]
    assert pruned, rows
    assert all(float(r["learner.optimizer.learning_rate"]) < 1e-8 for r in pruned)
