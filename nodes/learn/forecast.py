"""Forecast Evaluator: a forecaster's predictions as levels over time, scored against the
naive forecast.

It reads the table the Keras Network Executor wrote for windows from Time Series
Windowing (columns ``time``, the target, ``origin`` and the predictions) and gives:

- ``forecast``: per forecast origin, ``time``, ``truth``, ``forecast`` and ``naive``
  (the last observed value, carried ``horizon`` steps), all in the series' own units
  (relative windows get their origin added back); shown by the forecast view;
- ``history``: ``time`` and ``truth`` of the optional history input's rows before the
  first forecast (connect the whole windowed series, or the training rows), drawn
  before the forecast in the same view; empty when not connected;
- ``metrics``: the Scorer's metric / class / value rows: ``mae``, ``rmse``, the naive
  forecast's ``naive_mae`` and ``naive_rmse``, ``mae_skill`` = 1 - mae / naive_mae
  (above 0: better than the naive forecast), and ``rows``.
"""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import BoolParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec


def _values(table, name: str, param: str, port: str):
    import numpy as np

    if name not in table:
        known = ", ".join(table.column_names) or "none"
        raise NodeRunError(f"{param}: no column {name!r} in the {port} table; it has: {known}")
    values = table[name]
    if values.dtype.kind not in "biuf":
        raise NodeRunError(f"{param}: expected numbers, column {name!r} holds {values.dtype}")
    if values.ndim > 2:
        raise NodeRunError(f"{param}: expected one forecast series (a column of shape (rows) or (rows, "
                           f"horizon)), column {name!r} holds {values.shape[1:]} per row; window one "
                           f"target column")
    return values.astype(np.float64).reshape(len(values), -1)


def _predictions(table, prefix: str):
    """The prediction column ``prefix``, or the executor's ``prefix_0 .. prefix_<h-1>`` columns."""
    import numpy as np

    if prefix in table:
        return _values(table, prefix, "prediction_column", "table")
    steps = []
    while f"{prefix}_{len(steps)}" in table:
        steps.append(_values(table, f"{prefix}_{len(steps)}", "prediction_column", "table"))
    if not steps:
        known = ", ".join(table.column_names) or "none"
        raise NodeRunError(f"prediction_column: no column {prefix!r} nor {prefix}_0, {prefix}_1...; "
                           f"the table has: {known}")
    return np.concatenate(steps, axis=1)


def _levels(table, params, port: str):
    """``(time, truth, origin)`` of a windowed table, truth in levels, shape (rows, horizon)."""
    time_name = params["time_column"]
    if time_name not in table:
        known = ", ".join(table.column_names) or "none"
        raise NodeRunError(f"time_column: no column {time_name!r} in the {port} table; it has: {known}")
    truth = _values(table, params["target_column"], "target_column", port)
    origin = _values(table, params["origin_column"], "origin_column", port)
    if origin.shape[1] != 1:
        raise NodeRunError(f"origin_column: expected one value per row, got {origin.shape[1]}")
    if params["relative"]:
        truth = truth + origin
    return table[time_name], truth, origin


def _flat(values):
    return values[:, 0] if values.shape[1] == 1 else values


def evaluate(context, inputs, params):
    import numpy as np

    from nodes.data._common import input_table, log
    from nodes.learn.scorer import _metrics_table

    from nodeflow.runtime.table import Table

    table = input_table(inputs)
    if table.num_rows == 0:
        raise NodeRunError("table: expected rows to evaluate, got an empty table")
    time, truth, origin = _levels(table, params, "table")
    forecast = _predictions(table, params["prediction_column"])
    if forecast.shape[1] != truth.shape[1]:
        raise NodeRunError(f"prediction_column: expected {truth.shape[1]} forecast steps per row (as the "
                           f"target has), got {forecast.shape[1]}")
    if params["relative"]:
        forecast = forecast + origin
    naive = np.repeat(origin, truth.shape[1], axis=1)
    mae, naive_mae = float(np.mean(np.abs(forecast - truth))), float(np.mean(np.abs(naive - truth)))
    rows = [
        ("mae", "", mae),
        ("rmse", "", float(np.sqrt(np.mean((forecast - truth) ** 2)))),
        ("naive_mae", "", naive_mae),
        ("naive_rmse", "", float(np.sqrt(np.mean((naive - truth) ** 2)))),
        ("mae_skill", "", 1.0 - mae / naive_mae if naive_mae > 0 else 0.0),
        ("rows", "", float(len(truth))),
    ]
    log(context, f"MAE {mae:.6g} vs {naive_mae:.6g} of the naive (last value) forecast on {len(truth)} rows")
    history = Table({})
    if inputs.get("history") is not None:
        past = input_table(inputs, "history")
        past_time, past_truth, _ = _levels(past, params, "history")
        before = past_time < np.min(time)  # what was known before the first forecast
        history = Table({"time": past_time[before], "truth": past_truth[before, 0]})
    forecast_table = Table({"time": time, "truth": _flat(truth), "forecast": _flat(forecast),
                            "naive": _flat(naive)})
    return {"forecast": forecast_table, "history": history, "metrics": _metrics_table(rows)}


FORECAST_EVALUATOR = NodeSpec(
    type_id="learn.ForecastEvaluator",
    display_name="Forecast Evaluator",
    category="Learning",
    family="learn",
    description=(
        "Turns a forecaster's predictions on windows from Time Series Windowing back into the "
        "series' own units and scores them: mean absolute and root mean squared error of the "
        "forecast and of the naive forecast (the last observed value), and the skill 1 - MAE / "
        "naive MAE (above 0 beats the naive forecast). Its forecast output opens as a plot of "
        "history, truth and forecast over time."
    ),
    inputs=(
        Port("table", "table", "The executor's output: windows with time, target, origin and predictions."),
        Port("history", "table", "Optional windows of the series (e.g. all of them): the rows before the "
                                 "first forecast are drawn as its history.", optional=True),
    ),
    outputs=(
        Port("forecast", "table", "Per row: time, truth, forecast and naive forecast, in the series' units.",
             view="forecast"),
        Port("history", "table", "time and truth of the history input (empty when it is not connected)."),
        Port("metrics", "table", "mae, rmse, naive_mae, naive_rmse, mae_skill and rows.", view="metrics"),
    ),
    params=(
        TextParam(name="target_column", default="target", allow_empty=False,
                  help="The windowed target column (Time Series Windowing's target_column)."),
        TextParam(name="prediction_column", default="prediction", allow_empty=False,
                  help="The executor's prediction column, or the prefix of its prediction_0, "
                       "prediction_1... columns for several forecast steps."),
        TextParam(name="origin_column", default="origin", allow_empty=False,
                  help="The last observed value of each window (Time Series Windowing writes origin)."),
        TextParam(name="time_column", default="time", allow_empty=False,
                  help="The time of each row's first forecast step."),
        BoolParam(name="relative", default=False,
                  help="Set as in Time Series Windowing: the target and predictions are changes "
                       "from origin, which is added back."),
    ),
    keywords=("forecast", "time series", "naive", "mae", "evaluate", "horizon", "baseline"),
    run=evaluate,
)

NODES = (FORECAST_EVALUATOR,)
