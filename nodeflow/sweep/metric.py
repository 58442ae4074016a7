"""The number a sweep optimizes: ``NODE.NAME``, read from a finished trial's run folder.

A metric is any number a node outputs in a table, found by what the table is for (its
port's ``view``, declared with the node type), so no node type is special-cased here:

- a ``metrics`` table (the Scorer's: columns metric, class, value): the whole-table row
  named NAME (``scorer.accuracy``, ``scorer.macro_f1``, ``scorer.rmse``);
- a ``history`` table (the learner's: one row per epoch): column NAME of the last epoch
  (``learner.val_loss``), or ``best_NAME``, the best epoch's value in the sweep's direction
  (``learner.best_val_loss`` when minimizing, ``learner.best_val_accuracy`` maximizing);
- any other table with exactly one row: its column NAME.

While a trial trains, pruning needs one number per epoch (:func:`epoch_key`): the learner's
epoch metric of the same name when it logs one (``val_accuracy`` for ``scorer.accuracy``,
``val_loss`` for ``learner.best_val_loss``), else its ``val_loss`` (or ``loss`` without
validation data), negated when the sweep maximizes so that "better" points the same way.

Reading tables needs NumPy and pyarrow (never TensorFlow): imported when a trial ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from nodeflow.core.workflow import Workflow


class MetricError(ValueError):
    """A metric that names no node, or a number the finished run does not have."""


@dataclass(frozen=True)
class Metric:
    node: str
    name: str
    direction: str  # "minimize" | "maximize"

    def __str__(self) -> str:
        return f"{self.node}.{self.name}"

    @property
    def maximize(self) -> bool:
        return self.direction == "maximize"


def parse(text: str, direction: str, workflow: Workflow) -> Metric:
    """``NODE.NAME`` checked against the workflow: the node exists and outputs a table."""
    node, dot, name = text.partition(".")
    if not dot or not node or not name:
        raise MetricError(f"--metric {text}: expected NODE.NAME, e.g. scorer.accuracy or "
                          f"learner.best_val_loss")
    if node not in workflow.nodes:
        raise MetricError(f"--metric {text}: the workflow has no node {node}; nodes: "
                          f"{', '.join(workflow.nodes)}")
    spec = workflow.spec(node)
    if spec is None or not any(p.type == "table" for p in spec.outputs):
        raise MetricError(f"--metric {text}: node {node} outputs no table to read a number from; "
                          f"expected a scorer, a learner (its history) or another node with a "
                          f"table output")
    return Metric(node, name, direction)


def read(run_dir: str | Path, workflow: Workflow, metric: Metric) -> float:
    """The metric's value in a finished run folder; :class:`MetricError` naming the numbers
    that are there when NAME is not one of them."""
    import numpy as np

    from nodeflow.runtime.storage import load_value, output_path

    spec = workflow.spec(metric.node)
    found: list[str] = []
    for port in (p for p in spec.outputs if p.type == "table"):
        path = output_path(run_dir, metric.node, port.name, "table")
        if not path.exists():
            continue
        table = load_value("table", path)
        columns = {name: np.asarray(table[name]) for name in table.column_names}
        if port.view == "metrics" and {"metric", "value"} <= columns.keys():
            whole = [i for i in range(len(columns["metric"]))
                     if "class" not in columns or str(columns["class"][i]) == ""]
            names = [str(columns["metric"][i]) for i in whole]
            found += names
            if metric.name in names:
                return float(columns["value"][whole[names.index(metric.name)]])
            continue
        numeric = {k: v for k, v in columns.items() if v.ndim == 1 and v.dtype.kind in "iuf"}
        if port.view == "history":
            found += list(numeric) + [f"best_{k}" for k in numeric]
            if metric.name in numeric and len(numeric[metric.name]):
                return float(numeric[metric.name][-1])
            base = metric.name.removeprefix("best_")
            if metric.name.startswith("best_") and base in numeric and len(numeric[base]):
                values = numeric[base][~np.isnan(numeric[base])] if numeric[base].dtype.kind == "f" \
                    else numeric[base]
                if not len(values):
                    return math.nan
                return float(values.max() if metric.maximize else values.min())
            continue
        if table.num_rows == 1:
            found += list(numeric)
            if metric.name in numeric:
                return float(numeric[metric.name][0])
    raise MetricError(f"--metric {metric}: node {metric.node} output no number {metric.name!r}; "
                      f"it has: {', '.join(dict.fromkeys(found)) or 'none'}")


def epoch_learner(metric: Metric, workflow: Workflow) -> str | None:
    """The learner whose epochs pruning follows: the metric's node when it is a learner,
    else the first learner upstream of it (None when there is none)."""
    if _is_learner(workflow, metric.node):
        return metric.node
    upstream = workflow.upstream(metric.node)
    return next((n for n in workflow.nodes if n in upstream and _is_learner(workflow, n)), None)


def epoch_value(metric: Metric, metrics: dict, own: bool) -> float | None:
    """The value pruning gets from one of the learner's ``epoch`` events (see the module
    docstring): for the learner's own metric (``learner.val_loss``) that key; for another
    node's (``scorer.accuracy``; ``own`` false) the learner's validation metric of that name, else the
    training one; else ``val_loss`` or ``loss``, signed to point the sweep's way."""
    name = metric.name.removeprefix("best_")
    keys = (name,) if own else (f"val_{name}", name)
    for key in keys:
        if isinstance(metrics.get(key), (int, float)):
            return float(metrics[key])
    for key in ("val_loss", "loss"):
        if isinstance(metrics.get(key), (int, float)):
            return -float(metrics[key]) if metric.maximize else float(metrics[key])
    return None


def _is_learner(workflow: Workflow, node_id: str) -> bool:
    spec = workflow.spec(node_id)
    return spec is not None and any(p.view == "history" for p in spec.outputs)
