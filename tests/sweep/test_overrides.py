"""NODE.PARAM and NODE.PARAM.ARG overrides: the one definition `run --set` and `sweep` share."""

import shutil
import subprocess
import sys

import pytest

from nodeflow.core import load, validate
from nodeflow.core.overrides import OverrideError, apply_assignments
from tests.conftest import WORKFLOWS


@pytest.fixture
def iris():
    return load(WORKFLOWS / "iris_mlp.nflow")


def test_an_argument_of_a_nested_choice_keeps_the_option(iris):
    apply_assignments(iris, ["learner.optimizer.learning_rate=0.001", "dense_1.units=32"])
    assert iris.param_value("learner", "optimizer") == {"name": "adam", "args": {"learning_rate": 0.001}}
    assert iris.param_value("dense_1", "units") == 32
    assert validate(iris) == []


def test_the_option_is_applied_before_its_arguments_whatever_the_order(iris):
    apply_assignments(iris, ["learner.optimizer.learning_rate=0.1", "learner.optimizer=sgd"])
    assert iris.param_value("learner", "optimizer") == {"name": "sgd", "args": {"learning_rate": 0.1}}


def test_unknown_arguments_and_parameters_are_left_to_validation(iris):
    apply_assignments(iris, ["learner.optimizer.learnig_rate=0.1", "dense_1.unit=3"])
    problems = [str(p) for p in validate(iris)]
    assert any(p.startswith("node learner: optimizer.learnig_rate: unknown argument of adam") for p in problems)
    assert any(p.startswith("node dense_1: unit: unknown parameter") for p in problems)


@pytest.mark.parametrize("item, message", [
    ("lerner.epochs=3", "the workflow has no node lerner"),
    ("learner.epochs.max=3", "learner.epochs is a int parameter without arguments"),
    ("learner=3", "expected NODE.PARAM=VALUE"),
    ("a.b.c.d=1", "expected NODE.PARAM=VALUE"),
])
def test_command_line_mistakes(iris, item, message):
    with pytest.raises(OverrideError, match=message):
        apply_assignments(iris, [item])


def test_run_set_takes_a_nested_argument(tmp_path):
    """`nodeflow run --set learner.optimizer.learning_rate=...` validates like any value (before
    this it was refused as an unknown parameter "optimizer.learning_rate")."""
    shutil.copy(WORKFLOWS / "iris_mlp.nflow", tmp_path)
    bad = subprocess.run([sys.executable, "-m", "nodeflow", "run", str(tmp_path / "iris_mlp.nflow"),
                          "--set", "learner.optimizer.learning_rate=-1", "--no-track"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 3
    assert "node learner: optimizer.learning_rate: expected a number" in bad.stderr
