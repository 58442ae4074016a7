"""Small trainable workflows for runtime tests, built in code on a numeric iris file."""

import csv
import os

import pytest

from nodeflow.core import Workflow
from tests.conftest import ROOT

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@pytest.fixture
def iris_numeric(tmp_path):
    """iris.csv with the species as class numbers 0..2 (written with the standard library)."""
    rows = list(csv.reader(open(ROOT / "resources" / "data" / "iris.csv", encoding="utf-8")))
    codes = {"setosa": 0, "versicolor": 1, "virginica": 2}
    path = tmp_path / "iris_numeric.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(rows[0])
        for row in rows[1:]:
            writer.writerow(row[:4] + [codes[row[4]]])
    return path


def mlp_workflow(csv_path, epochs=5, **learner):
    wf = Workflow()
    wf.base_dir = str(csv_path.parent)
    wf.add_node("data.CsvReader", {"path": csv_path.name}, node_id="reader")
    wf.add_node("keras.layers.Input", {"shape": [4]}, node_id="input_1")
    wf.add_node("keras.layers.Dense", {"units": 16, "activation": "relu"}, node_id="hidden")
    wf.add_node("keras.layers.Dense", {"units": 3, "activation": "softmax"}, node_id="probabilities")
    params = {"feature_columns": FEATURES, "target_columns": ["species"],
              "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "epochs": epochs,
              "seed": 7, "optimizer": {"name": "adam", "args": {"learning_rate": 0.01}}}
    params.update(learner)
    wf.add_node("learn.NetworkLearner", params, node_id="learner")
    wf.connect("input_1", "output", "hidden", "input")
    wf.connect("hidden", "output", "probabilities", "input")
    wf.connect("probabilities", "output", "learner", "network")
    wf.connect("reader", "table", "learner", "training")
    return wf
