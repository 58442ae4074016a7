"""Running one example as a new user would: the workflow alone in a fresh folder laid out as a
clone (``workflows/``), through the engine behind `nodeflow run`."""

import shutil

import pytest

from nodeflow.core import load, validate
from nodeflow.runtime.engine import Engine
from tests.conftest import WORKFLOWS


def run_example(tmp_path_factory, name: str):
    """``(result, workflow, run_dir)`` of the example ``name`` run in a fresh folder."""
    folder = tmp_path_factory.mktemp(name) / "workflows"
    folder.mkdir()
    shutil.copy(WORKFLOWS / f"{name}.nflow", folder)
    workflow = load(folder / f"{name}.nflow")
    run_dir = folder / "runs" / name
    return Engine(workflow, run_dir).run(), workflow, run_dir


def failed_nodes(result) -> dict:
    """The nodes that did not execute, with their errors (empty when the run went through)."""
    return {n: r.error for n, r in result.nodes.items() if r.status != "executed"}


def example_run(name: str):
    """A module-scoped fixture: ``(result, workflow)`` of the example ``name``, run once for
    all the tests of a module (``run = example_run(NAME)``)."""

    @pytest.fixture(scope="module")
    def run(tmp_path_factory):
        result, workflow, _ = run_example(tmp_path_factory, name)
        return result, workflow

    return run


def assert_valid_and_ran(result, workflow) -> None:
    """The example validates, its networks' shapes infer without a problem, and every node
    executed."""
    from nodeflow.keras.shapes import infer_shapes

    assert validate(workflow) == []
    assert infer_shapes(workflow).problems == []
    assert failed_nodes(result) == {}
