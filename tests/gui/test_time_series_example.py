"""The time-series forecasting example in the editor, and the forecast port view."""

import json

import numpy as np
from PySide6.QtWidgets import QApplication

from nodeflow.core import load, validate
from nodeflow.core.states import NodeState
from tests.gui.test_canvas_port_views import double_click
from tests.gui.test_main_window import port_point

NAIVE_FORECAST = {  # the example's data and windows, "forecast" by the last value: no training needed
    "format": "nodeflow.workflow", "version": 3,
    "nodes": [
        {"id": "data", "type": "data.SampleDataSet", "position": [0, 0], "params": {"data_set": "co2_monthly"}},
        {"id": "windowing", "type": "data.TimeSeriesWindowing", "position": [250, 0],
         "params": {"columns": ["co2"], "target_columns": ["co2"], "lags": 24, "time_column": "date"}},
        {"id": "split", "type": "data.Partitioning", "position": [500, 0],
         "params": {"fraction": 0.85, "sampling": "from_top"}},
        {"id": "forecast", "type": "learn.ForecastEvaluator", "position": [750, 0],
         "params": {"prediction_column": "origin"}},
    ],
    "edges": [
        {"from": "data.table", "to": "windowing.table"},
        {"from": "windowing.table", "to": "split.table"},
        {"from": "split.second", "to": "forecast.table"},
        {"from": "windowing.table", "to": "forecast.history"},
    ],
}


def test_the_example_opens_from_the_examples_menu_with_every_node_configured(window, qtbot):
    action = next(a for a in window.examples_menu.actions() if a.text() == "time_series_forecasting")
    action.trigger()
    workflow = window.document.workflow
    assert "forecast" in workflow.nodes and validate(workflow) == []
    assert len(workflow.backdrops) >= 3
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=120000)  # shapes from the worker
    assert {n: s.error for n, s in window.last_report.nodes.items() if s.error is not None} == {}
    states = {n: window.session.node_state(n)[0] for n in workflow.nodes}
    assert NodeState.NOT_CONFIGURED not in states.values(), states
    assert "problem" not in window.statusBar().currentMessage()


def test_double_clicking_the_forecast_port_plots_history_truth_and_forecast(window, qtbot, tmp_path):
    from nodeflow.gui.port_views import ForecastView
    from nodeflow.runtime.engine import Engine, default_run_dir

    path = tmp_path / "naive.nflow"
    path.write_text(json.dumps(NAIVE_FORECAST), encoding="utf-8")
    result = Engine(load(path), default_run_dir(path)).run()
    assert result.nodes["forecast"].status == "executed"
    assert window.open_file(path)
    double_click(window.canvas.viewer().viewport(), port_point(window, "forecast", "forecast", True))
    qtbot.waitUntil(lambda: bool(window.port_views), timeout=10000)
    view = window.port_views[-1].view
    assert isinstance(view, ForecastView)
    test = result.output("split", "second")
    history_x = view.series["history"][0]
    truth_x, truth_y = view.series["truth"]
    assert len(truth_x) == test.num_rows and len(history_x) == 526 - 24 - test.num_rows
    assert history_x.max() < truth_x.min()  # the history ends where the forecast begins
    np.testing.assert_allclose(view.series["forecast"][1][1:], truth_y[:-1], atol=1e-4)  # last value
    assert "MAE" in view.summary_label.text()
    QApplication.processEvents()
    view.grab().save(str(tmp_path / "forecast_view.png"))
