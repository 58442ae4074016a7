"""What a run's record holds: parameter names and values, metric names, fingerprints.

Names follow the ``--set`` and ``nodeflow sweep --param`` spelling: a parameter is
``node.param`` and an argument of a nested choice ``node.param.arg`` (the optimizer's
``learner.optimizer.learning_rate``); a learner's per-epoch metric is ``node.metric``
(step = epoch), a number in a node's metrics table (the Scorer's) ``node.metric``, or
``node.metric.class`` for a per-class one.  Standard library only, apart from reading
a stored table (NumPy, inside the run process).
"""

from __future__ import annotations

import hashlib
import json
import math
import re

from nodeflow.core.workflow import Workflow

MAX_VALUE = 6000  # MLflow's limit on a parameter value's length (MAX_PARAM_VAL_LENGTH)
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /:]")  # what MLflow accepts in a metric name


def flat_params(workflow: Workflow) -> dict[str, str]:
    """Every parameter of every node, defaults included (so runs compare completely), as
    ``node.param`` -> text; nested choices give ``node.param`` (the option's name) and
    ``node.param.arg`` per argument.  Values longer than MLflow allows are cut, marked ``…``."""
    flat: dict[str, str] = {}
    for node_id, node in workflow.nodes.items():
        spec = workflow.spec(node_id)
        values = spec.resolve(node.params) if spec is not None else dict(node.params)
        for name, value in values.items():
            _flatten(flat, f"{node_id}.{name}", value)
    return flat


def _flatten(flat: dict[str, str], key: str, value) -> None:
    if isinstance(value, dict) and isinstance(value.get("name"), str) and set(value) <= {"name", "args"}:
        flat[key] = _text(value["name"])
        for arg, arg_value in sorted((value.get("args") or {}).items()):
            _flatten(flat, f"{key}.{arg}", arg_value)
    elif isinstance(value, dict) and value:
        for sub, sub_value in sorted(value.items()):
            _flatten(flat, f"{key}.{sub}", sub_value)
    else:
        flat[key] = _text(value)


def _text(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 1] + "…"


def workflow_fingerprint(workflow: Workflow) -> str:
    """One fingerprint of the whole workflow as run: the node fingerprints together
    (types, parameters, the files read, the wiring), 24 hex digits.  Equal fingerprints
    mean the same computation on the same data."""
    from nodeflow.runtime.fingerprint import node_keys

    text = json.dumps(sorted(node_keys(workflow).items()))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def metric_key(*parts: str) -> str:
    """``node.metric[.class]`` with what MLflow refuses in a name replaced by ``_``."""
    return ".".join(_UNSAFE.sub("_", str(p)) for p in parts if str(p) != "")


def table_metrics(node_id: str, table) -> dict[str, float]:
    """The numbers of a metrics table (columns ``metric``, optional ``class``, ``value``)."""
    if "metric" not in table or "value" not in table:
        return {}
    classes = table["class"] if "class" in table else [""] * table.num_rows
    found = {}
    for metric, cls, value in zip(table["metric"], classes, table["value"]):
        value = float(value)
        if math.isfinite(value):
            found[metric_key(node_id, metric, cls)] = value
    return found


def history_metrics(table) -> list[tuple[int, dict[str, float]]]:
    """(epoch, {metric: value}) per row of a learner's history table."""
    names = [n for n in table.column_names
             if n != "epoch" and table[n].ndim == 1 and table[n].dtype.kind in "biuf"]
    epochs = table["epoch"] if "epoch" in table else range(1, table.num_rows + 1)
    return [(int(epochs[row]), {name: float(table[name][row]) for name in names})
            for row in range(table.num_rows)]


def higher_is_better(metric: str) -> bool:
    """Keras's "auto" direction, by name: accuracies, AUC, precision, recall and F-scores rise."""
    name = metric.removeprefix("val_").lower()
    return not name.endswith("loss") and any(w in name for w in ("acc", "auc", "precision", "recall", "f1"))


def best_epoch(history: list[tuple[int, dict[str, float]]], monitor: str | None) -> tuple[int, dict] | None:
    """The row of the best epoch by ``monitor`` (else ``val_loss``, else ``loss``, as the
    learner's early stopping), or None when that metric was not recorded."""
    rows = [(epoch, metrics) for epoch, metrics in history if metrics]
    if not rows:
        return None
    names = rows[-1][1]
    monitor = monitor if monitor in names else "val_loss" if "val_loss" in names else "loss"
    scored = [(m[monitor], e, m) for e, m in rows if monitor in m and math.isfinite(m[monitor])]
    if not scored:
        return None
    pick = max if higher_is_better(monitor) else min
    _, epoch, metrics = pick(scored, key=lambda item: item[0])
    return epoch, metrics
