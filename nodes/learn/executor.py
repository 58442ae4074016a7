"""Keras Network Executor: append a model's predictions to a table.

How the table's columns reach the model (the same rules a learner can reuse through
:func:`model_inputs`):

- the ``feature_columns`` are consumed in order by the model's inputs, in the order
  of ``model.inputs``;
- an input of rank 1 (shape ``(None, k)``) takes numeric columns one after another
  until it has ``k`` values per row: scalar columns, and vector columns of shape
  ``(rows, m)``, are concatenated into one ``(rows, k)`` float32 matrix;
- any other input (images, sequences, a scalar ``(None,)`` input, text) takes exactly
  one column, fed as it is;
- the result must match the input's shape without the batch axis, else a
  :class:`NodeRunError` says what the model expects and what the columns give.

How the outputs come back (``output_mode``):

- ``values`` (regression, autoencoders): one value per row -> column ``<prefix>``;
  ``k`` values per row -> columns ``<prefix>_0 .. <prefix>_<k-1>``; larger outputs
  (images...) -> one n-d column ``<prefix>``;
- ``probabilities``: ``k > 1`` classes -> ``k`` columns ``<prefix>_p0 ..`` plus
  ``<prefix>_class`` (the argmax, or its entry of ``class_labels``); one sigmoid unit
  -> ``<prefix>_p1`` (probability of class 1) plus ``<prefix>_class`` (1 when the
  probability is above ``threshold``, else 0, or the two ``class_labels``);
  ``k > 1`` sigmoid units (multi-label, recognised in ``auto`` mode only) -> the ``k``
  probability columns plus an n-d ``(rows, k)`` 0/1 column ``<prefix>_class``;
  outputs with more than one axis per row (segmentation maps) -> n-d columns
  ``<prefix>_p`` and ``<prefix>_class`` (argmax over the last axis);
- ``logits``: as ``probabilities`` after a softmax (``k > 1``) or a sigmoid (one unit);
- ``auto``: ``probabilities`` when the layer producing the output ends in a softmax or
  sigmoid activation (a ``Dense(..., activation="softmax")``, an ``Activation`` or a
  ``Softmax`` layer), ``values`` otherwise.

A model with several outputs gets one group of columns per output, prefixed
``<prefix>_<output name>``.  Rows whose probabilities are not numbers (NaN features)
get class -1 (or an empty label).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import ChoiceParam, ColumnsParam, FloatParam, IntParam, TextListParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

from .arrays import model_inputs

if TYPE_CHECKING:  # NumPy is imported where a node runs, not when the catalogue loads
    import numpy as np

OUTPUT_MODES = ("auto", "probabilities", "logits", "values")


# -- outputs -------------------------------------------------------------------------
def _final_activation(op, tensor_index: int = 0) -> str | None:
    """"softmax" / "sigmoid" when the layer (or nested model) ``op`` ends in one."""
    outputs = None
    if hasattr(op, "layers") and hasattr(op, "predict"):  # a nested model
        try:
            outputs = op.outputs
        except (AttributeError, ValueError):
            outputs = None
        if outputs:
            history = getattr(outputs[tensor_index], "_keras_history", None)
            return _final_activation(history.operation, history.tensor_index) if history else None
        return _final_activation(op.layers[-1]) if op.layers else None
    if type(op).__name__ == "Softmax":
        return "softmax"
    name = getattr(getattr(op, "activation", None), "__name__", "")
    return name if name in ("softmax", "sigmoid") else None


def _output_activations(model, count: int) -> list[str | None]:
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        outputs = None
    if outputs and len(outputs) == count:
        found = []
        for tensor in outputs:
            history = getattr(tensor, "_keras_history", None)
            found.append(_final_activation(history.operation, history.tensor_index) if history else None)
        return found
    if count == 1 and getattr(model, "layers", None):
        return [_final_activation(model.layers[-1])]
    return [None] * count


def _output_names(model, result, count: int) -> list[str]:
    if isinstance(result, dict):
        return sorted(str(k) for k in result)
    names = getattr(model, "output_names", None)
    if names and len(names) == count:
        return [str(n) for n in names]
    return [f"output_{i}" for i in range(count)]


def _softmax(x: np.ndarray) -> np.ndarray:
    import numpy as np
    x = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    import numpy as np
    return 1.0 / (1.0 + np.exp(-x))


def _labelled(classes: np.ndarray, invalid: np.ndarray, labels: list[str]) -> np.ndarray:
    """Class indices -> labels (or int64 indices), with -1 / "" where ``invalid``."""
    import numpy as np
    if labels:
        out = np.asarray(labels, dtype=str)[np.where(invalid, 0, classes)]
        return np.where(invalid, "", out)
    return np.where(invalid, -1, classes).astype(np.int64)


def _check_labels(labels: list[str], count: int, what: str) -> None:
    if labels and len(labels) != count:
        raise NodeRunError(
            f"class_labels: the model's output has {what}, so expected {count} labels, "
            f"got {len(labels)} ({', '.join(labels)})"
        )


def prediction_columns(values: np.ndarray, prefix: str, kind: str, params: dict) -> dict[str, np.ndarray]:
    """The columns for one model output; ``kind`` is values / softmax / sigmoid / multilabel
    (after logits were turned into probabilities)."""
    import numpy as np
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    rows = values.shape[0]
    labels = list(params["class_labels"] or [])
    threshold = params["threshold"]
    if kind == "values":
        if values.ndim == 2 and values.shape[1] == 1:
            return {prefix: values[:, 0]}
        if values.ndim == 2:
            return {f"{prefix}_{i}": values[:, i] for i in range(values.shape[1])}
        return {prefix: values}
    nan = np.isnan(values) if values.dtype.kind == "f" else np.zeros(values.shape, bool)
    invalid = nan.reshape(rows, -1).any(axis=1)
    k = values.shape[-1]
    if values.ndim > 2:  # per-pixel / per-step classes
        invalid_nd = nan.any(axis=-1)
        if k == 1:
            _check_labels(labels, 2, "one sigmoid unit (classes 0 and 1)")
            classes = (values[..., 0] > threshold).astype(np.int64)
        else:
            _check_labels(labels, k, f"{k} classes")
            classes = np.argmax(np.nan_to_num(values, nan=-np.inf), axis=-1)
        return {f"{prefix}_p": values, f"{prefix}_class": _labelled(classes, invalid_nd, labels)}
    if kind == "multilabel" and k > 1:
        if labels:
            _check_labels(labels, k, f"{k} sigmoid units")
        cols = {f"{prefix}_p{i}": values[:, i] for i in range(k)}
        cols[f"{prefix}_class"] = (values > threshold).astype(np.int64)
        return cols
    if k == 1:
        _check_labels(labels, 2, "one sigmoid unit (classes 0 and 1)")
        classes = (values[:, 0] > threshold).astype(np.int64)
        return {f"{prefix}_p1": values[:, 0], f"{prefix}_class": _labelled(classes, invalid, labels)}
    _check_labels(labels, k, f"{k} classes")
    classes = np.argmax(np.nan_to_num(values, nan=-np.inf), axis=1)
    cols = {f"{prefix}_p{i}": values[:, i] for i in range(k)}
    cols[f"{prefix}_class"] = _labelled(classes, invalid, labels)
    return cols


def _kind(mode: str, activation: str | None, values: np.ndarray) -> tuple[str, np.ndarray]:
    """``(kind, probabilities or values)`` for one output under ``output_mode``."""
    import numpy as np
    k = values.shape[-1] if values.ndim > 1 else 1
    if mode == "auto":
        if activation is None:
            return "values", values
        if activation == "sigmoid":
            return ("multilabel" if k > 1 else "sigmoid"), values
        return "softmax", values
    if mode == "values":
        return "values", values
    if values.dtype.kind not in "fc":
        raise NodeRunError(f"output_mode: {mode} expects numeric model outputs, got {values.dtype}")
    if mode == "logits":
        values = _softmax(values.astype(np.float64)) if k > 1 else _sigmoid(values.astype(np.float64))
        values = values.astype(np.float32)
    return ("softmax" if k > 1 else "sigmoid"), values


# -- the node ------------------------------------------------------------------------
def _prediction_columns(model, result, params, taken) -> tuple[dict, list[str]]:
    """The new columns for a model's raw ``result`` on some rows, and each output's kind."""
    import numpy as np
    from nodeflow.keras import load_keras

    keras = load_keras()
    prefix = params["prediction_prefix"]
    outputs = [np.asarray(v) for v in keras.tree.flatten(result)]
    names = _output_names(model, result, len(outputs))
    activations = _output_activations(model, len(outputs))
    new: dict[str, np.ndarray] = {}
    kinds = []
    for name, activation, values in zip(names, activations, outputs):
        kind, values = _kind(params["output_mode"], activation, values)
        kinds.append(kind)
        group_prefix = prefix if len(outputs) == 1 else f"{prefix}_{name}"
        for col, arr in prediction_columns(values, group_prefix, kind, params).items():
            if col in taken or col in new:
                raise NodeRunError(
                    f"prediction_prefix: the table already has a column {col!r}; choose another prefix"
                )
            new[col] = arr
    return new, kinds


def _log_predictions(context, rows: int, kinds, new, nan_rows: int) -> None:
    if context is None:
        return
    if nan_rows:
        context.warn(f"feature_columns: {nan_rows} rows hold missing values (NaN); "
                     f"their predictions are NaN")
    readable = {"values": "values", "softmax": "class probabilities", "sigmoid": "a probability",
                "multilabel": "multi-label probabilities"}
    context.log(f"predicted {rows:,} rows: {', '.join(readable[k] for k in kinds)} -> {', '.join(new)}")


def _cancel_callback(keras, context):
    class _Cancel(keras.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            if context is not None:
                context.check_cancelled()

    return _Cancel()


def execute(context, inputs, params):
    from nodes.data._common import any_table, is_file_table

    table = any_table(inputs, "table")
    if table.num_rows == 0:
        raise NodeRunError("table: expected at least one row to predict, got an empty table")
    if is_file_table(table):
        return {"table": _execute_streamed(context, inputs["model"], table, params)}
    return {"table": _execute_in_memory(context, inputs["model"], table, params)}


def _execute_in_memory(context, model, table, params):
    import numpy as np
    from nodeflow.keras import load_keras
    from nodeflow.runtime.table import Table

    keras = load_keras()
    x = model_inputs(model, table, list(params["feature_columns"]))
    nan_rows = np.zeros(table.num_rows, bool)
    for arr in keras.tree.flatten(x):
        if arr.dtype.kind == "f":
            nan_rows |= np.isnan(arr.reshape(arr.shape[0], -1)).any(axis=1)
    if context is not None:
        context.check_cancelled()
    try:
        result = model.predict(x, batch_size=params["batch_size"], verbose=0,
                               callbacks=[_cancel_callback(keras, context)])
    except (ValueError, TypeError) as exc:
        raise NodeRunError(f"feature_columns: the model refused the input: {exc}") from None
    new, kinds = _prediction_columns(model, result, params, table)
    _log_predictions(context, table.num_rows, kinds, new, int(nan_rows.sum()))
    return Table({**table, **new}, table.augmentations)


def _execute_streamed(context, model, table, params):
    """Predict a file-backed table block by block and write the result to a new file: the
    rows stream through the model and the predictions go to disk, never all in memory."""
    import numpy as np
    import tensorflow as tf
    from nodeflow.keras import load_keras
    from nodeflow.runtime.file_table import FileTableWriter

    from .feed import BLOCK_ROWS, Feed, raise_pipeline_error

    keras = load_keras()
    feed = Feed(table, model, list(params["feature_columns"]), None, "table")
    feed.allow_missing = True  # NaN rows give NaN predictions, as in memory
    stored = [n for n in table.column_names if not table.is_image(n)]
    hidden = [img.source for img in table.images.values()]
    batches = iter(feed.dataset(params["batch_size"], with_targets=False))
    writer = FileTableWriter(context.table_file("table"), table.images, table.augmentations)
    pending: list[list] = []  # predicted batches not yet written, each its outputs flattened
    have = 0  # rows in pending
    template = None  # the structure of the model's outputs (a dict keeps its names)
    kinds, new_names, nan_rows = [], [], 0
    try:
        for block in table.chunks(stored + hidden, BLOCK_ROWS):
            rows = len(block[(stored + hidden)[0]])
            while have < rows:
                context.check_cancelled()
                (x,) = next(batches)
                predicted = model.predict_on_batch(x)
                template = predicted if template is None else template
                pending.append(keras.tree.flatten(predicted))
                have += len(pending[-1][0])
            joined = [np.concatenate(parts) for parts in zip(*pending)]
            mine = [a[:rows] for a in joined]
            pending = [[a[rows:] for a in joined]] if have > rows else []
            have -= rows
            result = keras.tree.pack_sequence_as(template, mine)
            for out in mine:
                if out.dtype.kind == "f":
                    nan_rows += int(np.isnan(out.reshape(len(out), -1)).any(axis=1).sum())
            new, kinds = _prediction_columns(model, result, params, table.column_names)
            new_names = list(new)
            writer.append({**{n: block[n] for n in stored}, **new, **{h: block[h] for h in hidden}},
                          order=table.column_names + new_names)
    except (tf.errors.OpError, StopIteration) as exc:
        writer.abort()
        raise_pipeline_error(feed, exc)
        raise NodeRunError(f"feature_columns: prediction failed: {str(exc).strip()[:300]}") from None
    except BaseException:
        writer.abort()
        raise
    _log_predictions(context, table.num_rows, kinds, new_names, nan_rows)
    return writer.close()


NETWORK_EXECUTOR = NodeSpec(
    type_id="learn.NetworkExecutor",
    display_name="Keras Network Executor",
    category="Learning",
    family="learn",
    description=(
        "Runs a trained Keras model on every row of a table and appends its predictions as new "
        "columns. The feature columns are fed to the model's inputs in order: one image or "
        "sequence column as it is, or several numeric columns stacked side by side into one "
        "matrix. A classifier adds one probability column per class and a class column (the "
        "most probable class, or its label); a regression model adds its predicted values."
    ),
    inputs=(
        Port("model", "model", "The trained Keras model to apply."),
        Port("table", "table", "The rows to predict; it must hold the feature columns."),
    ),
    outputs=(
        Port("table", "table", "The input table with the prediction columns appended."),
    ),
    params=(
        ColumnsParam(
            name="feature_columns", min_count=1,
            help="Columns fed to the model's input(s), in order. One n-d column (images, "
                 "sequences) is fed as it is; numeric columns are stacked into a (rows, k) "
                 "float32 matrix. A model with several inputs takes the columns in the order of "
                 "its inputs: a (None, k) input takes columns until it has k values per row, any "
                 "other input takes one column."),
        IntParam(name="batch_size", default=256, min=1,
                 help="Rows predicted at once; larger is faster but needs more memory. Predictions "
                      "do not depend on it (unlike training, prediction gains nothing from small "
                      "batches)."),
        TextParam(name="prediction_prefix", group="Output", default="prediction", allow_empty=False,
                  help="Start of the names of the new columns: <prefix>_p0, <prefix>_p1, ... for "
                       "class probabilities, <prefix>_class for the class, <prefix> for values."),
        ChoiceParam(
            name="output_mode", group="Output", default="auto", options=OUTPUT_MODES,
            help="How to read the model's output. auto: class probabilities when the output layer "
                 "ends in softmax or sigmoid, plain values otherwise; probabilities: the output "
                 "already holds probabilities; logits: apply softmax (or sigmoid for one unit) "
                 "first; values: regression, append the raw numbers."),
        TextListParam(
            name="class_labels", group="Output", default=[],
            help="Optional names of the classes, in the order of the model's output units (two "
                 "names, negative then positive, for one sigmoid unit); the class column then "
                 "holds these names instead of class numbers."),
        FloatParam(name="threshold", group="Output", default=0.5, min=0.0, max=1.0,
                   help="For sigmoid outputs: a probability above this counts as class 1."),
    ),
    keywords=("predict", "inference", "apply", "score", "classify", "model", "keras"),
    run=execute,
)

NODES = (NETWORK_EXECUTOR,)
