"""The anomaly detection example in the editor, and the scorer's ROC curve port view."""

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from nodeflow.core import validate
from tests.gui.examples import assert_every_node_configured, open_example, run_and_open_port_view

ONE_MEASUREMENT = {  # a ROC curve without training: the tumour area alone as the score
    "format": "nodeflow.workflow", "version": 3,
    "nodes": [
        {"id": "data", "type": "data.SampleDataSet", "position": [0, 0], "params": {"data_set": "breast_cancer"}},
        {"id": "scorer", "type": "learn.Scorer", "position": [300, 0],
         "params": {"truth_column": "diagnosis", "prediction_column": "diagnosis", "score_column": "mean_area"}},
    ],
    "edges": [{"from": "data.table", "to": "scorer.table"}],
}


def test_the_example_opens_from_the_examples_menu_with_every_node_configured(window, qtbot):
    workflow = open_example(window, "anomaly_detection")
    assert "threshold" in workflow.nodes and validate(workflow) == []
    assert len(workflow.backdrops) >= 3
    assert_every_node_configured(window, qtbot)


def test_double_clicking_the_roc_port_draws_the_curve_with_its_auc(window, qtbot, tmp_path):
    from sklearn.metrics import roc_auc_score

    from nodeflow.gui.port_views import RocView

    result, view = run_and_open_port_view(window, qtbot, tmp_path / "roc.nflow", ONE_MEASUREMENT, "scorer", "roc")
    assert isinstance(view, RocView) and view.plot is not None
    data = result.output("data", "table")
    auc = roc_auc_score(data["diagnosis"] == "malignant", data["mean_area"])
    assert view.auc_label.text() == f"AUC {auc:.4f}"
    curve = view.plot.getPlotItem().listDataItems()[-1]
    xs, ys = curve.getData()
    assert np.trapezoid(ys, xs) == pytest.approx(auc)
    QApplication.processEvents()
    view.grab().save(str(tmp_path / "roc_view.png"))
