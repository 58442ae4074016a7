"""Time Series Windowing: a table of observations in time order -> forecasting examples.

Each output row is one forecast origin ``t``: the ``lags`` observations up to ``t`` (the
input window) and the ``horizon`` observations after it (the targets).  Decisions:

- Rows are windows in time order, so a time-ordered split afterwards is the
  Partitioning node with ``sampling = from_top`` (no shuffling, nothing new to learn):
  the first rows train, later ones validate and test, and every target of a test row
  lies after every target of a training row.
- ``origin`` (the last observed value of each target column) is always written: it is
  the naive "last value" forecast every model should beat, and with ``relative``
  windows it is what was subtracted, so a forecast can be turned back into levels.
- ``relative`` subtracts each window's last value from the window and the targets: a
  series with a trend (CO2, prices) then looks the same in every year, so a network
  trained on the past does not have to extrapolate to levels it never saw.
"""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import BoolParam, ColumnsParam, IntParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

from ._common import TABLE_IN, input_table, log, require_columns, require_flat, require_numeric


def windows(values, lags: int, horizon: int, stride: int):
    """``(inputs, targets, origins)`` row numbers: windows of ``values`` (rows, k) as index
    arrays, so callers gather any column the same way."""
    import numpy as np

    n = values.shape[0]
    origins = np.arange(lags - 1, n - horizon, stride)  # the last observed row of each window
    inputs = origins[:, None] + np.arange(-lags + 1, 1)[None, :]
    targets = origins[:, None] + np.arange(1, horizon + 1)[None, :]
    return inputs, targets, origins


def run_windowing(context, inputs, params):
    import numpy as np

    from nodeflow.runtime.table import Table

    table = input_table(inputs)
    columns, targets = list(params["columns"]), list(params["target_columns"])
    for param, names in (("columns", columns), ("target_columns", targets)):
        require_columns(table, names, param)
        for name in names:
            require_flat(table, name, param)
            require_numeric(table, name, param, "a window holds numbers")
    lags, horizon, stride = params["lags"], params["horizon"], params["stride"]
    n = table.num_rows
    if n < lags + horizon:
        raise NodeRunError(f"lags: expected a table of at least lags + horizon = {lags + horizon} rows "
                           f"(one window), got {n} rows")
    data = np.stack([table[c].astype(np.float64) for c in columns], axis=1)
    goal = np.stack([table[c].astype(np.float64) for c in targets], axis=1)
    if np.isnan(data).any() or np.isnan(goal).any():
        raise NodeRunError("columns: expected no missing values (NaN) in a time series; fill them first, "
                           "e.g. with the Missing Value node")
    rows_in, rows_out, rows_last = windows(data, lags, horizon, stride)
    x = data[rows_in]  # (windows, lags, k)
    y = goal[rows_out]  # (windows, horizon, targets)
    origin = goal[rows_last]  # (windows, targets)
    if params["relative"]:
        x = x - data[rows_last][:, None, :]
        y = y - origin[:, None, :]
    if len(targets) == 1:  # one series: (rows, horizon), and one number per row for one step
        y, origin = (y[:, 0, 0] if horizon == 1 else y[:, :, 0]), origin[:, 0]
    time = params["time_column"]
    out = {}
    if time:
        require_columns(table, [time], "time_column")
        require_flat(table, time, "time_column")
        out["time"] = table[time][rows_out[:, 0]]
    else:
        out["time"] = rows_out[:, 0].astype(np.int64)
    window, target = params["window_column"], params["target_column"]
    if len({"time", window, target, "origin"}) < 4:
        raise NodeRunError(f"window_column / target_column: expected names other than time and origin and "
                           f"different from each other, got {window!r} and {target!r}")
    out[window] = x.astype(np.float32)
    out[target] = y.astype(np.float32)
    out["origin"] = origin.astype(np.float32)
    log(context, f"{len(rows_last)} windows of {lags} steps x {len(columns)} columns -> {horizon} step(s) "
                 f"of {len(targets)} column(s)" + (", relative to each window's last value"
                                                   if params["relative"] else ""))
    return {"table": Table(out)}


TIME_SERIES_WINDOWING = NodeSpec(
    type_id="data.TimeSeriesWindowing",
    display_name="Time Series Windowing",
    category="Data/Time Series",
    family="data",
    description=(
        "Turns a time series (one row per time step, in time order) into forecasting examples. "
        "Each output row is one forecast origin: a window of the last lags steps of the chosen "
        "columns (an n-d column of shape (lags, columns), for Conv1D and LSTM layers) and the "
        "next horizon steps of the target columns. Windows start every stride steps. The row "
        "order is time order, so split it with Partitioning taking rows from the top. The "
        "origin column holds the last observed value of the target (the naive forecast); "
        "relative windows subtract it, so a trending series needs no extrapolation."
    ),
    inputs=(TABLE_IN,),
    outputs=(Port("table", "table",
                  "One row per window: time (of the first forecast step), the window, the target and "
                  "origin (last observed target value)."),),
    params=(
        ColumnsParam(name="columns", min_count=1,
                     help="Numeric columns the window holds, in this order along its last axis."),
        ColumnsParam(name="target_columns", min_count=1,
                     help="Numeric columns to forecast (often one of the columns). One column gives "
                          "targets of shape (horizon), a plain number per row when horizon is 1; "
                          "several give (horizon, columns)."),
        IntParam(name="lags", default=12, min=1,
                 help="Past steps in each input window (e.g. 24 for two years of months)."),
        IntParam(name="horizon", default=1, min=1,
                 help="Future steps to forecast after each window."),
        IntParam(name="stride", default=1, min=1,
                 help="Steps between the origins of consecutive windows; 1 uses every step."),
        TextParam(name="time_column", default="",
                  help="Optional column (e.g. dates) copied to the output's time column for the "
                       "first forecast step; empty numbers the steps 0, 1, 2..."),
        BoolParam(name="relative", default=False,
                  help="Subtract each window's last value from the window and the targets, so "
                       "the network learns changes, not levels; add origin back to get levels."),
        TextParam(name="window_column", group="Output", default="window", allow_empty=False,
                  help="Name of the input window column."),
        TextParam(name="target_column", group="Output", default="target", allow_empty=False,
                  help="Name of the target column."),
    ),
    keywords=("time series", "forecast", "lag", "sliding window", "sequence", "horizon", "shift"),
    run=run_windowing,
)

NODES = (TIME_SERIES_WINDOWING,)
