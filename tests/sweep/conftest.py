"""A copy of the iris example to sweep, and a helper that runs `nodeflow sweep`."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import WORKFLOWS

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture
def iris(tmp_path):
    path = tmp_path / "iris_mlp.nflow"
    shutil.copy(WORKFLOWS / "iris_mlp.nflow", path)
    return path


def study_dir(workflow, study=None):
    return workflow.parent / "runs" / f"{workflow.stem}.sweeps" / (study or workflow.stem)


def sweep_command(workflow, *args):
    return [sys.executable, "-m", "nodeflow", "sweep", str(workflow), *args]


def sweep(workflow, *args, timeout=400):
    return subprocess.run(sweep_command(workflow, *args), capture_output=True, text=True, timeout=timeout)


def read_csv(workflow, study=None):
    import csv

    with open(study_dir(workflow, study) / "trials.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def with_epochs(path, epochs):
    """The workflow file with its learner's epochs set (fast trials)."""
    from nodeflow.core import load, save

    workflow = load(path)
    workflow.set_param("learner", "epochs", epochs)
    save(workflow, path)
    return path


@pytest.fixture
def iris_fast(iris):
    return with_epochs(iris, 5)
