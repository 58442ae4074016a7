"""Shared fixtures: the catalogue and small valid workflows built in code."""

from __future__ import annotations

from pathlib import Path

import pytest

from nodeflow.core import Workflow, default_registry

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / "workflows"


@pytest.fixture(autouse=True)
def _untracked_runs(monkeypatch):
    """Runs in tests are not recorded in MLflow (each record costs a writer process);
    the tests of tracking itself remove this."""
    monkeypatch.setenv("NODEFLOW_NO_TRACK", "1")


@pytest.fixture(scope="session")
def registry():
    return default_registry()


@pytest.fixture
def mlp(registry) -> Workflow:
    """Input(4) -> Dense(8, relu) -> Dense(3, softmax), plus an unconnected CSV reader."""
    wf = Workflow(registry)
    wf.add_node("keras.layers.Input", {"shape": [4]}, position=(0, 0))
    wf.add_node("keras.layers.Dense", {"units": 8, "activation": "relu"}, position=(150, 0))
    wf.add_node("keras.layers.Dense", {"units": 3, "activation": "softmax"}, position=(300, 0))
    wf.add_node("data.CsvReader", {"path": "data/iris.csv"}, position=(0, 200))
    wf.connect("input_1", "output", "dense_1", "input")
    wf.connect("dense_1", "output", "dense_2", "input")
    return wf
