"""Scorer: compare a column of true values with a column of predictions.

Metrics are computed with NumPy (no scikit-learn dependency) and agree with
``sklearn.metrics`` (``zero_division=0``; R2 as ``r2_score`` with ``force_finite``).

Outputs:

- ``metrics``: columns ``metric`` (text), ``class`` (text; empty for whole-table
  metrics) and ``value`` (float64).  Classification rows: ``accuracy``,
  ``macro_precision``, ``macro_recall``, ``macro_f1`` (unweighted means over every
  class seen in either column, as scikit-learn's ``average="macro"``), ``rows``, then
  for each class ``precision``, ``recall``, ``f1`` and ``support`` (true rows of that
  class).  Regression rows: ``mse``, ``rmse``, ``mae``, ``r2``, ``rows``.
- ``confusion_matrix``: first column named after the truth column, holding the true
  classes; then one int64 column per predicted class, named by the class's text.
  Classes are sorted (numerically for numbers).  Empty (no columns, no rows) in
  regression mode.
- ``roc`` (when ``score_column`` names a column of scores, e.g. a probability or an
  anomaly score: higher means more likely ``positive_class``): the ROC curve, columns
  ``threshold`` (descending, the first one +inf), ``fpr`` and ``tpr``, one row per
  distinct score, as ``sklearn.metrics.roc_curve(drop_intermediate=False)``; the
  metrics then also hold ``auc``, the area under it (``roc_auc_score``).  Empty
  otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import ChoiceParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

if TYPE_CHECKING:  # NumPy is imported where a node runs, not when the catalogue loads
    import numpy as np


def _column(table, param: str, name: str) -> np.ndarray:
    """One column of either kind of table; of a file-backed table only this column is read,
    after its type is checked."""
    from nodes.data._common import column_values

    if name not in table:
        known = ", ".join(table.column_names) or "none"
        raise NodeRunError(f"{param}: no column {name!r}; the table has: {known}")
    shape = table.column_info(name)[1]
    if shape:
        raise NodeRunError(
            f"{param}: expected a column with one value per row, column {name!r} holds arrays of "
            f"shape {tuple(shape)}"
        )
    return column_values(table, name)


def _kind(arr: np.ndarray) -> str:
    k = arr.dtype.kind
    if k in "USO":
        return "text"
    if k == "f":
        return "float"
    if k in "iub":
        return "integer"
    return k


def classification_metrics(truth: np.ndarray, pred: np.ndarray):
    """``(classes, confusion matrix, metric rows)`` for two equally long 1-d arrays."""
    import numpy as np
    classes, codes = np.unique(np.concatenate([truth, pred]), return_inverse=True)
    n = truth.shape[0]
    k = classes.shape[0]
    t, p = codes[:n], codes[n:]
    matrix = np.bincount(t * k + p, minlength=k * k).reshape(k, k).astype(np.int64)
    tp = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0).astype(np.float64)
    support = matrix.sum(axis=1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        denom = precision + recall
        f1 = np.where(denom > 0, 2 * precision * recall / denom, 0.0)
    rows = [
        ("accuracy", "", float(tp.sum() / n)),
        ("macro_precision", "", float(precision.mean())),
        ("macro_recall", "", float(recall.mean())),
        ("macro_f1", "", float(f1.mean())),
        ("rows", "", float(n)),
    ]
    for i, cls in enumerate(classes):
        label = str(cls)
        rows += [("precision", label, float(precision[i])), ("recall", label, float(recall[i])),
                 ("f1", label, float(f1[i])), ("support", label, float(support[i]))]
    return classes, matrix, rows


def regression_metrics(truth: np.ndarray, pred: np.ndarray):
    import numpy as np
    err = pred - truth
    mse = float(np.mean(err ** 2))
    ss_res = float(np.sum(err ** 2))
    ss_tot = float(np.sum((truth - truth.mean()) ** 2))
    if ss_tot > 0:
        r2 = 1.0 - ss_res / ss_tot
    else:  # constant truth: as scikit-learn's force_finite
        r2 = 1.0 if ss_res == 0 else 0.0
    return [
        ("mse", "", mse),
        ("rmse", "", float(np.sqrt(mse))),
        ("mae", "", float(np.mean(np.abs(err)))),
        ("r2", "", float(r2)),
        ("rows", "", float(truth.shape[0])),
    ]


def roc_curve(positive: np.ndarray, scores: np.ndarray):
    """``(thresholds, fpr, tpr, auc)`` for boolean ``positive`` and float ``scores``.

    One point per distinct score (tied rows move together, so ties count half as in the
    Mann-Whitney statistic); the area is the trapezoid rule over the points."""
    import numpy as np
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], positive[order]
    last = np.concatenate([np.nonzero(np.diff(ranked))[0], [len(ranked) - 1]])  # end of each tie group
    tps = np.cumsum(hits)[last].astype(np.float64)
    fps = (last + 1) - tps
    tpr = np.concatenate([[0.0], tps / tps[-1]])
    fpr = np.concatenate([[0.0], fps / fps[-1]])
    thresholds = np.concatenate([[np.inf], ranked[last]])
    return thresholds, fpr, tpr, float(np.trapezoid(tpr, fpr))


def _roc(context, table, truth: np.ndarray, params):
    """The ROC table and AUC of ``score_column`` against the positive class of ``truth``."""
    import numpy as np
    from nodeflow.runtime.table import Table

    scores = _column(table, "score_column", params["score_column"])
    if _kind(scores) not in ("float", "integer"):
        raise NodeRunError(f"score_column: expected numbers (higher: more likely the positive class), "
                           f"column {params['score_column']!r} holds {scores.dtype}")
    scores = scores.astype(np.float64)
    labels = truth.astype(str)
    classes = np.unique(labels)
    positive = params["positive_class"]
    if not positive:
        if len(classes) != 2:
            raise NodeRunError(f"positive_class: expected the class the scores point to, got none; the truth "
                               f"has {len(classes)} classes ({', '.join(classes[:10])})")
        positive = classes[-1]
    elif positive not in classes:
        raise NodeRunError(f"positive_class: expected one of the truth column's classes "
                           f"({', '.join(classes[:10])}), got {positive!r}")
    keep = ~np.isnan(scores)
    if (~keep).any() and context is not None:
        context.warn(f"score_column: {int((~keep).sum())} rows without a score (NaN) were left out of the ROC")
    hits = labels[keep] == positive
    if hits.all() or not hits.any():
        raise NodeRunError(f"truth_column: a ROC curve needs rows of class {positive!r} and of other classes "
                           f"among the scored rows")
    thresholds, fpr, tpr, auc = roc_curve(hits, scores[keep])
    if context is not None:
        context.log(f"AUC {auc:.4f} ({params['score_column']} for class {positive})")
    return Table({"threshold": thresholds, "fpr": fpr, "tpr": tpr}), auc


def _metrics_table(rows):
    import numpy as np
    from nodeflow.runtime.table import Table

    return Table({
        "metric": np.asarray([r[0] for r in rows], dtype=str),
        "class": np.asarray([r[1] for r in rows], dtype=str),
        "value": np.asarray([r[2] for r in rows], dtype=np.float64),
    })


def _comparable(truth: np.ndarray, pred: np.ndarray, params) -> tuple[np.ndarray, np.ndarray]:
    """Both columns as one kind of value (text with text, numbers with numbers)."""
    import numpy as np
    tk, pk = _kind(truth), _kind(pred)
    if (tk == "text") != (pk == "text"):
        words = {"text": "text", "integer": "integers", "float": "numbers"}
        raise NodeRunError(
            f"prediction_column: expected the same kind of values as truth column "
            f"{params['truth_column']!r} ({words.get(tk, tk)}), column {params['prediction_column']!r} "
            f"holds {words.get(pk, pk)}; give the executor class_labels to predict text classes"
        )
    if tk == "text":
        return truth.astype(str), pred.astype(str)
    if truth.dtype.kind == "b" and pred.dtype.kind == "b":
        return truth, pred
    common = np.result_type(truth.dtype, pred.dtype, np.int64)
    return truth.astype(common), pred.astype(common)


def score(context, inputs, params):
    import numpy as np
    from nodeflow.runtime.table import Table

    from nodes.data._common import any_table

    table = any_table(inputs)
    truth = _column(table, "truth_column", params["truth_column"])
    pred = _column(table, "prediction_column", params["prediction_column"])
    if table.num_rows == 0:
        raise NodeRunError("table: expected rows to score, got an empty table")
    mode = params["mode"]
    if mode == "auto":
        mode = "regression" if "float" in (_kind(truth), _kind(pred)) else "classification"

    if mode == "regression":
        for param, arr in (("truth_column", truth), ("prediction_column", pred)):
            if _kind(arr) not in ("float", "integer"):
                raise NodeRunError(
                    f"{param}: regression needs numbers, column {params[param]!r} holds {arr.dtype}"
                )
        truth, pred = truth.astype(np.float64), pred.astype(np.float64)
        keep = ~(np.isnan(truth) | np.isnan(pred))
        skipped = int((~keep).sum())
        if not keep.any():
            raise NodeRunError("truth_column: every row has a missing value (NaN) in one of the two columns")
        if skipped and context is not None:
            context.warn(f"{skipped} rows with a missing value (NaN) were left out of the metrics")
        rows = regression_metrics(truth[keep], pred[keep])
        if context is not None:
            values = {name: value for name, _, value in rows}
            context.log(f"RMSE {values['rmse']:.6g}, MAE {values['mae']:.6g}, R2 {values['r2']:.4f} "
                        f"on {int(keep.sum())} rows")
        if params["score_column"]:
            raise NodeRunError("score_column: a ROC curve compares classes; set mode to classification "
                               "or leave score_column empty")
        return {"metrics": _metrics_table(rows), "confusion_matrix": Table({}), "roc": Table({})}

    truth, pred = _comparable(truth, pred, params)
    classes, matrix, rows = classification_metrics(truth, pred)
    roc = Table({})
    if params["score_column"]:
        roc, auc = _roc(context, table, truth, params)
        rows.insert(5, ("auc", "", auc))  # after the whole-table metrics, before the per-class rows
    first = params["truth_column"]
    names = [str(c) for c in classes]
    if first in names:
        first = f"{first} (true)"
    columns = {first: classes}
    for i, name in enumerate(names):
        columns[name] = matrix[:, i]
    if context is not None:
        correct = int(np.trace(matrix))
        context.log(f"accuracy {rows[0][2]:.4f} ({correct} of {truth.shape[0]} rows), "
                    f"macro F1 {rows[3][2]:.4f}, {len(classes)} classes")
    return {"metrics": _metrics_table(rows), "confusion_matrix": Table(columns), "roc": roc}


SCORER = NodeSpec(
    type_id="learn.Scorer",
    display_name="Scorer",
    category="Learning",
    family="learn",
    description=(
        "Compares a column of true values with a column of predictions, as produced by the Keras "
        "Network Executor. For classes it reports accuracy, macro-averaged precision, recall and F1, "
        "per-class precision, recall, F1 and support, and a confusion matrix; for numbers it reports "
        "mean squared error, its root, mean absolute error and R2. Given a column of scores "
        "(a probability, an anomaly score) it also draws the ROC curve and reports its AUC. Of a "
        "table backed by files only the compared columns are read."
    ),
    inputs=(Port("table", "table", "A table holding both the true and the predicted column."),),
    outputs=(
        Port("metrics", "table",
             "One row per metric: columns metric, class (empty for whole-table metrics) and value.",
             view="metrics"),
        Port("confusion_matrix", "table",
             "Counts of rows per true class (rows) and predicted class (columns); empty for "
             "regression.", view="confusion_matrix"),
        Port("roc", "table",
             "The ROC curve of the score column (threshold, fpr, tpr); empty without a score column.",
             view="roc"),
    ),
    params=(
        TextParam(name="truth_column", allow_empty=False,
                  help="The column holding the true class or value of each row."),
        TextParam(name="prediction_column", default="prediction_class", allow_empty=False,
                  help="The column holding the predicted class or value, e.g. the executor's "
                       "prediction_class column."),
        ChoiceParam(name="mode", default="auto", options=("auto", "classification", "regression"),
                    help="classification compares classes, regression compares numbers; auto picks "
                         "regression when either column holds floating-point numbers and "
                         "classification for integer, text or true/false columns."),
        TextParam(name="score_column", group="ROC", default="",
                  help="Optional column of scores (a class probability, an anomaly score: higher means "
                       "more likely the positive class): adds the ROC curve and its AUC."),
        TextParam(name="positive_class", group="ROC", default="",
                  help="The truth class the scores point to; empty takes the last of two sorted classes "
                       "(1 of 0/1, malignant of benign/malignant)."),
    ),
    keywords=("accuracy", "confusion matrix", "precision", "recall", "f1", "mse", "r2", "evaluate", "roc",
              "auc"),
    run=score,
)

NODES = (SCORER,)
