"""A run killed (SIGKILL) at any moment leaves a run folder whose next run equals a clean run.

Each case starts ``nodeflow run`` in a child process on a run folder that already holds
another configuration's results, kills it after a chosen event line (mid-write, mid-training,
or exactly between a node's outputs and its state with the engine's test hook
``NODEFLOW_TEST_PAUSE_AFTER_OUTPUTS``), then runs again in this process with the same or
other parameters and compares the learner's history with a clean run's.
"""

import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest

from nodeflow.core import save
from nodeflow.runtime.engine import PAUSE_HOOK, Engine
from tests.conftest import ROOT
from tests.runtime.conftest import mlp_workflow

pytestmark = pytest.mark.keras


def run(csv_path, epochs, run_dir):
    events = []
    result = Engine(mlp_workflow(csv_path, epochs=epochs), run_dir, on_event=events.append).run()
    assert result.status == "executed"
    return result.output("learner", "history"), events


def killed_run(workflow_file, run_dir, epochs, kill_after, *extra, pause=None):
    """``nodeflow run`` in a child, killed with SIGKILL after the first event ``kill_after`` accepts."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    env.pop(PAUSE_HOOK, None)
    if pause:
        env[PAUSE_HOOK] = pause
    process = subprocess.Popen(
        [sys.executable, "-m", "nodeflow", "run", str(workflow_file), "--out", str(run_dir), "--events", "-",
         "-q", "--set", f"learner.epochs={epochs}", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        for line in process.stdout:
            if kill_after(json.loads(line)):
                process.kill()
                break
        else:
            pytest.fail("the run ended before the moment to kill it")
    finally:
        process.kill()
        process.communicate(timeout=60)


def _after_events(count):
    """A moment to kill: once ``count`` events other than batch progress have been read."""
    seen = [0]

    def moment(event):
        seen[0] += event["event"] != "batch"
        return seen[0] >= count

    return moment


def test_the_run_after_a_kill_equals_a_clean_run(iris_numeric, tmp_path):
    clean = {epochs: run(iris_numeric, epochs, tmp_path / f"clean{epochs}")[0] for epochs in (3, 4)}
    workflow_file = iris_numeric.parent / "mlp.nflow"
    save(mlp_workflow(iris_numeric, epochs=3), workflow_file)
    run_dir = tmp_path / "run"
    run(iris_numeric, 3, run_dir)  # a cache holding another configuration's results

    def is_event(name, node, **fields):
        return lambda e: e["event"] == name and e.get("node") == node and fields.items() <= e.items()

    cases = [  # (epochs of the killed run, when it is killed, its options, epochs of the next run)
        (4, is_event("output", "reader"), ["--no-cache"], {}, 3),  # the reader's commit under way
        (4, is_event("epoch", "learner", epoch=1), [], {}, 4),  # mid-training
        (3, lambda e: e["event"] == "log" and PAUSE_HOOK in e["message"], [], {"pause": "learner"}, 4),
        (3, is_event("output", "learner", port="model"), [], {}, 3),  # between two outputs
    ]
    # and at random moments: after the k-th event of an uncached child run (batch events,
    # which depend on timing, are not counted)
    total = len([e for e in run(iris_numeric, 4, tmp_path / "count")[1] if e["event"] != "batch"])
    draws = random.Random(12)
    for _ in range(3):
        cases.append((4, _after_events(draws.randrange(1, total - 1)), ["--no-cache"], {},
                      draws.choice((3, 4))))
    for killed_epochs, moment, options, hook, epochs in cases:
        killed_run(workflow_file, run_dir, killed_epochs, moment, *options, **hook)
        history, events = run(iris_numeric, epochs, run_dir)
        assert list(history["epoch"]) == list(range(1, epochs + 1))
        np.testing.assert_allclose(history["loss"], clean[epochs]["loss"], rtol=1e-6)
        assert not [n for n in os.listdir(run_dir / "nodes" / "learner") if n.startswith(".")]
    _, events = run(iris_numeric, 3, run_dir)
    assert [e.get("cached") for e in events if e["event"] == "node_status" and e["status"] == "executed"] \
        == [True, True]
