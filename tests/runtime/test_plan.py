"""Planning a run: what a partial run executes, and that only that part must be valid."""

import subprocess
import sys

import pytest

from nodeflow.runtime.plan import LAYERS_ONLY, plan_run
from tests.conftest import ROOT
from tests.runtime.conftest import mlp_workflow


@pytest.fixture
def with_stray(iris_numeric):
    """The iris MLP plus a half-wired learner elsewhere on the canvas (invalid)."""
    wf = mlp_workflow(iris_numeric)
    wf.add_node("learn.NetworkLearner", node_id="stray")
    return wf


def test_a_partial_run_needs_only_its_part_to_be_valid(with_stray):
    plan = plan_run(with_stray, ["learner"])
    assert plan.ok and plan.problems == [] and plan.message is None
    assert set(plan.workflow.nodes) == {"reader", "input_1", "hidden", "probabilities", "learner"}
    assert plan.runnable == ["reader", "learner"]  # dependency order; layers run inside the learner
    assert "stray" in with_stray.nodes  # the caller's workflow is left as it was


def test_the_whole_workflow_reports_the_stray_node(with_stray):
    plan = plan_run(with_stray, None)
    assert not plan.ok
    assert plan.problems and {p.node for p in plan.problems} == {"stray"}
    assert plan.message.startswith("cannot run: node stray: ")


def test_an_invalid_node_the_target_needs_is_reported(iris_numeric):
    wf = mlp_workflow(iris_numeric)
    wf.set_param("reader", "path", "", check=False)
    plan = plan_run(wf, ["learner"])
    assert not plan.ok and [p.node for p in plan.problems] == ["reader"]


def test_layer_nodes_alone_have_nothing_to_execute(with_stray):
    plan = plan_run(with_stray, ["hidden", "probabilities"])
    assert plan.problems == [] and plan.runnable == [] and not plan.ok
    assert plan.message == LAYERS_ONLY == "nothing to execute: layer nodes run inside the learner that uses them"
    assert set(plan.workflow.nodes) == {"input_1", "hidden", "probabilities"}


def test_an_unknown_target_is_the_callers_mistake(with_stray):
    with pytest.raises(ValueError, match="the workflow has no node nope"):
        plan_run(with_stray, ["nope"])


def test_planning_imports_no_numpy_tensorflow_or_qt():
    """The editor plans in its own process, which never loads TensorFlow."""
    code = ("import sys; import nodeflow.runtime.plan, nodeflow.runtime.fingerprint, nodeflow.runtime.events; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'tensorflow', 'keras', 'PySide6', 'NodeGraphQt')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
