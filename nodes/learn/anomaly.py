"""Anomaly detection with an autoencoder: per-row reconstruction error, and a threshold on it.

An autoencoder trained only on normal rows reconstructs normal rows well and anything
unlike them badly, so its per-row reconstruction error is an anomaly score (higher:
more anomalous).  Decisions:

- The error is computed from the executor's output table (the original columns and
  the reconstruction columns beside them), not inside the executor: the executor stays
  one node that predicts, and the score is a plain column the Scorer can take for its
  ROC curve and AUC.
- The threshold is a percentile of the scores of normal rows the network did not train
  on (the "reference" input, e.g. normal validation rows), so its false-alarm rate on
  normal data is chosen directly (95th percentile: about 5% of normal rows flagged); a
  fixed value is the other choice, for a threshold found earlier.
"""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import ChoiceParam, ColumnsParam, FloatParam, TextListParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec


def _reconstruction(table, prefix: str, width: int):
    """The reconstruction as a (rows, width) matrix: column ``prefix`` (any shape) or the
    executor's ``prefix_0 .. prefix_<width-1>`` columns."""
    import numpy as np

    if prefix in table:
        values = table[prefix]
        found = values.reshape(len(values), -1)
    else:
        names = [f"{prefix}_{i}" for i in range(width)]
        missing = [n for n in names if n not in table]
        if missing:
            known = ", ".join(table.column_names) or "none"
            raise NodeRunError(f"prediction_prefix: expected a column {prefix!r} or columns {prefix}_0 .. "
                               f"{prefix}_{width - 1} (one per value of the columns), {missing[0]!r} is "
                               f"missing; the table has: {known}")
        found = np.stack([table[n] for n in names], axis=1)
    if found.dtype.kind not in "biuf":
        raise NodeRunError(f"prediction_prefix: expected numbers, the reconstruction holds {found.dtype}")
    if found.shape[1] != width:
        raise NodeRunError(f"prediction_prefix: expected {width} reconstructed values per row (as the columns "
                           f"hold), got {found.shape[1]}")
    return found.astype(np.float64)


def reconstruction_error(context, inputs, params):
    import numpy as np

    from nodeflow.runtime.table import Table
    from nodes.data._common import input_table, log
    from nodes.learn.arrays import feature_matrix

    table = input_table(inputs)
    original = feature_matrix(table, list(params["columns"]), "columns").reshape(table.num_rows, -1)
    rebuilt = _reconstruction(table, params["prediction_prefix"], original.shape[1])
    name = params["output_column"]
    if name in table:
        raise NodeRunError(f"output_column: the table already has a column {name!r}; choose another name")
    diff = rebuilt - original.astype(np.float64)
    error = np.mean(diff ** 2, axis=1) if params["error"] == "mse" else np.mean(np.abs(diff), axis=1)
    log(context, f"{params['error']} per row over {original.shape[1]} values: median {np.median(error):.4g}, "
                 f"max {np.max(error):.4g}" if len(error) else "no rows")
    return {"table": Table({**table, name: error}, table.augmentations)}


RECONSTRUCTION_ERROR = NodeSpec(
    type_id="learn.ReconstructionError",
    display_name="Reconstruction Error",
    category="Learning/Anomaly Detection",
    family="learn",
    description=(
        "Appends each row's reconstruction error: the mean squared (or absolute) difference between "
        "the original columns and an autoencoder's reconstruction of them, as the Keras Network "
        "Executor appends it. Trained on normal rows only, an autoencoder reconstructs unusual rows "
        "badly, so the error is an anomaly score: higher means less like the training data."
    ),
    inputs=(Port("table", "table", "The executor's output: the original columns and the reconstruction."),),
    outputs=(Port("table", "table", "The input table with the error column appended."),),
    params=(
        ColumnsParam(name="columns", min_count=1,
                     help="The original numeric columns the network reconstructs, in the order of its "
                          "inputs (the executor's feature columns)."),
        TextParam(name="prediction_prefix", default="prediction", allow_empty=False,
                  help="The executor's prediction prefix: columns prefix_0, prefix_1... (one per value), "
                       "or one column of that name for image-shaped reconstructions."),
        ChoiceParam(name="error", default="mse", options=("mse", "mae"),
                    help="mse: mean of the squared differences per row; mae: mean of the absolute ones."),
        TextParam(name="output_column", group="Output", default="reconstruction_error", allow_empty=False,
                  help="Name of the appended error column."),
    ),
    keywords=("anomaly", "outlier", "fraud", "autoencoder", "reconstruction", "novelty", "score"),
    run=reconstruction_error,
)


def _scores(table, name: str, port: str):
    import numpy as np

    if name not in table:
        known = ", ".join(table.column_names) or "none"
        raise NodeRunError(f"score_column: no column {name!r} in the {port} table; it has: {known}")
    values = table[name]
    if values.ndim != 1 or values.dtype.kind not in "biuf":
        raise NodeRunError(f"score_column: expected one number per row, column {name!r} holds "
                           f"{values.dtype} of shape {values.shape[1:]}")
    return values.astype(np.float64)


def anomaly_threshold(context, inputs, params):
    import numpy as np

    from nodes.data._common import input_table, log

    from nodeflow.runtime.table import Table

    table = input_table(inputs)
    scores = _scores(table, params["score_column"], "table")
    labels = list(params["labels"])
    if labels and len(labels) != 2:
        raise NodeRunError(f"labels: expected none or two labels (normal, then anomaly), got {len(labels)}")
    if params["method"] == "percentile":
        if inputs.get("reference") is None:
            raise NodeRunError("reference: expected a table of normal rows' scores to take the percentile of "
                               "(method is percentile); connect one, or choose method fixed")
        reference = _scores(input_table(inputs, "reference"), params["score_column"], "reference")
        reference = reference[~np.isnan(reference)]
        if reference.size == 0:
            raise NodeRunError("reference: expected rows with scores, got none")
        threshold = float(np.percentile(reference, params["percentile"]))
        how = f"the {params['percentile']:g}th percentile of {reference.size} reference rows"
    else:
        threshold, how = float(params["value"]), "fixed"
    flagged = scores > threshold
    name = params["output_column"]
    if name in table:
        raise NodeRunError(f"output_column: the table already has a column {name!r}; choose another name")
    column = np.where(flagged, labels[1], labels[0]) if labels else flagged.astype(np.int64)
    log(context, f"threshold {threshold:.6g} ({how}): {int(flagged.sum())} of {len(scores)} rows are anomalies")
    return {"table": Table({**table, name: column}, table.augmentations),
            "threshold": Table({"threshold": np.asarray([threshold])})}


ANOMALY_THRESHOLD = NodeSpec(
    type_id="learn.AnomalyThreshold",
    display_name="Anomaly Threshold",
    category="Learning/Anomaly Detection",
    family="learn",
    description=(
        "Labels rows as anomalies when their score (e.g. the reconstruction error) is above a "
        "threshold: a percentile of the scores of normal reference rows the model did not train on "
        "(the 95th flags about 5% of normal rows), or a fixed value. The label column holds 1 for "
        "an anomaly and 0 otherwise, or two given labels, ready for the Scorer."
    ),
    inputs=(
        Port("table", "table", "The rows to label; it must hold the score column."),
        Port("reference", "table", "Normal rows with their scores (percentile method), e.g. validation rows.",
             optional=True),
    ),
    outputs=(
        Port("table", "table", "The input table with the label column appended."),
        Port("threshold", "table", "One row: the threshold used."),
    ),
    params=(
        TextParam(name="score_column", default="reconstruction_error", allow_empty=False,
                  help="The anomaly score column: higher means more anomalous."),
        ChoiceParam(name="method", default="percentile", options=("percentile", "fixed"),
                    help="percentile: a percentile of the reference rows' scores; fixed: the value below."),
        FloatParam(name="percentile", default=95.0, min=0.0, max=100.0,
                   help="Which percentile of the reference scores is the threshold (method percentile): "
                        "about 100 - percentile % of normal rows will be flagged."),
        FloatParam(name="value", default=0.0,
                   help="The threshold itself (method fixed): scores above it are anomalies."),
        TextParam(name="output_column", group="Output", default="anomaly", allow_empty=False,
                  help="Name of the appended label column."),
        TextListParam(name="labels", group="Output", default=[], max_count=2,
                      help="Optional two labels, normal then anomaly (e.g. benign, malignant), written "
                           "instead of 0 and 1 so the column compares with a text truth column."),
    ),
    keywords=("anomaly", "outlier", "fraud", "threshold", "percentile", "novelty", "cut-off"),
    run=anomaly_threshold,
)

NODES = (RECONSTRUCTION_ERROR, ANOMALY_THRESHOLD)
