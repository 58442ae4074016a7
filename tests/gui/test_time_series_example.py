"""The time-series forecasting example in the editor, and the forecast port view."""

import numpy as np
from PySide6.QtWidgets import QApplication

from nodeflow.core import validate
from tests.gui.examples import assert_every_node_configured, open_example, run_and_open_port_view

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
    workflow = open_example(window, "time_series_forecasting")
    assert "forecast" in workflow.nodes and validate(workflow) == []
    assert len(workflow.backdrops) >= 3
    assert_every_node_configured(window, qtbot)


def test_double_clicking_the_forecast_port_plots_history_truth_and_forecast(window, qtbot, tmp_path):
    from nodeflow.gui.port_views import ForecastView

    result, view = run_and_open_port_view(window, qtbot, tmp_path / "naive.nflow", NAIVE_FORECAST,
                                          "forecast", "forecast")
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
