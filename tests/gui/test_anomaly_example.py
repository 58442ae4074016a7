"""The anomaly detection example in the editor, and the scorer's ROC curve port view."""

import json

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from nodeflow.core import load, validate
from nodeflow.core.states import NodeState
from tests.gui.test_canvas_port_views import double_click
from tests.gui.test_main_window import port_point

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
    action = next(a for a in window.examples_menu.actions() if a.text() == "anomaly_detection")
    action.trigger()
    workflow = window.document.workflow
    assert "threshold" in workflow.nodes and validate(workflow) == []
    assert len(workflow.backdrops) >= 3
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=120000)  # shapes from the worker
    assert {n: s.error for n, s in window.last_report.nodes.items() if s.error is not None} == {}
    states = {n: window.session.node_state(n)[0] for n in workflow.nodes}
    assert NodeState.NOT_CONFIGURED not in states.values(), states
    assert "problem" not in window.statusBar().currentMessage()


def test_double_clicking_the_roc_port_draws_the_curve_with_its_auc(window, qtbot, tmp_path):
    from sklearn.metrics import roc_auc_score

    from nodeflow.gui.port_views import RocView
    from nodeflow.runtime.engine import Engine, default_run_dir

    path = tmp_path / "roc.nflow"
    path.write_text(json.dumps(ONE_MEASUREMENT), encoding="utf-8")
    result = Engine(load(path), default_run_dir(path)).run()
    assert result.nodes["scorer"].status == "executed"
    assert window.open_file(path)
    double_click(window.canvas.viewer().viewport(), port_point(window, "scorer", "roc", True))
    qtbot.waitUntil(lambda: bool(window.port_views), timeout=10000)
    view = window.port_views[-1].view
    assert isinstance(view, RocView) and view.plot is not None
    data = result.output("data", "table")
    auc = roc_auc_score(data["diagnosis"] == "malignant", data["mean_area"])
    assert view.auc_label.text() == f"AUC {auc:.4f}"
    curve = view.plot.getPlotItem().listDataItems()[-1]
    xs, ys = curve.getData()
    assert np.trapezoid(ys, xs) == pytest.approx(auc)
    QApplication.processEvents()
    view.grab().save(str(tmp_path / "roc_view.png"))
