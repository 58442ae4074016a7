"""Time Series Windowing and Forecast Evaluator: windows, targets, levels and naive scores."""

import numpy as np
import pytest

from nodeflow.core.errors import NodeRunError
from nodeflow.runtime.table import Table
from nodes.data.timeseries import TIME_SERIES_WINDOWING
from nodes.learn.forecast import FORECAST_EVALUATOR


def window(ctx, table, **params):
    spec = TIME_SERIES_WINDOWING
    return spec.run(ctx, {"table": table}, spec.resolve(params))["table"]


def evaluate(ctx, table, history=None, **params):
    spec = FORECAST_EVALUATOR
    return spec.run(ctx, {"table": table, "history": history}, spec.resolve(params))


SERIES = Table({"day": np.arange(100, 110), "x": np.arange(10.0), "y": np.arange(10.0) * 10})


def test_windows_hold_the_lags_before_and_the_horizon_after_each_origin(ctx):
    out = window(ctx, SERIES, columns=["x", "y"], target_columns=["x"], lags=3, horizon=2, stride=2,
                 time_column="day")
    assert out.column_names == ["time", "window", "target", "origin"]
    assert out["window"].shape == (3, 3, 2) and out["window"].dtype == np.float32
    np.testing.assert_array_equal(out["window"][:, :, 0], [[0, 1, 2], [2, 3, 4], [4, 5, 6]])
    np.testing.assert_array_equal(out["window"][1, :, 1], [20, 30, 40])
    np.testing.assert_array_equal(out["target"], [[3, 4], [5, 6], [7, 8]])
    np.testing.assert_array_equal(out["origin"], [2, 4, 6])
    np.testing.assert_array_equal(out["time"], [103, 105, 107])  # the first forecast step's time


def test_one_step_of_one_series_is_a_plain_column_and_the_last_window_ends_the_series(ctx):
    out = window(ctx, SERIES, columns=["x"], target_columns=["x"], lags=4)
    assert out["target"].shape == (6,) and out["target"][-1] == 9.0
    np.testing.assert_array_equal(out["time"], np.arange(4, 10))  # step numbers without a time column


def test_relative_windows_are_changes_from_the_last_value(ctx):
    out = window(ctx, SERIES, columns=["y"], target_columns=["y"], lags=3, horizon=2, relative=True)
    np.testing.assert_array_equal(out["window"][0, :, 0], [-20, -10, 0])
    np.testing.assert_array_equal(out["target"][0], [10, 20])
    np.testing.assert_array_equal(out["origin"][:2], [20, 30])  # still in levels: the naive forecast


def test_several_targets_keep_a_column_axis(ctx):
    out = window(ctx, SERIES, columns=["x"], target_columns=["x", "y"], lags=2, horizon=3)
    assert out["target"].shape == (6, 3, 2) and out["origin"].shape == (6, 2)
    np.testing.assert_array_equal(out["target"][0], [[2, 20], [3, 30], [4, 40]])


@pytest.mark.parametrize("table, params, message", [
    (SERIES, {"lags": 9, "horizon": 2}, "lags: expected a table of at least lags + horizon = 11 rows"),
    (Table({"x": np.array([1.0, np.nan, 3.0, 4.0])}), {"lags": 1}, "columns: expected no missing values"),
    (Table({"x": np.array(["a", "b", "c"])}), {"lags": 1}, "columns: expected numeric columns"),
])
def test_errors_name_the_parameter(ctx, table, params, message):
    with pytest.raises(NodeRunError, match=message.replace("(", r"\(").replace("+", r"\+")):
        window(ctx, table, columns=["x"], target_columns=["x"], **params)


def predicted(ctx, relative, **extra):
    windows = window(ctx, SERIES, columns=["y"], target_columns=["y"], lags=3, relative=relative)
    return Table({**windows, "prediction": windows["target"] + 1.0, **extra})  # off by 1 on every row


@pytest.mark.parametrize("relative", [False, True])
def test_forecast_levels_and_errors_against_the_naive_forecast(ctx, relative):
    out = evaluate(ctx, predicted(ctx, relative), relative=relative)
    forecast = out["forecast"]
    np.testing.assert_allclose(forecast["truth"], np.arange(3, 10) * 10.0)  # levels whatever the windows
    np.testing.assert_allclose(forecast["forecast"], np.arange(3, 10) * 10.0 + 1)
    np.testing.assert_allclose(forecast["naive"], np.arange(2, 9) * 10.0)
    metrics = dict(zip(out["metrics"]["metric"], out["metrics"]["value"]))
    assert metrics["mae"] == pytest.approx(1.0) and metrics["naive_mae"] == pytest.approx(10.0)
    assert metrics["mae_skill"] == pytest.approx(0.9) and metrics["rows"] == 7
    assert out["history"].num_rows == 0


def test_several_steps_come_from_the_prefixed_prediction_columns_and_history_stops_before(ctx):
    windows = window(ctx, SERIES, columns=["x"], target_columns=["x"], lags=2, horizon=2)
    test = Table({k: v[3:] for k, v in windows.items()} | {"prediction_0": windows["target"][3:, 0],
                                                          "prediction_1": windows["target"][3:, 1]})
    out = evaluate(ctx, test, history=windows)
    assert out["forecast"]["forecast"].shape == (4, 2)
    assert dict(zip(out["metrics"]["metric"], out["metrics"]["value"]))["mae"] == 0.0
    np.testing.assert_array_equal(out["history"]["time"], [2, 3, 4])
    np.testing.assert_array_equal(out["history"]["truth"], [2, 3, 4])


def test_a_forecast_of_another_length_is_refused(ctx):
    windows = window(ctx, SERIES, columns=["x"], target_columns=["x"], lags=2, horizon=2)
    with pytest.raises(NodeRunError, match="prediction_column: expected 2 forecast steps per row"):
        evaluate(ctx, Table({**windows, "prediction": windows["origin"]}))
    with pytest.raises(NodeRunError, match="prediction_column: no column 'guess' nor guess_0"):
        evaluate(ctx, windows, prediction_column="guess")
