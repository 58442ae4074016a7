"""Running one example as a new user would: the workflow alone in a fresh folder laid out as a
clone (``workflows/``), through the engine behind `nodeflow run`."""

import shutil

from nodeflow.core import load
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
